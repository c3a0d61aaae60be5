"""Identities that are unique by construction: mobiles, national IDs, unionids, openids.

A person's match keys must never collide with another person's by accident, or the ground
truth's persons would silently merge. So mobiles and IDs are bijections of the person number
(affine permutations whose parameters come from the seed), and the opaque WeChat ids are
hashes of the person or record number.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date, timedelta
from math import gcd
from random import Random

from member_migration.generator.pools import MOBILE_PREFIXES
from member_migration.generator.rules import id_check_char

_MOBILE_BLOCK = 10**8 - 1  # the eight digits after the prefix, never all zero
_MOBILE_SPACE = len(MOBILE_PREFIXES) * _MOBILE_BLOCK
#: Mobile slots at and above this number are the new numbers a delta gives to existing persons.
NEW_MOBILE_SLOTS = 1_000_000_000

_BIRTH_FIRST = date(1950, 1, 1)
_BIRTH_DAYS = (date(2008, 12, 31) - _BIRTH_FIRST).days + 1
_ID_SPACE = _BIRTH_DAYS * 500  # (birth day, sequence pair) pairs
MAX_PERSONS = _ID_SPACE


def derive_seed(*parts: object) -> int:
    """A 64-bit seed from any parts, stable across processes and Python versions."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _affine(space: int, rng: Random) -> tuple[int, int]:
    while True:
        a = rng.randrange(space // 3, space)
        if gcd(a, space) == 1:
            return a, rng.randrange(space)


class Identities:
    """The identity space of one package family (a full export and its deltas)."""

    def __init__(self, root_seed: int) -> None:
        rng = Random(derive_seed(root_seed, "identities"))
        self.root_seed = root_seed
        self._mobile_a, self._mobile_b = _affine(_MOBILE_SPACE, rng)
        self._id_a, self._id_b = _affine(_ID_SPACE, rng)

    def mobile(self, slot: int) -> str:
        """The mobile of a slot; distinct slots give distinct valid mobiles."""
        x = (self._mobile_a * slot + self._mobile_b) % _MOBILE_SPACE
        prefix = MOBILE_PREFIXES[x // _MOBILE_BLOCK]
        return f"{prefix}{x % _MOBILE_BLOCK + 1:08d}"

    def birth_and_sequence(self, person: int) -> tuple[date, int]:
        """A birth date and a sequence pair (0-499) that no other person shares."""
        if not 0 <= person < _ID_SPACE:
            raise ValueError(f"at most {_ID_SPACE:,} persons per package family")
        x = (self._id_a * person + self._id_b) % _ID_SPACE
        return _BIRTH_FIRST + timedelta(days=x % _BIRTH_DAYS), x // _BIRTH_DAYS

    @staticmethod
    def national_id(region_code: str, born: date, pair: int, male: bool) -> str:
        """A valid 18-character ID (GB 11643); the 17th digit is odd for men, even for women."""
        sequence = pair * 2 + (1 if male else 0)
        first17 = f"{region_code}{born:%Y%m%d}{sequence:03d}"
        return first17 + id_check_char(first17)

    def unionid(self, person: int) -> str:
        return "o6_" + self._token("unionid", person, 26)

    def openid(self, number: int) -> str:
        return "o" + self._token("openid", number, 27)

    def _token(self, kind: str, number: int, length: int) -> str:
        digest = hashlib.blake2b(f"{self.root_seed}:{kind}:{number}".encode(), digest_size=24)
        return base64.urlsafe_b64encode(digest.digest()).decode()[:length]
