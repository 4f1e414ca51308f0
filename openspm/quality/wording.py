"""How findings name things: employees with their names, and the tables a check lacks."""

from __future__ import annotations

from openspm.warehouse import Warehouse, table_exists


def missing_reason(missing: list[str]) -> str:
    """Why a check did not run, in words: the tables it needs have not been built."""
    listed = ", ".join(missing)
    return f"the data this check reads has not been built yet ({listed}); run the pipeline first"


def employee_names(connection: Warehouse) -> dict[str, str]:
    """Employee id -> "First Last" from staging (empty when staging is not built)."""
    if not table_exists(connection, "staging.stg_hris__employees"):
        return {}
    rows = connection.execute(
        "SELECT employee_id, trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) "
        "FROM staging.stg_hris__employees"
    ).fetchall()
    return {str(e): str(n) for e, n in rows if n}


def employee_label(employee_id: str, names: dict[str, str]) -> str:
    """``employee E0042 (Ana Ruiz)``, or ``employee E0042`` when the name is unknown."""
    name = names.get(employee_id)
    return f"employee {employee_id} ({name})" if name else f"employee {employee_id}"
