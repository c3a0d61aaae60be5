"""The whole job on a generated package: load, dbt build, and the mart against the ground truth.

One package is generated, loaded and built once per session (fixture ``built``); each test then
checks one invariant a user relies on, against the generator's ground truth (written beside the
package) or against the warehouse itself.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

from conftest import TEST_AS_OF_DATE, Built, Warehouse, run_cli

MAX_RECORDS_PER_MATCH_KEY = 10
SYSTEM_OF_TABLE = {"pos_member_card": "pos", "mall_user": "mall", "wechat_member": "wechat"}
CONTRACT_SCHEMAS = {
    "raw",
    "staging",
    "intermediate",
    "marts",
    "audit",
    "pii",
    "snapshots",
    "mapping",
}

#: mart-contract.md: published tables and their required columns.
PUBLISHED_COLUMNS = {
    "marts.dim_members": {
        "member_id",
        "tier_code",
        "tier_name",
        "status",
        "points_balance",
        "stored_value_balance",
        "register_at",
        "first_source_system",
        "nickname",
        "gender",
        "province",
        "city",
        "mobile_masked",
        "source_record_count",
    },
    "marts.dim_member_legacy_accounts": {"member_id", "source_system", "source_key"},
    "marts.fct_points_ledger": {
        "ledger_entry_id",
        "member_id",
        "source_system",
        "source_key",
        "entry_type",
        "points",
        "legacy_points",
        "residual_legacy_points",
        "occurred_at",
    },
    "marts.fct_transactions": {
        "transaction_id",
        "member_id",
        "source_system",
        "channel",
        "amount",
        "status",
        "occurred_at",
    },
    "marts.dim_member_benefits": {
        "benefit_id",
        "member_id",
        "benefit_type",
        "amount",
        "expires_at",
    },
    "marts.dim_member_segments": {
        "member_id",
        "recency_days",
        "frequency_365d",
        "monetary_365d",
        "r_score",
        "f_score",
        "m_score",
        "lifecycle_stage",
    },
    "marts.dim_member_attributes": {"member_id", "attribute", "value", "source_system"},
    "pii.member_identities": {
        "member_id",
        "member_name",
        "mobile",
        "id_card_no",
        "email",
        "birthday",
        "unionid",
    },
    "audit.quarantined_rows": {
        "source_table",
        "source_key",
        "rule_codes",
        "raw_record",
        "batch_id",
    },
    "audit.member_data_issues": {
        "member_id",
        "source_system",
        "source_key",
        "rule_code",
        "column_name",
        "raw_value",
    },
    "audit.migration_reconciliation": {
        "source_table",
        "measure",
        "legacy_value",
        "migrated_value",
        "duplicate_value",
        "superseded_value",
        "quarantined_value",
        "rejected_value",
        "residual_value",
        "erased_value",
        "difference",
    },
    "audit.null_rates": {"model_name", "column_name", "null_rate", "max_null_rate", "is_passing"},
}
CLEAR_PII_COLUMNS = {"mobile", "id_card_no", "member_name", "email", "birthday", "unionid"}


#: the seven legacy files of the contract (legacy-exports.md)
LEGACY_FILES = (
    "pos_member_card",
    "pos_points_log",
    "pos_transaction",
    "mall_user",
    "mall_order",
    "mall_coupon",
    "wechat_member",
)


def test_dbt_build_of_a_generated_package_is_green(built: Built):
    assert built.result.success, built.result.failures() or built.result.exception


def test_generated_package_is_built_for_the_as_of_day_its_truth_assumes(built: Built):
    summary = json.loads((built.truth / "summary.json").read_text())
    assert summary["truth_as_of_date"] == TEST_AS_OF_DATE


def test_schemas_after_a_build_are_exactly_the_contracts(built: Built, warehouse: Warehouse):
    schemas = {
        r[0]
        for r in warehouse.query(
            "select schema_name from information_schema.schemata "
            "where schema_name not like 'pg\\_%' and schema_name not in "
            "('information_schema', 'public')"
        )
    }
    assert schemas == CONTRACT_SCHEMAS


def test_intermediate_tables_are_unlogged_and_everything_published_is_logged(
    built: Built, warehouse: Warehouse
):
    """The intermediate layer is rebuilt by every build, so it skips the WAL; what BI, the
    new platform and reviewers read must survive a server crash."""
    persistence: dict[str, set[str]] = defaultdict(set)
    for schema, relpersistence in warehouse.query(
        "select n.nspname, c.relpersistence from pg_class c "
        "join pg_namespace n on n.oid = c.relnamespace "
        "where c.relkind = 'r' and n.nspname in "
        "('intermediate', 'marts', 'pii', 'audit', 'snapshots')"
    ):
        persistence[schema].add(relpersistence)
    assert persistence["intermediate"] == {"u"}
    for schema in ("marts", "pii", "audit", "snapshots"):
        assert persistence[schema] == {"p"}, schema


def test_every_rebuilt_table_has_statistics_and_is_left_alone_by_autovacuum(
    built: Built, warehouse: Warehouse
):
    """Every table a build drops and creates again (intermediate, marts, pii, audit) is analyzed
    as soon as it is written, so the models and tests after it plan with real statistics, and
    autovacuum is off on it: the server would otherwise vacuum and analyze each fresh table
    while the build runs, and the publish, which locks the candidate tables, would wait for it
    (it did: 15 s for fct_points_ledger at a million persons)."""
    tables = warehouse.query(
        "select n.nspname || '.' || c.relname, s.last_analyze is not null, "
        "coalesce('autovacuum_enabled=false' = any(c.reloptions), false) "
        "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "left join pg_stat_user_tables s on s.relid = c.oid "
        "where c.relkind = 'r' and n.nspname in ('intermediate', 'marts', 'pii', 'audit') "
        # the publish log: created once by the on-run-start hook, appended to, never rebuilt
        "and (n.nspname, c.relname) <> ('audit', 'publish_events')"
    )
    assert {t.split(".")[0] for t, _, _ in tables} == {"intermediate", "marts", "pii", "audit"}
    assert [t for t, analyzed, _ in tables if not analyzed] == []
    assert [t for t, _, autovacuum_off in tables if not autovacuum_off] == []


def test_published_tables_have_the_contracts_columns(built: Built, warehouse: Warehouse):
    for table, required in PUBLISHED_COLUMNS.items():
        schema, name = table.split(".")
        columns = {
            r[0]
            for r in warehouse.query(
                "select column_name from information_schema.columns "
                "where table_schema = %s and table_name = %s",
                (schema, name),
            )
        }
        assert required <= columns, f"{table} lacks {sorted(required - columns)}"


def test_marts_hold_no_clear_personal_data(built: Built, warehouse: Warehouse):
    leaked = warehouse.query(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'marts' and column_name = any(%s)",
        (sorted(CLEAR_PII_COLUMNS),),
    )
    assert leaked == []
    masked = warehouse.query(
        "select count(*) from marts.dim_members m join pii.member_identities i using (member_id) "
        "where i.mobile is not null and m.mobile_masked <> "
        "left(i.mobile, 3) || '****' || right(i.mobile, 4)"
    )
    assert masked == [(0,)]


def _expected_members(records: list[dict]) -> set[frozenset[str]]:
    """Union-find over the truth's cleaned match keys, with the placeholder guard."""
    migrated = [r for r in records if r["expect_quarantined"] == "0"]
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in migrated:
        record = f"{SYSTEM_OF_TABLE[r['source_table']]}:{r['source_key']}"
        for key in ("mobile", "id_card_no", "email", "unionid"):
            if r[key]:
                holders[(key, r[key])].append(record)
    parent = {f"{SYSTEM_OF_TABLE[r['source_table']]}:{r['source_key']}": "" for r in migrated}
    for k in parent:
        parent[k] = k

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for members in holders.values():
        if len(members) > MAX_RECORDS_PER_MATCH_KEY:
            continue
        for other in members[1:]:
            parent[find(other)] = find(members[0])
    groups: dict[str, set[str]] = defaultdict(set)
    for record in parent:
        groups[find(record)].add(record)
    return {frozenset(g) for g in groups.values()}


def test_members_are_exactly_the_records_the_keys_link(built: Built, warehouse: Warehouse):
    expected = _expected_members(built.truth_rows("records.csv"))
    groups: dict[str, set[str]] = defaultdict(set)
    for member_id, system, key in warehouse.query(
        "select member_id, source_system, source_key from marts.dim_member_legacy_accounts"
    ):
        groups[member_id].add(f"{system}:{key}")
    actual = {frozenset(g) for g in groups.values()}
    assert len(actual) == len(groups)
    # Every pair the keys link is in one member, and no member joins records the keys do not link.
    missing = expected - actual
    extra = actual - expected
    assert not missing and not extra, (
        f"{len(missing)} expected members not built, e.g. {sorted(map(sorted, missing))[:3]}; "
        f"{len(extra)} built members not expected, e.g. {sorted(map(sorted, extra))[:3]}"
    )
    assert any(len(g) >= 3 for g in actual), "the package should hold members of 3+ records"


def test_placeholder_keys_link_nobody(built: Built, warehouse: Warehouse):
    """Every record holding a key value shared by more than max_records_per_match_key records
    has MATCH_KEY_OVERSHARED on that key's column, and no other record has it; the package
    holds walk-in placeholders of three kinds of key."""
    held = warehouse.query(
        "with placeholders as ("
        "  select key_type, key_value from intermediate.int_member_match_keys "
        "  group by key_type, key_value having count(*) > %s"
        ") select key_type, source_table, source_key, key_column_name "
        "from intermediate.int_member_match_keys join placeholders using (key_type, key_value)",
        (MAX_RECORDS_PER_MATCH_KEY,),
    )
    assert {key_type for key_type, *_ in held} >= {"mobile", "email", "unionid"}
    flagged = set(
        warehouse.query(
            "select source_table, source_key, column_name from audit.member_data_issues "
            "where rule_code = 'MATCH_KEY_OVERSHARED'"
        )
    )
    assert flagged == {tuple(rest) for _, *rest in held}


def test_quarantine_holds_exactly_the_rejects_the_corruptions_imply(
    built: Built, warehouse: Warehouse
):
    expected = {
        (r["source_table"], int(r["package_seq"]), int(r["record_number"])): r["rule_codes"]
        for r in built.truth_rows("expected_rejects.csv")
    }
    rows = warehouse.query(
        "select q.source_table, q.batch_id, q.record_number, "
        "array_to_string(array(select c from unnest(q.rule_codes) c "
        "  join mapping.quality_rules r on r.rule_code = c and r.severity = 'reject' order by c), "
        "'|') from audit.quarantined_rows q"
    )
    batches = {
        b: i + 1
        for i, (b,) in enumerate(
            warehouse.query("select distinct batch_id from raw.batch_manifest order by 1")
        )
    }
    actual = {(t, batches[b], n): codes for t, b, n, codes in rows}
    assert expected, "the generated package should hold rows to quarantine"
    wrong = {
        k: (expected.get(k), actual.get(k))
        for k in expected.keys() | actual.keys()
        if expected.get(k) != actual.get(k)
    }
    assert not wrong, f"{len(wrong)} rows differ (expected, actual): {list(wrong.items())[:5]}"


def test_quarantined_rows_list_every_rule_they_broke_with_known_codes(
    built: Built, warehouse: Warehouse
):
    unknown = warehouse.query(
        "select distinct c from audit.quarantined_rows, unnest(rule_codes) c "
        "where c not in (select rule_code from mapping.quality_rules)"
    )
    assert unknown == []
    unsorted = warehouse.scalar(
        "select count(*) from audit.quarantined_rows "
        "where rule_codes <> array(select unnest(rule_codes) order by 1)"
    )
    assert unsorted == 0


def test_loader_rejects_exactly_the_unreadable_records(built: Built, warehouse: Warehouse):
    expected = {
        (r["source_table"], int(r["record_number"]), r["reason"])
        for r in built.truth_rows("expected_loader_rejects.csv")
    }
    actual = {
        (t, n, reason.split(":")[0])
        for t, n, reason in warehouse.query(
            "select source_table, record_number, reason from raw.load_rejects"
        )
    }
    assert expected and actual == expected


def test_every_members_ledger_adds_up_to_its_balance(built: Built, warehouse: Warehouse):
    mismatched = warehouse.scalar(
        "select count(*) from marts.dim_members m left join ("
        "  select member_id, sum(points) as points from marts.fct_points_ledger group by 1"
        ") l using (member_id) where m.points_balance <> coalesce(l.points, 0)"
    )
    assert mismatched == 0
    assert warehouse.scalar("select count(*) from marts.fct_points_ledger") > 0


def test_legacy_points_are_converted_plus_residual_plus_quarantined(
    built: Built, warehouse: Warehouse
):
    rows = warehouse.query(
        "select source_table, legacy_value, migrated_value, residual_value, quarantined_value "
        "from audit.migration_reconciliation where measure = 'points'"
    )
    assert {r[0] for r in rows} == {
        "pos_member_card",
        "mall_user",
        "wechat_member",
        "pos_points_log",
    }
    for table, legacy, migrated, residual, quarantined in rows:
        assert legacy == migrated + residual + quarantined, table
    # The legacy side equals the truth's balances of the winning member records.
    truth = defaultdict(int)
    for r in built.truth_rows("records.csv"):
        if r["points_legacy"] not in ("", None):
            truth[r["source_table"]] += int(r["points_legacy"])
    legacy = {t: int(v) for t, v, *_ in rows}
    for table in SYSTEM_OF_TABLE:
        assert legacy[table] == truth[table], table
    # The mall converts 10:1, so something is left over as residual in a realistic package.
    mall_residual = next(r[3] for r in rows if r[0] == "mall_user")
    assert mall_residual != 0


def test_reconciliation_accounts_for_every_row_point_yuan_and_coupon(
    built: Built, warehouse: Warehouse
):
    rows = warehouse.query(
        "select source_table, measure, difference from audit.migration_reconciliation"
    )
    measures = {(t, m) for t, m, _ in rows}
    for table in LEGACY_FILES:
        assert (table, "records") in measures
    assert ("pos_member_card", "stored_value") in measures
    assert ("mall_coupon", "open_coupons") in measures
    assert [r for r in rows if r[2] != 0] == []
    # Records in files = legacy records counted by the reconciliation, per file.
    summary = json.loads((built.truth / "summary.json").read_text())
    legacy = dict(
        warehouse.query(
            "select source_table, legacy_value from audit.migration_reconciliation "
            "where measure = 'records'"
        )
    )
    for file_name, count in summary["rows_per_file"].items():
        assert legacy[file_name.removesuffix(".csv")] == count, file_name


def test_quality_gate_measures_every_required_field(built: Built, warehouse: Warehouse):
    gated = dict(warehouse.query("select column_name, is_passing from audit.null_rates"))
    assert set(gated) == {
        "member_id",
        "mobile",
        "register_at",
        "tier_code",
        "status",
        "points_balance",
        "nickname",
        "gender",
    }
    assert all(gated.values())


def test_report_figures_equal_the_audit_tables(
    built: Built, warehouse: Warehouse, cli_env, tmp_path: Path
):
    out = tmp_path / "report.html"
    run_cli("report", "--out", str(out), env=cli_env)
    page = out.read_text(encoding="utf-8")
    # Self-contained: nothing is fetched (no external script, stylesheet, image or font).
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    data = json.loads(
        re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
        .group(1)
        .replace("<\\/", "</")
    )
    reconciliation = {
        (r["source_table"], r["measure"]): (r["legacy_value"], r["difference"])
        for r in data["reconciliation"]
    }
    db = {
        (t, m): (float(legacy), float(diff))
        for t, m, legacy, diff in warehouse.query(
            "select source_table, measure, legacy_value, difference "
            "from audit.migration_reconciliation"
        )
    }
    assert {k: (float(a), float(b)) for k, (a, b) in reconciliation.items()} == db
    assert data["totals"]["members"] == warehouse.scalar("select count(*) from marts.dim_members")
    quarantine = {r["rule_code"]: r["row_count"] for r in data["quarantine_by_rule"]}
    assert quarantine == dict(
        warehouse.query(
            "select c, count(*) from audit.quarantined_rows, unnest(rule_codes) c group by c"
        )
    )
    rates = {r["column_name"]: r["null_rate"] for r in data["null_rates"]}
    assert rates == {
        c: float(v) if v is not None else None
        for c, v in warehouse.query("select column_name, null_rate from audit.null_rates")
    }


def test_sample_verification_shows_every_account_of_the_sampled_members_as_loaded(
    built, warehouse: Warehouse
):
    sampled = warehouse.scalar("select count(distinct member_id) from audit.sample_verification")
    members = warehouse.scalar("select count(*) from marts.dim_members")
    assert sampled == min(200, members)
    # every legacy account of a sampled member has its row, and no other account does
    missing_or_extra = warehouse.scalar(
        """
        select count(*) from (
            select member_id, source_system, source_key from marts.dim_member_legacy_accounts
            where member_id in (select member_id from audit.sample_verification)
            except all
            select member_id, source_system, source_key from audit.sample_verification
        ) as missing
        """
    ) + warehouse.scalar(
        """
        select count(*) from (
            select member_id, source_system, source_key from audit.sample_verification
            except all
            select member_id, source_system, source_key from marts.dim_member_legacy_accounts
        ) as extra
        """
    )
    assert missing_or_extra == 0
    # the legacy values are the winning raw row's, exactly as loaded (untrimmed, unparsed)
    shown = (
        "(sample.legacy_name, sample.legacy_mobile, sample.legacy_tier, sample.legacy_status,"
        " sample.legacy_points, sample.legacy_registered)::text"
    )
    for system, raw_table, current_view, loaded_columns in [
        (
            "pos",
            "pos_member_card",
            "int_pos_member_cards_current",
            "member_name, mobile, tier_name, status, points, open_date",
        ),
        (
            "mall",
            "mall_user",
            "int_mall_users_current",
            "real_name, phone, level, is_deleted, integral, reg_time",
        ),
        (
            "wechat",
            "wechat_member",
            "int_wechat_members_current",
            "null, mobile, member_level, null, points_balance, subscribe_time",
        ),
    ]:
        rows = warehouse.query(
            f"""
            select {shown}, row({loaded_columns})::text
            from audit.sample_verification as sample
            inner join intermediate.{current_view} as current_rows
                on sample.source_key = current_rows.source_key
            inner join raw.{raw_table} as loaded
                on (loaded._batch_id, loaded._record_number)
                    = (current_rows._batch_id, current_rows._record_number)
            where sample.source_system = '{system}'
            """
        )
        on_sample = warehouse.scalar(
            f"select count(*) from audit.sample_verification where source_system = '{system}'"
        )
        assert len(rows) == on_sample > 0, system
        assert [r for r in rows if r[0] != r[1]] == [], system


def test_issue_values_and_quarantined_rows_are_exactly_as_loaded(built, warehouse: Warehouse):
    # Rules section 3: an issue keeps the violated value as loaded, a quarantined row its whole
    # record as loaded; both are rebuilt from raw by (_batch_id, _record_number).
    own_value_rules = (
        "'KEY_MISSING', 'DUPLICATE_SOURCE_ROW', 'ORPHAN_REFERENCE', 'PARENT_QUARANTINED'"
    )
    compared = 0
    for table in LEGACY_FILES:
        checked, differing = warehouse.query(
            f"""
            select
                count(*),
                count(*) filter (
                    where violations.raw_value
                        is distinct from to_jsonb(loaded) ->> violations.column_name
                )
            from intermediate.int_row_violations as violations
            inner join raw.{table} as loaded
                on (loaded._batch_id, loaded._record_number)
                    = (violations._batch_id, violations._record_number)
            where violations.source_table = '{table}'
                and violations.rule_code not in ({own_value_rules})
            """
        )[0]
        assert differing == 0, table
        compared += checked
        # The published issues of member records too, the member-level warnings included.
        checked, differing = warehouse.query(
            f"""
            select
                count(*),
                count(*) filter (
                    where issues.raw_value is distinct from to_jsonb(loaded) ->> issues.column_name
                )
            from audit.member_data_issues as issues
            inner join intermediate.int_member_records as records
                on (records.source_table, records.source_key)
                    = (issues.source_table, issues.source_key)
            inner join raw.{table} as loaded
                on (loaded._batch_id, loaded._record_number)
                    = (records._batch_id, records._record_number)
            where issues.source_table = '{table}' and issues.rule_code <> 'DUPLICATE_SOURCE_ROW'
            """
        )[0]
        assert differing == 0, table
        compared += checked
        quarantined, joined, differing = warehouse.query(
            f"""
            select
                count(*),
                count(loaded._batch_id),
                count(*) filter (where quarantined.raw_record is distinct from to_jsonb(loaded))
            from audit.quarantined_rows as quarantined
            left join raw.{table} as loaded
                on (loaded._batch_id, loaded._record_number)
                    = (quarantined.batch_id, quarantined.record_number)
            where quarantined.source_table = '{table}'
            """
        )[0]
        assert (joined, differing) == (quarantined, 0), table
    assert compared > 0


def _reference_components(edges: list[tuple[int, int]]) -> dict[int, int]:
    """Node -> smallest node of its component, by a plain dictionary union-find."""
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(item):
        parent.setdefault(item, item)
        while parent[item] != item:
            item = parent[item]
        return item

    for node, group in edges:
        parent[find(("node", node))] = find(("group", group))
    members: dict[tuple[str, int], list[int]] = defaultdict(list)
    for node, _ in edges:
        members[find(("node", node))].append(node)
    return {node: min(nodes) for nodes in members.values() for node in nodes}


def _random_graphs() -> list[tuple[str, list[tuple[int, int]]]]:
    import random

    rng = random.Random(20261123)
    graphs: list[tuple[str, list[tuple[int, int]]]] = [("no edges", [])]
    # a chain n1 - g1 - n2 - g2 - ..., given in a shuffled order, and with the smallest node in
    # the middle of it: labels must travel both ways, far
    chain = [30, 7, 99, 5, 64, 1000, 2, 41, 77, 3, 15]
    chain_edges = [(node, 500 + i) for i, node in enumerate(chain)] + [
        (node, 500 + i) for i, node in enumerate(chain[1:])
    ]
    rng.shuffle(chain_edges)
    graphs.append(("shuffled chain", chain_edges))
    # ids anywhere in bigint, including negative ones and the extremes
    wide = [-(2**63), 2**63 - 1, -5, 0, 1, 10**15, -(10**12), 42]
    graphs.append(("bigint extremes", [(wide[i], i // 3) for i in range(len(wide))]))
    for size in (50, 400, 3000):
        edges = []
        for _ in range(size):
            node = rng.randrange(-size, size * 3)
            edges.extend((node, rng.randrange(size)) for _ in range(rng.choice((1, 1, 2, 3))))
        rng.shuffle(edges)
        graphs.append((f"random {size}", edges))
    return graphs


def test_the_component_solver_labels_every_node_with_its_components_smallest_node(
    built: Built, warehouse: Warehouse
):
    """The solver behind int_member_components (macro connected_components) against a plain
    union-find, on graphs built to break it: a long chain given out of order, bigint ids at
    both ends of the range, random graphs with repeated edges; both of its entry points (edges
    passed as arrays, edges in a table)."""
    with warehouse.connect() as conn:
        for name, edges in _random_graphs():
            expected = _reference_components(edges)
            nodes = [node for node, _ in edges]
            groups = [group for _, group in edges]
            from_arrays = dict(
                conn.execute(
                    "select node_id, component_id from "
                    "intermediate.connected_components(%s::bigint[], %s::bigint[])",
                    (nodes, groups),
                ).fetchall()
            )
            assert from_arrays == expected, name
            conn.execute("drop table if exists pg_temp.solver_edges")
            conn.execute("create temporary table solver_edges (record bigint, key_group bigint)")
            with conn.cursor().copy("copy solver_edges from stdin") as copy:
                for edge in edges:
                    copy.write_row(edge)
            from_table = dict(
                conn.execute(
                    "select node_id, component_id from intermediate.connected_components("
                    "'pg_temp.solver_edges'::regclass, 'record', 'key_group')"
                ).fetchall()
            )
            assert from_table == expected, name
