"""The accounting elections of ``openspm.yaml`` as dbt reads them.

dbt's model ``int_accounting_policy`` reads the JSON of the environment variable
``OPENSPM_ACCOUNTING`` (a changed value re-parses only that model); the step that runs dbt sets
it from the workspace's settings.
"""

from __future__ import annotations

import json

from openspm.settings import AccountingSettings, Settings

ACCOUNTING_ENV = "OPENSPM_ACCOUNTING"
ACCOUNTING_TAG = "accounting"  # the dbt tag of the accounting models (dbt_project.yml)
# the finance tables only the accounting publishes
ACCOUNTING_TABLES = (
    "commission_costs",
    "deferred_commission_layers",
    "deferred_commissions",
    "amortization_schedule",
    "journal_entries",
)
PORTABLE_ENGINES = ("duckdb", "postgres")  # where the accounting models run (docs/scaling.md)


def accounting_enabled(settings: Settings) -> bool:
    """Whether the workspace computes and publishes its commission accounting."""
    return settings.accounting.enabled


def accounting_refusal(settings: Settings, engine: str) -> str | None:
    """Why a run cannot compute the accounting on ``engine`` (None: it can, or it is off)."""
    if not settings.accounting.enabled or engine in PORTABLE_ENGINES:
        return None
    return (
        f"commission accounting runs on DuckDB warehouses only so far, and this workspace's "
        f"warehouse is {engine}: set `accounting: {{enabled: false}}` in openspm.yaml to compute "
        "and publish everything but the accounting (docs/scaling.md, \"Not yet portable\"), "
        "or use a DuckDB warehouse"
    )


def accounting_environment(settings: Settings | AccountingSettings) -> dict[str, str]:
    """``{OPENSPM_ACCOUNTING: <json of the accounting settings>}`` for a dbt run."""
    accounting = settings.accounting if isinstance(settings, Settings) else settings
    return {ACCOUNTING_ENV: json.dumps(accounting.model_dump(), sort_keys=True)}
