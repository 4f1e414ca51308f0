"""Quota period arithmetic (docs/contract.md section 4, rule 6).

Quota periods are aligned to a plan's ``effective_from`` (always the first of a month):
``year`` is the plan year (12 months from effective_from), ``quarter`` a 3-month block from it,
``month`` each calendar month. The last period of a plan is cut off at the plan's
``effective_to`` (so a plan ending mid-year has a short last year).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

QuotaPeriodKind = Literal["year", "quarter", "month"]

MONTHS_PER_PERIOD: dict[str, int] = {"year": 12, "quarter": 3, "month": 1}
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, order=True)
class QuotaPeriod:
    """One quota period: ``start`` and ``end`` are both inclusive; ``number`` counts from 1."""

    start: date
    end: date
    number: int

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (clamped to the month's last day)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def month_end(day: date) -> date:
    """The last day of the month of ``day``."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_between(start: date, day: date) -> int:
    """Whole calendar months from ``start``'s month to ``day``'s month (negative if before)."""
    return (day.year - start.year) * 12 + (day.month - start.month)


def _check(effective_from: date, kind: str) -> int:
    if effective_from.day != 1:
        raise ValueError(f"effective_from {effective_from} is not the first of a month")
    try:
        return MONTHS_PER_PERIOD[kind]
    except KeyError:
        raise ValueError(f"unknown quota period {kind!r}; use year, quarter or month") from None


def quota_periods(effective_from: date, effective_to: date, kind: str) -> list[QuotaPeriod]:
    """Every quota period of a plan running ``effective_from``..``effective_to`` (inclusive)."""
    size = _check(effective_from, kind)
    periods: list[QuotaPeriod] = []
    start = effective_from
    while start <= effective_to:
        nominal_end = add_months(start, size) - _ONE_DAY
        periods.append(QuotaPeriod(start, min(nominal_end, effective_to), len(periods) + 1))
        start = add_months(start, size)
    return periods


def quota_period_containing(
    effective_from: date, effective_to: date, kind: str, day: date
) -> QuotaPeriod | None:
    """The quota period that contains ``day``, or None when ``day`` lies outside the plan."""
    size = _check(effective_from, kind)
    if not effective_from <= day <= effective_to:
        return None
    index = months_between(effective_from, day) // size
    start = add_months(effective_from, index * size)
    end = min(add_months(start, size) - _ONE_DAY, effective_to)
    return QuotaPeriod(start, end, index + 1)


def is_quota_period_start(effective_from: date, effective_to: date, kind: str, day: date) -> bool:
    """Whether ``day`` is the first day of one of the plan's quota periods."""
    period = quota_period_containing(effective_from, effective_to, kind, day)
    return period is not None and period.start == day
