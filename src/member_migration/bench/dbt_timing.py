"""What a ``dbt build`` spent its time on, read from its ``run_results.json``.

dbt runs nodes on several threads and interleaves tests with the models they test, so the sum
of node times is not wall-clock time. Per resource type (model, test, seed, snapshot, unit
test, hook) this reports both the node-seconds (the sum of each node's execution time: the work
done) and the busy seconds (the wall-clock time during which at least one node of that type
was running: what the type adds to the build when nothing else runs beside it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})


@dataclass(frozen=True)
class NodeTiming:
    unique_id: str
    resource_type: str
    name: str
    status: str
    seconds: float
    started_at: datetime | None
    completed_at: datetime | None
    message: str | None = None

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


@dataclass(frozen=True)
class TypeTiming:
    resource_type: str
    nodes: int
    node_seconds: float
    busy_seconds: float
    failed: int


def resource_type_of(unique_id: str) -> str:
    """``model.member_migration.dim_members`` -> ``model``; hooks are ``operation``."""
    return unique_id.split(".", 1)[0]


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def read_run_results(path: Path) -> list[NodeTiming]:
    """One ``NodeTiming`` per result of a dbt invocation."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    nodes = []
    for result in data.get("results", []):
        unique_id = result["unique_id"]
        starts = [_parse_time(t.get("started_at")) for t in result.get("timing", [])]
        ends = [_parse_time(t.get("completed_at")) for t in result.get("timing", [])]
        starts = [s for s in starts if s is not None]
        ends = [e for e in ends if e is not None]
        nodes.append(
            NodeTiming(
                unique_id=unique_id,
                resource_type=resource_type_of(unique_id),
                name=unique_id.split(".")[-1] if "." in unique_id else unique_id,
                status=str(result.get("status")),
                seconds=float(result.get("execution_time") or 0.0),
                started_at=min(starts) if starts else None,
                completed_at=max(ends) if ends else None,
                message=result.get("message"),
            )
        )
    return nodes


def busy_seconds(intervals: list[tuple[datetime, datetime]]) -> float:
    """Length of the union of time intervals, in seconds."""
    total = 0.0
    current_start: datetime | None = None
    current_end: datetime | None = None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += (current_end - current_start).total_seconds()
            current_start, current_end = start, end
        elif end > current_end:
            current_end = end
    if current_end is not None and current_start is not None:
        total += (current_end - current_start).total_seconds()
    return total


def timings_by_type(nodes: list[NodeTiming]) -> dict[str, TypeTiming]:
    """Node-seconds and busy seconds of each resource type, in a stable order."""
    by_type: dict[str, list[NodeTiming]] = {}
    for node in nodes:
        by_type.setdefault(node.resource_type, []).append(node)
    result = {}
    for resource_type in sorted(by_type):
        group = by_type[resource_type]
        intervals = [
            (n.started_at, n.completed_at)
            for n in group
            if n.started_at is not None and n.completed_at is not None
        ]
        result[resource_type] = TypeTiming(
            resource_type=resource_type,
            nodes=len(group),
            node_seconds=sum(n.seconds for n in group),
            busy_seconds=busy_seconds(intervals),
            failed=sum(1 for n in group if n.failed),
        )
    return result


def all_busy_seconds(nodes: list[NodeTiming]) -> float:
    """Wall-clock time during which any node ran (the rest of a build is dbt's own work:
    starting, parsing, connecting)."""
    return busy_seconds(
        [
            (n.started_at, n.completed_at)
            for n in nodes
            if n.started_at is not None and n.completed_at is not None
        ]
    )


def slowest(
    nodes: list[NodeTiming], count: int = 10, resource_types: frozenset[str] | None = None
) -> list[NodeTiming]:
    """The ``count`` slowest nodes (of the given resource types), slowest first."""
    chosen = [n for n in nodes if resource_types is None or n.resource_type in resource_types]
    return sorted(chosen, key=lambda n: (-n.seconds, n.unique_id))[:count]
