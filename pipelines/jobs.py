"""Jobs: the units of work the CLI and the Dagster UI launch."""

from __future__ import annotations

import dagster as dg

from assets.ingestion import RAW_SCHEMA
from assets.modelling import FORECAST_GROUP, MODELLING_GROUP, estimate_deal_op
from assets.month_files import MONTH_FILES, STAGED_MONTH_FILES
from assets.publish import PUBLISHED_KEYS
from assets.sources import SOURCE_PREFIX
from pipelines.hooks import close_failure_report

ingest_job = dg.define_asset_job(
    name="ingest_job",
    selection=dg.AssetSelection.key_prefixes(RAW_SCHEMA),
    description="Load every landing batch into the warehouse's raw schema.",
)

# Pulls run in pull_job only: a draft run or a close works on what has landed, and an API
# that is down never stops them.
SOURCES = dg.AssetSelection.key_prefixes(SOURCE_PREFIX)
pull_job = dg.define_asset_job(
    name="pull_job",
    selection=SOURCES | dg.AssetSelection.key_prefixes(RAW_SCHEMA),
    description=(
        "Pull every configured source (connectors) into new landing batches, then load every "
        "landing batch into the raw schema: what `openspm ingest` does."
    ),
)

CLOSE_ONLY = dg.AssetSelection.assets(STAGED_MONTH_FILES, *PUBLISHED_KEYS, MONTH_FILES)
# What-ifs (docs/modelling.md) run in their own jobs only: never part of a draft run or a close.
WHAT_IFS = dg.AssetSelection.groups(MODELLING_GROUP, FORECAST_GROUP)
DRAFTS = dg.AssetSelection.all() - CLOSE_ONLY - SOURCES - WHAT_IFS

pipeline_job = dg.define_asset_job(
    name="pipeline_job",
    selection=DRAFTS,
    description=(
        "Ingest, load the compensation configuration, then dbt build (with every test): drafts "
        "for every open month from first_period through the partition (or the range's end)."
    ),
)

close_job = dg.define_asset_job(
    name="close_job",
    selection=dg.AssetSelection.all() - SOURCES - WHAT_IFS,
    description=(
        "Close one month: ingest, comp tables, dbt build through the month with every blocking "
        "check, stage the month's files (statements, payroll) behind the totals gate, publish "
        "it into finance.* (refused if closed or an earlier month is open), then put its files "
        "in place; a failed close writes only its close report."
    ),
    hooks={close_failure_report},
)

modelling_job = dg.define_asset_job(
    name="modelling_job",
    selection=dg.AssetSelection.groups(MODELLING_GROUP),
    description=(
        "Model candidate plan sets over a past range through the engine on a scratch copy of "
        "the warehouse (`openspm model`): the modelling.* tables and a report; finance is not "
        "touched. Configure plans, from_period and to_period in the launchpad."
    ),
)

forecast_job = dg.define_asset_job(
    name="forecast_job",
    selection=DRAFTS | dg.AssetSelection.groups(FORECAST_GROUP),
    description=(
        "Drafts through the latest month (as pipeline_job), then the commission forecast and "
        "the month-end accrual (`openspm forecast`): the forecast.* tables; finance is not "
        "touched."
    ),
)


@dg.job(
    description=(
        "Estimate what one deal would add to each credited person's earnings (`openspm "
        "estimate`), from the current drafts; writes nothing. Configure the deal in the "
        "launchpad."
    ),
)
def estimate_job() -> None:
    estimate_deal_op()

