"""Reconciliations of commission accounting (docs/accounting.md, "Gates"), all blocking.

Each check takes ``(connection, period)`` and looks at that month: the drafts in ``marts.*``
by default, or the published month in ``finance.*`` with ``schema="finance"`` (the close runs
them again on what it inserted, before it commits), or on Spark in ``finance_store.*`` (the
month's partitions, which the finance views show only once its ``finance.closes`` row is
written). The sums are done by the warehouse on DECIMALs, so they are exact; only the
offending rows come back to Python.

- journals balance: every entry's debits equal its credits (so every month and currency
  balances), no line with both sides or a negative amount, one currency per entry;
- the roll-forward ties: per asset opening + addition - write_down - amortization -
  impairment = closing, nothing negative, current + non-current = closing, the opening is the
  month before's closing, and the journal's deferred_commissions movements equal the
  roll-forward's;
- the costs reconcile: each payout line's shares sum to the line, each employee's costs to the
  payout's commission + SPIFF + top-up - recovery + adjustments, and what the journal
  capitalized and expensed to those costs, per currency;
- the accrued_commissions balance at month end (every published month and this one) equals
  minus the negative carry outstanding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from openspm.money import money
from openspm.periods import parse_period, shift
from openspm.quality.findings import CheckOutcome, Finding, Severity, not_run, outcome
from openspm.quality.wording import missing_reason
from openspm.warehouse import missing_tables, table_exists

JOURNALS_BALANCE = "journal_entries_balance"
JOURNALS_BALANCE_TITLE = (
    "Each journal entry must balance (debits = credits), so every month and currency balances"
)
ROLLFORWARD_TIES = "deferred_commissions_roll_forward"
ROLLFORWARD_TIES_TITLE = (
    "Each deferred commission asset must roll forward: opening + additions - write-downs - "
    "amortization - impairment = closing, opening = the month before's closing, and the "
    "journal must agree"
)
COSTS_RECONCILE = "commission_costs_reconcile"
COSTS_RECONCILE_TITLE = (
    "Capitalized and expensed commission cost must equal the month's payout lines, draws and "
    "adjustments to the cent"
)
ACCRUED_BALANCE = "accrued_commissions_balance"
ACCRUED_BALANCE_TITLE = (
    "The accrued commissions balance at month end must equal minus the negative carry "
    "outstanding (what reps owe back)"
)
FINDINGS_QUERIED = 200


@dataclass(frozen=True)
class AccountingTables:
    journal: str
    rollforward: str
    costs: str
    payouts: str

    def all(self) -> tuple[str, ...]:
        return (self.journal, self.rollforward, self.costs, self.payouts)


TABLES = {
    "marts": AccountingTables(
        "marts.fct_journal_entries",
        "marts.fct_deferred_commissions",
        "marts.fct_commission_costs",
        "marts.fct_payouts",
    ),
    "finance": AccountingTables(
        "finance.journal_entries",
        "finance.deferred_commissions",
        "finance.commission_costs",
        "finance.payouts",
    ),
    # Spark: the month's partitions before its pointer row (openspm.publish.SPARK_STORE_SCHEMA)
    "finance_store": AccountingTables(
        "finance_store.journal_entries",
        "finance_store.deferred_commissions",
        "finance_store.commission_costs",
        "finance_store.payouts",
    ),
}
PUBLISHED = TABLES["finance"]
CLOSES = "finance.closes"
ACCOUNTING_MONTHS = "intermediate.int_accounting_months"


def accounting_tables(schema: str) -> AccountingTables:
    try:
        return TABLES[schema]
    except KeyError:
        raise ValueError(f"schema must be one of {', '.join(TABLES)}") from None


def _missing(connection: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> list[str]:
    return missing_tables(connection, list(tables))


def checked_month(
    connection: duckdb.DuckDBPyConnection, period: str, schema: str
) -> tuple[str, str | None]:
    """The month a check looks at, and a note when it is not ``period``.

    Published months are checked as asked. Drafts carry their accounting only for the months
    of ``intermediate.int_accounting_months`` (the next month to close, by default): a run
    through a later month checks the last of those on or before it.
    """
    period = parse_period(period)
    if schema != "marts" or not table_exists(connection, ACCOUNTING_MONTHS):
        return period, None
    (drafted,) = connection.execute(
        f"SELECT max(period) FROM {ACCOUNTING_MONTHS} WHERE period <= ?", [period]
    ).fetchone()  # type: ignore[misc]
    if drafted is None or drafted == period:
        return period, None
    return str(drafted), (
        f"{period}'s accounting is drafted once it is among the months drafted with their "
        f"accounting (accounting.draft_months); checked {drafted}"
    )


# ------------------------------------------------------------------------------------ journals


def check_journal_balance(
    connection: duckdb.DuckDBPyConnection, period: str, schema: str = "marts"
) -> CheckOutcome:
    """Entries of ``period`` whose debits and credits differ, or with a malformed line."""
    tables = accounting_tables(schema)
    missing = _missing(connection, [tables.journal])
    if missing:
        return not_run(
            JOURNALS_BALANCE, JOURNALS_BALANCE_TITLE, Severity.BLOCKING, missing_reason(missing)
        )
    period, note = checked_month(connection, period, schema)
    rows = connection.execute(
        f"""
        SELECT entry_id, min(currency), count(DISTINCT currency), sum(debit), sum(credit),
            count(*) FILTER (WHERE debit < 0 OR credit < 0 OR (debit <> 0 AND credit <> 0)
                OR debit IS NULL OR credit IS NULL)
        FROM {tables.journal}
        WHERE period = ?
        GROUP BY entry_id
        HAVING sum(debit) IS DISTINCT FROM sum(credit)
            OR count(DISTINCT currency) <> 1
            OR count(*) FILTER (WHERE debit < 0 OR credit < 0 OR (debit <> 0 AND credit <> 0)
                OR debit IS NULL OR credit IS NULL) > 0
        ORDER BY entry_id
        """,
        [period],
    ).fetchall()
    findings = []
    for entry_id, currency, currencies, debit, credit, malformed in rows:
        where = f"journal entry {entry_id}, {period}"
        if currencies != 1:
            findings.append(Finding(where, None, f"its lines are in {currencies} currencies"))
        if malformed:
            findings.append(
                Finding(
                    where,
                    None,
                    f"{malformed} line(s) carry a negative amount, no amount, or both a debit "
                    "and a credit",
                )
            )
        if debit != credit:
            findings.append(
                Finding(
                    where,
                    f"{money(debit)} / {money(credit)} {currency}",
                    f"debits {money(debit)} and credits {money(credit)} {currency} differ by "
                    f"{money((debit or 0) - (credit or 0))}",
                )
            )
    return outcome(
        JOURNALS_BALANCE,
        JOURNALS_BALANCE_TITLE,
        Severity.BLOCKING,
        findings,
        detail=note,
        technical=tables.journal,
    )


# ------------------------------------------------------------------------------- roll-forward


def check_rollforward(
    connection: duckdb.DuckDBPyConnection, period: str, schema: str = "marts"
) -> CheckOutcome:
    """Assets of ``period`` whose roll-forward does not tie, and journal movements that differ."""
    tables = accounting_tables(schema)
    missing = _missing(
        connection, [tables.rollforward, tables.journal, PUBLISHED.rollforward, CLOSES]
    )
    if missing:
        return not_run(
            ROLLFORWARD_TIES, ROLLFORWARD_TIES_TITLE, Severity.BLOCKING, missing_reason(missing)
        )
    period, note = checked_month(connection, period, schema)
    findings = [
        Finding(f"asset {asset_id}, {period}", money(closing), problem)
        for asset_id, closing, problem in connection.execute(
            f"""
            SELECT asset_id, closing, CASE
                WHEN opening + addition - write_down - amortization - impairment
                    IS DISTINCT FROM closing
                    THEN 'opening ' || opening || ' + addition ' || addition || ' - write-down '
                        || write_down || ' - amortization ' || amortization || ' - impairment '
                        || impairment || ' is not the closing balance ' || closing
                WHEN least(opening, addition, write_down, amortization, impairment, closing,
                        current_portion, noncurrent_portion) < 0
                    THEN 'a balance, movement or portion is negative'
                ELSE 'current ' || current_portion || ' + non-current ' || noncurrent_portion
                    || ' is not the closing balance ' || closing
            END
            FROM {tables.rollforward}
            WHERE period = ?
                AND (opening + addition - write_down - amortization - impairment
                        IS DISTINCT FROM closing
                    OR least(opening, addition, write_down, amortization, impairment, closing,
                        current_portion, noncurrent_portion) < 0
                    OR current_portion + noncurrent_portion IS DISTINCT FROM closing)
            ORDER BY asset_id
            LIMIT {FINDINGS_QUERIED}
            """,
            [period],
        ).fetchall()
    ]
    # the opening is the month before's closing: published, else (a draft month) the drafts
    before = shift(period, -1)
    source = tables.rollforward if schema == "marts" else PUBLISHED.rollforward
    findings += [
        Finding(
            f"asset {asset_id}, {period}",
            money(opening),
            f"opens at {money(opening)} but closed {before} at {money(closing)}",
        )
        for asset_id, opening, closing in connection.execute(
            f"""
            WITH previous AS (
                SELECT asset_id, closing FROM {PUBLISHED.rollforward} WHERE period = ?
                UNION ALL
                SELECT asset_id, closing FROM {source}
                WHERE period = ? AND ? = 'marts'
                    AND period NOT IN (SELECT period FROM {CLOSES})
            ),
            this AS (SELECT asset_id, opening FROM {tables.rollforward} WHERE period = ?)
            SELECT coalesce(this.asset_id, previous.asset_id), coalesce(this.opening, 0),
                coalesce(previous.closing, 0)
            FROM this FULL JOIN previous ON this.asset_id = previous.asset_id
            WHERE coalesce(this.opening, 0) <> coalesce(previous.closing, 0)
            ORDER BY 1
            LIMIT {FINDINGS_QUERIED}
            """,
            [before, before, schema, period],
        ).fetchall()
    ]
    # the journal's movements of deferred_commissions, per currency and kind
    findings += [
        Finding(
            f"deferred commissions in {currency}, {period}",
            money(journal),
            f"the journal's {movement} is {money(journal)} but the assets' is {money(assets)}",
        )
        for currency, movement, journal, assets in connection.execute(
            f"""
            WITH assets AS (
                SELECT currency, sum(addition) AS additions, sum(write_down) AS write_downs,
                    sum(amortization) AS amortization, sum(impairment) AS impairment,
                    sum(closing - opening) AS movement
                FROM {tables.rollforward} WHERE period = ? GROUP BY currency
            ),
            journal AS (
                SELECT currency,
                    sum(debit) FILTER (WHERE entry_type = 'capitalization') AS additions,
                    sum(credit) FILTER (WHERE entry_type = 'write_down') AS write_downs,
                    sum(credit) FILTER (WHERE entry_type = 'amortization') AS amortization,
                    sum(credit) FILTER (WHERE entry_type = 'impairment') AS impairment,
                    sum(debit - credit) AS movement
                FROM {tables.journal}
                WHERE period = ? AND account_role = 'deferred_commissions'
                GROUP BY currency
            ),
            compared AS (
                SELECT coalesce(a.currency, j.currency) AS currency, m.movement,
                    CASE m.movement WHEN 'additions' THEN j.additions
                        WHEN 'write-downs' THEN j.write_downs
                        WHEN 'amortization' THEN j.amortization
                        WHEN 'impairment' THEN j.impairment ELSE j.movement END AS journal,
                    CASE m.movement WHEN 'additions' THEN a.additions
                        WHEN 'write-downs' THEN a.write_downs
                        WHEN 'amortization' THEN a.amortization
                        WHEN 'impairment' THEN a.impairment ELSE a.movement END AS assets
                FROM assets AS a FULL JOIN journal AS j ON a.currency = j.currency
                CROSS JOIN (VALUES ('additions'), ('write-downs'), ('amortization'),
                    ('impairment'), ('net movement')) AS m(movement)
            )
            SELECT currency, movement, coalesce(journal, 0), coalesce(assets, 0)
            FROM compared
            WHERE coalesce(journal, 0) <> coalesce(assets, 0)
            ORDER BY currency, movement
            """,
            [period, period],
        ).fetchall()
    ]
    return outcome(
        ROLLFORWARD_TIES,
        ROLLFORWARD_TIES_TITLE,
        Severity.BLOCKING,
        findings,
        detail=note,
        technical=f"{tables.rollforward} vs {tables.journal}",
    )


# ---------------------------------------------------------------------------------- costs


def check_costs(
    connection: duckdb.DuckDBPyConnection, period: str, schema: str = "marts"
) -> CheckOutcome:
    """Lines, payouts and journal costs of ``period`` that do not reconcile to the cent."""
    tables = accounting_tables(schema)
    missing = _missing(connection, tables.all())
    if missing:
        return not_run(
            COSTS_RECONCILE, COSTS_RECONCILE_TITLE, Severity.BLOCKING, missing_reason(missing)
        )
    period, note = checked_month(connection, period, schema)
    undrafted = _undrafted_costs(connection, tables, period)
    if undrafted is not None:
        return outcome(
            COSTS_RECONCILE,
            COSTS_RECONCILE_TITLE,
            Severity.BLOCKING,
            [undrafted],
            technical=f"{tables.costs} vs {tables.payouts}",
        )
    findings = [
        Finding(
            f"employee {employee_id}, {period}, {cost_type} line of {plan_id} {component_id} "
            f"(quota period {start})",
            money(line),
            f"its shares of deals add up to {money(shares)} {currency}, not the line's "
            f"{money(line)}",
        )
        for employee_id, cost_type, plan_id, component_id, start, currency, line, shares in (
            connection.execute(
                f"""
                SELECT employee_id, cost_type, plan_id, component_id, quota_period_start,
                    min(currency), min(line_amount), sum(amount)
                FROM {tables.costs}
                WHERE period = ? AND cost_type IN ('commission', 'restatement', 'spiff')
                GROUP BY employee_id, cost_type, plan_id, component_id, quota_period_start
                HAVING sum(amount) <> min(line_amount) OR min(line_amount) <> max(line_amount)
                ORDER BY 1, 2, 3, 4, 5
                LIMIT {FINDINGS_QUERIED}
                """,
                [period],
            ).fetchall()
        )
    ]
    findings += [
        Finding(
            f"employee {employee_id}, {period}",
            money(costs),
            f"its costs add up to {money(costs)} {currency} but the payout's commission + SPIFF "
            f"+ draw top-up - recovery + adjustments is {money(paid)}",
        )
        for employee_id, currency, costs, paid in connection.execute(
            f"""
            WITH costs AS (
                SELECT employee_id, currency, sum(amount) AS amount
                FROM {tables.costs} WHERE period = ? GROUP BY employee_id, currency
            ),
            paid AS (
                SELECT employee_id, currency,
                    commission + spiff + draw_top_up - draw_recovery + adjustments AS amount
                FROM {tables.payouts} WHERE period = ?
            )
            SELECT coalesce(costs.employee_id, paid.employee_id),
                coalesce(costs.currency, paid.currency), coalesce(costs.amount, 0),
                coalesce(paid.amount, 0)
            FROM costs FULL JOIN paid
                ON costs.employee_id = paid.employee_id AND costs.currency = paid.currency
            WHERE coalesce(costs.amount, 0) <> coalesce(paid.amount, 0)
            ORDER BY 1, 2
            LIMIT {FINDINGS_QUERIED}
            """,
            [period, period],
        ).fetchall()
    ]
    findings += [
        Finding(
            f"commission cost in {currency}, {period}",
            money(booked),
            f"the journal capitalized and expensed {money(booked)} but the month's lines, "
            f"draws and adjustments are {money(incurred)}",
        )
        for currency, booked, incurred in connection.execute(
            f"""
            WITH booked AS (
                SELECT currency, sum(debit - credit) AS amount
                FROM {tables.journal}
                WHERE period = ? AND account_role <> 'accrued_commissions'
                    AND entry_type IN ('capitalization', 'expense', 'draws', 'adjustments',
                        'write_down', 'amortization_reversal')
                GROUP BY currency
            ),
            incurred AS (
                SELECT currency, sum(amount) AS amount
                FROM {tables.costs} WHERE period = ? GROUP BY currency
            )
            SELECT coalesce(booked.currency, incurred.currency), coalesce(booked.amount, 0),
                coalesce(incurred.amount, 0)
            FROM booked FULL JOIN incurred ON booked.currency = incurred.currency
            WHERE coalesce(booked.amount, 0) <> coalesce(incurred.amount, 0)
            ORDER BY 1
            """,
            [period, period],
        ).fetchall()
    ]
    return outcome(
        COSTS_RECONCILE,
        COSTS_RECONCILE_TITLE,
        Severity.BLOCKING,
        findings,
        detail=note,
        technical=f"{tables.costs} vs {tables.payouts} and {tables.journal}",
    )


def _undrafted_costs(
    connection: duckdb.DuckDBPyConnection, tables: AccountingTables, period: str
) -> Finding | None:
    """A finding when ``period`` pays costs but has no cost rows at all: its accounting was not
    drafted (a build drafts it once it is the next month to close)."""
    (costs,) = connection.execute(
        f"SELECT count(*) FROM {tables.costs} WHERE period = ?", [period]
    ).fetchone()  # type: ignore[misc]
    if costs:
        return None
    (paying,) = connection.execute(
        f"SELECT count(*) FROM {tables.payouts} WHERE period = ? AND "
        "commission + spiff + draw_top_up - draw_recovery + adjustments <> 0",
        [period],
    ).fetchone()  # type: ignore[misc]
    if not paying:
        return None
    return Finding(
        f"the month {period}",
        None,
        f"{paying} payout(s) have costs but the month's accounting was not drafted: a build "
        "drafts it once it is the next month to close (accounting.draft_months); close the "
        "months in order, each with its own build (openspm close)",
    )


# ----------------------------------------------------------------------------- accrued balance


def check_accrued_balance(
    connection: duckdb.DuckDBPyConnection, period: str, schema: str = "marts"
) -> CheckOutcome:
    """Currencies whose accrued_commissions balance at ``period``'s end is not minus the carry."""
    tables = accounting_tables(schema)
    missing = _missing(connection, [tables.journal, tables.payouts, PUBLISHED.journal, CLOSES])
    if missing:
        return not_run(
            ACCRUED_BALANCE, ACCRUED_BALANCE_TITLE, Severity.BLOCKING, missing_reason(missing)
        )
    period, note = checked_month(connection, period, schema)
    # every month up to this one: published in finance; drafts (unpublished) in marts; this
    # month as published in finance_store (Spark: not in the finance view before its pointer)
    drafts = (
        f"UNION ALL SELECT currency, debit - credit FROM {tables.journal} "
        "WHERE period <= ? AND account_role = 'accrued_commissions' "
        f"AND period NOT IN (SELECT period FROM {CLOSES})"
        if schema != "finance"
        else ""
    )
    rows = connection.execute(
        f"""
        WITH balance AS (
            SELECT currency, sum(amount) AS amount FROM (
                SELECT currency, debit - credit AS amount FROM {PUBLISHED.journal}
                WHERE period <= ? AND account_role = 'accrued_commissions'
                {drafts}
            ) AS movements GROUP BY currency
        ),
        owed AS (
            SELECT currency, -sum(least(0, commission + spiff + draw_top_up - draw_recovery
                + adjustments + negative_carry_in)) AS amount
            FROM {tables.payouts} WHERE period = ? GROUP BY currency
        )
        SELECT coalesce(balance.currency, owed.currency), coalesce(balance.amount, 0),
            coalesce(owed.amount, 0)
        FROM balance FULL JOIN owed ON balance.currency = owed.currency
        WHERE coalesce(balance.amount, 0) <> coalesce(owed.amount, 0)
        ORDER BY 1
        """,
        [period, period, period] if schema != "finance" else [period, period],
    ).fetchall()
    findings = [
        Finding(
            f"accrued commissions in {currency} at the end of {period}",
            money(balance),
            f"the balance is {money(balance)} (debit) but the negative carry outstanding is "
            f"{money(owed)}",
        )
        for currency, balance, owed in rows
    ]
    return outcome(
        ACCRUED_BALANCE,
        ACCRUED_BALANCE_TITLE,
        Severity.BLOCKING,
        findings,
        detail=note,
        technical=f"{PUBLISHED.journal} and {tables.journal} vs {tables.payouts}",
    )


ACCOUNTING_CHECKS = (check_journal_balance, check_rollforward, check_costs, check_accrued_balance)

