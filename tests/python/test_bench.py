"""The benchmark's own logic: cluster comparison, dbt timings, the package cache, the floor,
and one whole run on a tiny package (what the JSON holds). Never a wall-clock figure: the bench
reports times, the tests check that what it reports is complete and adds up.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from conftest import PROJECT_ROOT, TEST_AS_OF_DATE, Warehouse, run_cli
from member_migration.bench import BenchOptions, compare_partitions, run_bench
from member_migration.bench.dbt_timing import (
    all_busy_seconds,
    read_run_results,
    slowest,
    timings_by_type,
)
from member_migration.bench.disk import (
    DATABASE_BYTES_PER_PERSON,
    PACKAGE_BYTES_PER_PERSON,
    NotEnoughDisk,
    check_disk,
    disk_needed,
)
from member_migration.bench.floor import FLOOR_SCHEMA, prepare_floor_inputs, run_floor
from member_migration.bench.packages import bench_package
from member_migration.bench.peer import export_member_records, project_clusters
from member_migration.bench.process import busy_share
from member_migration.bench.server import compresses_written_data, mount_of, sampler_wait
from member_migration.generator import generate_package
from member_migration.loader import load_package

TINY_PERSONS = 40
MATCH_KEYS = ("mobile", "id_card_no", "unionid", "email")
MAX_RECORDS_PER_MATCH_KEY = 10


# -- cluster comparison ------------------------------------------------------------------------
def test_partitions_that_differ_only_in_their_labels_agree():
    project = {"a": "M1", "b": "M1", "c": "M2", "d": "M3"}
    peer = {"a": "x", "b": "x", "c": "y", "d": "z"}
    comparison = compare_partitions(project, peer)
    assert comparison.agree
    assert (comparison.records, comparison.project_clusters, comparison.peer_clusters) == (4, 3, 3)


@pytest.mark.parametrize(
    ("peer", "differing_records"),
    [
        pytest.param({"a": "x", "b": "y", "c": "z", "d": "w"}, 2, id="peer splits a cluster"),
        pytest.param({"a": "x", "b": "x", "c": "x", "d": "w"}, 3, id="peer merges two clusters"),
        pytest.param({"a": "x", "b": "z", "c": "z", "d": "w"}, 3, id="peer moves a record"),
    ],
)
def test_a_split_merged_or_moved_record_is_a_disagreement(peer, differing_records):
    project = {"a": "M1", "b": "M1", "c": "M2", "d": "M3"}
    comparison = compare_partitions(project, peer)
    assert not comparison.agree
    assert comparison.records_in_differing_clusters == differing_records
    assert comparison.as_dict()["agree"] is False


def test_a_record_only_one_side_clustered_is_a_disagreement():
    comparison = compare_partitions({"a": "M1", "b": "M2"}, {"a": "x"})
    assert not comparison.agree
    assert (comparison.only_in_project, comparison.only_in_peer) == (1, 0)


# -- dbt timings -------------------------------------------------------------------------------
def _result(unique_id: str, start: float, end: float, status: str = "success") -> dict:
    t0 = datetime(2026, 10, 31, tzinfo=UTC)
    stamp = lambda s: (t0 + timedelta(seconds=s)).isoformat().replace("+00:00", "Z")  # noqa: E731
    return {
        "unique_id": unique_id,
        "status": status,
        "execution_time": end - start,
        "message": None,
        "timing": [
            {"name": "compile", "started_at": stamp(start), "completed_at": stamp(start + 0.5)},
            {"name": "execute", "started_at": stamp(start + 0.5), "completed_at": stamp(end)},
        ],
    }


def test_run_results_are_split_by_resource_type_counting_overlaps_once(tmp_path: Path):
    path = tmp_path / "run_results.json"
    path.write_text(
        json.dumps(
            {
                "results": [
                    _result("model.member_migration.a", 0, 10),
                    _result("model.member_migration.b", 5, 12),  # overlaps a
                    _result("model.member_migration.c", 20, 21),
                    _result("test.member_migration.t1", 12, 14, "fail"),
                    _result("test.member_migration.t2", 13, 14),
                ]
            }
        )
    )
    nodes = read_run_results(path)
    by_type = timings_by_type(nodes)
    assert set(by_type) == {"model", "test"}
    assert by_type["model"].nodes == 3
    assert by_type["model"].node_seconds == pytest.approx(18.0)
    assert by_type["model"].busy_seconds == pytest.approx(13.0)  # 0-12 and 20-21
    assert by_type["test"].busy_seconds == pytest.approx(2.0)
    assert by_type["test"].failed == 1
    assert all_busy_seconds(nodes) == pytest.approx(15.0)  # 0-14 and 20-21
    assert [n.name for n in slowest(nodes, 2, frozenset({"model"}))] == ["a", "b"]


# -- package cache -----------------------------------------------------------------------------
# -- the machine's busy CPU share during a phase ----------------------------------------------
def test_the_busy_share_is_busy_ticks_over_all_ticks_between_two_readings():
    # 150 of 200 ticks busy: three quarters
    assert busy_share((1_000, 4_000), (1_150, 4_200)) == 0.75
    # an idle interval, an unreadable /proc/stat, no time elapsed: 0, unknown, unknown
    assert busy_share((1_000, 4_000), (1_000, 4_100)) == 0
    assert busy_share(None, (1_150, 4_200)) is None
    assert busy_share((1_000, 4_000), (1_000, 4_000)) is None


def test_a_package_is_generated_once_per_size_and_seed(tmp_path: Path):
    first = bench_package(tmp_path, TINY_PERSONS, 7)
    again = bench_package(tmp_path, TINY_PERSONS, 7)
    other_seed = bench_package(tmp_path, TINY_PERSONS, 8)
    assert first.generated_seconds is not None
    assert again.generated_seconds is None
    assert again.path == first.path
    assert again.rows_per_file == first.rows_per_file
    assert other_seed.generated_seconds is not None
    assert other_seed.path != first.path


def test_a_package_whose_generation_was_interrupted_is_generated_again(tmp_path: Path):
    first = bench_package(tmp_path, TINY_PERSONS, 7)
    (first.path.parent / "package.truth" / "summary.json").unlink()  # written last
    assert bench_package(tmp_path, TINY_PERSONS, 7).generated_seconds is not None


# -- the floor ---------------------------------------------------------------------------------
# -- room on disk --------------------------------------------------------------------------------
def test_the_disk_a_run_needs_counts_uncached_packages_and_the_databases_that_coexist():
    sizes = [100_000, 1_000_000]
    one_at_a_time = disk_needed(sizes, cached_sizes=[100_000], keep=False, database_here=True)
    # the cached package costs nothing; the databases are dropped in turn: the largest counts
    assert one_at_a_time.package_bytes == 1_000_000 * PACKAGE_BYTES_PER_PERSON
    assert one_at_a_time.database_bytes == 1_000_000 * DATABASE_BYTES_PER_PERSON
    kept = disk_needed(sizes, cached_sizes=sizes, keep=True, database_here=True)
    assert kept.package_bytes == 0
    assert kept.database_bytes == 1_100_000 * DATABASE_BYTES_PER_PERSON
    elsewhere = disk_needed(sizes, cached_sizes=[], keep=False, database_here=False)
    assert elsewhere.database_bytes == 0
    assert elsewhere.package_bytes == 1_100_000 * PACKAGE_BYTES_PER_PERSON


def test_a_run_that_would_not_fit_is_refused_with_the_figures_and_what_to_do(tmp_path: Path):
    sizes = [10_000_000]
    need = disk_needed(sizes, cached_sizes=[], keep=False, database_here=True)

    def check(free: int):
        return check_disk(
            tmp_path, sizes, cached_sizes=[], keep=False, database_here=True, free=free
        )

    assert check(need.total_bytes) == need
    with pytest.raises(NotEnoughDisk) as refused:
        check(need.total_bytes - 1)
    message = str(refused.value)
    assert "10,000,000 persons" in message
    assert f"{need.total_bytes / 1e9:,.1f} GB" in message
    assert str(tmp_path) in message
    assert "Nothing was generated or loaded" in message
    assert "PGHOST" in message and "--no-disk-check" in message


def test_the_bench_command_refuses_a_size_the_disk_cannot_hold_before_generating_it():
    persons = 10_000_000_000  # some 5 TB of package alone: no test machine has that free
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    result = run_cli("bench", "--persons", str(persons), "--no-peer", env=env, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "needs about" in result.stderr and "--no-disk-check" in result.stderr
    assert not (PROJECT_ROOT / ".bench" / "packages" / f"{persons}-42").exists()


_MOUNTS = """\
/dev/vda / ext4 rw,relatime 0 0
tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0
/dev/loop0 /work/main/.bench/warehouse btrfs rw,noatime,compress-force=zstd:1,discard=async 0 0
/dev/loop1 /srv/my\\040volume btrfs rw,noatime,compress=zstd:3 0 0
/dev/loop2 /srv/plain btrfs rw,noatime,space_cache=v2 0 0
"""


def test_the_warehouse_mount_is_the_longest_mount_point_above_it():
    point, fstype, options = mount_of(Path("/work/main/.bench/warehouse/pgdata"), _MOUNTS)
    assert (point, fstype) == ("/work/main/.bench/warehouse", "btrfs")
    assert "compress-force=zstd:1" in options
    # a sibling whose name only starts like the mount point is not inside it
    assert mount_of(Path("/work/main/.bench/warehouse2"), _MOUNTS)[:2] == ("/", "ext4")
    assert mount_of(Path("/srv/my volume/pgdata"), _MOUNTS)[:2] == ("/srv/my volume", "btrfs")


def test_only_a_compressing_btrfs_mount_has_the_server_write_its_extensions():
    def decide(path: str) -> bool:
        _, fstype, options = mount_of(Path(path), _MOUNTS)
        return compresses_written_data(fstype, options)

    assert decide("/work/main/.bench/warehouse/pgdata")  # compress-force
    assert decide("/srv/my volume/pgdata")  # compress
    assert not decide("/srv/plain/pgdata")  # btrfs without compression
    assert not decide("/work/main/.bench")  # ext4
    assert not compresses_written_data("ext4", frozenset({"compress=zstd"}))


def test_the_memory_sampler_waits_longer_when_a_sample_would_break_its_cpu_budget():
    # cheap samples: the fixed interval
    assert sampler_wait(0.25, 0.001, 0.02) == 0.25
    # an expensive sample (0.19 CPU-s, as at ten million persons): sample, then wait, uses
    # exactly the budget of one core
    wait = sampler_wait(0.25, 0.19, 0.02)
    assert wait > 0.25
    assert 0.19 / (0.19 + wait) == pytest.approx(0.02)


def test_the_floor_copies_every_record_the_loader_loaded(fresh_db: str, tmp_path: Path):
    package = tmp_path / "package"
    generate_package(package, persons=TINY_PERSONS, seed=11)
    load_package(fresh_db, package)
    files = prepare_floor_inputs(fresh_db, package, tmp_path / "floor")
    result = run_floor(fresh_db, files)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        loaded = dict(
            conn.execute("select source_table, records_loaded from raw.batch_manifest").fetchall()
        )
        leftover = conn.execute(
            "select count(*) from pg_namespace where nspname = %s", (FLOOR_SCHEMA,)
        ).fetchone()[0]
    assert result.rows == loaded
    assert leftover == 0
    for f in files:  # same columns in the same order as the legacy file's header
        with (package / f.path.name).open("rb") as original:
            header = original.readline()
        assert f.columns == tuple(
            header.decode("gb18030" if f.encoding == "GB18030" else "utf-8-sig")
            .strip()
            .replace('"', "")
            .split(",")
        )


# -- one whole run -----------------------------------------------------------------------------
def _connected_components(records_csv: Path) -> dict[str, str]:
    """Union-find over the exported records' keys, a key held by too many records ignored."""
    with records_csv.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    holders = Counter((k, r[k]) for r in rows for k in MATCH_KEYS if r[k])
    parent = {r["unique_id"]: r["unique_id"] for r in rows}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_holder: dict[tuple[str, str], str] = {}
    for r in rows:
        for k in MATCH_KEYS:
            key = (k, r[k])
            if r[k] and holders[key] <= MAX_RECORDS_PER_MATCH_KEY:
                other = first_holder.setdefault(key, r["unique_id"])
                parent[find(r["unique_id"])] = find(other)
    return {record: find(record) for record in parent}


@pytest.fixture(scope="module")
def bench_run(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory):
    """One benchmark run of a tiny package, its database kept for the checks below."""
    root = tmp_path_factory.mktemp("bench")
    options = BenchOptions(
        sizes=(TINY_PERSONS,),
        seed=5,
        as_of_date=TEST_AS_OF_DATE,
        bench_root=root / "cache",
        output_dir=root / "out",
        peer=False,  # Splink is an optional dependency; the comparison is checked below
        keep=True,
    )
    report = run_bench(options)
    dbname = report.sizes[0]["database"].rsplit("/", 1)[1]
    yield report, warehouse.settings.conninfo(dbname), root
    warehouse.drop_database(dbname)


@pytest.mark.slow
def test_the_bench_json_has_every_phase_and_its_totals_add_up(bench_run):
    report, _, root = bench_run
    written = json.loads(report.json_path.read_text(encoding="utf-8"))
    assert written == json.loads((root / "out" / "latest.json").read_text(encoding="utf-8"))
    (size,) = written["sizes"]
    assert set(size["phases"]) == {"load", "dbt_parse", "dbt_build", "identity_project"}
    for name, phase in size["phases"].items():
        assert phase["seconds"] > 0, name
        assert phase["peak_rss_mb"] > 0, name
        assert isinstance(phase["returncode"], int), name
        # the machine's CPU was busy for part of each phase (at least the phase's own process)
        assert 0 < phase["cpu_busy_share"] <= 1, name
    summary = size["summary"]
    pipeline = size["phases"]["load"]["seconds"] + size["phases"]["dbt_build"]["seconds"]
    assert summary["pipeline_seconds"] == pytest.approx(pipeline, abs=0.01)
    assert summary["floor_multiple"] == pytest.approx(pipeline / size["floor"]["seconds"], 0.01)
    assert size["floor"]["rows"] and sum(size["floor"]["rows"].values()) == size["rows"]["loaded"]
    assert size["rows"]["read"] == size["rows"]["loaded"] + size["rows"]["rejected"]
    build = size["dbt_build"]
    assert {"model", "test", "seed"} <= set(build["by_resource_type"])
    assert len(build["slowest_models"]) == 10
    assert all(n["resource_type"] == "model" for n in build["slowest_models"])
    assert set(size["identity"]["project_models"]) >= {"int_member_records_matched"}
    # the database's size after the build, and its schemas', which add up to at most the whole
    # (marts may be absent: a tiny package can fail the quality gate, and nothing is published)
    sizes = size["database_size"]
    assert {"raw", "intermediate", "audit"} <= set(sizes["by_schema_bytes"])
    assert 0 < sum(sizes["by_schema_bytes"].values()) <= sizes["bytes"]


@pytest.mark.slow
def test_the_project_clusters_are_the_connected_components_of_the_exported_keys(
    bench_run, tmp_path: Path
):
    _, conninfo, _ = bench_run
    records_csv = tmp_path / "records.csv"
    assert export_member_records(conninfo, records_csv) > 0
    comparison = compare_partitions(project_clusters(conninfo), _connected_components(records_csv))
    assert comparison.agree, comparison.as_dict()
