"""Reconciliations: invariants between the warehouse's tables, checked with DuckDB queries.

Each check takes ``(connection, period)`` and looks at that month: the drafts in ``marts.*``
by default, or the published month in ``finance.*`` with ``schema="finance"``. Sums are exact
(DECIMAL, Python ``Decimal``); amounts are shown unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from openspm.fx import fx_rate
from openspm.money import cents, money
from openspm.periods import month_bounds, parse_period
from openspm.quality.findings import CheckOutcome, Finding, Severity, not_run, outcome
from openspm.quality.wording import employee_label, employee_names, missing_reason
from openspm.warehouse import Warehouse, missing_tables

DEAL_CREDITS = "deal_credits_reconcile"
DEAL_CREDITS_TITLE = "Each won deal's direct and split credits must add up to its amount"
PAYOUT_LINES = "payouts_equal_lines"
PAYOUT_LINES_TITLE = "Each payout's commission and SPIFF must equal the sum of its payout lines"
NET_PAYOUT = "net_payout_formula"
NET_PAYOUT_TITLE = (
    "Each net payout must equal commission + SPIFF + draw top-up - draw recovery + "
    "adjustments + negative carry-in (paid as zero when below zero)"
)
NO_PLAN = "credits_without_plan"
NO_PLAN_TITLE = "Credits should belong to a plan (credits of people without a plan earn nothing)"
ABOVE_TARGET = "payout_above_target"
ABOVE_TARGET_TITLE = (
    "A month's payout should not exceed three times the employee's monthly target incentive"
)
TARGET_MULTIPLE = Decimal(3)

_PAYOUT_TABLES = {
    "marts": ("marts.fct_payouts", "marts.fct_payout_lines"),
    "finance": ("finance.payouts", "finance.payout_lines"),
    # Spark: the month being published, before finance.closes lists it (openspm/publish.py)
    "finance_store": ("finance_store.payouts", "finance_store.payout_lines"),
}


def payout_tables(schema: str) -> tuple[str, str]:
    """(payouts, payout lines) of ``schema``: drafts in marts, published months in finance
    (on Spark, a month being published in finance_store)."""
    try:
        return _PAYOUT_TABLES[schema]
    except KeyError:
        raise ValueError(f"schema must be one of {', '.join(_PAYOUT_TABLES)}") from None


# ------------------------------------------------------------------------------------ credits


def check_deal_credits(connection: Warehouse, period: str) -> CheckOutcome:
    """Won deals closed in ``period`` whose direct and split credits do not add up (blocking).

    The same rule as the dbt test ``assert_deal_credits_reconcile_to_deal_amounts``: the
    person-credits (before plans) sum exactly to amount x revenue split total / 100 (= the amount
    without splits), with one direct credit without revenue splits and none with them. Deals
    already listed as incomplete, unowned or badly split are left to those checks.
    """
    tables = [
        "staging.stg_crm__deals",
        "staging.stg_crm__deal_splits",
        "intermediate.int_deal_credits",
        "intermediate.int_deal_credit_problems",
    ]
    missing = missing_tables(connection, tables)
    if missing:
        return not_run(DEAL_CREDITS, DEAL_CREDITS_TITLE, Severity.BLOCKING, missing_reason(missing))
    start, end = month_bounds(parse_period(period))
    rows = connection.execute(
        """
        WITH deals AS (
            SELECT * FROM staging.stg_crm__deals
            WHERE is_won AND close_date BETWEEN ? AND ?
        ),
        split_totals AS (
            SELECT deal_id, sum(split_percent) AS split_total
            FROM staging.stg_crm__deal_splits WHERE split_type = 'revenue' GROUP BY deal_id
        ),
        credit_totals AS (
            SELECT deal_id, sum(source_amount) AS credited,
                count(*) FILTER (WHERE credit_type = 'direct') AS direct_credits,
                count(*) FILTER (WHERE credit_type = 'split') AS split_credits
            FROM intermediate.int_deal_credits
            WHERE credit_type IN ('direct', 'split') GROUP BY deal_id
        ),
        reconciled AS (
            SELECT deals.deal_id, deals.source_file, deals.source_row, deals.amount,
                deals.currency, split_totals.split_total,
                deals.amount * coalesce(split_totals.split_total, 100) * 0.01 AS expected,
                coalesce(credit_totals.credited, 0) AS credited,
                coalesce(credit_totals.direct_credits, 0) AS direct_credits,
                coalesce(credit_totals.split_credits, 0) AS split_credits
            FROM deals
            LEFT JOIN split_totals ON deals.deal_id = split_totals.deal_id
            LEFT JOIN credit_totals ON deals.deal_id = credit_totals.deal_id
            WHERE NOT EXISTS (
                SELECT 1 FROM intermediate.int_deal_credit_problems AS p
                WHERE p.deal_id = deals.deal_id
            )
        )
        SELECT * FROM reconciled
        WHERE credited <> expected
            OR (split_total IS NULL AND (direct_credits <> 1 OR split_credits <> 0))
            OR (split_total IS NOT NULL AND direct_credits <> 0)
        ORDER BY deal_id
        """,
        [start, end],
    ).fetchall()
    findings = []
    for (
        deal_id,
        file,
        row,
        amount,
        currency,
        split_total,
        expected,
        credited,
        direct,
        _split,
    ) in rows:
        where = f"deal {deal_id}" if file is None else f"{file} row {row} (deal {deal_id})"
        problems = []
        if credited != expected:
            basis = (
                f"its amount {money(amount)}"
                if split_total is None
                else f"amount {money(amount)} x revenue splits of {money(split_total)}%"
            )
            problems.append(
                f"its direct and split credits add up to {money(credited)} {currency}, "
                f"not {money(expected)} {currency} ({basis})"
            )
        if split_total is None and direct != 1:
            problems.append(
                f"it has {direct} direct credits; a deal without revenue splits has exactly one"
            )
        if split_total is not None and direct != 0:
            problems.append(f"it has revenue splits and also {direct} direct credit(s)")
        if not problems:
            problems.append("its credits do not match its revenue splits")
        findings.append(Finding(where, money(credited), "; ".join(problems)))
    return outcome(
        DEAL_CREDITS,
        DEAL_CREDITS_TITLE,
        Severity.BLOCKING,
        findings,
        technical="intermediate.int_deal_credits vs staging.stg_crm__deals",
    )


def exceptions(connection: Warehouse, period: str) -> list[Finding]:
    """Credits of ``period`` that belong to no plan (int_credit_exceptions), one finding each."""
    if missing_tables(connection, ["intermediate.int_credit_exceptions"]):
        return []
    start, end = month_bounds(parse_period(period))
    rows = connection.execute(
        """
        SELECT employee_id, employee_name, deal_id, credit_type, source_amount, source_currency,
            description, event_type, event_id
        FROM intermediate.int_credit_exceptions
        WHERE credit_date BETWEEN ? AND ?
        ORDER BY employee_id, credit_date, deal_id, event_type, event_id, credit_type
        """,
        [start, end],
    ).fetchall()
    findings = []
    for row in rows:
        employee_id, name, deal_id, credit_type, amount, currency, description, kind, event = row
        who = f"employee {employee_id}" + (f" ({name})" if name else "")
        what = f"deal {deal_id}" if kind == "deal" else f"{kind} {event} of deal {deal_id}"
        findings.append(
            Finding(
                f"{who}, {what} ({credit_type} credit)",
                f"{money(amount)} {currency}",
                str(description),
            )
        )
    return findings


def check_credits_without_plan(connection: Warehouse, period: str) -> CheckOutcome:
    """Warning: credits dated in ``period`` whose employee holds no plan that day."""
    missing = missing_tables(connection, ["intermediate.int_credit_exceptions"])
    if missing:
        return not_run(NO_PLAN, NO_PLAN_TITLE, Severity.WARNING, missing_reason(missing))
    return outcome(
        NO_PLAN,
        NO_PLAN_TITLE,
        Severity.WARNING,
        exceptions(connection, period),
        technical="intermediate.int_credit_exceptions",
    )


# ------------------------------------------------------------------------------------ payouts


def check_payout_lines(
    connection: Warehouse, period: str, schema: str = "marts"
) -> CheckOutcome:
    """Payouts of ``period`` whose commission or SPIFF is not the sum of their lines (blocking).

    commission = commission + restatement lines, spiff = spiff lines. A line in another currency
    than its payout converts at the rate of the month's last day (latest rate on or before it,
    else the inverse pair), rounded to cents before summing, as the engine does. Lines without a
    payout are listed too.
    """
    payouts_table, lines_table = payout_tables(schema)
    missing = missing_tables(connection, [payouts_table, lines_table])
    if missing:
        return not_run(PAYOUT_LINES, PAYOUT_LINES_TITLE, Severity.BLOCKING, missing_reason(missing))
    period = parse_period(period)
    _, month_end = month_bounds(period)
    payouts = {
        str(e): (str(c), Decimal(com or 0), Decimal(sp or 0))
        for e, c, com, sp in connection.execute(
            f"SELECT employee_id, currency, commission, spiff FROM {payouts_table} "
            "WHERE period = ?",
            [period],
        ).fetchall()
    }
    lines = connection.execute(
        f"SELECT employee_id, line_type, amount, currency FROM {lines_table} WHERE period = ? "
        "ORDER BY employee_id, plan_id, component_id, quota_period_start, line_type",
        [period],
    ).fetchall()
    names = employee_names(connection)
    rates: dict[tuple[str, str], Decimal | None] = {}
    sums: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"commission": Decimal(0), "spiff": Decimal(0)}
    )
    unconvertible: dict[str, set[str]] = defaultdict(set)
    for employee_id, line_type, amount, currency in lines:
        employee_id = str(employee_id)
        bucket = "spiff" if line_type == "spiff" else "commission"
        target = payouts[employee_id][0] if employee_id in payouts else str(currency)
        rate = _rate(connection, rates, str(currency), target, month_end)
        if rate is None:
            unconvertible[employee_id].add(str(currency))
            continue
        value = Decimal(amount) if rate == 1 else cents(Decimal(amount) * rate)
        sums[employee_id][bucket] += value
    findings = []
    for employee_id in sorted(set(payouts) | set(sums)):
        where = f"{employee_label(employee_id, names)}, {period}"
        summed = sums.get(employee_id, {"commission": Decimal(0), "spiff": Decimal(0)})
        if employee_id not in payouts:
            total = summed["commission"] + summed["spiff"]
            findings.append(
                Finding(
                    where,
                    money(total),
                    f"has payout lines adding up to {money(total)} but no payout",
                )
            )
            continue
        currency, commission, spiff = payouts[employee_id]
        for missing_currency in sorted(unconvertible.get(employee_id, ())):
            findings.append(
                Finding(
                    where,
                    missing_currency,
                    f"a {missing_currency} payout line cannot be converted into {currency}: no "
                    f"exchange rate dated on or before {month_end.isoformat()}",
                )
            )
        if employee_id in unconvertible:
            continue
        if commission != summed["commission"]:
            findings.append(
                Finding(
                    where,
                    money(commission),
                    f"the payout's commission is {money(commission)} {currency} but its commission "
                    f"and restatement lines add up to {money(summed['commission'])} {currency}",
                )
            )
        if spiff != summed["spiff"]:
            findings.append(
                Finding(
                    where,
                    money(spiff),
                    f"the payout's SPIFF is {money(spiff)} {currency} but its SPIFF lines add "
                    f"up to {money(summed['spiff'])} {currency}",
                )
            )
    return outcome(
        PAYOUT_LINES,
        PAYOUT_LINES_TITLE,
        Severity.BLOCKING,
        findings,
        technical=f"{payouts_table} vs {lines_table}",
    )


def check_net_payout(
    connection: Warehouse, period: str, schema: str = "marts"
) -> CheckOutcome:
    """Payouts of ``period`` whose net_payout does not follow from their parts (blocking).

    net_payout = max(0, commission + spiff + draw_top_up - draw_recovery + adjustments +
    negative_carry_in) (docs/contract.md rule 4.11, docs/engine.md).
    """
    payouts_table, _ = payout_tables(schema)
    missing = missing_tables(connection, [payouts_table])
    if missing:
        return not_run(NET_PAYOUT, NET_PAYOUT_TITLE, Severity.BLOCKING, missing_reason(missing))
    period = parse_period(period)
    names = employee_names(connection)
    findings = []
    for row in connection.execute(
        f"SELECT employee_id, currency, commission, spiff, draw_top_up, draw_recovery, "
        f"adjustments, negative_carry_in, net_payout FROM {payouts_table} WHERE period = ? "
        "ORDER BY employee_id",
        [period],
    ).fetchall():
        employee_id, currency = str(row[0]), row[1]
        com, spiff, top_up, recovery, adjustments, carry, net = (
            Decimal(v) if v is not None else None for v in row[2:]
        )
        parts = [com, spiff, top_up, recovery, adjustments, carry]
        where = f"{employee_label(employee_id, names)}, {period}"
        if net is None or any(p is None for p in parts):
            findings.append(Finding(where, money(net), "a part of the payout is missing"))
            continue
        gross = com + spiff + top_up - recovery + adjustments + carry  # type: ignore[operator]
        expected = max(Decimal(0), gross)
        if net != expected:
            findings.append(
                Finding(
                    where,
                    money(net),
                    f"the net payout is {money(net)} {currency} but its parts give "
                    f"{money(expected)} {currency}: commission {money(com)} + SPIFF "
                    f"{money(spiff)} + draw top-up {money(top_up)} - draw recovery "
                    f"{money(recovery)} + adjustments {money(adjustments)} + negative carry-in "
                    f"{money(carry)} = {money(gross)}",
                )
            )
    return outcome(
        NET_PAYOUT, NET_PAYOUT_TITLE, Severity.BLOCKING, findings, technical=payouts_table
    )


def check_payout_above_target(
    connection: Warehouse, period: str, schema: str = "marts"
) -> CheckOutcome:
    """Warning: a net payout above 3 x the monthly target incentive (annual target / 12).

    The target is that of the assignment held on the month's last day, else the last one held
    in the month (the plan the payout is paid in); it is in plan currency and converts into the
    payout currency at the month-end rate when the two differ. Employees without an assignment
    in the month have no target and are not compared.
    """
    payouts_table, _ = payout_tables(schema)
    tables = [payouts_table, "comp.plan_assignments", "comp.plans"]
    missing = missing_tables(connection, tables)
    if missing:
        return not_run(ABOVE_TARGET, ABOVE_TARGET_TITLE, Severity.WARNING, missing_reason(missing))
    period = parse_period(period)
    start, end = month_bounds(period)
    rows = connection.execute(
        f"""
        WITH held AS (
            SELECT a.employee_id, a.plan_id, a.target_incentive, p.currency AS plan_currency,
                row_number() OVER (
                    PARTITION BY a.employee_id
                    ORDER BY (? BETWEEN a.effective_from AND a.effective_end) DESC,
                        a.effective_end DESC, a.effective_from DESC
                ) AS rank
            FROM comp.plan_assignments AS a
            JOIN comp.plans AS p ON p.plan_id = a.plan_id
            WHERE a.effective_from <= ? AND a.effective_end >= ?
        )
        SELECT pay.employee_id, pay.currency, pay.net_payout, held.plan_id,
            held.target_incentive, held.plan_currency
        FROM {payouts_table} AS pay
        JOIN held ON held.employee_id = pay.employee_id AND held.rank = 1
        WHERE pay.period = ?
        ORDER BY pay.employee_id
        """,
        [end, end, start, period],
    ).fetchall()
    names = employee_names(connection)
    rates: dict[tuple[str, str], Decimal | None] = {}
    findings = []
    for employee_id, currency, net, plan_id, target, plan_currency in rows:
        if net is None or target is None:
            continue
        rate = _rate(connection, rates, str(plan_currency), str(currency), end)
        if rate is None:
            continue  # a missing rate is the fx check's finding, not this warning's
        monthly = Decimal(target) * rate / 12
        limit = TARGET_MULTIPLE * monthly
        if Decimal(net) > limit:
            findings.append(
                Finding(
                    f"{employee_label(str(employee_id), names)}, {period}",
                    f"{money(net)} {currency}",
                    f"the net payout is {money(net)} {currency}, more than three times the monthly "
                    f"target incentive of {money(cents(monthly))} {currency} (annual "
                    f"{money(target)} {plan_currency} in plan {plan_id} / 12); limit "
                    f"{money(cents(limit))} {currency}",
                )
            )
    return outcome(
        ABOVE_TARGET,
        ABOVE_TARGET_TITLE,
        Severity.WARNING,
        findings,
        technical=f"{payouts_table} vs comp.plan_assignments",
    )


def _rate(
    connection: Warehouse,
    cache: dict[tuple[str, str], Decimal | None],
    from_currency: str,
    to_currency: str,
    as_of: date,
) -> Decimal | None:
    key = (from_currency, to_currency)
    if key not in cache:
        cache[key] = fx_rate(connection, from_currency, to_currency, as_of)
    return cache[key]
