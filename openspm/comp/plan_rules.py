"""The rules of a plan file that relate several values, and how plan dates are written.

Each rule takes plain values (None where a value did not parse) and returns (key path,
message) pairs, so that it serves both the models' validators (``openspm.comp.plans``, through
``raise_problems``) and the best-effort pass over a file whose structure is invalid
(``openspm.comp.plan_files``), so one wrong type does not hide the other problems of a file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic_core import PydanticCustomError

from openspm.comp.problems import KeyPath
from openspm.comp.quota_periods import month_end

RULE_ERROR = "plan_rule"  # the pydantic error type that carries a rule's problems
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Problems = list[tuple[KeyPath, str]]


def parse_plan_date(value: Any) -> Any:
    """Dates must be written YYYY-MM-DD (a YAML date, or the same text quoted)."""
    if isinstance(value, datetime):
        raise ValueError("should be a date written YYYY-MM-DD, without a time")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE_TEXT.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a calendar date") from None
    raise ValueError("should be a date written YYYY-MM-DD")


def raise_problems(problems: Problems) -> None:
    """Raise one validation error carrying every (sub-path, message) found by a rule."""
    if problems:
        raise PydanticCustomError(
            RULE_ERROR, "{summary}", {"summary": problems[0][1], "problems": tuple(problems)}
        )


def unique_problems(values: Sequence[Any]) -> Problems:
    seen: dict[Any, int] = {}
    problems: Problems = []
    for index, value in enumerate(values):
        if not isinstance(value, str):
            continue
        if value in seen:
            problems.append(((index,), f"{value!r} is listed twice (also at [{seen[value]}])"))
        seen.setdefault(value, index)
    return problems


def tier_problems(froms: Sequence[Decimal | None]) -> Problems:
    problems: Problems = []
    if froms and froms[0] is not None and froms[0] != 0:
        problems.append(
            (
                ("tiers", 0, "from"),
                f"the first tier must start at 0 (got {froms[0]}); "
                "for a threshold start with {from: 0, rate: 0}",
            )
        )
    for index in range(1, len(froms)):
        previous, current = froms[index - 1], froms[index]
        if previous is not None and current is not None and current <= previous:
            problems.append(
                (("tiers", index, "from"), f"tiers must rise ({current} after {previous})")
            )
    return problems


def component_problems(method: Any, quota_period: Any) -> Problems:
    if method in ("marginal", "retroactive") and quota_period is None:
        return [
            (
                ("quota_period",),
                f"required for {method} rates (year, quarter or month): "
                "attainment is measured against a quota per period",
            )
        ]
    return []


def window_problems(first: date | None, last: date | None) -> Problems:
    if first is not None and last is not None and last < first:
        return [(("to",), f"{last} is before from ({first})")]
    return []


def draw_problems(first: date | None, last: date | None) -> Problems:
    problems: Problems = []
    if first is not None and first.day != 1:
        problems.append((("from",), f"{first} is not the first day of a month"))
    if last is not None and last != month_end(last):
        problems.append((("to",), f"{last} is not the last day of a month"))
    return problems + window_problems(first, last)


def plan_problems(
    start: date | None,
    end: date | None,
    component_ids: Sequence[Any],
    spiffs: Sequence[tuple[Any, date | None, date | None]],
    draw: tuple[date | None, date | None] | None,
) -> Problems:
    problems: Problems = []
    if start is not None and end is not None and end < start:
        problems.append((("effective_to",), f"{end} is before effective_from ({start})"))
    used: dict[str, str] = {}
    for index, component_id in enumerate(component_ids):
        if not isinstance(component_id, str):
            continue
        if component_id in used:
            problems.append(
                (
                    ("components", index, "id"),
                    f"component id {component_id!r} is already used by {used[component_id]}",
                )
            )
        used.setdefault(component_id, f"components[{index}]")
    for index, (spiff_id, first, last) in enumerate(spiffs):
        if isinstance(spiff_id, str):
            if spiff_id in used:
                problems.append(
                    (
                        ("spiffs", index, "id"),
                        f"SPIFF id {spiff_id!r} is already used by {used[spiff_id]}",
                    )
                )
            used.setdefault(spiff_id, f"spiffs[{index}]")
        problems += _inside(("spiffs", index), first, last, start, end)
    if draw is not None:
        problems += _inside(("draw",), draw[0], draw[1], start, end)
    return problems


def _inside(
    path: KeyPath, first: date | None, last: date | None, start: date | None, end: date | None
) -> Problems:
    if start is None or end is None or end < start:
        return []
    problems: Problems = []
    for key, day in (("from", first), ("to", last)):
        if day is not None and not start <= day <= end:
            problems.append(
                ((*path, key), f"{day} is outside the plan's effective dates ({start}..{end})")
            )
    return problems
