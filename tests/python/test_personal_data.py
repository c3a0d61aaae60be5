"""Personal data (issue 6): roles enforced by PostgreSQL, masked marts, erasure on request.

Real connections as the contract's roles (``bi_reader``, ``crm_loader``: no password, the test
servers trust loopback) show what each may read. The erasure lifecycle runs on its own small
database (module fixture ``erased``): build, erase one person, build again, reload the person's
files with an unrelated row added (a new batch), build a third time; the person's mobile,
national ID and name are then nowhere in the database, and the reconciliation still adds up.
"""

from __future__ import annotations

import csv
import json
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from psycopg import errors, sql

from conftest import Built, DbtRunner, Warehouse, run_cli
from member_migration import config
from member_migration.contract import EXPORT_FILES, FILES_BY_TABLE
from member_migration.generator import generate_package

#: Schemas neither contract role may use (pii: bi_reader only).
CLOSED_SCHEMAS = ("raw", "staging", "intermediate", "audit", "snapshots", "mapping")
ERASURE_PERSONS = 450
ERASURE_SEED = 60613


# -- helpers -------------------------------------------------------------------------------------
def _role_conninfo(warehouse: Warehouse, role: str, dbname: str | None = None) -> str:
    base = warehouse.settings
    return config.ConnectionSettings(
        base.host, base.port, role, None, dbname or base.dbname
    ).conninfo()


def _relations(conn: psycopg.Connection, schema: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm') order by 1",
            (schema,),
        )
    ]


def _assert_roles_enforced(warehouse: Warehouse, dbname: str | None = None) -> None:
    """bi_reader reads every marts table and nothing else; crm_loader reads marts and pii."""
    with warehouse.connect(dbname) as admin:
        relations = {
            schema: _relations(admin, schema) for schema in (*CLOSED_SCHEMAS, "marts", "pii")
        }
        default_acls = admin.execute(
            "select count(*) from pg_default_acl, aclexplode(defaclacl) acl "
            "where acl.grantee in (select oid from pg_roles "
            "where rolname in ('bi_reader', 'crm_loader')) or acl.grantee = 0"
        ).fetchone()[0]
    assert default_acls == 0
    for schema in (*CLOSED_SCHEMAS, "marts", "pii"):
        assert relations[schema], f"schema {schema} has no relation to try"
    readable = {"bi_reader": ("marts",), "crm_loader": ("marts", "pii")}
    for role, allowed in readable.items():
        with psycopg.connect(_role_conninfo(warehouse, role, dbname), autocommit=True) as conn:
            assert conn.execute("select current_user").fetchone()[0] == role
            for schema in allowed:
                for name in relations[schema]:
                    conn.execute(
                        sql.SQL("select * from {} limit 1").format(sql.Identifier(schema, name))
                    )
            for schema in (s for s in (*CLOSED_SCHEMAS, "pii") if s not in allowed):
                with pytest.raises(errors.InsufficientPrivilege):
                    conn.execute(
                        sql.SQL("select * from {} limit 1").format(
                            sql.Identifier(schema, relations[schema][0])
                        )
                    )
            # the helper functions of the hooks are out of reach too
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute("select staging.try_cast_jsonb('{}')")
            # and nothing can be planted in public for others to read
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute("create table public.planted (x int)")


def _scan(conn: psycopg.Connection, *, digits: list[str], texts: list[str]) -> list[str]:
    """Every column of every table (all schemas but the catalogs) whose value holds one of the
    ``digits`` needles (after dropping spaces, '-', '(', ')' and folding full-width digits) or
    one of the ``texts`` needles (after dropping white space); bytea columns are searched for
    the needles' UTF-8 and GB18030 bytes. Returns "schema.table.column (n rows)"."""
    columns = conn.execute(
        """
        select n.nspname::text, c.relname::text, a.attname::text, t.typname::text
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        join pg_type t on t.oid = a.atttypid
        where c.relkind in ('r', 'p', 'm')
            and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
            and n.nspname not like 'pg\\_%%'
            and t.typname in ('text', 'varchar', 'bpchar', 'json', 'jsonb', '_text',
                '_varchar', 'bytea')
        order by 1, 2, 3
        """
    ).fetchall()
    hits = []
    for schema, table, column, type_name in columns:
        col = sql.Identifier(column)
        if type_name == "bytea":
            needles = [*digits, *texts]
            condition = sql.SQL(" or ").join(
                sql.SQL("position(convert_to({n}, {enc}) in {c}) > 0").format(
                    n=sql.Literal(n), enc=sql.Literal(enc), c=col
                )
                for n in needles
                for enc in ("UTF8", "GB18030")
            )
        else:
            normalized = sql.SQL(
                "upper(regexp_replace(translate({c}::text, '０１２３４５６７８９', '0123456789'), "
                "'[[:space:]()-]', '', 'g'))"
            ).format(c=col)
            spaceless = sql.SQL("regexp_replace({c}::text, '[[:space:]]', '', 'g')").format(c=col)
            condition = sql.SQL(" or ").join(
                [
                    *(
                        sql.SQL("strpos({}, {}) > 0").format(normalized, sql.Literal(d.upper()))
                        for d in digits
                    ),
                    *(
                        sql.SQL("strpos({}, {}) > 0").format(spaceless, sql.Literal(t))
                        for t in texts
                    ),
                ]
            )
        count = conn.execute(
            sql.SQL("select count(*) from {} where {}").format(
                sql.Identifier(schema, table), condition
            )
        ).fetchone()[0]
        if count:
            hits.append(f"{schema}.{table}.{column} ({count} rows)")
    return hits


# -- grants on the session's build -----------------------------------------------------------------
def test_bi_reader_reads_only_marts_and_crm_loader_marts_and_pii(
    built: Built, warehouse: Warehouse
):
    assert built.result.success
    _assert_roles_enforced(warehouse)


def _tokens(value: str) -> set[str]:
    """What a value could disclose: itself, its words, and every 11-, 15- and 18-character
    window of its digit runs (spaces, '-', '(', ')' dropped; full-width folded)."""
    folded = unicodedata.normalize("NFKC", value)
    tokens = {folded, folded.lower()}
    for word in re.findall(r"[^\s,;:\"'{}\[\]]+", folded):
        tokens.update((word, word.lower()))
    compact = re.sub(r"[\s()-]", "", folded).upper()
    for run in re.findall(r"[0-9X]{11,}", compact):
        for width in (11, 15, 18):
            tokens.update(run[i : i + width] for i in range(len(run) - width + 1))
    return tokens


def test_marts_hold_none_of_the_truths_mobiles_ids_emails_or_names(
    built: Built, warehouse: Warehouse
):
    records = built.truth_rows("records.csv")
    needles = {
        r[column] for r in records for column in ("mobile", "id_card_no", "email", "unionid")
    }
    # a national ID in its old 15-digit form too
    needles |= {n[:6] + n[8:17] for n in needles if len(n) == 18 and n[6:8] == "19"}
    needles |= {r[0] for r in warehouse.query("select member_name from pii.member_identities")}
    needles -= {"", None}
    assert len(needles) > 1000
    hits = []
    with warehouse.connect() as conn:
        for table in _relations(conn, "marts"):
            for (column,) in conn.execute(
                "select column_name::text from information_schema.columns "
                "where table_schema = 'marts' and table_name = %s "
                "and data_type in ('text', 'character varying', 'jsonb', 'json', 'ARRAY')",
                (table,),
            ).fetchall():
                values = conn.execute(
                    sql.SQL("select distinct {c}::text from {t} where {c} is not null").format(
                        t=sql.Identifier("marts", table), c=sql.Identifier(column)
                    )
                ).fetchall()
                found = {v for (v,) in values if _tokens(v) & needles}
                if found:
                    hits.append(f"marts.{table}.{column}: {len(found)} values")
    assert hits == []


def test_dictionary_classes_every_personal_field_and_marts_publish_none_in_clear(
    built: Built, warehouse: Warehouse
):
    classes = dict(
        warehouse.query(
            "select model_name || '.' || column_name, pii_class from mapping.field_dictionary"
        )
    )
    assert classes["member_identities.id_card_no"] == "sensitive"
    for column in ("member_name", "email", "birthday", "unionid"):
        assert classes[f"member_identities.{column}"] == "personal"
    assert classes["dim_members.mobile_masked"] == "masked"
    assert classes["dim_members.age_band"] == "masked"
    assert "dim_member_attributes.value" in classes
    marts_classes = {c for k, c in classes.items() if not k.startswith("member_identities.")}
    assert marts_classes <= {"none", "pseudonymous", "masked"}


# -- erasure lifecycle on its own database ---------------------------------------------------------
@dataclass
class Person:
    member_id: str
    name: str
    mobile: str
    id_card_no: str
    email: str | None
    keys: list[tuple[str, str]]
    #: rows of the child files naming one of its keys as parent, and their distinct keys
    child_rows: int
    child_keys: int

    @property
    def digits(self) -> list[str]:
        ids = [self.mobile, self.id_card_no]
        if self.id_card_no[6:8] == "19":
            ids.append(self.id_card_no[:6] + self.id_card_no[8:17])
        return ids


@dataclass
class Erased:
    dbname: str
    env: dict[str, str]
    person: Person
    erase_output: str
    reload_output: str
    reconciliation_before: dict[tuple[str, str], Decimal]
    reconciliation_after_erase: dict
    raw_hits_after_erase: list[str]
    marts_rows_after_erase: int
    builds: list
    stored_failures: object


def _pick_person(conn: psycopg.Connection) -> Person:
    """A member with a name no one else's text holds, a mobile, a national ID, several
    records and as many child rows as possible."""
    rows = conn.execute(
        """
        with golden as (
            select member_id, member_name, mobile, id_card_no, email
            from intermediate.int_members_golden
            where char_length(member_name) >= 2 and mobile is not null and id_card_no is not null
        ),
        unique_names as (
            select g.* from golden g
            where not exists (
                select 1 from intermediate.int_members_golden o
                where o.member_id <> g.member_id and strpos(o.member_name, g.member_name) > 0
            )
        ),
        keys as (
            select m.member_id, m.source_table, m.source_key
            from intermediate.int_member_records_matched m
            where m.member_id in (select member_id from unique_names)
        ),
        children as (
            select
                k.member_id,
                count(*) as child_rows,
                -- a key tombstone per child key: exact duplicates and versions share one
                count(distinct c.child_table || ':' || c.child_key) as child_keys
            from keys k
            join (
                select 'pos_member_card' as t, card_no as parent,
                    'pos_points_log' as child_table, source_key as child_key
                from staging.stg_pos__points_log
                union all select 'pos_member_card', card_no, 'pos_transaction', source_key
                from staging.stg_pos__transactions
                union all select 'mall_user', user_id, 'mall_order', source_key
                from staging.stg_mall__orders
                union all select 'mall_user', user_id, 'mall_coupon', source_key
                from staging.stg_mall__coupons
            ) c on c.t = k.source_table and c.parent = k.source_key
            group by 1
        ),
        foreign_text as (
            -- member rows of other keys whose text holds the name
            select u.member_id, count(*) as n
            from unique_names u
            join (
                select 'pos_member_card' as t, trim(card_no) as k, r::text as txt
                from raw.pos_member_card r
                union all select 'mall_user', trim(user_id), r::text from raw.mall_user r
            ) x on strpos(regexp_replace(x.txt, '[[:space:]]', '', 'g'), u.member_name) > 0
            where (u.member_id, x.t, x.k) not in (
                select member_id, source_table, source_key from keys
            )
            group by 1
        )
        select u.member_id, u.member_name, u.mobile, u.id_card_no, u.email,
            coalesce(c.child_rows, 0), coalesce(c.child_keys, 0)
        from unique_names u
        left join children c using (member_id)
        where not exists (select 1 from foreign_text f where f.member_id = u.member_id)
            and (select count(*) from keys k where k.member_id = u.member_id) >= 2
        order by coalesce(c.child_rows, 0) desc, u.member_id
        limit 1
        """
    ).fetchall()
    assert rows, "no suitable person in the package"
    member_id, name, mobile, id_card_no, email, child_rows, child_keys = rows[0]
    keys = conn.execute(
        "select source_table, source_key from intermediate.int_member_records_matched "
        "where member_id = %s order by 1, 2",
        (member_id,),
    ).fetchall()
    return Person(member_id, name, mobile, id_card_no, email, keys, child_rows, child_keys)


def _file_encoding(package: Path, file_name: str) -> str:
    summary = json.loads((package.parent / f"{package.name}.truth" / "summary.json").read_text())
    return summary["files"][file_name]["encoding"]


def _append_record(path: Path, values: dict[str, str], encoding: str = "utf-8") -> None:
    """Append one record (columns by name, others empty) in the file's own line ending."""
    data = path.read_bytes()
    newline = b"\r\n" if b"\r\n" in data else b"\n"
    codec = "gb18030" if encoding == "gb18030" else "utf-8"
    header_line = data.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8-sig")
    header = next(csv.reader([header_line]))
    line = ",".join(values.get(column, "") for column in header).encode(codec)
    if data and not data.endswith(b"\n"):
        data += newline
    path.write_bytes(data + line + newline)


def _reject_package(directory: Path, person: Person, unrelated: bool) -> Path:
    """A one-file package: pos_transaction.csv with a damaged record (3 fields) naming the
    person's mobile and name, and optionally one unrelated valid transaction."""
    directory.mkdir(parents=True)
    spec = FILES_BY_TABLE["pos_transaction"]
    lines = [",".join(spec.columns), f"REJ000001,+86 {person.mobile},{person.name}"]
    if unrelated:
        lines.append("REJ000002,0000000000,SH001,2026-01-01 10:00,12.00,12")
    (directory / spec.file_name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def _reconciliation(conn: psycopg.Connection) -> dict[tuple[str, str], dict[str, Decimal]]:
    rows = conn.execute(
        "select source_table, measure, legacy_value, erased_value, difference "
        "from audit.migration_reconciliation"
    ).fetchall()
    return {(t, m): {"legacy": lv, "erased": ev, "difference": d} for t, m, lv, ev, d in rows}


@pytest.fixture(scope="module")
def erased(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Erased]:
    root = tmp_path_factory.mktemp("erasure")
    package = root / "package"
    generate_package(package, persons=ERASURE_PERSONS, seed=ERASURE_SEED)
    dbname = warehouse.create_database()
    env = {**warehouse.env, "PGDATABASE": dbname}
    cli_env = {**os.environ, **env}
    dbt = DbtRunner(root / "target")
    no_tests = ("--exclude", "resource_type:test", "resource_type:unit_test")
    builds = []

    run_cli("load", str(package), env=cli_env)
    builds.append(dbt("build", *no_tests, env=env))
    assert builds[-1].success, builds[-1].failures() or builds[-1].exception
    with warehouse.connect(dbname) as conn:
        person = _pick_person(conn)
        before = _reconciliation(conn)
    # a loader reject naming the person (batch 2)
    run_cli("load", str(_reject_package(root / "rejects", person, False)), env=cli_env)

    formatted = f"+86 {person.mobile[:3]}-{person.mobile[3:7]}-{person.mobile[7:]}"
    erase = run_cli("erase", "--mobile", formatted, "--requested-by", "ticket-42", env=cli_env)
    with warehouse.connect(dbname) as conn:
        raw_hits = _scan_schema(conn, "raw", person)
        marts_rows = sum(
            conn.execute(
                sql.SQL("select count(*) from {} where member_id = %s").format(
                    sql.Identifier(schema, table)
                ),
                (person.member_id,),
            ).fetchone()[0]
            for schema, table in conn.execute(
                "select table_schema::text, table_name::text from information_schema.columns "
                "where column_name = 'member_id' and table_schema in ('marts', 'pii', 'audit') "
                "and table_name in (select table_name from information_schema.tables "
                "where table_type = 'BASE TABLE')"
            ).fetchall()
        )

    builds.append(dbt("build", *no_tests, env=env))  # the second build
    assert builds[-1].success, builds[-1].failures() or builds[-1].exception
    with warehouse.connect(dbname) as conn:
        after_erase = _reconciliation(conn)

    # the same package again, each file with one unrelated record more (a new batch), and the
    # damaged record again beside an unrelated transaction
    copy = root / "package_again"
    copy.mkdir()
    for spec in EXPORT_FILES:
        source = package / spec.file_name
        (copy / spec.file_name).write_bytes(source.read_bytes())
        _append_record(
            copy / spec.file_name,
            {spec.key: f"ZZ{spec.table[:3].upper()}000001"},
            _file_encoding(package, spec.file_name),
        )
    reload = run_cli("load", str(copy), env=cli_env)
    run_cli("load", str(_reject_package(root / "rejects_again", person, True)), env=cli_env)
    builds.append(dbt("build", "--exclude", "resource_type:unit_test", env=env))

    stored = dbt(
        "test",
        "--select",
        "assert_mobile_is_masked_in_marts",
        "--store-failures",
        env=env,
    )
    yield Erased(
        dbname=dbname,
        env=env,
        person=person,
        erase_output=erase.stdout + erase.stderr,
        reload_output=reload.stdout + reload.stderr,
        reconciliation_before=before,
        reconciliation_after_erase=after_erase,
        raw_hits_after_erase=raw_hits,
        marts_rows_after_erase=marts_rows,
        builds=builds,
        stored_failures=stored,
    )


def _scan_schema(conn: psycopg.Connection, schema: str, person: Person) -> list[str]:
    return [
        h
        for h in _scan(conn, digits=person.digits, texts=[person.name])
        if h.startswith(f"{schema}.")
    ]


def test_erase_removes_the_person_from_raw_and_the_published_tables_at_once(erased: Erased):
    assert erased.person.child_rows > 0 and len(erased.person.keys) >= 2
    assert erased.raw_hits_after_erase == []
    assert erased.marts_rows_after_erase == 0


def test_erase_prints_counts_but_never_the_identifier(erased: Erased):
    output = erased.erase_output
    assert "Erased 1 member(s)" in output
    assert "raw.pos_member_card" in output or "raw.mall_user" in output
    assert "raw.load_rejects (pos_transaction)" in output
    p = erased.person
    for secret in (p.mobile, p.id_card_no, p.name):
        assert secret not in output


def test_erasure_request_is_recorded_without_the_identifier(warehouse: Warehouse, erased: Erased):
    with warehouse.connect(erased.dbname) as conn:
        requests = conn.execute(
            "select requested_by, identifier_kind, outcome, members_erased, rows_removed, "
            "to_jsonb(r)::text from audit.erasure_requests r"
        ).fetchall()
        removals = dict(
            conn.execute(
                "select table_schema || '.' || table_name, sum(rows_removed) "
                "from audit.erasure_removals group by 1"
            ).fetchall()
        )
        tombstones = conn.execute(
            "select tombstone_kind, count(*) from raw.erasure_tombstones group by 1"
        ).fetchall()
    assert len(requests) == 1
    requested_by, kind, outcome, members, rows, text = requests[0]
    assert (requested_by, kind, outcome, members) == ("ticket-42", "mobile", "erased", 1)
    assert rows == sum(removals.values()) and rows > 0
    assert erased.person.mobile not in text
    assert removals["raw.load_rejects"] == 1
    kinds = dict(tombstones)
    assert kinds["key"] >= len(erased.person.keys) + erased.person.child_keys
    assert kinds["reject"] == 1


def test_nothing_of_the_person_is_left_anywhere_after_erase_build_and_reload(
    warehouse: Warehouse, erased: Erased
):
    assert all(b.success for b in erased.builds), [b.failures() for b in erased.builds]
    p = erased.person
    with warehouse.connect(erased.dbname) as conn:
        hits = _scan(conn, digits=p.digits, texts=[p.name])
        member = conn.execute(
            "select count(*) from marts.dim_members where member_id = %s", (p.member_id,)
        ).fetchone()[0]
    assert hits == []
    assert member == 0


def test_reload_skips_and_counts_the_erased_rows(warehouse: Warehouse, erased: Erased):
    assert "skipped because an erasure request removed them" in erased.reload_output
    with warehouse.connect(erased.dbname) as conn:
        erased_per_file = dict(
            conn.execute(
                "select source_table, sum(records_erased) from raw.batch_manifest "
                "where batch_id > 2 group by 1"
            ).fetchall()
        )
        batches = conn.execute("select count(distinct batch_id) from raw.batch_manifest")
        assert batches.fetchone()[0] == 4
    person_tables = {table for table, _ in erased.person.keys}
    for table in person_tables:
        assert erased_per_file[table] > 0, table
    # the child rows and the damaged record are skipped too
    child_tables = {"pos_points_log", "pos_transaction", "mall_order", "mall_coupon"}
    assert sum(erased_per_file[t] for t in child_tables) >= erased.person.child_rows + 1


def test_reconciliation_accounts_for_erased_rows_and_values(warehouse: Warehouse, erased: Erased):
    before = erased.reconciliation_before
    after = erased.reconciliation_after_erase
    # erasing changes what the files held by nothing: legacy stays, erased carries the person
    for key, values in before.items():
        expected = values["legacy"] + (1 if key == ("pos_transaction", "records") else 0)
        assert after[key]["legacy"] == expected, key
        assert after[key]["difference"] == 0, key
    for table, _ in erased.person.keys:
        assert after[(table, "records")]["erased"] > 0
    assert any(after[k]["erased"] > 0 for k in after if k[1] == "points")
    with warehouse.connect(erased.dbname) as conn:
        final = _reconciliation(conn)
        read = dict(
            conn.execute(
                "select source_table, sum(records_read) from raw.batch_manifest group by 1"
            ).fetchall()
        )
    assert [k for k, v in final.items() if v["difference"] != 0] == []
    for table, count in read.items():
        assert final[(table, "records")]["legacy"] == count, table
    for table, _ in erased.person.keys:
        assert final[(table, "records")]["erased"] > after[(table, "records")]["erased"]


def test_roles_hold_after_the_erasure_builds(warehouse: Warehouse, erased: Erased):
    assert len(erased.builds) == 3
    _assert_roles_enforced(warehouse, erased.dbname)


def test_stored_test_failures_land_in_audit_out_of_the_roles_reach(
    warehouse: Warehouse, erased: Erased
):
    assert erased.stored_failures.success, erased.stored_failures.exception
    with warehouse.connect(erased.dbname) as conn:
        where = conn.execute(
            "select table_schema::text from information_schema.tables "
            "where table_name = 'assert_mobile_is_masked_in_marts'"
        ).fetchall()
    assert where == [("audit",)]
    for role in ("bi_reader", "crm_loader"):
        with (
            psycopg.connect(_role_conninfo(warehouse, role, erased.dbname)) as conn,
            pytest.raises(errors.InsufficientPrivilege),
        ):
            conn.execute("select * from audit.assert_mobile_is_masked_in_marts")


def test_erase_refuses_an_invalid_identifier_and_reports_nothing_found(
    warehouse: Warehouse, erased: Erased
):
    cli_env = {**os.environ, **erased.env}
    invalid = run_cli("erase", "--id-card", "110105194912310020", env=cli_env, check=False)
    assert invalid.returncode == 2 and "not a valid national ID" in invalid.stderr
    both = run_cli(
        "erase", "--mobile", "13800138000", "--member-id", "M1", env=cli_env, check=False
    )
    assert both.returncode == 2
    # the erased person cannot be found a second time: nothing is left to hold the mobile
    again = run_cli("erase", "--mobile", erased.person.mobile, env=cli_env, check=False)
    assert again.returncode == 3, again.stdout + again.stderr
    assert "Nothing held this mobile" in again.stdout
    with warehouse.connect(erased.dbname) as conn:
        outcomes = conn.execute(
            "select outcome, count(*) from audit.erasure_requests group by 1 order by 1"
        ).fetchall()
    assert outcomes == [("erased", 1), ("not_found", 1)]


def test_a_manifest_made_before_erasure_support_gets_records_erased_on_the_next_load(
    tmp_path: Path, warehouse: Warehouse, fresh_db: str
):
    """An upgrade: `member-migration load` (backup check included) into a warehouse an older
    loader made, whose manifest has no records_erased column."""
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(
            """
            create schema raw;
            create table raw.batch_manifest (
                batch_id bigint not null, package_path text not null, file_name text not null,
                source_table text not null, sha256 text not null, encoding text not null,
                records_read bigint not null, records_loaded bigint not null,
                records_rejected bigint not null, started_at timestamptz not null,
                finished_at timestamptz not null, package_sha256 text not null,
                primary key (batch_id, source_table), unique (source_table, sha256),
                check (records_read = records_loaded + records_rejected)
            );
            insert into raw.batch_manifest values
                (1, '/old', 'x.csv', 'pos_member_card', 'abc', 'utf-8', 3, 2, 1, now(), now(), 'p');
            """
        )
    package = tmp_path / "package"
    generate_package(package, persons=20, seed=3)
    dbname = psycopg.conninfo.conninfo_to_dict(fresh_db)["dbname"]
    cli_env = {**os.environ, **warehouse.env, "PGDATABASE": dbname}
    loaded = run_cli("load", str(package), env=cli_env, check=False)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert "Backup before loading a new package" in loaded.stdout
    with psycopg.connect(fresh_db) as conn:
        rows = conn.execute(
            "select batch_id, records_read, records_loaded, records_rejected, records_erased "
            "from raw.batch_manifest where batch_id = 1"
        ).fetchall()
        checks = conn.execute(
            "select pg_get_constraintdef(oid) from pg_constraint "
            "where conrelid = 'raw.batch_manifest'::regclass and contype = 'c'"
        ).fetchall()
        # and the old `unique (source_table, sha256)` is gone: a package holding a file an
        # earlier package held is a new batch with all its files
        uniques = conn.execute(
            "select count(*) from pg_constraint "
            "where conrelid = 'raw.batch_manifest'::regclass and contype = 'u'"
        ).fetchone()[0]
        with pytest.raises(errors.CheckViolation):
            conn.execute("update raw.batch_manifest set records_erased = 1 where batch_id = 1")
    assert rows == [(1, 3, 2, 1, 0)]
    assert len(checks) == 1 and "records_erased" in checks[0][0]
    assert uniques == 0
