"""``member-migration load DIR``: one legacy export package into schema ``raw``, nothing lost.

Public API (the CLI's)::

    from member_migration.loader import load_package, LoadSummary, LoadError
    summary = load_package(conninfo, package_dir, progress=True)
    summary.changed, summary.batch_id, summary.message()
    headers, rows = summary.as_rows()

See ``load.py`` for the order of work and ``records.py``/``encoding.py`` for how a file is read.
"""

from member_migration.loader.database import ADVISORY_LOCK_KEY
from member_migration.loader.errors import LoadError
from member_migration.loader.load import load_package
from member_migration.loader.progress import LoadProgress
from member_migration.loader.summary import FileSummary, LoadSummary

__all__ = [
    "ADVISORY_LOCK_KEY",
    "FileSummary",
    "LoadError",
    "LoadProgress",
    "LoadSummary",
    "load_package",
]
