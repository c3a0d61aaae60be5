"""Builds one chunk of persons: their records, the written rows of every package, the truth.

A chunk is self-contained: every version of a key, every child and its parent, and every
orphan target live in the chunk that made them, so chunks can be built in parallel and the
truth of a chunk is computed from its own rows. A delta replays the chunk's earlier packages
(same seeds, same code) and then applies its own changes, so no state has to be stored.
"""

from __future__ import annotations

import json
import math
import resource
import time
from bisect import bisect
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import accumulate
from operator import itemgetter
from random import Random

from member_migration.contract import FILES_BY_TABLE
from member_migration.generator import pools
from member_migration.generator.forms import Notes, Renderer, choice, randbelow, randint
from member_migration.generator.identity import NEW_MOBILE_SLOTS, Identities, derive_seed
from member_migration.generator.model import (
    ALL_TABLES,
    BASE_END,
    DELTA_END,
    DELTA_START,
    FUTURE_END,
    FUTURE_START,
    LAUNCH,
    REFERENCE_INSTANT,
    Card,
    Coupon,
    Log,
    Order,
    Person,
    Row,
    Txn,
    User,
    WeChat,
)
from member_migration.generator.rules import BEIJING
from member_migration.generator.truth import ChunkTruth, resolve

#: Persons per chunk. Fixed: the bytes of a package depend on it, not on the worker count.
CHUNK_PERSONS = 2500
#: Deltas per package family (key numbers reserve a block per package).
MAX_LEVELS = 9
_KEY_BLOCK = 100_000
_ORPHAN_BASE = 900_000
_MAX_ORPHAN_TARGETS = 5


class Weighted:
    """A weighted choice with precomputed cumulative weights (``random.choices`` is slow)."""

    __slots__ = ("_cum", "_total", "_values")

    def __init__(self, values, weights) -> None:
        self._values = tuple(values)
        self._cum = list(accumulate(weights))
        self._total = self._cum[-1]

    def pick(self, rng: Random):
        return self._values[bisect(self._cum, rng.random() * self._total)]


_SURNAMES = Weighted(
    pools.SURNAMES, [max(3, 60 - i) for i in range(len(pools.SURNAMES) - 4)] + [1, 1, 1, 1]
)
_CITIES = Weighted(pools.CITIES, [c.weight for c in pools.CITIES])
_POS_STATUS = Weighted(("A", "B", "C"), (900, 40, 60))
_POS_TIERS = Weighted(*zip(*pools.POS_TIERS, strict=True))
_MALL_LEVELS = Weighted(*zip(*pools.MALL_LEVELS, strict=True))
_WECHAT_LEVELS = Weighted(*zip(*pools.WECHAT_LEVELS, strict=True))
_TXNS_PER_CARD = Weighted(range(7), (20, 25, 20, 15, 10, 6, 4))
_ORDERS_PER_USER = Weighted(range(7), (25, 25, 20, 12, 9, 5, 4))
_COUPONS_PER_USER = Weighted(range(5), (30, 30, 20, 12, 8))
_ORDER_STATUS = Weighted(("paid", "refunded", "cancelled"), (85, 8, 7))
_EXPIRED_COUPON_STATUS = Weighted(("used", "expired", "unused"), (40, 50, 10))
_OPEN_COUPON_STATUS = Weighted(("unused", "used"), (70, 30))


@dataclass(frozen=True)
class FileStyle:
    """How one file of one package is written."""

    columns: tuple[str, ...]
    encoding: str  # utf-8, utf-8-sig or gb18030
    newline: str  # "\n" or "\r\n"
    quote_all: bool
    final_newline: bool


@dataclass(frozen=True)
class LevelPlan:
    """One package of a family: level 0 is the full export, the others are deltas."""

    seed: int
    persons: int
    first_person: int
    first_chunk: int
    styles: dict[str, FileStyle]

    @property
    def chunks(self) -> int:
        return math.ceil(self.persons / CHUNK_PERSONS)


@dataclass
class ChunkResult:
    chunk_no: int
    persons: int
    data: dict[str, bytes]
    counts: dict[int, dict[str, int]]  # rows per level and table in this chunk
    truth: ChunkTruth
    stats: dict[str, int] = field(default_factory=dict)
    cross_links: list[dict[str, str]] = field(default_factory=list)
    cpu_seconds: float = 0.0  # of the process that built the chunk
    max_rss_kb: int = 0  # peak resident memory of that process so far


def chunk_layout(levels: list[LevelPlan], target: int) -> list[tuple[int, int, int, int]]:
    """(chunk number, origin level, first person, persons) of every chunk up to ``target``."""
    layout = []
    for origin, lv in enumerate(levels[: target + 1]):
        for j in range(lv.chunks):
            first = lv.first_person + j * CHUNK_PERSONS
            count = min(CHUNK_PERSONS, lv.first_person + lv.persons - first)
            layout.append((lv.first_chunk + j, origin, first, count))
    return layout


def build_chunk(
    root_seed: int, levels: list[LevelPlan], target: int, chunk: tuple[int, int, int, int]
) -> ChunkResult:
    started = time.process_time()
    result = ChunkBuilder(root_seed, levels, target, chunk).build()
    result.cpu_seconds = time.process_time() - started
    result.max_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result


class ChunkBuilder:
    def __init__(
        self, root_seed: int, levels: list[LevelPlan], target: int, chunk: tuple[int, int, int, int]
    ) -> None:
        self.ids = Identities(root_seed)
        self.levels = levels
        self.target = target
        self.chunk_no, self.origin, self.first_person, self.count = chunk
        self.persons: list[Person] = []
        self.rows: dict[int, dict[str, list[Row]]] = {}
        self.orphans: dict[str, list[tuple[str, Person, int]]] = {
            "pos_member_card": [],
            "mall_user": [],
        }
        self.adopted: set[str] = set()
        self.cross_links: list[dict[str, str]] = []

    # -- the chunk's life --------------------------------------------------------------------------
    def build(self) -> ChunkResult:
        for level in range(self.origin, self.target + 1):
            self.level = level
            self.rng = Random(derive_seed(self.levels[level].seed, "chunk", self.chunk_no))
            self.r = Renderer(self.rng)
            self.counters: dict[str, int] = {}
            self.primary: dict[str, list[Row]] = {t: [] for t in ALL_TABLES}
            self.extras: dict[str, list[tuple[Row, int, float]]] = {t: [] for t in ALL_TABLES}
            if level == self.origin:
                start, end = (None, BASE_END) if level == 0 else (DELTA_START, DELTA_END)
                self.reg_start, self.end = start, end
                for idx in range(self.first_person, self.first_person + self.count):
                    self.make_person(idx)
            else:
                self.reg_start, self.end = DELTA_START, DELTA_END
                self.apply_delta()
            self.finalize()
        truth = resolve(self.rows, self.target)
        data = self.encode(self.rows[self.target], self.levels[self.target].styles)
        counts = {lv: {t: len(rs) for t, rs in tables.items()} for lv, tables in self.rows.items()}
        stats: dict[str, int] = {}
        for table, rows in self.rows[self.target].items():
            kinds = Counter(kind for row in rows for _column, kind in row.notes)
            for kind, n in kinds.items():
                stats[f"{table}.{kind}"] = n
        persons = self.count if self.origin == self.target else 0
        return ChunkResult(self.chunk_no, persons, data, counts, truth, stats, self.cross_links)

    # -- helpers -----------------------------------------------------------------------------------
    def between(self, start: datetime, end: datetime) -> datetime:
        span = (end - start).total_seconds()
        return start + timedelta(seconds=int(self.rng.random() * max(1.0, span)))

    def key_number(self, kind: str) -> int:
        n = self.counters.get(kind, 0) + 1
        if n >= _KEY_BLOCK:
            raise RuntimeError(f"too many {kind} keys in one chunk")
        self.counters[kind] = n
        return self.chunk_no * 1_000_000 + self.level * _KEY_BLOCK + n

    def card_no(self) -> str:
        n = 1_000_000 + self.key_number("card")
        return f"VIP{n:08d}" if self.rng.random() < 0.1 else f"{n:010d}"

    def user_id(self) -> str:
        return str(100_000 + self.key_number("user"))

    def reg_window(self, system: str) -> tuple[datetime, datetime]:
        if self.reg_start is None:
            return LAUNCH[system] + timedelta(days=1), BASE_END - timedelta(days=30)
        return self.reg_start, self.end - timedelta(days=1)

    def registration(self, system: str, true_at: datetime) -> tuple[str | None, datetime | None]:
        kind = self.r.draw("registration")
        if kind == "registered_before_launch":
            launch = LAUNCH[system]
            return kind, self.between(launch - timedelta(days=4 * 365), launch - timedelta(days=2))
        if kind == "registered_in_future":
            return kind, self.between(FUTURE_START, FUTURE_END)
        if kind == "registration_missing":
            return kind, None
        return None, true_at

    def parent_ref(
        self, child_table: str, parent_table: str, key: str, person: Person
    ) -> tuple[str | None, str | None]:
        kind = self.r.draw("child_parent", child_table)
        if kind is None:
            return key, None
        if kind == "row_parent_missing":
            return None, kind
        # Several children name the same missing parent; only targets of this package are
        # reused, so that a delta adopting an older target never turns a new orphan into a child.
        targets = [t for t in self.orphans[parent_table] if t[2] == self.level]
        if targets and (len(targets) >= _MAX_ORPHAN_TARGETS or self.rng.random() < 0.5):
            return choice(self.rng, targets)[0], kind
        n = 1_000_000 * self.chunk_no + _ORPHAN_BASE + sum(len(t) for t in self.orphans.values())
        target = f"{1_000_000 + n:010d}" if parent_table == "pos_member_card" else str(100_000 + n)
        self.orphans[parent_table].append((target, person, self.level))
        return target, kind

    # -- persons and their records ----------------------------------------------------------------
    def make_person(self, idx: int) -> None:
        rng, r = self.rng, self.r
        male = rng.random() < 0.48
        born, pair = self.ids.birth_and_sequence(idx)
        surname, surname_py = _SURNAMES.pick(rng)
        pool = pools.GIVEN_MALE if male else pools.GIVEN_FEMALE
        chars = [choice(rng, pool) for _ in range(1 if rng.random() < 0.4 else 2)]
        given, given_py = "".join(c for c, _ in chars), "".join(p for _, p in chars)
        city = _CITIES.pick(rng)
        id18 = self.ids.national_id(choice(rng, city.id_codes), born, pair, male)
        pattern = randbelow(rng, 4)
        local = (
            f"{surname_py}.{given_py}{idx}",
            f"{given_py}.{surname_py}{idx}",
            f"{surname_py}{given_py}{idx}",
            f"{10_000_000 + idx}",
        )[pattern]
        domain = "qq.com" if pattern == 3 else choice(rng, pools.EMAIL_DOMAINS)
        p = Person(
            idx=idx,
            level=self.level,
            male=male,
            born=born,
            surname=surname,
            surname_py=surname_py,
            given=given,
            given_py=given_py,
            city=city,
            mobile=self.ids.mobile(idx),
            id18=id18,
            unionid=self.ids.unionid(idx),
            email_local=local,
            email_domain=domain,
        )
        self.persons.append(p)
        systems = r.draw("person.systems") or "pos_only"
        if "pos" in systems:
            self.new_card(p)
            if r.draw("person.second_card"):
                self.new_card(p, second=True)
        if "mall" in systems:
            self.new_user(p, has_wechat="wechat" in systems)
            if r.draw("person.second_account"):
                self.new_user(p, second=True)
        if "wechat" in systems:
            self.new_wechat(p, linked="mall" in systems)

    def new_card(self, p: Person, second: bool = False, key: str | None = None) -> Card:
        rng, r = self.rng, self.r
        start, end = self.reg_window("pos")
        opened = self.between(start, end)
        reg_kind, reg_value = self.registration("pos", opened)
        if r.draw("pos.mobile"):
            mobile: str | None = pools.PLACEHOLDER_MOBILE
        elif r.draw("absent.pos_mobile"):
            mobile = None
        else:
            mobile = p.mobile
        roll = rng.random()
        gender_word = (
            None
            if r.draw("absent.pos_gender")
            else "未知"
            if roll < 0.04
            else ("男" if p.male else "女")
            if roll < 0.7
            else ("M" if p.male else "F")
        )
        status = _POS_STATUS.pick(rng)
        stored = (
            None
            if r.draw("absent.pos_stored_value")
            else (0 if rng.random() < 0.5 else int(rng.lognormvariate(math.log(30_000), 1.3)))
        )
        card = Card(
            key=key or self.card_no(),
            person=p,
            mobile=mobile,
            has_id=not r.draw("absent.pos_id_card_no"),
            has_name=not r.draw("absent.pos_member_name"),
            nickname=None if r.draw("absent.pos_nickname") else choice(rng, pools.NICKNAMES),
            gender_word=gender_word,
            birthday_present=not r.draw("absent.pos_birthday"),
            opened=opened,
            reg_value=reg_value,
            store=None
            if r.draw("absent.pos_store_code")
            else f"{p.city.store_prefix}{randint(rng, 1, 40):03d}",
            tier=_POS_TIERS.pick(rng),
            points=0,
            stored_cents=stored,
            status=status,
            province_absent=bool(r.draw("absent.province")),
            city_absent=bool(r.draw("absent.city")),
            updated=opened,
            reg_kind=reg_kind,
        )
        if second and r.draw("pos.second_card_id"):
            # another valid ID: the person's birth, sequence and sex under another region code,
            # so no other person holds it and it agrees with the card's gender and birthday
            born, pair = self.ids.birth_and_sequence(p.idx)
            region = "110101" if p.id18[:6] != "110101" else "310101"
            card.other_id18 = self.ids.national_id(region, born, pair, p.male)
        p.cards.append(card)
        n_txn = _TXNS_PER_CARD.pick(rng)
        if second:
            n_txn = min(n_txn, 2)
        times = sorted(self.between(opened, self.end) for _ in range(n_txn))
        for t in times:
            self.purchase(card, t, emit=False)
        card.ledger_kind = r.draw("pos.card")
        if card.ledger_kind == "negative_balance":
            self.add_log(
                card,
                "ADJUST",
                -(card.points + randint(rng, 1, 200)),
                self.between(opened, self.end),
                None,
                emit=False,
            )
        elif card.ledger_kind == "ledger_mismatch":
            card.points += choice(rng, (-1, 1)) * randint(rng, 1, 500)
        card.updated = self.between(max(opened, times[-1]) if times else opened, self.end)
        self.emit_card(card)
        for txn in card.txns:
            self.emit_txn(txn, p)
        for log in card.logs:
            self.emit_log(log, p)
        return card

    def purchase(self, card: Card, at: datetime, emit: bool) -> None:
        """A transaction with its points-log entries (and sometimes a redemption or expiry)."""
        rng = self.rng
        previous = [t for t in card.txns if t.cents > 0]
        if previous and rng.random() < 0.06:
            cents = -choice(rng, previous).cents
        else:
            cents = max(100, int(rng.lognormvariate(math.log(12_000), 0.9)))
        earned = int(cents / 100)
        parent, kind = self.parent_ref("pos_transaction", "pos_member_card", card.key, card.person)
        txn = Txn(
            key=f"T{self.key_number('txn'):012d}",
            parent=parent,
            store=card.store or f"{card.person.city.store_prefix}001",
            at=at,
            cents=cents,
            earned=earned,
            parent_kind=kind,
        )
        card.txns.append(txn)
        if emit:
            self.emit_txn(txn, card.person)
        self.add_log(card, "EARN" if earned >= 0 else "ADJUST", earned, at, txn.key, emit)
        later = min(at + timedelta(hours=randint(rng, 1, 2000)), self.end)
        if card.points >= 100 and rng.random() < 0.15:
            redeem = -min(card.points, randint(rng, 5, 60) * 10)
            self.add_log(card, "REDEEM", redeem, later, None, emit)
        elif card.points > 0 and rng.random() < 0.05:
            self.add_log(card, "EXPIRE", -min(card.points, randint(rng, 1, 200)), later, None, emit)
        elif rng.random() < 0.03:
            self.add_log(
                card, "ADJUST", choice(rng, (-1, 1)) * randint(rng, 1, 100), later, None, emit
            )

    def add_log(
        self,
        card: Card,
        change_type: str,
        delta: int,
        at: datetime,
        order_ref: str | None,
        emit: bool,
    ) -> None:
        parent, kind = self.parent_ref("pos_points_log", "pos_member_card", card.key, card.person)
        log = Log(
            key=str(self.key_number("log")),
            parent=parent,
            change_type=change_type,
            delta=delta,
            at=at,
            order_ref=order_ref,
            parent_kind=kind,
        )
        card.logs.append(log)
        card.points += delta
        if emit:
            self.emit_log(log, card.person)

    def new_user(
        self, p: Person, has_wechat: bool = False, second: bool = False, key: str | None = None
    ) -> User:
        rng, r = self.rng, self.r
        start, end = self.reg_window("mall")
        registered = self.between(start, end)
        reg_kind, reg_value = self.registration("mall", registered)
        bound = has_wechat and not second and not r.draw("mall.unionid")
        # the store's address or clerk's WeChat typed for a walk-in customer: shared by many
        email_placeholder = r.draw("mall.email")
        unionid_placeholder = r.draw("mall.shared_unionid")
        email_absent = r.draw("absent.mall_email")
        user = User(
            key=key or self.user_id(),
            person=p,
            phone=None if r.draw("absent.mall_phone") else p.mobile,
            email=pools.PLACEHOLDER_EMAIL
            if email_placeholder
            else None
            if email_absent
            else f"{p.email_local}{'.2' if second else ''}@{p.email_domain}",
            unionid=pools.PLACEHOLDER_UNIONID
            if unionid_placeholder
            else p.unionid
            if bound
            else None,
            has_real_name=not r.draw("absent.mall_real_name"),
            nick=None if r.draw("absent.mall_nick_name") else choice(rng, pools.NICKNAMES),
            gender_word="unknown" if rng.random() < 0.08 else ("male" if p.male else "female"),
            birth_present=not r.draw("absent.mall_birth_date"),
            registered=registered,
            reg_value=reg_value,
            level=_MALL_LEVELS.pick(rng),
            integral=0 if rng.random() < 0.15 else int(rng.lognormvariate(math.log(2000), 1.2)),
            is_deleted=rng.random() < 0.03,
            province_absent=bool(r.draw("absent.province")),
            city_absent=bool(r.draw("absent.city")),
            last_login=None if rng.random() < 0.05 else self.between(registered, self.end),
            reg_kind=reg_kind,
        )
        p.users.append(user)
        self.emit_user(user)
        for _ in range(_ORDERS_PER_USER.pick(rng)):
            self.new_order(user, self.between(registered, self.end))
        for _ in range(_COUPONS_PER_USER.pick(rng)):
            self.new_coupon(user, self.between(registered, self.end))
        return user

    def new_order(self, user: User, at: datetime) -> Order:
        rng = self.rng
        parent, kind = self.parent_ref("mall_order", "mall_user", user.key, user.person)
        order = Order(
            key=f"{at.astimezone(BEIJING):%Y%m%d}{self.key_number('order'):010d}",
            parent=parent,
            at=at,
            cents=max(100, int(rng.lognormvariate(math.log(15_000), 0.9))),
            status=_ORDER_STATUS.pick(rng),
            parent_kind=kind,
        )
        user.orders.append(order)
        self.emit_order(order, user.person)
        return order

    def new_coupon(self, user: User, issued: datetime) -> Coupon:
        rng = self.rng
        expire = issued + timedelta(days=choice(rng, (30, 90, 180, 365)))
        if expire < REFERENCE_INSTANT:
            status = _EXPIRED_COUPON_STATUS.pick(rng)
        else:
            status = _OPEN_COUPON_STATUS.pick(rng)
        coupon_type = "CASH" if rng.random() < 0.6 else "DISCOUNT"
        face = (
            choice(rng, (5, 10, 20, 50, 100)) * 100
            if coupon_type == "CASH"
            else (choice(rng, (8, 15, 30, 50)) * 100 + choice(rng, (0, 50)))
        )
        parent, kind = self.parent_ref("mall_coupon", "mall_user", user.key, user.person)
        coupon = Coupon(
            key=f"CP{self.key_number('coupon'):010d}",
            parent=parent,
            coupon_type=coupon_type,
            face_cents=face,
            issued=issued,
            expire=expire,
            status=status,
            parent_kind=kind,
        )
        user.coupons.append(coupon)
        self.emit_coupon(coupon, user.person)
        return coupon

    def new_wechat(self, p: Person, linked: bool, forced: dict | None = None) -> WeChat:
        rng, r = self.rng, self.r
        start, end = self.reg_window("wechat")
        subscribed = self.between(max(start, LAUNCH["wechat"] + timedelta(days=1)), end)
        reg_kind, reg_value = (
            (None, subscribed) if forced else self.registration("wechat", subscribed)
        )
        ext_kind = None if forced else r.draw("ext_attrs")
        ext = {k: choice(rng, v) for k, v in pools.EXT_ATTR_VALUES.items() if rng.random() < 0.6}
        if ext_kind == "ext_unmapped_key":
            extra_key = choice(rng, list(pools.EXT_ATTR_UNMAPPED))
            ext[extra_key] = choice(rng, pools.EXT_ATTR_UNMAPPED[extra_key])
        unionid = None if r.draw("absent.wechat_unionid") else p.unionid
        # The mobile is often left empty when the unionid links the member to a mall account;
        # a member without that link almost always bound a mobile.
        linked = linked and unionid is not None and any(u.unionid == unionid for u in p.users)
        absent_mobile = "absent.wechat_mobile_linked" if linked else "absent.wechat_mobile_alone"
        member = WeChat(
            key=self.ids.openid(self.key_number("wechat")),
            person=p,
            unionid=unionid,
            mobile=None if r.draw(absent_mobile) else p.mobile,
            nickname=None if r.draw("absent.wechat_nickname") else choice(rng, pools.NICKNAMES),
            gender_code="0" if rng.random() < 0.15 else ("1" if p.male else "2"),
            subscribed=subscribed,
            reg_value=reg_value,
            level=_WECHAT_LEVELS.pick(rng),
            points=0 if rng.random() < 0.2 else int(rng.lognormvariate(math.log(300), 1.2)),
            channel=choice(rng, pools.CHANNELS),
            ext_kind=ext_kind,
            ext=ext,
            updated=self.between(subscribed, self.end),
            reg_kind=reg_kind,
        )
        if forced:
            for name, value in forced.items():
                setattr(member, name, value)
        p.wechats.append(member)
        self.emit_wechat(member, clean=bool(forced))
        return member

    # -- rendering records to rows ---------------------------------------------------------------
    def text(self, value: str | None, notes: Notes, column: str) -> str:
        return value if value is not None else self.r.missing(notes, column)

    def region(
        self,
        p: Person,
        province_absent: bool,
        city_absent: bool,
        notes: Notes,
        values: dict[str, str],
    ) -> None:
        r, city = self.r, p.city
        if province_absent:
            values["province"] = r.missing(notes, "province")
        else:
            kind = r.draw("province")
            if kind == "province_slash" and not city.is_municipality:
                kind = None
            if kind is not None:
                notes.append(("province", kind))
            values["province"] = (
                choice(self.rng, pools.UNKNOWN_PROVINCES)
                if kind == "province_unknown"
                else city.province_short
                if kind == "province_short"
                else f"{city.province_short}/{city.province_short}"
                if kind == "province_slash"
                else city.province
            )
        if city_absent:
            values["city"] = r.missing(notes, "city")
        else:
            kind = r.draw("city")
            if kind is not None:
                notes.append(("city", kind))
            values["city"] = (
                choice(self.rng, pools.UNKNOWN_CITIES)
                if kind == "city_unknown"
                else city.city_short
                if kind == "city_short"
                else city.city
            )

    def registration_text(
        self, kind: str | None, value: datetime | None, notes: Notes, column: str, render
    ) -> str:
        if kind is not None:
            notes.append((column, kind))
        if value is None:
            return self.r.missing(notes, column)
        return render(value, notes, column)

    def card_values(
        self,
        c: Card,
        notes: Notes,
        safe: bool = False,
        updated: datetime | None = None,
        no_updated: bool = False,
    ) -> dict[str, str]:
        r, p = self.r, c.person
        v: dict[str, str] = {"card_no": c.key}
        v["member_name"] = (
            r.real_name(p.surname, p.given, notes, "member_name")
            if c.has_name
            else r.missing(notes, "member_name")
        )
        if c.mobile is None:
            v["mobile"] = r.missing(notes, "mobile")
        else:
            if c.mobile == pools.PLACEHOLDER_MOBILE:
                notes.append(("mobile", "mobile_placeholder"))
            v["mobile"] = r.mobile(c.mobile, notes, "mobile")
        if c.has_id and c.other_id18:
            notes.append(("id_card_no", "id_other_person"))
        v["id_card_no"] = (
            r.national_id(c.other_id18 or p.id18, notes, "id_card_no")
            if c.has_id
            else r.missing(notes, "id_card_no")
        )
        v["gender"] = (
            r.code(c.gender_word, "gender", notes, "gender", unmapped=pools.GENDER_UNMAPPED["pos"])
            if c.gender_word
            else r.missing(notes, "gender")
        )
        v["birthday"] = (
            r.date(p.born, notes, "birthday", birthday=True)
            if c.birthday_present
            else r.missing(notes, "birthday")
        )
        v["open_date"] = self.registration_text(
            c.reg_kind, c.reg_value, notes, "open_date", r.datetime
        )
        v["store_code"] = self.text(c.store, notes, "store_code")
        v["tier_name"] = r.code(
            c.tier,
            "pos_tier_vip" if c.tier == "VIP" else "pos_tier",
            notes,
            "tier_name",
            unmapped=pools.POS_TIERS_UNMAPPED,
        )
        if c.ledger_kind is not None:
            notes.append(("points", c.ledger_kind))
        v["points"] = r.integer(c.points, notes, "points", safe=safe)
        v["stored_value"] = (
            r.money(c.stored_cents, notes, "stored_value", safe=safe)
            if c.stored_cents is not None
            else r.missing(notes, "stored_value")
        )
        v["status"] = r.code(
            c.status, "pos_status", notes, "status", unmapped=pools.POS_STATUS_INVALID
        )
        v["nickname"] = (
            r.nickname(c.nickname, notes, "nickname")
            if c.nickname
            else r.missing(notes, "nickname")
        )
        self.region(p, c.province_absent, c.city_absent, notes, v)
        if no_updated:
            notes.append(("updated_at", "loser_recency_missing"))
            v["updated_at"] = r.missing(notes, "updated_at")
        else:
            v["updated_at"] = r.datetime(updated or c.updated, notes, "updated_at", safe=safe)
        return v

    def user_values(
        self, u: User, notes: Notes, safe: bool = False, last_login: datetime | None = None
    ) -> dict[str, str]:
        r, p = self.r, u.person
        v: dict[str, str] = {"user_id": u.key}
        v["phone"] = r.mobile(u.phone, notes, "phone") if u.phone else r.missing(notes, "phone")
        if u.email == pools.PLACEHOLDER_EMAIL:
            notes.append(("email", "email_placeholder"))
        v["email"] = r.email(u.email, notes, "email") if u.email else r.missing(notes, "email")
        if u.unionid == pools.PLACEHOLDER_UNIONID:
            notes.append(("wx_unionid", "unionid_placeholder"))
        v["wx_unionid"] = self.text(u.unionid, notes, "wx_unionid")
        v["real_name"] = (
            r.real_name(p.surname, p.given, notes, "real_name")
            if u.has_real_name
            else r.missing(notes, "real_name")
        )
        v["nick_name"] = (
            r.nickname(u.nick, notes, "nick_name") if u.nick else r.missing(notes, "nick_name")
        )
        v["gender"] = r.code(
            u.gender_word, "gender", notes, "gender", unmapped=pools.GENDER_UNMAPPED["mall"]
        )
        v["birth_date"] = (
            r.date(p.born, notes, "birth_date", birthday=True)
            if u.birth_present
            else r.missing(notes, "birth_date")
        )
        v["reg_time"] = self.registration_text(
            u.reg_kind, u.reg_value, notes, "reg_time", r.mall_time
        )
        v["level"] = r.code(u.level, "level", notes, "level", unmapped=pools.MALL_LEVELS_UNMAPPED)
        v["integral"] = r.integer(u.integral, notes, "integral", safe=safe)
        v["is_deleted"] = "1" if u.is_deleted else "0"
        self.region(p, u.province_absent, u.city_absent, notes, v)
        login = last_login or u.last_login
        v["last_login_at"] = (
            r.mall_time(login, notes, "last_login_at", safe=safe)
            if login
            else r.missing(notes, "last_login_at")
        )
        return v

    def wechat_values(
        self,
        w: WeChat,
        notes: Notes,
        safe: bool = False,
        updated: datetime | None = None,
        no_updated: bool = False,
        clean: bool = False,
    ) -> dict[str, str]:
        r = self.r
        v: dict[str, str] = {"openid": w.key}
        v["unionid"] = self.text(w.unionid, notes, "unionid")
        if clean:
            v["mobile"] = w.mobile or ""
        else:
            v["mobile"] = (
                r.mobile(w.mobile, notes, "mobile") if w.mobile else r.missing(notes, "mobile")
            )
        v["nickname"] = (
            r.nickname(w.nickname, notes, "nickname", wechat=True)
            if w.nickname
            else r.missing(notes, "nickname")
        )
        v["gender"] = r.code(
            w.gender_code, "gender", notes, "gender", unmapped=pools.GENDER_UNMAPPED["wechat"]
        )
        v["subscribe_time"] = self.registration_text(
            w.reg_kind, w.reg_value, notes, "subscribe_time", r.wechat_time
        )
        v["member_level"] = r.code(
            w.level, "level", notes, "member_level", unmapped=pools.WECHAT_LEVELS_UNMAPPED
        )
        v["points_balance"] = (
            str(w.points) if clean else r.integer(w.points, notes, "points_balance", safe=safe)
        )
        v["channel"] = w.channel
        if w.ext_kind is not None:
            notes.append(("ext_attrs", w.ext_kind))
        if w.ext_kind == "ext_absent":
            v["ext_attrs"] = r.missing(notes, "ext_attrs")
        elif w.ext_kind == "ext_invalid":
            v["ext_attrs"] = choice(self.rng, pools.INVALID_EXT_ATTRS)
        elif w.ext_kind == "ext_empty_object" or not w.ext:
            v["ext_attrs"] = "{}"
        else:
            compact = self.rng.random() < 0.7
            v["ext_attrs"] = json.dumps(
                w.ext, ensure_ascii=False, separators=(",", ":") if compact else (", ", ": ")
            )
        if no_updated:
            notes.append(("updated_at", "loser_recency_missing"))
            v["updated_at"] = r.missing(notes, "updated_at")
        else:
            v["updated_at"] = r.datetime(
                updated or w.updated, notes, "updated_at", safe=safe or clean
            )
        return v

    def parent_text(self, parent: str | None, kind: str | None, notes: Notes, column: str) -> str:
        if kind is not None:
            notes.append((column, kind))
        return parent if parent is not None else self.r.missing(notes, column)

    def log_values(self, g: Log, notes: Notes, delta: int | None = None) -> dict[str, str]:
        r = self.r
        kind = r.draw("change_type")
        change = g.change_type
        if kind is not None:
            notes.append(("change_type", kind))
            change = (
                pools.CHANGE_TYPES_ZH[change] if kind == "change_type_chinese" else (change.lower())
            )
        return {
            "log_id": g.key,
            "card_no": self.parent_text(g.parent, g.parent_kind, notes, "card_no"),
            "change_type": change,
            "points_delta": r.integer(g.delta if delta is None else delta, notes, "points_delta"),
            "occurred_at": r.datetime(g.at, notes, "occurred_at"),
            "order_ref": self.text(g.order_ref, notes, "order_ref"),
        }

    def txn_values(self, t: Txn, notes: Notes, cents: int | None = None) -> dict[str, str]:
        r = self.r
        return {
            "txn_id": t.key,
            "card_no": self.parent_text(t.parent, t.parent_kind, notes, "card_no"),
            "store_code": self.text(t.store, notes, "store_code"),
            "txn_time": r.datetime(t.at, notes, "txn_time"),
            "amount": r.money(t.cents if cents is None else cents, notes, "amount"),
            "points_earned": r.integer(t.earned, notes, "points_earned"),
        }

    def order_values(self, o: Order, notes: Notes, status: str | None = None) -> dict[str, str]:
        r = self.r
        return {
            "order_id": o.key,
            "user_id": self.parent_text(o.parent, o.parent_kind, notes, "user_id"),
            "order_time": r.datetime(o.at, notes, "order_time"),
            "pay_amount": r.money(o.cents, notes, "pay_amount"),
            "order_status": r.code(status or o.status, "child_code", notes, "order_status"),
        }

    def coupon_values(self, c: Coupon, notes: Notes, status: str | None = None) -> dict[str, str]:
        r = self.r
        return {
            "coupon_id": c.key,
            "user_id": self.parent_text(c.parent, c.parent_kind, notes, "user_id"),
            "coupon_type": r.code(c.coupon_type, "child_code", notes, "coupon_type"),
            "face_value": r.money(c.face_cents, notes, "face_value"),
            "issued_at": r.datetime(c.issued, notes, "issued_at"),
            "expire_at": r.datetime(c.expire, notes, "expire_at"),
            "coupon_status": r.code(status or c.status, "child_code", notes, "coupon_status"),
        }

    # -- emitting rows: whole-row forms (duplicates, conflicts, missing keys) ---------------------
    def add_row(
        self,
        table: str,
        values: dict[str, str],
        notes: Notes,
        person: Person,
        after: float | None = None,
        pair: bool = False,
    ) -> Row:
        kind = self.r.draw("row.pad", table)
        if kind is not None:
            column = choice(self.rng, FILES_BY_TABLE[table].columns)
            values[column] = self.r.pad(values[column], kind)
            notes.append((column, kind))
        row = Row(table, values, notes, person.pid, self.level)
        row.pair = pair
        if after is None:
            self.primary[table].append(row)
        else:
            self.extras[table].append((row, len(self.primary[table]) - 1, after))
        return row

    def copy_row(self, row: Row, kind: str) -> None:
        """An exact duplicate of ``row``, written later in the file."""
        copy = Row(row.table, dict(row.values), [*row.notes, ("", kind)], row.person, self.level)
        copy.pair = row.pair = True
        self.extras[row.table].append((copy, len(self.primary[row.table]) - 1, self.rng.random()))

    def emit_member(self, table: str, person: Person, render, older) -> None:
        """Write one member record, maybe twice (exact duplicate) or with an older version."""
        r = self.r
        key_column = FILES_BY_TABLE[table].key
        kind = r.draw("member_row", table)
        if kind == "row_same_key_conflict":
            winner_first = r.draw("conflict") is not None
            notes: Notes = []
            values = render(notes, safe=True)
            old_notes: Notes = [("", kind)]
            old_values = older(old_notes)
            if winner_first:
                self.add_row(table, values, notes, person, pair=True)
                self.add_row(
                    table, old_values, old_notes, person, after=self.rng.random(), pair=True
                )
            else:
                self.add_row(table, old_values, old_notes, person, pair=True)
                self.add_row(table, values, notes, person, after=self.rng.random(), pair=True)
            return
        notes = []
        values = render(notes)
        if kind == "row_key_missing":
            values[key_column] = r.missing(notes, key_column)
            notes.append((key_column, kind))
        row = self.add_row(table, values, notes, person)
        if kind == "row_exact_duplicate":
            self.copy_row(row, kind)

    def emit_card(self, c: Card) -> None:
        def older(notes: Notes) -> dict[str, str]:
            missing = self.r.draw("conflict_recency") is not None
            gap = timedelta(days=randint(self.rng, 2, 400))
            old = replace(
                c,
                points=c.points - randint(self.rng, 1, 300),
                tier=choice(self.rng, [t for t, _ in pools.POS_TIERS]),
            )
            return self.card_values(
                old, notes, safe=True, updated=c.updated - gap, no_updated=missing
            )

        self.emit_member(
            "pos_member_card",
            c.person,
            lambda notes, safe=False: self.card_values(c, notes, safe=safe),
            older,
        )

    def emit_user(self, u: User) -> None:
        if u.last_login is None:
            login_for_conflict = self.between(u.registered, self.end)
        else:
            login_for_conflict = u.last_login

        def render(notes: Notes, safe: bool = False) -> dict[str, str]:
            if safe:  # a conflict: the newer version needs a usable last_login_at
                u.last_login = login_for_conflict
            return self.user_values(u, notes, safe=safe)

        def older(notes: Notes) -> dict[str, str]:
            gap = timedelta(days=randint(self.rng, 2, 400))
            old = replace(
                u,
                integral=max(0, u.integral - randint(self.rng, 1, 3000)),
                level=choice(self.rng, [lv for lv, _ in pools.MALL_LEVELS]),
            )
            return self.user_values(old, notes, safe=True, last_login=login_for_conflict - gap)

        self.emit_member("mall_user", u.person, render, older)

    def emit_wechat(self, w: WeChat, clean: bool = False) -> None:
        if clean:  # the cross-link record: written plainly, exactly once
            notes: Notes = [("", "cross_link")]
            values = self.wechat_values(w, notes, safe=True, clean=True)
            row = Row("wechat_member", values, notes, w.person.pid, self.level)
            row.pair = True
            self.primary["wechat_member"].append(row)
            return

        def older(notes: Notes) -> dict[str, str]:
            missing = self.r.draw("conflict_recency") is not None
            gap = timedelta(days=randint(self.rng, 2, 400))
            old = replace(w, points=max(0, w.points - randint(self.rng, 1, 300)))
            return self.wechat_values(
                old, notes, safe=True, updated=w.updated - gap, no_updated=missing
            )

        self.emit_member(
            "wechat_member",
            w.person,
            lambda notes, safe=False: self.wechat_values(w, notes, safe=safe),
            older,
        )

    def emit_child(
        self, table: str, person: Person, render, other, time_columns, conflicts: bool = True
    ) -> None:
        """Write one child row; a same-key conflict puts another version earlier in the file,
        with the same time values, so that the later record wins by any reading of the rules."""
        r = self.r
        kind = r.draw("child_row", table)
        notes: Notes = []
        values = render(notes)
        if kind == "row_same_key_conflict" and conflicts:
            old_notes: Notes = [("", kind)]
            old_values = other(old_notes)
            old_notes = [(c, k) for c, k in old_notes if c not in time_columns]
            old_notes += [(c, k) for c, k in notes if c in time_columns]
            for column in time_columns:
                old_values[column] = values[column]
            self.add_row(table, old_values, old_notes, person, pair=True)
            self.add_row(table, values, notes, person, after=self.rng.random(), pair=True)
            return
        key_column = FILES_BY_TABLE[table].key
        if kind == "row_key_missing":
            values[key_column] = r.missing(notes, key_column)
            notes.append((key_column, kind))
        row = self.add_row(table, values, notes, person)
        if kind == "row_exact_duplicate":
            self.copy_row(row, kind)

    def emit_log(self, g: Log, p: Person) -> None:
        self.emit_child(
            "pos_points_log",
            p,
            lambda n: self.log_values(g, n),
            lambda n: self.log_values(g, n, delta=g.delta + choice(self.rng, (-10, 10))),
            ("occurred_at",),
        )

    def emit_txn(self, t: Txn, p: Person) -> None:
        self.emit_child(
            "pos_transaction",
            p,
            lambda n: self.txn_values(t, n),
            lambda n: self.txn_values(t, n, cents=t.cents + choice(self.rng, (-100, 100))),
            ("txn_time",),
        )

    def emit_order(self, o: Order, p: Person, changed: bool = False) -> None:
        """``changed``: the whole current row of an order whose status changed (in a delta),
        written once, never with another version beside it."""
        other = "cancelled" if o.status == "paid" else "paid"
        self.emit_child(
            "mall_order",
            p,
            lambda n: self.order_values(o, n),
            lambda n: self.order_values(o, n, status=other),
            ("order_time",),
            conflicts=not changed,
        )

    def emit_coupon(self, c: Coupon, p: Person, changed: bool = False) -> None:
        other = "unused" if c.status != "unused" else "used"
        self.emit_child(
            "mall_coupon",
            p,
            lambda n: self.coupon_values(c, n),
            lambda n: self.coupon_values(c, n, status=other),
            ("issued_at", "expire_at"),
            conflicts=not changed,
        )

    # -- deltas ------------------------------------------------------------------------------------
    def apply_delta(self) -> None:
        rng, r = self.rng, self.r
        if self.chunk_no == 0:
            self.cross_link()
        changed_cards: dict[int, Card] = {}
        changed_users: dict[int, User] = {}
        changed_wechats: dict[int, WeChat] = {}
        base = [p for p in self.persons if p.level < self.level and not p.frozen]
        for p in base:
            if not r.draw("delta.person"):
                continue
            options = []
            for c in p.cards:
                options += [("tier", c), ("close", c), ("mobile", c), ("stored", c)]
            for u in p.users:
                options += [("level", u), ("delete", u), ("phone", u), ("integral", u)]
            for w in p.wechats:
                options += [("bind", w), ("wlevel", w), ("wpoints", w)]
            if not options:
                continue
            action, rec = choice(rng, options)
            when = self.between(DELTA_START, DELTA_END)
            if isinstance(rec, Card):
                if action == "tier":
                    order = ["普卡", "银卡", "金卡", "白金卡", "钻石卡"]
                    rank = order.index(rec.tier) if rec.tier in order else 2
                    rec.tier = order[min(rank + 1, len(order) - 1)]
                elif action == "close":
                    rec.status = "C"
                elif action == "mobile":
                    p.mobile = self.ids.mobile(NEW_MOBILE_SLOTS + p.idx * MAX_LEVELS + self.level)
                    rec.mobile = p.mobile
                else:
                    rec.stored_cents = max(
                        0,
                        (rec.stored_cents or 0) + choice(rng, (-1, 1)) * randint(rng, 100, 50_000),
                    )
                rec.updated = when
                changed_cards[id(rec)] = rec
            elif isinstance(rec, User):
                if action == "level":
                    names = [lv for lv, _ in pools.MALL_LEVELS]
                    rank = names.index(rec.level)
                    rec.level = names[min(rank + 1, len(names) - 1)]
                elif action == "delete":
                    rec.is_deleted = True
                elif action == "phone":
                    p.mobile = self.ids.mobile(NEW_MOBILE_SLOTS + p.idx * MAX_LEVELS + self.level)
                    rec.phone = p.mobile
                else:
                    rec.integral = max(0, rec.integral + randint(rng, -500, 3000))
                rec.last_login = when
                changed_users[id(rec)] = rec
            else:
                if action == "bind" and rec.mobile is None:
                    rec.mobile = p.mobile
                elif action == "wlevel" or action == "bind":
                    names = [lv for lv, _ in pools.WECHAT_LEVELS]
                    rank = names.index(rec.level)
                    rec.level = names[min(rank + 1, len(names) - 1)]
                else:
                    rec.points = max(0, rec.points + randint(rng, -100, 500))
                rec.updated = when
                changed_wechats[id(rec)] = rec
        # Activity: purchases change the card's balance, so the card row changes too.
        for p in base:
            for c in p.cards:
                if r.draw("delta.card"):
                    self.purchase(c, self.between(DELTA_START, DELTA_END), emit=True)
                    c.updated = max(c.updated, max(g.at for g in c.logs))
                    changed_cards[id(c)] = c
            for u in p.users:
                if r.draw("delta.user"):
                    self.new_order(u, self.between(DELTA_START, DELTA_END))
                for o in list(u.orders):
                    if o.at < DELTA_START and o.status == "paid" and r.draw("delta.order"):
                        o.status = "refunded"
                        self.emit_order(o, p, changed=True)
                for cp in list(u.coupons):
                    if cp.issued < DELTA_START and cp.status == "unused":
                        kind = r.draw("delta.coupon")
                        if kind is not None:
                            cp.status = "used" if kind == "coupon_used" else "expired"
                            self.emit_coupon(cp, p, changed=True)
        # A card or account that children named before it existed arrives now.
        for table, targets in self.orphans.items():
            for key, owner, level in list(targets):
                if level >= self.level or key in self.adopted or owner.frozen:
                    continue
                if r.draw("delta.orphan"):
                    self.adopted.add(key)
                    if table == "pos_member_card":
                        self.new_card(owner, second=True, key=key)
                    else:
                        self.new_user(owner, second=True, key=key)
        for c in changed_cards.values():
            self.emit_card(c)
        for u in changed_users.values():
            self.emit_user(u)
        for w in changed_wechats.values():
            self.emit_wechat(w)

    def cross_link(self) -> None:
        """A new WeChat member whose unionid is mall account A's and whose mobile is POS card
        B's, A and B belonging to two members that were separate until now."""
        base_truth = resolve(self.rows, self.level - 1)
        usable = base_truth.usable_member_keys
        candidates_p = [
            p
            for p in self.persons
            if p.level < self.level
            and not p.frozen
            and all(c.mobile != pools.PLACEHOLDER_MOBILE for c in p.cards)
            and any(
                u.unionid == p.unionid
                and ("mall_user", u.key) in usable
                and usable[("mall_user", u.key)].get("unionid") == u.unionid
                for u in p.users
            )
        ]
        candidates_q = [
            q
            for q in self.persons
            if q.level < self.level
            and not q.frozen
            and all(c.mobile != pools.PLACEHOLDER_MOBILE for c in q.cards)
            and any(
                ("pos_member_card", c.key) in usable
                and usable[("pos_member_card", c.key)].get("mobile") == q.mobile
                for c in q.cards
            )
        ]
        # Prefer a person whose own WeChat record does not carry the unionid (the new member is
        # then the first WeChat record to hold it).
        candidates_p.sort(key=lambda p: any(w.unionid for w in p.wechats))
        for p in candidates_p:
            for q in candidates_q:
                if q is p:
                    continue
                p.frozen = q.frozen = True
                member = self.new_wechat(
                    p,
                    linked=True,
                    forced={
                        "unionid": p.unionid,
                        "mobile": q.mobile,
                        "nickname": "跨系统会员",
                        "ext_kind": None,
                        "points": 100,
                    },
                )
                self.cross_links.append(
                    {
                        "package_seq": str(self.level + 1),
                        "openid": member.key,
                        "unionid": p.unionid,
                        "mobile": q.mobile,
                        "unionid_person": p.pid,
                        "mobile_person": q.pid,
                    }
                )
                return

    # -- the written order and the loader's rejects ---------------------------------------------
    def finalize(self) -> None:
        r = self.r
        level_rows: dict[str, list[Row]] = {}
        styles = self.levels[self.level].styles
        for table in ALL_TABLES:
            primary = self.primary[table]
            n = len(primary)
            for i, row in enumerate(primary):
                row.sort = float(i)
            rows = list(primary)
            for row, anchor, frac in self.extras[table]:
                row.sort = anchor + 0.5 + frac * max(0, n - anchor - 1)
                rows.append(row)
            rows.sort(key=lambda row: row.sort)
            utf8 = styles[table].encoding.startswith("utf-8")
            for i, row in enumerate(rows):
                row.index = i
                hit = r.draw("loader", table)
                if row.pair:
                    continue
                if hit is not None:
                    row.loader = "wrong_field_count"
                    row.field_delta = choice(self.rng, (-1, 1))
                    row.notes.append(("", hit))
                elif (
                    utf8
                    and not "".join(row.values.values()).isascii()
                    and r.draw("loader_utf8", table) is not None
                ):
                    row.loader = "undecodable_bytes"
                    row.notes.append(("", "loader_damaged_utf8"))
            level_rows[table] = rows
        self.rows[self.level] = level_rows

    @staticmethod
    def encode(
        rows_by_table: dict[str, list[Row]], styles: dict[str, FileStyle]
    ) -> dict[str, bytes]:
        data: dict[str, bytes] = {}
        for table, rows in rows_by_table.items():
            style = styles[table]
            body_encoding = "utf-8" if style.encoding == "utf-8-sig" else style.encoding
            pieces: list[bytes] = []
            buffer: list[str] = []
            values_of = itemgetter(*style.columns)
            for row in rows:
                fields = list(values_of(row.values))
                if row.field_delta > 0:
                    fields.append("")
                elif row.field_delta < 0:
                    fields.pop()
                line = _csv_line(fields, style.quote_all) + style.newline
                if row.loader == "undecodable_bytes":
                    pieces.append("".join(buffer).encode(body_encoding))
                    buffer = []
                    pieces.append(_cut_character(line))
                else:
                    buffer.append(line)
            pieces.append("".join(buffer).encode(body_encoding))
            data[table] = b"".join(pieces)
        return data


def _csv_line(fields: list[str], quote_all: bool) -> str:
    """One RFC 4180 record: a field is quoted when it holds a comma, quote or line break (or
    always, in files written with every field quoted)."""
    if quote_all:
        return '"' + '","'.join([f.replace('"', '""') for f in fields]) + '"'
    line = ",".join(fields)
    if (
        '"' not in line
        and "\n" not in line
        and "\r" not in line
        and line.count(",") == len(fields) - 1
    ):
        return line
    return ",".join([_quote(f, False) for f in fields])


def _quote(value: str, quote_all: bool) -> str:
    if quote_all or "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _cut_character(line: str) -> bytes:
    """The record in UTF-8 with its first multi-byte character cut in half."""
    for i, ch in enumerate(line):
        if not ch.isascii():
            encoded = ch.encode("utf-8")
            return (
                line[:i].encode("utf-8")
                + encoded[: len(encoded) - 1]
                + line[i + 1 :].encode("utf-8")
            )
    raise ValueError("no multi-byte character to cut")
