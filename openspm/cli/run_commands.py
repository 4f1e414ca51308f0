"""Commands that run the pipeline: ``ingest``, ``run``, ``backfill`` and ``close``."""

from __future__ import annotations

from typing import Annotated

import typer

from assets.run_tags import FULL_REFRESH_TAG
from openspm.cli.app import (
    QuietOption,
    WorkspaceOption,
    app,
    fail,
    first_period_or_fail,
    open_workspace,
    period_or_fail,
    run_job_or_fail,
    warn,
)
from openspm.cli.engine import drivers
from openspm.periods import PeriodError, checked_range, partition_key
from openspm.publish import open_months
from openspm.warehouse import WarehouseError, read_only
from openspm.workspace import Workspace

ThroughOption = Annotated[
    str | None,
    typer.Option(
        "--through",
        help="Compute drafts for every month up to this one (YYYY-MM); default: the month of "
        "the latest credit.",
        show_default=False,
    ),
]


def _open_months(ws: Workspace, first: str, last: str) -> list[str]:
    try:
        with read_only(ws) as connection:
            return open_months(connection, first, last)
    except WarehouseError as exc:
        raise fail(str(exc)) from None


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
    typer.echo(f"{label}: ingest, comp tables, dbt build with every check ...")
    close = drivers().close
    try:
        summary = close.compute_drafts(
            ws,
            months=months,
            quiet=quiet,
            partition=partition,
            partition_range=partition_range,
            warn=warn,
            tags=tags,
        )
    except close.CloseError as exc:
        raise fail(str(exc)) from None
    typer.echo(
        f"{label}: {summary.steps} steps succeeded in {summary.seconds:.1f} s "
        f"(run {summary.run_id[:8]}); warehouse: {ws.warehouse_path}"
    )


def pull_or_fail(ws: Workspace, systems: list[str] | None, quiet: bool) -> None:
    """Pull the connectors of ``systems`` (default: every configured one) into landing."""
    pull = drivers().pull
    configured = pull.configured_systems(ws)
    unknown = [s for s in systems or () if s not in configured]
    if unknown:
        raise fail(
            f"--source {unknown[0]}: sources.{unknown[0]} in openspm.yaml is no connector "
            f"(configured: {', '.join(configured) or 'none'}); a file drop needs no pull"
        )
    chosen = systems or configured
    if not chosen:
        return
    report = pull.pull_sources(ws, chosen, progress=None if quiet else typer.echo)
    if report.failures:
        raise fail(f"{len(report.failures)} pull(s) failed, nothing was loaded; first: "
                   f"{report.failures[0]}")  # fmt: skip
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
        pull_or_fail(ws, source, quiet)
    run_job_or_fail("ingest_job", ws, quiet)


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
    ws = open_workspace(workspace)
    tags = {FULL_REFRESH_TAG: "true"} if full_refresh else None
    if through is None:
        run_job_or_fail("pipeline_job", ws, quiet, tags)
        return
    month = period_or_fail(through, "--through")
    first = first_period_or_fail(ws)
    _drafts(
        ws,
        quiet,
        months=_open_months(ws, first, month),
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
    ws = open_workspace(workspace)
    try:
        months = checked_range(from_, to)
    except PeriodError as exc:
        raise fail(str(exc)) from None
    first = first_period_or_fail(ws)
    if months[-1] < first:
        raise fail(f"--to {months[-1]} is before first_period {first}; nothing to recompute")
    still_open = _open_months(ws, max(first, months[0]), months[-1])
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
    ws = open_workspace(workspace)
    month = period_or_fail(period, "--period")
    driver = drivers().close
    try:
        result = driver.close_month(ws, month, quiet=quiet, progress=typer.echo, warn=warn)
    except driver.CloseError as exc:
        raise fail(str(exc)) from None
    typer.echo(str(result))
