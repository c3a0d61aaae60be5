"""Erasure of a person on request (PIPL Art. 47): ``member-migration erase``.

``erase`` (in ``core.py``) removes the person's legacy rows from ``raw``, the snapshots and
every built table in one transaction, leaves salted tombstones (``tombstones.py``) so that a
reload does not bring the rows back, and records the request in ``audit`` without the clear
identifier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from member_migration.erasure.core import ErasureError, ErasureResult, erase

__all__ = ["ErasureError", "ErasureResult", "erase"]


def __getattr__(name: str):
    # Imported lazily: the loader imports erasure.tombstones, and core.py imports the loader.
    if name in __all__:
        import importlib

        return getattr(importlib.import_module("member_migration.erasure.core"), name)
    raise AttributeError(name)
