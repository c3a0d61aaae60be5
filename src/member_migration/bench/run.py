"""The benchmark: for each size, the pipeline, the floor and the peer, on one server.

First ``run_bench`` checks that the whole run fits on the disk (``disk``), and refuses before
generating or loading anything when it does not. Then, for each number of persons (default
100 000 and 1 000 000), it:

1. takes the export package of that size and seed from the cache (``packages``), generating
   it the first time (generation is never timed as part of the pipeline);
2. creates a fresh database on the benchmark's server (``server``);
3. times the pipeline, each step a child process with its own peak memory (``process``):
   ``member-migration load``, then ``dbt parse`` (dbt's start-up, the same at every size:
   reported, not in the total) and ``dbt build``, with per-node times from
   ``run_results.json`` split by resource type, models apart from tests (``dbt_timing``);
4. times the project's identity resolution alone (``dbt run`` of the models between
   ``int_member_records`` and ``int_member_records_matched``, on the built database: the sum
   of their execution times) and the peer, Splink, on the same records (``peer``), and
   compares the two clusterings (``clusters``);
5. times the floor, plain ``COPY`` and ``create table as`` of the same files (``floor``);
6. optionally runs ``EXPLAIN ANALYZE`` on the slowest models (``explain``);
7. drops the database.

The pipeline's total is load + build; "× floor" is that total over the floor's, "× peer" the
project's identity resolution over Splink's. The result is one dict per size, written as JSON
to ``target/bench/``; ``report`` turns it into tables. Targets (1 000 000 persons: load + build
within 5 minutes and 4 times the floor; identity resolution faster than the peer) are
reported, never asserted.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from member_migration import config
from member_migration.bench import dbt_timing
from member_migration.bench.clusters import compare_partitions
from member_migration.bench.disk import check_disk
from member_migration.bench.explain import explain_models
from member_migration.bench.floor import prepare_floor_inputs, run_floor
from member_migration.bench.packages import bench_package, is_cached
from member_migration.bench.peer import (
    export_member_records,
    peer_available,
    peer_clusters,
    project_clusters,
    run_peer,
)
from member_migration.bench.process import Measured, run_measured
from member_migration.bench.server import BenchServer, ServerMemorySampler, bench_server
from member_migration.bench.server import fresh_database as _fresh_database
from member_migration.generator.model import AS_OF_DATE

_logger = logging.getLogger(__name__)

DEFAULT_SIZES = (100_000, 1_000_000)
DEFAULT_SEED = 42
#: dbt selection of the identity-resolution models: everything between the record interface
#: and the matched records (int_member_records itself excluded: it is their input)
IDENTITY_SELECT = "int_member_records+,+int_member_records_matched"
IDENTITY_EXCLUDE = "int_member_records"
#: the targets of the issue, reported against and never asserted
TARGET_PERSONS = 1_000_000
TARGET_PIPELINE_SECONDS = 300.0
TARGET_FLOOR_MULTIPLE = 4.0


@dataclass
class BenchOptions:
    sizes: Sequence[int] = DEFAULT_SIZES
    seed: int = DEFAULT_SEED
    #: the var of migration-rules.md section 5, given to dbt and to the peer alike
    max_records_per_match_key: int = 10
    as_of_date: str = AS_OF_DATE.isoformat()
    project_root: Path = field(default_factory=config.project_root)
    #: cached packages, the embedded server's data, work files
    bench_root: Path | None = None
    #: where the JSON, logs and dbt's artifacts go
    output_dir: Path | None = None
    peer: bool = True
    floor: bool = True
    regenerate: bool = False
    #: keep the databases (and the embedded server) for profiling
    keep: bool = False
    #: EXPLAIN ANALYZE this many of the build's slowest models (0: none)
    explain: int = 0
    #: dbt threads for the build and the identity run (None: the profile's)
    threads: int | None = None
    #: refuse a run that would not fit on the disk (disk.py), before generating anything
    disk_check: bool = True

    def __post_init__(self) -> None:
        self.project_root = Path(self.project_root)
        self.bench_root = Path(self.bench_root or self.project_root / ".bench")
        self.output_dir = Path(self.output_dir or self.project_root / "target" / "bench")


@dataclass
class BenchReport:
    started_at: str
    server: dict
    options: dict
    sizes: list[dict]
    json_path: Path | None = None

    @property
    def ok(self) -> bool:
        return all(not size["errors"] for size in self.sizes)

    def as_dict(self) -> dict:
        return {
            "started_at": self.started_at,
            "server": self.server,
            "options": self.options,
            "sizes": self.sizes,
        }


Progress = Callable[[str], None]


def _dbt_executable() -> str:
    local = Path(sys.executable).with_name("dbt")
    return str(local) if local.exists() else (shutil.which("dbt") or "dbt")


def _phase_dict(measured: Measured, sampler: ServerMemorySampler, root: Path) -> dict:
    try:
        log = str(measured.log_path.relative_to(root))
    except ValueError:
        log = str(measured.log_path)
    return {
        "seconds": round(measured.seconds, 3),
        "peak_rss_mb": round(measured.peak_rss_mb, 1),
        "server_peak_mb": None if sampler.peak_mb is None else round(sampler.peak_mb, 1),
        "cpu_busy_share": measured.cpu_busy_share,
        "returncode": measured.returncode,
        "log": log,
    }


def _node_dict(node: dbt_timing.NodeTiming) -> dict:
    return {
        "unique_id": node.unique_id,
        "resource_type": node.resource_type,
        "status": node.status,
        "seconds": round(node.seconds, 3),
    }


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 2)


class _SizeRun:
    """The benchmark of one size (one package, one database)."""

    def __init__(
        self, server: BenchServer, persons: int, options: BenchOptions, progress: Progress
    ) -> None:
        self.server = server
        self.persons = persons
        self.options = options
        self.progress = progress
        assert options.output_dir is not None and options.bench_root is not None
        self.log_dir = options.output_dir / "logs" / str(persons)
        self.dbt_dir = options.output_dir / "dbt" / str(persons)
        self.work_dir = options.bench_root / "work" / f"{persons}-{options.seed}"
        self.result: dict = {
            "persons": persons,
            "seed": options.seed,
            "errors": [],
            "phases": {},
        }

    # -- helpers --------------------------------------------------------------------------
    def _error(self, message: str) -> None:
        _logger.error(message)
        self.progress(f"[{self.persons:,}] error: {message}")
        self.result["errors"].append(message)

    def _measure(self, name: str, argv: list[str], env: dict[str, str]) -> Measured:
        self.progress(f"[{self.persons:,}] {name} ...")
        with ServerMemorySampler(self.server.postmaster_pid) as sampler:
            measured = run_measured(
                argv,
                env=env,
                cwd=self.options.project_root,
                log_path=self.log_dir / f"{name}.log",
            )
        self.result["phases"][name] = _phase_dict(measured, sampler, self.options.project_root)
        self.progress(f"[{self.persons:,}] {name}: {measured.seconds:,.1f} s")
        if not measured.ok:
            self._error(
                f"{name} failed (exit {measured.returncode}); see {measured.log_path}\n"
                + measured.log_tail()
            )
        return measured

    def _dbt(self, name: str, command: list[str], env: dict[str, str]) -> Measured:
        """Run dbt; its run_results.json is kept as ``run_results_<name>.json``.

        Every invocation of a size shares one target folder, so that only the first (the
        ``dbt_parse`` phase) parses the whole project and the others parse partially, as a
        user's second command would; the same vars every time keep the partial parse valid.
        """
        results = self.dbt_dir / "run_results.json"
        results.unlink(missing_ok=True)
        dbt_vars = json.dumps(self._dbt_vars())
        root = self.options.project_root
        profiles_dir = root if (root / "profiles.yml").exists() else self._example_profiles()
        threads = (
            ["--threads", str(self.options.threads)]
            if self.options.threads is not None and command[0] != "parse"
            else []
        )
        argv = [
            _dbt_executable(),
            *command,
            *threads,
            "--vars",
            dbt_vars,
            "--project-dir",
            str(root),
            "--profiles-dir",
            str(profiles_dir),
            "--target-path",
            str(self.dbt_dir),
            "--log-path",
            str(self.log_dir / "dbt"),
        ]
        measured = self._measure(name, argv, env)
        if results.exists():
            results.replace(self._run_results(name))
        return measured

    def _dbt_vars(self) -> dict:
        return {
            "as_of_date": self.options.as_of_date,
            "max_records_per_match_key": self.options.max_records_per_match_key,
        }

    def _run_results(self, name: str) -> Path:
        return self.dbt_dir / f"run_results_{name}.json"

    def _example_profiles(self) -> Path:
        """A profiles folder holding the project's example profile (before ``make setup``)."""
        folder = self.work_dir / "profiles"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.options.project_root / "profiles.yml.example", folder / "profiles.yml")
        return folder

    # -- the run --------------------------------------------------------------------------
    def run(self) -> dict:
        options = self.options
        assert options.bench_root is not None
        self.progress(f"[{self.persons:,}] package (generated once, then cached) ...")
        try:
            package = bench_package(
                options.bench_root / "packages",
                self.persons,
                options.seed,
                regenerate=options.regenerate,
            )
            self.result["package"] = {
                "path": str(package.path),
                "rows_per_file": package.rows_per_file,
                "rows": package.rows,
                "generated_seconds": (
                    None
                    if package.generated_seconds is None
                    else round(package.generated_seconds, 1)
                ),
            }
            if package.generated_seconds is not None:
                self.progress(
                    f"[{self.persons:,}] package generated in {package.generated_seconds:,.0f} s"
                )
            self.work_dir.mkdir(parents=True, exist_ok=True)
            with _fresh_database(self.server, self.persons, keep=options.keep) as dbname:
                self.result["database"] = self.server.database(dbname).url()
                self._run_in(self.server.database(dbname), package.path)
        except (OSError, psycopg.Error, ValueError) as exc:
            # one size's failure is reported with it; the other sizes still run
            self._error(f"{type(exc).__name__}: {exc}")
        finally:
            if not options.keep:
                shutil.rmtree(self.work_dir, ignore_errors=True)
        self._summarise()
        return self.result

    def _run_in(self, db: config.ConnectionSettings, package: Path) -> None:
        env = {
            **os.environ,
            **db.env(),
            "MEMBER_MIGRATION_PROJECT": str(self.options.project_root),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        load = self._measure(
            "load",
            [sys.executable, "-m", "member_migration.cli", "load", "--no-backup", str(package)],
            env,
        )
        if not load.ok:
            return
        self._read_manifest(db.conninfo())
        # parsing is dbt's own start-up, the same at every size: timed apart, not in the total
        self._dbt("dbt_parse", ["parse"], env)
        self._dbt("dbt_build", ["build"], env)
        self._read_build_results()
        self._read_database_size(db.conninfo())
        self._identity(db, env)
        if self.options.floor:
            self._floor(db.conninfo(), package)
        if self.options.explain and "dbt_build" in self.result:
            self._explain(db.conninfo())

    def _read_manifest(self, conninfo: str) -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            read, loaded, rejected = conn.execute(
                "select sum(records_read), sum(records_loaded), sum(records_rejected) "
                "from raw.batch_manifest"
            ).fetchone()
        self.result["rows"] = {
            "read": int(read),
            "loaded": int(loaded),
            "rejected": int(rejected),
        }

    def _read_database_size(self, conninfo: str) -> None:
        """The database's size after the build, and each schema's (tables, indexes, toast)."""
        with psycopg.connect(conninfo, autocommit=True) as conn:
            total = conn.execute("select pg_database_size(current_database())").fetchone()[0]
            by_schema = conn.execute(
                "select n.nspname, sum(pg_total_relation_size(c.oid)) "
                "from pg_class as c join pg_namespace as n on n.oid = c.relnamespace "
                "where c.relkind in ('r', 'm', 'p') "
                "and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') "
                "group by n.nspname order by n.nspname"
            ).fetchall()
        self.result["database_size"] = {
            "bytes": int(total),
            "by_schema_bytes": {schema: int(size) for schema, size in by_schema},
        }

    def _read_build_results(self) -> None:
        path = self._run_results("dbt_build")
        if not path.exists():
            self._error(f"dbt build wrote no {path}")
            return
        nodes = dbt_timing.read_run_results(path)
        build_seconds = self.result["phases"]["dbt_build"]["seconds"]
        by_type = dbt_timing.timings_by_type(nodes)
        self.result["dbt_build"] = {
            "by_resource_type": {
                t.resource_type: {
                    "nodes": t.nodes,
                    "node_seconds": round(t.node_seconds, 3),
                    "busy_seconds": round(t.busy_seconds, 3),
                    "failed": t.failed,
                }
                for t in by_type.values()
            },
            # what is not any node: starting dbt, reading the (partially) parsed project,
            # connecting
            "dbt_overhead_seconds": round(build_seconds - dbt_timing.all_busy_seconds(nodes), 3),
            "slowest_models": [
                _node_dict(n) for n in dbt_timing.slowest(nodes, 10, frozenset({"model"}))
            ],
            "slowest_tests": [
                _node_dict(n)
                for n in dbt_timing.slowest(nodes, 5, frozenset({"test", "unit_test"}))
            ],
            "failures": [
                f"{n.unique_id}: {n.status} {n.message or ''}".strip() for n in nodes if n.failed
            ],
            "nodes": [_node_dict(n) for n in nodes],
        }

    def _identity(self, db: config.ConnectionSettings, env: dict[str, str]) -> None:
        identity = self._dbt(
            "identity_project",
            ["run", "--select", IDENTITY_SELECT, "--exclude", IDENTITY_EXCLUDE],
            env,
        )
        section: dict = {"select": IDENTITY_SELECT, "exclude": IDENTITY_EXCLUDE}
        self.result["identity"] = section
        results = self._run_results("identity_project")
        if identity.ok and results.exists():
            models = [n for n in dbt_timing.read_run_results(results) if n.resource_type == "model"]
            section["project_models"] = {n.name: round(n.seconds, 3) for n in models}
            section["project_seconds"] = round(sum(n.seconds for n in models), 3)
        if not identity.ok:
            return
        if not self.options.peer:
            return
        if not peer_available():
            self._error(
                "the peer needs Splink and DuckDB: pip install -e '.[bench]' "
                "(or run with --no-peer)"
            )
            return
        records_csv = self.work_dir / "member_records.csv"
        section["records"] = export_member_records(db.conninfo(), records_csv)
        self.progress(f"[{self.persons:,}] peer_splink ...")
        with ServerMemorySampler(None) as sampler:
            peer = run_peer(
                records_csv,
                self.work_dir,
                max_records_per_key=self.options.max_records_per_match_key,
                env=env,
                cwd=self.options.project_root,
                log_path=self.log_dir / "peer_splink.log",
            )
        self.result["phases"]["peer_splink"] = _phase_dict(
            peer.measured, sampler, self.options.project_root
        )
        if peer.result is None:
            self._error(
                f"the peer failed (exit {peer.measured.returncode}); see "
                f"{peer.measured.log_path}\n{peer.measured.log_tail()}"
            )
            return
        self.progress(f"[{self.persons:,}] peer_splink: {peer.result['seconds']:,.1f} s")
        section["peer"] = {
            k: (round(v, 3) if isinstance(v, float) else v) for k, v in peer.result.items()
        }
        section["peer_seconds"] = round(peer.result["seconds"], 3)
        comparison = compare_partitions(
            project_clusters(db.conninfo()), peer_clusters(self.work_dir / "splink_clusters.csv")
        )
        section["comparison"] = comparison.as_dict()
        section["guard"] = (
            f"match key values held by more than {self.options.max_records_per_match_key} "
            "records set to null in Splink's input, as the project drops them"
        )
        if not comparison.agree:
            self._error(
                f"the project's and Splink's clusters differ: "
                f"{comparison.differing_project_clusters} project clusters "
                f"({comparison.records_in_differing_clusters} records), e.g. "
                f"{comparison.examples[:2]}"
            )

    def _floor(self, conninfo: str, package: Path) -> None:
        self.progress(f"[{self.persons:,}] floor ...")
        files = prepare_floor_inputs(conninfo, package, self.work_dir / "floor")
        with ServerMemorySampler(self.server.postmaster_pid) as sampler:
            floor = run_floor(conninfo, files)
        self.result["floor"] = {
            "copy_seconds": round(floor.copy_seconds, 3),
            "ctas_seconds": round(floor.ctas_seconds, 3),
            "seconds": round(floor.seconds, 3),
            "rows": floor.rows,
            "server_peak_mb": None if sampler.peak_mb is None else round(sampler.peak_mb, 1),
        }
        self.progress(f"[{self.persons:,}] floor: {floor.seconds:,.1f} s")
        shutil.rmtree(self.work_dir / "floor", ignore_errors=True)

    def _explain(self, conninfo: str) -> None:
        count = self.options.explain
        self.progress(f"[{self.persons:,}] explain analyze of the {count} slowest models ...")
        slowest_ids = [n["unique_id"] for n in self.result["dbt_build"]["slowest_models"]]
        assert self.options.output_dir is not None
        self.result["explain"] = explain_models(
            conninfo,
            self.dbt_dir,
            slowest_ids[:count],
            self.options.output_dir / "plans" / str(self.persons),
            self._dbt_vars(),
        )

    def _summarise(self) -> None:
        phases = self.result["phases"]
        load = phases.get("load", {}).get("seconds")
        build = phases.get("dbt_build", {}).get("seconds")
        pipeline = load + build if load is not None and build is not None else None
        floor = self.result.get("floor", {}).get("seconds")
        identity = self.result.get("identity", {})
        project_seconds = identity.get("project_seconds")
        peer_seconds = identity.get("peer_seconds")
        rows = self.result.get("rows", {}).get("read")
        summary = {
            "pipeline_seconds": None if pipeline is None else round(pipeline, 3),
            "rows_per_second": (
                None if pipeline is None or rows is None else round(rows / pipeline, 1)
            ),
            "floor_seconds": floor,
            "floor_multiple": _ratio(pipeline, floor),
            "identity_seconds": project_seconds,
            "peer_seconds": peer_seconds,
            "peer_multiple": _ratio(project_seconds, peer_seconds),
            "clusters_agree": identity.get("comparison", {}).get("agree"),
        }
        summary["targets"] = {
            "pipeline_within_5_minutes": (
                None
                if pipeline is None or self.persons != TARGET_PERSONS
                else pipeline <= TARGET_PIPELINE_SECONDS
            ),
            "within_4x_floor": (
                None
                if summary["floor_multiple"] is None
                else summary["floor_multiple"] <= TARGET_FLOOR_MULTIPLE
            ),
            "identity_faster_than_peer": (
                None if summary["peer_multiple"] is None else summary["peer_multiple"] < 1.0
            ),
        }
        self.result["summary"] = summary


def run_bench(options: BenchOptions | None = None, progress: Progress | None = None) -> BenchReport:
    """Benchmark every size of ``options`` and write the JSON; see the module docstring."""
    options = options or BenchOptions()
    progress = progress or (lambda message: _logger.info(message))
    assert options.bench_root is not None and options.output_dir is not None
    if options.disk_check:
        check_disk(
            options.bench_root,
            options.sizes,
            cached_sizes=[
                persons
                for persons in options.sizes
                if not options.regenerate
                and is_cached(options.bench_root / "packages", persons, options.seed)
            ],
            keep=options.keep,
            database_here=not config.uses_external_server(),
        )
    started = datetime.now(UTC)
    options.output_dir.mkdir(parents=True, exist_ok=True)
    sizes: list[dict] = []
    with bench_server(options.bench_root, keep=options.keep) as server:
        progress(f"server: {server.kind} PostgreSQL {server.version} ({server.settings.url()})")
        for persons in options.sizes:
            sizes.append(_SizeRun(server, persons, options, progress).run())
        report = BenchReport(
            started_at=started.isoformat(timespec="seconds"),
            server=server.describe(),
            options={
                "sizes": list(options.sizes),
                "seed": options.seed,
                "as_of_date": options.as_of_date,
                "max_records_per_match_key": options.max_records_per_match_key,
                "peer": options.peer,
                "floor": options.floor,
                "explain": options.explain,
                "threads": options.threads,
                "cpus": os.cpu_count(),
            },
            sizes=sizes,
        )
    report.json_path = write_json(report, options.output_dir, started)
    return report


def write_json(report: BenchReport, output_dir: Path, started: datetime) -> Path:
    """``bench-<time>.json`` and a copy as ``latest.json`` in ``output_dir``."""
    output_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"
    path = output_dir / f"bench-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(text, encoding="utf-8")
    (output_dir / "latest.json").write_text(text, encoding="utf-8")
    return path
