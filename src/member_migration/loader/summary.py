"""What a load did, for the CLI's summary table and for tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar


@dataclass(frozen=True)
class FileSummary:
    """One contract file of the package: loaded now, or skipped because loaded before.

    For a skipped file the counts and the batch are those of the earlier load (from
    ``raw.batch_manifest``) and ``seconds`` is 0.
    """

    file_name: str
    table: str
    skipped: bool
    batch_id: int
    encoding: str
    sha256: str
    records_read: int
    records_loaded: int
    records_rejected: int
    #: Records skipped because an erasure request tombstoned them (raw.erasure_tombstones).
    records_erased: int = 0
    #: Empty lines (not records) met in the file; 0 for a skipped file.
    blank_lines: int = 0
    seconds: float = 0.0
    #: Where a skipped file was loaded before (package path), empty otherwise.
    loaded_before_from: str = ""

    @property
    def rows_per_second(self) -> float | None:
        """Records read per second of the file's load (None when skipped or instant)."""
        if self.skipped or self.seconds <= 0:
            return None
        return self.records_read / self.seconds


@dataclass(frozen=True)
class LoadSummary:
    """The outcome of ``load_package``.

    ``batch_id`` is the batch this load wrote into (None when nothing changed); ``resumed`` says
    that it continued a batch an interrupted load of the same package had started.
    """

    package_dir: Path
    batch_id: int | None
    resumed: bool
    files: tuple[FileSummary, ...]
    unknown_files: tuple[str, ...]
    seconds: float

    #: Column headings of the rows of ``as_rows()``.
    ROW_HEADERS: ClassVar[tuple[str, ...]] = (
        "file",
        "table",
        "status",  # loaded, or skipped: loaded before (same table and sha256)
        "batch",
        "encoding",
        "read",
        "loaded",
        "rejected",
        "erased",
        "seconds",
        "rows/s",
    )

    @property
    def changed(self) -> bool:
        """True when this load wrote anything (a file was loaded)."""
        return any(not f.skipped for f in self.files)

    @property
    def loaded_files(self) -> tuple[FileSummary, ...]:
        return tuple(f for f in self.files if not f.skipped)

    @property
    def skipped_files(self) -> tuple[FileSummary, ...]:
        return tuple(f for f in self.files if f.skipped)

    @property
    def records_read(self) -> int:
        return sum(f.records_read for f in self.loaded_files)

    @property
    def records_loaded(self) -> int:
        return sum(f.records_loaded for f in self.loaded_files)

    @property
    def records_rejected(self) -> int:
        return sum(f.records_rejected for f in self.loaded_files)

    @property
    def records_erased(self) -> int:
        return sum(f.records_erased for f in self.loaded_files)

    def message(self) -> str:
        """One sentence for the user: what changed, or that nothing did and why."""
        if not self.changed:
            batches = sorted({f.batch_id for f in self.files})
            listed = ", ".join(str(b) for b in batches)
            text = (
                f"Nothing changed: every file of this package was loaded before, same content "
                f"by sha256 (batch {listed})."
            )
            if self.unknown_files:
                text += f" Not in the export contract, skipped: {', '.join(self.unknown_files)}."
            return text
        text = (
            f"Loaded {len(self.loaded_files)} file(s) as batch {self.batch_id}: "
            f"{self.records_read:,} records read, {self.records_loaded:,} loaded, "
            f"{self.records_rejected:,} rejected (see raw.load_rejects)."
        )
        if self.records_erased:
            text += (
                f" {self.records_erased:,} record(s) skipped because an erasure request removed "
                "them (raw.erasure_tombstones; counted as records_erased in raw.batch_manifest)."
            )
        if self.resumed:
            text += " This finished the batch an interrupted load of this package had started."
        if self.skipped_files:
            text += f" {len(self.skipped_files)} file(s) were loaded before and skipped."
        if self.unknown_files:
            text += f" Not in the export contract, skipped: {', '.join(self.unknown_files)}."
        return text

    def as_rows(self) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        """``(headers, rows)`` for a table: one row of text per file, under ``ROW_HEADERS``."""
        rows = []
        for f in self.files:
            rate = f.rows_per_second
            rows.append(
                (
                    f.file_name,
                    f.table,
                    "skipped" if f.skipped else "loaded",
                    str(f.batch_id),
                    f.encoding,
                    f"{f.records_read:,}",
                    f"{f.records_loaded:,}",
                    f"{f.records_rejected:,}",
                    f"{f.records_erased:,}",
                    f"{f.seconds:.2f}",
                    "" if rate is None else f"{rate:,.0f}",
                )
            )
        return self.ROW_HEADERS, rows
