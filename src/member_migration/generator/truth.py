"""The ground truth of a chunk, derived from its written rows by the rules of the spec.

Section 4 (which version counts): rows the loader rejects are not loaded; rows identical in
every field within one file are one row (the first one survives); among different rows with
one key the row of the latest package wins, within a package the later recency timestamp
(a usable one beats none), else the later record. Section 3: the reject codes of each winning
row. Everything is computed from the strings in the rows, through ``rules``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter

from member_migration.contract import FILES_BY_TABLE
from member_migration.generator import rules
from member_migration.generator.model import (
    AS_OF_DATE,
    AS_OF_INSTANT,
    CHILD_TABLES,
    LAUNCH,
    MEMBER_TABLES,
    Row,
)
from member_migration.generator.rates import VARIANT_KINDS

SOURCE_SYSTEM = {"pos_member_card": "pos", "mall_user": "mall", "wechat_member": "wechat"}
#: Recency columns (section 6), in order of preference.
RECENCY = {
    "pos_member_card": ("updated_at",),
    "mall_user": ("last_login_at", "reg_time"),
    "wechat_member": ("updated_at",),
}
REGISTRATION = {
    "pos_member_card": "open_date",
    "mall_user": "reg_time",
    "wechat_member": "subscribe_time",
}
POINTS = {
    "pos_member_card": "points",
    "mall_user": "integral",
    "wechat_member": "points_balance",
    "pos_points_log": "points_delta",
}
AMOUNTS = {"pos_transaction": "amount", "mall_order": "pay_amount", "mall_coupon": "face_value"}
MOBILE = {"pos_member_card": "mobile", "mall_user": "phone", "wechat_member": "mobile"}
UNIONID = {"mall_user": "wx_unionid", "wechat_member": "unionid"}


@dataclass
class ChunkTruth:
    #: (table, key, person, quarantined, mobile, id, email, unionid, level, index, register_at,
    #: points)
    records: list[tuple] = field(default_factory=list)
    #: (table, level, index, key, "CODE|CODE")
    rejects: list[tuple] = field(default_factory=list)
    #: (table, level, index, reason)
    loader_rejects: list[tuple] = field(default_factory=list)
    #: (table, level, index, key, column, kind)
    corruptions: list[tuple] = field(default_factory=list)
    #: (table, key) -> cleaned match keys, for winning member records that are not quarantined
    usable_member_keys: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


def _recency(table: str, row: Row) -> datetime | None:
    for column in RECENCY[table]:
        parsed = rules.parse_timestamp(row.values[column])
        if parsed is not None:
            return parsed
    return None


def _winner(table: str, group: list[Row]) -> Row:
    if len(group) == 1 or table not in RECENCY:
        return group[-1]
    best, best_key = group[0], None
    for row in group:
        ts = _recency(table, row)
        key = (ts is not None, ts.timestamp() if ts else 0.0, row.index)
        if best_key is None or key > best_key:
            best, best_key = row, key
    return best


def _register_at(table: str, row: Row) -> str:
    ts = rules.parse_timestamp(row.values[REGISTRATION[table]])
    if ts is None or ts < LAUNCH[SOURCE_SYSTEM[table]] or ts > AS_OF_INSTANT:
        return ""
    return ts.isoformat()


def resolve(rows_by_level: dict[int, dict[str, list[Row]]], target: int) -> ChunkTruth:
    """The truth of the combined state of packages 0..target of one chunk."""
    truth = ChunkTruth()
    levels = sorted(level for level in rows_by_level if level <= target)
    quarantined: dict[str, dict[str, bool]] = {}
    for table in MEMBER_TABLES + CHILD_TABLES:
        spec = FILES_BY_TABLE[table]
        values_of = itemgetter(*spec.columns)
        winners: dict[str, Row] = {}
        keyless: list[Row] = []
        for level in levels:
            groups: dict[str, list[Row]] = {}
            seen: set[tuple[str, ...]] = set()
            for row in rows_by_level[level].get(table, ()):
                key = rules.clean_text(row.values[spec.key])
                for column, kind in row.notes:
                    if kind not in VARIANT_KINDS:
                        truth.corruptions.append(
                            (table, row.level, row.index, key or "", column, kind)
                        )
                if row.loader is not None:
                    truth.loader_rejects.append((table, row.level, row.index, row.loader))
                    truth.count(f"{table}.loader_rejected")
                    continue
                signature = values_of(row.values)
                if signature in seen:
                    truth.count(f"{table}.duplicates")  # rare: the f-string is affordable
                    continue
                seen.add(signature)
                if key is None:
                    keyless.append(row)
                else:
                    groups.setdefault(key, []).append(row)
            for key, group in groups.items():
                if len(group) > 1:
                    truth.count(f"{table}.superseded_in_file", len(group) - 1)
                if key in winners:
                    truth.count(f"{table}.superseded_by_later_package")
                winners[key] = _winner(table, group)
        state: dict[str, bool] = {}
        final = [(key, row) for key, row in winners.items()] + [(None, row) for row in keyless]
        n_quarantined = 0
        is_member = table in MEMBER_TABLES
        for key, row in final:
            codes = _codes(table, key, row, quarantined)
            if key is not None:
                state[key] = bool(codes)
            if codes:
                n_quarantined += 1
                truth.rejects.append((table, row.level, row.index, key or "", "|".join(codes)))
            if is_member:
                _member_record(truth, table, key, row, bool(codes))
        truth.count(f"{table}.winners", len(final))
        truth.count(f"{table}.quarantined", n_quarantined)
        if table in MEMBER_TABLES:
            quarantined[table] = state
    return truth


def _codes(
    table: str, key: str | None, row: Row, quarantined: dict[str, dict[str, bool]]
) -> list[str]:
    values = row.values
    codes = []
    if key is None:
        codes.append("KEY_MISSING")
    if table in POINTS and rules.parse_integer(values[POINTS[table]]) is None:
        codes.append("POINTS_INVALID")
    if table in AMOUNTS and rules.parse_money_cents(values[AMOUNTS[table]]) is None:
        codes.append("AMOUNT_INVALID")
    if table == "pos_member_card":
        stored = values["stored_value"]
        if rules.clean_text(stored) is not None and rules.parse_money_cents(stored) is None:
            codes.append("AMOUNT_INVALID")
        if rules.clean_code(values["status"]) not in ("A", "B", "C"):
            codes.append("STATUS_INVALID")
    spec = FILES_BY_TABLE[table]
    if spec.parent_table is not None:
        parent = rules.clean_text(values[spec.parent_key])
        parents = quarantined[spec.parent_table]
        if parent is None or parent not in parents:
            codes.append("ORPHAN_REFERENCE")
        elif parents[parent]:
            codes.append("PARENT_QUARANTINED")
    return sorted(codes)


def _member_record(
    truth: ChunkTruth, table: str, key: str | None, row: Row, is_quarantined: bool
) -> None:
    values = row.values
    mobile = rules.parse_mobile(values[MOBILE[table]]) or ""
    id_card = (
        rules.parse_national_id(values["id_card_no"], AS_OF_DATE) or ""
        if table == "pos_member_card"
        else ""
    )
    email = rules.parse_email(values["email"]) or "" if table == "mall_user" else ""
    unionid = rules.clean_text(values[UNIONID[table]]) or "" if table in UNIONID else ""
    points = rules.parse_integer(values[POINTS[table]])
    truth.records.append(
        (
            table,
            key or "",
            row.person,
            int(is_quarantined),
            mobile,
            id_card,
            email,
            unionid,
            row.level,
            row.index,
            _register_at(table, row),
            "" if points is None else points,
        )
    )
    if key is not None and not is_quarantined:
        truth.usable_member_keys[(table, key)] = {
            "mobile": mobile,
            "id_card_no": id_card,
            "email": email,
            "unionid": unionid,
        }
