"""The payroll export ``out/<YYYY-MM>/payroll.csv`` (docs/contract.md section 7).

For every employee with a positive net payout, one row per earning type with a non-zero
amount (a draw recovery or a negative carry-in is a negative row), summing exactly to
``finance.payouts.net_payout``; nothing for an employee paid 0. Earning codes, the pay date
and the column names come from ``payroll:`` in openspm.yaml (openspm.settings).
"""

from __future__ import annotations

import calendar
import csv
import io
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from openspm.money import money
from openspm.periods import next_period
from openspm.settings import EARNING_TYPES, PAYROLL_FIELDS, PayrollSettings
from openspm.statements.source import FinanceSource

PAYROLL_FILE = "payroll.csv"


def pay_date(period: str, settings: PayrollSettings) -> date:
    """The pay date of ``period``: ``pay_day`` of the month itself or of the month after."""
    month = period if settings.pay_month == "same" else next_period(period)
    year, number = int(month[:4]), int(month[5:])
    last = calendar.monthrange(year, number)[1]
    day = last if settings.pay_day == "last" else min(int(settings.pay_day), last)
    return date(year, number, day)


def payroll_rows(
    source: FinanceSource, settings: PayrollSettings, names: Mapping[str, str]
) -> list[dict[str, str]]:
    """The rows of the export (keys: PAYROLL_FIELDS), ordered by employee and earning type."""
    payouts = source.connection.execute(
        "select employee_id, currency, commission, spiff, draw_top_up, -draw_recovery, "
        f"adjustments, negative_carry_in, net_payout from {source.table('payouts')} "
        "where period = ? and net_payout > 0 order by employee_id",
        [source.period],
    ).fetchall()
    paid_on = pay_date(source.period, settings).isoformat()
    rows = []
    for employee_id, currency, *amounts, _net in payouts:
        for earning_type, amount in zip(EARNING_TYPES, amounts, strict=True):
            if not amount:
                continue
            rows.append(
                {
                    "employee_id": employee_id,
                    "employee_name": names.get(employee_id, ""),
                    "period": source.period,
                    "pay_date": paid_on,
                    "earning_type": earning_type,
                    "earning_code": getattr(settings.earning_codes, earning_type),
                    "amount": money(Decimal(amount)) or "0.00",
                    "currency": currency,
                }
            )
    return rows


def render_payroll(rows: list[dict[str, str]], settings: PayrollSettings) -> str:
    """The CSV text, with the configured column names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([getattr(settings.columns, f) for f in PAYROLL_FIELDS])
    for row in rows:
        writer.writerow([row[f] for f in PAYROLL_FIELDS])
    return buffer.getvalue()


def read_payroll(text: str, settings: PayrollSettings) -> list[dict[str, str]]:
    """Parse a payroll file back into rows keyed by PAYROLL_FIELDS (for the totals gate)."""
    reader = csv.DictReader(io.StringIO(text))
    names = {getattr(settings.columns, f): f for f in PAYROLL_FIELDS}
    return [{names.get(k, k): v for k, v in row.items()} for row in reader]
