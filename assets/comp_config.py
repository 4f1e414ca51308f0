"""The compensation configuration (plans, assignments, quotas, adjustments) as warehouse tables."""

import dagster as dg

from assets.ingestion import raw_asset_key
from assets.resources import DUCKDB_WRITER_POOL, WorkspaceResource
from openspm.comp import CompConfigError, load_comp_config, write_comp_tables
from openspm.comp.cache import (
    forget_digest,
    loaded_digest,
    record_digest,
    source_digest,
    table_counts,
)
from openspm.comp.load import SCHEMA, TABLES
from openspm.entities import entity
from openspm.ingest import delivered_employee_ids
from openspm.warehouse import connect

EMPLOYEES = entity("hris/employees")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=[SCHEMA, table.name],
            group_name="comp_config",
            kinds={"duckdb", "python"},
            deps=[raw_asset_key(EMPLOYEES)],
            description=f"comp/ configuration, validated, as {SCHEMA}.{table.name}.",
        )
        for table in TABLES
    ],
    pool=DUCKDB_WRITER_POOL,
)
def comp_config_tables(context: dg.AssetExecutionContext, workspace: WorkspaceResource):
    """Validate every file under comp/ (refusing the run on any problem), then load the tables.

    Kept as they are when comp/, the HRIS employees and the loading code are unchanged since
    the last load (openspm.comp.cache).
    """
    ws = workspace.open()
    known = delivered_employee_ids(ws) or set()
    connection = connect(ws)
    try:
        digest = source_digest(ws.comp_dir, known)
        if loaded_digest(connection) == digest:
            counts = table_counts(connection)
            context.log.info("comp/ and the HRIS employees are unchanged since their last load")
        else:
            forget_digest(connection)
            counts = write_comp_tables(load_comp_config(ws, known_employees=known), connection)
            record_digest(connection, digest)
    except CompConfigError as exc:
        for problem in exc.problems:
            context.log.error(str(problem))
        raise dg.Failure(description=exc.summary) from None
    finally:
        connection.close()
    context.log.info(f"comp configuration loaded: {counts}")
    for table in TABLES:
        yield dg.MaterializeResult(
            asset_key=[SCHEMA, table.name],
            metadata={"rows": counts[f"{SCHEMA}.{table.name}"]},
        )
