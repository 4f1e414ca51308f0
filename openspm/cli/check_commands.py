"""Commands that look and change nothing: ``validate`` and ``status``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openspm.cli.app import (
    QuietOption,
    WorkspaceOption,
    app,
    fail,
    first_period_or_fail,
    open_workspace,
)
from openspm.cli.engine import drivers
from openspm.status import month_statuses
from openspm.warehouse import WarehouseError, read_only
from openspm.workspace_checks import check_files

MAX_LISTED = 200  # validate lists at most this many problems


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
    ws = open_workspace(workspace, repair=False)
    problems = check_files(ws).problems
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
    checked = drivers().validation.check_workspace(ws, report_dir=report, quiet=quiet)
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


@app.command()
def status(workspace: WorkspaceOption = None) -> None:
    """List the months from first_period: published (run, time, totals), open, or failing."""
    ws = open_workspace(workspace)
    first = first_period_or_fail(ws)
    try:
        with read_only(ws) as connection:
            if connection is None:
                raise fail(f"no warehouse at {ws.warehouse_path} yet; run `openspm run` first")
            months = month_statuses(connection, first)
    except WarehouseError as exc:
        raise fail(str(exc)) from None
    for month in months:
        typer.echo(month.line())
    counts = {s: sum(1 for m in months if m.state == s) for s in ("published", "open", "failing")}
    typer.echo(
        f"{counts['published']} published, {counts['open']} open, {counts['failing']} failing "
        f"(first_period {first})"
    )
