"""Room on disk for a benchmark run, checked before anything is generated or loaded.

A run that fills the disk fails an hour in, after the package was generated and half the
build ran, and leaves a server that cannot write (and a disk other programs need). So
``run_bench`` first estimates what the run will hold at its peak, from figures measured on
this project, and refuses when the bench folder's file system has less room, naming the
estimate, the free space and what to do.

- A package takes about 520 bytes a person (6 006 879 records, 500 MB at a million persons);
  one already in the cache takes nothing more.
- A database takes about 13 000 bytes a person at its peak: 10.5 GB after the build at a
  million persons and 31.6 GB at three million (embedded PostgreSQL 18), plus the floor's
  text tables and their copies (about 2 GB at a million), which the bench writes into the same
  database after the build, plus the sorts' temporary files.
- The embedded server's sizes run one after the other and each database is dropped before the
  next one, so the largest counts; with ``--keep`` they all stay, so they add up. With
  ``PGHOST`` the database lives on that server's disk, which this process cannot see: only the
  packages are checked.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: bytes of export package per person (measured: 500 MB for a million persons)
PACKAGE_BYTES_PER_PERSON = 520
#: bytes of database per person at the run's peak (see the module docstring)
DATABASE_BYTES_PER_PERSON = 13_000


class NotEnoughDisk(Exception):
    """The run would not fit on the disk; the message says how much is needed and what to do."""


@dataclass(frozen=True)
class DiskNeed:
    package_bytes: int
    database_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.package_bytes + self.database_bytes


def disk_needed(
    sizes: Iterable[int], *, cached_sizes: Iterable[int], keep: bool, database_here: bool
) -> DiskNeed:
    """What a run of ``sizes`` persons holds on the bench folder's disk at its peak."""
    sizes = list(sizes)
    cached = set(cached_sizes)
    packages = sum(persons * PACKAGE_BYTES_PER_PERSON for persons in set(sizes) - cached)
    if not database_here or not sizes:
        databases = 0
    elif keep:
        databases = sum(persons * DATABASE_BYTES_PER_PERSON for persons in sizes)
    else:
        databases = max(sizes) * DATABASE_BYTES_PER_PERSON
    return DiskNeed(packages, databases)


def free_bytes(path: Path) -> int:
    """Free bytes on the file system of ``path`` (or of its nearest existing parent)."""
    path = Path(path).absolute()
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free


def _gb(n: int) -> str:
    return f"{n / 1e9:,.1f} GB"


def check_disk(
    bench_root: Path,
    sizes: Iterable[int],
    *,
    cached_sizes: Iterable[int],
    keep: bool,
    database_here: bool,
    free: int | None = None,
) -> DiskNeed:
    """Raise NotEnoughDisk when the run would not fit on ``bench_root``'s file system."""
    sizes = list(sizes)
    need = disk_needed(sizes, cached_sizes=cached_sizes, keep=keep, database_here=database_here)
    free = free_bytes(bench_root) if free is None else free
    if need.total_bytes <= free:
        return need
    parts = []
    if need.package_bytes:
        parts.append(f"{_gb(need.package_bytes)} of packages to generate")
    if need.database_bytes:
        parts.append(
            f"about {_gb(need.database_bytes)} of database "
            f"({DATABASE_BYTES_PER_PERSON:,} bytes a person at the peak, as measured"
            f"{', every size kept' if keep else ''})"
        )
    advice = ["free some space", "run a smaller --persons"]
    if database_here:
        advice.append("or set PGHOST to a server with room for the database")
    raise NotEnoughDisk(
        f"the benchmark of {', '.join(f'{p:,}' for p in sizes)} persons needs about "
        f"{_gb(need.total_bytes)} on {bench_root} ({' and '.join(parts)}), and "
        f"{_gb(free)} is free. Nothing was generated or loaded. To run it, "
        f"{', '.join(advice)}; --no-disk-check runs it anyway."
    )
