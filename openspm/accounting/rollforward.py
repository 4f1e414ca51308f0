"""The month's deferred commission roll-forward in total, for the close report (docs/contract.md
5.6): per currency, and converted into the reporting currency at the month-end rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb

from openspm.fx import fx_rate
from openspm.money import cents, money
from openspm.periods import month_bounds, parse_period
from openspm.quality.report import Section

MOVEMENTS = (
    "opening",
    "addition",
    "write_down",
    "amortization",
    "impairment",
    "closing",
    "current_portion",
    "noncurrent_portion",
)


@dataclass(frozen=True)
class RollForward:
    """One currency's roll-forward totals of a month (``rate``: to the reporting currency)."""

    currency: str
    assets: int
    amounts: dict[str, Decimal]
    rate: Decimal | None = None

    def converted(self, reporting_currency: str) -> RollForward | None:
        """The totals in the reporting currency, each rounded to cents (None: no rate)."""
        if self.rate is None:
            return None
        return RollForward(
            reporting_currency,
            self.assets,
            {k: cents(v * self.rate) for k, v in self.amounts.items()},
            Decimal(1),
        )

    def line(self) -> str:
        a = {k: money(v) for k, v in self.amounts.items()}
        return (
            f"{self.currency}: opening {a['opening']} + additions {a['addition']} - write-downs "
            f"{a['write_down']} - amortization {a['amortization']} - impairment "
            f"{a['impairment']} = closing {a['closing']} (current {a['current_portion']}, "
            f"non-current {a['noncurrent_portion']}; {self.assets} asset(s))"
        )


def rollforward_totals(
    connection: duckdb.DuckDBPyConnection, period: str, reporting_currency: str
) -> list[RollForward]:
    """finance.deferred_commissions of ``period`` summed per currency, with the month-end rate."""
    period = parse_period(period)
    _, month_end = month_bounds(period)
    sums = ", ".join(f"sum({m})" for m in MOVEMENTS)
    rows = connection.execute(
        f"SELECT currency, count(*), {sums} FROM finance.deferred_commissions "
        "WHERE period = ? GROUP BY currency ORDER BY currency",
        [period],
    ).fetchall()
    return [
        RollForward(
            str(row[0]),
            int(row[1]),
            dict(zip(MOVEMENTS, (Decimal(v) for v in row[2:]), strict=True)),
            fx_rate(connection, str(row[0]), reporting_currency, month_end),
        )
        for row in rows
    ]


def rollforward_section(
    connection: duckdb.DuckDBPyConnection, period: str, reporting_currency: str
) -> Section:
    """The close report's section: each currency's totals, then all of them converted."""
    totals = rollforward_totals(connection, period, reporting_currency)
    _, month_end = month_bounds(parse_period(period))
    (entries, lines) = connection.execute(
        "SELECT count(DISTINCT entry_id), count(*) FROM finance.journal_entries WHERE period = ?",
        [period],
    ).fetchone()  # type: ignore[misc]
    if not totals:
        text = ["No deferred commission asset holds a balance or moves this month."]
    else:
        text = [t.line() for t in totals]
        converted = [t.converted(reporting_currency) for t in totals]
        missing = [t.currency for t, c in zip(totals, converted, strict=True) if c is None]
        if missing:
            text.append(
                f"Not converted into {reporting_currency}: no rate on or before "
                f"{month_end.isoformat()} for {', '.join(missing)}."
            )
        elif len(totals) > 1 or totals[0].currency != reporting_currency:
            amounts = {
                m: sum((c.amounts[m] for c in converted if c is not None), Decimal(0))
                for m in MOVEMENTS
            }
            assets = sum(t.assets for t in totals)
            total = RollForward(reporting_currency, assets, amounts)
            text.append(
                f"In the reporting currency at the rates of {month_end.isoformat()}, "
                + total.line()
            )
    text.append(
        f"Journal entries: {entries} entries, {lines} lines (journal-entries.csv); the assets: "
        "deferred-commissions.csv."
    )
    return Section("Deferred commissions (roll-forward)", text)
