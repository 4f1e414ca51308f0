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


def accounting_enabled(settings: Settings) -> bool:
    """Whether the workspace computes and publishes its commission accounting."""
    return settings.accounting.enabled


def accounting_environment(settings: Settings | AccountingSettings) -> dict[str, str]:
    """``{OPENSPM_ACCOUNTING: <json of the accounting settings>}`` for a dbt run."""
    accounting = settings.accounting if isinstance(settings, Settings) else settings
    return {ACCOUNTING_ENV: json.dumps(accounting.model_dump(), sort_keys=True)}
