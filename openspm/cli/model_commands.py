"""Commands that ask the engine what-ifs without touching finance: ``estimate``, ``model``,
``forecast`` (docs/modelling.md)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from openspm.cli.app import (
    QuietOption,
    WorkspaceOption,
    app,
    fail,
    open_workspace,
    period_or_fail,
    writing,
)
from openspm.cli.engine import drivers
from openspm.cli.progress import RunProgress
from openspm.estimate import EstimateError, estimate_deal, explain, make_deal
from openspm.forecast import DEFAULT_SEED, DEFAULT_SIMULATIONS, ForecastError, latest_forecast
from openspm.forecast.run import NEEDED as FORECAST_NEEDS
from openspm.forecast.run import horizon_of
from openspm.modelling import (
    ModellingError,
    ModelRequest,
    check_scenarios,
    discover,
    latest_result,
)
from openspm.periods import PeriodError, checked_range
from openspm.warehouse import DATABASE_ERRORS, missing_tables, read_only
from openspm.workspace import Workspace

MODELLING_OP = "modelling__results"  # the op of the asset modelling/results
FORECAST_OP = "forecast__commission"  # the op of the asset forecast/commission


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
    people = sum(1 for now, later in result.totals().values() if now or later)
    typer.echo(
        f"\nestimate: {len(result.credits)} credit(s), {people} person(s) earn more, computed "
        f"from the drafts through {result.through_period} in {time.perf_counter() - started:.1f} "
        "s; nothing was written"
    )


def _existing_dir(path: Path, option: str) -> Path:
    if not path.is_dir():
        raise fail(f"{option} {path}: no such folder")
    return path.resolve()


@app.command()
def model(
    workspace: WorkspaceOption = None,
    plans: Annotated[
        Path,
        typer.Option(
            "--plans",
            help="Candidate plan files: *.yaml in the folder (one scenario), or one subfolder "
            "per scenario (each may hold plan_assignments.csv and quotas.csv).",
            show_default=False,
        ),
    ] = ...,  # type: ignore[assignment]
    from_: Annotated[
        str, typer.Option("--from", help="First month of the range (YYYY-MM).", show_default=False)
    ] = ...,  # type: ignore[assignment]
    to: Annotated[
        str, typer.Option("--to", help="Last month of the range (YYYY-MM).", show_default=False)
    ] = ...,  # type: ignore[assignment]
    assignments: Annotated[
        Path | None,
        typer.Option(
            "--assignments",
            help="Plan assignments of the candidates (default: comp/plan_assignments.csv).",
            show_default=False,
        ),
    ] = None,
    quotas: Annotated[
        Path | None,
        typer.Option(
            "--quotas",
            help="Quotas of the candidates (default: comp/quotas.csv).",
            show_default=False,
        ),
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Model candidate plans over a past range, compared with the current plans (no finance)."""
    ws = open_workspace(workspace)
    request = ModelRequest(
        plans=_existing_dir(plans, "--plans"),
        first=period_or_fail(from_, "--from"),
        through=period_or_fail(to, "--to"),
        assignments=_existing_file(assignments, "--assignments"),
        quotas=_existing_file(quotas, "--quotas"),
    )
    try:
        checked_range(request.first, request.through)
        scenarios = discover(ws, request.plans, request.assignments, request.quotas)
        check_scenarios(ws, scenarios, request.first)
    except (ModellingError, PeriodError) as exc:
        raise fail(str(exc)) from None
    names = ", ".join(s.name for s in scenarios)
    engine = drivers()
    config = {
        "plans": str(request.plans),
        "from_period": request.first,
        "to_period": request.through,
        "assignments": str(request.assignments or ""),
        "quotas": str(request.quotas or ""),
    }
    title = f"modelling {names} over {request.first} to {request.through}"
    with writing(ws, title), RunProgress(title, quiet=quiet) as progress:
        try:
            summary = engine.runner.run_job(
                "modelling_job", ws, listener=progress, op_config={MODELLING_OP: config}
            )
        except engine.runner.PipelineError as exc:
            cause = str(exc).removeprefix(f"{MODELLING_OP}: ")
            raise fail(cause, exc.log_path) from None
    result = latest_result(ws)
    if result is None:
        raise fail("the modelling run recorded no result; see the run's logs in Dagster")
    if not quiet:
        typer.echo(result.markdown.read_text(encoding="utf-8"))
    typer.echo(
        result.summary().replace(" (run ", f" in {summary.seconds:.1f} s (run ", 1)
        + "\nfinance was not touched"
    )


def _existing_file(path: Path | None, option: str) -> Path | None:
    if path is None:
        return None
    if not path.is_file():
        raise fail(f"{option} {path}: no such file")
    return path.resolve()


@app.command()
def forecast(
    workspace: WorkspaceOption = None,
    through: Annotated[
        str | None,
        typer.Option(
            "--through",
            help="Last month forecast (YYYY-MM); default: the end of the quota periods in "
            "progress.",
            show_default=False,
        ),
    ] = None,
    simulations: Annotated[
        int,
        typer.Option("--simulations", help="Simulation runs of wins and losses (0: none)."),
    ] = DEFAULT_SIMULATIONS,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the simulation: the same seed, the same runs.")
    ] = DEFAULT_SEED,
    quiet: QuietOption = False,
) -> None:
    """Drafts, then expected commission from the open pipeline and the month-end accrual."""
    ws = open_workspace(workspace)
    month = period_or_fail(through, "--through") if through else ""
    if not 0 <= simulations <= 100_000:
        raise fail(f"--simulations {simulations}: give 0 (none) to 100000 runs")
    _check_horizon(ws, month or None)
    engine = drivers()
    config = {"through": month, "simulations": simulations, "seed": seed}
    title = "drafts, then the forecast"
    with writing(ws, "forecast"), RunProgress(title, quiet=quiet) as progress:
        try:
            summary = engine.runner.run_job(
                "forecast_job", ws, listener=progress, op_config={FORECAST_OP: config}
            )
        except engine.runner.PipelineError as exc:
            cause = engine.close.explain(ws, exc).removeprefix(f"{FORECAST_OP}: ")
            raise fail(cause, exc.log_path) from None
    result = latest_forecast(ws)
    if result is None:
        raise fail("the forecast run recorded no result; see the run's logs in Dagster")
    if not quiet:
        typer.echo(result.text())
    typer.echo(
        result.summary().replace(" in 0.0 s", "")
        + f"\nforecast_job: {summary.steps} steps succeeded in {summary.seconds:.1f} s "
        f"(run {summary.run_id[:8]})"
    )


def _check_horizon(ws: Workspace, through: str | None) -> None:
    """Refuse a --through before the forecast's first month before computing any drafts."""
    try:
        with read_only(ws) as connection:
            if connection is not None and not missing_tables(connection, FORECAST_NEEDS):
                horizon_of(ws, connection, through)
    except (ForecastError, *DATABASE_ERRORS) as exc:
        raise fail(str(exc)) from None

