"""Dirty forms: how one clean value is written, drawn from the decks of rates.py.

Every renderer appends ``(column, kind)`` to ``notes`` for each non-default form it writes, so
the corruptions file can say exactly what was done to which field.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from random import Random

from member_migration.generator import pools
from member_migration.generator.rates import deck_spec
from member_migration.generator.rules import BEIJING, id_check_char

Notes = list[tuple[str, str]]

MISSING_TEXT = {
    None: "",
    "missing_null_upper": "NULL",
    "missing_null_lower": "null",
    "missing_backslash_n": "\\N",
    "missing_na": "N/A",
}
_FULLWIDTH = str.maketrans({str(i): chr(0xFF10 + i) for i in range(10)})

#: Kinds of date-time forms that do not parse (never used where a recency must stay usable).
INVALID_TIME_KINDS = frozenset(
    {
        "dt_bad_hour",
        "dt_epoch_ms",
        "dt_epoch_9",
        "date_impossible",
        "date_zeros",
        "date_bad_format",
    }
)


def choice(rng: Random, seq):
    """``rng.choice`` without its slow integer path (we only need a fair, seeded pick)."""
    return seq[int(rng.random() * len(seq))]


def randint(rng: Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def randbelow(rng: Random, n: int) -> int:
    return int(rng.random() * n)


def _ymd_hms(t: datetime, sep: str) -> str:
    """``YYYY-MM-DD<sep>HH:MM:SS`` (``strftime`` is several times slower)."""
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}{sep}{t.hour:02d}:{t.minute:02d}:{t.second:02d}"


def fullwidth(text: str) -> str:
    return text.translate(_FULLWIDTH)


class Deck:
    """A stratified deck of cards (see rates.py): exact counts, dealt in random order."""

    __slots__ = ("_cards", "_counts", "_rng", "_size")

    def __init__(self, rng: Random, name: str) -> None:
        self._rng = rng
        self._size, self._counts = deck_spec(name)
        self._cards: list[str | None] = []

    def draw(self) -> str | None:
        cards = self._cards
        if not cards:
            self._deal()
            cards = self._cards
        return cards.pop()

    def _deal(self) -> None:
        size, rng = self._size, self._rng
        slots: list[str | None] = [None] * size
        for kind, n in self._counts.items():
            span = int(size * 0.4) if n <= 2 else size
            for j in range(n):
                pos = int((j + rng.random()) * span / n)
                while slots[pos] is not None:
                    pos = (pos + 1) % size
                slots[pos] = kind
        slots.reverse()  # pop() deals from the front
        self._cards = slots


class Renderer:
    """Writes values in dirty forms; one per package level and chunk (its own random stream)."""

    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self._decks: dict[str, Deck] = {}

    def draw(self, deck: str, scope: str = "") -> str | None:
        """The next card of ``deck``; a ``scope`` (a table name) gets its own deck, so that each
        file holds every kind of a shared deck (e.g. each file its rows without a key)."""
        d = self._decks.get(deck + scope)
        if d is None:
            d = self._decks[deck + scope] = Deck(self.rng, deck)
        cards = d._cards
        if cards:
            return cards.pop()
        return d.draw()

    # -- missing values -------------------------------------------------------------------------
    def missing(self, notes: Notes, column: str) -> str:
        kind = self.draw("missing_literal")
        if kind is not None:
            notes.append((column, kind))
        return MISSING_TEXT[kind]

    # -- identities -------------------------------------------------------------------------------
    def mobile(self, value: str, notes: Notes, column: str) -> str:
        kind = self.draw("mobile")
        if kind is None:
            return value
        notes.append((column, kind))
        if kind == "mobile_dashes":
            return f"{value[:3]}-{value[3:7]}-{value[7:]}"
        if kind == "mobile_plus86_spaces":
            return f"+86 {value[:3]} {value[3:7]} {value[7:]}"
        if kind == "mobile_prefix86":
            return "86" + value
        if kind == "mobile_prefix0086":
            return "0086 " + value
        if kind == "mobile_fullwidth":
            return fullwidth(value)
        if kind == "mobile_too_short":
            return value[:-1]
        if kind == "mobile_zeros":
            return "00000000000"
        return value[:3] + "a" + value[4:]  # mobile_letter

    def national_id(self, id18: str, notes: Notes, column: str) -> str:
        x_kind = self.draw("national_id_x") if id18[-1] == "X" else None
        kind = self.draw("national_id")
        if kind == "id_old15" and id18[6:8] != "19":
            kind = None  # only persons born before 2000 ever held a 15-digit ID
        if kind is None:
            if x_kind is not None:
                notes.append((column, x_kind))
                return id18[:-1] + "x"
            return id18
        notes.append((column, kind))
        if kind == "id_old15":
            return id18[:6] + id18[8:17]
        if kind == "id_bad_check":
            wrong = [c for c in "0123456789X" if c != id18[-1]]
            return id18[:17] + choice(self.rng, wrong)
        if kind == "id_bad_birth_date":
            bad_day = choice(self.rng, ("0230", "0431", "1301", "0000"))
            first17 = id18[:10] + bad_day + id18[14:17]
            return first17 + id_check_char(first17)
        return fullwidth(id18)  # id_fullwidth

    def email(self, value: str, notes: Notes, column: str) -> str:
        kind = self.draw("email")
        if kind is None:
            return value
        notes.append((column, kind))
        if kind == "email_mixed_case":
            local, _, domain = value.partition("@")
            parts = local.split(".")
            return ".".join(p[:1].upper() + p[1:] for p in parts) + "@" + domain.capitalize()
        local, _, domain = value.partition("@")
        return choice(
            self.rng,
            (f"{local}#{domain}", f"{local}@{domain.split('.')[0]}", f"{local} x@{domain}"),
        )

    def real_name(self, surname: str, given: str, notes: Notes, column: str) -> str:
        kind = self.draw("name")
        if kind is None:
            return surname + given
        notes.append((column, kind))
        sep = " " if kind == "name_inner_space" else "\u3000"
        return surname + sep + given

    def nickname(self, base: str, notes: Notes, column: str, wechat: bool = False) -> str:
        kind = self.draw("wechat_nickname" if wechat else "nickname")
        if kind is None:
            return base
        notes.append((column, kind))
        if kind == "nick_emoji":
            emoji = choice(self.rng, pools.EMOJI)
            return choice(self.rng, (emoji + base, base + emoji, emoji + base + emoji))
        return choice(self.rng, pools.QUOTING_NICKNAMES)

    # -- dates and times ------------------------------------------------------------------------
    def date(
        self, d: date, notes: Notes, column: str, birthday: bool = False, safe: bool = False
    ) -> str:
        if birthday and self.draw("birthday") is not None:
            notes.append((column, "birthday_out_of_range"))
            d = choice(
                self.rng,
                (
                    date(1899, d.month, min(d.day, 28)),
                    date(1880, 1, 1),
                    date(2031, d.month, min(d.day, 28)),
                ),
            )
        kind = self.draw("date")
        if safe and kind in INVALID_TIME_KINDS:
            kind = None
        if kind is None:
            return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
        notes.append((column, kind))
        y, m, dd = d.year, d.month, d.day
        if kind == "date_slash":
            return f"{y}/{m}/{dd}"
        if kind == "date_day_first":
            return f"{dd:02d}/{m:02d}/{y}"
        if kind == "date_compact":
            return f"{y}{m:02d}{dd:02d}"
        if kind == "date_cjk":
            return f"{y}年{m}月{dd}日"
        if kind == "date_fullwidth":
            return fullwidth(f"{y}-{m:02d}-{dd:02d}")
        if kind == "date_impossible":
            return choice(self.rng, (f"{y}-02-30", f"{y}-04-31", f"{y}-06-31", f"{y}-11-31"))
        if kind == "date_zeros":
            return "0000-00-00"
        return f"{y}.{m:02d}.{dd:02d}"  # date_bad_format

    def datetime(self, dt: datetime, notes: Notes, column: str, safe: bool = False) -> str:
        """A POS/WeChat/child date-time (``dt`` aware) in one of the mixed forms."""
        kind = self.draw("datetime")
        if safe and kind in INVALID_TIME_KINDS:
            kind = None
        local = dt.astimezone(BEIJING) if dt.tzinfo is not BEIJING else dt
        if kind is not None:
            notes.append((column, kind))
            if kind == "dt_epoch":
                return str(int(dt.timestamp()))
            if kind == "dt_iso_offset":
                return _ymd_hms(local, "T") + "+08:00"
            if kind == "dt_utc_z":
                return _ymd_hms(dt.astimezone(UTC), "T") + "Z"
            if kind == "dt_offset_compact":
                return _ymd_hms(local, " ") + "+0800"
            if kind == "dt_fraction":
                return _ymd_hms(local, " ") + f".{randbelow(self.rng, 1000):03d}"
            if kind == "dt_bad_hour":
                return f"{local.year:04d}-{local.month:02d}-{local.day:02d} 24:{local.minute:02d}"
            return str(int(dt.timestamp())) + f"{randbelow(self.rng, 1000):03d}"  # dt_epoch_ms
        day = self.date(local.date(), notes, column, safe=safe)
        part = self.draw("time_part")
        if part is not None:
            notes.append((column, part))
        if part == "time_none":
            return day
        if part == "time_hm":
            return f"{day} {local.hour}:{local.minute:02d}"
        return f"{day} {local.hour:02d}:{local.minute:02d}:{local.second:02d}"

    def mall_time(self, dt: datetime, notes: Notes, column: str, safe: bool = False) -> str:
        kind = self.draw("mall_time")
        if safe and kind in INVALID_TIME_KINDS:
            kind = None
        if kind is None:
            return str(int(dt.timestamp()))
        if kind == "dt_mixed":
            return self.datetime(dt, notes, column, safe=True)
        notes.append((column, kind))
        if kind == "dt_iso_offset":
            return _ymd_hms(dt.astimezone(BEIJING), "T") + "+08:00"
        if kind == "dt_epoch_ms":
            return str(int(dt.timestamp())) + f"{randbelow(self.rng, 1000):03d}"
        return str(int(dt.timestamp()))[:-1]  # dt_epoch_9

    def wechat_time(self, dt: datetime, notes: Notes, column: str) -> str:
        kind = self.draw("wechat_time")
        if kind is None:
            return str(int(dt.timestamp()))
        notes.append((column, kind))
        if kind == "dt_epoch_ms":
            return str(int(dt.timestamp())) + f"{randbelow(self.rng, 1000):03d}"
        return str(int(dt.timestamp()))[:-1]  # dt_epoch_9

    # -- numbers ----------------------------------------------------------------------------------
    def integer(self, value: int, notes: Notes, column: str, safe: bool = False) -> str:
        kind = self.draw("integer_big" if abs(value) >= 1000 else "integer")
        if safe and kind in ("int_corrupt", "int_fraction", "int_missing"):
            kind = None
        if kind is None:
            return str(value)
        notes.append((column, kind))
        if kind == "int_thousands":
            return f"{value:,}"
        if kind == "int_decimal_zero":
            return f"{value}.0"
        if kind == "int_fullwidth":
            return fullwidth(str(value))
        if kind == "int_corrupt":
            return choice(self.rng, ("abc", "12a3", "#VALUE!", "1..2"))
        if kind == "int_fraction":
            return f"{value}.5"
        return self.missing(notes, column)  # int_missing

    def money(self, cents: int, notes: Notes, column: str, safe: bool = False) -> str:
        kind = self.draw("money_big" if abs(cents) >= 100_000 else "money")
        if safe and kind in ("money_three_decimals", "money_corrupt", "money_missing"):
            kind = None
        whole, frac = divmod(abs(cents), 100)
        sign = "-" if cents < 0 else ""
        plain = f"{whole}.{frac:02d}"
        if kind is None:
            if cents == 0:
                return choice(self.rng, ("0", "0.00"))
            return sign + plain
        notes.append((column, kind))
        if kind in ("money_yuan", "money_fullwidth_yuan"):
            yuan = "¥" if kind == "money_yuan" else "￥"
            if not sign:
                return yuan + plain
            if self.draw("money_sign") is not None:
                notes.append((column, "sign_after_yuan"))
                return f"{yuan}-{plain}"
            return f"-{yuan}{plain}"
        if kind == "money_short":
            short = str(whole) if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")
            return sign + short
        if kind == "money_thousands":
            return f"{sign}{whole:,}.{frac:02d}"
        if kind == "money_three_decimals":
            return f"{sign}{plain}{randint(self.rng, 1, 9)}"
        if kind == "money_corrupt":
            return choice(self.rng, (f"{whole}元", "abc", f"{whole}.{frac:02d}.00", "¥¥5"))
        return self.missing(notes, column)  # money_missing

    # -- codes ------------------------------------------------------------------------------------
    def code(
        self,
        value: str,
        deck: str,
        notes: Notes,
        column: str,
        *,
        lower: str | None = None,
        unmapped: tuple[str, ...] = (),
    ) -> str:
        """A code in its deck's forms: ``*_lower``/``code_case`` change the case, ``*_unmapped``
        writes a value no mapping knows, ``tier_padded`` adds spaces."""
        kind = self.draw(deck)
        if kind is None:
            return value
        if kind.endswith("_unmapped") or kind == "status_invalid":
            if not unmapped:
                return value
            notes.append((column, kind))
            return choice(self.rng, unmapped)
        notes.append((column, kind))
        if kind == "status_missing":
            return self.missing(notes, column)
        if kind == "tier_padded":
            return choice(self.rng, (" " + value, value + " ", "\u3000" + value, " " + value + " "))
        if kind == "code_case":
            return value.upper() if value.islower() else value.lower()
        return lower if lower is not None else value.lower()

    def pad(self, value: str, kind: str) -> str:
        rng = self.rng
        if kind == "pad_ascii_space":
            return choice(rng, (" " + value, value + " ", "  " + value + "  ", "\t" + value))
        if kind == "pad_ideographic_space":
            return choice(rng, ("\u3000" + value, value + "\u3000", "\u3000" + value + "\u3000"))
        return choice(rng, ("\u00a0" + value, value + "\u00a0"))
