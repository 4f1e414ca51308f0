"""Commands that make a workspace: ``openspm init`` and ``openspm demo``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from openspm.cli.app import (
    QuietOption,
    WorkspaceOption,
    app,
    fail,
    open_workspace,
    run_job_or_fail,
    writing,
)
from openspm.cli.engine import drivers
from openspm.cli.run_commands import pull_or_fail
from openspm.demo import DemoSize, generate_workspace
from openspm.settings import CURRENCY_PATTERN, SETTINGS_FILE
from openspm.starter import start_workspace
from openspm.workspace import Workspace


@app.command()
def init(
    directory: Annotated[
        Path, typer.Argument(help="The workspace folder to create (or an empty one).")
    ],
    company: Annotated[str, typer.Option(help="The company's name.")] = "My Company",
    currency: Annotated[
        str, typer.Option(help="The reporting currency (ISO 4217, e.g. EUR).")
    ] = "USD",
) -> None:
    """Write a first workspace: commented settings, an example plan, comp files, landing folders."""
    root = directory.expanduser().resolve()
    if (root / SETTINGS_FILE).exists():
        raise fail(f"{root / SETTINGS_FILE} exists already: {root} is a workspace; nothing written")
    if not CURRENCY_PATTERN.match(currency):
        raise fail(f"--currency {currency!r} is not an ISO 4217 code of three capitals, e.g. EUR")
    started = start_workspace(root, company=company, currency=currency)
    for path in started.written:
        typer.echo(f"  wrote {path.relative_to(root)}{'/' if path.is_dir() else ''}")
    for path in started.kept:
        typer.echo(f"  kept  {path.relative_to(root)} (it exists)")
    typer.echo(
        f"workspace {root}: {len(started.written)} files and folders written. Next: edit "
        f"{SETTINGS_FILE} and comp/, drop CSV or Parquet files into landing/<system>/<entity>/, "
        f"then `openspm validate --workspace {root}`"
    )


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
    with writing(generated, "demo"):
        if force and generated.engine == "duckdb":  # built from the old files: start afresh
            warehouse = generated.warehouse_path
            for stale in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
                stale.unlink(missing_ok=True)
        if run:
            run_job_or_fail("pipeline_job", generated, quiet, title="demo drafts")


def _sources_demo(
    root: Path, seed: int, size: DemoSize, *, force: bool, run: bool, quiet: bool
) -> None:
    """``openspm demo --sources``: the demo company pulled from fake vendor servers."""
    vendors_demo = drivers().fake_vendors
    try:
        summary = vendors_demo.generate(root, seed=seed, size=size, overwrite=force)
    except (FileExistsError, ValueError) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"demo vendors' data written to {root / vendors_demo.VENDOR_DIR}: {summary}")
    for name, value in vendors_demo.DEMO_ENV.items():
        os.environ.setdefault(name, value)  # the fakes' own demo credentials
    with vendors_demo.serving(root) as vendors:
        vendors_demo.write_settings(root, vendors)
        generated = open_workspace(root)
        typer.echo("fake vendors on " + ", ".join(f"{s} {u}" for s, u in vendors.urls.items()))
        with writing(generated, "demo"):
            if force and generated.engine == "duckdb":  # built from the old data: start afresh
                warehouse = generated.warehouse_path
                for stale in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
                    stale.unlink(missing_ok=True)
            if run:
                pull_or_fail(generated, None, quiet)
                run_job_or_fail("pipeline_job", generated, quiet, title="demo drafts")
    typer.echo(
        "fake vendors stopped; to pull again: "
        f"python -m integrations.fakes serve --workspace {root}, then openspm ingest"
    )
