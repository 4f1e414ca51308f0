"""The ``openspm`` command line (contract section 8)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openspm.settings import SettingsError
from openspm.workspace import WORKSPACE_ENV, Workspace

app = typer.Typer(
    name="openspm",
    help="OpenSPM: credit deals and compute commissions from CRM, ERP and HRIS data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        envvar=WORKSPACE_ENV,
        help=f"Workspace folder (default: ${WORKSPACE_ENV}, else the current directory).",
        show_default=False,
    ),
]


def fail(message: str) -> typer.Exit:
    """Print a one-line cause on stderr; the caller raises the returned Exit(1)."""
    typer.secho(f"openspm: error: {' '.join(message.split())}", err=True, fg="red")
    return typer.Exit(code=1)


def open_workspace(path: Path | None) -> Workspace:
    """The workspace with its settings validated (an invalid openspm.yaml stops here)."""
    workspace = Workspace.open(path)
    try:
        workspace.settings  # noqa: B018 (parse and validate now)
    except SettingsError as exc:
        raise fail(str(exc)) from None
    return workspace


def _run(job_name: str, workspace: Workspace, quiet: bool) -> None:
    from openspm.runner import PipelineError, run_job

    try:
        summary = run_job(job_name, workspace, quiet=quiet)
    except PipelineError as exc:
        raise fail(str(exc)) from None
    typer.echo(
        f"{job_name}: {summary.steps} steps succeeded in {summary.seconds:.1f} s "
        f"(run {summary.run_id[:8]}); warehouse: {workspace.warehouse_path}"
    )


MAX_LISTED = 200  # validate lists at most this many problems
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary.")]


@app.command()
def demo(
    workspace: WorkspaceOption = None,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 7,
    employees: Annotated[int, typer.Option(help="Number of employees.")] = 150,
    deals: Annotated[int, typer.Option(help="Number of deals.")] = 30_000,
    months: Annotated[int, typer.Option(help="Months of history from 2025-01.")] = 22,
    force: Annotated[
        bool, typer.Option("--force", help="Regenerate over an earlier demo in this folder.")
    ] = False,
    run: Annotated[
        bool, typer.Option("--run/--no-run", help="Run the pipeline on the generated workspace.")
    ] = True,
    quiet: QuietOption = False,
) -> None:
    """Generate the demo workspace and run the whole pipeline on it."""
    from openspm.demo import DemoSize, generate_workspace

    root = Workspace.open(workspace).root
    try:
        summary = generate_workspace(
            root,
            seed=seed,
            size=DemoSize(employees=employees, deals=deals, months=months),
            overwrite=force,
        )
    except (FileExistsError, ValueError) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"demo workspace written to {root}: {summary}")
    generated = open_workspace(root)
    if force:  # the old warehouse was built from the old files: start afresh
        warehouse = generated.warehouse_path
        for stale in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
            stale.unlink(missing_ok=True)
    if run:
        _run("pipeline_job", generated, quiet)


@app.command()
def validate(workspace: WorkspaceOption = None) -> None:
    """Check settings, every landing batch and the compensation configuration; change nothing."""
    from openspm.validate import validate_workspace

    ws = open_workspace(workspace)
    problems = validate_workspace(ws).problems
    for problem in problems[:MAX_LISTED]:
        typer.echo(f"  {problem}")
    if len(problems) > MAX_LISTED:
        typer.echo(f"  ... and {len(problems) - MAX_LISTED} more")
    if problems:
        raise fail(f"{len(problems)} problem(s) in {ws.root}; first: {problems[0]}")
    typer.echo(f"{ws.root}: settings, landing data and compensation configuration are valid")


@app.command()
def ingest(workspace: WorkspaceOption = None, quiet: QuietOption = False) -> None:
    """Load new landing batches into the warehouse's raw schema."""
    _run("ingest_job", open_workspace(workspace), quiet)


ThroughOption = Annotated[
    str | None,
    typer.Option(
        "--through",
        help="Compute drafts for every month up to this one (YYYY-MM); default: the month of "
        "the latest credit.",
        show_default=False,
    ),
]


def _period_or_fail(text: str, what: str) -> str:
    from openspm.periods import PeriodError, parse_period

    try:
        return parse_period(text, what)
    except PeriodError as exc:
        raise fail(str(exc)) from None


def _first_period(ws: Workspace) -> str:
    """first_period from openspm.yaml, the warehouse's comp tables, or comp/ (read only)."""
    from openspm.periods import PeriodError, first_period

    try:
        with _read_warehouse(ws) as connection:
            return first_period(ws, connection)
    except PeriodError as exc:
        raise fail(str(exc)) from None


def _read_warehouse(ws: Workspace):  # -> context manager of a connection or None
    """A read-only connection to the warehouse, or None while it does not exist yet."""
    from contextlib import closing, nullcontext

    import duckdb

    if not ws.warehouse_path.exists():
        return nullcontext(None)
    try:
        return closing(duckdb.connect(str(ws.warehouse_path), read_only=True))
    except duckdb.Error as exc:
        raise fail(f"cannot open the warehouse {ws.warehouse_path}: {exc}") from None


def _record(
    ws: Workspace, periods: list[str], kind: str, run_id: str | None, ok: bool, message: str | None
) -> None:
    """Note the attempt in finance.close_attempts (best effort: status reads it)."""
    import duckdb

    from openspm.status import record_attempt

    if not periods or run_id is None or not ws.warehouse_path.exists():
        return
    try:
        with duckdb.connect(str(ws.warehouse_path)) as connection:
            record_attempt(connection, periods, kind, run_id, ok, message)
    except duckdb.Error as exc:
        typer.secho(f"openspm: warning: attempt not recorded: {exc}", err=True, fg="yellow")


def _open_months(ws: Workspace, first: str, last: str) -> list[str]:
    from openspm.periods import period_range
    from openspm.publish import closed_periods

    with _read_warehouse(ws) as connection:
        closed = closed_periods(connection) if connection is not None else {}
    return [p for p in period_range(first, last) if p not in closed]


def _drafts(
    ws: Workspace,
    quiet: bool,
    *,
    kind_months: list[str],
    partition_key: str | None = None,
    partition_range: tuple[str, str] | None = None,
    label: str,
) -> None:
    """Run pipeline_job (one partition or a range as one run), record and report the outcome."""
    from openspm.runner import PipelineError, run_job

    typer.echo(f"{label}: ingest, comp tables, dbt build with every check ...")
    try:
        summary = run_job(
            "pipeline_job",
            ws,
            quiet=quiet,
            partition_key=partition_key,
            partition_range=partition_range,
        )
    except PipelineError as exc:
        _record(ws, kind_months, "run", exc.run_id, False, str(exc))
        raise fail(str(exc)) from None
    _record(ws, kind_months, "run", summary.run_id, True, label)
    typer.echo(
        f"{label}: {summary.steps} steps succeeded in {summary.seconds:.1f} s "
        f"(run {summary.run_id[:8]}); warehouse: {ws.warehouse_path}"
    )


@app.command()
def run(
    workspace: WorkspaceOption = None,
    through: ThroughOption = None,
    quiet: QuietOption = False,
) -> None:
    """Ingest landing data, then build and test every model: drafts through a month."""
    ws = open_workspace(workspace)
    if through is None:
        _run("pipeline_job", ws, quiet)
        return
    from openspm.periods import partition_key

    month = _period_or_fail(through, "--through")
    first = _first_period(ws)
    _drafts(
        ws,
        quiet,
        kind_months=_open_months(ws, first, month),
        partition_key=partition_key(month),
        label=f"drafts {first} to {month}",
    )


@app.command()
def backfill(
    workspace: WorkspaceOption = None,
    from_: Annotated[
        str, typer.Option("--from", help="First month to recompute (YYYY-MM).", show_default=False)
    ] = ...,  # type: ignore[assignment]
    to: Annotated[
        str, typer.Option("--to", help="Last month to recompute (YYYY-MM).", show_default=False)
    ] = ...,  # type: ignore[assignment]
    quiet: QuietOption = False,
) -> None:
    """Recompute a range of months as drafts, in one run (closed months stay as published)."""
    from openspm.periods import PeriodError, checked_range, partition_key

    ws = open_workspace(workspace)
    try:
        months = checked_range(from_, to)
    except PeriodError as exc:
        raise fail(str(exc)) from None
    first = _first_period(ws)
    if months[-1] < first:
        raise fail(f"--to {months[-1]} is before first_period {first}; nothing to recompute")
    open_months = _open_months(ws, max(first, months[0]), months[-1])
    closed = [m for m in months if m >= first and m not in open_months]
    if closed:
        typer.echo(f"closed months keep their published figures: {', '.join(closed)}")
    _drafts(
        ws,
        quiet,
        kind_months=open_months,
        partition_range=(partition_key(months[0]), partition_key(months[-1])),
        label=f"backfill {months[0]} to {months[-1]}",
    )


@app.command()
def close(
    workspace: WorkspaceOption = None,
    period: Annotated[
        str, typer.Option("--period", help="The month to close (YYYY-MM).", show_default=False)
    ] = ...,  # type: ignore[assignment]
    quiet: QuietOption = False,
) -> None:
    """Compute, check and publish one month into finance.* (once; months close in order)."""
    from openspm.periods import partition_key
    from openspm.publish import refusal
    from openspm.runner import PipelineError, run_job

    ws = open_workspace(workspace)
    month = _period_or_fail(period, "--period")
    first = _first_period(ws)
    with _read_warehouse(ws) as connection:
        why = refusal(connection, month, first) if connection is not None else None
    if why is None and month < first:
        why = f"{month} is before first_period {first}; there is nothing to close"
    if why is None and connection is None and month > first:
        why = f"cannot close {month}: earlier month(s) since first_period {first} are not closed"
    if why:
        if "already closed" not in why:
            _record(ws, [month], "close", "refused-before-run", False, why)
        raise fail(why)
    typer.echo(f"closing {month}: ingest, comp tables, dbt build through {month}, checks, publish")
    try:
        summary = run_job("close_job", ws, quiet=quiet, partition_key=partition_key(month))
    except PipelineError as exc:
        _record(ws, [month], "close", exc.run_id, False, str(exc))
        raise fail(str(exc)) from None
    with _read_warehouse(ws) as connection:
        row = connection.execute(
            "select payouts, lines, net_total from finance.closes where period = ?", [month]
        ).fetchone()
    typer.echo(
        f"{month} closed: {row[0]} payouts, {row[1]} lines, net total {row[2]} "
        f"(run {summary.run_id}, {summary.seconds:.1f} s)"
    )


@app.command()
def status(workspace: WorkspaceOption = None) -> None:
    """List the months from first_period: published (run, time, totals), open, or failing."""
    from openspm.status import month_statuses

    ws = open_workspace(workspace)
    first = _first_period(ws)
    with _read_warehouse(ws) as connection:
        if connection is None:
            raise fail(f"no warehouse at {ws.warehouse_path} yet; run `openspm run` first")
        months = month_statuses(connection, first)
    for month in months:
        typer.echo(month.line())
    counts = {s: sum(1 for m in months if m.state == s) for s in ("published", "open", "failing")}
    typer.echo(
        f"{counts['published']} published, {counts['open']} open, {counts['failing']} failing "
        f"(first_period {first})"
    )


if __name__ == "__main__":
    app()
