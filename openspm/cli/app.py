"""The ``openspm`` Typer application, the options every command shares, and how it fails."""

from __future__ import annotations

import atexit
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from openspm.cli.engine import drivers
from openspm.periods import PeriodError, first_period, parse_period
from openspm.settings import SettingsError
from openspm.statements import repair_month_files
from openspm.warehouse import WarehouseError
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
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary.")]


def fail(message: str) -> typer.Exit:
    """Print a one-line cause on stderr; the caller raises the returned Exit(1)."""
    typer.secho(f"openspm: error: {' '.join(message.split())}", err=True, fg="red")
    return typer.Exit(code=1)


def warn(message: str) -> None:
    typer.secho(f"openspm: warning: {message}", err=True, fg="yellow")


def open_workspace(path: Path | None, *, repair: bool = True) -> Workspace:
    """The workspace with its settings validated (an invalid openspm.yaml stops here).

    ``repair``: rebuild from finance the files of published months found without them (a
    close killed between its publication and its files, docs/statements.md).
    """
    workspace = Workspace.open(path)
    try:
        workspace.settings  # noqa: B018 (parse and validate now)
    except SettingsError as exc:
        raise fail(str(exc)) from None
    if repair:
        repair_month_files(workspace, warn)
    return workspace


def period_or_fail(text: str, what: str) -> str:
    """``text`` as a month YYYY-MM, else a one-line failure naming the option."""
    try:
        return parse_period(text, what)
    except PeriodError as exc:
        raise fail(str(exc)) from None


def first_period_or_fail(ws: Workspace) -> str:
    """The workspace's first_period, else a one-line failure saying why it is unknown."""
    try:
        return first_period(ws)
    except (PeriodError, WarehouseError) as exc:
        raise fail(str(exc)) from None


def run_job_or_fail(
    job_name: str, workspace: Workspace, quiet: bool, tags: dict[str, str] | None = None
) -> None:
    """Run a job in this process and print its summary, else a one-line cause."""
    engine = drivers()
    try:
        summary = engine.runner.run_job(job_name, workspace, quiet=quiet, tags=tags)
    except engine.runner.PipelineError as exc:
        raise fail(engine.close.explain(workspace, exc)) from None
    typer.echo(
        f"{job_name}: {summary.steps} steps succeeded in {summary.seconds:.1f} s "
        f"(run {summary.run_id[:8]}); warehouse: {workspace.warehouse_path}"
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
