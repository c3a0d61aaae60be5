"""Tombstones: what an erasure request removed, remembered without the personal data.

An erased row must not come back when a package holding it is loaded again (the same package
as a new batch, or a delta that still carries the person). The warehouse keeps, per removed
row, a salted SHA-256 of what identifies it, in ``raw.erasure_tombstones``:

- ``key``: the row's own key, cleaned as the staging models clean it (trimmed, missing
  literals null, full-width folded), so that another spelling of the same key is caught too;
  a child row whose *parent* key is tombstoned is skipped as well;
- ``row``: a row removed without its key (a row without a key, or an old version of someone
  else's record that held the person's mobile): the row's contract fields exactly as loaded;
- ``reject``: a record the loader had rejected (``raw.load_rejects``): its exact bytes.

The salt is random, generated once per warehouse and kept apart from the hashes (its own
table, ``raw.erasure_salt``, read by nothing but the loader and the erasure command): a
copy of the tombstones alone does not let anyone test a guessed mobile or card number.
The same salt hashes the identifier of each request in ``audit.erasure_requests``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import psycopg

from member_migration.contract import ExportFile
from member_migration.generator.rules import clean_text

TOMBSTONES_TABLE = "raw.erasure_tombstones"
SALT_TABLE = "raw.erasure_salt"

#: Kinds of tombstone (see the module docstring).
KEY, ROW, REJECT = "key", "row", "reject"

_SALT_DDL = """
create table if not exists raw.erasure_salt (
    salt bytea not null,
    created_at timestamptz not null default now(),
    singleton boolean primary key default true check (singleton)
);
comment on table raw.erasure_salt is
    'The warehouse''s random salt for erasure tombstones and request hashes: one row, made '
    'once, kept apart from raw.erasure_tombstones. Losing it makes every tombstone useless.';
"""

_TOMBSTONES_DDL = """
create table if not exists raw.erasure_tombstones (
    source_table text not null,
    tombstone_kind text not null check (tombstone_kind in ('key', 'row', 'reject')),
    key_hash text not null,
    request_id uuid not null,
    erased_at timestamptz not null default now(),
    primary key (source_table, tombstone_kind, key_hash)
);
comment on table raw.erasure_tombstones is
    'One row per legacy row removed by an erasure request (member-migration erase): a salted '
    'sha256 of its cleaned key (key), of its fields as loaded (row) or of its rejected bytes '
    '(reject). The loader skips and counts (batch_manifest.records_erased) any row matching '
    'one, or whose parent key matches one. No clear value is stored.';
comment on column raw.erasure_tombstones.key_hash is
    'hex sha256(salt || source_table || 0x1f || kind || 0x1f || value), salt in '
    'raw.erasure_salt.';
"""


def ensure_tables(conn: psycopg.Connection) -> None:
    """Create the salt and tombstone tables when missing (idempotent)."""
    conn.execute("create schema if not exists raw")
    conn.execute(_SALT_DDL)
    conn.execute(_TOMBSTONES_DDL)


def warehouse_salt(conn: psycopg.Connection) -> bytes:
    """The warehouse's salt, made on first use (inside the caller's transaction)."""
    conn.execute(
        "insert into raw.erasure_salt (salt) values (%s) on conflict do nothing",
        (secrets.token_bytes(32),),
    )
    return bytes(conn.execute("select salt from raw.erasure_salt").fetchone()[0])


def salted_hash(salt: bytes, *parts: str) -> str:
    """hex sha256 of the salt and the parts, separated by U+001F."""
    return hashlib.sha256(salt + "\x1f".join(parts).encode("utf-8")).hexdigest()


def key_value(raw_key: str) -> str | None:
    """A key as the staging models clean it, or None when it is missing."""
    return clean_text(raw_key)


def row_value(fields_in_contract_order: Sequence[str]) -> str:
    """A row's identity for a ``row`` tombstone: its contract fields as loaded."""
    return "\x1f".join(fields_in_contract_order)


def reject_value(raw_bytes: bytes) -> str:
    """A rejected record's identity for a ``reject`` tombstone: the sha256 of its bytes."""
    return hashlib.sha256(raw_bytes).hexdigest()


@dataclass
class Tombstones:
    """The warehouse's tombstones, as the loader checks them."""

    salt: bytes = b""
    hashes: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.hashes)

    def _of(self, table: str | None, kind: str) -> set[str]:
        return self.hashes.get((table, kind), set()) if table else set()

    def row_matcher(
        self, spec: ExportFile, header: Sequence[str]
    ) -> Callable[[Sequence[str]], bool] | None:
        """A test of a record's fields (in ``header`` order) against the tombstones of its
        table and of its parent table; None when no tombstone can match (the fast case)."""
        own = self._of(spec.table, KEY)
        rows = self._of(spec.table, ROW)
        parents = self._of(spec.parent_table, KEY)
        if not (own or rows or parents):
            return None
        salt, table, parent_table = self.salt, spec.table, spec.parent_table
        key_at = header.index(spec.key)
        parent_at = header.index(spec.parent_key) if spec.parent_key else -1
        contract_order = [header.index(c) for c in spec.columns]

        def erased(fields: Sequence[str]) -> bool:
            if own:
                key = key_value(fields[key_at])
                if key is not None and salted_hash(salt, table, KEY, key) in own:
                    return True
            if parents:
                parent = key_value(fields[parent_at])
                if parent is not None and salted_hash(salt, parent_table, KEY, parent) in parents:
                    return True
            if rows:
                value = row_value([fields[i] for i in contract_order])
                if salted_hash(salt, table, ROW, value) in rows:
                    return True
            return False

        return erased

    def reject_matcher(self, spec: ExportFile) -> Callable[[bytes], bool] | None:
        """A test of a rejected record's bytes; None when the table has no such tombstone."""
        rejects = self._of(spec.table, REJECT)
        if not rejects:
            return None
        salt, table = self.salt, spec.table
        return lambda raw: salted_hash(salt, table, REJECT, reject_value(raw)) in rejects


def load_tombstones(conn: psycopg.Connection) -> Tombstones:
    """Every tombstone of the warehouse (empty when no erasure ever ran)."""
    present = conn.execute(
        "select to_regclass('raw.erasure_tombstones') is not null "
        "and to_regclass('raw.erasure_salt') is not null"
    ).fetchone()[0]
    if not present:
        return Tombstones()
    salt_row = conn.execute("select salt from raw.erasure_salt").fetchone()
    if salt_row is None:
        return Tombstones()
    hashes: dict[tuple[str, str], set[str]] = {}
    for table, kind, key_hash in conn.execute(
        "select source_table, tombstone_kind, key_hash from raw.erasure_tombstones"
    ):
        hashes.setdefault((table, kind), set()).add(key_hash)
    return Tombstones(bytes(salt_row[0]), hashes)
