"""Export packages for the benchmark, generated once per size and seed and kept.

A package of a million persons takes minutes to generate; the benchmark measures the pipeline,
not the generator, so each ``(persons, seed)`` package is written once to
``<cache>/<persons>-<seed>/package`` (its ground truth beside it, as the generator does) and
reused. The generator writes ``summary.json`` into the truth folder last, so a package is
complete exactly when that file is there and names the same size, seed and generator version.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from member_migration.generator import generate_package, truth_dir_for
from member_migration.generator.package import GENERATOR_VERSION

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BenchPackage:
    path: Path
    persons: int
    seed: int
    rows_per_file: dict[str, int]
    #: seconds this run spent generating it; None when it came from the cache
    generated_seconds: float | None

    @property
    def rows(self) -> int:
        return sum(self.rows_per_file.values())


def _summary_path(package: Path) -> Path:
    return truth_dir_for(package) / "summary.json"


def _cached(package: Path, persons: int, seed: int) -> dict | None:
    try:
        summary = json.loads(_summary_path(package).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if (
        summary.get("generator_version") != GENERATOR_VERSION
        or summary.get("persons") != persons
        or summary.get("seed") != seed
        or summary.get("kind") != "full"
    ):
        return None
    if not all((package / name).is_file() for name in summary.get("rows_per_file", {})):
        return None
    return summary


def is_cached(cache_root: Path, persons: int, seed: int) -> bool:
    """Whether the package of ``persons`` and ``seed`` is in the cache, complete."""
    return _cached(Path(cache_root) / f"{persons}-{seed}" / "package", persons, seed) is not None


def bench_package(
    cache_root: Path,
    persons: int,
    seed: int,
    *,
    regenerate: bool = False,
    progress: Callable[[int], None] | None = None,
) -> BenchPackage:
    """The package of ``persons`` persons and ``seed``, generated when not cached yet."""
    folder = Path(cache_root) / f"{persons}-{seed}"
    package = folder / "package"
    summary = None if regenerate else _cached(package, persons, seed)
    if summary is not None:
        _logger.info("using cached package %s", package)
        return BenchPackage(package, persons, seed, dict(summary["rows_per_file"]), None)
    # a half-written or stale package: start again from an empty folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    result = generate_package(package, persons=persons, seed=seed, progress=progress)
    seconds = time.perf_counter() - started
    return BenchPackage(package, persons, seed, dict(result.rows_per_file), seconds)
