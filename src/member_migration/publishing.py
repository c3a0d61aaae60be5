"""Roll back a publish, and read the publish log (README "Publishing").

The publish itself happens at the end of ``dbt build`` (on-run-end hook
``publish_if_verified``). The swap of schemas, for a publish and for a rollback, is one
PL/pgSQL function, ``audit.swap_published_schemas``, which the build's on-run-start hook
creates (macros/publishing/publishing_objects.sql): the build and this module share one
implementation, and each swap is one transaction recorded in ``audit.publish_events``.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass
from datetime import datetime

import psycopg

#: The swap function's signature, as ``to_regprocedure`` wants it.
SWAP_FUNCTION = "audit.swap_published_schemas(text, text, text, text, jsonb, double precision)"

APPLICATION_NAME = "member-migration rollback"


class PublishingError(RuntimeError):
    """The warehouse could not be asked (connection, permissions); the message says what to do."""


@dataclass(frozen=True)
class SwapOutcome:
    """What a rollback did: ``done`` is False when it was refused, ``message`` says why."""

    done: bool
    message: str


@dataclass(frozen=True)
class PublishEvent:
    """One row of ``audit.publish_events``."""

    event_id: int
    action: str
    occurred_at: datetime
    database_user: str
    os_user: str | None
    command: str
    invocation_id: str | None
    tables: list[str]
    reasons: list[str]
    detail: dict


def os_user() -> str | None:
    """The operating-system user running this process, when it can be known."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def rollback(conninfo: str, *, lock_wait_seconds: float = 120) -> SwapOutcome:
    """Bring the previous published version back (``marts`` <-> ``marts_previous``, same for pii).

    One transaction; readers see the old or the restored version, never a mix. Refused (and
    recorded) when there is no previous version or when the last change was already a rollback.
    """
    try:
        with psycopg.connect(conninfo, autocommit=True, application_name=APPLICATION_NAME) as conn:
            exists = conn.execute("select to_regprocedure(%s)", (SWAP_FUNCTION,)).fetchone()[0]
            if exists is None:
                return SwapOutcome(
                    False,
                    "refused: nothing was ever published in this database (no "
                    "audit.swap_published_schemas): there is nothing to roll back",
                )
            message = conn.execute(
                "select audit.swap_published_schemas('rollback', %s, %s, null, %s::jsonb, %s)",
                (
                    "member-migration rollback",
                    os_user(),
                    json.dumps({"tool": "member-migration"}),
                    lock_wait_seconds,
                ),
            ).fetchone()[0]
    except psycopg.Error as exc:
        raise PublishingError(f"The rollback failed: {str(exc).strip()}") from exc
    return SwapOutcome(not message.startswith("refused"), message)


def publish_events(conninfo: str, limit: int = 20) -> list[PublishEvent]:
    """The latest ``limit`` publish events, newest first (empty before the first build)."""
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            if conn.execute("select to_regclass('audit.publish_events')").fetchone()[0] is None:
                return []
            rows = conn.execute(
                "select event_id, action, occurred_at, database_user, os_user, command, "
                "invocation_id, coalesce(tables, '{}'), coalesce(reasons, '{}'), "
                "coalesce(detail, '{}') "
                "from audit.publish_events order by event_id desc limit %s",
                (limit,),
            ).fetchall()
    except psycopg.Error as exc:
        raise PublishingError(f"Cannot read audit.publish_events: {str(exc).strip()}") from exc
    return [PublishEvent(*row) for row in rows]
