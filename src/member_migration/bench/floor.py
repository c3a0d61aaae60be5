"""The floor: the least any pipeline must do with the same data on the same server.

Every pipeline has to read each file into the database once and write at least one table
from it. The floor does exactly that and nothing more: a plain ``COPY`` (CSV, header, the
file's encoding) of each file into a table of text columns, then one
``create table ... as select *`` of each. Its time, measured on the same server in the same
run, is the yardstick the pipeline's total is divided by.

The floor reads the records the loader could read. The export packages hold a few damaged
records on purpose (bytes cut in half, wrong field counts), which make a plain ``COPY`` fail, so
``prepare_floor_inputs`` (not timed) writes each file again from ``raw``: the same records, the
same columns in the same order, in the file's own encoding (GB18030 files stay GB18030 and
cost their conversion). Only the loader's rejects (a handful per hundred thousand) are missing.
"""

from __future__ import annotations

import contextlib
import csv
import io
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

FLOOR_SCHEMA = "bench_floor"
_CHUNK = 1 << 20

#: the loader's encoding names -> PostgreSQL's
_PG_ENCODING = {"utf-8": "UTF8", "utf-8-sig": "UTF8", "gb18030": "GB18030"}


@dataclass(frozen=True)
class FloorFile:
    table: str
    path: Path
    columns: tuple[str, ...]
    encoding: str  # PostgreSQL's name
    records: int


@dataclass(frozen=True)
class FloorResult:
    copy_seconds: float
    ctas_seconds: float
    rows: dict[str, int]

    @property
    def seconds(self) -> float:
        return self.copy_seconds + self.ctas_seconds


def header_columns(path: Path, encoding: str) -> tuple[str, ...]:
    """The column names of a CSV file's header line, in the file's order."""
    codec = {"UTF8": "utf-8-sig", "GB18030": "gb18030"}.get(encoding, encoding)
    with Path(path).open("rb") as handle:
        first = handle.readline()
    text = first.decode(codec).rstrip("\r\n")
    return tuple(next(csv.reader(io.StringIO(text))))


def prepare_floor_inputs(conninfo: str, package: Path, work_dir: Path) -> list[FloorFile]:
    """Write the floor's input files (the loaded records of the latest batch) to ``work_dir``."""
    work_dir.mkdir(parents=True, exist_ok=True)
    files = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        manifest = conn.execute(
            """
            select source_table, file_name, encoding, records_loaded, batch_id
            from raw.batch_manifest
            where batch_id = (select max(batch_id) from raw.batch_manifest)
            order by source_table
            """
        ).fetchall()
        for table, file_name, encoding, records, batch_id in manifest:
            pg_encoding = _PG_ENCODING.get(encoding, encoding.upper())
            columns = header_columns(Path(package) / file_name, pg_encoding)
            target = work_dir / file_name
            query = sql.SQL(
                "copy (select {columns} from {table} where _batch_id = {batch} "
                "order by _record_number) to stdout "
                "with (format csv, header true, encoding {encoding})"
            ).format(
                columns=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
                table=sql.Identifier("raw", table),
                batch=sql.Literal(batch_id),
                encoding=sql.Literal(pg_encoding),
            )
            with target.open("wb") as out, conn.cursor().copy(query) as copy:
                for data in copy:
                    out.write(data)
            files.append(FloorFile(table, target, columns, pg_encoding, int(records)))
    return files


def run_floor(conninfo: str, files: list[FloorFile]) -> FloorResult:
    """COPY each file into a text table, then ``create table as select *`` of each; timed."""
    schema = sql.Identifier(FLOOR_SCHEMA)
    rows: dict[str, int] = {}
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(schema))
        conn.execute(sql.SQL("create schema {}").format(schema))
        # as the loader's raw tables: created before, filled by COPY in a transaction of its own
        for f in files:
            conn.execute(
                sql.SQL("create table {} ({})").format(
                    sql.Identifier(FLOOR_SCHEMA, f.table),
                    sql.SQL(", ").join(
                        sql.SQL("{} text").format(sql.Identifier(c)) for c in f.columns
                    ),
                )
            )
        with contextlib.suppress(psycopg.Error):  # needs superuser; only evens the start
            conn.execute("checkpoint")
        started = time.perf_counter()
        for f in files:
            statement = sql.SQL(
                "copy {} ({}) from stdin with (format csv, header true, encoding {})"
            ).format(
                sql.Identifier(FLOOR_SCHEMA, f.table),
                sql.SQL(", ").join(sql.Identifier(c) for c in f.columns),
                sql.Literal(f.encoding),
            )
            with conn.transaction(), conn.cursor() as cur:
                with f.path.open("rb") as handle, cur.copy(statement) as copy:
                    while chunk := handle.read(_CHUNK):
                        copy.write(chunk)
                rows[f.table] = cur.rowcount
        copied = time.perf_counter()
        for f in files:
            conn.execute(
                sql.SQL("create table {} as select * from {}").format(
                    sql.Identifier(FLOOR_SCHEMA, f.table + "_ctas"),
                    sql.Identifier(FLOOR_SCHEMA, f.table),
                )
            )
        finished = time.perf_counter()
        conn.execute(sql.SQL("drop schema {} cascade").format(schema))
    return FloorResult(copied - started, finished - copied, rows)
