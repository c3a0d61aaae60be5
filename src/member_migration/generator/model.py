"""The generator's logical model: persons, their member records and child rows, and rows.

Logical records hold clean values (what the legacy system really stored); a ``Row`` is one
written CSV record, produced by rendering a record through the dirty-form decks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from member_migration.generator.pools import City
from member_migration.generator.rules import BEIJING

#: The generator's "today": nothing normal happens on or after it (no wall clock is read).
REFERENCE_INSTANT = datetime(2026, 11, 1, tzinfo=BEIJING)
#: The truth assumes the migration's as-of day 2026-10-31 (any day up to 2026-12-31 gives the
#: same truth: no generated value falls between the reference instant and 2027-03-01).
AS_OF_DATE = date(2026, 10, 31)
AS_OF_INSTANT = datetime(2026, 11, 1, tzinfo=BEIJING)
#: Launch days of the legacy systems (midnight Beijing).
LAUNCH = {
    "pos": datetime(2008, 1, 1, tzinfo=BEIJING),
    "mall": datetime(2014, 6, 1, tzinfo=BEIJING),
    "wechat": datetime(2017, 1, 9, tzinfo=BEIJING),
}
#: A full export covers history up to here; deltas happen in the week after.
BASE_END = datetime(2026, 10, 24, tzinfo=BEIJING)
DELTA_START = datetime(2026, 10, 24, 0, 0, 1, tzinfo=BEIJING)
DELTA_END = datetime(2026, 10, 31, 23, 59, 59, tzinfo=BEIJING)
#: Registrations written "in the future" fall in this span (after any sensible as-of day).
FUTURE_START = datetime(2027, 3, 1, tzinfo=BEIJING)
FUTURE_END = datetime(2030, 12, 31, tzinfo=BEIJING)

MEMBER_TABLES = ("pos_member_card", "mall_user", "wechat_member")
CHILD_TABLES = ("pos_points_log", "pos_transaction", "mall_order", "mall_coupon")
ALL_TABLES = MEMBER_TABLES + CHILD_TABLES


class Row:
    """One written CSV record of one package (level) of one chunk."""

    __slots__ = (
        "field_delta",
        "index",
        "level",
        "loader",
        "notes",
        "pair",
        "person",
        "sort",
        "table",
        "values",
    )

    def __init__(
        self,
        table: str,
        values: dict[str, str],
        notes: list[tuple[str, str]],
        person: str,
        level: int,
    ) -> None:
        self.table = table
        self.values = values
        self.notes = notes
        self.person = person
        self.level = level
        self.sort = 0.0
        self.pair = False  # one of an exact-duplicate or same-key pair, or forced clean
        self.loader: str | None = None  # why the loader must reject it
        self.field_delta = 0
        self.index = -1  # 0-based record number within its level, table and chunk


@dataclass(eq=False)
class Txn:
    key: str
    parent: str | None
    store: str | None
    at: datetime
    cents: int
    earned: int
    parent_kind: str | None = None


@dataclass(eq=False)
class Log:
    key: str
    parent: str | None
    change_type: str
    delta: int
    at: datetime
    order_ref: str | None
    parent_kind: str | None = None


@dataclass(eq=False)
class Order:
    key: str
    parent: str | None
    at: datetime
    cents: int
    status: str
    parent_kind: str | None = None


@dataclass(eq=False)
class Coupon:
    key: str
    parent: str | None
    coupon_type: str
    face_cents: int
    issued: datetime
    expire: datetime
    status: str
    parent_kind: str | None = None


@dataclass(eq=False)
class Card:
    key: str
    person: Person
    mobile: str | None
    has_id: bool
    has_name: bool
    nickname: str | None
    gender_word: str | None
    birthday_present: bool
    opened: datetime
    reg_value: datetime | None  # what open_date says (None: missing)
    store: str | None
    tier: str
    points: int
    stored_cents: int | None
    status: str
    province_absent: bool
    city_absent: bool
    updated: datetime
    txns: list[Txn] = field(default_factory=list)
    logs: list[Log] = field(default_factory=list)
    reg_kind: str | None = None
    ledger_kind: str | None = None
    #: a valid national ID other than the person's own (IDENTITY_CONFLICT when both meet)
    other_id18: str | None = None


@dataclass(eq=False)
class User:
    key: str
    person: Person
    phone: str | None
    email: str | None
    unionid: str | None
    has_real_name: bool
    nick: str | None
    gender_word: str
    birth_present: bool
    registered: datetime
    reg_value: datetime | None
    level: str
    integral: int
    is_deleted: bool
    province_absent: bool
    city_absent: bool
    last_login: datetime | None
    orders: list[Order] = field(default_factory=list)
    coupons: list[Coupon] = field(default_factory=list)
    reg_kind: str | None = None


@dataclass(eq=False)
class WeChat:
    key: str
    person: Person
    unionid: str | None
    mobile: str | None
    nickname: str | None
    gender_code: str
    subscribed: datetime
    reg_value: datetime | None
    level: str
    points: int
    channel: str
    ext_kind: str | None
    ext: dict[str, str]
    updated: datetime
    reg_kind: str | None = None


@dataclass(eq=False)
class Person:
    idx: int
    level: int  # the package (0 = full export) in which the person first appears
    male: bool
    born: date
    surname: str
    surname_py: str
    given: str
    given_py: str
    city: City
    mobile: str
    id18: str
    unionid: str
    email_local: str
    email_domain: str
    cards: list[Card] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    wechats: list[WeChat] = field(default_factory=list)
    frozen: bool = False  # left alone by delta changes (used by the cross-link case)

    @property
    def pid(self) -> str:
        return f"P{self.idx:08d}"
