"""A small reference implementation of the value rules of migration-rules.md, section 2.

The generator writes dirty strings first and derives its ground truth from them through these
functions, so the truth describes what is in the files, not what the generator meant to write.
They follow the spec literally and are independent of the dbt macros, which the lead's tests
compare against this truth.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal

from member_migration.contract import MISSING_LITERALS

#: Characters trimmed at both ends of every value (ASCII space and tab, U+00A0, U+3000).
TRIM_CHARS = " \t\u00a0\u3000"

_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
        **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
        "\uff0b": "+",
    }
)

BEIJING = timezone(timedelta(hours=8))

#: GB 11643 weights of the first 17 digits and the check characters indexed by sum mod 11.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


def clean_text(value: str | None) -> str | None:
    """Trim, map the missing literals to None, fold full-width digits, letters and ``＋``."""
    if value is None:
        return None
    trimmed = value.strip(TRIM_CHARS)
    if trimmed in MISSING_LITERALS:
        return None
    return trimmed.translate(_FOLD)


def clean_code(value: str | None, lower: bool = False) -> str | None:
    cleaned = clean_text(value)
    if cleaned is None:
        return None
    return cleaned.lower() if lower else cleaned.upper()


_MOBILE_DROP = str.maketrans("", "", " -()")
_MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")


def parse_mobile(value: str | None) -> str | None:
    """The 11-digit mobile, or None when missing or invalid."""
    cleaned = clean_text(value)
    if cleaned is None:
        return None
    digits = cleaned.translate(_MOBILE_DROP)
    for prefix in ("+86", "0086", "86"):
        rest = digits[len(prefix) :]
        if digits.startswith(prefix) and len(rest) == 11 and rest.isascii() and rest.isdigit():
            digits = rest
            break
    return digits if _MOBILE_RE.match(digits) else None


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits of a national ID."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


_ID18_RE = re.compile(r"^[0-9]{17}[0-9X]$")
_ID15_RE = re.compile(r"^[0-9]{15}$")


def parse_national_id(value: str | None, as_of: date) -> str | None:
    """The 18-character ID (15-digit form converted), or None when missing or invalid."""
    cleaned = clean_text(value)
    if cleaned is None:
        return None
    candidate = cleaned.upper()
    if _ID15_RE.match(candidate):
        first17 = candidate[:6] + "19" + candidate[6:]
        candidate = first17 + id_check_char(first17)
    if not _ID18_RE.match(candidate) or id_check_char(candidate[:17]) != candidate[17]:
        return None
    try:
        born = date(int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14]))
    except ValueError:
        return None
    if not date(1900, 1, 1) <= born <= as_of:
        return None
    return candidate


_EMAIL_RE = re.compile(r"^[^@ ]+@[^@ ]+\.[^@ ]+$")


def parse_email(value: str | None) -> str | None:
    cleaned = clean_text(value)
    if cleaned is None:
        return None
    lowered = cleaned.lower()
    return lowered if _EMAIL_RE.match(lowered) else None


_INT_RE = re.compile(r"^[+-]?[0-9]+(\.0+)?$")
_THOUSANDS_INT_RE = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.0+)?$")


def parse_integer(value: str | None) -> int | None:
    """A whole number (``1,234``, ``1234.0``, ``-50``), or None when missing or not whole."""
    cleaned = clean_text(value)
    if cleaned is None:
        return None
    if _THOUSANDS_INT_RE.match(cleaned):
        cleaned = cleaned.replace(",", "")
    if not _INT_RE.match(cleaned):
        return None
    return int(cleaned.split(".")[0])


_MONEY_RE = re.compile(r"^([+-]?)[¥￥]?([+-]?)([0-9]+(?:,[0-9]{3})*)(?:\.([0-9]{1,2}))?$")


def parse_money_cents(value: str | None) -> int | None:
    """A money value in cents (``¥-12.50``, ``1,234.5``), or None when missing or invalid."""
    cleaned = clean_text(value)
    if cleaned is None:
        return None
    match = _MONEY_RE.match(cleaned)
    if not match:
        return None
    sign_before, sign_after, whole, decimals = match.groups()
    if sign_before and sign_after:
        return None
    if "," in whole and not re.match(r"^[0-9]{1,3}(,[0-9]{3})+$", whole):
        return None
    cents = int(whole.replace(",", "")) * 100 + int((decimals or "0").ljust(2, "0"))
    return -cents if "-" in (sign_before + sign_after) else cents


_TS_RE = re.compile(
    r"^(?:(?P<y1>[0-9]{4})-(?P<m1>[0-9]{1,2})-(?P<d1>[0-9]{1,2})"
    r"|(?P<y2>[0-9]{4})/(?P<m2>[0-9]{1,2})/(?P<d2>[0-9]{1,2})"
    r"|(?P<y3>[0-9]{4})(?P<m3>[0-9]{2})(?P<d3>[0-9]{2})"
    r"|(?P<y4>[0-9]{4})年(?P<m4>[0-9]{1,2})月(?P<d4>[0-9]{1,2})日"
    r"|(?P<d5>[0-9]{1,2})/(?P<m5>[0-9]{1,2})/(?P<y5>[0-9]{4}))"
    r"(?:[ T](?P<hh>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<ss>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?)?"
    r"(?P<tz>Z|[+-][0-9]{2}:?[0-9]{2})?)?$"
)


def parse_timestamp(value: str | None) -> datetime | None:
    """An aware datetime for every form section 2 accepts, or None (missing or invalid)."""
    cleaned = clean_text(value)
    if cleaned is None:
        return None
    if len(cleaned) == 10 and cleaned.isascii() and cleaned.isdigit():
        return datetime.fromtimestamp(int(cleaned), tz=UTC)
    match = _TS_RE.match(cleaned)
    if not match:
        return None
    parts = match.groupdict()
    for n in "12345":
        if parts[f"y{n}"] is not None:
            year, month, day = int(parts[f"y{n}"]), int(parts[f"m{n}"]), int(parts[f"d{n}"])
            break
    hour = int(parts["hh"] or 0)
    minute = int(parts["mi"] or 0)
    second = int(parts["ss"] or 0)
    tz = BEIJING
    if parts["tz"] == "Z":
        tz = UTC
    elif parts["tz"]:
        raw = parts["tz"].replace(":", "")
        offset = timedelta(hours=int(raw[1:3]), minutes=int(raw[3:5]))
        tz = timezone(-offset if raw[0] == "-" else offset)
    try:
        parsed = datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None
    if parts["fraction"] is None:
        return parsed
    # A fraction of a second is kept, rounded to microseconds as timestamptz stores it.
    micros = Decimal("0." + parts["fraction"]).scaleb(6).to_integral_value(ROUND_HALF_EVEN)
    return parsed + timedelta(microseconds=int(micros))
