"""Run one phase of the benchmark as a child process and measure it.

Each phase (load, dbt, the peer) runs in its own process so that its peak memory is its own:
``os.wait4`` returns the resource usage of exactly that child (and of the processes it waited
for), which ``getrusage(RUSAGE_CHILDREN)`` cannot give once several children have run (it keeps
the maximum over all of them, not a per-child value). The database server's memory is not in
these figures: see ``server.ServerMemorySampler``.
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
    """Wall-clock seconds, peak resident memory and exit code of one child process."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    log_path: Path

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
    returncode = os.waitstatus_to_exitcode(status)
    proc.returncode = returncode  # reaped by wait4: keep Popen from waiting again
    # Linux reports ru_maxrss in kilobytes.
    return Measured(seconds, usage.ru_maxrss / 1024, returncode, log_path)
