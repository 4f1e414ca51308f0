"""The CSV files of the compensation configuration: plan assignments, quotas, adjustments.

Each reader returns typed rows and the problems of the file itself (missing or unknown columns,
values that do not parse). Checks across files (unknown plans, overlaps, missing quotas) are in
``openspm.comp.config``. Row N is the N-th line after the header: line N + 1 of the file.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from openspm.comp.problems import ConfigProblem

ASSIGNMENTS_FILE = "comp/plan_assignments.csv"
QUOTAS_FILE = "comp/quotas.csv"
ADJUSTMENTS_FILE = "comp/adjustments.csv"

ASSIGNMENT_COLUMNS = (
    "employee_id",
    "plan_id",
    "effective_from",
    "effective_to",
    "target_incentive",
)
QUOTA_COLUMNS = ("employee_id", "plan_id", "component_id", "period_start", "quota")
ADJUSTMENT_COLUMNS = ("adjustment_id", "employee_id", "period", "amount", "currency", "reason")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DECIMAL = re.compile(r"^-?(\d+)(?:\.(\d+))?$")
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MONEY_SCALE = 6
MONEY_INTEGER_DIGITS = 14  # DECIMAL(20, 6) in the warehouse


@dataclass(frozen=True)
class PlanAssignment:
    """One row of plan_assignments.csv.

    ``effective_to`` is as written (None = open); ``effective_end`` is the last day the
    assignment holds: effective_to, else the plan's effective_to (set by validation).
    """

    employee_id: str
    plan_id: str
    effective_from: date
    effective_to: date | None
    target_incentive: Decimal
    row: int
    effective_end: date | None = None

    def holds_on(self, day: date) -> bool:
        """Whether the assignment is active on ``day``."""
        end = self.effective_end or self.effective_to
        return self.effective_from <= day and (end is None or day <= end)


@dataclass(frozen=True)
class Quota:
    """One row of quotas.csv: the quota of the quota period that starts on period_start."""

    employee_id: str
    plan_id: str
    component_id: str
    period_start: date
    quota: Decimal
    row: int


@dataclass(frozen=True)
class Adjustment:
    """One row of adjustments.csv: a manual amount added to an employee's payout of a month."""

    adjustment_id: str
    employee_id: str
    period: str  # YYYY-MM
    amount: Decimal
    currency: str
    reason: str
    row: int

    @property
    def period_start(self) -> date:
        """First day of the adjustment's month."""
        return date(int(self.period[:4]), int(self.period[5:7]), 1)


T = TypeVar("T")


class _Row:
    """Parses the cells of one CSV row, recording a problem for each bad value."""

    def __init__(
        self, source_file: str, row: int, values: dict[str, str], problems: list[ConfigProblem]
    ) -> None:
        self.source_file, self.row, self.values, self.problems = source_file, row, values, problems
        self.ok = True

    def fail(self, column: str, message: str) -> None:
        self.ok = False
        self.problems.append(
            ConfigProblem(self.source_file, self.row + 1, column, message, row=self.row)
        )

    def _parse(self, column: str, parse: Callable[[str], T], *, optional: bool = False) -> T | None:
        text = self.values.get(column, "")
        if not text:
            if not optional:
                self.fail(column, "a value is required")
            return None
        try:
            return parse(text)
        except ValueError as exc:
            self.fail(column, f"{exc} (got {text!r})")
            return None

    def text(self, column: str) -> str:
        return self._parse(column, str) or ""

    def date(self, column: str, *, optional: bool = False) -> date | None:
        return self._parse(column, parse_date, optional=optional)

    def decimal(
        self, column: str, *, minimum: Decimal | None = None, positive: bool = False
    ) -> Decimal | None:
        value = self._parse(column, parse_decimal)
        if value is not None:
            if positive and value <= 0:
                self.fail(column, f"should be more than 0 (got {value})")
            elif minimum is not None and value < minimum:
                self.fail(column, f"should be at least {minimum} (got {value})")
        return value

    def period(self, column: str) -> str | None:
        return self._parse(column, parse_period)

    def currency(self, column: str) -> str | None:
        return self._parse(column, parse_currency)


def parse_date(text: str) -> date:
    """A date written YYYY-MM-DD."""
    if not _DATE.match(text):
        raise ValueError("not a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("not a calendar date") from None


def parse_decimal(text: str) -> Decimal:
    """A decimal with '.' (no thousands separators), at most 6 decimal places."""
    match = _DECIMAL.match(text)
    if not match:
        raise ValueError("not a decimal number (digits with an optional '.' fraction)")
    if match.group(2) and len(match.group(2)) > MONEY_SCALE:
        raise ValueError(f"more than {MONEY_SCALE} decimal places")
    if len(match.group(1).lstrip("0")) > MONEY_INTEGER_DIGITS:
        raise ValueError(f"more than {MONEY_INTEGER_DIGITS} digits before the decimal point")
    return Decimal(text)


def parse_period(text: str) -> str:
    """A month written YYYY-MM."""
    if not _PERIOD.match(text):
        raise ValueError("not a month written YYYY-MM")
    return text


def parse_currency(text: str) -> str:
    """An ISO 4217 currency code: three capitals."""
    if not _CURRENCY.match(text):
        raise ValueError("not an ISO 4217 currency code (three capitals, e.g. USD)")
    return text


def _read_rows(
    path: Path, source_file: str, columns: tuple[str, ...], problems: list[ConfigProblem]
) -> list[tuple[int, dict[str, str]]] | None:
    """Rows of a CSV file as (row number, values by column); None when it cannot be used."""

    def whole_file(line: int | None, key: str | None, message: str) -> None:
        problems.append(ConfigProblem(source_file, line, key, message))

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        whole_file(None, None, "required file is missing (a header line alone is fine)")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        whole_file(None, None, f"cannot be read as UTF-8 text: {exc}")
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            whole_file(
                1,
                None,
                f"file is empty; the first line must name the columns: {', '.join(columns)}",
            )
            return None
        header_line = reader.line_num
        names = [cell.strip().lower() for cell in header]
        usable = True
        for column in columns:
            if column not in names:
                whole_file(header_line, column, "required column is missing")
                usable = False
        for index, name in enumerate(names):
            if name in names[:index]:
                whole_file(header_line, name, "column named twice")
                usable = False
            elif name not in columns:
                close = difflib.get_close_matches(name, columns, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                whole_file(
                    header_line,
                    name or f"column {index + 1}",
                    f"unknown column ({hint}expected: {', '.join(columns)})",
                )
        if not usable:
            return None
        rows: list[tuple[int, dict[str, str]]] = []
        previous_line = reader.line_num
        for cells in reader:
            line = previous_line + 1
            previous_line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            row = line - 1
            if len(cells) != len(names):
                problems.append(
                    ConfigProblem(
                        source_file,
                        line,
                        None,
                        f"has {len(cells)} values but the header names {len(names)} columns",
                        row=row,
                    )
                )
                continue
            rows.append((row, {n: c.strip() for n, c in zip(names, cells, strict=True)}))
        return rows
    except csv.Error as exc:
        whole_file(reader.line_num, None, f"not valid CSV: {exc}")
        return None


def read_assignments(
    path: Path, source_file: str = ASSIGNMENTS_FILE
) -> tuple[list[PlanAssignment] | None, list[ConfigProblem]]:
    """Parse plan_assignments.csv (rows with bad values are left out and reported)."""
    problems: list[ConfigProblem] = []
    rows = _read_rows(path, source_file, ASSIGNMENT_COLUMNS, problems)
    if rows is None:
        return None, problems
    result: list[PlanAssignment] = []
    for number, values in rows:
        row = _Row(source_file, number, values, problems)
        employee, plan = row.text("employee_id"), row.text("plan_id")
        start = row.date("effective_from")
        end = row.date("effective_to", optional=True)
        target = row.decimal("target_incentive", minimum=Decimal(0))
        if start is not None and end is not None and end < start:
            row.fail("effective_to", f"{end} is before effective_from ({start})")
        if row.ok and start is not None and target is not None:
            result.append(PlanAssignment(employee, plan, start, end, target, number))
    return result, problems


def read_quotas(
    path: Path, source_file: str = QUOTAS_FILE
) -> tuple[list[Quota] | None, list[ConfigProblem]]:
    """Parse quotas.csv (rows with bad values are left out and reported)."""
    problems: list[ConfigProblem] = []
    rows = _read_rows(path, source_file, QUOTA_COLUMNS, problems)
    if rows is None:
        return None, problems
    result: list[Quota] = []
    for number, values in rows:
        row = _Row(source_file, number, values, problems)
        employee, plan, component = (
            row.text("employee_id"),
            row.text("plan_id"),
            row.text("component_id"),
        )
        start = row.date("period_start")
        quota = row.decimal("quota", positive=True)
        if row.ok and start is not None and quota is not None:
            result.append(Quota(employee, plan, component, start, quota, number))
    return result, problems


def read_adjustments(
    path: Path, source_file: str = ADJUSTMENTS_FILE
) -> tuple[list[Adjustment] | None, list[ConfigProblem]]:
    """Parse adjustments.csv; a missing file means no adjustments."""
    if not path.exists():
        return [], []
    problems: list[ConfigProblem] = []
    rows = _read_rows(path, source_file, ADJUSTMENT_COLUMNS, problems)
    if rows is None:
        return None, problems
    result: list[Adjustment] = []
    for number, values in rows:
        row = _Row(source_file, number, values, problems)
        adjustment_id, employee = row.text("adjustment_id"), row.text("employee_id")
        period = row.period("period")
        amount = row.decimal("amount")
        currency = row.currency("currency")
        reason = row.text("reason")
        if row.ok and period and amount is not None and currency:
            result.append(
                Adjustment(adjustment_id, employee, period, amount, currency, reason, number)
            )
    return result, problems
