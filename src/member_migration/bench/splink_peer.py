"""The peer: Splink (DuckDB backend) linking the project's member records deterministically.

Run as a child process by the benchmark (``python -m member_migration.bench.splink_peer``) so
its time and peak memory are its own. It reads the records the project's matching reads
(``intermediate.int_member_records``, exported to CSV by ``peer.export_member_records``: one
row per record with its valid mobile, national ID, unionid and email), applies the project's
placeholder guard (a key value held by more than ``--max-records-per-key`` records links
nothing, migration-rules.md section 5) so the two solve the same problem, links records that
share a value with Splink's deterministic rules (``l.mobile = r.mobile``, ``l.id_card_no =
r.id_card_no``, ``l.unionid = r.unionid``, ``l.email = r.email``) and clusters the links with
``cluster_pairwise_predictions_at_threshold`` (connected components).

Writes the clusters (``unique_id,cluster_id``) to ``--output`` and its timings as JSON to
``--result``. Timed: reading the CSV, the guard, linking, clustering; not timed: importing
Splink (reported apart) and writing the clusters out.

Needs the optional dependencies of the ``bench`` extra (``pip install -e ".[bench]"``).
"""

from __future__ import annotations

import argparse
import json
import time
from importlib import metadata
from pathlib import Path

MATCH_KEYS = ("mobile", "id_card_no", "unionid", "email")


def _guard_sql(max_records: int) -> str:
    keys = ",\n".join(
        f"case when count({k}) over (partition by {k}) > {max_records} then null else {k} end "
        f"as {k}"
        for k in MATCH_KEYS
    )
    return f"create table member_records as select unique_id,\n{keys}\nfrom records_input"


def link(input_csv: Path, output_csv: Path, max_records: int) -> dict:
    """Cluster the records of ``input_csv``; return the timings and counts."""
    started = time.perf_counter()
    import duckdb
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    imported = time.perf_counter()
    con = duckdb.connect()
    con.execute(
        "create table records_input as select * from read_csv(?, header = true, "
        "all_varchar = true)",
        [str(input_csv)],
    )
    read = time.perf_counter()
    con.execute(_guard_sql(max_records))
    guarded = time.perf_counter()
    db_api = DuckDBAPI(connection=con)
    records = db_api.register("member_records", dataset_display_name="member_records")
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[block_on(k) for k in MATCH_KEYS],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(records, settings, log_level="WARNING")
    pairs = linker.inference.deterministic_link()
    linked = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs)
    clustered = time.perf_counter()
    pair_count = con.execute(f"select count(*) from {pairs.physical_name}").fetchone()[0]
    record_count, cluster_count = con.execute(
        f"select count(*), count(distinct cluster_id) from {clusters.physical_name}"
    ).fetchone()
    con.execute(
        f"copy (select unique_id, cluster_id from {clusters.physical_name}) "
        "to ? (format csv, header true)",
        [str(output_csv)],
    )
    return {
        "import_seconds": imported - started,
        "read_seconds": read - imported,
        "guard_seconds": guarded - read,
        "link_seconds": linked - guarded,
        "cluster_seconds": clustered - linked,
        # what the comparison with the project uses: everything after the imports
        "seconds": clustered - imported,
        "records": int(record_count),
        "pairs": int(pair_count),
        "clusters": int(cluster_count),
        "splink_version": metadata.version("splink"),
        "duckdb_version": metadata.version("duckdb"),
        "duckdb_threads": con.execute("select current_setting('threads')").fetchone()[0],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--max-records-per-key", type=int, default=10)
    args = parser.parse_args(argv)
    result = link(args.input, args.output, args.max_records_per_key)
    args.result.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
