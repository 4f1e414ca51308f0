"""``openspm statement``: where a closed month's statements are, or one of them as text."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from openspm.cli.app import WorkspaceOption, app, fail, open_workspace, period_or_fail, warn
from openspm.publish import closed_periods
from openspm.statements import (
    FinanceSource,
    MonthFilesError,
    gather_statements,
    has_month_files,
    month_dir,
    rebuild_month_files,
    render_text,
)
from openspm.statements.gate import STATEMENTS_DIR
from openspm.statements.payroll import PAYROLL_FILE
from openspm.warehouse import DATABASE_ERRORS, WarehouseError, read_only


@app.command()
def statement(
    period: Annotated[str, typer.Option("--period", help="The closed month (YYYY-MM).")],
    employee: Annotated[
        str | None,
        typer.Option("--employee", help="One employee's statement (employee_id).",
                     show_default=False),
    ] = None,
    output: Annotated[
        Literal["paths", "text"],
        typer.Option("--format", help="paths: where the files are; text: the statement "
                     "in the terminal (with --employee)."),
    ] = "paths",
    workspace: WorkspaceOption = None,
) -> None:
    """Where a closed month's statements and payroll file are, or one statement as text."""
    month = period_or_fail(period, "--period")
    if output == "text" and employee is None:
        raise fail("--format text shows one statement: give --employee ID")
    ws = open_workspace(workspace)
    try:
        with read_only(ws) as connection:
            if connection is None or month not in closed_periods(connection):
                raise fail(f"{month} is not closed: statements exist only for closed months "
                           f"(openspm close --period {month})")
            if not has_month_files(ws, month):
                rebuild_month_files(ws, connection, month)
                warn(f"{month} was published without its files; rebuilt from finance")
            folder = month_dir(ws, month)
            wanted = folder / STATEMENTS_DIR / f"{employee}.html"
            if employee is not None and not wanted.is_file():
                raise fail(f"no statement for {employee} in {month}: {employee} has no payout "
                           "row that month")
            if output == "text":
                source = FinanceSource.published(connection, month)
                [found] = gather_statements(
                    source,
                    ws.settings.company,
                    [employee],
                    show_ranks=ws.settings.leaderboard.show_rank_on_statements,
                )
                typer.echo(render_text(found))
                return
    except (WarehouseError, MonthFilesError, *DATABASE_ERRORS) as exc:
        raise fail(str(exc)) from None
    if employee is not None:
        base = folder / STATEMENTS_DIR / employee
        typer.echo(f"{base.with_suffix('.html')}\n{base.with_suffix('.csv')}")
        return
    count = sum(1 for _ in (folder / STATEMENTS_DIR).glob("*.html"))
    typer.echo(f"{month}: {count} statements in {folder / STATEMENTS_DIR} (HTML and CSV)")
    typer.echo(f"payroll export: {folder / PAYROLL_FILE}")
    report = folder / "close-report.md"
    if report.is_file():
        typer.echo(f"close report: {report}")
