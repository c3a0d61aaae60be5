"""``load_package``: one export package into schema ``raw`` as one batch, nothing lost.

Order of work, and why:

1. Look at the whole package first (``package.plan_package``): every header is checked and
   every file hashed and its encoding detected before anything is written, so a bad header
   refuses the package as a whole.
2. Take the loader's advisory lock, so two loads never interleave, and create the raw layer
   if it is missing.
3. When every file of the package was loaded before (same table and sha256, whatever the
   path), nothing changes. Otherwise choose the batch: the batch an interrupted load of this
   same package started (``raw.batch_manifest.package_sha256``), whose files already loaded
   are skipped, else a new batch, one above the highest so far, with all the package's files,
   even one whose bytes an earlier package also held (a full export sent again after a delta:
   its rows are the most recently loaded ones, and win, migration-rules.md section 4).
4. Load each remaining file in its own transaction: its readable records go to
   ``raw.<table>`` through ``COPY``, its unreadable ones to ``raw.load_rejects``, and its row to
   ``raw.batch_manifest`` in the same transaction. A load killed half way therefore leaves
   whole files only, and running it again loads the rest into the same batch.

Records are written exactly as they are in the file: no trimming, no NULL (an empty field is
the empty string), only the header's byte-order mark removed.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from member_migration.contract import LINEAGE_COLUMNS
from member_migration.erasure.tombstones import Tombstones, load_tombstones
from member_migration.loader import database
from member_migration.loader.encoding import CODEC_FOR, readable_text, strip_bom
from member_migration.loader.errors import LoadError
from member_migration.loader.package import PackageFile, PackagePlan, plan_package
from member_migration.loader.progress import LoadProgress, ProgressCallback, make_reporter
from member_migration.loader.records import (
    Record,
    RereadableLines,
    is_single_line_record,
    parse_quoted_record,
    read_lines,
)
from member_migration.loader.summary import FileSummary, LoadSummary

_logger = logging.getLogger(__name__)

_QUOTE = ord('"')

#: Rows sent to COPY per write (and between two progress events).
_ROWS_PER_WRITE = 20_000


def load_package(
    conninfo: str,
    package_dir: Path,
    *,
    progress: bool | ProgressCallback = False,
    plan: PackagePlan | None = None,
) -> LoadSummary:
    """Load the export package in ``package_dir`` into schema ``raw`` of ``conninfo``.

    Returns what was loaded, skipped and rejected; raises ``LoadError`` when the package (or the
    database) is refused. ``progress`` is ``True`` for a rich progress bar on stderr, or a
    callable receiving ``LoadProgress`` events. ``plan`` is the package's ``plan_package`` when
    the caller already made it (the CLI does, to decide on a backup), so files are hashed once.
    """
    started = time.perf_counter()
    if plan is None or plan.directory != Path(package_dir).expanduser().resolve():
        plan = plan_package(Path(package_dir))
    reporter = make_reporter(progress)
    try:
        with (
            reporter,
            database.connect(conninfo) as conn,
            database.advisory_lock(conn, lambda: reporter(LoadProgress("waiting"))),
        ):
            database.ensure_raw_layer(conn)
            files, batch_id, resumed = _load_under_lock(conn, plan, reporter)
    except psycopg.Error as exc:
        raise LoadError(
            f"PostgreSQL refused the load ({str(exc).strip()}). Files loaded before the error "
            "stay loaded; fix the problem and load the package again to finish it."
        ) from exc
    return LoadSummary(
        package_dir=plan.directory,
        batch_id=batch_id,
        resumed=resumed,
        files=files,
        unknown_files=plan.unknown,
        seconds=time.perf_counter() - started,
    )


def _load_under_lock(
    conn: psycopg.Connection, plan: PackagePlan, reporter: ProgressCallback
) -> tuple[tuple[FileSummary, ...], int | None, bool]:
    keys = [(pf.table, pf.fingerprint.sha256) for pf in plan.files]
    before = database.loaded_files(conn, keys)
    tombstones = load_tombstones(conn)
    all_loaded = len(before) == len(set(keys))
    batch_id, resumed = (None, False) if all_loaded else _choose_batch(conn, plan)
    # Skipped: every file, when all were loaded before; the files the interrupted load of this
    # package already wrote, when it resumes; none in a new batch.
    done = before if all_loaded else {}
    if resumed:
        _logger.info("resuming batch %s, started by an interrupted load of this package", batch_id)
        done = database.batch_files(conn, batch_id)
    summaries = []
    for pf in plan.files:
        earlier = done.get((pf.table, pf.fingerprint.sha256))
        if earlier is not None:
            _logger.info("%s: loaded before in batch %s, skipped", pf.name, earlier.batch_id)
            reporter(LoadProgress("skipped", pf.name, pf.table, bytes_total=pf.fingerprint.size))
            summaries.append(
                FileSummary(
                    file_name=pf.name,
                    table=pf.table,
                    skipped=True,
                    batch_id=earlier.batch_id,
                    encoding=earlier.encoding,
                    sha256=earlier.sha256,
                    records_read=earlier.records_read,
                    records_loaded=earlier.records_loaded,
                    records_rejected=earlier.records_rejected,
                    records_erased=earlier.records_erased,
                    loaded_before_from=earlier.package_path,
                )
            )
            continue
        assert batch_id is not None
        summaries.append(_load_file(conn, pf, batch_id, plan, reporter, tombstones))
    return tuple(summaries), batch_id, resumed


def _choose_batch(conn: psycopg.Connection, plan: PackagePlan) -> tuple[int, bool]:
    """The batch to load into, and whether it continues an interrupted load of this package.

    The same package (same contract files, same contents, whatever the folder) continues the
    batch its interrupted load started, so that the whole package stays one batch; any other
    package gets a new batch, one above the highest so far.
    """
    earlier = database.package_batch(conn, plan.sha256)
    if earlier is not None:
        return earlier, True
    return database.last_batch_id(conn) + 1, False


class _Reading:
    """Every byte of a file as it is read: hashed (to prove it is the file that was checked)
    and counted (for the progress bar)."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.bytes_read = 0

    def __call__(self, chunk: bytes) -> None:
        self.digest.update(chunk)
        self.bytes_read += len(chunk)


def _escape_copy(text: str) -> str:
    """Escape a value for COPY's text format (backslash, tab, CR, LF)."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text:
        text = text.replace("\t", "\\t")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    if "\n" in text:
        text = text.replace("\n", "\\n")
    return text


def _escape_copy_bytes(data: bytes) -> bytes:
    """``_escape_copy`` for UTF-8 bytes (a record without LF, read on the fast path)."""
    return data.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\r", b"\\r")


def _reject_reason(record: Record, codec: str, encoding: str, width: int) -> str | None:
    """Why the record cannot be loaded, or None. Checked in this order: quoting, NUL, encoding,
    field count (the first problem found is the reason)."""
    content = record.content
    if record.problem:
        return record.problem
    nul = content.find(b"\x00")
    if nul >= 0:
        return f"nul_byte: a NUL byte at byte {nul + 1} of the record"
    try:
        content.decode(codec)
    except UnicodeDecodeError as exc:
        bad = content[exc.start : exc.end].hex(" ")
        return (
            f"undecodable_bytes: byte(s) {bad} at byte {exc.start + 1} of the record are not valid "
            f"{encoding}"
        )
    count = record.field_count
    if count != width:
        return f"wrong_field_count: {count} fields, the header has {width}"
    return None


@dataclass
class _FileCounts:
    records: int = 0
    loaded: int = 0
    blank: int = 0
    #: Records skipped because an erasure request tombstoned them.
    erased: int = 0
    rejects: list[tuple[int, str, bytes]] = field(default_factory=list)


def _stream_rows(
    lines: Iterator[bytes],
    write: Callable[[bytes], None],
    *,
    encoding: str,
    width: int,
    lineage: tuple[bytes, bytes],
    on_progress: Callable[[int], None],
    erased: Callable[[Sequence[str]], bool] | None = None,
    reject_erased: Callable[[bytes], bool] | None = None,
) -> _FileCounts:
    """Turn the file's lines into COPY text rows (values, then lineage), rejects aside.

    Three ways through, fastest first, all giving the same values:

    - a line without a quote (most lines of most files) stays in bytes: its fields are the
      comma-separated parts, and a comma never occurs inside a multi-byte character, so a
      UTF-8 record is checked by decoding it and sent as it is, commas turned into tabs (a
      GB18030 record is decoded and re-encoded as UTF-8, the connection's encoding);
    - a line that is a whole well-formed record with quotes (files quoting every field) is
      decoded and split by the csv module, which agrees with RFC 4180 on such a line;
    - anything else (a quoted field spanning lines, broken quoting, a record to reject) goes
      through the careful parser, which also says why a record is rejected.

    ``erased`` (given only when an erasure request left tombstones for this table or its
    parent) tests each readable record's fields; ``reject_erased`` each unreadable record's
    bytes. A record they match is skipped and counted as erased.
    """
    codec = CODEC_FOR[encoding]
    transcode = codec != "utf-8"
    head, tail = lineage
    commas = width - 1
    counts = _FileCounts()
    rejects = counts.rejects
    buffer: list[bytes] = []
    header_seen = False
    records = 0
    lines = RereadableLines(lines)
    for line in lines:
        record: Record | None = None
        content = line[:-1] if line.endswith(b"\r") else line
        quoted = _QUOTE in line  # an int: a memchr, several times faster than b'"' in line
        if quoted:
            if not is_single_line_record(content):
                record = parse_quoted_record(line, lines)
                content = record.content
        elif not content:
            counts.blank += 1
            continue
        if not header_seen:
            header_seen = True
            continue
        records += 1
        row: bytes | None = None
        fields: list[str] | None = None
        if record is None and 0 not in content:
            try:
                text = content.decode(codec) if quoted or transcode else None
                if not quoted:
                    if content.count(b",") == commas:
                        if text is None:
                            content.decode("utf-8")  # strict: raises on a damaged character
                            row = content
                        else:
                            row = text.encode("utf-8")
                        if 92 in row or 9 in row or 13 in row:  # backslash, tab, CR
                            row = _escape_copy_bytes(row)
                        row = row.replace(b",", b"\t")
                elif "\r" not in text:  # the csv module would take a lone CR for a line end
                    fields = next(csv.reader((text,)))
                    if len(fields) == width:
                        escaped = fields
                        if "\\" in text or "\t" in text:
                            escaped = [_escape_copy(f) for f in fields]
                        row = "\t".join(escaped).encode("utf-8")
            except (UnicodeDecodeError, csv.Error):  # csv.Error: a field over its size limit
                row = None
        if row is None:
            if record is None:
                record = parse_quoted_record(line, iter(())) if quoted else Record(content)
            reason = _reject_reason(record, codec, encoding, width)
            if reason is not None:
                if reject_erased is not None and reject_erased(content):
                    counts.erased += 1
                else:
                    rejects.append((records, reason, content))
                continue
            fields = [f.decode(codec) for f in record.fields]
            row = "\t".join(_escape_copy(f) for f in fields).encode("utf-8")
        if erased is not None:
            if fields is None:
                fields = content.decode(codec).split(",")
            if erased(fields):
                counts.erased += 1
                continue
        buffer.append(b"%b%b%d%b" % (row, head, records, tail))
        if len(buffer) >= _ROWS_PER_WRITE:
            write(b"".join(buffer))
            counts.loaded += len(buffer)
            buffer.clear()
            on_progress(records)
    if buffer:
        write(b"".join(buffer))
        counts.loaded += len(buffer)
    counts.records = records
    return counts


def _load_file(
    conn: psycopg.Connection,
    pf: PackageFile,
    batch_id: int,
    plan: PackagePlan,
    reporter: ProgressCallback,
    tombstones: Tombstones,
) -> FileSummary:
    """Load one file in one transaction (rows, rejects and its manifest row together); rows
    an erasure request tombstoned are skipped and counted."""
    encoding = pf.fingerprint.encoding
    table = sql.Identifier(database.RAW_SCHEMA, pf.table)
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in pf.header + LINEAGE_COLUMNS)
    copy_rows = sql.SQL("copy {} ({}) from stdin").format(table, columns)
    total = pf.fingerprint.size
    reporter(LoadProgress("started", pf.name, pf.table, bytes_total=total))
    started = time.perf_counter()
    try:
        with conn.transaction(), conn.cursor() as cur:
            loaded_at = cur.execute("select now()").fetchone()[0]
            lineage = (
                f"\t{batch_id}\t{_escape_copy(pf.name)}\t".encode(),
                f"\t{loaded_at.isoformat()}\n".encode(),
            )
            with pf.path.open("rb") as stream, cur.copy(copy_rows) as copy:
                reading = _Reading()
                counts = _stream_rows(
                    strip_bom(read_lines(stream, reading), pf.fingerprint.bom),
                    copy.write,
                    encoding=encoding,
                    width=len(pf.header),
                    lineage=lineage,
                    erased=tombstones.row_matcher(pf.spec, pf.header),
                    reject_erased=tombstones.reject_matcher(pf.spec),
                    on_progress=lambda records: reporter(
                        LoadProgress(
                            "progress", pf.name, pf.table, records, reading.bytes_read, total
                        )
                    ),
                )
            rejects = counts.rejects
            if reading.digest.hexdigest() != pf.fingerprint.sha256:
                raise LoadError(
                    f"{pf.name}: the file changed while it was being loaded (its sha256 is not "
                    "what it was when the package was checked). Nothing of it was loaded; load "
                    "the package again once the file is complete.",
                    file_name=pf.name,
                )
            if rejects:
                _write_rejects(cur, batch_id, pf, encoding, rejects)
            cur.execute(
                """
                insert into raw.batch_manifest (
                    batch_id, package_path, file_name, source_table, sha256, encoding,
                    records_read, records_loaded, records_rejected, started_at, finished_at,
                    package_sha256, records_erased
                )
                values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, clock_timestamp(), %s, %s)
                """,
                (
                    batch_id,
                    str(plan.directory),
                    pf.name,
                    pf.table,
                    pf.fingerprint.sha256,
                    encoding,
                    counts.records,
                    counts.loaded,
                    len(rejects),
                    loaded_at,
                    plan.sha256,
                    counts.erased,
                ),
            )
    except OSError as exc:
        raise LoadError(
            f"{pf.name}: cannot read the file ({exc.strerror or exc}); nothing of it was loaded. "
            "Fix the problem and load the package again: files loaded already are skipped.",
            file_name=pf.name,
        ) from exc
    except psycopg.Error as exc:
        raise LoadError(
            f"{pf.name}: PostgreSQL refused the load ({str(exc).strip()}); nothing of this file "
            "was loaded. Fix the problem and load the package again: files loaded already are "
            "skipped.",
            file_name=pf.name,
        ) from exc
    seconds = time.perf_counter() - started
    if rejects:
        _logger.info(
            "%s: %d record(s) rejected (raw.load_rejects), first: record %d, %s",
            pf.name,
            len(rejects),
            rejects[0][0],
            rejects[0][1],
        )
    if counts.erased:
        _logger.info(
            "%s: %d record(s) skipped: an erasure request removed them (raw.erasure_tombstones)",
            pf.name,
            counts.erased,
        )
    reporter(LoadProgress("loaded", pf.name, pf.table, counts.records, total, total))
    return FileSummary(
        file_name=pf.name,
        table=pf.table,
        skipped=False,
        batch_id=batch_id,
        encoding=encoding,
        sha256=pf.fingerprint.sha256,
        records_read=counts.records,
        records_loaded=counts.loaded,
        records_rejected=len(rejects),
        records_erased=counts.erased,
        blank_lines=counts.blank,
        seconds=seconds,
    )


def _write_rejects(
    cur: psycopg.Cursor,
    batch_id: int,
    pf: PackageFile,
    encoding: str,
    rejects: list[tuple[int, str, bytes]],
) -> None:
    """Unreadable records, verbatim, into ``raw.load_rejects`` (COPY as well)."""
    statement = sql.SQL(
        "copy {} (batch_id, source_table, source_file, record_number, reason, raw_bytes, "
        "raw_text) from stdin"
    ).format(sql.Identifier(database.RAW_SCHEMA, database.REJECTS_TABLE))
    with cur.copy(statement) as copy:
        for number, reason, raw in rejects:
            copy.write_row(
                (batch_id, pf.table, pf.name, number, reason, raw, readable_text(raw, encoding))
            )
