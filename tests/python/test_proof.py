"""Proof and history: the build refuses to publish when the evidence does not hold.

These tests reuse the session's built package (fixture ``built`` of test_pipeline) and change
it on purpose: a mart row removed, a tier upgraded in a new batch. The quality-gate test builds
its own package, in its own database, whose members lack mobiles.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path

import psycopg

from conftest import TEST_AS_OF_DATE, DbtRunner, Warehouse, run_cli, upgrade_card_to_top_tier
from member_migration.generator import generate_package


def _snapshot_counts(warehouse: Warehouse) -> dict[str, int]:
    tables = [
        r[0]
        for r in warehouse.query(
            "select table_name from information_schema.tables where table_schema = 'snapshots'"
        )
    ]
    return {t: warehouse.scalar(f'select count(*) from snapshots."{t}"') for t in tables}


def test_a_row_removed_from_a_mart_table_fails_the_reconciliation(
    built, dbt: DbtRunner, warehouse: Warehouse
):
    with warehouse.connect() as conn:
        removed = conn.execute(
            "delete from marts.dim_member_legacy_accounts where ctid = "
            "(select min(ctid) from marts.dim_member_legacy_accounts) returning *"
        ).fetchone()
    try:
        # The reconciliation checks the published mart: dim_member_legacy_accounts is not
        # selected, so ref() resolves to marts, not to a candidate.
        result = dbt("build", "--select", "migration_reconciliation")
        assert not result.success
        failed = result.failures()
        assert any("all_zero_migration_reconciliation_difference" in f for f in failed), failed
        off = warehouse.query(
            "select source_table, measure, difference from audit.migration_reconciliation "
            "where difference <> 0"
        )
        assert len(off) == 1 and off[0][1] == "records" and off[0][2] == 1
    finally:
        with warehouse.connect() as conn:
            placeholders = ", ".join(["%s"] * len(removed))
            conn.execute(
                f"insert into marts.dim_member_legacy_accounts values ({placeholders})", removed
            )
        restored = dbt("run", "--select", "migration_reconciliation")
        assert restored.success
    assert (
        warehouse.scalar(
            "select count(*) from audit.migration_reconciliation where difference <> 0"
        )
        == 0
    )


def test_a_lost_doubled_or_stray_outcome_fails_the_one_outcome_per_raw_row_test(
    built, dbt: DbtRunner, warehouse: Warehouse
):
    # Nothing is lost: a raw row without an outcome, one with two, and an outcome of no legacy
    # file each fail the proof, and they are exactly the rows it returns.
    table = "intermediate.int_row_outcomes"
    key = "source_table, _batch_id, _record_number"
    pick = f"(select ctid from {table} where source_table = %s limit 1)"
    with warehouse.connect() as conn:
        # the key, then the whole row (to put it back)
        removed = conn.execute(
            f"delete from {table} where ctid = {pick} returning {key}, *", ("pos_points_log",)
        ).fetchone()
        doubled = conn.execute(
            f"insert into {table} select * from {table} where ctid = {pick} returning ctid, {key}",
            ("mall_coupon",),
        ).fetchone()
        (copied,) = conn.execute(
            f"insert into {table} select * from {table} where ctid = {pick} returning ctid",
            ("wechat_member",),
        ).fetchone()
        stray = conn.execute(
            f"update {table} set source_table = 'unknown_file' where ctid = %s "
            f"returning ctid, {key}",
            (copied,),
        ).fetchone()
    select_test = ("test", "--select", "assert_every_raw_row_has_exactly_one_outcome")
    try:
        result = dbt(*select_test)
        assert not result.success
        (failed,) = [r for r in result.results if str(r.status) == "fail"]
        assert set(warehouse.query(failed.node.compiled_code)) == {
            (*removed[:3], 1, 0),
            (*doubled[1:], 1, 2),
            (*stray[1:], 0, 1),
        }
    finally:
        with warehouse.connect() as conn:
            conn.execute(f"delete from {table} where ctid in (%s, %s)", (doubled[0], stray[0]))
            row = removed[3:]
            conn.execute(f"insert into {table} values ({', '.join(['%s'] * len(row))})", row)
    assert dbt(*select_test).success


def test_a_null_in_a_required_intermediate_column_fails_columns_not_null_naming_it(
    built, dbt: DbtRunner, warehouse: Warehouse
):
    # The intermediate models check their required columns in one scan (columns_not_null):
    # a null in any of them must still fail the build, and say which column and how many rows.
    table = "intermediate.int_pos_points_log_versioned"
    with warehouse.connect() as conn:
        nulled = conn.execute(
            f"update {table} set row_hash = null where ctid in "
            f"(select ctid from {table} limit 2) returning _batch_id, _record_number"
        ).fetchall()
        original = conn.execute(
            "select _batch_id, _record_number, row_hash from staging.stg_pos__points_log "
            "where (_batch_id, _record_number) in ("
            + ", ".join(f"({b}, {r})" for b, r in nulled)
            + ")"
        ).fetchall()
    try:
        result = dbt("test", "--select", "int_pos_points_log_versioned,test_name:columns_not_null")
        assert not result.success
        failed = [r for r in result.results if str(r.status) == "fail"]
        assert len(failed) == 1, result.failures()
        rows = warehouse.query(failed[0].node.compiled_code)
        assert rows == [("row_hash", 2)]
    finally:
        with warehouse.connect() as conn:
            for batch_id, record_number, row_hash in original:
                conn.execute(
                    f"update {table} set row_hash = %s "
                    "where _batch_id = %s and _record_number = %s",
                    (row_hash, batch_id, record_number),
                )
    assert dbt(
        "test", "--select", "int_pos_points_log_versioned,test_name:columns_not_null"
    ).success


def test_a_rebuild_adds_exactly_one_version_for_a_changed_tier_and_none_else(
    built, dbt: DbtRunner, warehouse: Warehouse
):
    """Rebuilding re-snapshots every member and record: only what changed gets a version."""
    counts_before = _snapshot_counts(warehouse)
    assert set(counts_before) >= {
        "snap_pos_member_card",
        "snap_mall_user",
        "snap_wechat_member",
        "snap_members",
    }
    assert all(counts_before.values())
    # A member with one POS card below the top tier; its card comes again in a new batch,
    # upgraded to 钻石卡 (T5), as a delta export would send it.
    card, member_id = warehouse.query(
        "select a.source_key, a.member_id from marts.dim_member_legacy_accounts a "
        "join marts.dim_members m using (member_id) "
        "where a.source_system = 'pos' and m.source_record_count = 1 and m.tier_code <> 'T5' "
        "order by a.source_key limit 1"
    )[0]
    versions_before = warehouse.scalar(
        "select count(*) from snapshots.snap_members where member_id = %s", (member_id,)
    )
    card_versions_before = warehouse.scalar(
        "select count(*) from snapshots.snap_pos_member_card where source_key = %s", (card,)
    )
    with warehouse.connect() as conn:
        upgrade_card_to_top_tier(conn, card)
    result = dbt("build")
    assert result.success, result.failures() or result.exception
    assert (
        warehouse.scalar(
            "select tier_code from marts.dim_members where member_id = %s", (member_id,)
        )
        == "T5"
    )
    assert (
        warehouse.scalar(
            "select count(*) from snapshots.snap_members where member_id = %s", (member_id,)
        )
        == versions_before + 1
    )
    assert (
        warehouse.scalar(
            "select count(*) from snapshots.snap_pos_member_card where source_key = %s", (card,)
        )
        == card_versions_before + 1
    )
    # Nothing else got a version: a rebuild of unchanged input adds no snapshot row.
    expected_counts = dict(counts_before)
    expected_counts["snap_members"] += 1
    expected_counts["snap_pos_member_card"] += 1
    assert _snapshot_counts(warehouse) == expected_counts
    history = warehouse.query(
        "select tier_code, is_current from marts.member_history where member_id = %s "
        "order by valid_from",
        (member_id,),
    )
    assert history[-1] == ("T5", True) and not any(current for _, current in history[:-1])
    # The superseded version is counted, and everything still reconciles.
    assert (
        warehouse.scalar(
            "select count(*) from audit.migration_reconciliation where difference <> 0"
        )
        == 0
    )


def _rewrite_column(package: Path, file_name: str, column: str, blank_every: int = 1) -> int:
    """Rewrite one file of the package (as UTF-8) with ``column`` missing in every
    ``blank_every``-th well-formed row; returns how many values were blanked."""
    styles = json.loads((package.parent / f"{package.name}.truth" / "summary.json").read_text())
    path = package / file_name
    encoding = styles["files"][file_name]["encoding"]
    codec = "gb18030" if encoding == "gb18030" else "utf-8-sig"
    text = path.read_bytes().decode(codec, errors="surrogateescape")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    index = header.index(column)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    blanked = 0
    for number, row in enumerate(rows[1:]):
        if len(row) == len(header) and number % blank_every == 0:
            row[index] = ""
            blanked += 1
        writer.writerow(row)
    path.write_bytes(out.getvalue().encode("utf-8", errors="surrogateescape"))
    return blanked


def _blank_mobiles(package: Path) -> None:
    """Rewrite the member files (as UTF-8) with every mobile missing."""
    for file_name, column in {
        "pos_member_card.csv": "mobile",
        "mall_user.csv": "phone",
        "wechat_member.csv": "mobile",
    }.items():
        _rewrite_column(package, file_name, column)


def _build_in_new_database(
    warehouse: Warehouse, package: Path, tmp_path: Path, *build_args: str
) -> tuple[str, subprocess.CompletedProcess]:
    """Load ``package`` into a new database and run ``dbt build`` there as a user would."""
    dbname = warehouse.create_database()
    cli_env = {**os.environ, **warehouse.env, "PGDATABASE": dbname}
    run_cli("load", str(package), env=cli_env)
    result = run_cli(
        "dbt",
        "build",
        *build_args,
        "--vars",
        json.dumps({"as_of_date": TEST_AS_OF_DATE}),
        "--target-path",
        str(tmp_path / "target"),
        "--log-path",
        str(tmp_path / "logs"),
        env=cli_env,
        check=False,
    )
    return dbname, result


def test_an_empty_build_runs_every_node_and_publishes_nothing(warehouse: Warehouse, tmp_path: Path):
    # `dbt build --empty` (a schema-only dry run analytics engineers use in CI) renders every
    # ref and source as an aliased subquery; every model, snapshot and test must still run.
    package = tmp_path / "package"
    generate_package(package, persons=200, seed=8)
    dbname, result = _build_in_new_database(warehouse, package, tmp_path, "--empty")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "ERROR=0 SKIP=0" in output
    assert "NOT published: an --empty or --sample build never publishes" in output
    with psycopg.connect(warehouse.settings.conninfo(dbname)) as conn:
        assert conn.execute("select to_regclass('marts.dim_members')").fetchone()[0] is None
        assert conn.execute("select count(*) from marts_candidate.dim_members").fetchone()[0] == 0
    warehouse.drop_database(dbname)


def test_members_without_mobiles_fail_the_quality_gate_naming_column_and_rate(
    warehouse: Warehouse, tmp_path: Path
):
    package = tmp_path / "no_mobiles"
    generate_package(package, persons=400, seed=5)
    _blank_mobiles(package)
    dbname, result = _build_in_new_database(warehouse, package, tmp_path)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "null_rate_within_dictionary_dim_members_mobile_masked" in output
    assert "Quality gate failed: mobile" in output
    # Nothing is published (write-audit-publish): there was no mart before, there is none now.
    assert "NOT published: failed: test null_rate_within_dictionary_dim_members" in output
    # The rate the gate names is the share of members without a mobile, measured here
    # independently on the candidate the build wrote and tested.
    with psycopg.connect(warehouse.settings.conninfo(dbname)) as conn:
        assert conn.execute("select to_regclass('marts.dim_members')").fetchone()[0] is None
        rate = conn.execute(
            "select count(*) filter (where mobile_masked is null)::numeric / count(*) "
            "from marts_candidate.dim_members"
        ).fetchone()[0]
        # The failing build's own rates are in audit.null_rates for reviewers: the failing
        # field is_passing false, the others true (not skipped, not the previous build's).
        gated = {
            field: (null_rate, is_passing)
            for field, null_rate, is_passing in conn.execute(
                "select column_name, null_rate, is_passing from audit.null_rates"
            )
        }
    assert rate > 0.05
    assert f"null rate {float(rate):.4f} is above its max_null_rate 0.05" in output
    assert gated.pop("mobile") == (round(rate, 6), False)
    assert gated and all(is_passing for _, is_passing in gated.values()), gated


def test_rows_missing_a_code_no_rule_rejects_are_migrated_and_published(
    warehouse: Warehouse, tmp_path: Path
):
    """A coupon without coupon_type, a log entry without change_type and an order without
    order_status break no rule of section 3: they are migrated (and reconciled), and the build
    that meets them still publishes."""
    package = tmp_path / "missing_codes"
    generate_package(package, persons=400, seed=7)
    assert _rewrite_column(package, "mall_coupon.csv", "coupon_type", blank_every=3) > 0
    assert _rewrite_column(package, "pos_points_log.csv", "change_type", blank_every=5) > 0
    assert _rewrite_column(package, "mall_order.csv", "order_status", blank_every=4) > 0
    dbname, result = _build_in_new_database(warehouse, package, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Published marts and pii" in output
    with psycopg.connect(warehouse.settings.conninfo(dbname)) as conn:

        def scalar(query: str):
            return conn.execute(query).fetchone()[0]

        assert (
            scalar(
                "select count(*) from marts.dim_member_benefits "
                "where source_table = 'mall_coupon' and benefit_type is null"
            )
            > 0
        )
        assert scalar("select count(*) from marts.fct_points_ledger where entry_type is null") > 0
        assert (
            scalar(
                "select count(*) from marts.fct_transactions "
                "where source_table = 'mall_order' and status is null and not is_purchase"
            )
            > 0
        )
        # an order without a status is no purchase (a purchase is a `paid` order)
        assert (
            scalar(
                "select count(*) from marts.fct_transactions "
                "where source_table = 'mall_order' and status is null and is_purchase"
            )
            == 0
        )
        differences = conn.execute(
            "select source_table, measure, difference from audit.migration_reconciliation "
            "where difference <> 0"
        ).fetchall()
        assert differences == []
        # the open coupons without a type are among the reconciled benefits
        assert scalar(
            "select migrated_value from audit.migration_reconciliation "
            "where measure = 'open_coupons'"
        ) == scalar(
            "select count(*) from marts.dim_member_benefits where source_table = 'mall_coupon'"
        )


def test_docs_catalog_describes_every_model_seed_snapshot_column_and_macro(built, dbt: DbtRunner):
    result = dbt("docs", "generate")
    assert result.success, result.exception
    manifest = json.loads((dbt.target_dir / "manifest.json").read_text())
    catalog = json.loads((dbt.target_dir / "catalog.json").read_text())
    undocumented = []
    kinds = {"model", "seed", "snapshot"}
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] not in kinds or node["package_name"] != "member_migration":
            continue
        if not node["description"].strip():
            undocumented.append(unique_id)
        columns = catalog["nodes"].get(unique_id, {}).get("columns", {})
        for column in columns:
            documented = node["columns"].get(column, {}).get("description", "").strip()
            if not documented:
                undocumented.append(f"{unique_id}.{column}")
    assert not undocumented, undocumented
    # Every project macro (generic tests included) is documented too.
    bare = [
        uid
        for uid, macro in manifest["macros"].items()
        if macro["package_name"] == "member_migration"
        and not macro["name"].startswith(("default__", "postgres__"))
        and not macro["description"].strip()
    ]
    assert not bare, bare
    # Every project macro (generic tests included) is documented too.
    bare = [
        uid
        for uid, macro in manifest["macros"].items()
        if macro["package_name"] == "member_migration"
        and not macro["name"].startswith(("default__", "postgres__"))
        and not macro["description"].strip()
    ]
    assert not bare, bare
