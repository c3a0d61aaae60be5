"""The ``member-migration`` command line: a thin layer over the package's modules."""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import subprocess
import sys
from datetime import UTC
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from member_migration import config

app = typer.Typer(
    help="Migrate three legacy member systems into one canonical member mart, nothing lost.",
    no_args_is_help=True,
    add_completion=False,
)
warehouse_app = typer.Typer(help="The embedded PostgreSQL warehouse.", no_args_is_help=True)
app.add_typer(warehouse_app, name="warehouse")

console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True)


@app.callback()
def _setup(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def _fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


# -- warehouse ---------------------------------------------------------------------------------
@warehouse_app.command("start")
def warehouse_start() -> None:
    """Start the embedded warehouse (idempotent) and print how to connect."""
    from member_migration.warehouse import WarehouseError, default_warehouse

    if config.uses_external_server():
        console.print(
            f"PGHOST is set: using {config.connection_settings().url()}; nothing to start."
        )
        return
    wh = default_warehouse()
    try:
        started = wh.start()
    except WarehouseError as exc:
        _fail(str(exc))
    state = "started" if started else "already running"
    console.print(f"Embedded warehouse {state}: {wh.status().url}", soft_wrap=True)


@warehouse_app.command("stop")
def warehouse_stop() -> None:
    """Stop the embedded warehouse (its data stays until `make clean`)."""
    from member_migration.warehouse import WarehouseError, default_warehouse

    wh = default_warehouse()
    try:
        stopped = wh.stop()
    except WarehouseError as exc:
        _fail(str(exc))
    console.print(
        "Embedded warehouse stopped." if stopped else "Embedded warehouse was not running."
    )


@warehouse_app.command("status")
def warehouse_status() -> None:
    """Say whether the warehouse runs and print its connection string."""
    from member_migration.warehouse import default_warehouse

    if config.uses_external_server():
        console.print(f"PGHOST is set: {config.connection_settings().url()}")
        return
    status = default_warehouse().status()
    table = Table(show_header=False, box=None)
    table.add_row("running", "yes" if status.running else "no")
    table.add_row("pid", str(status.pid or "-"))
    table.add_row("url", status.url)
    table.add_row("socket", str(status.socket_dir))
    table.add_row("data", str(status.data_dir))
    console.print(table)
    if not status.running:
        raise typer.Exit(3)


# -- generate ----------------------------------------------------------------------------------
@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the export package to.")],
    persons: Annotated[int, typer.Option(help="Number of persons behind the records.")] = 100_000,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed gives the same bytes.")
    ] = 42,
    delta_of: Annotated[
        Path | None, typer.Option("--delta-of", help="Write a delta package against this base.")
    ] = None,
) -> None:
    """Write a synthetic export package (and its ground truth in OUT.truth/)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from member_migration.generator import generate_package

    with Progress(
        TextColumn("generating"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} persons"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("persons", total=persons)
        summary = generate_package(
            out,
            persons=persons,
            seed=seed,
            delta_of=delta_of,
            progress=lambda done: bar.update(task, completed=done),
        )
    table = Table(title=f"Export package {out}")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, rows in sorted(summary.rows_per_file.items()):
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(f"Ground truth: {summary.truth_dir}")


# -- load --------------------------------------------------------------------------------------
@app.command()
def load(
    package: Annotated[Path, typer.Argument(help="Export package folder.")],
    no_backup: Annotated[
        bool,
        typer.Option(
            "--no-backup", help="Skip the backup taken before the first load of a new package."
        ),
    ] = False,
) -> None:
    """Load one export package into schema raw as a new batch.

    Before the first load of a new package into a warehouse that holds data, the warehouse is
    backed up (see `member-migration backups`), unless --no-backup.
    """
    from member_migration.backup import BackupError, backup_database, backup_needed_before_load
    from member_migration.loader import LoadError, load_package
    from member_migration.loader.package import plan_package
    from member_migration.warehouse import WarehouseError, ensure_warehouse

    try:
        settings = ensure_warehouse()
        plan = plan_package(package)
        if not no_backup:
            needed = backup_needed_before_load(settings.conninfo(), plan)
            if needed:
                with err_console.status("Backing up the warehouse before this new package"):
                    backup = backup_database(settings, reason="before-load")
                console.print(
                    f"Backup before loading a new package: {backup.path} ({backup.size_text})",
                    soft_wrap=True,
                )
            elif needed is None:
                console.print("No backup: the warehouse holds no batch yet.")
        summary = load_package(
            settings.conninfo(), package, progress=sys.stderr.isatty(), plan=plan
        )
    except (LoadError, WarehouseError, BackupError) as exc:
        _fail(str(exc))
    table = Table(title=f"Load of {package}")
    headers, rows = summary.as_rows()
    for header in headers:
        table.add_column(header)
    for row in rows:
        table.add_row(*[str(v) for v in row])
    console.print(table)
    console.print(summary.message())
    if summary.changed and summary.records_rejected:
        _print_rejects(settings.conninfo(), summary.batch_id)


def _print_rejects(conninfo: str, batch_id: int, limit: int = 10) -> None:
    """The first records the loader could not read, and what to do about them."""
    from member_migration.loader.database import batch_rejects

    first, total = batch_rejects(conninfo, batch_id, limit)
    table = Table(title=f"Records rejected by the loader (first {len(first)} of {total:,})")
    for header in ("file", "record", "reason"):
        table.add_column(header)
    for source_file, record_number, reason in first:
        table.add_row(source_file, f"{record_number:,}", reason)
    console.print(table)
    console.print(
        "Each is kept verbatim in raw.load_rejects (batch, file, record number, reason, bytes), "
        "counts as rejected_value in audit.migration_reconciliation, and is not migrated. To "
        "migrate them, ask the source system for a corrected export of those records and load "
        "it as a new package.",
        soft_wrap=True,
    )


# -- erase -------------------------------------------------------------------------------------
#: Exit code of ``erase`` when nothing held the identifier (the request is recorded all the same).
EXIT_NOTHING_FOUND = 3


@app.command()
def erase(
    mobile: Annotated[
        str | None, typer.Option("--mobile", help="The person's mobile (any legacy form).")
    ] = None,
    id_card: Annotated[
        str | None, typer.Option("--id-card", help="The person's national ID (18 or 15 digits).")
    ] = None,
    member_id: Annotated[
        str | None, typer.Option("--member-id", help="The member id (M + 18 digits).")
    ] = None,
    requested_by: Annotated[
        str | None,
        typer.Option(
            "--requested-by", help="Who asked or approved (ticket, operator); default: OS user."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be removed; change nothing.")
    ] = False,
) -> None:
    """Erase one person (PIPL Art. 47) from raw, the snapshots and every built table.

    Removes the person's legacy rows in one transaction, leaves salted tombstones so that a
    reload does not bring them back, and records the request in audit.erasure_requests without
    the identifier. The marts lose the person at once; run dbt build afterwards. Exits 3 when
    nothing held the identifier (the request is still recorded).
    """
    from member_migration.erasure import ErasureError
    from member_migration.erasure import erase as erase_person
    from member_migration.warehouse import WarehouseError, ensure_warehouse

    given = (("mobile", mobile), ("id_card", id_card), ("member_id", member_id))
    chosen = [(k, v) for k, v in given if v is not None]
    if len(chosen) != 1:
        _fail("give exactly one of --mobile, --id-card, --member-id", code=2)
    kind, value = chosen[0]
    try:
        settings = ensure_warehouse()
        result = erase_person(
            settings.conninfo(), kind, value, requested_by=requested_by, dry_run=dry_run
        )
    except (ErasureError, WarehouseError) as exc:
        _fail(str(exc), code=2 if isinstance(exc, ErasureError) else 1)
    label = kind.replace("_", " ")
    if not result.found:
        recorded = "Dry run: nothing recorded." if dry_run else f"Request {result.request_id}"
        console.print(
            f"Nothing held this {label}: no member, no legacy row; nothing was erased. "
            + (recorded if dry_run else f"{recorded} recorded in audit.erasure_requests.")
        )
        raise typer.Exit(EXIT_NOTHING_FOUND)
    table = Table(title=("Would remove" if dry_run else "Removed") + " (rows per table)")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for removal in result.removals:
        table.add_row(removal.qualified_name, f"{removal.rows:,}")
    console.print(table)
    if dry_run:
        console.print(
            f"Dry run: {result.members} member(s), {result.raw_rows_removed:,} legacy row(s) "
            "would be erased; nothing was changed."
        )
        return
    console.print(
        f"Erased {result.members} member(s): {result.raw_rows_removed:,} legacy row(s) removed "
        f"from raw, {result.rows_removed:,} row(s) in all, {result.tombstones:,} tombstone(s) "
        f"left. Request {result.request_id} recorded in audit.erasure_requests. Run dbt build "
        "to rebuild the models without the person.",
        soft_wrap=True,
    )


# -- report ------------------------------------------------------------------------------------
@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="Where to write the HTML report.")] = Path(
        "target/migration_report.html"
    ),
) -> None:
    """Write the migration report (one self-contained HTML file) from the built warehouse."""
    from member_migration.report import write_report
    from member_migration.warehouse import WarehouseError, ensure_warehouse

    try:
        settings = ensure_warehouse()
        path = write_report(settings.conninfo(), out)
    except (RuntimeError, WarehouseError) as exc:
        _fail(str(exc))
    console.print(f"Migration report: {path.resolve()}", soft_wrap=True)


# -- publishing --------------------------------------------------------------------------------
@app.command()
def rollback() -> None:
    """Bring back the previously published marts and pii (one transaction, recorded in audit).

    The version it replaces is kept as the previous one; a second rollback in a row is refused
    (run dbt build to publish a new version).
    """
    from member_migration.publishing import PublishingError
    from member_migration.publishing import rollback as do_rollback
    from member_migration.warehouse import WarehouseError, ensure_warehouse

    try:
        settings = ensure_warehouse()
        outcome = do_rollback(settings.conninfo())
    except (PublishingError, WarehouseError) as exc:
        _fail(str(exc))
    if not outcome.done:
        _fail(f"Rollback {outcome.message}.")
    console.print(
        "Rolled back: marts and pii are the previously published version again "
        f"({outcome.message.split(': ', 1)[-1]}). Recorded in audit.publish_events."
    )


@app.command()
def publications(
    limit: Annotated[int, typer.Option(help="How many events to show, newest first.")] = 10,
) -> None:
    """Show the publish log: every publish, refusal and rollback, who and when."""
    from member_migration.publishing import PublishingError, publish_events
    from member_migration.warehouse import WarehouseError, ensure_warehouse

    try:
        settings = ensure_warehouse()
        events = publish_events(settings.conninfo(), limit)
    except (PublishingError, WarehouseError) as exc:
        _fail(str(exc))
    if not events:
        console.print("Nothing published yet: no dbt build has run in this warehouse.")
        return
    table = Table(title="audit.publish_events (newest first)")
    for header in ("#", "action", "when (UTC)", "who", "command", "what / why"):
        table.add_column(header)
    for e in events:
        who = e.database_user + (f" ({e.os_user})" if e.os_user else "")
        what = "; ".join(e.reasons) if e.reasons else f"{len(e.tables)} tables"
        if e.detail.get("raw_batch_ids"):
            what += f", raw batches {e.detail['raw_batch_ids']}"
        when = e.occurred_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(str(e.event_id), e.action, when, who, e.command, what)
    console.print(table)


# -- backup ------------------------------------------------------------------------------------
@app.command()
def backup(
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: a new file in .backups/).")
    ] = None,
) -> None:
    """Back up the whole warehouse database (pg_dump, custom format)."""
    from member_migration.backup import BackupError, backup_database
    from member_migration.warehouse import WarehouseError, ensure_warehouse

    try:
        settings = ensure_warehouse()
        with err_console.status(f"Backing up {settings.dbname}"):
            written = backup_database(settings, out)
    except (BackupError, WarehouseError) as exc:
        _fail(str(exc))
    console.print(f"Backup written: {written.path} ({written.size_text})", soft_wrap=True)


@app.command()
def backups() -> None:
    """List the backups (file, size, when) in .backups/ or MEMBER_MIGRATION_BACKUP_DIR."""
    from member_migration.backup import backup_dir, list_backups

    found = list_backups()
    if not found:
        console.print(f"No backups in {backup_dir()}.", soft_wrap=True)
        return
    table = Table(title=f"Backups in {backup_dir()}")
    table.add_column("file")
    table.add_column("size", justify="right")
    table.add_column("when (UTC)")
    for b in found:
        table.add_row(b.path.name, b.size_text, b.created_at.strftime("%Y-%m-%d %H:%M:%S"))
    console.print(table)


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A backup file (member-migration backups).")],
    database: Annotated[
        str | None,
        typer.Option(help="Database to restore into (default: the warehouse database)."),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Drop the database first when it is not empty."),
    ] = False,
) -> None:
    """Restore a backup into a new (or empty) database; --replace to overwrite one."""
    from member_migration.backup import BackupError, restore_database
    from member_migration.warehouse import WarehouseError, ensure_warehouse

    try:
        settings = ensure_warehouse()
        with err_console.status(f"Restoring {file.name}"):
            summary = restore_database(settings, file, database=database, replace=replace)
    except (BackupError, WarehouseError) as exc:
        _fail(str(exc))
    action = "replaced and restored" if summary.replaced else "restored"
    console.print(
        f"Database {summary.database} {action} from {file} in {summary.seconds:.1f} s: "
        f"{settings.url(summary.database)}",
        soft_wrap=True,
    )


# -- dbt ---------------------------------------------------------------------------------------
@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def dbt(ctx: typer.Context) -> None:
    """Run dbt against the warehouse, starting the embedded one on demand.

    Example: member-migration dbt build --vars '{as_of_date: "2026-06-30"}'
    """
    from member_migration.warehouse import WarehouseError, ensure_warehouse

    try:
        settings = ensure_warehouse()
    except WarehouseError as exc:
        _fail(str(exc))
    env = {**os.environ, **settings.env()}
    # The publish log records the OS user (USER); a service environment may not set it.
    if not env.get("USER"):
        with contextlib.suppress(KeyError, OSError):
            env["USER"] = getpass.getuser()
    root = config.project_root()
    args = list(ctx.args)
    if "--profiles-dir" not in args:
        args += ["--profiles-dir", str(root)]
    dbt_exe = Path(sys.executable).with_name("dbt")
    result = subprocess.run([str(dbt_exe), *args], cwd=root, env=env)
    raise typer.Exit(result.returncode)


# -- bench -------------------------------------------------------------------------------------
@app.command()
def bench(
    persons: Annotated[
        list[int] | None,
        typer.Option(
            "--persons",
            help="Persons per package; repeat for several sizes (default 100000 and 1000000).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated packages.")] = 42,
    peer: Annotated[
        bool, typer.Option("--peer/--no-peer", help="Compare with Splink (the bench extra).")
    ] = True,
    floor: Annotated[
        bool, typer.Option("--floor/--no-floor", help="Measure the floor (plain COPY).")
    ] = True,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the databases and server for profiling.")
    ] = False,
    regenerate: Annotated[
        bool, typer.Option("--regenerate", help="Generate the packages again.")
    ] = False,
    threads: Annotated[
        int | None, typer.Option(help="dbt threads (default: the profile's).")
    ] = None,
    explain: Annotated[
        int, typer.Option(help="EXPLAIN ANALYZE the N slowest models (plans in target/bench).")
    ] = 0,
    disk_check: Annotated[
        bool,
        typer.Option(
            "--disk-check/--no-disk-check",
            help="Refuse a run that would not fit on the disk, before generating anything.",
        ),
    ] = True,
) -> None:
    """Time load + dbt build against the floor (plain COPY) and a peer (Splink); JSON in
    target/bench/. Uses a fresh embedded server, or PGHOST's server in a new database."""
    from member_migration.bench import DEFAULT_SIZES, BenchOptions, run_bench
    from member_migration.bench.disk import NotEnoughDisk
    from member_migration.bench.report import print_report
    from member_migration.warehouse import WarehouseError

    options = BenchOptions(
        sizes=tuple(persons or DEFAULT_SIZES),
        seed=seed,
        peer=peer,
        floor=floor,
        keep=keep,
        regenerate=regenerate,
        explain=explain,
        threads=threads,
        disk_check=disk_check,
    )
    try:
        report = run_bench(
            options, progress=lambda message: err_console.print(message, markup=False)
        )
    except (WarehouseError, NotEnoughDisk) as exc:
        _fail(str(exc))
    print_report(report, console)
    if not report.ok:
        raise typer.Exit(1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
