"""The close report of a month: what the run's checks found, gathered after the run ended.

The checks of a run record their outcomes in ``quality.*`` (the dbt step its tests, the
``data_quality_checks`` step the GX suites and reconciliations). A run that stopped early
recorded only some: here the landing checks are run on the raw tables (ingestion keeps them
current), the compensation configuration is checked from its files, and every other check is
listed as not run. Written to ``out/<YYYY-MM>/close-report.{md,html}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openspm.accounting.policy import accounting_enabled
from openspm.accounting.rollforward import rollforward_section
from openspm.comp import check_comp_config
from openspm.dbt_project import DbtProjectError
from openspm.forecast import outlook_section
from openspm.ingest import delivered_employee_ids
from openspm.leaderboard import leaderboard_section
from openspm.publish import FINANCE_SCHEMA
from openspm.quality import (
    CHECKS,
    PUBLISHED,
    CheckOutcome,
    Finding,
    Section,
    Severity,
    blocking_failures,
    exceptions,
    load_outcomes,
    run_check,
    write_report,
)
from openspm.quality.findings import not_run, outcome
from openspm.quality.report import CurrencyTotals
from openspm.totals import payout_totals
from openspm.warehouse import DATABASE_ERRORS, Warehouse, missing_tables, read_only
from openspm.workspace import Workspace

COMP_CHECK = "compensation_configuration"
COMP_TITLE = "Plan files, assignments, quotas and adjustments must be valid"


@dataclass(frozen=True)
class ReportFiles:
    markdown: Path
    html: Path
    outcomes: list[CheckOutcome]

    @property
    def first_blocking(self) -> CheckOutcome | None:
        failing = [o for o in blocking_failures(self.outcomes) if o.failed]
        return failing[0] if failing else None


def comp_outcome(ws: Workspace) -> CheckOutcome:
    """The compensation configuration checked from its files (what the comp step refuses)."""
    problems = check_comp_config(ws, known_employees=delivered_employee_ids(ws))
    findings = [
        Finding(
            p.file + (f" row {p.row}" if p.row else f" line {p.line}" if p.line else ""),
            None,
            (f"{p.key}: " if p.key else "") + p.message,
        )
        for p in problems
    ]
    return outcome(COMP_CHECK, COMP_TITLE, Severity.BLOCKING, findings)


def gather_outcomes(
    ws: Workspace,
    connection: Warehouse | None,
    period: str,
    run_id: str | None,
    comp_passed: bool = False,
) -> list[CheckOutcome]:
    """The run's recorded outcomes, completed as the module docstring says.

    ``comp_passed``: the run loaded the compensation tables (their step refuses an invalid
    configuration), so the files need no second look.
    """
    recorded = load_outcomes(connection, run_id) if connection is not None and run_id else []
    names = {o.name for o in recorded}
    comp = (
        outcome(COMP_CHECK, COMP_TITLE, Severity.BLOCKING, []) if comp_passed else comp_outcome(ws)
    )
    gathered = [comp] if COMP_CHECK not in names else []
    gathered += recorded
    for check in CHECKS:
        if check.name in names:
            continue
        if check.layer == "landing" and connection is not None:
            gathered.append(run_check(check, connection, period))
        else:
            gathered.append(
                not_run(
                    check.name,
                    check.title,
                    check.severity,
                    "not checked in this run: an earlier step stopped it (see the headline)",
                )
            )
    return gathered


def write_close_report(
    ws: Workspace,
    period: str,
    run_id: str | None,
    status: str,
    cause: str | None,
    out_dir: Path | None = None,
) -> ReportFiles:
    """Gather the run's outcomes and write the month's report; the files and the outcomes.

    ``status``: PUBLISHED, NOT_PUBLISHED or VALIDATED; ``out_dir`` defaults to out/<period>.
    """
    with read_only(ws) as connection:
        outcomes = gather_outcomes(ws, connection, period, run_id, comp_passed=status == PUBLISHED)
        listed = _exceptions(connection, period)
        totals = _totals(connection, period, published=status == PUBLISHED)
        sections = leaderboard_section(connection, period, published=status == PUBLISHED)
        if status == PUBLISHED:
            sections += outlook_section(connection, ws, period)
            sections += _accounting(connection, period, ws)
    md, html = write_report(
        out_dir or ws.out_dir / period,
        period,
        run_id or "(no run)",
        status,
        cause,
        outcomes,
        listed,
        sections,
        totals=totals,
    )
    return ReportFiles(md, html, outcomes)


def _totals(
    connection: Warehouse | None, period: str, *, published: bool
) -> list[CurrencyTotals]:
    """The month's payouts per currency: published ones, else the drafts (when computed)."""
    if connection is None:
        return []
    try:
        rows = payout_totals(connection, period, FINANCE_SCHEMA if published else "marts")
    except (*DATABASE_ERRORS, DbtProjectError):
        return []
    return [CurrencyTotals(*row) for row in rows]


def _accounting(connection: Warehouse | None, period: str, ws: Workspace) -> list[Section]:
    """The published month's deferred commission roll-forward (docs/accounting.md)."""
    if not accounting_enabled(ws.settings):
        return [Section("Commission accounting", ("not computed: accounting.enabled is false "
                                                  "in openspm.yaml",))]  # fmt: skip
    if connection is None or missing_tables(connection, ["finance.deferred_commissions"]):
        return []
    return [rollforward_section(connection, period, ws.settings.reporting_currency)]


def _exceptions(connection: Warehouse | None, period: str) -> list[Finding]:
    if connection is None:
        return []
    try:
        return exceptions(connection, period)
    except DATABASE_ERRORS:
        return []  # the crediting models were never built
