"""Progress of a load: nothing, a callback, or a rich progress bar with rows per second.

The library never prints; a progress bar (on stderr, through rich) is the one exception the CLI
asks for with ``progress=True``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

Event = Literal["waiting", "started", "progress", "loaded", "skipped"]


@dataclass(frozen=True)
class LoadProgress:
    """One progress event: ``waiting`` (for another load's lock), then per file ``skipped``, or
    ``started``, ``progress`` (every few thousand records) and ``loaded``."""

    event: Event
    file_name: str = ""
    table: str = ""
    records: int = 0
    bytes_done: int = 0
    bytes_total: int = 0


ProgressCallback = Callable[[LoadProgress], None]


class _RowsPerSecondColumn(ProgressColumn):
    """Records read so far and the rate, from the task's ``records`` field."""

    def render(self, task: Task) -> Text:
        records = task.fields.get("records", 0)
        elapsed = task.finished_time if task.finished else task.elapsed
        rate = records / elapsed if elapsed else 0.0
        return Text(f"{records:,} rows, {rate:,.0f}/s", style="progress.data.speed")


class RichProgress:
    """A rich progress bar per file (bytes read), with rows and rows per second."""

    def __init__(self, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=20),
            DownloadColumn(),
            _RowsPerSecondColumn(),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def __call__(self, update: LoadProgress) -> None:
        if update.event == "waiting":
            self._progress.console.log("Another load is running: waiting for it to finish.")
            return
        task = self._tasks.get(update.file_name)
        if task is None:
            task = self._progress.add_task(
                update.file_name, total=update.bytes_total or None, records=0
            )
            self._tasks[update.file_name] = task
        if update.event == "skipped":
            self._progress.update(
                task,
                description=f"{update.file_name} (skipped)",
                completed=update.bytes_total,
                records=0,
            )
            self._progress.stop_task(task)
            return
        self._progress.update(task, completed=update.bytes_done, records=update.records)
        if update.event == "loaded":
            self._progress.stop_task(task)


class _Silent:
    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, update: LoadProgress) -> None:
        return None


class _Callback(_Silent):
    def __init__(self, callback: ProgressCallback) -> None:
        self._callback = callback

    def __call__(self, update: LoadProgress) -> None:
        self._callback(update)


def make_reporter(progress: bool | ProgressCallback) -> RichProgress | _Silent:
    """The reporter for ``load_package(progress=...)``: a context manager and a callable."""
    if callable(progress):
        return _Callback(progress)
    if progress:
        return RichProgress()
    return _Silent()
