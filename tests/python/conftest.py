"""Fixtures: a real PostgreSQL for every test run, and dbt run programmatically against it.

Each test session gets its own warehouse: a throw-away embedded server in a temporary folder,
or, when ``PGHOST`` is set, a new database on that server (dropped at the end). Nothing is
mocked: dbt, the loader and the tests talk to a real PostgreSQL.
"""

from __future__ import annotations

import contextlib
import csv
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from member_migration import config
from member_migration.generator import generate_package
from member_migration.warehouse import EmbeddedWarehouse, ensure_database, ensure_roles
from member_migration.warehouse.embedded import free_port

PROJECT_ROOT = config.PROJECT_ROOT
#: The package every end-to-end test shares (fixture ``built``).
PIPELINE_PERSONS = 2500
PIPELINE_SEED = 20261122
#: One as-of day for every test build, so results do not depend on the day the tests run.
TEST_AS_OF_DATE = "2026-10-31"


@dataclass
class Warehouse:
    """A real PostgreSQL database for this test session."""

    settings: config.ConnectionSettings
    embedded: EmbeddedWarehouse | None = None
    created_databases: list[str] = field(default_factory=list)

    @property
    def conninfo(self) -> str:
        return self.settings.conninfo()

    @property
    def env(self) -> dict[str, str]:
        return self.settings.env()

    def connect(self, dbname: str | None = None, **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.settings.conninfo(dbname), autocommit=True, **kwargs)

    def query(self, query: str, params: tuple | dict | None = None) -> list[tuple]:
        with self.connect() as conn:
            return conn.execute(query, params).fetchall()

    def scalar(self, query: str, params: tuple | dict | None = None):
        rows = self.query(query, params)
        return rows[0][0] if rows else None

    def create_database(self) -> str:
        name = f"mm_test_{secrets.token_hex(4)}"
        ensure_database(self.settings.conninfo("postgres"), name)
        self.created_databases.append(name)
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.settings.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The session's own PostgreSQL: PGHOST's server when set, else a throw-away embedded one."""
    saved_env = {
        k: os.environ.get(k)
        for k in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "MEMBER_MIGRATION_BACKUP_DIR")
    }
    if config.uses_external_server():
        base = config.connection_settings()
        dbname = f"mm_test_{secrets.token_hex(4)}"
        ensure_database(base.conninfo("postgres"), dbname)
        settings = config.ConnectionSettings(base.host, base.port, base.user, base.password, dbname)
        ensure_roles(settings.conninfo())
        wh = Warehouse(settings=settings)
    else:
        # Short path: the unix socket lives inside it.
        data_dir = Path(tempfile.mkdtemp(prefix="mmwh-"))
        embedded = EmbeddedWarehouse(data_dir, free_port())
        embedded.start()
        wh = Warehouse(settings=embedded.settings(), embedded=embedded)
    os.environ.update(wh.env)
    # Backups the CLI takes (before a new package's first load) go to the session's folder.
    os.environ["MEMBER_MIGRATION_BACKUP_DIR"] = str(tmp_path_factory.mktemp("backups"))
    try:
        yield wh
    finally:
        for name in wh.created_databases:
            with contextlib.suppress(psycopg.Error):
                wh.drop_database(name)
        if wh.embedded is not None:
            wh.embedded.destroy()
        else:
            with contextlib.suppress(psycopg.Error):
                wh.drop_database(wh.settings.dbname)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def fresh_db(warehouse: Warehouse) -> Iterator[str]:
    """The conninfo of a new, empty database on the session's server (dropped afterwards)."""
    name = warehouse.create_database()
    try:
        yield warehouse.settings.conninfo(name)
    finally:
        with contextlib.suppress(psycopg.Error):
            warehouse.drop_database(name)
        warehouse.created_databases.remove(name)


@dataclass
class DbtResult:
    success: bool
    results: list
    exception: BaseException | None
    output: str

    def failures(self) -> list[str]:
        return [
            f"{r.node.unique_id}: {r.status} {r.message or ''}"
            for r in self.results
            if str(r.status) in {"error", "fail", "runtime error"}
        ]


class DbtRunner:
    """Runs dbt in-process (dbt's ``dbtRunner``) against the session's warehouse."""

    def __init__(self, target_dir: Path) -> None:
        self.target_dir = target_dir

    def __call__(
        self, *args: str, vars: dict | None = None, env: dict[str, str] | None = None
    ) -> DbtResult:
        from dbt.cli.main import dbtRunner

        merged_vars = {"as_of_date": TEST_AS_OF_DATE, **(vars or {})}
        cli_args = [
            *args,
            "--project-dir",
            str(PROJECT_ROOT),
            "--profiles-dir",
            str(PROJECT_ROOT),
            "--target-path",
            str(self.target_dir),
            "--log-path",
            str(self.target_dir / "logs"),
            "--vars",
            _yaml_dict(merged_vars),
        ]
        saved = {k: os.environ.get(k) for k in (env or {})}
        os.environ.update(env or {})
        try:
            res = dbtRunner().invoke(cli_args)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        if isinstance(res.result, list):  # `dbt ls` returns its lines
            results = list(res.result)
        elif res.result is not None:
            results = list(getattr(res.result, "results", []) or [])
        else:
            results = []
        return DbtResult(res.success, results, res.exception, "")


def _yaml_dict(values: dict) -> str:
    import json

    return json.dumps(values)


@pytest.fixture(scope="session")
def dbt(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> DbtRunner:
    """Run dbt against the session's warehouse: ``dbt("build", "--select", "...")``."""
    return DbtRunner(tmp_path_factory.mktemp("dbt-target"))


@pytest.fixture(scope="session")
def cli_env(warehouse: Warehouse) -> dict[str, str]:
    """Environment for running the ``member-migration`` CLI against the session's warehouse."""
    return {**os.environ, **warehouse.env}


def run_cli(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    """Run the real console script in a subprocess, as a user would."""
    exe = Path(sys.executable).with_name("member-migration")
    if not exe.exists():
        exe = Path(shutil.which("member-migration") or "member-migration")
    result = subprocess.run(
        [str(exe), *args], env=env, capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"member-migration {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


class Built:
    def __init__(self, package: Path, truth: Path, result) -> None:
        self.package = package
        self.truth = truth
        self.result = result

    def truth_rows(self, name: str) -> list[dict]:
        with (self.truth / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def built(warehouse: Warehouse, dbt: DbtRunner, cli_env, tmp_path_factory) -> Built:
    """A generated package, loaded with the CLI and built with dbt, once per session."""
    root = tmp_path_factory.mktemp("pipeline")
    package = root / "package"
    summary = generate_package(package, persons=PIPELINE_PERSONS, seed=PIPELINE_SEED)
    run_cli("load", str(package), env=cli_env)
    result = dbt("build")
    return Built(package, Path(summary.truth_dir), result)


def upgrade_card_to_top_tier(conn: psycopg.Connection, card: str) -> None:
    """Load, as a new batch, the latest version of POS card ``card`` with tier 钻石卡 (T5) and a
    later updated_at: the changed row a delta export would send."""
    conn.execute(
        "insert into raw.pos_member_card "
        "select card_no, member_name, mobile, id_card_no, gender, birthday, open_date, "
        "store_code, '钻石卡', points, stored_value, status, nickname, province, city, "
        "'2026-10-30 12:00:00', (select max(_batch_id) + 1 from raw.pos_member_card), "
        "'pos_member_card.csv', 1, now() "
        "from raw.pos_member_card where trim(card_no) = %s "
        "order by _batch_id desc, _record_number desc limit 1",
        (card,),
    )
