"""Days and months of the demo as integers: days since 1970-01-01 and months since 1970-01."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

EPOCH = date(1970, 1, 1)
US_PER_DAY = 86_400_000_000
US_PER_HOUR = 3_600_000_000


def day_of(d: date) -> int:
    """Days since 1970-01-01."""
    return (d - EPOCH).days


def date_of(n: int) -> date:
    """The date ``n`` days after 1970-01-01."""
    return EPOCH + timedelta(days=int(n))


def month_of_day(days: np.ndarray | int) -> np.ndarray:
    """Months since 1970-01 of day numbers."""
    return (
        np.asarray(days, dtype="int64")
        .astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype("int64")
    )


def first_day_of_month(months: np.ndarray | int) -> np.ndarray:
    """Day number of the first day of months (months since 1970-01)."""
    return (
        np.asarray(months, dtype="int64")
        .astype("datetime64[M]")
        .astype("datetime64[D]")
        .astype("int64")
    )


def add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Day numbers moved by whole months, the day of month clipped to the target month's end."""
    days = np.asarray(days, dtype="int64")
    month = month_of_day(days)
    day_in_month = days - first_day_of_month(month)
    target = month + np.asarray(months, dtype="int64")
    length = first_day_of_month(target + 1) - first_day_of_month(target)
    return first_day_of_month(target) + np.minimum(day_in_month, length - 1)


def month_label(month: int) -> str:
    """``YYYY-MM`` of a month number."""
    return str(np.datetime64(int(month), "M"))


def monday_on_or_after(day: int) -> int:
    """The first Monday on or after ``day`` (1970-01-01 was a Thursday)."""
    return day + (-(day + 3)) % 7


@dataclass(frozen=True)
class Calendar:
    """The generated months: ``n_months`` calendar months from ``first_month``."""

    first_month: int  # months since 1970-01
    n_months: int

    @classmethod
    def from_start(cls, start: date, months: int) -> Calendar:
        if start.day != 1:
            raise ValueError(f"DemoSize.start must be the first day of a month, got {start}")
        if months < 1:
            raise ValueError(f"DemoSize.months must be at least 1, got {months}")
        return cls(int(month_of_day(day_of(start))), months)

    @property
    def start_day(self) -> int:
        return int(first_day_of_month(self.first_month))

    @property
    def end_day(self) -> int:
        """Last day of the last month."""
        return int(first_day_of_month(self.first_month + self.n_months)) - 1

    @property
    def last_month(self) -> int:
        return self.first_month + self.n_months - 1

    @property
    def months(self) -> np.ndarray:
        return np.arange(self.first_month, self.first_month + self.n_months, dtype="int64")

    @property
    def years(self) -> list[int]:
        """Calendar years that the generated months touch."""
        first = 1970 + self.first_month // 12
        last = 1970 + self.last_month // 12
        return list(range(first, last + 1))

    def batch_of_day(self, days: np.ndarray) -> np.ndarray:
        """Batch number (0 = first generated month) of day numbers."""
        return month_of_day(days) - self.first_month
