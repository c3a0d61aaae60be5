"""The raw layer in PostgreSQL: connection, lock, idempotent DDL and the manifest queries.

The tables are those of docs/architecture.md ("Raw layer"); the dbt staging models read them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql

from member_migration.contract import EXPORT_FILES, LINEAGE_COLUMNS, ExportFile
from member_migration.loader.errors import LoadError

_logger = logging.getLogger(__name__)

RAW_SCHEMA = "raw"
MANIFEST_TABLE = "batch_manifest"
REJECTS_TABLE = "load_rejects"

#: Key of the session-level advisory lock every load holds from start to end, so that two loads
#: never interleave (their batches stay whole and batch ids follow load order). Constant so that
#: operators and tests can see it in ``pg_locks`` (``objid`` = low 32 bits).
ADVISORY_LOCK_KEY = 0x6D6D5F6C6F6164  # "mm_load"

APPLICATION_NAME = "member-migration load"

_LINEAGE_TYPES: dict[str, str] = {
    "_batch_id": "bigint",
    "_source_file": "text",
    "_record_number": "bigint",
    "_loaded_at": "timestamp with time zone",
}

_MANIFEST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("batch_id", "bigint"),
    ("package_path", "text"),
    ("file_name", "text"),
    ("source_table", "text"),
    ("sha256", "text"),
    ("encoding", "text"),
    ("records_read", "bigint"),
    ("records_loaded", "bigint"),
    ("records_rejected", "bigint"),
    ("started_at", "timestamp with time zone"),
    ("finished_at", "timestamp with time zone"),
    ("package_sha256", "text"),
    ("records_erased", "bigint"),
)

#: The manifest as loaders before erasure support made it (no ``records_erased``): upgraded in
#: place by ``ensure_raw_layer``.
_MANIFEST_COLUMNS_BEFORE_ERASURE = _MANIFEST_COLUMNS[:-1]

#: The check that every record read is accounted for; named so that an upgrade can replace it.
MANIFEST_CHECK = "batch_manifest_records_add_up"

_REJECTS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("batch_id", "bigint"),
    ("source_table", "text"),
    ("source_file", "text"),
    ("record_number", "bigint"),
    ("reason", "text"),
    ("raw_bytes", "bytea"),
    ("raw_text", "text"),
)

_MANIFEST_DDL = """
create table raw.batch_manifest (
    batch_id bigint not null,
    package_path text not null,
    file_name text not null,
    source_table text not null,
    sha256 text not null,
    encoding text not null,
    records_read bigint not null,
    records_loaded bigint not null,
    records_rejected bigint not null,
    started_at timestamptz not null,
    finished_at timestamptz not null,
    package_sha256 text not null,
    records_erased bigint not null default 0,
    primary key (batch_id, source_table),
    constraint batch_manifest_records_add_up
        check (records_read = records_loaded + records_rejected + records_erased)
);
comment on table raw.batch_manifest is
    'One row per export file loaded by member-migration load (written in the file''s own '
    'transaction, so a row exists iff the file is fully loaded). A package whose files were '
    'all loaded before is not loaded again; any other package is a new batch with all its '
    'files, a file some earlier package also held among them (its rows are then the newest).';
comment on column raw.batch_manifest.batch_id is
    'Load batch: one per export package, increasing with load order.';
comment on column raw.batch_manifest.package_path is 'Folder the package was loaded from.';
comment on column raw.batch_manifest.file_name is 'File name as found in the package.';
comment on column raw.batch_manifest.source_table is 'Raw table (contract file name without .csv).';
comment on column raw.batch_manifest.sha256 is 'SHA-256 of the file''s bytes.';
comment on column raw.batch_manifest.encoding is 'Detected encoding: utf-8, utf-8-sig or gb18030.';
comment on column raw.batch_manifest.records_read is
    'Data records in the file (header and empty lines not counted).';
comment on column raw.batch_manifest.records_loaded is 'Records loaded into the raw table.';
comment on column raw.batch_manifest.records_rejected is 'Records written to raw.load_rejects.';
comment on column raw.batch_manifest.records_erased is
    'Records skipped because an erasure request tombstoned them (raw.erasure_tombstones): their '
    'own key, their parent''s key, the row itself or its rejected bytes.';
comment on column raw.batch_manifest.package_sha256 is
    'Identity of the package the file came with (hash of its files'' tables and sha256): a '
    'load of the same package after an interruption continues its batch.';
"""

_REJECTS_DDL = """
create table raw.load_rejects (
    batch_id bigint not null,
    source_table text not null,
    source_file text not null,
    record_number bigint not null,
    reason text not null,
    raw_bytes bytea not null,
    raw_text text not null,
    primary key (batch_id, source_table, record_number)
);
comment on table raw.load_rejects is
    'One row per record the loader could not read (wrong field count, NUL byte, bytes invalid '
    'in the file''s encoding, broken quoting), kept verbatim.';
comment on column raw.load_rejects.record_number is
    '1-based number of the data record in its file (header not counted).';
comment on column raw.load_rejects.reason is
    'Why: a code (wrong_field_count, nul_byte, undecodable_bytes, bad_quoting), a colon, the '
    'detail.';
comment on column raw.load_rejects.raw_bytes is
    'The record''s exact bytes, without its line break.';
comment on column raw.load_rejects.raw_text is
    'raw_bytes decoded for humans, undecodable bytes shown as \\xNN.';
"""


@dataclass(frozen=True)
class ManifestRow:
    """A file already loaded, as ``raw.batch_manifest`` remembers it (the columns used here)."""

    batch_id: int
    package_path: str
    file_name: str
    source_table: str
    sha256: str
    encoding: str
    records_read: int
    records_loaded: int
    records_rejected: int
    records_erased: int = 0


def connect(conninfo: str) -> psycopg.Connection:
    """Open the loader's connection (autocommit; each file opens its own transaction)."""
    try:
        conn = psycopg.connect(
            conninfo,
            autocommit=True,
            client_encoding="UTF8",
            application_name=APPLICATION_NAME,
        )
    except psycopg.OperationalError as exc:
        raise LoadError(
            f"Cannot connect to PostgreSQL: {str(exc).strip()}. Start the warehouse "
            "(member-migration warehouse start) or check the PG* variables."
        ) from exc
    encoding = conn.execute("show server_encoding").fetchone()[0]
    if encoding.upper() not in ("UTF8", "UTF-8"):
        conn.close()
        raise LoadError(
            f"The database's encoding is {encoding}; the legacy exports hold Chinese text and "
            "emoji, which need a UTF8 database. Create the database with ENCODING 'UTF8'."
        )
    return conn


@contextmanager
def advisory_lock(conn: psycopg.Connection, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold the loader's session lock; call ``on_wait`` first when another load holds it."""
    got = conn.execute("select pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()[0]
    if not got:
        _logger.info("another load is running; waiting for it to finish")
        on_wait()
        conn.execute("select pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
    try:
        yield
    finally:
        if not conn.closed and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            conn.execute("select pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))


def raw_columns(spec: ExportFile) -> tuple[tuple[str, str], ...]:
    """The columns of a raw table: the contract's, as text, then the lineage columns."""
    return tuple((c, "text") for c in spec.columns) + tuple(
        (c, _LINEAGE_TYPES[c]) for c in LINEAGE_COLUMNS
    )


def _raw_table_ddl(spec: ExportFile) -> sql.Composed:
    """A raw table. Its grain is (_batch_id, _record_number), unique by construction (one file
    per table and batch, numbered by the loader); no index enforces it, because maintaining
    one costs a fifth of the COPY time and nothing else writes these tables. Every column is
    ``not null``: an empty field is the empty string, never NULL."""
    columns = [
        sql.SQL("{} {} not null").format(sql.Identifier(name), sql.SQL(data_type))
        for name, data_type in raw_columns(spec)
    ]
    table = sql.Identifier(RAW_SCHEMA, spec.table)
    return sql.SQL(
        "create table {table} ({columns});\n"
        "comment on table {table} is {comment};\n"
        "comment on column {table}._batch_id is 'Load batch (raw.batch_manifest).';\n"
        "comment on column {table}._source_file is 'File name as found in the package.';\n"
        "comment on column {table}._record_number is "
        "'1-based number of the data record in its file (header not counted).';\n"
        "comment on column {table}._loaded_at is 'When the file was loaded.';"
    ).format(
        table=table,
        columns=sql.SQL(", ").join(columns),
        comment=sql.Literal(
            f"{spec.file_name} as exported, every value as text exactly as in the file "
            "(empty field = empty string); one row per readable record of each loaded batch."
        ),
    )


def ensure_raw_layer(conn: psycopg.Connection) -> None:
    """Create schema ``raw`` and its tables when missing; refuse tables of another shape."""
    wanted: dict[str, tuple[tuple[str, str], ...]] = {
        spec.table: raw_columns(spec) for spec in EXPORT_FILES
    }
    wanted[MANIFEST_TABLE] = _MANIFEST_COLUMNS
    wanted[REJECTS_TABLE] = _REJECTS_COLUMNS
    with conn.transaction():
        conn.execute("create schema if not exists raw")
        rows = conn.execute(
            """
            select table_name::text, column_name::text, data_type::text
            from information_schema.columns
            where table_schema = %s and table_name = any(%s)
            order by table_name, ordinal_position
            """,
            (RAW_SCHEMA, list(wanted)),
        ).fetchall()
        existing: dict[str, list[tuple[str, str]]] = {}
        for table, column, data_type in rows:
            existing.setdefault(table, []).append((column, data_type))
        if tuple(existing.get(MANIFEST_TABLE, ())) == _MANIFEST_COLUMNS_BEFORE_ERASURE:
            _upgrade_manifest(conn)
            existing[MANIFEST_TABLE] = list(_MANIFEST_COLUMNS)
        if MANIFEST_TABLE in existing:
            _drop_unique_file_content(conn)
        for table, columns in wanted.items():
            if table in existing:
                if tuple(existing[table]) != columns:
                    found = ", ".join(f"{c} {t}" for c, t in existing[table])
                    raise LoadError(
                        f"The table raw.{table} exists with other columns than the loader "
                        f"writes (found: {found}). It was made by another version or by hand: "
                        "rename or drop it (and the batches it holds) and load again."
                    )
                continue
            _logger.info("creating raw.%s", table)
            if table == MANIFEST_TABLE:
                conn.execute(_MANIFEST_DDL)
            elif table == REJECTS_TABLE:
                conn.execute(_REJECTS_DDL)
            else:
                conn.execute(_raw_table_ddl(next(f for f in EXPORT_FILES if f.table == table)))


def _drop_unique_file_content(conn: psycopg.Connection) -> None:
    """Drop the ``unique (source_table, sha256)`` of manifests made by loaders that skipped a
    file whose content an earlier package had loaded: a new package is now a new batch with
    all its files (migration-rules.md section 4: the most recently loaded batch wins)."""
    names = conn.execute(
        """
        select con.conname::text
        from pg_constraint as con
        where con.conrelid = 'raw.batch_manifest'::regclass and con.contype = 'u'
            and (
                select array_agg(att.attname::text order by att.attname)
                from pg_attribute as att
                where att.attrelid = con.conrelid and att.attnum = any(con.conkey)
            ) = array['sha256', 'source_table']
        """
    ).fetchall()
    for (name,) in names:
        _logger.info("dropping %s from raw.batch_manifest", name)
        conn.execute(
            sql.SQL("alter table raw.batch_manifest drop constraint {}").format(
                sql.Identifier(name)
            )
        )


def _upgrade_manifest(conn: psycopg.Connection) -> None:
    """Give a manifest made before erasure support its ``records_erased`` column and the check
    that counts it (every existing row: 0 erased, so the new check holds)."""
    _logger.info("adding records_erased to raw.batch_manifest")
    conn.execute(
        "alter table raw.batch_manifest "
        "add column if not exists records_erased bigint not null default 0"
    )
    checks = conn.execute(
        """
        select conname::text from pg_constraint
        where conrelid = 'raw.batch_manifest'::regclass and contype = 'c' and conname <> %s
            and pg_get_constraintdef(oid) like '%%records_read%%'
        """,
        (MANIFEST_CHECK,),
    ).fetchall()
    for (name,) in checks:
        conn.execute(
            sql.SQL("alter table raw.batch_manifest drop constraint {}").format(
                sql.Identifier(name)
            )
        )
    conn.execute(
        sql.SQL(
            "alter table raw.batch_manifest add constraint {} "
            "check (records_read = records_loaded + records_rejected + records_erased)"
        ).format(sql.Identifier(MANIFEST_CHECK))
    )
    conn.execute(
        "comment on column raw.batch_manifest.records_erased is "
        "'Records skipped because an erasure request tombstoned them (raw.erasure_tombstones).'"
    )


def loaded_files(
    conn: psycopg.Connection, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], ManifestRow]:
    """Manifest rows of the files already loaded among ``(source_table, sha256)`` keys (the
    latest batch's row when several packages held the same file)."""
    rows = conn.execute(
        """
        select batch_id, package_path, file_name, source_table, sha256, encoding,
            records_read, records_loaded, records_rejected, records_erased
        from raw.batch_manifest
        where sha256 = any(%s)
        order by batch_id
        """,
        ([sha for _, sha in keys],),
    ).fetchall()
    wanted = set(keys)
    found = {}
    for row in rows:
        manifest = ManifestRow(*row)
        key = (manifest.source_table, manifest.sha256)
        if key in wanted:
            found[key] = manifest
    return found


def loaded_file_keys(
    conn: psycopg.Connection, keys: Sequence[tuple[str, str]]
) -> set[tuple[str, str]]:
    """The ``(source_table, sha256)`` keys among ``keys`` already loaded. Reads only columns
    every manifest version has, so it works before ``ensure_raw_layer`` upgrades an old one."""
    rows = conn.execute(
        "select source_table, sha256 from raw.batch_manifest where sha256 = any(%s)",
        ([sha for _, sha in keys],),
    ).fetchall()
    return set(keys) & {(table, sha) for table, sha in rows}


def batch_files(conn: psycopg.Connection, batch_id: int) -> dict[tuple[str, str], ManifestRow]:
    """Manifest rows of the files loaded into ``batch_id``, by ``(source_table, sha256)``."""
    rows = conn.execute(
        """
        select batch_id, package_path, file_name, source_table, sha256, encoding,
            records_read, records_loaded, records_rejected, records_erased
        from raw.batch_manifest
        where batch_id = %s
        """,
        (batch_id,),
    ).fetchall()
    found = {}
    for row in rows:
        manifest = ManifestRow(*row)
        found[(manifest.source_table, manifest.sha256)] = manifest
    return found


def package_batch(conn: psycopg.Connection, package_sha256: str) -> int | None:
    """The batch an earlier (interrupted) load of the same package wrote into, if any."""
    return conn.execute(
        "select max(batch_id) from raw.batch_manifest where package_sha256 = %s",
        (package_sha256,),
    ).fetchone()[0]


def last_batch_id(conn: psycopg.Connection) -> int:
    """The highest batch id loaded so far (0 before the first load)."""
    return conn.execute("select coalesce(max(batch_id), 0) from raw.batch_manifest").fetchone()[0]


def batch_rejects(
    conninfo: str, batch_id: int, limit: int = 10
) -> tuple[list[tuple[str, int, str]], int]:
    """The first ``limit`` records the loader rejected in ``batch_id`` as ``(source_file,
    record_number, reason)``, in file and record order, and how many there are in all."""
    with connect(conninfo) as conn:
        first = conn.execute(
            """
            select source_file, record_number, reason
            from raw.load_rejects
            where batch_id = %s
            order by source_file, record_number
            limit %s
            """,
            (batch_id, limit),
        ).fetchall()
        total = conn.execute(
            "select count(*) from raw.load_rejects where batch_id = %s", (batch_id,)
        ).fetchone()[0]
    return [tuple(r) for r in first], total
