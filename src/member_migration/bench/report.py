"""The benchmark's figures as tables (rich renderables for the CLI to print)."""

from __future__ import annotations

from rich.table import Table

from member_migration.bench.run import BenchReport


def _num(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}×"


def _gigabytes(value: int | None) -> str:
    return "-" if value is None else f"{value / 1024**3:,.2f}"


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}"


def _flag(value: bool | None) -> str:
    return {True: "yes", False: "NO", None: "-"}[value]


def _tests_busy(size: dict) -> float | None:
    by_type = size.get("dbt_build", {}).get("by_resource_type", {})
    busy = [by_type[t]["busy_seconds"] for t in ("test", "unit_test") if t in by_type]
    return sum(busy) if busy else None


#: the rows of the summary table: label and how to read it from one size's result
_SUMMARY_ROWS = (
    ("rows (legacy records read)", lambda s: _num(s.get("rows", {}).get("read"))),
    ("load s", lambda s: _num(s["phases"].get("load", {}).get("seconds"))),
    ("dbt parse s (not in total)", lambda s: _num(s["phases"].get("dbt_parse", {}).get("seconds"))),
    ("dbt build s", lambda s: _num(s["phases"].get("dbt_build", {}).get("seconds"))),
    (
        "  models busy s",
        lambda s: _num(
            s.get("dbt_build", {}).get("by_resource_type", {}).get("model", {}).get("busy_seconds")
        ),
    ),
    ("  tests busy s", lambda s: _num(_tests_busy(s))),
    (
        "  CPU busy % (machine)",
        lambda s: _percent(s["phases"].get("dbt_build", {}).get("cpu_busy_share")),
    ),
    ("load + build s", lambda s: _num(s.get("summary", {}).get("pipeline_seconds"))),
    ("rows/s", lambda s: _num(s.get("summary", {}).get("rows_per_second"), 0)),
    ("floor s (COPY + CTAS)", lambda s: _num(s.get("summary", {}).get("floor_seconds"))),
    ("× floor", lambda s: _times(s.get("summary", {}).get("floor_multiple"))),
    ("identity resolution s", lambda s: _num(s.get("summary", {}).get("identity_seconds"))),
    ("peer (Splink) s", lambda s: _num(s.get("summary", {}).get("peer_seconds"))),
    ("× peer", lambda s: _times(s.get("summary", {}).get("peer_multiple"))),
    ("same clusters as peer", lambda s: _flag(s.get("summary", {}).get("clusters_agree"))),
    ("database after build GB", lambda s: _gigabytes(s.get("database_size", {}).get("bytes"))),
    (
        "  of which intermediate GB",
        lambda s: _gigabytes(
            s.get("database_size", {}).get("by_schema_bytes", {}).get("intermediate")
        ),
    ),
)


def summary_table(report: BenchReport) -> Table:
    """One column per size: rows, seconds per phase, rows/s, × floor, × peer."""
    table = Table(title="member_migration benchmark")
    table.add_column("persons")
    for size in report.sizes:
        table.add_column(_num(size["persons"]), justify="right")
    for label, read in _SUMMARY_ROWS:
        table.add_row(label, *[read(size) for size in report.sizes])
    return table


def memory_table(report: BenchReport) -> Table:
    """Peak memory of each phase's process, and of the server while it ran (MB)."""
    table = Table(title="peak memory (MB): process / server")
    table.add_column("persons", justify="right")
    names = []
    for size in report.sizes:
        names += [n for n in size["phases"] if n not in names]
    for name in names:
        table.add_column(name, justify="right")
    for size in report.sizes:
        cells = []
        for name in names:
            phase = size["phases"].get(name)
            if phase is None:
                cells.append("-")
            else:
                process_mb = _num(phase["peak_rss_mb"], 0)
                cells.append(f"{process_mb} / {_num(phase['server_peak_mb'], 0)}")
        table.add_row(_num(size["persons"]), *cells)
    return table


def slowest_table(size: dict) -> Table | None:
    """The slowest ten models (and five tests) of one size's dbt build."""
    build = size.get("dbt_build")
    if not build:
        return None
    table = Table(title=f"slowest nodes of dbt build, {size['persons']:,} persons")
    table.add_column("node")
    table.add_column("type")
    table.add_column("status")
    table.add_column("seconds", justify="right")
    for node in [*build["slowest_models"], *build["slowest_tests"]]:
        table.add_row(
            node["unique_id"].split(".", 2)[-1],
            node["resource_type"],
            node["status"],
            _num(node["seconds"], 2),
        )
    return table


def explain_table(size: dict) -> Table | None:
    """The plan nodes that took the most time in each explained model."""
    explained = size.get("explain")
    if not explained:
        return None
    table = Table(title=f"EXPLAIN ANALYZE of the slowest models, {size['persons']:,} persons")
    for header in ("model", "ms", "plan node", "relation", "own ms", "rows", "detail"):
        table.add_column(header, justify="right" if header in {"ms", "own ms", "rows"} else "left")
    for model, summary in explained.items():
        if "error" in summary:
            table.add_row(model, "-", "error", "", "", "", summary["error"].splitlines()[0])
            continue
        for i, node in enumerate(summary["heaviest_nodes"][:3]):
            table.add_row(
                model if i == 0 else "",
                _num(summary["execution_ms"], 0) if i == 0 else "",
                node["node"],
                node["relation"] or "",
                _num(node["self_ms"], 0),
                _num(node["rows"]),
                node["detail"][:80],
            )
    return table


def targets_lines(report: BenchReport) -> list[str]:
    """One line per size and target, met or not (reported, never asserted)."""
    lines = []
    for size in report.sizes:
        summary = size.get("summary", {})
        targets = summary.get("targets", {})
        persons = f"{size['persons']:,}"
        if targets.get("pipeline_within_5_minutes") is not None:
            lines.append(
                f"{persons}: load + build {_num(summary['pipeline_seconds'])} s, target ≤ 300 s: "
                f"{_flag(targets['pipeline_within_5_minutes'])}"
            )
        if targets.get("within_4x_floor") is not None:
            lines.append(
                f"{persons}: {_times(summary['floor_multiple'])} the floor, target ≤ 4×: "
                f"{_flag(targets['within_4x_floor'])}"
            )
        if targets.get("identity_faster_than_peer") is not None:
            lines.append(
                f"{persons}: identity resolution {_num(summary['identity_seconds'])} s vs "
                f"Splink {_num(summary['peer_seconds'])} s, target faster: "
                f"{_flag(targets['identity_faster_than_peer'])}"
            )
        for error in size["errors"]:
            lines.append(f"{persons}: error: {error.splitlines()[0]}")
    return lines


def print_report(report: BenchReport, console) -> None:
    """Print every table and the targets to a rich ``Console``."""
    console.print(summary_table(report))
    console.print(memory_table(report))
    for size in report.sizes:
        for table in (slowest_table(size), explain_table(size)):
            if table is not None:
                console.print(table)
    for line in targets_lines(report):
        console.print(line, markup=False, soft_wrap=True)
    if report.json_path is not None:
        console.print(f"JSON: {report.json_path}", soft_wrap=True)
