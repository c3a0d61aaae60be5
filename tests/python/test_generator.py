"""The synthetic export generator: contract-shaped, dirty in every documented way, honest truth.

The strongest check here reads a generated package back the way a loader would (decode each
record, RFC 4180), re-derives the ground truth from the files alone with the rules of
migration-rules.md sections 2-4, and compares it with what the generator wrote to DIR.truth/.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from member_migration.contract import EXPORT_FILES, FILES_BY_NAME, FILES_BY_TABLE
from member_migration.generator import (
    RATES,
    GenerationError,
    generate_package,
    pools,
    rates_markdown,
    rules,
    truth_dir_for,
)
from member_migration.generator.forms import Deck
from member_migration.generator.rates import deck_spec
from member_migration.generator.rules import BEIJING

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PERSONS = 2000
AS_OF = datetime(2026, 10, 31).date()
AS_OF_INSTANT = datetime(2026, 11, 1, tzinfo=BEIJING)
LAUNCH = {
    "pos": datetime(2008, 1, 1, tzinfo=BEIJING),
    "mall": datetime(2014, 6, 1, tzinfo=BEIJING),
    "wechat": datetime(2017, 1, 9, tzinfo=BEIJING),
}
MEMBER_ORDER = ("pos_member_card", "mall_user", "wechat_member")
CHILD_ORDER = ("pos_points_log", "pos_transaction", "mall_order", "mall_coupon")


# -- reading a package back, independently of the generator ---------------------------------------
class Record:
    def __init__(self, number: int, values: dict[str, str] | None, unreadable: str | None):
        self.number = number
        self.values = values
        self.unreadable = unreadable


def read_file(path: Path, encoding: str) -> tuple[list[str], list[Record]]:
    raw = path.read_bytes()
    if encoding == "utf-8-sig":
        assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name}: UTF-8 with BOM but no BOM"
        raw = raw[3:]
    text = raw.decode(
        "gb18030" if encoding == "gb18030" else "utf-8",
        errors="strict" if encoding == "gb18030" else "surrogateescape",
    )
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    records = []
    for number, fields in enumerate(reader, start=1):
        if len(fields) != len(header):
            records.append(Record(number, None, "wrong_field_count"))
        elif any("\udc80" <= ch <= "\udcff" for value in fields for ch in value):
            records.append(Record(number, None, "undecodable_bytes"))
        else:
            records.append(Record(number, dict(zip(header, fields, strict=True)), None))
    return header, records


def read_package(package: Path) -> dict[str, list[Record]]:
    summary = json.loads((truth_dir_for(package) / "summary.json").read_text(encoding="utf-8"))
    return {
        spec.table: read_file(
            package / spec.file_name, summary["files"][spec.file_name]["encoding"]
        )[1]
        for spec in EXPORT_FILES
    }


def recency(table: str, values: dict[str, str]) -> datetime | None:
    columns = {
        "pos_member_card": ("updated_at",),
        "mall_user": ("last_login_at", "reg_time"),
        "wechat_member": ("updated_at",),
    }[table]
    for column in columns:
        parsed = rules.parse_timestamp(values[column])
        if parsed is not None:
            return parsed
    return None


def derive_truth(packages: list[dict[str, list[Record]]]) -> dict[str, dict]:
    """Sections 2-4 applied to the files of packages loaded in this order."""
    loader, rejects, records = set(), {}, {}
    quarantined: dict[str, dict[str, bool]] = {}
    for table in MEMBER_ORDER + CHILD_ORDER:
        spec = FILES_BY_TABLE[table]
        winners: dict[str, tuple[int, Record]] = {}
        keyless: list[tuple[int, Record]] = []
        for seq, package in enumerate(packages, start=1):
            seen, groups = set(), defaultdict(list)
            for rec in package[table]:
                if rec.unreadable:
                    loader.add((table, seq, rec.number, rec.unreadable))
                    continue
                signature = tuple(rec.values[c] for c in spec.columns)
                if signature in seen:
                    continue  # an exact duplicate: the first one survives
                seen.add(signature)
                key = rules.clean_text(rec.values[spec.key])
                (keyless.append((seq, rec)) if key is None else groups[key].append((seq, rec)))
            for key, group in groups.items():
                if table in MEMBER_ORDER:

                    def order(item, table=table):
                        ts = recency(table, item[1].values)
                        return (ts is not None, ts.timestamp() if ts else 0.0, item[1].number)

                    winners[key] = max(group, key=order)
                else:
                    winners[key] = group[-1]
        state = {}
        for key, (seq, rec) in [*winners.items(), *((None, item) for item in keyless)]:
            v = rec.values
            codes = []
            if key is None:
                codes.append("KEY_MISSING")
            points = {
                "pos_member_card": "points",
                "mall_user": "integral",
                "wechat_member": "points_balance",
                "pos_points_log": "points_delta",
            }
            if table in points and rules.parse_integer(v[points[table]]) is None:
                codes.append("POINTS_INVALID")
            amounts = {
                "pos_transaction": "amount",
                "mall_order": "pay_amount",
                "mall_coupon": "face_value",
            }
            if table in amounts and rules.parse_money_cents(v[amounts[table]]) is None:
                codes.append("AMOUNT_INVALID")
            if table == "pos_member_card":
                if (
                    rules.clean_text(v["stored_value"]) is not None
                    and rules.parse_money_cents(v["stored_value"]) is None
                ):
                    codes.append("AMOUNT_INVALID")
                if rules.clean_code(v["status"]) not in ("A", "B", "C"):
                    codes.append("STATUS_INVALID")
            if spec.parent_table:
                parent = rules.clean_text(v[spec.parent_key])
                parents = quarantined[spec.parent_table]
                if parent is None or parent not in parents:
                    codes.append("ORPHAN_REFERENCE")
                elif parents[parent]:
                    codes.append("PARENT_QUARANTINED")
            if key is not None:
                state[key] = bool(codes)
            if codes:
                rejects[(table, seq, rec.number)] = (key or "", "|".join(sorted(codes)))
            if table in MEMBER_ORDER:
                mobile_column = "phone" if table == "mall_user" else "mobile"
                records[(table, seq, rec.number)] = (
                    key or "",
                    int(bool(codes)),
                    rules.parse_mobile(v[mobile_column]) or "",
                    (rules.parse_national_id(v["id_card_no"], AS_OF) or "")
                    if table == "pos_member_card"
                    else "",
                    (rules.parse_email(v["email"]) or "") if table == "mall_user" else "",
                    (rules.clean_text(v.get("wx_unionid", v.get("unionid"))) or "")
                    if table != "pos_member_card"
                    else "",
                )
        if table in MEMBER_ORDER:
            quarantined[table] = state
    return {"loader": loader, "rejects": rejects, "records": records}


def truth_files(truth: Path) -> dict[str, dict]:
    def rows(name: str) -> list[dict[str, str]]:
        with (truth / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    return {
        "loader": {
            (r["source_table"], int(r["package_seq"]), int(r["record_number"]), r["reason"])
            for r in rows("expected_loader_rejects")
        },
        "rejects": {
            (r["source_table"], int(r["package_seq"]), int(r["record_number"])): (
                r["source_key"],
                r["rule_codes"],
            )
            for r in rows("expected_rejects")
        },
        "records": {
            (r["source_table"], int(r["package_seq"]), int(r["record_number"])): (
                r["source_key"],
                int(r["expect_quarantined"]),
                r["mobile"],
                r["id_card_no"],
                r["email"],
                r["unionid"],
            )
            for r in rows("records")
        },
    }


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def members(records: list[dict[str, str]], guard: int = 10) -> list[list[dict[str, str]]]:
    """Connected components of the non-quarantined records over their match keys (section 5),
    a key held by more than ``guard`` records linking nothing."""
    records = [r for r in records if r["expect_quarantined"] == "0"]
    names = ("mobile", "id_card_no", "email", "unionid")
    holders = Counter((n, r[n]) for r in records for n in names if r[n])
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, str], int] = {}
    for i, r in enumerate(records):
        for n in names:
            key = (n, r[n])
            if r[n] and holders[key] <= guard:
                if key in first:
                    parent[find(i)] = find(first[key])
                else:
                    first[key] = i
    groups = defaultdict(list)
    for i, r in enumerate(records):
        groups[find(i)].append(r)
    return list(groups.values())


def digest(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.name not in skip
    }


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "full"
    generate_package(out, persons=PERSONS, seed=42)
    return out


@pytest.fixture(scope="module")
def summary(package: Path) -> dict:
    return json.loads((truth_dir_for(package) / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def parsed(package: Path) -> dict[str, list[Record]]:
    return read_package(package)


@pytest.fixture(scope="module")
def delta(package: Path) -> Path:
    out = package.with_name("delta")
    generate_package(out, persons=150, seed=43, delta_of=package)
    return out


# -- determinism and layout -----------------------------------------------------------------------
def test_same_seed_gives_the_same_bytes_whatever_the_worker_count(tmp_path: Path):
    # 2600 persons make two chunks, so the two-worker run really runs in parallel.
    one = generate_package(tmp_path / "a", persons=2600, seed=7, workers=1)
    two = generate_package(tmp_path / "b", persons=2600, seed=7, workers=2)
    other = generate_package(tmp_path / "c", persons=2600, seed=8, workers=2)
    assert digest(one.out_dir) == digest(two.out_dir)
    skip = ("summary.json", "state.json")  # they name the folder and the time taken
    assert digest(one.truth_dir, skip) == digest(two.truth_dir, skip)
    differing = [n for n, h in digest(one.out_dir).items() if digest(other.out_dir)[n] != h]
    assert len(differing) == len(EXPORT_FILES)


def test_truth_is_written_beside_the_package_never_inside(package: Path):
    assert sorted(p.name for p in package.iterdir()) == sorted(FILES_BY_NAME)
    truth = truth_dir_for(package)
    assert truth.parent == package.parent and truth.name == package.name + ".truth"
    for name in (
        "records.csv",
        "expected_rejects.csv",
        "expected_loader_rejects.csv",
        "corruptions.csv",
        "summary.json",
    ):
        assert (truth / name).is_file()


def test_every_file_has_exactly_the_contract_columns_in_some_order(package: Path, summary: dict):
    orders = set()
    for spec in EXPORT_FILES:
        header, _ = read_file(
            package / spec.file_name, summary["files"][spec.file_name]["encoding"]
        )
        assert sorted(header) == sorted(spec.columns) and len(set(header)) == len(header)
        assert header == summary["files"][spec.file_name]["columns"]
        orders.add(tuple(header) == spec.columns)
    assert orders == {True, False}, "some files keep the contract's column order, some do not"


def test_encodings_line_endings_and_quoting_vary_per_file_as_summarised(
    package: Path, summary: dict
):
    files = summary["files"]
    assert {f["encoding"] for f in files.values()} == {"utf-8", "utf-8-sig", "gb18030"}
    assert {f["newline"] for f in files.values()} == {"LF", "CRLF"}
    assert {f["quote_all"] for f in files.values()} == {True, False}
    for name, info in files.items():
        raw = (package / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") == (info["encoding"] == "utf-8-sig")
        header_end = raw.index(b"\n")
        assert (raw[header_end - 1 : header_end] == b"\r") == (info["newline"] == "CRLF")
        assert raw.endswith(b"\n") == info["final_newline"]
        if info["encoding"] == "gb18030":
            raw.decode("gb18030")  # strictly decodable
            if not raw.isascii():
                with pytest.raises(UnicodeDecodeError):
                    raw.decode("utf-8")
        if info["quote_all"]:
            assert raw.split(b"\n")[1].startswith(b'"')


def test_record_counts_match_the_summary(parsed: dict, summary: dict):
    for spec in EXPORT_FILES:
        assert len(parsed[spec.table]) == summary["rows_per_file"][spec.file_name]


# -- dirty forms ----------------------------------------------------------------------------------
FULLWIDTH_DIGIT = "[\uff10-\uff19]"
#: (file, column, pattern, what the contract says is seen): each must match at least one value.
CONTRACT_FORMS = [
    ("pos_member_card", "card_no", r"^000\d{7}$", "leading zeros"),
    ("pos_member_card", "card_no", r"^VIP\d{8}$", "VIP00012345"),
    ("pos_member_card", "member_name", r"^[\u4e00-\u9fff]{2,4}$", "张伟"),
    ("pos_member_card", "member_name", r"^[\u4e00-\u9fff]+ [\u4e00-\u9fff]+$", "张 伟"),
    ("pos_member_card", "member_name", r"^$", "empty"),
    ("pos_member_card", "mobile", r"^1[3-9]\d{9}$", "13800138000"),
    ("pos_member_card", "mobile", r"^1\d{2}-\d{4}-\d{4}$", "138-0013-8000"),
    ("pos_member_card", "mobile", r"^\+86 1\d{2} \d{4} \d{4}$", "+86 138 0013 8000"),
    ("pos_member_card", "mobile", r"^861[3-9]\d{9}$", "8613800138000"),
    ("pos_member_card", "mobile", f"^{FULLWIDTH_DIGIT}{{11}}$", "１３８００１３８０００"),
    ("pos_member_card", "mobile", r"^1\d{9}$", "1380013800 (too short)"),
    ("pos_member_card", "mobile", r"^0{11}$", "00000000000"),
    ("pos_member_card", "mobile", r"^13800000000$", "the walk-in placeholder"),
    ("pos_member_card", "mobile", r"^$", "empty"),
    ("pos_member_card", "id_card_no", r"^\d{17}X$", "check digit X"),
    ("pos_member_card", "id_card_no", r"^\d{17}x$", "check digit x"),
    ("pos_member_card", "id_card_no", r"^\d{15}$", "old 15-digit form"),
    ("pos_member_card", "id_card_no", r"^$", "empty"),
    ("pos_member_card", "gender", r"^男$", "男"),
    ("pos_member_card", "gender", r"^女$", "女"),
    ("pos_member_card", "gender", r"^M$", "M"),
    ("pos_member_card", "gender", r"^F$", "F"),
    ("pos_member_card", "gender", r"^未知$", "未知"),
    ("pos_member_card", "birthday", r"^\d{4}-\d{2}-\d{2}$", "1990-01-05"),
    ("pos_member_card", "birthday", r"^\d{4}/\d{1,2}/\d{1,2}$", "1990/1/5"),
    ("pos_member_card", "birthday", r"^\d{2}/\d{2}/\d{4}$", "05/01/1990"),
    ("pos_member_card", "birthday", r"^\d{8}$", "19900105"),
    ("pos_member_card", "birthday", r"^\d{4}年\d{1,2}月\d{1,2}日$", "1990年1月5日"),
    ("pos_member_card", "birthday", r"^0000-00-00$", "0000-00-00"),
    ("pos_member_card", "open_date", r"^\S+ \d{1,2}:\d{2}$", "date HH:MM"),
    ("pos_member_card", "open_date", r"^\S+ \d{2}:\d{2}:\d{2}$", "date HH:MM:SS"),
    ("pos_member_card", "store_code", r"^[A-Z]{2}\d{3}$", "SH001"),
    ("pos_member_card", "tier_name", r"^(普卡|银卡|金卡|白金卡|钻石卡|VIP)$", "mapped tiers"),
    ("pos_member_card", "tier_name", r"^[ \u3000]|[ \u3000]$", "stray spaces"),
    ("pos_member_card", "tier_name", r"^(黑卡|员工卡|体验卡)$", "unmapped tier"),
    ("pos_member_card", "points", r"^\d{1,3}(,\d{3})+$", "1,234"),
    ("pos_member_card", "points", r"^-?\d+\.0$", "1234.0"),
    ("pos_member_card", "points", r"^-\d+$", "-50"),
    ("pos_member_card", "stored_value", r"^\d+\.\d{2}$", "123.45"),
    ("pos_member_card", "stored_value", r"^[¥￥]\d", "¥123.45"),
    ("pos_member_card", "stored_value", r"^0$", "0"),
    ("pos_member_card", "stored_value", r"^$", "empty"),
    ("pos_member_card", "status", r"^[ABC]$", "A/B/C"),
    ("pos_member_card", "province", r"^北京$", "北京"),
    ("pos_member_card", "province", r"^北京市$", "北京市"),
    ("pos_member_card", "province", r"^北京/北京$", "北京/北京"),
    ("pos_member_card", "province", r"^广东省$", "广东省"),
    ("pos_member_card", "province", r"^广东$", "广东"),
    ("pos_member_card", "city", r"^深圳$", "深圳"),
    ("pos_member_card", "city", r"^深圳市$", "深圳市"),
    ("pos_member_card", "city", r"^$", "empty"),
    ("pos_points_log", "change_type", r"^(EARN|REDEEM|EXPIRE|ADJUST)$", "English types"),
    ("pos_points_log", "change_type", r"^(积分获得|积分兑换|积分过期|积分调整)$", "Chinese types"),
    ("pos_points_log", "points_delta", r"^-\d+$", "negative deltas"),
    ("pos_points_log", "order_ref", r"^T\d+$", "order_ref"),
    ("pos_transaction", "amount", r"^-", "refunds"),
    ("mall_user", "user_id", r"^\d{6,}$", "100023"),
    ("mall_user", "email", r"[A-Z].*@", "mixed case email"),
    ("mall_user", "wx_unionid", r"^o6_[A-Za-z0-9_-]{26}$", "unionid"),
    ("mall_user", "wx_unionid", r"^$", "mostly empty"),
    ("mall_user", "gender", r"^male$", "male"),
    ("mall_user", "gender", r"^female$", "female"),
    ("mall_user", "gender", r"^unknown$", "unknown"),
    ("mall_user", "reg_time", r"^\d{10}$", "epoch seconds"),
    ("mall_user", "reg_time", r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$", "ISO 8601"),
    ("mall_user", "level", r"^L[1-5]$", "L1..L5"),
    ("mall_user", "is_deleted", r"^1$", "deleted accounts"),
    ("mall_order", "order_status", r"^paid$", "paid"),
    ("mall_order", "order_status", r"^refunded$", "refunded"),
    ("mall_order", "order_status", r"^cancelled$", "cancelled"),
    ("mall_coupon", "coupon_type", r"^CASH$", "CASH"),
    ("mall_coupon", "coupon_type", r"^DISCOUNT$", "DISCOUNT"),
    ("mall_coupon", "coupon_status", r"^unused$", "unused"),
    ("mall_coupon", "coupon_status", r"^used$", "used"),
    ("mall_coupon", "coupon_status", r"^expired$", "expired"),
    ("wechat_member", "openid", r"^o[A-Za-z0-9_-]{27}$", "28 characters"),
    ("wechat_member", "gender", r"^0$", "0"),
    ("wechat_member", "gender", r"^1$", "1"),
    ("wechat_member", "gender", r"^2$", "2"),
    ("wechat_member", "subscribe_time", r"^\d{10}$", "epoch seconds"),
    ("wechat_member", "member_level", r"^V[0-3]$", "V0..V3"),
    ("wechat_member", "nickname", r"[\U00010000-\U0010ffff]", "outside the BMP"),
    ("wechat_member", "channel", r"^(扫码|公众号|小程序|朋友圈广告)$", "channels"),
    ("wechat_member", "ext_attrs", r"^\{\"", "a JSON object"),
    ("wechat_member", "ext_attrs", r"^\{\}$", "{}"),
    ("wechat_member", "ext_attrs", r"^$", "empty"),
]


@pytest.mark.parametrize(
    ("table", "column", "pattern", "seen"),
    CONTRACT_FORMS,
    ids=[f"{t}.{c}:{s}" for t, c, _, s in CONTRACT_FORMS],
)
def test_every_form_the_contract_lists_appears(parsed, table, column, pattern, seen):
    regex = re.compile(pattern)
    assert any(regex.search(r.values[column]) for r in parsed[table] if r.values), seen


def not_object(text: str) -> bool:
    if rules.clean_text(text) is None:
        return False
    try:
        return not isinstance(json.loads(text), dict)
    except ValueError:
        return True


def all_values(parsed: dict[str, list[Record]]):
    for table, recs in parsed.items():
        for rec in recs:
            if rec.values:
                for column, value in rec.values.items():
                    yield table, column, value


@pytest.mark.parametrize(
    ("label", "predicate"),
    [
        ("each missing literal", None),
        ("a full-width space at an end", lambda c, v: v[:1] == "\u3000" or v[-1:] == "\u3000"),
        ("an ASCII space at an end", lambda c, v: v[:1] == " " or v[-1:] == " "),
        ("full-width digits", lambda c, v: re.search(FULLWIDTH_DIGIT, v) is not None),
        ("a line break in a nickname", lambda c, v: "nick" in c and "\n" in v),
        ("a comma in a nickname", lambda c, v: "nick" in c and "," in v),
        ("a double quote in a nickname", lambda c, v: "nick" in c and '"' in v),
        ("an impossible date", lambda c, v: re.match(r"^\d{4}-(02-30|04-31|06-31|11-31)", v)),
        ("a corrupt integer", lambda c, v: "point" in c and v in ("abc", "12a3", "#VALUE!")),
        ("more than two decimals", lambda c, v: re.match(r"^-?\d+\.\d{3}$", v) is not None),
        ("thousands in money", lambda c, v: re.match(r"^-?\d{1,3},\d{3}\.\d{2}$", v)),
        ("a birthday before 1900", lambda c, v: "birth" in c and v.startswith(("1899", "1880"))),
        ("ext_attrs that is not a JSON object", lambda c, v: c == "ext_attrs" and not_object(v)),
    ],
)
def test_generic_dirty_forms_appear_somewhere(parsed, label, predicate):
    values = list(all_values(parsed))
    if predicate is None:
        seen = {v for _, _, v in values}
        assert {"", "NULL", "null", "\\N", "N/A"} <= seen
    else:
        assert any(predicate(c, v) for _, c, v in values), label


def test_exact_duplicates_same_key_conflicts_and_keyless_rows_appear(parsed):
    for table in MEMBER_ORDER + CHILD_ORDER:
        spec = FILES_BY_TABLE[table]
        rows = [r.values for r in parsed[table] if r.values]
        signatures = Counter(tuple(v[c] for c in spec.columns) for v in rows)
        assert any(n > 1 for n in signatures.values()), f"{table}: no exact duplicate"
        by_key = defaultdict(set)
        for v in rows:
            by_key[rules.clean_text(v[spec.key])].add(tuple(v[c] for c in spec.columns))
        assert any(len(s) > 1 for k, s in by_key.items() if k), f"{table}: no key conflict"
        assert None in by_key, f"{table}: no row without a key"


def test_registrations_fall_between_launch_and_reference_unless_deliberately_not(
    package: Path, parsed
):
    flagged = {
        (r["source_table"], int(r["record_number"]))
        for r in csv_rows(truth_dir_for(package) / "corruptions.csv")
        if r["kind"] in ("registered_before_launch", "registered_in_future")
    }
    seen = Counter()
    for table, column, system in (
        ("pos_member_card", "open_date", "pos"),
        ("mall_user", "reg_time", "mall"),
        ("wechat_member", "subscribe_time", "wechat"),
    ):
        for rec in parsed[table]:
            ts = rec.values and rules.parse_timestamp(rec.values[column])
            if not ts:
                continue
            normal = LAUNCH[system] <= ts < AS_OF_INSTANT
            assert normal != ((table, rec.number) in flagged), (table, rec.number, ts)
            seen[normal] += 1
    assert seen[False] > 0 and seen[True] > 0


def test_national_ids_are_valid_by_construction_and_agree_with_the_gender(package: Path, parsed):
    broken = {
        int(r["record_number"])
        for r in csv_rows(truth_dir_for(package) / "corruptions.csv")
        if r["source_table"] == "pos_member_card"
        and r["kind"] in ("id_bad_check", "id_bad_birth_date")
    }
    checked = 0
    for rec in parsed["pos_member_card"]:
        if not rec.values or rules.clean_text(rec.values["id_card_no"]) is None:
            continue
        parsed_id = rules.parse_national_id(rec.values["id_card_no"], AS_OF)
        assert (parsed_id is None) == (rec.number in broken), rec.values["id_card_no"]
        gender = rules.clean_code(rec.values["gender"])
        if parsed_id and gender in ("男", "M", "女", "F"):
            assert (int(parsed_id[16]) % 2 == 1) == (gender in ("男", "M"))
            checked += 1
    assert broken and checked > 100


def test_the_check_digit_follows_gb_11643():
    assert rules.id_check_char("11010519491231002") == "X"
    assert rules.parse_national_id("11010519491231002x", AS_OF) == "11010519491231002X"
    assert rules.parse_national_id("110105491231002", AS_OF) == "11010519491231002X"
    assert rules.parse_national_id("110105194912310021", AS_OF) is None
    assert rules.parse_national_id("110105199002300017", AS_OF) is None  # 1990-02-30


#: Literal examples of migration-rules.md section 2: the truth's reference rules must give these.
RULE_EXAMPLES = [
    (rules.parse_mobile, "13800138000", "13800138000"),
    (rules.parse_mobile, "138-0013-8000", "13800138000"),
    (rules.parse_mobile, "+86 138 0013 8000", "13800138000"),
    (rules.parse_mobile, "8613800138000", "13800138000"),
    (rules.parse_mobile, "0086 13800138000", "13800138000"),
    (rules.parse_mobile, "１３８００１３８０００", "13800138000"),
    (rules.parse_mobile, "\u300013800138000 ", "13800138000"),
    (rules.parse_mobile, "1380013800", None),
    (rules.parse_mobile, "00000000000", None),
    (rules.parse_mobile, "138a0013800", None),
    (rules.parse_mobile, "12800138000", None),
    (rules.parse_mobile, "N/A", None),
    (rules.parse_integer, "1234", 1234),
    (rules.parse_integer, "1,234", 1234),
    (rules.parse_integer, "1234.0", 1234),
    (rules.parse_integer, "-50", -50),
    (rules.parse_integer, "１２３", 123),
    (rules.parse_integer, "abc", None),
    (rules.parse_integer, "12.5", None),
    (rules.parse_integer, "\\N", None),
    (rules.parse_money_cents, "123.45", 12345),
    (rules.parse_money_cents, "¥123.45", 12345),
    (rules.parse_money_cents, "￥-12.50", -1250),
    (rules.parse_money_cents, "-¥12.50", -1250),
    (rules.parse_money_cents, "1,234.5", 123450),
    (rules.parse_money_cents, "0", 0),
    (rules.parse_money_cents, "123.456", None),
    (rules.parse_money_cents, "12元", None),
    (rules.parse_money_cents, "", None),
    (rules.parse_email, " Zhang.Wei@Example.com ", "zhang.wei@example.com"),
    (rules.parse_email, "zhang.wei#qq.com", None),
    (rules.parse_email, "zhangwei@qq", None),
    (rules.clean_code, " a\u3000", "A"),
    (rules.clean_text, "NULL", None),
    (rules.clean_text, "\u3000 null ", None),
]


@pytest.mark.parametrize(("rule", "raw", "expected"), RULE_EXAMPLES)
def test_reference_rules_follow_the_spec_examples(rule, raw, expected):
    assert rule(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1990-01-05", "1990-01-05T00:00:00+08:00"),
        ("1990/1/5", "1990-01-05T00:00:00+08:00"),
        ("05/01/1990", "1990-01-05T00:00:00+08:00"),
        ("19900105", "1990-01-05T00:00:00+08:00"),
        ("1990年1月5日", "1990-01-05T00:00:00+08:00"),
        ("2019-03-01 9:05", "2019-03-01T09:05:00+08:00"),
        ("2019-03-01T10:00:00+08:00", "2019-03-01T10:00:00+08:00"),
        ("2019-03-01T02:00:00Z", "2019-03-01T02:00:00+00:00"),
        ("2019-03-01 10:00:00.250", "2019-03-01T10:00:00.250000+08:00"),
        ("2019-03-01 10:00:00+0800", "2019-03-01T10:00:00+08:00"),
        ("1404172800", "2014-07-01T00:00:00+00:00"),
        ("1990-02-30", None),
        ("0000-00-00", None),
        ("2019.03.01", None),
        ("2019-03-01 24:30", None),
        ("140417280", None),
        ("1404172800000", None),
    ],
)
def test_reference_timestamps_follow_the_spec(raw, expected):
    parsed = rules.parse_timestamp(raw)
    assert (parsed.isoformat() if parsed else None) == expected


# -- the truth ------------------------------------------------------------------------------------
def test_truth_rederived_from_the_files_matches_the_truth_folder(package: Path, parsed):
    derived = derive_truth([parsed])
    written = truth_files(truth_dir_for(package))
    assert derived["loader"] == written["loader"]
    assert derived["rejects"] == written["rejects"]
    assert derived["records"] == written["records"]


def test_every_reject_code_and_both_loader_reasons_occur(package: Path):
    truth = truth_dir_for(package)
    codes = Counter(
        c for r in csv_rows(truth / "expected_rejects.csv") for c in r["rule_codes"].split("|")
    )
    assert set(codes) == {
        "KEY_MISSING",
        "POINTS_INVALID",
        "AMOUNT_INVALID",
        "STATUS_INVALID",
        "ORPHAN_REFERENCE",
        "PARENT_QUARANTINED",
    }
    reasons = {r["reason"] for r in csv_rows(truth / "expected_loader_rejects.csv")}
    assert reasons == {"wrong_field_count", "undecodable_bytes"}


def test_damaged_records_are_few_and_only_in_utf8_files(package: Path, summary: dict):
    damaged = Counter(
        r["source_table"]
        for r in csv_rows(truth_dir_for(package) / "expected_loader_rejects.csv")
        if r["reason"] == "undecodable_bytes"
    )
    for table, n in damaged.items():
        info = summary["files"][FILES_BY_TABLE[table].file_name]
        assert info["encoding"].startswith("utf-8")
        assert n <= max(2, info["rows"] // 200)


def test_corrupt_values_listed_in_the_truth_do_not_parse(package: Path, parsed):
    by_number = {t: {r.number: r.values for r in recs} for t, recs in parsed.items()}
    parses = {
        "int_corrupt": rules.parse_integer,
        "int_fraction": rules.parse_integer,
        "money_corrupt": rules.parse_money_cents,
        "money_three_decimals": rules.parse_money_cents,
        "mobile_too_short": rules.parse_mobile,
        "mobile_zeros": rules.parse_mobile,
        "mobile_letter": rules.parse_mobile,
        "email_invalid": rules.parse_email,
        "date_impossible": rules.parse_timestamp,
        "date_zeros": rules.parse_timestamp,
        "date_bad_format": rules.parse_timestamp,
        "dt_bad_hour": rules.parse_timestamp,
        "dt_epoch_ms": rules.parse_timestamp,
        "dt_epoch_9": rules.parse_timestamp,
    }
    seen = Counter()
    for row in csv_rows(truth_dir_for(package) / "corruptions.csv"):
        parse = parses.get(row["kind"])
        values = by_number[row["source_table"]][int(row["record_number"])]
        if parse is None or values is None:
            continue
        assert parse(values[row["column"]]) is None, row
        seen[row["kind"]] += 1
    assert set(seen) == set(parses)


def test_every_expected_reject_is_explained_by_a_deliberate_corruption(package: Path, parsed):
    truth = truth_dir_for(package)
    kinds = defaultdict(set)
    for r in csv_rows(truth / "corruptions.csv"):
        kinds[(r["source_table"], int(r["record_number"]))].add(r["kind"])
    rejected = {
        (r["source_table"], r["source_key"]) for r in csv_rows(truth / "expected_rejects.csv")
    }
    loaded = {
        t: {rules.clean_text(rec.values[FILES_BY_TABLE[t].key]) for rec in parsed[t] if rec.values}
        for t in MEMBER_ORDER
    }
    because = {
        "KEY_MISSING": {"row_key_missing"},
        "POINTS_INVALID": {"int_corrupt", "int_fraction", "int_missing"},
        "AMOUNT_INVALID": {"money_corrupt", "money_three_decimals", "money_missing"},
        "STATUS_INVALID": {"status_invalid", "status_missing"},
    }
    by_number = {t: {rec.number: rec.values for rec in recs} for t, recs in parsed.items()}
    explained = Counter()
    for r in csv_rows(truth / "expected_rejects.csv"):
        table, number = r["source_table"], int(r["record_number"])
        spec = FILES_BY_TABLE[table]
        for code in r["rule_codes"].split("|"):
            if code in because:
                assert because[code] & kinds[(table, number)], (table, number, code)
            else:
                values = by_number[table][number]
                parent = rules.clean_text(values[spec.parent_key])
                if code == "PARENT_QUARANTINED":
                    assert (spec.parent_table, parent) in rejected
                elif not {"row_orphan", "row_parent_missing"} & kinds[(table, number)]:
                    # the parent's own row was unreadable or lost its key
                    assert parent not in loaded[spec.parent_table], (table, number)
            explained[code] += 1
    assert len(explained) == 6


def test_records_hold_cleaned_match_keys_and_overshared_placeholders(package: Path):
    records = csv_rows(truth_dir_for(package) / "records.csv")
    for r in records:
        assert r["mobile"] == "" or re.fullmatch(r"1[3-9]\d{9}", r["mobile"])
        assert r["id_card_no"] == "" or (
            re.fullmatch(r"\d{17}[\dX]", r["id_card_no"])
            and rules.id_check_char(r["id_card_no"][:17]) == r["id_card_no"][17]
        )
        assert r["email"] == "" or (r["email"] == r["email"].lower() and "@" in r["email"])
        assert r["unionid"] == r["unionid"].strip()
    migrated = [r for r in records if r["expect_quarantined"] == "0"]
    # the walk-in placeholders: a mobile, an email and a unionid, each held by more than 10
    assert sum(r["mobile"] == pools.PLACEHOLDER_MOBILE for r in migrated) > 10
    assert sum(r["email"] == pools.PLACEHOLDER_EMAIL for r in migrated) > 10
    assert sum(r["unionid"] == pools.PLACEHOLDER_UNIONID for r in migrated) > 10


def test_persons_overlap_across_systems_and_register_twice(package: Path):
    records = [r for r in csv_rows(truth_dir_for(package) / "records.csv") if r["source_key"]]
    systems = defaultdict(Counter)
    for r in records:
        systems[r["person_id"]][r["source_table"]] += 1
    shapes = Counter(len(c) for c in systems.values())
    assert shapes[1] and shapes[2] and shapes[3]
    assert any(c["pos_member_card"] > 1 for c in systems.values())
    assert any(c["mall_user"] > 1 for c in systems.values())
    linked = [r for r in records if r["source_table"] == "wechat_member" and r["unionid"]]
    mall_unionids = {r["unionid"] for r in records if r["source_table"] == "mall_user"}
    assert any(r["unionid"] in mall_unionids for r in linked)


def test_golden_required_fields_stay_well_under_the_null_gate(package: Path):
    groups = members(csv_rows(truth_dir_for(package) / "records.csv"))
    holders = Counter(r["mobile"] for g in groups for r in g if r["mobile"])
    no_mobile = sum(
        1 for g in groups if not any(r["mobile"] and holders[r["mobile"]] <= 10 for r in g)
    )
    no_registration = sum(1 for g in groups if not any(r["register_at"] for r in g))
    assert no_mobile / len(groups) < 0.04
    assert no_registration / len(groups) < 0.03


# -- deltas ---------------------------------------------------------------------------------------
def test_delta_holds_only_new_or_changed_rows(package: Path, delta: Path, parsed):
    new = read_package(delta)
    for table in MEMBER_ORDER + CHILD_ORDER:
        spec = FILES_BY_TABLE[table]
        base_rows = defaultdict(set)
        for rec in parsed[table]:
            if rec.values:
                base_rows[rules.clean_text(rec.values[spec.key])].add(
                    tuple(rec.values[c] for c in spec.columns)
                )
        changed = 0
        for rec in new[table]:
            if not rec.values or rules.clean_text(rec.values[spec.key]) is None:
                continue
            key = rules.clean_text(rec.values[spec.key])
            row = tuple(rec.values[c] for c in spec.columns)
            if key in base_rows:
                assert row not in base_rows[key], (table, key)
                assert table not in ("pos_points_log", "pos_transaction"), "append-only"
                if table in ("mall_order", "mall_coupon"):
                    column = "order_status" if table == "mall_order" else "coupon_status"
                    old = {
                        rules.clean_code(v[spec.columns.index(column)], lower=True)
                        for v in base_rows[key]
                    }
                    assert rules.clean_code(rec.values[column], lower=True) not in old
                changed += 1
        if table not in ("pos_points_log", "pos_transaction"):
            assert changed > 0, f"{table}: the delta changes no existing row"


def test_delta_truth_describes_the_combined_state(package: Path, delta: Path, parsed):
    derived = derive_truth([parsed, read_package(delta)])
    written = truth_files(truth_dir_for(delta))
    assert derived == written
    assert {seq for (_, seq, _) in written["records"]} == {1, 2}


def test_delta_links_two_members_that_were_separate_in_the_base(package: Path, delta: Path):
    links = json.loads((truth_dir_for(delta) / "summary.json").read_text())["cross_links"]
    assert links
    link = links[0]

    def group_of(groups, person):
        return [i for i, g in enumerate(groups) if any(r["person_id"] == person for r in g)]

    before = members(csv_rows(truth_dir_for(package) / "records.csv"))
    after = members(csv_rows(truth_dir_for(delta) / "records.csv"))
    assert not set(group_of(before, link["unionid_person"])) & set(
        group_of(before, link["mobile_person"])
    )
    assert set(group_of(after, link["unionid_person"])) & set(
        group_of(after, link["mobile_person"])
    )


def test_a_delta_refuses_a_base_its_replay_does_not_reproduce(tmp_path: Path):
    base = generate_package(tmp_path / "base", persons=50, seed=1)
    state_path = base.truth_dir / "state.json"
    state = json.loads(state_path.read_text())
    state["levels"][0]["rows"]["mall_user.csv"] += 1  # as if another build had written it
    state_path.write_text(json.dumps(state))
    with pytest.raises(GenerationError, match="another build of the generator"):
        generate_package(tmp_path / "delta", persons=5, seed=2, delta_of=base.out_dir)


def test_a_package_folder_with_other_files_is_refused(tmp_path: Path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    with pytest.raises(GenerationError, match="holds other files"):
        generate_package(tmp_path / "out", persons=10)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["notes.txt"]


def test_a_delta_needs_a_base_this_generator_wrote(tmp_path: Path):
    (tmp_path / "not_a_package").mkdir()
    with pytest.raises(GenerationError, match="not a package written by this generator"):
        generate_package(tmp_path / "d", persons=10, delta_of=tmp_path / "not_a_package")


# -- rates, progress, docs ------------------------------------------------------------------------
@pytest.mark.parametrize("deck", sorted({r.deck for r in RATES}))
def test_a_deck_deals_exact_counts_and_every_kind_in_its_first_40_percent(deck: str):
    import random

    size, counts = deck_spec(deck)
    dealt = Deck(random.Random(5), deck)
    cards = [dealt.draw() for _ in range(size)]
    assert Counter(c for c in cards if c is not None) == Counter(counts)
    assert set(counts) <= set(cards[: int(size * 0.4)])


def test_progress_reports_persons_done(tmp_path: Path):
    seen: list[int] = []
    generate_package(tmp_path / "p", persons=3000, seed=1, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 3000


def test_the_docs_show_the_rates_table_as_the_code_has_it():
    docs = (PROJECT_ROOT / "docs" / "generator.md").read_text(encoding="utf-8")
    assert rates_markdown() in docs
