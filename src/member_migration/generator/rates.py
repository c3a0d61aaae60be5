"""Every rate the generator uses: the population mix and each dirty form, in one table.

A rate is a count per thousand draws of a *deck*: one deck per decision (the form of a mobile,
the fate of a row, ...). A deck of 1000 (or ``DECK_SIZES``) cards holds exactly that many cards of
each kind, the rest being the clean default, and is dealt in a stratified random order (kinds
with one or two cards fall in the first 40% of the deck, the others are spread evenly), so:
- the rates are exact over every full deck, not just on average;
- every kind appears in the first 40% of every deal (the first 400 draws of a 1000-card deck),
  which is why a package of about 2000 persons already holds every form (the tests rely on it).
Whole-row decks (duplicates, conflicts, missing keys, orphans, stray spaces, loader rejects) are
dealt per file, so each file holds each of those kinds.
Decks are dealt per chunk of persons (CHUNK_PERSONS), so a package is deterministic for a seed
whatever the number of worker processes.

docs/generator.md shows this table (``rates_markdown()``); a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    deck: str
    kind: str
    per_mille: float
    applies_to: str
    example: str
    outcome: str


R = Rate
_VALID = "valid (cleaned)"

RATES: tuple[Rate, ...] = (
    # -- population ------------------------------------------------------------------------------
    R("person.systems", "pos_only", 300, "each person", "one POS card", "population"),
    R("person.systems", "mall_only", 200, "each person", "one mall account", "population"),
    R("person.systems", "wechat_only", 100, "each person", "one WeChat member", "population"),
    R("person.systems", "pos_mall", 150, "each person", "card + account", "population"),
    R("person.systems", "mall_wechat", 120, "each person", "account + WeChat", "population"),
    R("person.systems", "pos_wechat", 50, "each person", "card + WeChat", "population"),
    R("person.systems", "pos_mall_wechat", 80, "each person", "all three", "population"),
    R(
        "person.second_card",
        "second_pos_card",
        30,
        "persons with POS",
        "2 cards, same mobile/ID",
        "population",
    ),
    R(
        "person.second_account",
        "second_mall_account",
        20,
        "persons with mall",
        "2 accounts, same phone",
        "population",
    ),
    R(
        "mall.unionid",
        "unionid_unbound",
        100,
        "mall accounts of persons with WeChat",
        "wx_unionid empty",
        "population",
    ),
    R(
        "pos.mobile",
        "mobile_placeholder",
        12,
        "POS cards",
        "13800000000 (walk-in)",
        "MATCH_KEY_OVERSHARED",
    ),
    R(
        "pos.second_card_id",
        "id_other_person",
        150,
        "second POS cards",
        "another valid ID on a card with the same mobile",
        "IDENTITY_CONFLICT",
    ),
    R(
        "mall.email",
        "email_placeholder",
        12,
        "mall accounts",
        "vip@store.example.com (walk-in)",
        "MATCH_KEY_OVERSHARED",
    ),
    R(
        "mall.shared_unionid",
        "unionid_placeholder",
        12,
        "mall accounts",
        "the store clerk's WeChat (walk-in)",
        "MATCH_KEY_OVERSHARED",
    ),
    R(
        "pos.card",
        "ledger_mismatch",
        30,
        "POS cards",
        "points != sum of log",
        "POINTS_LEDGER_MISMATCH",
    ),
    R("pos.card", "negative_balance", 10, "POS cards", "-50", "POINTS_NEGATIVE"),
    # -- optional values left empty (rendered with the missing-literal deck) -----------------------
    R("absent.pos_mobile", "absent", 5, "POS cards", "", "null"),
    R("absent.pos_id_card_no", "absent", 250, "POS cards", "", "null"),
    R("absent.pos_member_name", "absent", 30, "POS cards", "", "null"),
    R("absent.pos_nickname", "absent", 700, "POS cards", "", "null"),
    R("absent.pos_gender", "absent", 50, "POS cards", "", "null"),
    R("absent.pos_birthday", "absent", 300, "POS cards", "", "null"),
    R("absent.pos_stored_value", "absent", 50, "POS cards", "", "0.00 (not a reject)"),
    R("absent.mall_phone", "absent", 5, "mall accounts", "", "null"),
    R("absent.mall_email", "absent", 400, "mall accounts", "", "null"),
    R("absent.mall_real_name", "absent", 600, "mall accounts", "", "null"),
    R("absent.mall_nick_name", "absent", 100, "mall accounts", "", "null"),
    R("absent.mall_birth_date", "absent", 500, "mall accounts", "", "null"),
    R(
        "absent.wechat_mobile_linked",
        "absent",
        600,
        "WeChat members linked to a mall account by unionid",
        "",
        "null",
    ),
    R(
        "absent.wechat_mobile_alone",
        "absent",
        25,
        "other WeChat members (no unionid link)",
        "",
        "null",
    ),
    R("absent.wechat_unionid", "absent", 50, "WeChat members", "", "null"),
    R("absent.wechat_nickname", "absent", 20, "WeChat members", "", "null"),
    R("absent.province", "absent", 50, "member records", "", "from city"),
    R("absent.city", "absent", 200, "member records", "", "null / municipality"),
    R("absent.pos_store_code", "absent", 5, "POS cards and transactions", "", "null"),
    # -- how a missing value is written ------------------------------------------------------------
    R("missing_literal", "missing_null_upper", 100, "each missing value", "NULL", "null"),
    R("missing_literal", "missing_null_lower", 80, "each missing value", "null", "null"),
    R("missing_literal", "missing_backslash_n", 70, "each missing value", "\\N", "null"),
    R("missing_literal", "missing_na", 50, "each missing value", "N/A", "null"),
    # -- stray spaces: one field of the row gets them --------------------------------------------
    R("row.pad", "pad_ascii_space", 40, "each row (one random field)", "' 张伟 '", _VALID),
    R(
        "row.pad",
        "pad_ideographic_space",
        30,
        "each row (one random field)",
        "'\u3000张伟'",
        _VALID,
    ),
    R("row.pad", "pad_nbsp", 10, "each row (one random field)", "'张伟\u00a0'", _VALID),
    # -- mobiles (POS mobile, mall phone, WeChat mobile) -------------------------------------------
    R("mobile", "mobile_dashes", 30, "each present mobile", "138-0013-8000", _VALID),
    R("mobile", "mobile_plus86_spaces", 20, "each present mobile", "+86 138 0013 8000", _VALID),
    R("mobile", "mobile_prefix86", 15, "each present mobile", "8613800138000", _VALID),
    R("mobile", "mobile_prefix0086", 5, "each present mobile", "0086 13800138000", _VALID),
    R("mobile", "mobile_fullwidth", 15, "each present mobile", "１３８００１３８０００", _VALID),
    R("mobile", "mobile_too_short", 4, "each present mobile", "1380013800", "MOBILE_INVALID"),
    R("mobile", "mobile_zeros", 2, "each present mobile", "00000000000", "MOBILE_INVALID"),
    R("mobile", "mobile_letter", 2, "each present mobile", "138a0013800", "MOBILE_INVALID"),
    # -- national IDs ------------------------------------------------------------------------------
    R(
        "national_id",
        "id_old15",
        40,
        "each present ID (born before 2000)",
        "110105900105123",
        _VALID,
    ),
    R(
        "national_id",
        "id_bad_check",
        20,
        "each present ID",
        "check digit off by one",
        "ID_CARD_INVALID",
    ),
    R(
        "national_id",
        "id_bad_birth_date",
        3,
        "each present ID",
        "19900230 inside",
        "ID_CARD_INVALID",
    ),
    R("national_id", "id_fullwidth", 5, "each present ID", "full-width digits", _VALID),
    R("national_id_x", "id_lower_x", 300, "each present ID ending in X", "...123x", _VALID),
    # -- emails ------------------------------------------------------------------------------------
    R("email", "email_mixed_case", 300, "each present email", "Zhang.Wei@Example.com", _VALID),
    R("email", "email_invalid", 5, "each present email", "zhang.wei#qq.com", "EMAIL_INVALID"),
    # -- names and nicknames -----------------------------------------------------------------------
    R("name", "name_inner_space", 50, "each present real name", "张 伟", _VALID),
    R("name", "name_inner_ideographic_space", 10, "each present real name", "张\u3000伟", _VALID),
    R("nickname", "nick_emoji", 80, "each POS/mall nickname", "小王🌸", _VALID),
    R(
        "nickname",
        "nick_quoting",
        10,
        "each POS/mall nickname",
        '小王,爱购物 / "阿强" / 2 lines',
        _VALID,
    ),
    R("wechat_nickname", "nick_emoji", 300, "each WeChat nickname", "🌸花花𠮷", _VALID),
    R("wechat_nickname", "nick_quoting", 10, "each WeChat nickname", "第一行\\n第二行", _VALID),
    # -- dates (birthday, birth_date) and the date part of date-times ----------------------------
    R("date", "date_slash", 150, "each date", "1990/1/5", _VALID),
    R("date", "date_day_first", 80, "each date", "05/01/1990", _VALID),
    R("date", "date_compact", 80, "each date", "19900105", _VALID),
    R("date", "date_cjk", 80, "each date", "1990年1月5日", _VALID),
    R("date", "date_fullwidth", 5, "each date", "１９９０-０１-０５", _VALID),
    R("date", "date_impossible", 4, "each date", "1990-02-30", "DATE_INVALID"),
    R("date", "date_zeros", 4, "each date", "0000-00-00", "DATE_INVALID"),
    R("date", "date_bad_format", 3, "each date", "1990.01.05", "DATE_INVALID"),
    R(
        "birthday",
        "birthday_out_of_range",
        4,
        "each birthday",
        "1899-03-01 / 2031-05-06",
        "BIRTHDAY_OUT_OF_RANGE",
    ),
    # -- date-times: whole-value forms, then the time part -----------------------------------------
    R("datetime", "dt_epoch", 50, "each POS/WeChat/child date-time", "1404172800", _VALID),
    R(
        "datetime",
        "dt_iso_offset",
        80,
        "each POS/WeChat/child date-time",
        "2019-03-01T10:00:00+08:00",
        _VALID,
    ),
    R(
        "datetime",
        "dt_utc_z",
        20,
        "each POS/WeChat/child date-time",
        "2019-03-01T02:00:00Z",
        _VALID,
    ),
    R(
        "datetime",
        "dt_offset_compact",
        20,
        "each POS/WeChat/child date-time",
        "2019-03-01 10:00:00+0800",
        _VALID,
    ),
    R(
        "datetime",
        "dt_fraction",
        20,
        "each POS/WeChat/child date-time",
        "2019-03-01 10:00:00.250",
        _VALID,
    ),
    R(
        "datetime",
        "dt_bad_hour",
        2,
        "each POS/WeChat/child date-time",
        "2019-03-01 24:30",
        "DATE_INVALID",
    ),
    R(
        "datetime",
        "dt_epoch_ms",
        2,
        "each POS/WeChat/child date-time",
        "1404172800000",
        "DATE_INVALID",
    ),
    R("time_part", "time_none", 150, "date-times in date form", "2019-03-01", _VALID),
    R("time_part", "time_hm", 250, "date-times in date form", "2019-03-01 9:05", _VALID),
    R(
        "mall_time",
        "dt_iso_offset",
        350,
        "mall reg_time, last_login_at",
        "2019-03-01T10:00:00+08:00",
        _VALID,
    ),
    R("mall_time", "dt_mixed", 30, "mall reg_time, last_login_at", "2019/3/1 10:00", _VALID),
    R(
        "mall_time",
        "dt_epoch_ms",
        2,
        "mall reg_time, last_login_at",
        "1551405600000",
        "DATE_INVALID",
    ),
    R("mall_time", "dt_epoch_9", 1, "mall reg_time, last_login_at", "155140560", "DATE_INVALID"),
    R("wechat_time", "dt_epoch_ms", 2, "WeChat subscribe_time", "1551405600000", "DATE_INVALID"),
    R("wechat_time", "dt_epoch_9", 1, "WeChat subscribe_time", "155140560", "DATE_INVALID"),
    R(
        "registration",
        "registered_before_launch",
        5,
        "each member record",
        "2006-05-01 (POS), 2013 (mall), 2016 (WeChat)",
        "REGISTERED_BEFORE_LAUNCH",
    ),
    R(
        "registration",
        "registered_in_future",
        3,
        "each member record",
        "2028-02-03",
        "REGISTERED_IN_FUTURE",
    ),
    R("registration", "registration_missing", 2, "each member record", "", "null"),
    # -- integers (points, integral, points_balance, points_delta, points_earned) ----------------
    R("integer", "int_decimal_zero", 30, "each integer", "1234.0", _VALID),
    R("integer", "int_fullwidth", 10, "each integer", "１２３", _VALID),
    R("integer", "int_corrupt", 3, "each integer", "abc", "POINTS_INVALID"),
    R("integer", "int_fraction", 1, "each integer", "12.5", "POINTS_INVALID"),
    R("integer", "int_missing", 1, "each integer", "NULL", "POINTS_INVALID"),
    R("integer_big", "int_thousands", 300, "each integer >= 1000", "1,234", _VALID),
    R("integer_big", "int_decimal_zero", 30, "each integer >= 1000", "1234.0", _VALID),
    R("integer_big", "int_fullwidth", 10, "each integer >= 1000", "１２３４", _VALID),
    R("integer_big", "int_corrupt", 3, "each integer >= 1000", "abc", "POINTS_INVALID"),
    R("integer_big", "int_fraction", 1, "each integer >= 1000", "1234.5", "POINTS_INVALID"),
    R("integer_big", "int_missing", 1, "each integer >= 1000", "", "POINTS_INVALID"),
    # -- money (stored_value, amount, pay_amount, face_value) -------------------------------------
    R("money", "money_yuan", 60, "each money value", "¥123.45", _VALID),
    R("money", "money_fullwidth_yuan", 20, "each money value", "￥123.45", _VALID),
    R("money", "money_short", 50, "each money value", "123 / 12.3", _VALID),
    R("money", "money_three_decimals", 1, "each money value", "123.456", "AMOUNT_INVALID"),
    R("money", "money_corrupt", 2, "each money value", "12元 / abc", "AMOUNT_INVALID"),
    R("money", "money_missing", 1, "each money value", "", "AMOUNT_INVALID (stored_value: 0.00)"),
    R("money_big", "money_thousands", 200, "each money value >= 1000", "1,234.50", _VALID),
    R("money_big", "money_yuan", 60, "each money value >= 1000", "¥1234.50", _VALID),
    R(
        "money_big",
        "money_three_decimals",
        1,
        "each money value >= 1000",
        "1234.505",
        "AMOUNT_INVALID",
    ),
    R("money_big", "money_corrupt", 2, "each money value >= 1000", "1.234.50", "AMOUNT_INVALID"),
    R("money_big", "money_missing", 1, "each money value >= 1000", "", "AMOUNT_INVALID"),
    R(
        "money_sign",
        "sign_after_yuan",
        500,
        "negative amounts with ¥ (else -¥12.50)",
        "¥-12.50",
        _VALID,
    ),
    # -- codes -------------------------------------------------------------------------------------
    R("pos_status", "status_lower", 10, "each POS status", "a", _VALID),
    R("pos_status", "status_invalid", 3, "each POS status", "X / 正常", "STATUS_INVALID"),
    R("pos_status", "status_missing", 2, "each POS status", "", "STATUS_INVALID"),
    R("pos_tier", "tier_padded", 20, "each POS tier", "' 金卡'", _VALID),
    R("pos_tier", "tier_unmapped", 3, "each POS tier", "黑卡", "TIER_UNMAPPED"),
    R("pos_tier_vip", "tier_lower", 200, "each POS tier VIP", "vip", _VALID),
    R("level", "level_lower", 10, "each mall level / WeChat member_level", "l3 / v1", _VALID),
    R(
        "level",
        "level_unmapped",
        3,
        "each mall level / WeChat member_level",
        "L6 / V9",
        "TIER_UNMAPPED",
    ),
    R("gender", "gender_unmapped", 3, "each present gender", "X / other / 3", "GENDER_UNMAPPED"),
    R("change_type", "change_type_chinese", 400, "each points-log row", "积分获得", _VALID),
    R("change_type", "change_type_lower", 10, "each points-log row", "earn", _VALID),
    R(
        "child_code",
        "code_case",
        10,
        "each order_status, coupon_status, coupon_type",
        "PAID / Unused / cash",
        _VALID,
    ),
    # -- regions -----------------------------------------------------------------------------------
    R("province", "province_short", 350, "each present province", "广东 / 北京", _VALID),
    R(
        "province",
        "province_slash",
        60,
        "each present province (municipality)",
        "北京/北京",
        _VALID,
    ),
    R("province", "province_unknown", 3, "each present province", "火星", "REGION_UNMAPPED"),
    R("city", "city_short", 350, "each present city", "深圳", _VALID),
    R("city", "city_unknown", 3, "each present city", "外星市", "REGION_UNMAPPED"),
    # -- WeChat ext_attrs --------------------------------------------------------------------------
    R("ext_attrs", "ext_empty_object", 100, "each WeChat member", "{}", _VALID),
    R("ext_attrs", "ext_absent", 200, "each WeChat member", "", "null"),
    R(
        "ext_attrs",
        "ext_unmapped_key",
        50,
        "each WeChat member",
        '{"memberSource":"ad"}',
        "attribute keeps its name",
    ),
    R("ext_attrs", "ext_invalid", 10, "each WeChat member", '{"属性1":"母婴"', "EXT_ATTRS_INVALID"),
    # -- whole rows --------------------------------------------------------------------------------
    R(
        "member_row",
        "row_exact_duplicate",
        5,
        "each member row",
        "same row twice",
        "DUPLICATE_SOURCE_ROW",
    ),
    R(
        "member_row",
        "row_same_key_conflict",
        5,
        "each member row",
        "an older version with the same key",
        "superseded",
    ),
    R("member_row", "row_key_missing", 2, "each member row", "card_no empty", "KEY_MISSING"),
    R(
        "child_row",
        "row_exact_duplicate",
        4,
        "each log/transaction/order/coupon row",
        "same row twice",
        "DUPLICATE_SOURCE_ROW",
    ),
    R(
        "child_row",
        "row_same_key_conflict",
        2,
        "each log/transaction/order/coupon row",
        "another row with the same key earlier in the file",
        "superseded",
    ),
    R(
        "child_row",
        "row_key_missing",
        2,
        "each log/transaction/order/coupon row",
        "log_id empty",
        "KEY_MISSING",
    ),
    R(
        "child_parent",
        "row_orphan",
        5,
        "each log/transaction/order/coupon row",
        "names a card/user not in any package",
        "ORPHAN_REFERENCE",
    ),
    R(
        "child_parent",
        "row_parent_missing",
        1,
        "each log/transaction/order/coupon row",
        "card_no/user_id empty",
        "ORPHAN_REFERENCE",
    ),
    R(
        "conflict",
        "winner_first",
        500,
        "member same-key conflicts",
        "the newer version comes first in the file",
        "newer recency wins",
    ),
    R(
        "conflict_recency",
        "loser_recency_missing",
        300,
        "POS/WeChat same-key conflicts",
        "the older version has no updated_at",
        "a usable recency beats none",
    ),
    R(
        "loader",
        "loader_wrong_field_count",
        0.5,
        "each row",
        "one field too many or too few",
        "loader reject",
    ),
    R(
        "loader_utf8",
        "loader_damaged_utf8",
        1,
        "rows with non-ASCII text in UTF-8 files",
        "a multi-byte character cut in half",
        "loader reject",
    ),
    # -- deltas ------------------------------------------------------------------------------------
    R(
        "delta.person",
        "person_changed",
        50,
        "each person of the base",
        "one change per person",
        "changed member row",
    ),
    R(
        "delta.card",
        "new_purchase",
        100,
        "each POS card of the base",
        "new transaction + log",
        "changed card row",
    ),
    R("delta.user", "new_order", 100, "each mall account of the base", "new order", "new row"),
    R(
        "delta.order",
        "order_refunded",
        30,
        "each paid base order",
        "paid -> refunded",
        "changed order row",
    ),
    R(
        "delta.coupon",
        "coupon_used",
        80,
        "each unused base coupon",
        "unused -> used",
        "changed coupon row",
    ),
    R(
        "delta.coupon",
        "coupon_expired",
        40,
        "each unused base coupon",
        "unused -> expired",
        "changed coupon row",
    ),
    R(
        "delta.orphan",
        "orphan_adopted",
        300,
        "each orphan target of the base",
        "the missing card/account arrives",
        "children adopted",
    ),
)

#: Deck sizes other than 1000 (rates below 1 per mille need a bigger deck).
DECK_SIZES: dict[str, int] = {"loader": 2000}


#: Kinds that only vary the format: they clean to the same value as the canonical form (and the
#: spellings of a missing value). Counted in summary.json, not listed in corruptions.csv.
VARIANT_KINDS: frozenset[str] = frozenset(
    {r.kind for r in RATES if r.outcome == _VALID or r.deck == "missing_literal"}
)


def deck_spec(deck: str) -> tuple[int, dict[str, int]]:
    """The deck's size and its number of cards of each non-default kind."""
    size = DECK_SIZES.get(deck, 1000)
    counts: dict[str, int] = {}
    for rate in RATES:
        if rate.deck == deck:
            counts[rate.kind] = max(1, round(rate.per_mille * size / 1000))
    if not counts:
        raise KeyError(f"no rates for deck {deck!r}")
    if sum(counts.values()) > size:
        raise ValueError(f"deck {deck!r} holds more cards than its size")
    return size, counts


def rates_markdown() -> str:
    """The rates table as Markdown, as docs/generator.md shows it."""
    lines = [
        "| deck | kind | per mille | applies to | example | outcome |",
        "|---|---|---|---|---|---|",
    ]
    for r in RATES:
        per_mille = f"{r.per_mille:g}"
        example = r.example.replace("|", "\\|").replace("\n", "\\n")
        lines.append(
            f"| {r.deck} | {r.kind} | {per_mille} | {r.applies_to} | `{example}` | {r.outcome} |"
        )
    return "\n".join(lines)
