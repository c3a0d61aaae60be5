"""Write-audit-publish, rollback, backup and restore, on a real PostgreSQL.

One small package in its own database goes through a lifecycle once (fixture ``lifecycle``):
a first build publishes version 1; a partial build and a build whose quality gate fails (every
mobile blanked in raw) are refused while a ``bi_reader`` session reads the mart in a loop; a
passing build of changed data publishes version 2 under the same reader; two rollbacks; a
backup, a new package loaded (backed up first), and a restore into a fresh database. Each test
then checks one promise against what the lifecycle recorded.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from conftest import TEST_AS_OF_DATE, Warehouse, run_cli, upgrade_card_to_top_tier
from member_migration.generator import generate_package

PERSONS = 400
SEED = 20261201
PUBLISHED = ("marts", "pii")

#: What a BI user's dashboard reads: two tables in one statement, so a reader that saw one
#: table of the old version and one of the new would return a pair nobody published.
READER_QUERY = """
select
    (select count(*) from marts.dim_members),
    (select md5(string_agg(t::text, ',' order by t::text)) from marts.dim_members as t),
    (select count(*) from marts.dim_member_legacy_accounts),
    (select md5(string_agg(t::text, ',' order by t::text))
     from marts.dim_member_legacy_accounts as t)
"""

MOBILE_COLUMNS = {"pos_member_card": "mobile", "mall_user": "phone", "wechat_member": "mobile"}


class Reader(threading.Thread):
    """A session as ``role`` running ``query`` in a loop until stopped; records every answer
    and every error."""

    def __init__(self, conninfo: str, role: str, query: str = READER_QUERY) -> None:
        super().__init__(daemon=True)
        self.conninfo = conninfo
        self.role = role
        self.query = query
        self.seen: list[tuple] = []
        self.errors: list[str] = []
        self._halt = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(f"set role {self.role}")
            while not self._halt.is_set():
                try:
                    self.seen.append(conn.execute(self.query).fetchone())
                except psycopg.Error as exc:
                    self.errors.append(str(exc).strip())
                time.sleep(0.005)  # leave the build most of the CPU
            # one answer after the command under observation has finished
            self.seen.append(conn.execute(self.query).fetchone())

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=60)


def table_checksums(conn: psycopg.Connection, schemas: tuple[str, ...]) -> dict[str, str]:
    """md5 of every table's rows (as text, ordered) in ``schemas``: equal means same rows."""
    tables = conn.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema = any(%s) and table_type = 'BASE TABLE' order by 1, 2",
        (list(schemas),),
    ).fetchall()
    sums = {}
    for schema, name in tables:
        sums[f"{schema}.{name}"] = conn.execute(
            f"select count(*)::text || ':' || coalesce(md5(string_agg(t::text, E'\\n' "
            f'order by t::text)), \'\') from "{schema}"."{name}" as t'
        ).fetchone()[0]
    return sums


@dataclass
class Lifecycle:
    dbname: str
    conninfo: str
    env: dict[str, str]
    backup_dir: Path
    outputs: dict[str, str] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    sums: dict[str, dict[str, str]] = field(default_factory=dict)
    readers: dict[str, Reader] = field(default_factory=dict)
    reader_answers: dict[str, tuple] = field(default_factory=dict)
    history_rows: dict[str, int] = field(default_factory=dict)
    events: list[tuple] = field(default_factory=list)
    restored_sums: dict[str, str] = field(default_factory=dict)
    restored_can_read: int | None = None
    backups_listed: str = ""

    def cli(self, name: str, *args: str) -> str:
        result = run_cli(*args, env=self.env, check=False)
        self.outputs[name] = result.stdout + result.stderr
        self.codes[name] = result.returncode
        return self.outputs[name]

    def connect(self, dbname: str | None = None) -> psycopg.Connection:
        conninfo = (
            self.conninfo
            if dbname is None
            else re.sub(r"dbname=\S+", f"dbname={dbname}", self.conninfo)
        )
        return psycopg.connect(conninfo, autocommit=True)

    def checksums(self, schemas: tuple[str, ...] = PUBLISHED) -> dict[str, str]:
        with self.connect() as conn:
            return table_checksums(conn, schemas)

    def answer(self) -> tuple:
        with self.connect() as conn:
            return conn.execute(READER_QUERY).fetchone()

    def dbt_build(self, name: str, *args: str, target: Path, reader: bool = False) -> str:
        cmd = [
            "dbt",
            "build",
            "--exclude",
            "resource_type:unit_test",
            *args,
            "--vars",
            json.dumps({"as_of_date": TEST_AS_OF_DATE}),
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
        ]
        if not reader:
            return self.cli(name, *cmd)
        watcher = Reader(self.conninfo, "bi_reader")
        watcher.start()
        try:
            return self.cli(name, *cmd)
        finally:
            watcher.stop()
            self.readers[name] = watcher


def _blank_mobiles(conn: psycopg.Connection) -> None:
    conn.execute("create table public.mobiles_before (t text, b bigint, r bigint, v text)")
    for table, column in MOBILE_COLUMNS.items():
        conn.execute(
            f"insert into public.mobiles_before select '{table}', _batch_id, _record_number, "
            f"{column} from raw.{table}"
        )
        conn.execute(f"update raw.{table} set {column} = ''")


def _restore_mobiles(conn: psycopg.Connection) -> None:
    for table, column in MOBILE_COLUMNS.items():
        conn.execute(
            f"update raw.{table} as r set {column} = s.v from public.mobiles_before as s "
            f"where s.t = '{table}' and s.b = r._batch_id and s.r = r._record_number"
        )
    conn.execute("drop table public.mobiles_before")


def _upgrade_one_card(conn: psycopg.Connection) -> None:
    """A changed tier in a new batch, as a delta export would send it (version 2's change)."""
    card = conn.execute(
        "select a.source_key from marts.dim_member_legacy_accounts as a "
        "inner join marts.dim_members as m using (member_id) "
        "where a.source_system = 'pos' and m.source_record_count = 1 and m.tier_code <> 'T5' "
        "order by a.source_key limit 1"
    ).fetchone()[0]
    upgrade_card_to_top_tier(conn, card)


@pytest.fixture(scope="module")
def lifecycle(
    warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Lifecycle]:
    root = tmp_path_factory.mktemp("publishing")
    dbname = warehouse.create_database()
    env = {
        **os.environ,
        **warehouse.env,
        "PGDATABASE": dbname,
        "MEMBER_MIGRATION_BACKUP_DIR": str(root / "backups"),
    }
    lc = Lifecycle(dbname, warehouse.settings.conninfo(dbname), env, root / "backups")
    target = root / "target"

    package = root / "package"
    generate_package(package, persons=PERSONS, seed=SEED)
    lc.cli("first_load", "load", str(package))

    # Version 1.
    lc.dbt_build("build_v1", target=target)
    lc.sums["v1"] = lc.checksums()
    lc.reader_answers["v1"] = lc.answer()

    # A partial build: tested, refused.
    lc.dbt_build("build_partial", "--select", "dim_member_attributes", target=target)
    lc.sums["after_partial"] = lc.checksums()

    # A build whose quality gate fails, under a reader.
    with lc.connect() as conn:
        lc.history_rows["before_failing"] = conn.execute(
            "select count(*) from snapshots.snap_members"
        ).fetchone()[0]
        _blank_mobiles(conn)
    lc.dbt_build("build_failing", target=target, reader=True)
    lc.sums["after_failing"] = lc.checksums()
    with lc.connect() as conn:
        lc.history_rows["after_failing"] = conn.execute(
            "select count(*) from snapshots.snap_members"
        ).fetchone()[0]
        _restore_mobiles(conn)
        _upgrade_one_card(conn)

    # Version 2, under a reader.
    lc.dbt_build("build_v2", target=target, reader=True)
    lc.sums["v2"] = lc.checksums()
    lc.reader_answers["v2"] = lc.answer()

    # Two rollbacks.
    lc.cli("rollback", "rollback")
    lc.sums["after_rollback"] = lc.checksums()
    lc.cli("second_rollback", "rollback")
    lc.sums["after_second_rollback"] = lc.checksums()
    with lc.connect() as conn:
        lc.events = conn.execute(
            "select action, database_user, os_user, command, invocation_id, tables, reasons "
            "from audit.publish_events order by event_id"
        ).fetchall()

    # Backups: by hand, then before a new package, then none with --no-backup.
    lc.cli("backup", "backup")
    second = root / "second_package"
    generate_package(second, persons=30, seed=SEED + 1)
    lc.cli("second_load", "load", str(second))
    lc.cli("second_load_again", "load", str(second))
    third = root / "third_package"
    generate_package(third, persons=20, seed=SEED + 2)
    lc.cli("third_load", "load", "--no-backup", str(third))
    lc.backups_listed = lc.cli("backups", "backups")

    # Restore into a fresh database, and into a non-empty one.
    every = ("raw", "marts", "pii", "marts_previous", "pii_previous", "snapshots", "audit")
    lc.sums["before_restore"] = lc.checksums(every)
    dump = root / "whole.dump"
    lc.cli("backup_out", "backup", "--out", str(dump))
    restored = f"{dbname}_restored"
    warehouse.created_databases.append(restored)
    lc.cli("restore", "restore", str(dump), "--database", restored)
    if lc.codes["restore"] == 0:
        with lc.connect(restored) as conn:
            lc.restored_sums = table_checksums(conn, every)
            conn.execute("set role bi_reader")
            lc.restored_can_read = conn.execute(
                "select count(*) from marts.dim_members"
            ).fetchone()[0]
    lc.cli("restore_refused", "restore", str(dump), "--database", dbname)
    lc.cli("restore_replace", "restore", str(dump), "--database", restored, "--replace")
    yield lc


def test_a_complete_green_build_publishes_and_says_so(lifecycle: Lifecycle):
    assert lifecycle.codes["build_v1"] == 0, lifecycle.outputs["build_v1"][-3000:]
    published = re.search(
        r"Published marts and pii from this build, verified: every test passed \((\d+) tables; "
        r"no previous version is kept \(a first publish\)\)",
        lifecycle.outputs["build_v1"],
    )
    assert published, lifecycle.outputs["build_v1"][-3000:]
    assert (
        "the replaced version is kept in marts_previous, pii_previous"
        in (lifecycle.outputs["build_v2"])
    )
    with lifecycle.connect() as conn:
        schemas = {
            r[0]
            for r in conn.execute(
                "select nspname from pg_namespace where nspname ~ '^(marts|pii)'"
            ).fetchall()
        }
    # after the last publish and rollback: published and kept versions, no candidates
    assert schemas == {"marts", "pii", "marts_previous", "pii_previous"}
    assert set(lifecycle.sums["v1"]) >= {"marts.dim_members", "pii.member_identities"}
    # the log names as many tables as the build published
    assert int(published.group(1)) == len(lifecycle.sums["v1"])


def test_a_partial_build_is_tested_but_never_published(lifecycle: Lifecycle):
    output = lifecycle.outputs["build_partial"]
    assert lifecycle.codes["build_partial"] == 0, output[-3000:]
    assert "NOT published: the selection left out" in output
    assert lifecycle.sums["after_partial"] == lifecycle.sums["v1"]


def test_a_failing_quality_gate_leaves_the_published_rows_unchanged(lifecycle: Lifecycle):
    output = lifecycle.outputs["build_failing"]
    assert lifecycle.codes["build_failing"] != 0
    assert "Quality gate failed: mobile" in output
    assert re.search(r"NOT published: failed: test null_rate_within_dictionary_dim_members", output)
    assert lifecycle.sums["after_failing"] == lifecycle.sums["v1"]


def test_bi_reader_reads_the_published_mart_throughout_a_failing_build(lifecycle: Lifecycle):
    reader = lifecycle.readers["build_failing"]
    assert reader.errors == []
    assert len(reader.seen) > 10
    assert set(reader.seen) == {lifecycle.reader_answers["v1"]}


def test_a_refused_build_adds_no_version_to_the_members_history(lifecycle: Lifecycle):
    assert lifecycle.history_rows["after_failing"] == lifecycle.history_rows["before_failing"]


def test_a_passing_build_publishes_atomically_under_a_reader(lifecycle: Lifecycle):
    assert lifecycle.codes["build_v2"] == 0, lifecycle.outputs["build_v2"][-3000:]
    v1, v2 = lifecycle.reader_answers["v1"], lifecycle.reader_answers["v2"]
    assert v1 != v2
    reader = lifecycle.readers["build_v2"]
    assert reader.errors == []
    # old, then new: never a mix of the two tables' versions, never anything else
    assert set(reader.seen) == {v1, v2}
    switched = reader.seen.index(v2)
    assert all(answer == v2 for answer in reader.seen[switched:])
    assert lifecycle.sums["v2"] != lifecycle.sums["v1"]


def test_rollback_restores_the_previous_version_and_a_second_is_refused(lifecycle: Lifecycle):
    assert lifecycle.codes["rollback"] == 0, lifecycle.outputs["rollback"]
    assert "Rolled back" in lifecycle.outputs["rollback"]
    assert lifecycle.sums["after_rollback"] == lifecycle.sums["v1"]
    assert lifecycle.codes["second_rollback"] == 1
    assert "already a rollback" in lifecycle.outputs["second_rollback"]
    assert lifecycle.sums["after_second_rollback"] == lifecycle.sums["v1"]


def test_rollback_keeps_the_readers_grants(lifecycle: Lifecycle):
    with lifecycle.connect() as conn:
        conn.execute("set role bi_reader")
        assert conn.execute(READER_QUERY).fetchone() == lifecycle.reader_answers["v1"]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select count(*) from marts_previous.dim_members")
    with lifecycle.connect() as conn:
        conn.execute("set role crm_loader")
        assert conn.execute("select count(*) from pii.member_identities").fetchone()[0] > 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select count(*) from pii_previous.member_identities")


def test_every_publish_refusal_and_rollback_is_recorded_with_who_and_why(lifecycle: Lifecycle):
    actions = [e[0] for e in lifecycle.events]
    assert actions == [
        "published",
        "refused",
        "refused",
        "published",
        "rolled_back",
        "rollback_refused",
    ]
    published, partial, failing = lifecycle.events[0], lifecycle.events[1], lifecycle.events[2]
    assert published[3] == "dbt build" and published[4] and published[1]
    assert "marts.dim_members" in published[5] and "pii.member_identities" in published[5]
    assert any("left out" in reason for reason in partial[6])
    assert any("null_rate_within_dictionary_dim_members" in reason for reason in failing[6])
    rolled_back = lifecycle.events[4]
    assert rolled_back[3] == "member-migration rollback" and rolled_back[2]


def test_a_new_package_is_backed_up_before_its_first_load_only(lifecycle: Lifecycle):
    assert "No backup: the warehouse holds no batch yet" in lifecycle.outputs["first_load"]
    output = lifecycle.outputs["second_load"]
    assert lifecycle.codes["second_load"] == 0, output
    match = re.search(
        r"Backup before loading a new package: (\S+\.dump) \(([\d.,]+ [KMG]?B)\)", output
    )
    assert match, output
    before_load = Path(match.group(1))
    assert before_load.parent == lifecycle.backup_dir and before_load.stat().st_size > 0
    assert "Backup" not in lifecycle.outputs["second_load_again"]
    assert "Backup" not in lifecycle.outputs["third_load"]
    dumps = sorted(p.name for p in lifecycle.backup_dir.glob("*.dump"))
    assert len(dumps) == 2 and sum("before-load" in name for name in dumps) == 1
    for name in dumps:
        assert name in lifecycle.backups_listed


def test_backup_then_restore_gives_identical_tables_and_batches(lifecycle: Lifecycle):
    assert lifecycle.codes["restore"] == 0, lifecycle.outputs["restore"]
    before = lifecycle.sums["before_restore"]
    assert {
        "raw.batch_manifest",
        "raw.pos_member_card",
        "marts.dim_members",
        "marts_previous.dim_members",
        "audit.publish_events",
    } <= set(before)
    assert lifecycle.restored_sums == before
    assert lifecycle.restored_can_read and lifecycle.restored_can_read > 0


def test_restore_refuses_a_non_empty_database_without_replace(lifecycle: Lifecycle):
    assert lifecycle.codes["restore_refused"] == 1
    assert "is not empty" in lifecycle.outputs["restore_refused"]
    assert lifecycle.codes["restore_replace"] == 0, lifecycle.outputs["restore_replace"]
    assert "replaced and restored" in lifecycle.outputs["restore_replace"]
