"""Data-quality gates (docs/contract.md section 6): checks, findings, storage, close report.

    from openspm.quality import CHECKS, run_checks, record_outcomes, write_report
    outcomes = run_checks(connection, "2026-03")          # one CheckOutcome per check
    outcomes += outcomes_from_run_results(run_results, connection, manifest)   # dbt's tests
    record_outcomes(connection, run_id, "2026-03", outcomes)
    write_report(out / "2026-03", "2026-03", run_id, "not_published", None, outcomes,
                 exceptions(connection, "2026-03"))

Importing this package does not import Great Expectations (seconds); the GX suites import it
when they first have rows to validate.
"""

from openspm.quality.dbt_results import load_artifacts, outcomes_from_run_results
from openspm.quality.findings import (
    MAX_FINDINGS,
    CheckOutcome,
    Finding,
    Severity,
    Status,
    blocking_failures,
    ensure_quality_tables,
    load_outcomes,
    record_outcomes,
)
from openspm.quality.reconciliations import exceptions
from openspm.quality.registry import CHECKS, CHECKS_BY_NAME, Check, check, run_check, run_checks
from openspm.quality.report import NOT_PUBLISHED, PUBLISHED, Section, write_report

__all__ = [
    "CHECKS",
    "CHECKS_BY_NAME",
    "MAX_FINDINGS",
    "NOT_PUBLISHED",
    "PUBLISHED",
    "Check",
    "CheckOutcome",
    "Finding",
    "Section",
    "Severity",
    "Status",
    "blocking_failures",
    "check",
    "ensure_quality_tables",
    "exceptions",
    "load_artifacts",
    "load_outcomes",
    "outcomes_from_run_results",
    "record_outcomes",
    "run_check",
    "run_checks",
    "write_report",
]
