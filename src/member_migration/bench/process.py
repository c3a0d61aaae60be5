"""Run one phase of the benchmark as a child process and measure it.

Each phase (load, dbt, the peer) runs in its own process so that its peak memory is its own:
``os.wait4`` returns the resource usage of exactly that child (and of the processes it waited
for), which ``getrusage(RUSAGE_CHILDREN)`` cannot give once several children have run (it keeps
the maximum over all of them, not a per-child value). The database server's memory is not in
these figures: see ``server.ServerMemorySampler``.

The share of the machine's CPU time that was busy while the phase ran (all processes, the
server's included, from ``/proc/stat``) tells whether a phase is bound by the cores (near 1:
only less work makes it faster) or by its own critical path (well below 1: more of it could run
side by side).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    """Wall-clock seconds, peak resident memory and exit code of one child process, and the
    machine's busy CPU share meanwhile (None where ``/proc/stat`` cannot be read)."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    log_path: Path
    cpu_busy_share: float | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the child's output, for error messages."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _cpu_times() -> tuple[int, int] | None:
    """(busy, total) clock ticks of all CPUs since boot, from the first line of /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal (guest time is already in user and nice)
    ticks = fields[:8]
    if len(ticks) < 5:
        return None
    idle = ticks[3] + ticks[4]
    return sum(ticks) - idle, sum(ticks)


def busy_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """The share of CPU time that was busy between two ``_cpu_times`` readings."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return round((after[0] - before[0]) / (after[1] - before[1]), 3)


def run_measured(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log_path: Path,
) -> Measured:
    """Run ``argv`` to completion, its output (stdout and stderr) to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        cpu_before = _cpu_times()
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), env=dict(env), cwd=cwd, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        seconds = time.perf_counter() - started
        cpu_after = _cpu_times()
    returncode = os.waitstatus_to_exitcode(status)
    proc.returncode = returncode  # reaped by wait4: keep Popen from waiting again
    # Linux reports ru_maxrss in kilobytes.
    return Measured(
        seconds, usage.ru_maxrss / 1024, returncode, log_path, busy_share(cpu_before, cpu_after)
    )
