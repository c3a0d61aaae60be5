"""``erase``: remove one person from the warehouse on request (PIPL Art. 47), in one transaction.

Who the person is, from one identifier (a mobile, a national ID or a member id):

1. the member(s) holding it in the last build (``intermediate.int_member_records_matched``);
   a mobile or ID that is a placeholder (shared by more than ``max_records_per_match_key``
   records, ``int_member_match_keys.is_overshared``) is refused: it names no one person;
2. the person's identifiers: every valid mobile, national ID, email and unionid of those
   members' records, and the one asked for;
3. every raw member row, any version (duplicate, superseded, quarantined, or loaded after the
   last build), whose parsed mobile, ID, email or unionid is one of them (the staging views parse
   every raw row);
4. the person's keys: the keys of the members' records and of those rows, except a key whose
   record belongs to another member in the last build; every raw row of those keys goes, and
   every child row (points log, transaction, order, coupon) naming one as its parent, and every
   raw row of those children's keys. A matching row of another member's key (an old version
   that held the person's mobile) goes alone;
5. every ``raw.load_rejects`` row whose text holds one of the identifiers, or one of the
   person's names as a whole field.

What is removed, in one transaction under the loader's lock: those rows from ``raw``; from every
table of ``snapshots`` the rows of those keys, rows and members; from every other table of every
other schema (marts, pii, audit, intermediate, and the publish step's candidate and previous
schemas) the rows naming those members, keys or rows. Which columns name them is decided per
table from its columns (``_ROW_RULES``), so tables added later are covered when they follow the
project's column names. Each removed raw row leaves a salted tombstone (``tombstones.py``); the
request is recorded in ``audit.erasure_requests`` (hash of the identifier, never the value) with
the rows removed per table in ``audit.erasure_removals``, which also keeps, per legacy file, the
parseable points, stored value and open coupons of the removed winning rows, so that the
reconciliation still adds up (``erased_value``).
"""

from __future__ import annotations

import getpass
import logging
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import psycopg
from psycopg import sql

from member_migration.contract import EXPORT_FILES, FILES_BY_TABLE, ExportFile
from member_migration.erasure import tombstones as tomb
from member_migration.generator.rules import parse_mobile, parse_national_id
from member_migration.loader.database import ADVISORY_LOCK_KEY

_logger = logging.getLogger(__name__)

APPLICATION_NAME = "member-migration erase"

#: Identifier kinds a request may name, as the CLI options say them.
KINDS = ("mobile", "id_card", "member_id")

_MEMBER_ID_RE = re.compile(r"^M[0-9]{18}$")

#: The staging view of each legacy file (one row per raw row, parsed) and, for member files,
#: the parsed identifier columns (match key type -> column) and the name column.
_STAGING: dict[str, tuple[str, dict[str, str], str | None]] = {
    "pos_member_card": (
        "stg_pos__member_cards",
        {"mobile": "mobile", "id_card_no": "id_card_no"},
        "member_name",
    ),
    "mall_user": (
        "stg_mall__users",
        {"mobile": "mobile", "email": "email", "unionid": "unionid"},
        "member_name",
    ),
    "wechat_member": ("stg_wechat__members", {"mobile": "mobile", "unionid": "unionid"}, None),
    "pos_points_log": ("stg_pos__points_log", {}, None),
    "pos_transaction": ("stg_pos__transactions", {}, None),
    "mall_order": ("stg_mall__orders", {}, None),
    "mall_coupon": ("stg_mall__coupons", {}, None),
}

#: Schemas handled apart (raw: the legacy rows themselves; snapshots: see _snapshot_rules) or
#: never holding a person's rows.
_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")

#: How a table names the rows to remove, by its columns: (columns it must have, condition on
#: alias ``t``). A table matching several rules loses the rows any of them names.
_ROW_RULES: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"member_id"}), "t.member_id::text in (select member_id from erase_members)"),
    (
        frozenset({"source_table", "source_key"}),
        "(t.source_table::text, t.source_key::text) in "
        "(select source_table, source_key from erase_keys)",
    ),
    (
        frozenset({"member_source_table", "member_source_key"}),
        "(t.member_source_table::text, t.member_source_key::text) in "
        "(select source_table, source_key from erase_keys)",
    ),
    (frozenset({"record_id"}), "t.record_id::text in (select record_id from erase_record_ids)"),
    (
        frozenset({"source_table", "_batch_id", "_record_number"}),
        "(t.source_table::text, t._batch_id::bigint, t._record_number::bigint) in "
        "(select source_table, batch_id, record_number from erase_rows)",
    ),
    (
        frozenset({"source_table", "batch_id", "record_number"}),
        "(t.source_table::text, t.batch_id::bigint, t.record_number::bigint) in "
        "(select source_table, batch_id, record_number from erase_rows)",
    ),
    (
        frozenset({"_batch_id", "_source_file", "_record_number"}),
        "(t._batch_id::bigint, t._source_file::text, t._record_number::bigint) in "
        "(select batch_id, source_file, record_number from erase_rows)",
    ),
    (
        frozenset({"batch_id", "source_file", "record_number"}),
        "(t.batch_id::bigint, t.source_file::text, t.record_number::bigint) in "
        "(select batch_id, source_file, record_number from erase_rows)",
    ),
)

#: A table naming records by system and key only (no source_table): the member records.
_SYSTEM_KEY_RULE = (
    "(t.source_system::text, t.source_key::text) in "
    "(select source_system, source_key from erase_member_keys)"
)

_AUDIT_DDL = """
create schema if not exists audit;
create table if not exists audit.erasure_requests (
    request_id uuid primary key,
    requested_at timestamptz not null default now(),
    requested_by text not null,
    database_user text not null default current_user,
    identifier_kind text not null check (identifier_kind in ('mobile', 'id_card', 'member_id')),
    identifier_hash text not null,
    outcome text not null check (outcome in ('erased', 'not_found')),
    members_erased integer not null,
    rows_removed bigint not null
);
comment on table audit.erasure_requests is
    'One row per erasure request (member-migration erase, PIPL Art. 47). The identifier is '
    'kept only as a salted hash (raw.erasure_salt); rows removed per table in '
    'audit.erasure_removals. Created by the erase command, not by dbt.';
create table if not exists audit.erasure_removals (
    request_id uuid not null references audit.erasure_requests (request_id),
    table_schema text not null,
    table_name text not null,
    source_table text,
    rows_removed bigint not null,
    legacy_points numeric not null default 0,
    stored_value numeric(14, 2) not null default 0,
    open_coupons bigint not null default 0
);
create index if not exists erasure_removals_request_id on audit.erasure_removals (request_id);
comment on table audit.erasure_removals is
    'One row per erasure request and table it removed rows from. For raw tables, source_table '
    'is the legacy file the rows counted for (raw.load_rejects: the file of the rejected '
    'record), with the parseable points (legacy units), stored value and open coupons of the '
    'removed winning rows as the last build counted them: the reconciliation''s erased_value.';
"""


class ErasureError(Exception):
    """The request cannot be carried out as given (nothing was changed)."""


@dataclass(frozen=True)
class TableRemoval:
    """Rows one request removed from one table."""

    schema: str
    table: str
    rows: int
    #: The legacy file the rows counted for (raw tables only).
    source_table: str | None = None
    legacy_points: int = 0
    stored_value: Decimal = Decimal("0")
    open_coupons: int = 0

    @property
    def qualified_name(self) -> str:
        suffix = f" ({self.source_table})" if self.table == "load_rejects" else ""
        return f"{self.schema}.{self.table}{suffix}"


@dataclass
class ErasureResult:
    """What a request did (or, with ``dry_run``, would have done)."""

    request_id: str
    identifier_kind: str
    members: int
    removals: list[TableRemoval] = field(default_factory=list)
    tombstones: int = 0
    dry_run: bool = False

    @property
    def found(self) -> bool:
        return self.members > 0 or self.rows_removed > 0

    @property
    def rows_removed(self) -> int:
        return sum(r.rows for r in self.removals)

    @property
    def raw_rows_removed(self) -> int:
        return sum(r.rows for r in self.removals if r.schema == "raw")


@dataclass(frozen=True)
class _Identifier:
    kind: str
    value: str

    @property
    def match_key_type(self) -> str | None:
        return {"mobile": "mobile", "id_card": "id_card_no"}.get(self.kind)


def normalize_identifier(kind: str, value: str) -> _Identifier:
    """The identifier as the cleaning rules write it (migration-rules.md section 2), or
    ``ErasureError`` when it is not a valid one."""
    if kind == "mobile":
        mobile = parse_mobile(value)
        if mobile is None:
            raise ErasureError(
                "not a valid mobile number (11 digits starting 13-19, optionally with +86, "
                "spaces or dashes)"
            )
        return _Identifier(kind, mobile)
    if kind == "id_card":
        today = datetime.now(timezone(timedelta(hours=8))).date()
        national_id = parse_national_id(value, today)
        if national_id is None:
            raise ErasureError(
                "not a valid national ID (18 characters with a matching check digit, or the "
                "old 15-digit form)"
            )
        return _Identifier(kind, national_id)
    if kind == "member_id":
        member_id = value.strip().upper()
        if not _MEMBER_ID_RE.match(member_id):
            raise ErasureError("not a member id (M followed by 18 digits)")
        return _Identifier(kind, member_id)
    raise ErasureError(f"unknown identifier kind {kind!r} (one of {', '.join(KINDS)})")


def erase(
    conninfo: str,
    kind: str,
    value: str,
    *,
    requested_by: str | None = None,
    dry_run: bool = False,
    vacuum: bool = True,
) -> ErasureResult:
    """Erase the person ``value`` (a ``kind`` of ``KINDS``) names; see the module docstring.

    Commits one transaction (or, with ``dry_run``, rolls it back and only reports). A request
    that finds nothing is recorded too (outcome ``not_found``). Raises ``ErasureError`` when
    the identifier is invalid, is a placeholder, or the warehouse has never been built.
    """
    identifier = normalize_identifier(kind, value)
    requested_by = requested_by or getpass.getuser()
    try:
        conn = psycopg.connect(conninfo, application_name=APPLICATION_NAME)
    except psycopg.OperationalError as exc:
        raise ErasureError(f"cannot connect to PostgreSQL: {str(exc).strip()}") from exc
    with conn:
        result = _erase_in_transaction(conn, identifier, requested_by, dry_run)
        if dry_run:
            conn.rollback()
        else:
            conn.commit()
            if vacuum:
                _vacuum(conn, result.removals)
    return result


def _erase_in_transaction(
    conn: psycopg.Connection, identifier: _Identifier, requested_by: str, dry_run: bool
) -> ErasureResult:
    conn.execute("select pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
    _require_build(conn)
    tomb.ensure_tables(conn)
    conn.execute(_AUDIT_DDL)
    salt = tomb.warehouse_salt(conn)
    _refuse_placeholder(conn, identifier)
    _create_work_tables(conn)

    members = _find_members(conn, identifier)
    _collect_identifiers(conn, identifier)
    _collect_rows(conn)
    values = _erased_values(conn)

    request_id = str(uuid.uuid4())
    removals: list[TableRemoval] = []
    hashes: set[tuple[str, str, str]] = set()
    for spec in EXPORT_FILES:
        removal = _remove_raw_rows(conn, spec, salt, hashes, values)
        if removal is not None:
            removals.append(removal)
    removals.extend(_remove_rejects(conn, salt, hashes))
    removals.extend(_remove_derived_rows(conn))

    result = ErasureResult(
        request_id=request_id,
        identifier_kind=identifier.kind,
        members=members,
        removals=removals,
        tombstones=len(hashes),
        dry_run=dry_run,
    )
    _record(conn, result, identifier, salt, requested_by, hashes)
    return result


# -- preconditions -------------------------------------------------------------------------------
_REQUIRED_RELATIONS = (
    *(f"staging.{view}" for view, _, _ in _STAGING.values()),
    "intermediate.int_member_records_matched",
    "intermediate.int_member_match_keys",
    "intermediate.int_row_outcomes",
)


def _require_build(conn: psycopg.Connection) -> None:
    missing = [
        name
        for name in _REQUIRED_RELATIONS
        if conn.execute("select to_regclass(%s)", (name,)).fetchone()[0] is None
    ]
    if missing:
        raise ErasureError(
            "this database has no complete build (missing: "
            f"{', '.join(missing)}): load the packages and run dbt build first, then erase"
        )


def _refuse_placeholder(conn: psycopg.Connection, identifier: _Identifier) -> None:
    key_type = identifier.match_key_type
    if key_type is None:
        return
    row = conn.execute(
        """
        select max(key_record_count) from intermediate.int_member_match_keys
        where key_type = %s and key_value = %s and is_overshared
        """,
        (key_type, identifier.value),
    ).fetchone()
    if row[0] is not None:
        raise ErasureError(
            f"this {identifier.kind.replace('_', ' ')} is a placeholder shared by {row[0]} "
            "member records (migration-rules.md section 5): it names no one person. Erase by "
            "--member-id instead"
        )


# -- who the person is ---------------------------------------------------------------------------
def _create_work_tables(conn: psycopg.Connection) -> None:
    conn.execute(
        """
        create temporary table erase_members (member_id text primary key) on commit drop;
        create temporary table erase_identifiers (
            key_type text, key_value text, primary key (key_type, key_value)
        ) on commit drop;
        create temporary table erase_matched_rows (
            source_table text, batch_id bigint, source_file text, record_number bigint,
            source_key text, primary key (source_table, batch_id, record_number)
        ) on commit drop;
        create temporary table erase_keys (
            source_table text, source_key text, primary key (source_table, source_key)
        ) on commit drop;
        create temporary table erase_rows (
            source_table text, batch_id bigint, source_file text, record_number bigint,
            source_key text, reason text,
            primary key (source_table, batch_id, record_number)
        ) on commit drop;
        create temporary table erase_names (member_name text primary key) on commit drop;
        """
    )


def _find_members(conn: psycopg.Connection, identifier: _Identifier) -> int:
    column = {"mobile": "mobile", "id_card": "id_card_no", "member_id": "member_id"}
    conn.execute(
        sql.SQL(
            "insert into erase_members select distinct member_id::text "
            "from intermediate.int_member_records_matched where {} = %s"
        ).format(sql.Identifier(column[identifier.kind])),
        (identifier.value,),
    )
    return conn.execute("select count(*) from erase_members").fetchone()[0]


def _collect_identifiers(conn: psycopg.Connection, identifier: _Identifier) -> None:
    """The person's identifiers: those of the members' records (placeholders are already
    null there) and the one asked for."""
    conn.execute(
        """
        insert into erase_identifiers
        select distinct keys.key_type, keys.key_value
        from intermediate.int_member_records_matched as records
        cross join lateral (
            values
                ('mobile', records.mobile::text),
                ('id_card_no', records.id_card_no::text),
                ('email', records.email::text),
                ('unionid', records.unionid::text)
        ) as keys (key_type, key_value)
        where
            records.member_id in (select member_id from erase_members)
            and keys.key_value is not null
        """
    )
    if identifier.match_key_type is not None:
        conn.execute(
            "insert into erase_identifiers values (%s, %s) on conflict do nothing",
            (identifier.match_key_type, identifier.value),
        )


def _collect_rows(conn: psycopg.Connection) -> None:
    """Fill erase_keys and erase_rows (see the module docstring, steps 3 and 4)."""
    # 3. raw member rows holding one of the identifiers, any version
    for spec in EXPORT_FILES:
        view, identifier_columns, _ = _STAGING[spec.table]
        if not identifier_columns:
            continue
        conditions = sql.SQL(" or ").join(
            sql.SQL(
                "rows.{} in (select key_value from erase_identifiers where key_type = {})"
            ).format(sql.Identifier(column), sql.Literal(key_type))
            for key_type, column in identifier_columns.items()
        )
        conn.execute(
            sql.SQL(
                "insert into erase_matched_rows "
                "select {}, _batch_id, _source_file, _record_number, source_key "
                "from {} as rows where {}"
            ).format(sql.Literal(spec.table), sql.Identifier("staging", view), conditions)
        )
    # 4. the person's keys: their members' records, and the matched rows' keys that are no
    #    other member's record
    conn.execute(
        """
        insert into erase_keys
        select distinct source_table::text, source_key::text
        from intermediate.int_member_records_matched
        where member_id in (select member_id from erase_members);

        insert into erase_keys
        select distinct matched.source_table, matched.source_key
        from erase_matched_rows as matched
        where
            matched.source_key is not null
            and not exists (
                select 1
                from intermediate.int_member_records_matched as records
                where
                    records.source_table = matched.source_table
                    and records.source_key = matched.source_key
                    and records.member_id not in (select member_id from erase_members)
            )
        on conflict do nothing;
        """
    )
    # every raw row of the member keys, then the children naming them, then every raw row of
    # those children's keys
    for spec in (f for f in EXPORT_FILES if f.is_member_table):
        _insert_rows_of_keys(conn, spec)
    for spec in (f for f in EXPORT_FILES if f.parent_table):
        view = _STAGING[spec.table][0]
        conn.execute(
            sql.SQL(
                "insert into erase_keys "
                "select distinct {table}, rows.source_key from {view} as rows "
                "where rows.source_key is not null and ({parent}, rows.{parent_key}) in "
                "(select source_table, source_key from erase_keys) "
                "on conflict do nothing"
            ).format(
                table=sql.Literal(spec.table),
                view=sql.Identifier("staging", view),
                parent=sql.Literal(spec.parent_table),
                parent_key=sql.Identifier(spec.parent_key),
            )
        )
        conn.execute(
            sql.SQL(
                "insert into erase_rows "
                "select {table}, _batch_id, _source_file, _record_number, source_key, 'parent' "
                "from {view} as rows where ({parent}, rows.{parent_key}) in "
                "(select source_table, source_key from erase_keys) "
                "on conflict do nothing"
            ).format(
                table=sql.Literal(spec.table),
                view=sql.Identifier("staging", view),
                parent=sql.Literal(spec.parent_table),
                parent_key=sql.Identifier(spec.parent_key),
            )
        )
        _insert_rows_of_keys(conn, spec)
    # a matched row of another member's key (or without a key) goes alone
    conn.execute(
        """
        insert into erase_rows
        select source_table, batch_id, source_file, record_number, source_key, 'row'
        from erase_matched_rows
        on conflict do nothing
        """
    )
    # the person's names, for the loader rejects
    conn.execute(
        """
        insert into erase_names
        select distinct member_name::text
        from intermediate.int_member_records_matched
        where member_id in (select member_id from erase_members) and member_name is not null
        on conflict do nothing
        """
    )
    for spec in (f for f in EXPORT_FILES if f.is_member_table):
        view, _, name_column = _STAGING[spec.table]
        if name_column is None:
            continue
        conn.execute(
            sql.SQL(
                "insert into erase_names "
                "select distinct rows.{name}::text from {view} as rows "
                "inner join erase_rows on erase_rows.source_table = {table} "
                "and erase_rows.batch_id = rows._batch_id "
                "and erase_rows.record_number = rows._record_number "
                "where rows.{name} is not null on conflict do nothing"
            ).format(
                name=sql.Identifier(name_column),
                view=sql.Identifier("staging", view),
                table=sql.Literal(spec.table),
            )
        )
    # record ids and system keys of the member records (for tables naming records that way)
    conn.execute(
        sql.SQL(
            "create temporary table erase_member_keys on commit drop as "
            "select systems.source_system, keys.source_key "
            "from erase_keys as keys inner join (values {}) as systems (source_table, "
            "source_system) on keys.source_table = systems.source_table; "
            "create temporary table erase_record_ids on commit drop as "
            "select source_system || ':' || source_key as record_id from erase_member_keys"
        ).format(
            sql.SQL(", ").join(
                sql.SQL("({}, {})").format(sql.Literal(f.table), sql.Literal(f.source_system))
                for f in EXPORT_FILES
                if f.is_member_table
            )
        )
    )


def _insert_rows_of_keys(conn: psycopg.Connection, spec: ExportFile) -> None:
    view = _STAGING[spec.table][0]
    conn.execute(
        sql.SQL(
            "insert into erase_rows "
            "select {table}, _batch_id, _source_file, _record_number, source_key, 'key' "
            "from {view} as rows where ({table}, rows.source_key) in "
            "(select source_table, source_key from erase_keys) "
            "on conflict do nothing"
        ).format(table=sql.Literal(spec.table), view=sql.Identifier("staging", view))
    )


@dataclass(frozen=True)
class _Values:
    legacy_points: int
    stored_value: Decimal
    open_coupons: int


def _erased_values(conn: psycopg.Connection) -> dict[str, _Values]:
    """Per legacy file, what the rows to remove counted for in the last build's
    reconciliation: parseable values of winning rows (migrated or quarantined)."""
    rows = conn.execute(
        """
        select
            erase_rows.source_table,
            coalesce(sum(outcomes.points) filter (where outcomes.outcome in
                ('migrated', 'quarantined')), 0),
            coalesce(sum(outcomes.stored_value) filter (where outcomes.outcome in
                ('migrated', 'quarantined')), 0),
            count(*) filter (where outcomes.is_open_coupon and outcomes.outcome in
                ('migrated', 'quarantined'))
        from erase_rows
        inner join intermediate.int_row_outcomes as outcomes
            on
                outcomes.source_table = erase_rows.source_table
                and outcomes._batch_id = erase_rows.batch_id
                and outcomes._record_number = erase_rows.record_number
        group by erase_rows.source_table
        """
    ).fetchall()
    return {table: _Values(int(p), Decimal(s), int(c)) for table, p, s, c in rows}


# -- removal -------------------------------------------------------------------------------------
def _remove_raw_rows(
    conn: psycopg.Connection,
    spec: ExportFile,
    salt: bytes,
    hashes: set[tuple[str, str, str]],
    values: dict[str, _Values],
) -> TableRemoval | None:
    columns = sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in spec.columns)
    removed = conn.execute(
        sql.SQL(
            "delete from {} as t using erase_rows as r "
            "where r.source_table = %s and t._batch_id = r.batch_id "
            "and t._record_number = r.record_number returning r.reason, {}"
        ).format(sql.Identifier("raw", spec.table), columns),
        (spec.table,),
    ).fetchall()
    if not removed:
        return None
    key_at = spec.columns.index(spec.key)
    for reason, *fields in removed:
        key = tomb.key_value(fields[key_at]) if reason != "row" else None
        if key is not None:
            hashes.add((spec.table, tomb.KEY, tomb.salted_hash(salt, spec.table, tomb.KEY, key)))
        else:
            value = tomb.row_value(fields)
            hashes.add((spec.table, tomb.ROW, tomb.salted_hash(salt, spec.table, tomb.ROW, value)))
    counted = values.get(spec.table, _Values(0, Decimal("0"), 0))
    return TableRemoval(
        "raw",
        spec.table,
        len(removed),
        spec.table,
        counted.legacy_points,
        counted.stored_value,
        counted.open_coupons,
    )


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


_SEPARATORS = re.compile(r"[\s\-()]")


def _remove_rejects(
    conn: psycopg.Connection, salt: bytes, hashes: set[tuple[str, str, str]]
) -> list[TableRemoval]:
    """Loader rejects holding one of the person's identifiers, or a name as a whole field."""
    identifiers = conn.execute("select key_type, key_value from erase_identifiers").fetchall()
    names = {_SEPARATORS.sub("", _fold(n)) for (n,) in conn.execute("select * from erase_names")}
    names = {n for n in names if len(n) >= 2}
    digits: set[str] = set()
    plain: set[str] = set()
    for key_type, value in identifiers:
        if key_type == "mobile":
            digits.add(value)
        elif key_type == "id_card_no":
            digits.add(value.upper())
            if value[6:8] == "19":  # the old 15-digit form of the same ID
                digits.add(value[:6] + value[8:17])
        else:
            plain.add(value.lower())
    if not (digits or plain or names):
        return []
    doomed: list[tuple[int, str, int, bytes]] = []
    for batch_id, table, number, raw_text, raw_bytes in conn.execute(
        "select batch_id, source_table, record_number, raw_text, raw_bytes from raw.load_rejects"
    ):
        if _reject_names_person(raw_text, digits, plain, names):
            doomed.append((batch_id, table, number, bytes(raw_bytes)))
    if not doomed:
        return []
    with conn.cursor() as cur:
        cur.executemany(
            "delete from raw.load_rejects "
            "where batch_id = %s and source_table = %s and record_number = %s",
            [(b, t, n) for b, t, n, _ in doomed],
        )
    per_table: dict[str, int] = {}
    for _, table, _, raw in doomed:
        per_table[table] = per_table.get(table, 0) + 1
        value = tomb.reject_value(raw)
        hashes.add((table, tomb.REJECT, tomb.salted_hash(salt, table, tomb.REJECT, value)))
    return [TableRemoval("raw", "load_rejects", n, t) for t, n in sorted(per_table.items())]


def _reject_names_person(
    raw_text: str, digits: Iterable[str], plain: Iterable[str], names: set[str]
) -> bool:
    folded = _fold(raw_text)
    compact = _SEPARATORS.sub("", folded).upper()
    if any(d in compact for d in digits):
        return True
    lowered = folded.lower()
    if any(p in lowered for p in plain):
        return True
    if names:
        for part in folded.split(","):
            if _SEPARATORS.sub("", part).strip('"') in names:
                return True
    return False


def _tables(
    conn: psycopg.Connection, excluded_schemas: Iterable[str]
) -> list[tuple[str, str, frozenset[str]]]:
    """Every table (and its columns) outside the excluded and the system schemas."""
    rows = conn.execute(
        """
        select namespace.nspname::text, class.relname::text, array_agg(attribute.attname::text)
        from pg_class as class
        inner join pg_namespace as namespace on namespace.oid = class.relnamespace
        inner join pg_attribute as attribute
            on attribute.attrelid = class.oid and attribute.attnum > 0
            and not attribute.attisdropped
        where
            class.relkind in ('r', 'p')
            and namespace.nspname <> all(%s)
            and namespace.nspname not like 'pg\\_%%'
        group by 1, 2
        order by 1, 2
        """,
        ([*_SYSTEM_SCHEMAS, *excluded_schemas],),
    ).fetchall()
    return [(schema, table, frozenset(columns)) for schema, table, columns in rows]


def _conditions(table: str, columns: frozenset[str], snapshot: bool) -> list[str]:
    conditions = [condition for needed, condition in _ROW_RULES if needed <= columns]
    if "source_key" in columns and not columns & {"source_table", "member_source_table"}:
        if "source_system" in columns:
            conditions.append(_SYSTEM_KEY_RULE)
        elif snapshot and table.startswith("snap_") and table[5:] in FILES_BY_TABLE:
            # a snapshot of one legacy file (snap_<file>): its source_key is that file's key
            conditions.append(
                f"('{table[5:]}', t.source_key::text) in "
                "(select source_table, source_key from erase_keys)"
            )
    return conditions


def _remove_derived_rows(conn: psycopg.Connection) -> list[TableRemoval]:
    """Rows of the person in every table outside raw (snapshots first)."""
    removals = []
    tables = _tables(conn, ["raw"])
    tables.sort(key=lambda t: (t[0] != "snapshots", t[0], t[1]))
    for schema, table, columns in tables:
        conditions = _conditions(table, columns, snapshot=schema == "snapshots")
        if not conditions:
            continue
        count = conn.execute(
            sql.SQL("delete from {} as t where {}").format(
                sql.Identifier(schema, table),
                sql.SQL(" or ").join(sql.SQL(c) for c in conditions),
            )
        ).rowcount
        if count:
            removals.append(TableRemoval(schema, table, count))
    return removals


# -- the record of the request ------------------------------------------------------------------
def identifier_hash(salt: bytes, kind: str, value: str) -> str:
    """The salted hash a request's identifier is recorded under (never the value)."""
    return tomb.salted_hash(salt, "identifier", kind, value)


def _record(
    conn: psycopg.Connection,
    result: ErasureResult,
    identifier: _Identifier,
    salt: bytes,
    requested_by: str,
    hashes: set[tuple[str, str, str]],
) -> None:
    conn.execute(
        """
        insert into audit.erasure_requests (
            request_id, requested_by, identifier_kind, identifier_hash, outcome,
            members_erased, rows_removed
        )
        values (%s, %s, %s, %s, %s, %s, %s)
        """,
        (
            result.request_id,
            requested_by,
            identifier.kind,
            identifier_hash(salt, identifier.kind, identifier.value),
            "erased" if result.found else "not_found",
            result.members,
            result.rows_removed,
        ),
    )
    with conn.cursor() as cur:
        cur.executemany(
            """
            insert into audit.erasure_removals (
                request_id, table_schema, table_name, source_table, rows_removed,
                legacy_points, stored_value, open_coupons
            )
            values (%s, %s, %s, %s, %s, %s, %s, %s)
            """,
            [
                (
                    result.request_id,
                    r.schema,
                    r.table,
                    r.source_table,
                    r.rows,
                    r.legacy_points,
                    r.stored_value,
                    r.open_coupons,
                )
                for r in result.removals
            ],
        )
        cur.executemany(
            """
            insert into raw.erasure_tombstones (source_table, tombstone_kind, key_hash, request_id)
            values (%s, %s, %s, %s)
            on conflict do nothing
            """,
            [(table, kind, key_hash, result.request_id) for table, kind, key_hash in hashes],
        )


def _vacuum(conn: psycopg.Connection, removals: list[TableRemoval]) -> None:
    """VACUUM the tables the person's rows stay in until dbt rebuilds nothing over them (raw,
    snapshots, the previous publication): the dead row versions leave the table files."""
    conn.autocommit = True
    names = {
        (r.schema, r.table)
        for r in removals
        if r.schema in ("raw", "snapshots") or r.schema.endswith("_previous")
    }
    for schema, table in sorted(names):
        try:
            conn.execute(sql.SQL("vacuum {}").format(sql.Identifier(schema, table)))
        except psycopg.Error as exc:  # not the owner: the rows are gone all the same
            _logger.warning("could not vacuum %s.%s: %s", schema, table, exc)
