"""The PostgreSQL server the benchmark runs on, a fresh database per size, and its memory.

By default the benchmark starts its own embedded warehouse (data under ``.bench/warehouse``,
a free port), so nothing else shares the server while it measures, and destroys it at the end.
With ``PGHOST`` set it uses that server instead (the connection rule of mart-contract.md) and
creates a new database per size, dropped afterwards.

The server's memory is not in a client's ``ru_maxrss``. When the server runs on this machine
and its processes are readable (the embedded one always is), ``ServerMemorySampler`` adds up the
proportional set size (PSS: shared pages divided among the processes sharing them, so shared
buffers count once) of the postmaster and its children a few times a second and keeps the peak.

On a compressing file system (btrfs mounted with ``compress`` or ``compress-force``, as
``scripts/bench_volume.sh`` sets up for a size that does not fit on the disk otherwise), the
embedded server is told to extend its files by writing zeros (``file_extend_method =
write_zeros``, PostgreSQL 18) instead of ``posix_fallocate``: btrfs never compresses what is
written into preallocated extents, so a 10-million-person build wrote its tables uncompressed.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from member_migration import config
from member_migration.warehouse import EmbeddedWarehouse, ensure_database, ensure_roles
from member_migration.warehouse.embedded import free_port

_logger = logging.getLogger(__name__)

#: Server settings worth knowing when reading the figures.
REPORTED_SETTINGS = (
    "shared_buffers",
    "work_mem",
    "maintenance_work_mem",
    "max_parallel_workers_per_gather",
    "fsync",
    "synchronous_commit",
    "wal_level",
    "jit",
    "file_extend_method",
)


@dataclass
class BenchServer:
    """A server to benchmark on; ``settings`` points at its maintenance database."""

    kind: str  # "embedded" or "external"
    settings: config.ConnectionSettings
    embedded: EmbeddedWarehouse | None = None
    postmaster_pid: int | None = None
    version: str = ""
    server_settings: dict[str, str] = field(default_factory=dict)

    def database(self, dbname: str) -> config.ConnectionSettings:
        s = self.settings
        return config.ConnectionSettings(s.host, s.port, s.user, s.password, dbname)

    def describe(self) -> dict:
        return {
            "kind": self.kind,
            "url": self.settings.url(),
            "version": self.version,
            "settings": self.server_settings,
            "memory_sampled": self.postmaster_pid is not None,
        }


def mount_of(path: Path, mounts_text: str) -> tuple[str, str, frozenset[str]]:
    """The mount holding ``path``: its mount point, file system type and options.

    ``mounts_text`` is ``/proc/self/mounts`` (``device mountpoint type options dump pass``, with
    spaces in paths written ``\\040``); the mount is the longest mount point above ``path``,
    taken as given (the caller resolves symbolic links).
    """
    target = str(path)
    best = ("/", "", frozenset[str]())
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best[0]):
            best = (point, fields[2], frozenset(fields[3].split(",")))
    return best


def compresses_written_data(fstype: str, options: frozenset[str]) -> bool:
    """Whether a file system compresses what is written but not preallocated extents (btrfs)."""
    return fstype == "btrfs" and any(
        option == "compress" or option.startswith(("compress=", "compress-force"))
        for option in options
    )


def _extend_by_writing(embedded: EmbeddedWarehouse, conninfo: str) -> None:
    """On a compressing file system, have the server extend its files by writing zeros."""
    try:
        mounts_text = Path("/proc/self/mounts").read_text(encoding="utf-8")
    except OSError:
        return
    point, fstype, options = mount_of(embedded.data_dir.resolve(), mounts_text)
    if not compresses_written_data(fstype, options):
        return
    with psycopg.connect(conninfo, autocommit=True) as conn:
        known = conn.execute(
            "select 1 from pg_settings where name = 'file_extend_method'"
        ).fetchone()
        if known is None:
            _logger.warning(
                "%s is a compressing %s volume, but this PostgreSQL extends its files with "
                "posix_fallocate and has no file_extend_method (PostgreSQL 18): the tables "
                "will be written uncompressed",
                point,
                fstype,
            )
            return
        conn.execute("alter system set file_extend_method = 'write_zeros'")
        conn.execute("select pg_reload_conf()")
        for _ in range(50):  # the reload is asynchronous: wait until new sessions see it
            with psycopg.connect(conninfo, autocommit=True) as fresh:
                if fresh.execute("show file_extend_method").fetchone()[0] == "write_zeros":
                    break
            time.sleep(0.1)
        else:
            _logger.warning(
                "%s is a compressing %s volume, but the server did not take "
                "file_extend_method = write_zeros within 5 s: the tables may be written "
                "uncompressed",
                point,
                fstype,
            )
            return
    _logger.warning(
        "%s is a compressing %s volume: the server extends its files by writing zeros "
        "(file_extend_method = write_zeros), so that they are compressed",
        point,
        fstype,
    )


def _is_local_host(host: str) -> bool:
    return host in {"127.0.0.1", "localhost", "::1"} or host.startswith("/")


def _ppid(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("PPid:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _local_postmaster(conninfo: str, host: str) -> int | None:
    """The postmaster's pid when the server runs here and /proc shows it, else None."""
    if not _is_local_host(host):
        return None
    with psycopg.connect(conninfo, autocommit=True) as conn:
        backend = conn.execute("select pg_backend_pid()").fetchone()[0]
        try:
            cmdline = Path(f"/proc/{backend}/cmdline").read_bytes()
        except OSError:
            return None
        if b"postgres" not in cmdline:
            return None
        return _ppid(backend)


def _describe_server(conninfo: str) -> tuple[str, dict[str, str]]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        version = conn.execute("show server_version").fetchone()[0]
        rows = conn.execute(
            "select name, current_setting(name) from pg_settings "
            "where name = any(%s) order by name",
            (list(REPORTED_SETTINGS),),
        ).fetchall()
    return version, dict(rows)


@contextlib.contextmanager
def bench_server(bench_root: Path, *, keep: bool = False) -> Iterator[BenchServer]:
    """The benchmark's server: ``PGHOST``'s when set, else a fresh embedded warehouse."""
    if config.uses_external_server():
        base = config.connection_settings()
        settings = config.ConnectionSettings(
            base.host, base.port, base.user, base.password, "postgres"
        )
        server = BenchServer("external", settings)
        server.postmaster_pid = _local_postmaster(settings.conninfo(), settings.host)
        server.version, server.server_settings = _describe_server(settings.conninfo())
        yield server
        return
    data_dir = Path(bench_root) / "warehouse"
    leftover = EmbeddedWarehouse(data_dir, free_port())
    if data_dir.exists():
        # a run that was killed left its server behind: it is ours, start again from scratch
        leftover.destroy()
    embedded = EmbeddedWarehouse(data_dir, free_port())
    embedded.start()
    try:
        settings = embedded.settings("postgres")
        _extend_by_writing(embedded, settings.conninfo())
        server = BenchServer("embedded", settings, embedded, embedded.pid())
        server.version, server.server_settings = _describe_server(settings.conninfo())
        yield server
    finally:
        if keep:
            _logger.warning("keeping the benchmark warehouse: %s", embedded.settings().url())
        else:
            embedded.destroy()


@contextlib.contextmanager
def fresh_database(server: BenchServer, persons: int, *, keep: bool = False) -> Iterator[str]:
    """A new database on the server (its name), dropped at the end unless ``keep``."""
    name = f"mm_bench_{persons}_{secrets.token_hex(3)}"
    ensure_database(server.settings.conninfo(), name)
    try:
        try:
            ensure_roles(server.database(name).conninfo())
        except psycopg.Error as exc:  # another server: its operator creates the roles
            _logger.warning("could not create the contract's roles: %s", exc)
        yield name
    finally:
        if keep:
            _logger.warning("keeping database %s", server.database(name).url())
        else:
            with psycopg.connect(server.settings.conninfo(), autocommit=True) as conn:
                conn.execute(
                    sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
                )


def _server_pss_kb(postmaster_pid: int) -> int:
    """PSS of the postmaster and its children, in kB (0 when unreadable)."""
    pids = [postmaster_pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _ppid(int(entry.name)) == postmaster_pid:
            pids.append(int(entry.name))
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except (OSError, ValueError):
            continue
    return total


#: the share of one core the memory sampler may take: a PSS reading walks the page tables of
#: every server process, 0.19 CPU-seconds at a time in a 10-million-person build
SAMPLER_CPU_BUDGET = 0.02


def sampler_wait(interval: float, sample_cpu_seconds: float, budget: float) -> float:
    """Seconds to wait before the next sample: ``interval``, or longer when a sample costs so
    much CPU that sampling every ``interval`` would take more than ``budget`` of a core."""
    return max(interval, sample_cpu_seconds / budget - sample_cpu_seconds)


class ServerMemorySampler:
    """Peak PSS of the server's processes while the ``with`` block runs (None: not sampled).

    It samples every ``interval`` seconds, less often when a sample is expensive, so that it
    never takes more than ``SAMPLER_CPU_BUDGET`` of a core from the run it measures (at 10
    million persons it took 21% of a core at a fixed 0.25 s).
    """

    def __init__(self, postmaster_pid: int | None, interval: float = 0.25) -> None:
        self.postmaster_pid = postmaster_pid
        self.interval = interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        assert self.postmaster_pid is not None
        while True:
            started = time.thread_time()
            self.peak_kb = max(self.peak_kb, _server_pss_kb(self.postmaster_pid))
            cost = time.thread_time() - started
            if self._stop.wait(sampler_wait(self.interval, cost, SAMPLER_CPU_BUDGET)):
                break

    def __enter__(self) -> ServerMemorySampler:
        if self.postmaster_pid is not None:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self.peak_kb = max(self.peak_kb, _server_pss_kb(self.postmaster_pid or 0))

    @property
    def peak_mb(self) -> float | None:
        return None if self._thread is None else self.peak_kb / 1024
