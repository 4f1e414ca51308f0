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
    writing,
)
from openspm.cli.engine import drivers
from openspm.cli.progress import RunProgress
from openspm.lock import current_holder
from openspm.status import (
    MonthStatus,
    load_snapshot,
    month_statuses,
    next_to_close,
    save_snapshot,
)
from openspm.warehouse import WarehouseError, describe, read_only
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
    """Run every check of the next close on a scratch copy of the warehouse; change nothing."""
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
    if ws.engine != "duckdb":
        raise fail(
            f"the full validation runs on a scratch copy of a DuckDB warehouse; this workspace's "
            f"warehouse is a {ws.engine} server: use `openspm validate --quick`, or `openspm run` "
            "(drafts only: nothing is published)"
        )
    validation = drivers().validation
    with writing(ws, "validate"), RunProgress("validate", quiet=quiet) as progress:
        checked = validation.check_workspace(ws, report_dir=report, listener=progress)
    for outcome in checked.outcomes:
        if not outcome.passed:
            kind = "blocking" if outcome.blocks else "warning"
            typer.echo(f"  {kind}: {outcome.first_line()}")
    if checked.report is not None:
        typer.echo(f"report: {checked.report}")
    if checked.blocking:
        raise fail(
            f"{checked.period} cannot be closed: {len(checked.blocking)} blocking check(s) "
            f"fail; first: {checked.blocking[0].first_line()}",
            checked.log_path,
        )
    if checked.failure or problems:
        raise fail(
            checked.failure or f"{len(problems)} problem(s); first: {problems[0]}",
            checked.log_path,
        )
    typer.echo(
        f"{ws.root}: every blocking check passes for {checked.period}, the next month to "
        f"close; `openspm close --period {checked.period}` can publish it"
    )


@app.command()
def status(workspace: WorkspaceOption = None) -> None:
    """List the months from first_period: published (run, time, totals), open, or failing."""
    ws = open_workspace(workspace)
    holder = current_holder(ws.root)
    if holder is not None:  # the warehouse is being written: show the last listing
        typer.echo(holder.describe_running())
        saved = load_snapshot(ws.state_dir)
        if saved is None:
            typer.echo("no earlier listing saved; run `openspm status` again when it ends")
            return
        taken_at, first, months = saved
        typer.echo(f"as of {taken_at:%Y-%m-%d %H:%M:%S} UTC, before it started:")
        _print(months, first)
        return
    first = first_period_or_fail(ws)
    try:
        with read_only(ws) as connection:
            if connection is None:
                raise fail(f"no warehouse at {describe(ws)} yet; run `openspm run` first")
            months = month_statuses(connection, first)
    except WarehouseError as exc:
        raise fail(str(exc)) from None
    save_snapshot(ws.state_dir, first, months)
    _print(months, first)


def _print(months: list[MonthStatus], first: str) -> None:
    for month in months:
        typer.echo(month.line())
    counts = {s: sum(1 for m in months if m.state == s) for s in ("published", "open", "failing")}
    nxt = next_to_close(months)
    typer.echo(
        f"{counts['published']} published, {counts['open']} open, {counts['failing']} failing "
        f"(first_period {first})" + (f"; next to close: {nxt}" if nxt else "")
    )
