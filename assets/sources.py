"""Source assets: one per source object, each pulling its landing entity ahead of ingestion.

Each landing entity is fed by at most one object of the system's configured connector
(Salesforce ``Opportunity`` -> crm/deals, NetSuite ``invoices`` -> erp/invoices, BambooHR
``employees`` -> hris/employees, ...), so the source objects are one asset per entity,
``source/<system>__<entity>``, grouped per system (``source_crm``, ``source_erp``,
``source_hris``) and upstream of the raw ingestion asset of the same entity. Each system's
connector is a resource (``crm_source``, ``erp_source``, ``hris_source``) configured from the
workspace's ``openspm.yaml`` at run time; for a file-drop system the asset pulls nothing and
says so. The pulling itself is ``integrations.pull`` (docs/connectors.md), the same code the
``openspm ingest`` command runs.
"""


import dagster as dg

from assets.resources import DUCKDB_WRITER_POOL, WorkspaceResource
from integrations.pull import ObjectPull, connector_for, pull_object
from openspm.entities import ENTITIES, Entity
from openspm.entities import entity as entity_of
from openspm.workspace import Workspace

SOURCE_PREFIX = "source"
SYSTEMS = ("crm", "erp", "hris")
FX_RATES = "erp/fx_rates"  # the one entity another system may feed (Salesforce dated rates)
# CRM users are matched to the employees as landed: the HRIS pull goes first
AFTER = {"crm/users": ("hris/employees",)}


def source_asset_key(entity: Entity) -> dg.AssetKey:
    return dg.AssetKey([SOURCE_PREFIX, entity.table])


def source_resource_key(system: str) -> str:
    return f"{system}_source"


class SourceResource(dg.ConfigurableResource):
    """One system's connector, as ``sources.<system>`` of the run's openspm.yaml describes it.

    Credentials come from the environment of the run (the ``${ENV_VAR}`` references).
    """

    system: str

    def pull(self, workspace: Workspace, entity: Entity) -> ObjectPull | None:
        """Pull the object feeding ``entity``; None when the system is a file drop."""
        source = workspace.settings.sources.get(self.system)  # type: ignore[call-overload]
        if source is None or not source.is_connector:
            return None
        connector = connector_for(workspace, self.system)
        try:
            objects = [o for o in connector.objects() if o.entity == entity.folder]
            if not objects:
                return None
            return pull_object(connector, objects[0])
        finally:
            connector.close()


def feeding_system(workspace: Workspace, entity: Entity) -> str:
    """The system whose connector feeds ``entity``: its own, but for fx rates the one system
    that delivers them (settings allow one)."""
    if entity.folder == FX_RATES:
        for system, source in workspace.settings.sources.items():
            if source.delivers_fx:
                return system
    return entity.system


def build_source_asset(entity: Entity) -> dg.AssetsDefinition:
    """The asset that pulls ``entity`` from its system's connector into a new landing batch."""
    keys = SYSTEMS if entity.folder == FX_RATES else (entity.system,)

    @dg.asset(
        key=source_asset_key(entity),
        group_name=f"source_{entity.system}",
        kinds={"python"},
        pool=DUCKDB_WRITER_POOL,  # the watermark is written to the warehouse
        required_resource_keys={"workspace", *(source_resource_key(system) for system in keys)},
        deps=[source_asset_key(entity_of(folder)) for folder in AFTER.get(entity.folder, ())],
        description=(
            f"Pulls the source object that feeds {entity.folder} (Salesforce, "
            "HubSpot, NetSuite, BambooHR or Workday, per openspm.yaml) into a new batch of "
            f"landing/{entity.folder}/; nothing for a file drop. docs/connectors.md"
        ),
        retry_policy=dg.RetryPolicy(max_retries=0),
    )
    def _pull(context: dg.AssetExecutionContext):
        workspace: WorkspaceResource = context.resources.workspace
        ws = workspace.open()
        source: SourceResource = getattr(
            context.resources, source_resource_key(feeding_system(ws, entity))
        )
        pulled = source.pull(ws, entity)
        if pulled is None:
            return dg.MaterializeResult(metadata={"source": "file drop: nothing to pull"})
        if pulled.error:
            raise dg.Failure(description=str(pulled), allow_retries=False)
        context.log.info(str(pulled))
        return dg.MaterializeResult(
            metadata={
                "source": pulled.source,
                "object": pulled.object,
                "rows": pulled.rows,
                "batch": pulled.batch or "",
                "since": pulled.since.isoformat() if pulled.since else "",
                "watermark": pulled.watermark.isoformat() if pulled.watermark else "",
                "seconds": pulled.seconds,
            }
        )

    return _pull


source_assets: list[dg.AssetsDefinition] = [build_source_asset(e) for e in ENTITIES]
source_resources: dict[str, SourceResource] = {
    source_resource_key(system): SourceResource(system=system) for system in SYSTEMS
}
