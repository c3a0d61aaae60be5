"""The parallel run: a delta export after a base gives the mart a full rebuild would give.

Two databases on the session's server, three builds (unit tests excluded: they do not depend
on data and run in the main build; data tests run in every build, because a build publishes
marts and pii only when they all passed):

- A: the base package loaded and built, then its delta loaded (twice: the second load must
  change nothing) and built again. What the first build published is kept in Python
  (``ParallelRun.before``) for the comparisons.
- B: one full export of the combined state (base + delta at the record level, written by
  ``combined_export``) loaded as a single batch and built.

Every ``marts`` and ``pii`` table of A must equal B's on every column but load lineage
(``member_id`` included); ``member_history`` only on its current versions without the validity
times (history differs by construction: A saw two builds, B one), and ``member_id_merges``
aside (B never saw an id change).
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from combined_export import CombinedFile, write_combined_export
from conftest import DbtRunner, Warehouse, run_cli
from member_migration.generator import generate_package

BASE_PERSONS = 500
DELTA_PERSONS = 20
BASE_SEED = 7001
DELTA_SEED = 7002

#: Columns that say how a row was loaded, not what it says (none of the published tables has
#: one today; listed so that one added later cannot make the comparison fail for the wrong
#: reason). member_history's validity times are history, compared apart.
LINEAGE_COLUMNS = {"batch_id", "_batch_id", "loaded_at", "_loaded_at", "source_file"}
LINEAGE_COLUMNS |= {"_source_file", "record_number", "_record_number"}
HISTORY_TIMES = {"valid_from", "valid_to"}

#: The published tables of mart-contract.md, which the comparison must cover at least.
CONTRACT_TABLES = {
    ("marts", "dim_members"),
    ("marts", "dim_member_legacy_accounts"),
    ("marts", "fct_points_ledger"),
    ("marts", "fct_transactions"),
    ("marts", "dim_member_benefits"),
    ("marts", "dim_member_segments"),
    ("marts", "dim_member_attributes"),
    ("pii", "member_identities"),
}

RECONCILIATION = (
    "select source_table, measure, superseded_value, difference from audit.migration_reconciliation"
)

MEMBER_TABLES = {
    "pos_member_card": "snap_pos_member_card",
    "mall_user": "snap_mall_user",
    "wechat_member": "snap_wechat_member",
}


@dataclass
class Database:
    """One database of the session's server, with the CLI's and dbt's environment for it."""

    warehouse: Warehouse
    name: str

    @property
    def env(self) -> dict[str, str]:
        return {**self.warehouse.env, "PGDATABASE": self.name}

    def query(self, query: str, params: tuple | None = None) -> list[tuple]:
        with psycopg.connect(self.warehouse.settings.conninfo(self.name)) as conn:
            return conn.execute(query, params).fetchall()

    def scalar(self, query: str, params: tuple | None = None):
        rows = self.query(query, params)
        return rows[0][0] if rows else None

    def load(self, package: Path) -> str:
        result = run_cli("load", str(package), env={**os.environ, **self.env})
        return result.stdout + result.stderr

    def build(self, dbt: DbtRunner) -> None:
        """``dbt build`` without unit tests (they do not depend on data and run in the main
        build). Data tests run: a build publishes marts and pii only when they all passed."""
        result = dbt("build", "--exclude", "resource_type:unit_test", env=self.env)
        assert result.success, result.failures() or result.exception

    def accounts(self) -> dict[str, str]:
        """legacy_account_id -> member_id, as published."""
        return dict(
            self.query("select legacy_account_id, member_id from marts.dim_member_legacy_accounts")
        )

    def published_tables(self) -> list[tuple[str, str]]:
        return self.query(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('marts', 'pii') order by 1, 2"
        )

    def compared_rows(self, schema: str, table: str) -> Counter:
        """The table's rows on every column but lineage, as a multiset."""
        columns = [
            name
            for (name,) in self.query(
                "select column_name from information_schema.columns "
                "where table_schema = %s and table_name = %s order by ordinal_position",
                (schema, table),
            )
            if name not in LINEAGE_COLUMNS
        ]
        where = ""
        if table == "member_history":
            columns = [c for c in columns if c not in HISTORY_TIMES]
            where = " where is_current"
        select = ", ".join(f'"{c}"' for c in columns)
        rows = self.query(f'select {select} from "{schema}"."{table}"{where}')
        return Counter(tuple(_hashable(v) for v in row) for row in rows)

    def raw_fingerprint(self) -> dict[str, tuple[int, str]]:
        """Row count and content hash of every table of schema raw."""
        tables = [
            t
            for (t,) in self.query(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            )
        ]
        return {
            t: self.query(
                "select count(*), "
                "md5(coalesce(string_agg(r::text, chr(10) order by r::text), '')) "
                f'from raw."{t}" r'
            )[0]
            for t in tables
        }


def _hashable(value):
    """A value of a row as something a Counter can hold (arrays and jsonb as JSON text)."""
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return value


@dataclass
class Published:
    """What the base build of A published, kept before the delta is built."""

    accounts: dict[str, str]  # legacy_account_id -> member_id
    tracked: dict[str, tuple]  # member_id -> tier, status, points, stored value, mobile hash
    points: dict[str, int]
    ledger: dict[str, str]  # ledger_entry_id -> member_id
    benefits: dict[str, str]  # benefit_id -> member_id
    record_keys: list[tuple[str, str, str | None, str | None]]  # record, member, mobile, unionid
    reconciliation: list[tuple]
    merges: int


@dataclass
class ParallelRun:
    base: Path
    delta: Path
    combined: Path
    combined_stats: dict[str, CombinedFile]
    a: Database
    b: Database
    before: Published
    delta_batch: int
    first_delta_load: str = ""
    second_delta_load: str = ""
    raw_before_second_load: dict = field(default_factory=dict)
    raw_after_second_load: dict = field(default_factory=dict)

    @property
    def cross_links(self) -> list[dict[str, str]]:
        summary = self.delta.with_name(f"{self.delta.name}.truth") / "summary.json"
        return json.loads(summary.read_text(encoding="utf-8"))["cross_links"]


def _published(db: Database) -> Published:
    return Published(
        accounts=db.accounts(),
        tracked={
            r[0]: r[1:]
            for r in db.query(
                "select member_id, tier_code, status, points_balance, stored_value_balance, "
                "mobile_hash from intermediate.int_members_history_source"
            )
        },
        points=dict(db.query("select member_id, points_balance from marts.dim_members")),
        ledger=dict(db.query("select ledger_entry_id, member_id from marts.fct_points_ledger")),
        benefits=dict(db.query("select benefit_id, member_id from marts.dim_member_benefits")),
        record_keys=db.query(
            "select record_id, member_id, mobile, unionid "
            "from intermediate.int_member_records_matched"
        ),
        reconciliation=db.query(RECONCILIATION),
        merges=db.scalar("select count(*) from marts.member_id_merges"),
    )


@pytest.fixture(scope="module")
def run(
    warehouse: Warehouse, dbt: DbtRunner, tmp_path_factory: pytest.TempPathFactory
) -> ParallelRun:
    root = tmp_path_factory.mktemp("parallel_run")
    base, delta, combined = root / "base", root / "delta", root / "combined"
    generate_package(base, persons=BASE_PERSONS, seed=BASE_SEED)
    generate_package(delta, persons=DELTA_PERSONS, seed=DELTA_SEED, delta_of=base)
    stats = write_combined_export([base, delta], combined)

    a = Database(warehouse, warehouse.create_database())
    a.load(base)
    a.build(dbt)
    before = _published(a)
    first = a.load(delta)
    delta_batch = a.scalar("select max(batch_id) from raw.batch_manifest")
    # The same delta again, from another folder: nothing may change.
    raw_before = a.raw_fingerprint()
    again = root / "delta_again"
    shutil.copytree(delta, again)
    second = a.load(again)
    raw_after = a.raw_fingerprint()
    a.build(dbt)

    b = Database(warehouse, warehouse.create_database())
    b.load(combined)
    b.build(dbt)
    return ParallelRun(
        base=base,
        delta=delta,
        combined=combined,
        combined_stats=stats,
        a=a,
        b=b,
        before=before,
        delta_batch=delta_batch,
        first_delta_load=first,
        second_delta_load=second,
        raw_before_second_load=raw_before,
        raw_after_second_load=raw_after,
    )


def _member_of(records: list[tuple], *, mobile=None, unionid=None) -> set[str]:
    return {
        member
        for (_, member, m, u) in records
        if (mobile is not None and m == mobile) or (unionid is not None and u == unionid)
    }


# -- equivalence ----------------------------------------------------------------------------------
def test_combined_export_replaces_resent_keys_and_keeps_append_only_rows(run: ParallelRun):
    replaced = {t: s.replaced for t, s in run.combined_stats.items()}
    # Member rows and status changes come again whole; append-only files are never replaced.
    assert replaced["pos_points_log"] == replaced["pos_transaction"] == 0
    assert all(replaced[t] > 0 for t in ("pos_member_card", "mall_user", "mall_order"))


def test_base_then_delta_publishes_what_one_combined_full_export_does(run: ParallelRun):
    tables = run.a.published_tables()
    assert tables == run.b.published_tables()
    assert set(tables) >= CONTRACT_TABLES
    differences = {}
    for schema, table in tables:
        if table == "member_id_merges":
            continue
        rows_a = run.a.compared_rows(schema, table)
        rows_b = run.b.compared_rows(schema, table)
        assert rows_a, f"{schema}.{table} is empty: the comparison would prove nothing"
        if rows_a != rows_b:
            only_a, only_b = rows_a - rows_b, rows_b - rows_a
            differences[f"{schema}.{table}"] = (
                f"{sum(only_a.values())} row(s) only after base + delta, e.g. {list(only_a)[:2]}; "
                f"{sum(only_b.values())} only in the combined build, e.g. {list(only_b)[:2]}"
            )
    assert not differences, differences
    # The delta did change the mart (else the equality above would be empty of meaning).
    assert len(run.a.accounts()) > len(run.before.accounts)


# -- stable ids, merges ---------------------------------------------------------------------------
def _record_sets(accounts: dict[str, str]) -> dict[str, frozenset[str]]:
    members: dict[str, set[str]] = {}
    for record, member in accounts.items():
        members.setdefault(member, set()).add(record)
    return {m: frozenset(r) for m, r in members.items()}


def test_members_whose_records_did_not_change_keep_their_member_id(run: ParallelRun):
    before = _record_sets(run.before.accounts)
    after = _record_sets(run.a.accounts())
    id_after = {records: member for member, records in after.items()}
    unchanged = [m for m, records in before.items() if records in id_after]
    moved = [m for m in unchanged if id_after[before[m]] != m]
    assert not moved, f"{len(moved)} member(s) kept their records but changed id: {moved[:5]}"
    # Most members are untouched by a delta of a few percent; the others got the id a fresh
    # build of the combined data assigns (the equivalence test compares member_id too).
    assert len(unchanged) > 0.9 * len(before)


def test_the_delta_cross_link_merges_two_members_and_moves_points_benefits_and_ledger(
    run: ParallelRun,
):
    links = run.cross_links
    assert len(links) == 1
    link = links[0]
    holders_of_unionid = _member_of(run.before.record_keys, unionid=link["unionid"])
    holders_of_mobile = _member_of(run.before.record_keys, mobile=link["mobile"])
    assert len(holders_of_unionid) == 1 and len(holders_of_mobile) == 1
    (p,) = holders_of_unionid
    (q,) = holders_of_mobile
    assert p != q, "the two persons were one member before the delta"

    new_record = f"wechat:{link['openid']}"
    survivor = run.a.scalar(
        "select member_id from marts.dim_member_legacy_accounts where legacy_account_id = %s",
        (new_record,),
    )
    # Every record of both old members now belongs to the survivor, which is one of the two.
    old_records = [r for r, m in run.before.accounts.items() if m in (p, q)]
    now = dict(
        run.a.query(
            "select legacy_account_id, member_id from marts.dim_member_legacy_accounts "
            "where legacy_account_id = any(%s)",
            (old_records,),
        )
    )
    assert set(now.values()) == {survivor} and len(now) == len(old_records)
    assert survivor in (p, q)
    # The id that survives is the one a fresh build of the combined data assigns.
    assert survivor == run.b.scalar(
        "select member_id from marts.dim_member_legacy_accounts where legacy_account_id = %s",
        (new_record,),
    )
    retired = q if survivor == p else p
    # The merge is recorded for downstream systems, and the retired id is gone.
    merges = run.a.query(
        "select change_type, batch_id, records_moved from marts.member_id_merges "
        "where retired_member_id = %s and surviving_member_id = %s",
        (retired, survivor),
    )
    retired_records = sum(1 for m in run.before.accounts.values() if m == retired)
    assert merges == [("merge", run.delta_batch, retired_records)]
    assert not run.a.scalar(
        "select count(*) from marts.dim_members where member_id = %s", (retired,)
    )
    assert not run.a.scalar(
        "select count(*) from snapshots.snap_members where member_id = %s and dbt_valid_to is null",
        (retired,),
    )
    # Points: the survivor holds both balances, plus the new WeChat member's opening.
    opening = run.a.scalar(
        "select coalesce(sum(points), 0) from marts.fct_points_ledger "
        "where source_table = 'wechat_member' and source_key = %s",
        (link["openid"],),
    )
    assert (
        run.a.scalar(
            "select points_balance from marts.dim_members where member_id = %s", (survivor,)
        )
        == run.before.points[p] + run.before.points[q] + opening
    )
    # Ledger entries and benefits of both old members are the survivor's.
    for table, key, old in (
        ("fct_points_ledger", "ledger_entry_id", run.before.ledger),
        ("dim_member_benefits", "benefit_id", run.before.benefits),
    ):
        ids = [i for i, m in old.items() if m in (p, q)]
        owners = dict(
            run.a.query(f"select {key}, member_id from marts.{table} where {key} = any(%s)", (ids,))
        )
        assert len(owners) == len(ids) and set(owners.values()) <= {survivor}, table
    assert any(m in (p, q) for m in run.before.ledger.values())


def test_member_id_merges_lists_every_id_change_of_the_delta(run: ParallelRun):
    assert run.before.merges == 0
    after_ids = {m for (m,) in run.a.query("select member_id from marts.dim_members")}
    after_accounts = run.a.accounts()
    rows = run.a.query(
        "select retired_member_id, surviving_member_id, change_type, batch_id, records_moved "
        "from marts.member_id_merges"
    )
    # One row per (old id, new id) pair of records that moved, with the number moved.
    moved = Counter(
        (old, after_accounts[record])
        for record, old in run.before.accounts.items()
        if record in after_accounts and after_accounts[record] != old
    )
    assert moved, "the delta moved no record to another member"
    assert {(r[0], r[1]): r[4] for r in rows} == dict(moved)
    assert all(r[1] in after_ids and r[3] == run.delta_batch for r in rows)
    # A merge retires an id that is gone; a split leaves one that still exists. An id that went
    # away with all its records (quarantined, none moved) is no id change.
    gone = set(run.before.tracked) - after_ids
    assert {r[0] for r in rows if r[2] == "merge"} == gone & {old for old, _ in moved}
    assert {r[0] for r in rows if r[2] == "split"} <= after_ids
    # A fresh build of the combined data saw no id change.
    assert run.b.scalar("select count(*) from marts.member_id_merges") == 0


# -- snapshots and reconciliation -----------------------------------------------------------------
def test_legacy_snapshots_record_a_version_for_every_member_row_of_the_delta(run: ParallelRun):
    for table, snapshot in MEMBER_TABLES.items():
        delta_keys = run.a.query(
            f"select distinct source_key from intermediate.int_{_versioned(table)}_versioned "
            "where is_winner and source_key is not null and _batch_id = %s",
            (run.delta_batch,),
        )
        assert delta_keys, table
        current = dict(
            run.a.query(
                f"select source_key, _batch_id from snapshots.{snapshot} where dbt_valid_to is null"
            )
        )
        assert all(current[k] == run.delta_batch for (k,) in delta_keys), table
        # A key known before the delta keeps its old version, closed.
        changed = run.a.query(
            f"select source_key, count(*), count(*) filter (where dbt_valid_to is null) "
            f"from snapshots.{snapshot} where source_key = any(%s) group by source_key "
            "having count(*) > 1",
            ([k for (k,) in delta_keys],),
        )
        assert changed and all(current_versions == 1 for (_, _, current_versions) in changed)


def _versioned(table: str) -> str:
    return {
        "pos_member_card": "pos_member_cards",
        "mall_user": "mall_users",
        "wechat_member": "wechat_members",
    }[table]


def test_snap_members_records_each_member_change_the_delta_brought(run: ParallelRun):
    after = {
        r[0]: r[1:]
        for r in run.a.query(
            "select member_id, tier_code, status, points_balance, stored_value_balance, "
            "mobile_hash from intermediate.int_members_history_source"
        )
    }
    versions = run.a.query(
        "select member_id, tier_code, status, points_balance, stored_value_balance, mobile_hash, "
        "dbt_valid_to is null from snapshots.snap_members order by member_id, dbt_valid_from"
    )
    history: dict[str, list[tuple]] = {}
    for member, *values, is_current in versions:
        history.setdefault(member, []).append((tuple(values), is_current))
    changed = [m for m in after if m in run.before.tracked and after[m] != run.before.tracked[m]]
    for member in after:
        old = run.before.tracked.get(member)
        expected = [(after[member], True)]
        if old is not None and old != after[member]:
            expected = [(old, False), (after[member], True)]
        assert history[member] == expected, member
    # The delta brought each kind of change the snapshots must show.
    tier_up = [m for m in changed if after[m][0] != run.before.tracked[m][0]]
    closed = [m for m in changed if after[m][1] == "closed" != run.before.tracked[m][1]]
    new_mobile = [m for m in changed if after[m][4] != run.before.tracked[m][4]]
    assert tier_up and closed and new_mobile, (len(tier_up), len(closed), len(new_mobile))
    assert all(after[m][0] > run.before.tracked[m][0] for m in tier_up), "a migration never demotes"


def test_reconciliation_adds_up_after_every_batch_and_counts_superseded_versions(
    run: ParallelRun,
):
    """Superseded versions are counted, so every file and measure still adds up (the build
    would fail otherwise; checked here on the published table after each batch)."""
    rows_after = run.a.query(RECONCILIATION)
    for label, rows in (("base", run.before.reconciliation), ("delta", rows_after)):
        assert rows and all(difference == 0 for (*_, difference) in rows), label
    after = {(table, measure): value for (table, measure, value, _) in rows_after}
    before = {(table, measure): value for (table, measure, value, _) in run.before.reconciliation}
    # Every file the delta sent changed rows of counts more superseded versions.
    for table in ("pos_member_card", "mall_user", "wechat_member", "mall_order", "mall_coupon"):
        assert after[(table, "records")] > before[(table, "records")], table


# -- loading twice --------------------------------------------------------------------------------
def test_loading_the_same_delta_twice_changes_nothing(run: ParallelRun):
    assert "Loaded 7 file(s) as batch" in run.first_delta_load
    assert "Nothing changed" in run.second_delta_load
    assert run.raw_after_second_load == run.raw_before_second_load
    assert run.a.scalar("select count(distinct batch_id) from raw.batch_manifest") == 2
