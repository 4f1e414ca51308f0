"""Months written ``YYYY-MM``: parsing with clear errors, ranges, partition keys, first_period.

A period is a calendar month, written ``YYYY-MM`` everywhere (CLI, openspm.yaml, warehouse).
Dagster's monthly partitions are keyed by the month's first day (``YYYY-MM-01``).
"""

from __future__ import annotations

import csv
import os
import re
from datetime import date, timedelta
from pathlib import Path

from openspm.settings import SettingsError
from openspm.warehouse import DATABASE_ERRORS, Warehouse, read_only
from openspm.workspace import Workspace

PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")
PARTITION_KEY_RE = re.compile(r"^(\d{4})-(\d{2})-01$")
PARTITIONS_START_ENV = "OPENSPM_PARTITIONS_START"  # first month Dagster knows (YYYY-MM)
DEFAULT_PARTITIONS_START = "2020-01"


class PeriodError(ValueError):
    """A month is not written YYYY-MM, a range is reversed, or first_period is unknown."""


def parse_period(text: str, what: str = "month") -> str:
    """``text`` as a canonical ``YYYY-MM``; PeriodError naming the bad value otherwise."""
    value = str(text).strip()
    match = PERIOD_RE.match(value)
    if not match:
        raise PeriodError(f"{what} {text!r} is not a month written YYYY-MM (e.g. 2026-03)")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise PeriodError(f"{what} {text!r} has no month {month:02d}; months run 01 to 12")
    if year < 1900:
        raise PeriodError(f"{what} {text!r}: the year must be 1900 or later")
    return f"{year:04d}-{month:02d}"


def month_start(period: str) -> date:
    """The first day of the month ``YYYY-MM``."""
    year, month = (int(part) for part in parse_period(period).split("-"))
    return date(year, month, 1)


def month_bounds(period: str) -> tuple[date, date]:
    """First and last day of the month ``YYYY-MM``."""
    return month_start(period), month_start(next_period(period)) - timedelta(days=1)


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def shift(period: str, months: int) -> str:
    start = month_start(period)
    index = start.year * 12 + (start.month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def next_period(period: str) -> str:
    return shift(period, 1)


def previous_period(period: str) -> str:
    return shift(period, -1)


def period_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included (empty when last < first)."""
    first, last = parse_period(first), parse_period(last)
    months: list[str] = []
    current = first
    while current <= last:
        months.append(current)
        current = next_period(current)
    return months


def checked_range(first: str, last: str) -> list[str]:
    """``period_range`` that refuses a reversed range with a clear message."""
    first, last = parse_period(first, "--from"), parse_period(last, "--to")
    if last < first:
        raise PeriodError(f"--from {first} is after --to {last}")
    return period_range(first, last)


def partition_key(period: str) -> str:
    """The Dagster monthly partition key of a period: ``2026-03`` -> ``2026-03-01``."""
    return f"{parse_period(period)}-01"


def period_of_partition_key(key: str) -> str:
    match = PARTITION_KEY_RE.match(key)
    if not match:
        raise PeriodError(f"partition key {key!r} is not a month's first day YYYY-MM-01")
    return parse_period(f"{match.group(1)}-{match.group(2)}")


def partitions_start(workspace: Workspace | None = None) -> str:
    """First month of a workspace's Dagster partitions: its first_period.

    ``$OPENSPM_PARTITIONS_START`` overrides it; without a workspace, or when its first_period is
    unknown (no settings, no assignment yet), 2020-01. Read from openspm.yaml and
    comp/plan_assignments.csv only (never the warehouse, which another process may be writing).
    """
    raw = os.environ.get(PARTITIONS_START_ENV)
    if raw:
        return parse_period(raw, f"${PARTITIONS_START_ENV}")
    if workspace is not None:
        try:
            return first_period(workspace, use_warehouse=False)
        except (PeriodError, SettingsError):
            pass
    return DEFAULT_PARTITIONS_START


def _earliest_in_table(connection: Warehouse) -> date | None:
    try:
        (earliest,) = connection.execute(
            "select min(effective_from) from comp.plan_assignments"
        ).fetchone()  # type: ignore[misc]
    except DATABASE_ERRORS:
        return None
    return earliest


def _earliest_in_file(path: Path) -> date | None:
    if not path.is_file():
        return None
    earliest: date | None = None
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                day = date.fromisoformat(str(row.get("effective_from") or "").strip())
            except ValueError:
                continue  # openspm validate reports bad rows; they do not move first_period
            earliest = day if earliest is None or day < earliest else earliest
    return earliest


def first_period(
    workspace: Workspace,
    connection: Warehouse | None = None,
    *,
    use_warehouse: bool = True,
) -> str:
    """openspm.yaml ``first_period``, else the month of the earliest plan assignment.

    The assignment comes from the table comp.plan_assignments (read through ``connection``,
    else read-only from the workspace's warehouse when it exists and ``use_warehouse``) when
    the warehouse has it, else from the file comp/plan_assignments.csv (docs/contract.md
    section 4.12).
    """
    if workspace.settings.first_period:
        return parse_period(workspace.settings.first_period, "first_period")
    if not use_warehouse:
        earliest = None
    elif connection is None:
        with read_only(workspace) as reader:
            earliest = _earliest_in_table(reader) if reader is not None else None
    else:
        earliest = _earliest_in_table(connection)
    if earliest is None:
        earliest = _earliest_in_file(workspace.comp_dir / "plan_assignments.csv")
    if earliest is None:
        raise PeriodError(
            "first_period is unknown: openspm.yaml sets none and comp/plan_assignments.csv "
            "holds no assignment"
        )
    return period_of(earliest)
