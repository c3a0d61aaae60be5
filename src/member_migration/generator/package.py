"""Writes an export package and its ground truth: ``generate_package``.

Chunks of persons are built in worker processes (``builder.build_chunk``) and written here in
chunk order, so memory stays flat and the bytes do not depend on the number of workers. The
truth goes to ``<out>.truth/`` beside the package, never inside it.
"""

from __future__ import annotations

import csv
import json
import logging
import multiprocessing
import os
import resource
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path
from random import Random

from member_migration.contract import EXPORT_FILES, FILES_BY_NAME, FILES_BY_TABLE
from member_migration.generator.builder import (
    CHUNK_PERSONS,
    MAX_LEVELS,
    ChunkResult,
    FileStyle,
    LevelPlan,
    build_chunk,
    chunk_layout,
)
from member_migration.generator.identity import MAX_PERSONS, derive_seed
from member_migration.generator.model import ALL_TABLES, AS_OF_DATE, REFERENCE_INSTANT

log = logging.getLogger(__name__)

#: Bumped whenever the same seed would give different bytes; a delta refuses a base written
#: by another version, because it replays the base to know its state.
GENERATOR_VERSION = "2"

RECORDS_HEADER = (
    "source_table",
    "source_key",
    "person_id",
    "expect_quarantined",
    "mobile",
    "id_card_no",
    "email",
    "unionid",
    "package_seq",
    "record_number",
    "register_at",
    "points_legacy",
)
REJECTS_HEADER = ("source_table", "record_number", "source_key", "rule_codes", "package_seq")
LOADER_REJECTS_HEADER = ("source_table", "record_number", "reason", "package_seq")
CORRUPTIONS_HEADER = (
    "source_table",
    "record_number",
    "source_key",
    "column",
    "kind",
    "package_seq",
)


class GenerationError(ValueError):
    """A request the generator cannot fulfil (bad arguments, unusable base package)."""


@dataclass
class GenerationSummary:
    out_dir: Path
    truth_dir: Path
    persons: int
    seed: int
    package_seq: int
    delta_of: Path | None
    rows_per_file: dict[str, int]
    files: dict[str, Path]
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


def truth_dir_for(out_dir: Path) -> Path:
    """``DIR.truth``: the sibling folder holding the ground truth of package ``DIR``."""
    out_dir = Path(out_dir)
    return out_dir.with_name(out_dir.name + ".truth")


def file_styles(seed: int, level: int) -> dict[str, FileStyle]:
    """How each file of a package is written: encodings, line endings, quoting, column order
    and final line break vary per file, deterministically by seed; every package holds every
    encoding and both line endings."""
    rng = Random(derive_seed(seed, "styles", level))
    tables = [f.table for f in EXPORT_FILES]
    encodings = ["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-8-sig", "gb18030", "gb18030"]
    newlines = ["\n", "\n", "\n", "\n", "\r\n", "\r\n", "\r\n"]
    quote_all = [True, True, False, False, False, False, False]
    for values in (encodings, newlines, quote_all):
        rng.shuffle(values)
    shuffled_columns = set(rng.sample(tables, 2))
    no_final_newline = rng.choice(tables)
    styles = {}
    for i, table in enumerate(tables):
        columns = list(FILES_BY_TABLE[table].columns)
        while table in shuffled_columns and tuple(columns) == FILES_BY_TABLE[table].columns:
            rng.shuffle(columns)
        styles[table] = FileStyle(
            columns=tuple(columns),
            encoding=encodings[i],
            newline=newlines[i],
            quote_all=quote_all[i],
            final_newline=table != no_final_newline,
        )
    return styles


def _read_state(base: Path) -> dict:
    state_path = truth_dir_for(base) / "state.json"
    if not base.is_dir() or not state_path.is_file():
        raise GenerationError(
            f"{base} is not a package written by this generator (no {state_path}); "
            "generate the base first, then the delta against it."
        )
    state = json.loads(state_path.read_text(encoding="utf-8"))
    if state.get("generator_version") != GENERATOR_VERSION:
        raise GenerationError(
            f"{base} was written by generator version {state.get('generator_version')}, this is "
            f"version {GENERATOR_VERSION}: regenerate the base with this version."
        )
    for name, size in state["files"].items():
        path = base / name
        if not path.is_file() or path.stat().st_size != size:
            raise GenerationError(f"{path} is missing or changed since it was generated.")
    return state


def _plan(persons: int, seed: int, delta_of: Path | None) -> tuple[int, list[LevelPlan], dict]:
    if delta_of is None:
        if persons < 1:
            raise GenerationError("a full export needs at least one person")
        level = LevelPlan(
            seed=seed, persons=persons, first_person=0, first_chunk=0, styles=file_styles(seed, 0)
        )
        return seed, [level], {"root_seed": seed, "levels": []}
    if persons < 0:
        raise GenerationError("persons must not be negative")
    state = _read_state(delta_of)
    levels: list[LevelPlan] = []
    first_person = first_chunk = 0
    for i, lv in enumerate(state["levels"]):
        plan = LevelPlan(
            seed=lv["seed"],
            persons=lv["persons"],
            first_person=first_person,
            first_chunk=first_chunk,
            styles=file_styles(lv["seed"], i),
        )
        levels.append(plan)
        first_person += plan.persons
        first_chunk += plan.chunks
    if len(levels) >= MAX_LEVELS:
        raise GenerationError(f"at most {MAX_LEVELS - 1} deltas on one full export")
    levels.append(
        LevelPlan(
            seed=seed,
            persons=persons,
            first_person=first_person,
            first_chunk=first_chunk,
            styles=file_styles(seed, len(levels)),
        )
    )
    return state["root_seed"], levels, state


def _results(
    root_seed: int,
    levels: list[LevelPlan],
    target: int,
    layout: list[tuple[int, int, int, int]],
    workers: int,
) -> Iterator[ChunkResult]:
    work = partial(build_chunk, root_seed, levels, target)
    if workers <= 1:
        for chunk in layout:
            yield work(chunk)
        return
    # forkserver: the CLI's progress bar runs a thread, and forking a threaded process is unsafe.
    methods = multiprocessing.get_all_start_methods()
    method = "forkserver" if "forkserver" in methods else None
    with multiprocessing.get_context(method).Pool(workers) as pool:
        # At most two chunks per worker in flight: results are written in order as they come,
        # so memory stays flat however many chunks there are.
        chunks = iter(layout)
        pending = deque(pool.apply_async(work, (c,)) for c in islice(chunks, 2 * workers))
        while pending:
            result = pending.popleft().get()
            following = next(chunks, None)
            if following is not None:
                pending.append(pool.apply_async(work, (following,)))
            yield result


def generate_package(
    out_dir: Path,
    persons: int = 100_000,
    seed: int = 42,
    delta_of: Path | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    workers: int | None = None,
) -> GenerationSummary:
    """Write a synthetic export package to ``out_dir`` and its truth to ``out_dir.truth/``.

    A full export (``delta_of`` None) holds ``persons`` persons. A delta (``delta_of`` a package
    written earlier by this function) holds changed rows of the base's persons and ``persons``
    new persons; its truth describes the combined state of the base and the delta. ``progress``
    receives the number of persons done (for a delta: the work done, scaled to ``persons``).
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    truth_dir = truth_dir_for(out_dir)
    delta_of = Path(delta_of) if delta_of is not None else None
    if delta_of is not None and delta_of.resolve() == out_dir.resolve():
        raise GenerationError("a delta must be written to another folder than its base")
    if out_dir.exists():
        foreign = sorted(p.name for p in out_dir.iterdir() if p.name not in FILES_BY_NAME)
        if foreign:
            raise GenerationError(
                f"{out_dir} holds other files ({', '.join(foreign[:3])}): a package folder "
                "holds only the export files; choose an empty or new folder."
            )
    root_seed, levels, state = _plan(persons, seed, delta_of)
    total_persons = sum(lv.persons for lv in levels)
    if total_persons > MAX_PERSONS:
        raise GenerationError(f"at most {MAX_PERSONS:,} persons per package family")
    target = len(levels) - 1
    layout = chunk_layout(levels, target)
    styles = levels[target].styles
    workers = workers or min(4, os.cpu_count() or 1)
    if len(layout) <= 1:
        workers = 1  # one chunk: no point in starting processes
    log.info(
        "generating %s (%s persons, seed %s, %s chunks, %s workers)",
        out_dir,
        persons,
        seed,
        len(layout),
        workers,
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    files = {t: out_dir / FILES_BY_TABLE[t].file_name for t in ALL_TABLES}
    handles = {t: files[t].open("wb") for t in ALL_TABLES}
    truth_files = {
        name: (truth_dir / f"{name}.csv").open("w", encoding="utf-8", newline="")
        for name in ("records", "expected_rejects", "expected_loader_rejects", "corruptions")
    }
    writers = {name: csv.writer(f, lineterminator="\n") for name, f in truth_files.items()}
    writers["records"].writerow(RECORDS_HEADER)
    writers["expected_rejects"].writerow(REJECTS_HEADER)
    writers["expected_loader_rejects"].writerow(LOADER_REJECTS_HEADER)
    writers["corruptions"].writerow(CORRUPTIONS_HEADER)

    rows_written = dict.fromkeys(ALL_TABLES, 0)
    offsets = {lv: dict.fromkeys(ALL_TABLES, 0) for lv in range(len(levels))}
    counts: dict[str, int] = {}
    stats: dict[str, int] = {}
    cross_links: list[dict[str, str]] = []
    done_chunks = persons_done = 0
    chunk_cpu = 0.0
    peak_rss_kb = 0
    parent_cpu = time.process_time()
    try:
        for table in ALL_TABLES:
            style = styles[table]
            header = ",".join(style.columns) + style.newline
            handles[table].write(header.encode(style.encoding))
        for result in _results(root_seed, levels, target, layout, workers):
            for table, data in result.data.items():
                handles[table].write(data)
                rows_written[table] += result.counts[target][table]
            _write_truth(writers, result, offsets)
            for lv, tables in result.counts.items():
                for table, n in tables.items():
                    offsets[lv][table] += n
            for name, n in result.truth.counts.items():
                counts[name] = counts.get(name, 0) + n
            for name, n in result.stats.items():
                stats[name] = stats.get(name, 0) + n
            cross_links += result.cross_links
            chunk_cpu += result.cpu_seconds
            peak_rss_kb = max(peak_rss_kb, result.max_rss_kb)
            done_chunks += 1
            persons_done += result.persons
            if progress is not None:
                progress(
                    persons_done
                    if delta_of is None
                    else round(persons * done_chunks / max(1, len(layout)))
                )
    finally:
        for handle in handles.values():
            handle.close()
        for handle in truth_files.values():
            handle.close()
    for table in ALL_TABLES:
        style = styles[table]
        if not style.final_newline and rows_written[table]:
            with files[table].open("r+b") as f:
                f.truncate(files[table].stat().st_size - len(style.newline.encode()))

    seconds = time.perf_counter() - started
    parent_cpu = time.process_time() - parent_cpu
    peak_rss_kb = max(peak_rss_kb, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    performance = {
        "wall_seconds": round(seconds, 1),
        "chunk_cpu_seconds": round(chunk_cpu, 1),
        # in-process chunks count in the parent's own CPU time
        "writer_cpu_seconds": round(parent_cpu - (chunk_cpu if workers <= 1 else 0.0), 1),
        "workers": workers,
        "peak_rss_mb": round(peak_rss_kb / 1024, 1),
    }
    rows_per_file = {FILES_BY_TABLE[t].file_name: rows_written[t] for t in ALL_TABLES}
    for lv, recorded in enumerate(state["levels"]):
        replayed = {FILES_BY_TABLE[t].file_name: offsets[lv][t] for t in ALL_TABLES}
        if replayed != recorded.get("rows", replayed):
            raise GenerationError(
                f"replaying {recorded['package']} did not give its rows: it was written by "
                "another build of the generator; regenerate the base, then the delta."
            )
    level_state = {
        "seed": seed,
        "persons": persons,
        "package": out_dir.name,
        "kind": "full" if delta_of is None else "delta",
        "rows": rows_per_file,
    }
    new_state = {
        "generator_version": GENERATOR_VERSION,
        "root_seed": root_seed,
        "levels": [*state["levels"], level_state],
        "files": {FILES_BY_TABLE[t].file_name: files[t].stat().st_size for t in ALL_TABLES},
    }
    summary_json = {
        "generator_version": GENERATOR_VERSION,
        "kind": level_state["kind"],
        "package_seq": target + 1,
        "seed": seed,
        "root_seed": root_seed,
        "persons": persons,
        "persons_total": total_persons,
        "delta_of": str(delta_of) if delta_of is not None else None,
        "reference_instant": REFERENCE_INSTANT.isoformat(),
        "truth_as_of_date": AS_OF_DATE.isoformat(),
        "chunk_persons": CHUNK_PERSONS,
        "files": {
            FILES_BY_TABLE[t].file_name: {
                "rows": rows_written[t],
                "encoding": styles[t].encoding,
                "newline": "CRLF" if styles[t].newline == "\r\n" else "LF",
                "quote_all": styles[t].quote_all,
                "final_newline": styles[t].final_newline,
                "columns": list(styles[t].columns),
            }
            for t in ALL_TABLES
        },
        "rows_per_file": rows_per_file,
        "combined_truth": dict(sorted(counts.items())),
        "forms_in_this_package": dict(sorted(stats.items())),
        "cross_links": cross_links,
        "performance": performance,
    }
    (truth_dir / "summary.json").write_text(
        json.dumps(summary_json, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (truth_dir / "state.json").write_text(json.dumps(new_state, indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s rows: %s", sum(rows_written.values()), performance)
    return GenerationSummary(
        out_dir=out_dir,
        truth_dir=truth_dir,
        persons=persons,
        seed=seed,
        package_seq=target + 1,
        delta_of=delta_of,
        rows_per_file=rows_per_file,
        files={FILES_BY_TABLE[t].file_name: files[t] for t in ALL_TABLES},
        seconds=seconds,
        counts=dict(sorted(counts.items())),
    )


def _write_truth(writers: dict, result: ChunkResult, offsets: dict[int, dict[str, int]]) -> None:
    truth = result.truth
    records = writers["records"]
    for (
        table,
        key,
        person,
        quarantined,
        mobile,
        id_card,
        email,
        unionid,
        level,
        index,
        register_at,
        points,
    ) in truth.records:
        records.writerow(
            (
                table,
                key,
                person,
                quarantined,
                mobile,
                id_card,
                email,
                unionid,
                level + 1,
                offsets[level][table] + index + 1,
                register_at,
                points,
            )
        )
    writers["expected_rejects"].writerows(
        (table, offsets[level][table] + index + 1, key, codes, level + 1)
        for table, level, index, key, codes in truth.rejects
    )
    writers["expected_loader_rejects"].writerows(
        (table, offsets[level][table] + index + 1, reason, level + 1)
        for table, level, index, reason in truth.loader_rejects
    )
    writers["corruptions"].writerows(
        (table, offsets[level][table] + index + 1, key, column, kind, level + 1)
        for table, level, index, key, column, kind in truth.corruptions
    )
