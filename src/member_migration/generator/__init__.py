"""Synthetic legacy export packages with their ground truth beside them.

``generate_package(out_dir, persons, seed, delta_of, progress)`` writes the seven files of
shared/spec/legacy-exports.md, dirty in every way the contract lists at the rates of
``rates.RATES``, and the truth (what the pipeline must produce) to ``out_dir.truth/``.
See docs/generator.md.
"""

from member_migration.generator.package import (
    GenerationError,
    GenerationSummary,
    generate_package,
    truth_dir_for,
)
from member_migration.generator.rates import RATES, rates_markdown

__all__ = [
    "RATES",
    "GenerationError",
    "GenerationSummary",
    "generate_package",
    "rates_markdown",
    "truth_dir_for",
]
