"""One Dagster asset per landing entity: its batches loaded into the warehouse's raw schema."""

import dataclasses

import dagster as dg

from assets.resources import DUCKDB_WRITER_POOL, WorkspaceResource
from assets.sources import source_asset_key
from openspm.entities import ENTITIES, Entity
from openspm.ingest import RAW_SCHEMA, ingest_entity


def raw_asset_key(entity: Entity) -> dg.AssetKey:
    """The key dagster-dbt gives the dbt source ``raw.<system>__<entity>``."""
    return dg.AssetKey([RAW_SCHEMA, entity.table])


def _metadata(report: object) -> dict[str, int | float | str | bool]:
    fields = dataclasses.asdict(report) if dataclasses.is_dataclass(report) else {}
    return {k: v for k, v in fields.items() if isinstance(v, (int, float, str, bool))}


def build_ingestion_asset(entity: Entity) -> dg.AssetsDefinition:
    """The asset that loads ``landing/<system>/<entity>/`` into ``raw.<system>__<entity>``."""

    @dg.asset(
        key=raw_asset_key(entity),
        group_name=f"landing_{entity.system}",
        deps=[source_asset_key(entity)],  # a connector's pull lands first (docs/connectors.md)
        kinds={"duckdb", "python"},
        pool=DUCKDB_WRITER_POOL,
        description=(
            f"Every batch of landing/{entity.folder}/ (CSV and Parquet) as delivered, with file, "
            "row, hash and load time; unparsable rows are flagged and listed in "
            "raw.ingest_quarantine."
        ),
        retry_policy=dg.RetryPolicy(max_retries=0),
    )
    def _ingest(context: dg.AssetExecutionContext, workspace: WorkspaceResource):
        report = ingest_entity(workspace.open(), entity)
        context.log.info(f"{entity.folder}: {report}")
        return dg.MaterializeResult(metadata=_metadata(report))

    return _ingest


ingestion_assets: list[dg.AssetsDefinition] = [build_ingestion_asset(e) for e in ENTITIES]
