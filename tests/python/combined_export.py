"""Write the one full export that a base package plus its delta(s) describe, record by record.

The parallel-run equivalence test (test_parallel_run.py) builds the mart twice: once from the
base package and its delta loaded as two batches, once from this combined full export loaded
as a single batch. The combination is done at the level of legacy records, with the loader's
own CSV reading (``member_migration.loader`` internals), so that it is independent of the dbt
models it checks:

- every file is read as the loader reads it (encoding detection, BOM, RFC 4180 on bytes, the
  loader's reject reasons);
- a record of an earlier package whose **cleaned key** (trimmed, missing literals to null,
  full-width folded: ``clean_text`` of the staging models) is among the cleaned keys of a later
  package's readable records of the same file is dropped: the later package's version wins
  (migration-rules.md section 4, "across batches, the row from the most recently loaded batch
  wins"); the later package's records are appended after it, in their order;
- records without a key (their own winning rows, quarantined as KEY_MISSING) and records the
  loader rejects are kept whatever their key, since a later batch never replaces them;
- within one package nothing is resolved: duplicates and several versions of one key stay as
  they were, in the same order, for the pipeline to resolve exactly as it would in that batch.

The combined files are UTF-8 without a byte-order mark, header in contract order, fields
written by the csv module (RFC 4180, quoted when needed). A readable record is re-encoded from
its decoded fields; a rejected record is written as it was (transcoded to UTF-8 when it could be
decoded, verbatim bytes when it could not), and must still be a reject in the combined file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from member_migration.contract import EXPORT_FILES, MISSING_LITERALS, ExportFile
from member_migration.loader.encoding import CODEC_FOR, strip_bom
from member_migration.loader.load import _reject_reason
from member_migration.loader.package import PackageFile, plan_package
from member_migration.loader.records import iter_records, read_lines

#: What clean_text trims (macros/parsing/clean_text.sql): space, tab, CR, LF, U+00A0, U+3000.
_TRIM_CHARS = " \t\r\n\u00a0\u3000"
_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
        **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
        "\uff0b": "+",
    }
)


def clean_key(value: str) -> str | None:
    """A key as the staging models clean it: trimmed, a missing literal is None, folded."""
    trimmed = value.strip(_TRIM_CHARS)
    if trimmed in MISSING_LITERALS:
        return None
    return trimmed.translate(_FOLD)


@dataclass(frozen=True)
class FileRecord:
    """One record of a package file as the loader sees it."""

    #: Values by contract column, or None when the loader rejects the record.
    values: dict[str, str] | None
    #: The record's bytes as in the file (without its line break).
    content: bytes
    #: The loader's reject reason, or None.
    reject: str | None
    #: The codec the file is decoded with.
    codec: str

    @property
    def readable(self) -> bool:
        return self.values is not None


def read_file_records(pf: PackageFile) -> Iterator[FileRecord]:
    """The records of one file of a planned package, read as ``load_package`` reads them."""
    codec = CODEC_FOR[pf.fingerprint.encoding]
    width = len(pf.header)
    with pf.path.open("rb") as stream:
        records = iter_records(strip_bom(read_lines(stream), pf.fingerprint.bom))
        header_seen = False
        for record in records:
            if record is None:  # an empty line is not a record
                continue
            if not header_seen:
                header_seen = True
                continue
            reason = _reject_reason(record, codec, pf.fingerprint.encoding, width)
            if reason is not None:
                yield FileRecord(None, record.content, reason, codec)
                continue
            fields = [f.decode(codec) for f in record.fields]
            yield FileRecord(dict(zip(pf.header, fields, strict=True)), record.content, None, codec)


@dataclass
class CombinedFile:
    """What was written for one file, and how it came about (for the test's messages)."""

    table: str
    kept_from_earlier: int = 0
    replaced: int = 0
    appended: int = 0
    rejects_kept: int = 0


def _package_records(package: Path) -> dict[str, list[FileRecord]]:
    plan = plan_package(package)
    return {pf.table: list(read_file_records(pf)) for pf in plan.files}


def _combine_file(
    spec: ExportFile, packages: Sequence[list[FileRecord]]
) -> tuple[list[FileRecord], CombinedFile]:
    """The records of one file after all packages, oldest first, each later one winning."""
    stats = CombinedFile(spec.table)
    combined: list[FileRecord] = []
    for number, records in enumerate(packages):
        later_keys = {
            key
            for rec in records
            if rec.readable and (key := clean_key(rec.values[spec.key])) is not None
        }
        if number > 0:
            kept = [
                rec
                for rec in combined
                if not rec.readable or clean_key(rec.values[spec.key]) not in later_keys
            ]
            stats.replaced += len(combined) - len(kept)
            combined = kept
        combined += records
    stats.appended = len(packages[-1]) if len(packages) > 1 else 0
    stats.kept_from_earlier = len(combined) - stats.appended
    stats.rejects_kept = sum(1 for rec in combined if not rec.readable)
    return combined, stats


def _write(path: Path, spec: ExportFile, records: list[FileRecord]) -> None:
    """The records as one UTF-8 CSV file: readable ones re-encoded, rejects as they were.

    A reject whose quoted field runs to the end of its file can only stay itself at the end of
    the file, so those come last.
    """
    out = io.BytesIO()
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(spec.columns)
    unclosed: list[FileRecord] = []

    def flush() -> None:
        out.write(text.getvalue().encode("utf-8"))
        text.seek(0)
        text.truncate()

    for rec in records:
        if rec.readable:
            writer.writerow([rec.values[c] for c in spec.columns])
            continue
        if "is not closed before the end" in (rec.reject or ""):
            unclosed.append(rec)
            continue
        flush()
        out.write(_reject_bytes(rec) + b"\n")
    flush()
    for rec in unclosed:
        out.write(_reject_bytes(rec) + b"\n")
    path.write_bytes(out.getvalue())


def _reject_bytes(rec: FileRecord) -> bytes:
    try:
        return rec.content.decode(rec.codec).encode("utf-8")
    except UnicodeDecodeError:
        return rec.content


def write_combined_export(packages: Sequence[Path], out_dir: Path) -> dict[str, CombinedFile]:
    """Write to ``out_dir`` the full export that ``packages`` (a base, then its deltas in load
    order) describe together. Returns what was done per file."""
    out_dir.mkdir(parents=True, exist_ok=False)
    read = [_package_records(Path(p)) for p in packages]
    stats: dict[str, CombinedFile] = {}
    combined: dict[str, list[FileRecord]] = {}
    for spec in EXPORT_FILES:
        per_package = [records[spec.table] for records in read if spec.table in records]
        if not per_package:
            continue
        combined[spec.table], stats[spec.table] = _combine_file(spec, per_package)
        _write(out_dir / spec.file_name, spec, combined[spec.table])
    # The combined package must read back as the same records, and its rejects as rejects.
    written = _package_records(out_dir)
    for spec in EXPORT_FILES:
        if spec.table not in combined:
            continue
        back = written[spec.table]
        assert sum(1 for r in back if not r.readable) == stats[spec.table].rejects_kept, (
            f"{spec.table}: the combined file does not keep its loader rejects"
        )
        values = [[r.values[c] for c in spec.columns] for r in back if r.readable]
        expected = [[r.values[c] for c in spec.columns] for r in combined[spec.table] if r.readable]
        assert values == expected, f"{spec.table}: the combined file does not read back"
    return stats
