"""The mart recomputed in Python, the way a reviewer with their own implementation checks it.

A second, independent implementation of migration-rules.md sections 3-10: it reads the legacy
rows verbatim from ``raw`` (which member rows win and which rows are quarantined for a reject
comes from the generator's ground truth), parses every value with the generator's reference
rules (``member_migration.generator.rules``, which follow the spec literally and share no code
with the dbt macros), reads the mappings from the seed files, and derives line by line: each
member's golden record (section 6), ledger (7), benefits, transactions and segments (9), custom
attributes, every warning (3), every quarantined row's rule codes (3) and every reconciliation
figure (10). Members are the groups ``dim_member_legacy_accounts`` publishes; ``test_pipeline``
proves separately that those are exactly the groups the keys link. Every published value must
equal the recomputed one.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from conftest import PROJECT_ROOT, TEST_AS_OF_DATE, Built, Warehouse
from member_migration.generator import rules, truth
from test_pipeline import MAX_RECORDS_PER_MATCH_KEY, PUBLISHED_COLUMNS

AS_OF_DATE = date.fromisoformat(TEST_AS_OF_DATE)
#: The midnight that ends the as-of day, Beijing time (section 2).
AS_OF_INSTANT = datetime.combine(AS_OF_DATE + timedelta(days=1), time(), rules.BEIJING)
#: Per member table: its system and the legacy column of each attribute (section 6 and the
#: export contract); system, registration, recency, points, mobile and unionid as the
#: generator's truth names them. A missing entry means the system has no such column.
COLUMNS = {
    table: {
        "system": truth.SOURCE_SYSTEM[table],
        "registration": truth.REGISTRATION[table],
        "recency": truth.RECENCY[table],
        "points": truth.POINTS[table],
        "mobile": truth.MOBILE[table],
        **({"unionid": truth.UNIONID[table]} if table in truth.UNIONID else {}),
        **columns,
    }
    for table, columns in {
        "pos_member_card": {
            "key": "card_no",
            "name": "member_name",
            "id_card_no": "id_card_no",
            "gender": "gender",
            "birthday": "birthday",
            "tier": "tier_name",
            "nickname": "nickname",
        },
        "mall_user": {
            "key": "user_id",
            "name": "real_name",
            "email": "email",
            "gender": "gender",
            "birthday": "birth_date",
            "tier": "level",
            "nickname": "nick_name",
        },
        "wechat_member": {
            "key": "openid",
            "gender": "gender",
            "tier": "member_level",
            "nickname": "nickname",
        },
    }.items()
}
MATCH_KEYS = ("mobile", "id_card_no", "email", "unionid")


def _seed(name: str) -> list[dict[str, str]]:
    with (PROJECT_ROOT / "seeds" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass
class Seeds:
    gender: dict[tuple[str, str], str]
    tier: dict[tuple[str, str], str]
    tier_rank: dict[str, int]
    tier_name: dict[str, str]
    conversion: dict[str, tuple[int, int]]
    source_order: dict[str, int]
    launch: dict[str, datetime]
    region: dict[tuple[str, str], tuple[str, str | None]]

    @classmethod
    def read(cls) -> Seeds:
        tiers = _seed("tiers")
        systems = _seed("source_systems")
        return cls(
            gender={
                (r["source_system"], r["legacy_value"]): r["gender"]
                for r in _seed("gender_mapping")
            },
            tier={
                (r["source_system"], r["legacy_value"]): r["tier_code"]
                for r in _seed("tier_mapping")
            },
            tier_rank={r["tier_code"]: int(r["tier_rank"]) for r in tiers},
            tier_name={r["tier_code"]: r["tier_name"] for r in tiers},
            conversion={
                r["source_system"]: (int(r["numerator"]), int(r["denominator"]))
                for r in _seed("points_conversion")
            },
            source_order={r["source_system"]: int(r["source_order"]) for r in systems},
            launch={
                r["source_system"]: datetime.combine(
                    date.fromisoformat(r["launched_on"]), time(), rules.BEIJING
                )
                for r in systems
            },
            region={
                (r["alias_type"], r["alias"]): (r["province"], r["city"] or None)
                for r in _seed("region_aliases")
            },
        )


def clean_name(value: str | None) -> str | None:
    """Section 2: inner runs of spaces become one; a space between two CJK ideographs goes."""
    cleaned = rules.clean_text(value)
    if cleaned is None:
        return None
    collapsed = re.sub(r"[ \t\u00a0\u3000]+", " ", cleaned)
    return re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", collapsed)


@dataclass
class Record:
    """One migrated member record, its values parsed by the reference rules."""

    table: str
    system: str
    key: str
    values: dict[str, str | None]
    seeds: Seeds
    parsed: dict[str, object] = field(default_factory=dict)

    def column(self, attribute: str) -> str | None:
        name = COLUMNS[self.table].get(attribute)
        return self.values.get(name) if isinstance(name, str) else None

    def recency(self) -> datetime | None:
        for name in COLUMNS[self.table]["recency"]:
            parsed = rules.parse_timestamp(self.values.get(name))
            if parsed is not None:
                return parsed
        return None

    def order_key(self) -> tuple:
        recency = self.recency()
        return (
            recency is None,
            -recency.timestamp() if recency else 0,
            self.seeds.source_order[self.system],
            self.key,
        )

    def gender(self) -> str | None:
        value = rules.clean_code(self.column("gender"), lower=self.system == "mall")
        if value is None:
            return None
        return self.seeds.gender.get((self.system, value), "U")

    def birthday(self) -> date | None:
        parsed = rules.parse_timestamp(self.column("birthday"))
        if parsed is None:
            return None
        born = parsed.astimezone(rules.BEIJING).date()
        return born if date(1900, 1, 1) <= born <= AS_OF_DATE else None

    def registration(self) -> datetime | None:
        parsed = rules.parse_timestamp(self.column("registration"))
        if parsed is None or parsed < self.seeds.launch[self.system] or parsed > AS_OF_INSTANT:
            return None
        return parsed

    def tier_rank(self) -> int:
        value = rules.clean_code(self.column("tier"))
        code = self.seeds.tier.get((self.system, value), "T1") if value else "T1"
        return self.seeds.tier_rank[code]

    def status(self) -> str:
        if self.system == "pos":
            return {"A": "active", "B": "frozen", "C": "closed"}[
                rules.clean_code(self.values["status"])
            ]
        if self.system == "mall":
            return "closed" if rules.clean_text(self.values["is_deleted"]) == "1" else "active"
        return "active"

    def converted_points(self) -> int:
        legacy = rules.parse_integer(self.column("points"))
        assert legacy is not None, f"{self.table} {self.key}: a migrated record has points"
        numerator, denominator = self.seeds.conversion[self.system]
        return legacy * numerator // denominator

    def stored_value_cents(self) -> int:
        if self.system != "pos":
            return 0
        return rules.parse_money_cents(self.values["stored_value"]) or 0

    def match_key(self, kind: str) -> str | None:
        raw = self.column(kind)
        if kind == "mobile":
            return rules.parse_mobile(raw)
        if kind == "id_card_no":
            return rules.parse_national_id(raw, AS_OF_DATE)
        if kind == "email":
            return rules.parse_email(raw)
        return rules.clean_text(raw)

    def region(self) -> tuple[str, str | None] | None:
        """(province, city) when the record's province maps, else None."""
        province_value = rules.clean_text(self.values.get("province"))
        city_value = rules.clean_text(self.values.get("city"))
        by_province = (
            self.seeds.region.get(("province", province_value)) if province_value else None
        )
        by_city = self.seeds.region.get(("city", city_value)) if city_value else None
        if province_value is not None:
            province = by_province[0] if by_province else None
        else:
            province = by_city[0] if by_city else None
        if province is None:
            return None
        if city_value is not None:
            city = by_city[1] if by_city else None
        else:
            city = by_province[1] if by_province else None
        return province, city


def golden(member_id: str, records: list[Record], overshared: set[tuple[str, str]]) -> dict:
    """Section 6, line by line, for one member."""
    ordered = sorted(records, key=Record.order_key)

    def first(values) -> object:
        return next((v for v in values if v is not None), None)

    def key(kind: str) -> str | None:
        return first(
            value
            for r in ordered
            if (value := r.match_key(kind)) is not None and (kind, value) not in overshared
        )

    mobile, id_card_no = key("mobile"), key("id_card_no")
    if id_card_no is not None:
        gender = "M" if int(id_card_no[16]) % 2 else "F"
        birthday = date(int(id_card_no[6:10]), int(id_card_no[10:12]), int(id_card_no[12:14]))
    else:
        genders = [g for r in ordered if (g := r.gender()) is not None]
        gender = first(g if g in ("M", "F") else None for g in genders) or (
            "U" if genders else None
        )
        birthday = first(r.birthday() for r in ordered)
    registrations = [
        (at, r.seeds.source_order[r.system], r.system)
        for r in records
        if (at := r.registration()) is not None
    ]
    register_at, _, first_system = min(registrations) if registrations else (None, None, None)
    top_rank = max(r.tier_rank() for r in records)
    tier_code = next(c for c, rank in records[0].seeds.tier_rank.items() if rank == top_rank)
    statuses = {r.status() for r in records}
    status = next(s for s in ("active", "frozen", "closed") if s in statuses)
    nickname = first(rules.clean_text(r.column("nickname")) for r in ordered)
    if nickname is None:
        nickname = "会员" + (mobile or member_id)[-4:]
    region = first(r.region() for r in ordered) or (None, None)
    return {
        "tier_code": tier_code,
        "tier_name": records[0].seeds.tier_name[tier_code],
        "status": status,
        "points_balance": sum(r.converted_points() for r in records),
        "stored_value_balance": Decimal(sum(r.stored_value_cents() for r in records)) / 100,
        "register_at": register_at,
        "first_source_system": first_system,
        "nickname": nickname,
        "gender": gender,
        "province": region[0],
        "city": region[1],
        "mobile_masked": f"{mobile[:3]}****{mobile[-4:]}" if mobile else None,
        "source_record_count": len(records),
        "member_name": first(clean_name(r.column("name")) for r in ordered),
        "mobile": mobile,
        "id_card_no": id_card_no,
        "email": key("email"),
        "birthday": birthday,
        "unionid": key("unionid"),
    }


def raw_rows(warehouse: Warehouse, table: str) -> Iterator[dict]:
    """The rows of raw.<table> as loaded, in batch and record order, as column -> value."""
    with warehouse.connect() as conn:
        cursor = conn.execute(f"select * from raw.{table} order by _batch_id, _record_number")
        names = [d.name for d in cursor.description]
        for row in cursor:
            yield dict(zip(names, row, strict=True))


def legacy_fields(values: dict) -> tuple:
    """The legacy columns of a raw row (not the loader's _batch_id, _record_number, ...)."""
    return tuple(v for n, v in values.items() if not n.startswith("_"))


def row_id(table: str, values: dict) -> tuple[str, int, int]:
    """A loaded row: (file, batch, record number)."""
    return table, values["_batch_id"], values["_record_number"]


def truth_row_ids(built: Built, warehouse: Warehouse, name: str) -> Iterator[tuple]:
    """Each row of a truth file with the loaded row it names, (file, batch, record number):
    the truth counts packages 1, 2, ... in load order."""
    batches = [
        b for (b,) in warehouse.query("select distinct batch_id from raw.batch_manifest order by 1")
    ]
    for r in built.truth_rows(name):
        yield r, (r["source_table"], batches[int(r["package_seq"]) - 1], int(r["record_number"]))


def _winning_rows(
    built: Built, warehouse: Warehouse, seeds: Seeds
) -> dict[tuple[str, str], Record]:
    """The migrated member records of the truth, each with its raw row exactly as loaded."""
    wanted = defaultdict(dict)
    for r, loaded in truth_row_ids(built, warehouse, "records.csv"):
        if r["expect_quarantined"] == "0":
            wanted[r["source_table"]][loaded] = r["source_key"]
    records = {}
    for table, rows in wanted.items():
        for values in raw_rows(warehouse, table):
            key = rows.get(row_id(table, values))
            if key is not None:
                system = COLUMNS[table]["system"]
                records[(system, key)] = Record(table, system, key, values, seeds)
        assert len([k for k in records if k[0] == COLUMNS[table]["system"]]) == len(rows), table
    return records


def assert_same(expected: dict, published: dict, what: str) -> None:
    """Both sides hold the same keys with the same values; else say how many differ, and some."""
    differ = {
        k: (expected.get(k), published.get(k))
        for k in expected.keys() | published.keys()
        if expected.get(k) != published.get(k)
    }
    sample = sorted(differ.items(), key=repr)[:4]
    assert not differ, f"{len(differ)} of {len(expected)} {what} differ: {sample}"


@pytest.fixture(scope="module")
def members(built: Built, warehouse: Warehouse) -> dict[str, list[Record]]:
    """Each published member's migrated records, parsed."""
    records = _winning_rows(built, warehouse, Seeds.read())
    grouped: dict[str, list[Record]] = defaultdict(list)
    for member_id, system, key in warehouse.query(
        "select member_id, source_system, source_key from marts.dim_member_legacy_accounts"
    ):
        grouped[member_id].append(records.pop((system, key)))
    assert records == {}, f"{len(records)} migrated records in no member: {list(records)[:3]}"
    return dict(grouped)


@pytest.fixture(scope="module")
def expected_and_published(members: dict[str, list[Record]], warehouse: Warehouse):
    holders: dict[tuple[str, str], set] = defaultdict(set)
    for record in (r for rs in members.values() for r in rs):
        for kind in MATCH_KEYS:
            value = record.match_key(kind)
            if value is not None:
                holders[(kind, value)].add((record.system, record.key))
    overshared = {k for k, held in holders.items() if len(held) > MAX_RECORDS_PER_MATCH_KEY}
    expected = {m: golden(m, rs, overshared) for m, rs in members.items()}
    columns = list(next(iter(expected.values())))
    with warehouse.connect() as conn:
        cursor = conn.execute(
            "select m.member_id, m.*, i.* from marts.dim_members m "
            "join pii.member_identities i using (member_id)"
        )
        names = [d.name for d in cursor.description]
        published = {
            row[0]: {c: dict(zip(names, row, strict=True))[c] for c in columns} for row in cursor
        }
    return expected, published, overshared


#: Every column the contract publishes per member, in dim_members and pii.member_identities.
GOLDEN_COLUMNS = sorted(
    (PUBLISHED_COLUMNS["marts.dim_members"] | PUBLISHED_COLUMNS["pii.member_identities"])
    - {"member_id"}
)


@pytest.mark.parametrize("attribute", GOLDEN_COLUMNS)
def test_every_members_attribute_equals_the_independent_recomputation(
    expected_and_published: tuple[dict, dict], attribute: str
):
    expected, published, _ = expected_and_published
    # A build where every member's value is null or the same proves nothing about the rule.
    assert len({repr(v[attribute]) for v in expected.values()}) > 1, attribute
    assert_same(
        {m: e[attribute] for m, e in expected.items()},
        {m: p[attribute] for m, p in published.items()},
        f"members' {attribute} (expected, published)",
    )


# -- points, benefits, transactions and segments (sections 7 and 9) ------------------------------

#: Per child table: its key column, parent table and parent key column (legacy-exports.md).
CHILDREN = {
    "pos_points_log": ("log_id", "pos_member_card", "card_no"),
    "pos_transaction": ("txn_id", "pos_member_card", "card_no"),
    "mall_order": ("order_id", "mall_user", "user_id"),
    "mall_coupon": ("coupon_id", "mall_user", "user_id"),
}
DAY = timedelta(days=1)


def _migrated_children(built: Built, warehouse: Warehouse) -> dict[str, list[dict]]:
    """Per child table, its migrated rows: the winning version of each key (section 4: exact
    duplicates within a batch collapse into their first copy; of different rows with one key
    the later batch wins, within a batch the later record) that the truth does not quarantine."""
    rejected = {loaded for _, loaded in truth_row_ids(built, warehouse, "expected_rejects.csv")}
    migrated = {}
    for table, (key_column, _, _) in CHILDREN.items():
        winners: dict[str, dict] = {}
        seen: set[tuple] = set()
        for values in raw_rows(warehouse, table):
            fields = (values["_batch_id"], legacy_fields(values))
            key = rules.clean_text(values[key_column])
            # an exact duplicate collapses into the first of its copies
            if key is not None and fields not in seen:
                seen.add(fields)
                winners[key] = values | {"key": key}
        migrated[table] = [v for v in winners.values() if row_id(table, v) not in rejected]
    return migrated


@dataclass
class Activity:
    ledger: dict[str, list[tuple]]
    benefits: dict[str, list[tuple]]
    transactions: dict[str, list[tuple]]
    segments: dict[str, tuple]


def expected_activity(
    members: dict[str, list[Record]], children: dict[str, list[dict]], register: dict
) -> Activity:
    seeds = next(iter(members.values()))[0].seeds
    change_types = {r["legacy_value"]: r["change_type"] for r in _seed("change_type_mapping")}
    member_of = {(r.system, r.key): m for m, rs in members.items() for r in rs}

    def parent_member(row: dict, table: str) -> str:
        _, parent_table, parent_column = CHILDREN[table]
        return member_of[(truth.SOURCE_SYSTEM[parent_table], rules.clean_text(row[parent_column]))]

    ledger: dict[str, list[tuple]] = defaultdict(list)
    logged: dict[str, int] = defaultdict(int)
    for row in children["pos_points_log"]:
        delta = rules.parse_integer(row["points_delta"])
        logged[rules.clean_text(row["card_no"])] += delta
        entry_type = change_types.get(rules.clean_code(row["change_type"]))
        occurred = rules.parse_timestamp(row["occurred_at"])
        entry = ("pos", row["key"], entry_type, delta, delta, 0, occurred)
        ledger[parent_member(row, "pos_points_log")].append(entry)
    for member_id, records in members.items():
        for r in records:
            legacy = rules.parse_integer(r.column("points"))
            if r.system == "pos" and legacy != logged.get(r.key, 0):
                difference = legacy - logged.get(r.key, 0)
                entry = ("pos", r.key, "MIGRATION_ADJUSTMENT", difference, difference, 0)
                ledger[member_id].append((*entry, AS_OF_INSTANT))
            elif r.system != "pos" and legacy != 0:
                numerator, denominator = seeds.conversion[r.system]
                new = legacy * numerator // denominator
                residual = legacy - new * denominator // numerator
                entry = (r.system, r.key, "MIGRATION_OPENING", new, legacy, residual)
                ledger[member_id].append((*entry, AS_OF_INSTANT))

    benefits: dict[str, list[tuple]] = defaultdict(list)
    for row in children["mall_coupon"]:
        expires = rules.parse_timestamp(row["expire_at"])
        if rules.clean_code(row["coupon_status"], lower=True) == "unused" and (
            expires is not None and expires > AS_OF_INSTANT
        ):
            kind = "COUPON_" + rules.clean_code(row["coupon_type"])
            amount = Decimal(rules.parse_money_cents(row["face_value"])) / 100
            benefits[parent_member(row, "mall_coupon")].append((row["key"], kind, amount, expires))
    for member_id, records in members.items():
        for r in records:
            if (cents := r.stored_value_cents()) != 0:
                benefits[member_id].append((r.key, "STORED_VALUE", Decimal(cents) / 100, None))

    transactions: dict[str, list[tuple]] = defaultdict(list)
    for table, channel, time_column, amount_column in (
        ("pos_transaction", "store", "txn_time", "amount"),
        ("mall_order", "mall", "order_time", "pay_amount"),
    ):
        for row in children[table]:
            amount = Decimal(rules.parse_money_cents(row[amount_column])) / 100
            occurred = rules.parse_timestamp(row[time_column])
            if channel == "store":
                is_purchase = amount > 0
            else:
                is_purchase = rules.clean_code(row["order_status"], lower=True) == "paid"
            transactions[parent_member(row, table)].append(
                (row["key"], channel, amount, occurred, is_purchase)
            )

    segments = _segments(members, transactions, register)
    return Activity(ledger, benefits, transactions, segments)


def _quintiles(values: dict[str, object], best_high: bool) -> dict[str, int]:
    """Scores 1-5 by quintile, 5 the best; ties broken by member_id (section 9): ranked from
    worst to best, the lower member_id first among equals, cut into five buckets the way SQL's
    ntile does (the first buckets take one more when the count does not divide by five)."""
    order = sorted(values, key=lambda m: (values[m] if best_high else -values[m], m))
    size, extra = divmod(len(order), 5)
    scores, start = {}, 0
    for bucket in range(1, 6):
        end = start + size + (1 if bucket <= extra else 0)
        scores.update({m: bucket for m in order[start:end]})
        start = end
    return scores


def _segments(members: dict, transactions: dict, register: dict) -> dict[str, tuple]:
    recency, frequency, monetary, last = {}, {}, {}, {}
    for member_id in members:
        purchases = [
            (occurred, amount)
            for _, _, amount, occurred, is_purchase in transactions.get(member_id, [])
            if is_purchase and occurred is not None and occurred <= AS_OF_INSTANT
        ]
        if not purchases:
            continue
        last[member_id] = max(occurred for occurred, _ in purchases)
        recency[member_id] = (AS_OF_INSTANT - last[member_id]) // DAY
        window = [a for occurred, a in purchases if occurred > AS_OF_INSTANT - 365 * DAY]
        frequency[member_id] = len(window)
        monetary[member_id] = sum(window, Decimal(0))
    r_score = _quintiles(recency, best_high=False)
    f_score = _quintiles(frequency, best_high=True)
    m_score = _quintiles(monetary, best_high=True)
    segments = {}
    for member_id in members:
        registered = register[member_id]
        if registered is not None and registered > AS_OF_INSTANT - 90 * DAY:
            stage = "new"
        elif member_id in last and last[member_id] > AS_OF_INSTANT - 180 * DAY:
            stage = "active"
        elif frequency.get(member_id, 0) == 0:
            stage = "dormant"
        else:
            stage = "lapsing"
        segments[member_id] = (
            recency.get(member_id),
            frequency.get(member_id, 0),
            monetary.get(member_id, Decimal(0)),
            r_score.get(member_id, 1),
            f_score.get(member_id, 1),
            m_score.get(member_id, 1),
            stage,
        )
    return segments


def _by_member(rows: list[tuple]) -> dict[str, list[tuple]]:
    grouped: dict[str, list[tuple]] = defaultdict(list)
    for member_id, *rest in rows:
        grouped[member_id].append(tuple(rest))
    return {m: sorted(v, key=repr) for m, v in grouped.items()}


@pytest.fixture(scope="module")
def activity(
    built: Built, warehouse: Warehouse, members: dict, expected_and_published: tuple
) -> tuple[Activity, Activity]:
    expected_golden = expected_and_published[0]
    register = {m: g["register_at"] for m, g in expected_golden.items()}
    expected = expected_activity(members, _migrated_children(built, warehouse), register)
    expected.ledger, expected.benefits, expected.transactions = (
        {m: sorted(v, key=repr) for m, v in part.items()}
        for part in (expected.ledger, expected.benefits, expected.transactions)
    )
    published = Activity(
        ledger=_by_member(
            warehouse.query(
                "select member_id, source_system, source_key, entry_type, points, "
                "legacy_points, residual_legacy_points, occurred_at from marts.fct_points_ledger"
            )
        ),
        benefits=_by_member(
            warehouse.query(
                "select member_id, source_key, benefit_type, amount, expires_at "
                "from marts.dim_member_benefits"
            )
        ),
        transactions=_by_member(
            warehouse.query(
                "select member_id, source_key, channel, amount, occurred_at, is_purchase "
                "from marts.fct_transactions"
            )
        ),
        segments={
            m: tuple(rest)
            for m, *rest in warehouse.query(
                "select member_id, recency_days, frequency_365d, monetary_365d, "
                "r_score, f_score, m_score, lifecycle_stage from marts.dim_member_segments"
            )
        },
    )
    return expected, published


@pytest.mark.parametrize("part", ["ledger", "benefits", "transactions", "segments"])
def test_every_members_ledger_benefits_transactions_and_segment_equal_the_recomputation(
    activity: tuple[Activity, Activity], part: str
):
    expected, published = (getattr(a, part) for a in activity)
    assert len(expected) > 100, f"the package should give many members {part}"
    assert_same(expected, published, f"members' {part} (expected, published)")


# -- warnings (section 3): every row of audit.member_data_issues ----------------------------------

#: Every date or time column of each file (legacy-exports.md).
DATE_COLUMNS = {
    "pos_member_card": ("birthday", "open_date", "updated_at"),
    "mall_user": ("birth_date", "reg_time", "last_login_at"),
    "wechat_member": ("subscribe_time", "updated_at"),
    "pos_points_log": ("occurred_at",),
    "pos_transaction": ("txn_time",),
    "mall_order": ("order_time",),
    "mall_coupon": ("issued_at", "expire_at"),
}
#: Rules whose issue row keeps the legacy value of its column as loaded: all but
#: DUPLICATE_SOURCE_ROW, which names no column (the project gives the count of copies).
VALUE_RULES = {
    "POINTS_LEDGER_MISMATCH",
    "IDENTITY_CONFLICT",
    "MOBILE_INVALID",
    "ID_CARD_INVALID",
    "EMAIL_INVALID",
    "DATE_INVALID",
    "BIRTHDAY_OUT_OF_RANGE",
    "REGISTERED_BEFORE_LAUNCH",
    "REGISTERED_IN_FUTURE",
    "TIER_UNMAPPED",
    "GENDER_UNMAPPED",
    "REGION_UNMAPPED",
    "POINTS_NEGATIVE",
    "MATCH_KEY_OVERSHARED",
    "EXT_ATTRS_INVALID",
}


def _collapsed_survivors(warehouse: Warehouse) -> set[tuple[str, int, int]]:
    """The row (file, batch, record number) that exact duplicates of one batch collapsed into
    (their first copy), whatever became of it afterwards."""
    survivors = set()
    for table in DATE_COLUMNS:
        first: dict[tuple, tuple] = {}
        copies: dict[tuple, int] = defaultdict(int)
        for values in raw_rows(warehouse, table):
            fields = (values["_batch_id"], legacy_fields(values))
            first.setdefault(fields, row_id(table, values))
            copies[fields] += 1
        survivors |= {first[f] for f, n in copies.items() if n > 1}
    return survivors


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _record_warnings(
    r: Record, logged: dict[str, int], overshared: set, survivors: set
) -> list[tuple[str, str | None]]:
    """(rule code, legacy column) of every warning of one member record but IDENTITY_CONFLICT."""
    seeds, columns, found = r.seeds, COLUMNS[r.table], []

    def present(column: str) -> str | None:
        return rules.clean_text(r.values.get(column))

    for kind, code, parse in (
        ("mobile", "MOBILE_INVALID", rules.parse_mobile),
        ("email", "EMAIL_INVALID", rules.parse_email),
        ("id_card_no", "ID_CARD_INVALID", lambda v: rules.parse_national_id(v, AS_OF_DATE)),
    ):
        column = columns.get(kind)
        if column and present(column) is not None and parse(r.values[column]) is None:
            found.append((code, column))
    for column in DATE_COLUMNS[r.table]:
        if present(column) is not None and rules.parse_timestamp(r.values[column]) is None:
            found.append(("DATE_INVALID", column))
    if "birthday" in columns and rules.parse_timestamp(r.column("birthday")) and not r.birthday():
        found.append(("BIRTHDAY_OUT_OF_RANGE", columns["birthday"]))
    registered = rules.parse_timestamp(r.column("registration"))
    if registered is not None and registered < seeds.launch[r.system]:
        found.append(("REGISTERED_BEFORE_LAUNCH", columns["registration"]))
    if registered is not None and registered > AS_OF_INSTANT:
        found.append(("REGISTERED_IN_FUTURE", columns["registration"]))
    tier = rules.clean_code(r.column("tier"))
    if tier is not None and (r.system, tier) not in seeds.tier:
        found.append(("TIER_UNMAPPED", columns["tier"]))
    gender = rules.clean_code(r.column("gender"), lower=r.system == "mall")
    if gender is not None and (r.system, gender) not in seeds.gender:
        found.append(("GENDER_UNMAPPED", columns["gender"]))
    for column in ("province", "city"):
        value = present(column)
        if column in r.values and value is not None and (column, value) not in seeds.region:
            found.append(("REGION_UNMAPPED", column))
    legacy = rules.parse_integer(r.column("points"))
    if legacy is not None and legacy < 0:
        found.append(("POINTS_NEGATIVE", columns["points"]))
    if r.system == "pos" and legacy != logged.get(r.key, 0):
        found.append(("POINTS_LEDGER_MISMATCH", columns["points"]))
    for kind in MATCH_KEYS:
        if (kind, r.match_key(kind)) in overshared:
            found.append(("MATCH_KEY_OVERSHARED", columns[kind]))
    text = present("ext_attrs") if r.system == "wechat" else None
    if text is not None and not _is_json_object(text):
        found.append(("EXT_ATTRS_INVALID", "ext_attrs"))
    if row_id(r.table, r.values) in survivors:
        found.append(("DUPLICATE_SOURCE_ROW", None))
    return found


def _child_warnings(table: str, values: dict, survivors: set) -> list[tuple[str, str | None]]:
    """(rule code, legacy column) of every warning of a log, transaction, order or coupon row."""
    found = [
        ("DATE_INVALID", column)
        for column in DATE_COLUMNS[table]
        if rules.clean_text(values[column]) is not None
        and rules.parse_timestamp(values[column]) is None
    ]
    if row_id(table, values) in survivors:
        found.append(("DUPLICATE_SOURCE_ROW", None))
    return found


def expected_issues(
    members: dict[str, list[Record]],
    children: dict[str, list[dict]],
    overshared: set[tuple[str, str]],
    survivors: set[tuple[str, int]],
) -> list[tuple]:
    member_of = {(r.system, r.key): m for m, rs in members.items() for r in rs}
    issues = []
    logged: dict[str, int] = defaultdict(int)
    for row in children["pos_points_log"]:
        logged[rules.clean_text(row["card_no"])] += rules.parse_integer(row["points_delta"])

    for member_id, records in members.items():
        ids = {r.match_key("id_card_no") for r in records} - {None}
        valid_ids = {v for v in ids if ("id_card_no", v) not in overshared}
        for r in records:
            for code, column in _record_warnings(r, logged, overshared, survivors):
                value = r.values.get(column) if code in VALUE_RULES else None
                issues.append((member_id, r.table, r.key, code, column, value))
            if len(valid_ids) > 1 and r.match_key("id_card_no") in valid_ids:
                conflict = ("IDENTITY_CONFLICT", "id_card_no")
                issues.append((member_id, r.table, r.key, *conflict, r.values.get("id_card_no")))

    for table, rows in children.items():
        _, parent_table, parent_column = CHILDREN[table]
        for row in rows:
            member_id = member_of[
                (truth.SOURCE_SYSTEM[parent_table], rules.clean_text(row[parent_column]))
            ]
            for code, column in _child_warnings(table, row, survivors):
                value = row.get(column) if code in VALUE_RULES else None
                issues.append((member_id, table, row["key"], code, column, value))
    return sorted(issues, key=repr)


def test_every_warning_is_the_one_the_rules_give_and_no_other(
    built: Built, warehouse: Warehouse, members: dict, expected_and_published: tuple
):
    overshared = expected_and_published[2]
    expected = expected_issues(
        members,
        _migrated_children(built, warehouse),
        overshared,
        _collapsed_survivors(warehouse),
    )
    published = sorted(
        (
            (m, t, k, code, column, value if code in VALUE_RULES else None)
            for m, t, k, code, column, value in warehouse.query(
                "select member_id, source_table, source_key, rule_code, column_name, raw_value "
                "from audit.member_data_issues"
            )
        ),
        key=repr,
    )
    # the package exercises every warn rule, and placeholders of three kinds of match key
    warn_rules = {r["rule_code"] for r in _seed("quality_rules") if r["severity"] == "warn"}
    assert {i[3] for i in expected} == warn_rules
    assert {kind for kind, _ in overshared} >= {"mobile", "email", "unionid"}, overshared
    missing = Counter(expected) - Counter(published)
    extra = Counter(published) - Counter(expected)
    assert not missing and not extra, (
        f"{sum(missing.values())} expected issues not published, e.g. {list(missing)[:4]}; "
        f"{sum(extra.values())} published issues not expected, e.g. {list(extra)[:4]}"
    )


#: Warnings about a member as a whole, not about the row: a quarantined row is no member's
#: record, so it holds no match key for matching, has no ledger and meets no other ID.
MEMBER_LEVEL_WARNINGS = {"MATCH_KEY_OVERSHARED", "POINTS_LEDGER_MISMATCH", "IDENTITY_CONFLICT"}


def expected_quarantine(built: Built, warehouse: Warehouse) -> dict[tuple, list[str]]:
    """Each quarantined row (file, batch, record number): its truth rejects plus the row-level
    warnings its values raise, sorted."""
    seeds = Seeds.read()
    survivors = _collapsed_survivors(warehouse)
    rejects = {
        loaded: set(r["rule_codes"].split("|"))
        for r, loaded in truth_row_ids(built, warehouse, "expected_rejects.csv")
    }
    expected = {}
    for table in DATE_COLUMNS:
        for values in raw_rows(warehouse, table):
            codes = rejects.get(row_id(table, values))
            if codes is None:
                continue
            if table in COLUMNS:
                key = rules.clean_text(values[COLUMNS[table]["key"]])
                record = Record(table, COLUMNS[table]["system"], key, values, seeds)
                warned = _record_warnings(record, {}, set(), survivors)
                codes |= {code for code, _ in warned} - MEMBER_LEVEL_WARNINGS
            else:
                codes |= {code for code, _ in _child_warnings(table, values, survivors)}
            expected[row_id(table, values)] = sorted(codes)
    return expected


def test_every_quarantined_row_lists_its_rejects_and_every_warning_its_values_raise(
    built: Built, warehouse: Warehouse
):
    """Section 3: a quarantined row's rule_codes list every rule it broke, reject and warn
    alike. The rejects are the truth's; the warnings are recomputed from the row's values."""
    expected = expected_quarantine(built, warehouse)
    published = {
        (table, batch, number): codes
        for table, batch, number, codes in warehouse.query(
            "select source_table, batch_id, record_number, rule_codes from audit.quarantined_rows"
        )
    }
    warned = {c for codes in expected.values() for c in codes} - {
        r["rule_code"] for r in _seed("quality_rules") if r["severity"] == "reject"
    }
    assert len(warned) >= 3, f"quarantined rows should break warn rules too, saw {warned}"
    assert_same(expected, published, "quarantined rows' rule_codes (expected, published)")


def test_every_members_custom_attributes_equal_the_recomputation(
    members: dict[str, list[Record]], warehouse: Warehouse
):
    """Section 6: one row per member, attribute and source from the records' ext_attrs objects,
    keys renamed by the seed attribute_mapping (an unmapped key keeps its name), the first
    record in survivorship order giving the value. A value the mart withholds as personal
    data is compared by its row only."""
    renamed = {r["legacy_key"]: r["attribute"] for r in _seed("attribute_mapping")}
    expected = {}
    for member_id, records in members.items():
        for r in sorted(records, key=Record.order_key):
            text = rules.clean_text(r.values.get("ext_attrs"))
            if text is None or not _is_json_object(text):
                continue
            for legacy_key, value in sorted(json.loads(text).items()):
                row = (member_id, renamed.get(legacy_key, legacy_key), r.system)
                if value is not None and not isinstance(value, str):
                    value = json.dumps(value, ensure_ascii=False)
                expected.setdefault(row, (legacy_key, value))
    published = {
        (m, attribute, system): (legacy_key, None if withheld else value)
        for m, attribute, system, legacy_key, value, withheld in warehouse.query(
            "select member_id, attribute, source_system, legacy_key, value, is_value_withheld "
            "from marts.dim_member_attributes"
        )
    }
    withheld = {k for k, (_, v) in published.items() if v is None}
    expected = {k: (key, None if k in withheld else v) for k, (key, v) in expected.items()}
    assert len({k[1] for k in expected}) >= 3, "the package should hold mapped and other keys"
    assert_same(expected, published, "attribute rows (expected, published)")


# -- reconciliation (section 10) -------------------------------------------------------------------

#: The points column of each file the points measure covers, and its system's conversion.
POINTS_COLUMNS = {
    table: (column, truth.SOURCE_SYSTEM.get(table, "pos")) for table, column in truth.POINTS.items()
}


def _open_coupon(values: dict) -> bool:
    expires = rules.parse_timestamp(values["expire_at"])
    status = rules.clean_code(values["coupon_status"], lower=True)
    return status == "unused" and expires is not None and expires > AS_OF_INSTANT


def expected_reconciliation(
    built: Built, warehouse: Warehouse, members: dict[str, list[Record]]
) -> dict[tuple[str, str], tuple]:
    """(file, measure) -> (legacy, migrated, duplicate, superseded, quarantined, rejected,
    residual), from the raw rows, the truth's rejects and the migrated rows."""
    seeds = Seeds.read()
    quarantined_ids = {
        loaded for _, loaded in truth_row_ids(built, warehouse, "expected_rejects.csv")
    }
    loader_rejects = Counter(
        r["source_table"] for r in built.truth_rows("expected_loader_rejects.csv")
    )
    migrated_rows = {
        t: [r.values for rs in members.values() for r in rs if r.table == t] for t in COLUMNS
    }
    migrated_rows |= _migrated_children(built, warehouse)
    expected = {}
    for table in DATE_COLUMNS:
        key_column = COLUMNS[table]["key"] if table in COLUMNS else CHILDREN[table][0]
        seen, keys, keyed, keyless, duplicates = set(), set(), 0, 0, 0
        quarantined = []
        for values in raw_rows(warehouse, table):
            fields = (values["_batch_id"], legacy_fields(values))
            if fields in seen:
                duplicates += 1
                continue
            seen.add(fields)
            key = rules.clean_text(values[key_column])
            keyed, keyless = keyed + (key is not None), keyless + (key is None)
            keys.add(key)
            if row_id(table, values) in quarantined_ids:
                quarantined.append(values)
        loaded = len(seen) + duplicates
        migrated = migrated_rows[table]
        assert len(migrated) + len(quarantined) == len(keys - {None}) + keyless, table
        expected[(table, "records")] = (
            loaded + loader_rejects[table],
            len(migrated),
            duplicates,
            keyed - len(keys - {None}),
            len(quarantined),
            loader_rejects[table],
            0,
        )
        if table in POINTS_COLUMNS:
            column, system = POINTS_COLUMNS[table]
            numerator, denominator = seeds.conversion[system]

            def points(rows: list[dict], column: str = column) -> list[int]:
                return [p for v in rows if (p := rules.parse_integer(v[column])) is not None]

            converted = [
                Fraction(p * numerator // denominator * denominator, numerator)
                for p in points(migrated)
            ]
            expected[(table, "points")] = (
                sum(points(migrated)) + sum(points(quarantined)),
                sum(converted),
                0,
                0,
                sum(points(quarantined)),
                0,
                sum(points(migrated)) - sum(converted),
            )
        if table == "pos_member_card":

            def cents(rows: list[dict]) -> int:
                return sum(rules.parse_money_cents(v["stored_value"]) or 0 for v in rows)

            kept, held = cents(migrated), cents(quarantined)
            yuan = (kept + held, kept, 0, 0, held, 0, 0)
            expected[(table, "stored_value")] = tuple(Decimal(c) / 100 for c in yuan)
        if table == "mall_coupon":
            opened = sum(map(_open_coupon, migrated)), sum(map(_open_coupon, quarantined))
            expected[(table, "open_coupons")] = (sum(opened), opened[0], 0, 0, opened[1], 0, 0)
    return expected


def test_every_reconciliation_figure_equals_the_recomputation(
    built: Built, warehouse: Warehouse, members: dict[str, list[Record]]
):
    """Section 10, figure by figure: records (loaded plus loader rejects; collapsed copies;
    rows a later version of their key beat; quarantined; migrated), points in legacy units
    (converted, residual, quarantined), stored value and open coupons."""
    expected = expected_reconciliation(built, warehouse, members)
    published = {
        (table, measure): tuple(figures)
        for table, measure, *figures in warehouse.query(
            "select source_table, measure, legacy_value, migrated_value, duplicate_value, "
            "superseded_value, quarantined_value, rejected_value, residual_value "
            "from audit.migration_reconciliation"
        )
    }
    assert_same(expected, published, "reconciliation rows (expected, published)")
