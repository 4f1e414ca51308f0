"""Jobs: the units of work the CLI and the Dagster UI launch."""

from __future__ import annotations

import dagster as dg

from assets.ingestion import RAW_SCHEMA

ingest_job = dg.define_asset_job(
    name="ingest_job",
    selection=dg.AssetSelection.key_prefixes(RAW_SCHEMA),
    description="Load every landing batch into the warehouse's raw schema.",
)

pipeline_job = dg.define_asset_job(
    name="pipeline_job",
    selection=dg.AssetSelection.all(),
    description="Ingest landing data, then build and test every dbt model.",
)
