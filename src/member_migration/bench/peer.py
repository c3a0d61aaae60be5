"""The peer comparison: Splink against the project's identity resolution, on the same records.

``export_member_records`` writes what both sides read (the records of
``intermediate.int_member_records`` with their four match keys); ``run_peer`` runs
``splink_peer`` in a child process; ``project_clusters`` and ``peer_clusters`` read the two
clusterings back for ``clusters.compare_partitions``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg

from member_migration.bench.clusters import read_pairs
from member_migration.bench.process import Measured, run_measured

#: what the project's matching reads, and what it writes (record -> member)
RECORDS_RELATION = "intermediate.int_member_records"
MATCHED_RELATION = "intermediate.int_member_records_matched"


@dataclass(frozen=True)
class PeerRun:
    measured: Measured
    result: dict | None  # splink_peer's JSON; None when it failed


def peer_available() -> bool:
    """True when Splink and DuckDB are installed (the ``bench`` extra)."""
    return all(importlib.util.find_spec(m) is not None for m in ("splink", "duckdb"))


def export_member_records(conninfo: str, path: Path) -> int:
    """Write the member records and their match keys to a CSV file; return the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    query = (
        "copy (select record_id as unique_id, mobile, id_card_no, unionid, email "
        f"from {RECORDS_RELATION} where record_id is not null order by record_id) "
        "to stdout with (format csv, header true)"
    )
    with (
        psycopg.connect(conninfo, autocommit=True) as conn,
        path.open("wb") as out,
        conn.cursor() as cur,
    ):
        with cur.copy(query) as copy:
            for data in copy:
                out.write(data)
        return cur.rowcount


def project_clusters(conninfo: str) -> dict[str, str]:
    """The project's clustering: record -> member_id."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute(f"select record_id, member_id from {MATCHED_RELATION}").fetchall()
    return read_pairs(rows)


def peer_clusters(path: Path) -> dict[str, str]:
    """Splink's clustering from its CSV output: record -> cluster_id."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        return read_pairs((row[0], row[1]) for row in reader)


def run_peer(
    records_csv: Path,
    work_dir: Path,
    *,
    max_records_per_key: int,
    env: Mapping[str, str],
    cwd: Path,
    log_path: Path,
) -> PeerRun:
    """Run Splink on ``records_csv`` in a child process; clusters go to ``work_dir``."""
    result_path = work_dir / "splink_result.json"
    result_path.unlink(missing_ok=True)
    measured = run_measured(
        [
            sys.executable,
            "-m",
            "member_migration.bench.splink_peer",
            "--input",
            str(records_csv),
            "--output",
            str(work_dir / "splink_clusters.csv"),
            "--result",
            str(result_path),
            "--max-records-per-key",
            str(max_records_per_key),
        ],
        env=env,
        cwd=cwd,
        log_path=log_path,
    )
    result = None
    if measured.ok and result_path.exists():
        result = json.loads(result_path.read_text(encoding="utf-8"))
    return PeerRun(measured, result)
