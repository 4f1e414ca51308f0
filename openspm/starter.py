"""A first workspace (``openspm init``): settings, an example plan, the comp files, landing folders.

Everything written is what docs/contract.md sections 1 to 3 ask of a workspace, explained in
comments, so a company can start from it without reading the code: a commented
``openspm.yaml``, one example plan, empty ``comp/`` CSVs with their headers, and one empty
landing folder per entity. An existing file is never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openspm.comp.tables import (
    ADJUSTMENT_COLUMNS,
    ADJUSTMENTS_FILE,
    ASSIGNMENT_COLUMNS,
    ASSIGNMENTS_FILE,
    QUOTA_COLUMNS,
    QUOTAS_FILE,
)
from openspm.entities import ENTITIES
from openspm.settings import SETTINGS_FILE

SETTINGS = """\
# OpenSPM workspace settings (docs/contract.md section 1). Unknown keys are refused.

# The company's name, shown on reports.
company: {company}

# ISO 4217 code of the currency finance reports in.
reporting_currency: {currency}

# The first month OpenSPM closes (YYYY-MM). Without it: the month of the earliest plan
# assignment in comp/plan_assignments.csv. It cannot change once that month is closed. What
# the system OpenSPM replaces paid before it goes in comp/opening_balances.csv (optional,
# docs/contract.md sections 3 and 4.12).
# first_period: 2026-01

# The DuckDB warehouse file, relative to this folder (default: warehouse.duckdb).
# warehouse: warehouse.duckdb

# Where a source system's landing folders are, when not landing/<system>/ (a path relative
# to this folder), e.g. a shared drop folder of the CRM extract:
# sources:
#   crm:
#     landing_dir: /srv/drops/crm

# Commission accounting policy (docs/contract.md section 5); these are the defaults:
# accounting:
#   practical_expedient: true
#   renewals_commensurate: true
#   expected_renewal_months: 0
#   default_contract_term_months: 12
"""

EXAMPLE_PLAN = """\
# An example plan (docs/plan-writing-guide.md; the JSON Schema docs/plan.schema.json lets an
# editor complete and check this file). One file per plan; the file name is free, the id is
# what comp/plan_assignments.csv and comp/quotas.csv refer to. Rename, edit or delete it.
id: EXAMPLE-AE
name: Account executives (example)
currency: {currency}
effective_from: 2026-01-01
effective_to: 2026-12-31
components:
  - id: new-business
    measure: bookings
    deal_types: [new_business]
    credit_types: [direct, split]
    quota_period: quarter
    rates:
      method: marginal
      tiers:
        - {{from: 0, rate: 0.08}}
        - {{from: 1.0, rate: 0.12}}
clawback:
  window_days: 90
"""


@dataclass(frozen=True)
class Started:
    """What ``init`` wrote and what it left as it was."""

    written: list[Path]
    kept: list[Path]  # files that existed already


def start_workspace(root: Path, *, company: str, currency: str) -> Started:
    """Write a first workspace into ``root`` (created when missing); existing files are kept."""
    files = {
        root / SETTINGS_FILE: SETTINGS.format(company=company, currency=currency),
        root / "comp" / "plans" / "example-ae.yaml": EXAMPLE_PLAN.format(currency=currency),
        root / ASSIGNMENTS_FILE: ",".join(ASSIGNMENT_COLUMNS) + "\n",
        root / QUOTAS_FILE: ",".join(QUOTA_COLUMNS) + "\n",
        root / ADJUSTMENTS_FILE: ",".join(ADJUSTMENT_COLUMNS) + "\n",
    }
    written, kept = [], []
    for path, text in files.items():
        if path.exists():
            kept.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    for ent in ENTITIES:
        folder = root / "landing" / ent.system / ent.name
        if not folder.exists():
            folder.mkdir(parents=True)
            written.append(folder)
    return Started(written, kept)
