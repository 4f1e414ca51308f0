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


@app.command()
def run(workspace: WorkspaceOption = None, quiet: QuietOption = False) -> None:
    """Ingest landing data, then build and test every warehouse model."""
    _run("pipeline_job", open_workspace(workspace), quiet)


if __name__ == "__main__":
    app()
