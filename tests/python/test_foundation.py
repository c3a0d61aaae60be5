"""The foundation: the embedded warehouse, the connection rule, and the contract's schemas."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import psycopg
import pytest

from conftest import Warehouse, run_cli
from member_migration import config
from member_migration.warehouse import EmbeddedWarehouse
from member_migration.warehouse.embedded import free_port

CONTRACT_SCHEMAS = {"staging", "intermediate", "marts", "audit", "pii", "snapshots", "mapping"}
FOLDER_SCHEMAS = {
    "models/staging": "staging",
    "models/intermediate": "intermediate",
    "models/marts": "marts",
    "models/audit": "audit",
    "models/pii": "pii",
    "seeds": "mapping",
    "snapshots": "snapshots",
}


def _embedded_env(data_dir: Path, port: int) -> dict[str, str]:
    """Environment for the CLI with no PGHOST: it must use (and start) its embedded warehouse."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["MEMBER_MIGRATION_WAREHOUSE_DIR"] = str(data_dir)
    env["MEMBER_MIGRATION_PORT"] = str(port)
    return env


def test_warehouse_start_is_idempotent_status_prints_url_and_stop_stops():
    data_dir = Path(tempfile.mkdtemp(prefix="mmcli-"))
    port = free_port()
    env = _embedded_env(data_dir, port)
    url = f"postgresql://postgres@127.0.0.1:{port}/member_migration"
    try:
        first = run_cli("warehouse", "start", env=env)
        assert "started" in first.stdout
        second = run_cli("warehouse", "start", env=env)
        assert "already running" in second.stdout
        status = run_cli("warehouse", "status", env=env)
        assert url in status.stdout
        # The printed connection string connects, and the contract's roles exist.
        with psycopg.connect(url) as conn:
            roles = {
                r[0]
                for r in conn.execute(
                    "select rolname from pg_roles where rolname in ('bi_reader', 'crm_loader')"
                )
            }
        assert roles == {"bi_reader", "crm_loader"}
        # The roles log in over a real connection (no password: loopback only).
        with psycopg.connect(f"postgresql://bi_reader@127.0.0.1:{port}/member_migration") as conn:
            assert conn.execute("select current_user").fetchone()[0] == "bi_reader"
        stopped = run_cli("warehouse", "stop", env=env)
        assert "stopped" in stopped.stdout
        after = run_cli("warehouse", "status", env=env, check=False)
        assert after.returncode == 3
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(url, connect_timeout=2)
    finally:
        EmbeddedWarehouse(data_dir, port).destroy()


def test_warehouse_survives_across_commands_until_stop():
    data_dir = Path(tempfile.mkdtemp(prefix="mmcli-"))
    port = free_port()
    env = _embedded_env(data_dir, port)
    try:
        run_cli("warehouse", "start", env=env)
        # A separate process (the CLI exited) still finds it running.
        assert run_cli("warehouse", "status", env=env).returncode == 0
        assert EmbeddedWarehouse(data_dir, port).is_running()
    finally:
        EmbeddedWarehouse(data_dir, port).destroy()


def test_pghost_points_every_command_at_another_server(warehouse: Warehouse, tmp_path: Path):
    """With PG* set, the CLI and dbt build in that server's database, not the embedded one."""
    second = EmbeddedWarehouse(Path(tempfile.mkdtemp(prefix="mmpg-")), free_port())
    second.start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(
            PGHOST="127.0.0.1",
            PGPORT=str(second.port),
            PGUSER="postgres",
            PGDATABASE="elsewhere",
            # An embedded warehouse that must NOT be started by any command below.
            MEMBER_MIGRATION_WAREHOUSE_DIR=str(tmp_path / "never-started"),
            MEMBER_MIGRATION_PORT=str(free_port()),
        )
        status = run_cli("warehouse", "status", env=env)
        assert f"127.0.0.1:{second.port}/elsewhere" in status.stdout
        result = run_cli(
            "dbt", "seed", "--select", "tiers", "--target-path", str(tmp_path / "t"), env=env
        )
        assert result.returncode == 0, result.stdout
        with psycopg.connect(second.settings("elsewhere").conninfo()) as conn:
            tiers = conn.execute("select count(*) from mapping.tiers").fetchone()[0]
        assert tiers == 5
        assert not (tmp_path / "never-started").exists()
        # ...and the session's own warehouse did not receive it.
        assert not warehouse.query("select 1 from pg_database where datname = 'elsewhere'")
    finally:
        second.destroy()


def test_connection_rule_defaults_to_the_embedded_warehouse(monkeypatch: pytest.MonkeyPatch):
    for key in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MEMBER_MIGRATION_PORT", "54555")
    settings = config.connection_settings()
    assert (settings.host, settings.port, settings.dbname) == (
        "127.0.0.1",
        54555,
        "member_migration",
    )
    monkeypatch.setenv("PGHOST", "db.example")
    monkeypatch.setenv("PGDATABASE", "crm")
    settings = config.connection_settings()
    assert (settings.host, settings.port, settings.dbname) == ("db.example", 5432, "crm")


def test_every_folder_builds_into_exactly_the_contract_schema(dbt):
    """dbt's own resolution of schemas: each folder lands in its contract schema, no prefix."""
    result = dbt(
        "ls",
        "--resource-types",
        "model",
        "seed",
        "snapshot",
        "--output",
        "json",
        "--output-keys",
        "original_file_path",
        "schema",
    )
    assert result.success, result.exception
    nodes = [json.loads(line) for line in result.results]
    assert nodes, "the project has no models or seeds"
    for node in nodes:
        folder = next(
            (f for f in FOLDER_SCHEMAS if node["original_file_path"].startswith(f + "/")), None
        )
        assert folder is not None, f"{node['original_file_path']} is outside the known folders"
        assert node["schema"] == FOLDER_SCHEMAS[folder], node
    assert {n["schema"] for n in nodes} <= CONTRACT_SCHEMAS


def test_seeds_build_into_the_mapping_schema_of_a_real_server(dbt, warehouse: Warehouse):
    result = dbt("build", "--select", "resource_type:seed", "--indirect-selection", "cautious")
    assert result.success, result.failures() or result.exception
    schemas = {
        r[0]
        for r in warehouse.query(
            "select distinct table_schema from information_schema.tables "
            "where table_schema not in ('pg_catalog', 'information_schema', 'public')"
        )
    }
    assert schemas <= CONTRACT_SCHEMAS | {"raw"}
    assert warehouse.scalar("select count(*) from mapping.tiers") == 5
    assert (
        warehouse.scalar(
            "select tier_code from mapping.tier_mapping "
            "where source_system = 'pos' and legacy_value = '钻石卡'"
        )
        == "T5"
    )
