"""``member-migration bench``: how fast the pipeline is, against a floor and a peer.

Public API (the CLI's)::

    from member_migration.bench import BenchOptions, run_bench
    report = run_bench(BenchOptions(sizes=[100_000]), progress=print_line)
    report.sizes[0]["summary"]   # pipeline seconds, rows/s, x floor, x peer, clusters agree
    report.json_path             # target/bench/bench-<time>.json (and latest.json)

    from member_migration.bench.report import summary_table, memory_table, slowest_table

The peer (Splink on DuckDB) is an optional dependency: ``pip install -e ".[bench]"``.
See ``run.py`` for what is measured and how.
"""

from member_migration.bench.clusters import ClusterComparison, compare_partitions
from member_migration.bench.run import DEFAULT_SIZES, BenchOptions, BenchReport, run_bench

__all__ = [
    "DEFAULT_SIZES",
    "BenchOptions",
    "BenchReport",
    "ClusterComparison",
    "compare_partitions",
    "run_bench",
]
