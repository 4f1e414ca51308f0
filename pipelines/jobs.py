"""Jobs: the units of work the CLI and the Dagster UI launch."""

from __future__ import annotations

import dagster as dg

from assets.ingestion import RAW_SCHEMA
from assets.publish import PUBLISHED_MONTH
from assets.sources import SOURCE_PREFIX

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

DRAFTS = dg.AssetSelection.all() - dg.AssetSelection.assets(PUBLISHED_MONTH) - SOURCES

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
    selection=dg.AssetSelection.all() - SOURCES,
    description=(
        "Close one month: ingest, comp tables, dbt build through the month with every blocking "
        "check, then publish it into finance.* (refused if closed or an earlier month is open)."
    ),
)
