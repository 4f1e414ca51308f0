"""``openspm dbt -- <args>``: dbt by hand, against the workspace's warehouse.

dbt runs with the project's profile pointed at the workspace's warehouse, in the workspace's
own dbt folder (``.openspm/dbt/``, the one the pipeline's builds use, so partial parsing is
shared), under the workspace lock, after the tables dbt reads as sources exist. dbt's output
is shown as dbt writes it; the exit code is dbt's.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from typing import Annotated

import typer

from openspm.accounting.policy import accounting_environment
from openspm.cli.app import WorkspaceOption, app, fail, open_workspace, writing
from openspm.dbt_project import (
    DBT_PROJECT_DIR,
    FIRST_PERIOD_ENV,
    DbtProjectError,
    dbt_executable,
    warehouse_environment,
)
from openspm.periods import PeriodError, first_period
from openspm.publish import ensure_finance_tables
from openspm.warehouse import connect
from openspm.warehouse.config import WarehouseSecretError


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    epilog="Example: openspm dbt -- docs generate   (then `openspm dbt -- docs serve`)",
)
def dbt(
    context: typer.Context,
    workspace: WorkspaceOption = None,
    args: Annotated[
        list[str] | None, typer.Argument(help="dbt's own arguments, after `--`.")
    ] = None,
) -> None:
    """Run dbt against the workspace's warehouse: `openspm dbt -- <dbt arguments>`."""
    dbt_args = [*(args or []), *context.args]
    if not dbt_args:
        raise fail("give dbt's arguments after `--`, e.g. `openspm dbt -- docs generate`")
    ws = open_workspace(workspace)
    try:
        executable = dbt_executable()
    except DbtProjectError as exc:
        raise fail(str(exc)) from None
    target = ws.state_dir / "dbt"
    try:
        env = {
            **os.environ,
            **warehouse_environment(ws),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            **accounting_environment(ws.settings),  # the elections, as the close passes them
        }
    except WarehouseSecretError as exc:
        raise fail(str(exc)) from None
    with contextlib.suppress(PeriodError):  # else dbt's default: the earliest assignment
        env[FIRST_PERIOD_ENV] = first_period(ws)
    command = [
        executable,
        *dbt_args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(target),
    ]
    with writing(ws, f"dbt {' '.join(dbt_args)}"):
        with connect(ws) as connection:
            ensure_finance_tables(connection)  # the engine reads the published history
        done = subprocess.run(command, env=env, cwd=ws.root, check=False)
    if done.returncode != 0:
        raise typer.Exit(code=done.returncode)
