"""What-ifs as Dagster assets (docs/modelling.md): plan modelling and the commission forecast.

Neither writes ``finance``. ``modelling/results`` runs candidate plan sets through the engine on
a scratch copy of the warehouse (``openspm model``); ``forecast/commission`` reads the drafts
and the open pipeline (``openspm forecast``). Both write their own schema of the workspace's
warehouse, so they hold the one writer slot. On a server warehouse both run on a scratch DuckDB
file built from the server (openspm.whatif.scratch) and write only their schema back.
"""

from pathlib import Path

import dagster as dg
from pydantic import Field

from assets.resources import DUCKDB_WRITER_POOL, WorkspaceResource
from openspm.estimate import EstimateError, estimate_deal, explain, make_deal
from openspm.forecast import (
    DEFAULT_SEED,
    DEFAULT_SIMULATIONS,
    ForecastError,
    ForecastRequest,
    forecast_workspace,
)
from openspm.modelling import ModellingError, ModelRequest
from openspm.modelling.run import model_plans

MODELLING_GROUP = "modelling"
FORECAST_GROUP = "forecast"
MODELLING_RESULTS = dg.AssetKey([MODELLING_GROUP, "results"])
FORECAST_COMMISSION = dg.AssetKey([FORECAST_GROUP, "commission"])
# the drafts the forecast reads (their dbt models' asset keys): it runs after the dbt step
FORECAST_READS = [dg.AssetKey(["fct_payouts"]), dg.AssetKey(["fct_payout_lines"])]


class ModelConfig(dg.Config):
    """``openspm model`` options; paths relative to the workspace folder are allowed."""

    plans: str
    from_period: str
    to_period: str
    assignments: str = ""
    quotas: str = ""


def _path(root: Path, text: str) -> Path | None:
    if not text:
        return None
    path = Path(text).expanduser()
    return path if path.is_absolute() else root / path


@dg.asset(
    key=MODELLING_RESULTS,
    group_name=MODELLING_GROUP,
    kinds={"duckdb", "dbt"},
    pool=DUCKDB_WRITER_POOL,
    description=(
        "Candidate plan sets run over the real credits of a past range through the engine's dbt "
        "models on a scratch copy of the warehouse, compared with the current plans: the "
        "modelling.* tables and out/modelling/<run>/report.{html,md}. finance is not touched."
    ),
)
def modelling_results(
    context: dg.AssetExecutionContext, config: ModelConfig, workspace: WorkspaceResource
) -> dg.MaterializeResult:
    ws = workspace.open()
    request = ModelRequest(
        plans=_path(ws.root, config.plans) or ws.root,
        first=config.from_period,
        through=config.to_period,
        assignments=_path(ws.root, config.assignments),
        quotas=_path(ws.root, config.quotas),
    )
    try:
        result = model_plans(ws, request, progress=context.log.info)
    except ModellingError as exc:
        raise dg.Failure(description=str(exc)) from None
    context.log.info(result.summary())
    return dg.MaterializeResult(
        metadata={
            "modelling_run": result.run_id,
            "range": f"{result.first}..{result.through}",
            "report": dg.MetadataValue.path(str(result.html)),
            **{
                f"total_cost_{s.name}": dg.MetadataValue.float(float(s.total_cost))  # type: ignore[arg-type]
                for s in result.scenarios
            },
        }
    )


class ForecastConfig(dg.Config):
    """``openspm forecast`` options (through: YYYY-MM, empty: the quota periods in progress)."""

    through: str = ""
    simulations: int = DEFAULT_SIMULATIONS
    seed: int = DEFAULT_SEED


@dg.asset(
    key=FORECAST_COMMISSION,
    group_name=FORECAST_GROUP,
    kinds={"duckdb", "python"},
    deps=FORECAST_READS,
    pool=DUCKDB_WRITER_POOL,
    description=(
        "Expected commission by month and employee for the rest of the quota periods, from the "
        "open pipeline (probability-weighted, and P10/P50/P90 of a seeded simulation), the "
        "amortization already scheduled, and the month-end accrual: the forecast.* tables. "
        "finance is not touched."
    ),
)
def forecast_commission(
    context: dg.AssetExecutionContext, config: ForecastConfig, workspace: WorkspaceResource
) -> dg.MaterializeResult:
    ws = workspace.open()
    request = ForecastRequest(
        through=config.through or None, simulations=config.simulations, seed=config.seed
    )
    try:
        result = forecast_workspace(ws, request, progress=context.log.info)
    except ForecastError as exc:
        raise dg.Failure(description=str(exc)) from None
    context.log.info(result.summary())
    return dg.MaterializeResult(
        metadata={
            "as_of": result.as_of,
            "through": result.through,
            "open_deals": result.deals.get("forecast", 0),
            "simulations": result.simulations,
            **{
                f"expected_{row[0]}": dg.MetadataValue.float(float(row[2] or 0))
                for row in result.months
            },
        }
    )


class EstimateConfig(dg.Config):
    """``openspm estimate`` options: the deal owner, amount, date (YYYY-MM-DD), type, splits."""

    employee: str
    amount: str
    date: str
    deal_type: str
    currency: str = ""
    splits: list[str] = Field(default_factory=list)
    overlays: list[str] = Field(default_factory=list)


@dg.op(
    description=(
        "What a deal would add to each credited person's earnings from the current drafts "
        "(`openspm estimate`): the calculation in the log, the estimate as the output. Writes "
        "nothing."
    ),
)
def estimate_deal_op(
    context: dg.OpExecutionContext, config: EstimateConfig, workspace: WorkspaceResource
) -> dg.Output[dict]:
    ws = workspace.open()
    try:
        deal = make_deal(
            config.employee,
            config.amount,
            config.date,
            config.deal_type,
            currency=config.currency or None,
            splits=config.splits,
            overlays=config.overlays,
        )
        result = estimate_deal(ws, deal)
    except EstimateError as exc:
        raise dg.Failure(description=str(exc)) from None
    context.log.info(explain(result))
    return dg.Output(
        result.as_dict(),
        metadata={
            f"{employee} ({currency})": dg.MetadataValue.text(f"{now:+,.2f}")
            for (employee, currency), (now, _later) in sorted(result.totals().items())
        },
    )

