"""Every data-quality check outside dbt, with what it reads: one Dagster asset check each.

``CHECKS`` lists them in report order. ``run_check`` never raises for missing inputs or a
warehouse error: the check is then "not run", with the reason (a not-run blocking check still
stops publication, see ``CheckOutcome.blocks``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from openspm.quality import accounting_checks as ac
from openspm.quality import deal_checks as dc
from openspm.quality import landing_checks as lc
from openspm.quality import reconciliations as rc
from openspm.quality.findings import CheckOutcome, Severity, not_run, outcome
from openspm.quality.gx_runner import ExpectationError
from openspm.quality.wording import missing_reason
from openspm.warehouse import DATABASE_ERRORS, Warehouse, missing_tables

CheckFunction = Callable[[Warehouse, str], CheckOutcome]


@dataclass(frozen=True)
class Check:
    """One check: its name, plain title, severity, the tables it needs, and how to run it.

    ``reads`` are the warehouse tables the check needs (the first is the asset it checks, e.g.
    ``staging.stg_crm__deals``); ``asset`` is that table's Dagster asset name.
    """

    name: str
    title: str
    severity: Severity
    reads: tuple[str, ...]
    run: CheckFunction
    layer: str  # landing | staging | marts

    @property
    def blocking(self) -> bool:
        return self.severity == Severity.BLOCKING

    @property
    def table(self) -> str:
        return self.reads[0]

    @property
    def asset(self) -> str:
        """The checked table's name without schema (``stg_crm__deals``, ``fct_payouts``)."""
        return self.table.split(".", 1)[1]

    def __call__(self, connection: Warehouse, period: str) -> CheckOutcome:
        return run_check(self, connection, period)


CHECKS: tuple[Check, ...] = (
    Check(
        lc.LANDING_QUARANTINE,
        lc.LANDING_QUARANTINE_TITLE,
        Severity.BLOCKING,
        ("raw.ingest_quarantine", "raw.ingest_batches"),
        lc.check_landing_quarantine,
        "landing",
    ),
    Check(
        lc.LANDING_CONFLICTS,
        lc.LANDING_CONFLICTS_TITLE,
        Severity.BLOCKING,
        ("raw.crm__deals",),
        lc.check_landing_conflicts,
        "landing",
    ),
    Check(
        dc.WON_DEALS,
        dc.WON_DEALS_TITLE,
        Severity.BLOCKING,
        ("staging.stg_crm__deals",),
        dc.check_won_deals,
        "staging",
    ),
    Check(
        rc.DEAL_CREDITS,
        rc.DEAL_CREDITS_TITLE,
        Severity.BLOCKING,
        (
            "intermediate.int_deal_credits",
            "staging.stg_crm__deals",
            "staging.stg_crm__deal_splits",
            "intermediate.int_deal_credit_problems",
        ),
        rc.check_deal_credits,
        "intermediate",
    ),
    Check(
        rc.PAYOUT_LINES,
        rc.PAYOUT_LINES_TITLE,
        Severity.BLOCKING,
        ("marts.fct_payouts", "marts.fct_payout_lines"),
        rc.check_payout_lines,
        "marts",
    ),
    Check(
        rc.NET_PAYOUT,
        rc.NET_PAYOUT_TITLE,
        Severity.BLOCKING,
        ("marts.fct_payouts",),
        rc.check_net_payout,
        "marts",
    ),
    Check(
        ac.JOURNALS_BALANCE,
        ac.JOURNALS_BALANCE_TITLE,
        Severity.BLOCKING,
        ("marts.fct_journal_entries",),
        ac.check_journal_balance,
        "marts",
    ),
    Check(
        ac.ROLLFORWARD_TIES,
        ac.ROLLFORWARD_TIES_TITLE,
        Severity.BLOCKING,
        ("marts.fct_deferred_commissions", "marts.fct_journal_entries"),
        ac.check_rollforward,
        "marts",
    ),
    Check(
        ac.COSTS_RECONCILE,
        ac.COSTS_RECONCILE_TITLE,
        Severity.BLOCKING,
        ("marts.fct_commission_costs", "marts.fct_payouts", "marts.fct_journal_entries"),
        ac.check_costs,
        "marts",
    ),
    Check(
        ac.ACCRUED_BALANCE,
        ac.ACCRUED_BALANCE_TITLE,
        Severity.BLOCKING,
        ("marts.fct_journal_entries", "marts.fct_payouts"),
        ac.check_accrued_balance,
        "marts",
    ),
    Check(
        dc.FUTURE_CLOSE,
        dc.FUTURE_CLOSE_TITLE,
        Severity.WARNING,
        ("staging.stg_crm__deals",),
        dc.check_future_close_dates,
        "staging",
    ),
    Check(
        rc.NO_PLAN,
        rc.NO_PLAN_TITLE,
        Severity.WARNING,
        ("intermediate.int_credit_exceptions",),
        rc.check_credits_without_plan,
        "intermediate",
    ),
    Check(
        rc.ABOVE_TARGET,
        rc.ABOVE_TARGET_TITLE,
        Severity.WARNING,
        ("marts.fct_payouts", "comp.plan_assignments", "comp.plans"),
        rc.check_payout_above_target,
        "marts",
    ),
)

CHECKS_BY_NAME: dict[str, Check] = {c.name: c for c in CHECKS}
ACCOUNTING_CHECK_NAMES = frozenset(
    {ac.JOURNALS_BALANCE, ac.ROLLFORWARD_TIES, ac.COSTS_RECONCILE, ac.ACCRUED_BALANCE}
)
ACCOUNTING_OFF = "not checked: the accounting is turned off (accounting.enabled: false)"


def check(name: str) -> Check:
    try:
        return CHECKS_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown check {name!r}; known: {', '.join(CHECKS_BY_NAME)}") from None


def run_check(check: Check, connection: Warehouse, period: str) -> CheckOutcome:
    """Run one check; "not run" (with the reason) when its tables are missing or it errs."""
    missing = missing_tables(connection, check.reads)
    if missing:
        return not_run(check.name, check.title, check.severity, missing_reason(missing))
    try:
        return check.run(connection, period)
    except (*DATABASE_ERRORS, ExpectationError) as exc:
        first = " ".join(str(exc).split())[:300]
        return not_run(
            check.name,
            check.title,
            check.severity,
            "the check could not be completed because of an error reading the data",
            technical=f"{type(exc).__name__}: {first}",
        )


def run_checks(
    connection: Warehouse,
    period: str,
    names: Iterable[str] | None = None,
    *,
    layers: Sequence[str] | None = None,
    accounting: bool = True,
) -> list[CheckOutcome]:
    """Run the checks named (default: all), optionally only those of some layers, in order.

    ``accounting`` False (``accounting.enabled: false``): the accounting checks have nothing
    to look at and pass, saying so."""
    wanted = set(names) if names is not None else None
    return [
        run_check(c, connection, period)
        if accounting or c.name not in ACCOUNTING_CHECK_NAMES
        else outcome(c.name, c.title, c.severity, [], detail=ACCOUNTING_OFF)
        for c in CHECKS
        if (wanted is None or c.name in wanted) and (layers is None or c.layer in layers)
    ]
