"""Commands that make a workspace: ``openspm demo``."""

from __future__ import annotations

from typing import Annotated

import typer

from openspm.cli.app import (
    QuietOption,
    WorkspaceOption,
    app,
    fail,
    open_workspace,
    run_job_or_fail,
)
from openspm.demo import DemoSize, generate_workspace
from openspm.workspace import Workspace


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
        run_job_or_fail("pipeline_job", generated, quiet)
