"""Commands that ask the engine what-ifs without touching finance: ``estimate``, ``model``,
``forecast`` (docs/modelling.md)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from openspm.cli.app import WorkspaceOption, app, fail, open_workspace
from openspm.estimate import EstimateError, estimate_deal, explain, make_deal


@app.command()
def estimate(
    workspace: WorkspaceOption = None,
    employee: Annotated[
        str, typer.Option("--employee", help="The deal owner's employee_id.", show_default=False)
    ] = ...,  # type: ignore[assignment]
    amount: Annotated[
        str, typer.Option("--amount", help="The deal amount.", show_default=False)
    ] = ...,  # type: ignore[assignment]
    date: Annotated[
        str,
        typer.Option("--date", help="The expected close date, YYYY-MM-DD.", show_default=False),
    ] = ...,  # type: ignore[assignment]
    deal_type: Annotated[
        str,
        typer.Option(
            "--deal-type", help="new_business, expansion or renewal.", show_default=False
        ),
    ] = ...,  # type: ignore[assignment]
    currency: Annotated[
        str | None,
        typer.Option(
            "--currency",
            help="The deal's currency (default: the owner's plan currency on the date).",
            show_default=False,
        ),
    ] = None,
    split: Annotated[
        list[str] | None,
        typer.Option(
            "--split",
            help="A revenue split EMPLOYEE=PERCENT (repeatable); the owner keeps the rest.",
            show_default=False,
        ),
    ] = None,
    overlay: Annotated[
        list[str] | None,
        typer.Option(
            "--overlay",
            help="An overlay split EMPLOYEE=PERCENT, credited on top (repeatable).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the estimate as JSON instead of text.")
    ] = False,
) -> None:
    """What a deal would add to each credited person's earnings, from the current drafts."""
    ws = open_workspace(workspace)
    started = time.perf_counter()
    try:
        deal = make_deal(
            employee,
            amount,
            date,
            deal_type,
            currency=currency,
            splits=split or [],
            overlays=overlay or [],
        )
        result = estimate_deal(ws, deal)
    except EstimateError as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    typer.echo(explain(result))
    people = len(result.totals())
    typer.echo(
        f"\nestimate: {len(result.credits)} credit(s), {people} person(s) earn more, computed "
        f"from the drafts through {result.through_period} in {time.perf_counter() - started:.1f} "
        "s; nothing was written"
    )


def _existing_dir(path: Path, option: str) -> Path:
    if not path.is_dir():
        raise fail(f"{option} {path}: no such folder")
    return path.resolve()
