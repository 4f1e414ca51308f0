"""The ``openspm`` command line (docs/contract.md section 8)."""

from __future__ import annotations

import atexit
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from openspm.settings import SettingsError
from openspm.workspace import WORKSPACE_ENV, Workspace

if TYPE_CHECKING:
    from openspm.demo import DemoSize

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


def _run(
    job_name: str, workspace: Workspace, quiet: bool, tags: dict[str, str] | None = None
) -> None:
    from openspm.close import explain
    from openspm.runner import PipelineError, run_job

    try:
        summary = run_job(job_name, workspace, quiet=quiet, tags=tags)
    except PipelineError as exc:
        raise fail(explain(workspace, exc)) from None
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
    sources: Annotated[
        bool,
        typer.Option(
            "--sources",
            help="Serve the company from fake Salesforce, NetSuite and BambooHR servers on "
            "127.0.0.1 and pull it through the connectors (docs/connectors.md).",
        ),
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Generate the demo workspace and run the whole pipeline on it."""
    from openspm.demo import DemoSize, generate_workspace

    root = Workspace.open(workspace).root
    if sources:
        size = DemoSize(employees=employees, deals=deals, months=months)
        _sources_demo(root, seed, size, force=force, run=run, quiet=quiet)
        return
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
def validate(
    workspace: WorkspaceOption = None,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick", help="Only read the files (settings, landing, comp); run no models."
        ),
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(help="Also write the report (Markdown and HTML) into this folder."),
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Run every check of a close on a scratch copy of the warehouse; change nothing."""
    from openspm.validate import check_workspace, validate_workspace

    ws = open_workspace(workspace)
    problems = validate_workspace(ws).problems
    for problem in problems[:MAX_LISTED]:
        typer.echo(f"  {problem}")
    if len(problems) > MAX_LISTED:
        typer.echo(f"  ... and {len(problems) - MAX_LISTED} more")
    if quick:
        if problems:
            raise fail(f"{len(problems)} problem(s) in {ws.root}; first: {problems[0]}")
        typer.echo(f"{ws.root}: settings, landing data and compensation configuration are valid")
        return
    typer.echo(f"{ws.root}: running every check on a scratch copy of the warehouse ...")
    checked = check_workspace(ws, report_dir=report, quiet=quiet)
    for outcome in checked.outcomes:
        if not outcome.passed:
            kind = "blocking" if outcome.blocks else "warning"
            typer.echo(f"  {kind}: {outcome.first_line()}")
    if checked.report is not None:
        typer.echo(f"report: {checked.report}")
    if checked.blocking:
        raise fail(
            f"{len(checked.blocking)} blocking check(s) fail for {checked.period}; "
            f"first: {checked.blocking[0].first_line()}"
        )
    if checked.failure or problems:
        raise fail(checked.failure or f"{len(problems)} problem(s); first: {problems[0]}")
    typer.echo(f"{ws.root}: every blocking check passes for {checked.period}; it can be closed")


def _sources_demo(
    root: Path, seed: int, size: DemoSize, *, force: bool, run: bool, quiet: bool
) -> None:
    """``openspm demo --sources``: the demo company pulled from fake vendor servers."""
    from integrations.fakes import demo as fake_demo

    try:
        summary = fake_demo.generate(root, seed=seed, size=size, overwrite=force)
    except (FileExistsError, ValueError) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"demo vendors' data written to {root / fake_demo.VENDOR_DIR}: {summary}")
    for name, value in fake_demo.DEMO_ENV.items():
        os.environ.setdefault(name, value)  # demo-only credentials of the fakes
    with fake_demo.serving(root) as vendors:
        fake_demo.write_settings(root, vendors)
        generated = open_workspace(root)
        urls = ", ".join(f"{s} {u}" for s, u in vendors.urls.items())
        typer.echo(f"fake vendors serving on {urls}")
        if force:
            warehouse = generated.warehouse_path
            for stale in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
                stale.unlink(missing_ok=True)
        if run:
            _pull(generated, None, quiet)
            _run("pipeline_job", generated, quiet)
    typer.echo(
        "fake vendors stopped; to pull again, serve them with "
        f"`python -m integrations.fakes serve --workspace {root}`"
    )


def _pull(ws: Workspace, systems: list[str] | None, quiet: bool) -> None:
    """Pull the connectors of ``systems`` (default: every configured one) into landing."""
    from integrations.pull import configured_systems, pull_sources

    configured = configured_systems(ws)
    if systems:
        unknown = [s for s in systems if s not in configured]
        if unknown:
            raise fail(
                f"--source {unknown[0]}: sources.{unknown[0]} in openspm.yaml is no connector "
                f"(configured: {', '.join(configured) or 'none'}); file drops need no pull"
            )
    chosen = systems or configured
    if not chosen:
        return
    report = pull_sources(ws, chosen, progress=None if quiet else typer.echo)
    if report.failures:
        first = report.failures[0]
        raise fail(
            f"{len(report.failures)} pull(s) failed, nothing was loaded; first: {first}"
        )
    typer.echo(report.summary())


SourceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--source",
        help="Pull only this system's connector (crm, erp or hris; repeatable), then load.",
        show_default=False,
    ),
]


@app.command()
def ingest(
    workspace: WorkspaceOption = None,
    source: SourceOption = None,
    pull: Annotated[
        bool, typer.Option("--pull/--no-pull", help="Pull the configured connectors first.")
    ] = True,
    quiet: QuietOption = False,
) -> None:
    """Pull every configured source (connectors), then load new landing batches into raw."""
    ws = open_workspace(workspace)
    if pull:
        _pull(ws, source, quiet)
    _run("ingest_job", ws, quiet)


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


def _warn(message: str) -> None:
    typer.secho(f"openspm: warning: {message}", err=True, fg="yellow")


def _drafts(
    ws: Workspace,
    quiet: bool,
    *,
    months: list[str],
    partition: str | None = None,
    partition_range: tuple[str, str] | None = None,
    label: str,
    tags: dict[str, str] | None = None,
) -> None:
    """Compute drafts (one partition or a range as one run) and report the outcome."""
    from openspm.close import CloseError, compute_drafts

    typer.echo(f"{label}: ingest, comp tables, dbt build with every check ...")
    try:
        summary = compute_drafts(
            ws,
            months=months,
            quiet=quiet,
            partition=partition,
            partition_range=partition_range,
            warn=_warn,
            tags=tags,
        )
    except CloseError as exc:
        raise fail(str(exc)) from None
    typer.echo(
        f"{label}: {summary.steps} steps succeeded in {summary.seconds:.1f} s "
        f"(run {summary.run_id[:8]}); warehouse: {ws.warehouse_path}"
    )


def _first_period(ws: Workspace) -> str:
    from openspm.close import CloseError, first_period

    try:
        return first_period(ws)
    except CloseError as exc:
        raise fail(str(exc)) from None


@app.command()
def run(
    workspace: WorkspaceOption = None,
    through: ThroughOption = None,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh",
            help="Rebuild every dbt model from all raw data, even when only new batches of "
            "deals, splits, accounts, invoices or payments arrived (those build incrementally).",
        ),
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Ingest landing data, then build and test every model: drafts through a month."""
    from assets.dbt_models import FULL_REFRESH_TAG

    ws = open_workspace(workspace)
    tags = {FULL_REFRESH_TAG: "true"} if full_refresh else None
    if through is None:
        _run("pipeline_job", ws, quiet, tags)
        return
    from openspm.close import open_months
    from openspm.periods import partition_key

    month = _period_or_fail(through, "--through")
    first = _first_period(ws)
    _drafts(
        ws,
        quiet,
        months=open_months(ws, first, month),
        partition=partition_key(month),
        label=f"drafts {first} to {month}",
        tags=tags,
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
    from openspm.close import open_months
    from openspm.periods import PeriodError, checked_range, partition_key

    ws = open_workspace(workspace)
    try:
        months = checked_range(from_, to)
    except PeriodError as exc:
        raise fail(str(exc)) from None
    first = _first_period(ws)
    if months[-1] < first:
        raise fail(f"--to {months[-1]} is before first_period {first}; nothing to recompute")
    still_open = open_months(ws, max(first, months[0]), months[-1])
    closed = [m for m in months if m >= first and m not in still_open]
    if closed:
        typer.echo(f"closed months keep their published figures: {', '.join(closed)}")
    _drafts(
        ws,
        quiet,
        months=still_open,
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
    from openspm.close import CloseError, close_month

    ws = open_workspace(workspace)
    month = _period_or_fail(period, "--period")
    try:
        result = close_month(ws, month, quiet=quiet, progress=typer.echo, warn=_warn)
    except CloseError as exc:
        raise fail(str(exc)) from None
    typer.echo(str(result))


@app.command()
def status(workspace: WorkspaceOption = None) -> None:
    """List the months from first_period: published (run, time, totals), open, or failing."""
    from openspm.close import read_warehouse
    from openspm.status import month_statuses

    ws = open_workspace(workspace)
    first = _first_period(ws)
    with read_warehouse(ws) as connection:
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


def main() -> None:
    """The ``openspm`` entry point: the command, then a quick exit.

    Tearing down the libraries a run imports (Dagster, dbt, Great Expectations, pandas) takes
    Python about 2 s at exit; exit handlers still run and output is flushed, only the teardown
    of modules is skipped.
    """
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    atexit._run_exitfuncs()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
