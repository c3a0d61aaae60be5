"""Robustness: a package with dirt nobody has seen still builds, publishes and reconciles.

A generated package is rewritten so that, in a small share of rows, every contract column but
the file's own key holds a value the generator never writes: a missing value, a value of the
wrong kind (``???``, ``n/a-x``, ``--``, a 300-character string, an emoji), a code outside the
listed set (legacy-exports.md: "rarely something else"), an ``ext_attrs`` that is no JSON
object. None of these may fail the build: migration-rules.md section 3 decides, per column,
whether the row is quarantined (reject) or migrated with a warning, and only the quality gate
(section 11) may stop publishing. The rows rewritten are rows the generator left clean, so the
rule codes each one ends with are exactly those its rewritten values call for.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psycopg

from conftest import PROJECT_ROOT, Warehouse
from member_migration.generator import generate_package
from test_proof import _build_in_new_database

LONG = "长" * 100 + "x" * 100 + "9" * 100  # 300 characters
EMOJI = "🎉😀"
WRONG_KIND = ["???", "n/a-x", "--", LONG, EMOJI]
#: At most this many values rewritten in one row (in different columns).
MUTATIONS_PER_ROW = 3


@dataclass(frozen=True)
class Column:
    """A contract column and the rule codes (migration-rules.md section 3) its values get."""

    name: str
    #: code of a present value that does not parse or is not in its seed (None: no rule)
    present: str | None = None
    #: code of a missing value (None: missing is simply null)
    missing: str | None = None
    #: further values and their codes (out-of-set codes, edge values)
    extras: tuple[tuple[str, str | None], ...] = ()
    #: wrong-kind values used (a gated golden field takes few, to stay under the 5% gate)
    wrong: tuple[str, ...] = tuple(WRONG_KIND)
    #: its rows take no other value (a coupon type must meet an open coupon to reach a benefit)
    alone: bool = False

    def values(self) -> list[tuple[str, str | None]]:
        return [
            ("", self.missing),
            *[(value, self.present) for value in self.wrong],
            *self.extras,
        ]


POINTS = (("99999999999999999999", "POINTS_INVALID"),)  # whole, but beyond bigint
MONEY = (("¥9999999999999.99", "AMOUNT_INVALID"),)  # beyond numeric(14,2)
DATE = (("2019-13-45 25:61", "DATE_INVALID"),)

#: file -> (its key, its parent reference or None, its columns)
FILES: dict[str, tuple[str, str | None, list[Column]]] = {
    "pos_member_card.csv": (
        "card_no",
        None,
        [
            Column("member_name"),
            Column("mobile", "MOBILE_INVALID", wrong=("???", LONG)),
            Column("id_card_no", "ID_CARD_INVALID"),
            Column("gender", "GENDER_UNMAPPED", extras=(("X", "GENDER_UNMAPPED"),)),
            Column("birthday", "DATE_INVALID", extras=DATE),
            Column("open_date", "DATE_INVALID", wrong=("--", EMOJI)),
            Column("store_code"),
            Column("tier_name", "TIER_UNMAPPED", extras=(("黑卡", "TIER_UNMAPPED"),)),
            Column("points", "POINTS_INVALID", "POINTS_INVALID", extras=POINTS),
            Column("stored_value", "AMOUNT_INVALID", extras=MONEY),
            Column("status", "STATUS_INVALID", "STATUS_INVALID", extras=(("D", "STATUS_INVALID"),)),
            Column("nickname"),
            Column("province", "REGION_UNMAPPED"),
            Column("city", "REGION_UNMAPPED"),
            Column("updated_at", "DATE_INVALID", extras=DATE),
        ],
    ),
    "mall_user.csv": (
        "user_id",
        None,
        [
            Column("phone", "MOBILE_INVALID", wrong=("n/a-x", EMOJI)),
            Column("email", "EMAIL_INVALID"),
            Column("wx_unionid"),
            Column("real_name"),
            Column("nick_name"),
            Column("gender", "GENDER_UNMAPPED", extras=(("X", "GENDER_UNMAPPED"),)),
            Column("birth_date", "DATE_INVALID", extras=DATE),
            Column("reg_time", "DATE_INVALID", wrong=("???", LONG)),
            Column("level", "TIER_UNMAPPED", extras=(("L9", "TIER_UNMAPPED"),)),
            Column("integral", "POINTS_INVALID", "POINTS_INVALID", extras=POINTS),
            # anything but 1 is not deleted (section 8)
            Column("is_deleted", extras=(("2", None),)),
            Column("province", "REGION_UNMAPPED"),
            Column("city", "REGION_UNMAPPED"),
            Column("last_login_at", "DATE_INVALID", extras=DATE),
        ],
    ),
    "wechat_member.csv": (
        "openid",
        None,
        [
            Column("unionid"),
            Column("mobile", "MOBILE_INVALID", wrong=("--",)),
            Column("nickname"),
            Column("gender", "GENDER_UNMAPPED", extras=(("X", "GENDER_UNMAPPED"),)),
            Column("subscribe_time", "DATE_INVALID", wrong=("n/a-x", "???")),
            Column("member_level", "TIER_UNMAPPED", extras=(("V9", "TIER_UNMAPPED"),)),
            Column("points_balance", "POINTS_INVALID", "POINTS_INVALID", extras=POINTS),
            Column("channel"),
            Column(
                "ext_attrs",
                "EXT_ATTRS_INVALID",
                extras=(
                    ('{"属性1": "母婴", "vipTag": ', "EXT_ATTRS_INVALID"),
                    ('["母婴", "美妆"]', "EXT_ATTRS_INVALID"),
                    ('"母婴"', "EXT_ATTRS_INVALID"),
                    ("123", "EXT_ATTRS_INVALID"),
                    ('{"属性1": {"子类": ["奶粉", 1]}, "vipTag": {"level": null}}', None),
                ),
            ),
            Column("updated_at", "DATE_INVALID", extras=DATE),
        ],
    ),
    "pos_points_log.csv": (
        "log_id",
        "card_no",
        [
            Column("card_no", "ORPHAN_REFERENCE", "ORPHAN_REFERENCE"),
            Column("change_type", extras=(("BONUS", None),)),
            Column("points_delta", "POINTS_INVALID", "POINTS_INVALID", extras=POINTS),
            Column("occurred_at", "DATE_INVALID", extras=DATE),
            Column("order_ref"),
        ],
    ),
    "pos_transaction.csv": (
        "txn_id",
        "card_no",
        [
            Column("card_no", "ORPHAN_REFERENCE", "ORPHAN_REFERENCE"),
            Column("store_code"),
            Column("txn_time", "DATE_INVALID", extras=DATE),
            Column("amount", "AMOUNT_INVALID", "AMOUNT_INVALID", extras=MONEY),
            # informational, never a rule (section 2)
            Column("points_earned", extras=((POINTS[0][0], None),)),
        ],
    ),
    "mall_order.csv": (
        "order_id",
        "user_id",
        [
            Column("user_id", "ORPHAN_REFERENCE", "ORPHAN_REFERENCE"),
            Column("order_time", "DATE_INVALID", extras=DATE),
            Column("pay_amount", "AMOUNT_INVALID", "AMOUNT_INVALID", extras=MONEY),
            Column("order_status", extras=(("shipped", None),)),
        ],
    ),
    "mall_coupon.csv": (
        "coupon_id",
        "user_id",
        [
            Column("user_id", "ORPHAN_REFERENCE", "ORPHAN_REFERENCE"),
            Column("coupon_type", extras=(("GIFT", None),), alone=True),
            Column("face_value", "AMOUNT_INVALID", "AMOUNT_INVALID", extras=MONEY),
            Column("issued_at", "DATE_INVALID", extras=DATE),
            Column("expire_at", "DATE_INVALID", extras=DATE),
            Column("coupon_status", extras=(("frozen", None),)),
        ],
    ),
}
PARENT_FILE = {"card_no": "pos_member_card", "user_id": "mall_user"}
# The reject rules, read from the one place their severity is decided (seed quality_rules).
with (PROJECT_ROOT / "seeds" / "quality_rules.csv").open(encoding="utf-8", newline="") as _seed:
    REJECTS = frozenset(r["rule_code"] for r in csv.DictReader(_seed) if r["severity"] == "reject")


@dataclass
class Rewritten:
    """One rewritten row: its key and the rule codes its rewritten values call for."""

    table: str
    key: str
    columns: list[str]
    codes: set[tuple[str, str]]  # (rule code, legacy column)

    @property
    def rules(self) -> set[str]:
        return {code for code, _ in self.codes}

    @property
    def rejects(self) -> set[str]:
        return self.rules & REJECTS


def _truth(package: Path, name: str) -> list[dict[str, str]]:
    with (package.parent / f"{package.name}.truth" / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _fuzz_package(package: Path, seed: int) -> list[Rewritten]:
    """Rewrite the package (as UTF-8) with the values of FILES in rows the generator left
    clean; parents first, so that children are taken only under parents left unrejected."""
    rng = random.Random(seed)
    styles = json.loads((package.parent / f"{package.name}.truth" / "summary.json").read_text())
    dirty = {(r["source_table"], r["record_number"]) for r in _truth(package, "corruptions.csv")}
    dirty |= {
        (r["source_table"], r["record_number"]) for r in _truth(package, "expected_rejects.csv")
    }
    dirty |= {
        (r["source_table"], r["record_number"])
        for r in _truth(package, "expected_loader_rejects.csv")
    }
    sound_parents = {
        (r["source_table"], r["source_key"])
        for r in _truth(package, "records.csv")
        if r["expect_quarantined"] == "0"
    }
    touched_parents: set[tuple[str, str]] = set()
    rewritten: list[Rewritten] = []
    for file_name, (key_column, parent_column, columns) in FILES.items():
        table = file_name.removesuffix(".csv")
        path = package / file_name
        codec = "gb18030" if styles["files"][file_name]["encoding"] == "gb18030" else "utf-8-sig"
        text = path.read_bytes().decode(codec, errors="surrogateescape")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        header = rows[0]
        key_index = header.index(key_column)
        keys = Counter(row[key_index].strip() for row in rows[1:] if len(row) == len(header))
        candidates = [
            number
            for number, row in enumerate(rows[1:], start=1)
            if len(row) == len(header)
            and (table, str(number)) not in dirty
            and row[key_index].strip()
            and keys[row[key_index].strip()] == 1
            and (
                parent_column is None
                or (
                    (key := (PARENT_FILE[parent_column], row[header.index(parent_column)].strip()))
                    in sound_parents
                    and key not in touched_parents
                )
            )
        ]
        rng.shuffle(candidates)
        if table == "mall_coupon":
            # open coupons first: their values reach the benefits mart
            candidates.sort(
                key=lambda n: not _is_open_coupon(dict(zip(header, rows[n], strict=True)))
            )
        # A value that rejects its row never shares the row with one that does not: every
        # value that no rule rejects is seen on a migrated row.
        by_row: dict[int, Rewritten] = {}
        for rejecting in (False, True):
            slots = [n for n in candidates if n not in by_row for _ in range(MUTATIONS_PER_ROW)]
            for column in columns:
                index = header.index(column.name)
                for value, code in column.values():
                    if (code in REJECTS) != rejecting:
                        continue
                    # the next row that has not had this column rewritten yet
                    number = next(
                        n
                        for n in slots
                        if column.name not in by_row.get(n, _EMPTY).columns
                        and not (column.alone and n in by_row)
                    )
                    slots.remove(number)
                    if column.alone:
                        slots = [n for n in slots if n != number]
                    row = rows[number]
                    row[index] = value
                    entry = by_row.setdefault(
                        number, Rewritten(table, row[key_index].strip(), [], set())
                    )
                    entry.columns.append(column.name)
                    if code is not None:
                        entry.codes.add((code, column.name))
        if parent_column is None:
            touched_parents |= {(table, entry.key) for entry in by_row.values()}
        rewritten.extend(by_row.values())
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\n").writerows(rows)
        path.write_bytes(out.getvalue().encode("utf-8", errors="surrogateescape"))
    return rewritten


_EMPTY = Rewritten("", "", [], set())


def _is_open_coupon(row: dict[str, str]) -> bool:
    """Roughly (the generator's forms): an unused coupon expiring after the test's as-of day."""
    expire = row["expire_at"].strip()
    if expire.isdigit() and len(expire) == 10:
        return row["coupon_status"].strip() == "unused" and int(expire) > 1793462400
    year = re.search(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])", expire)
    return row["coupon_status"].strip() == "unused" and bool(year) and int(year[0]) >= 2027


def test_unseen_values_in_every_column_are_migrated_or_quarantined_and_published(
    warehouse: Warehouse, tmp_path: Path
):
    package = tmp_path / "fuzzed"
    generate_package(package, persons=400, seed=31)
    rewritten = _fuzz_package(package, seed=31)
    # every file took every one of its values, some rows several at once
    assert {r.table for r in rewritten} == {name.removesuffix(".csv") for name in FILES}
    assert any(len(r.columns) > 1 for r in rewritten)
    dbname, result = _build_in_new_database(warehouse, package, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Published marts and pii" in output
    with psycopg.connect(warehouse.settings.conninfo(dbname)) as conn:
        differences = conn.execute(
            "select source_table, measure, difference from audit.migration_reconciliation "
            "where difference <> 0"
        ).fetchall()
        assert differences == []
        quarantined = {
            (table, key): set(codes)
            for table, key, codes in conn.execute(
                "select source_table, source_key, rule_codes from audit.quarantined_rows"
            )
        }
        issues: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for table, key, code, column in conn.execute(
            "select source_table, source_key, rule_code, column_name from audit.member_data_issues"
        ):
            issues.setdefault((table, key), set()).add((code, column))
        migrated = set(
            conn.execute(
                "select source_table, source_key from marts.dim_member_legacy_accounts "
                "union all select source_table, source_key from marts.fct_points_ledger "
                "where entry_type is distinct from 'MIGRATION_ADJUSTMENT' "
                "and entry_type is distinct from 'MIGRATION_OPENING' "
                "union all select source_table, source_key from marts.fct_transactions"
            ).fetchall()
        )
        benefits = {
            key
            for (key,) in conn.execute(
                "select source_key from marts.dim_member_benefits "
                "where source_table = 'mall_coupon'"
            )
        }
    # the coupon path was taken: a coupon without a type, or of an unlisted one, is a benefit
    assert any(
        r.table == "mall_coupon" and "coupon_type" in r.columns and r.key in benefits
        for r in rewritten
    )
    wrong = []
    for row in rewritten:
        where = (row.table, row.key)
        if row.rejects:
            # quarantined with every rule it broke, reject and warn alike, and no other reject
            codes = quarantined.get(where)
            if codes is None or not row.rules <= codes or codes & REJECTS != row.rejects:
                wrong.append((row, "quarantined with", codes))
            continue
        if where in quarantined:
            wrong.append((row, "quarantined with", quarantined[where]))
            continue
        if row.table != "mall_coupon" and where not in migrated:
            wrong.append((row, "not migrated", None))
        if not row.codes <= issues.get(where, set()):
            wrong.append((row, "issues", issues.get(where)))
    assert not wrong, wrong
