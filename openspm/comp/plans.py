"""Plan files (``comp/plans/*.yaml``, docs/contract.md section 3): typed models and their rules.

The models refuse unknown keys and wrong types; rules that relate several values (tiers that
rise, dates in order, ids used once) are checked by validators that report the exact key path of
each offending value. ``read_plan_file`` turns any problem into a ``ConfigProblem`` naming the
file, the line, the key path and what is wrong.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from openspm.comp.periods import (
    QuotaPeriod,
    QuotaPeriodKind,
    month_end,
    quota_period_containing,
    quota_periods,
)
from openspm.comp.problems import ConfigProblem, KeyPath, format_key
from openspm.comp.yamlsource import YamlStructureError, parse_yaml

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RULE = "plan_rule"

DealType = Literal["new_business", "expansion", "renewal"]
CreditType = Literal["direct", "split", "overlay", "rollup"]


def _date_input(value: Any) -> Any:
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


PlanDate = Annotated[date, BeforeValidator(_date_input)]
Identifier = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=64)]
# Decimals are written as plain YAML numbers; the schema says so (pydantic would offer strings).
PositiveMoney = Annotated[
    Decimal,
    Field(gt=0, max_digits=20, decimal_places=6),
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0}),
]
NonNegativeMoney = Annotated[
    Decimal,
    Field(ge=0, max_digits=20, decimal_places=6),
    WithJsonSchema({"type": "number", "minimum": 0}),
]
Rate = Annotated[
    Decimal,
    Field(ge=0, le=1, max_digits=18, decimal_places=10),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1}),
]
Attainment = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=10),
    WithJsonSchema({"type": "number", "minimum": 0}),
]
_UNIQUE_ITEMS = {"uniqueItems": True}


Problems = list[tuple[KeyPath, str]]


def _rules(problems: Problems) -> None:
    """Raise one validation error carrying every (sub-path, message) found by a rule."""
    if problems:
        raise PydanticCustomError(
            _RULE, "{summary}", {"summary": problems[0][1], "problems": tuple(problems)}
        )


# Rules that relate several values. Each takes plain values (None where a value did not parse)
# so that it serves both the model validators and the best-effort pass over a file whose
# structure is invalid (so one wrong type does not hide the other problems of the file).


def _unique_problems(values: Sequence[Any]) -> Problems:
    seen: dict[Any, int] = {}
    problems: Problems = []
    for index, value in enumerate(values):
        if not isinstance(value, str):
            continue
        if value in seen:
            problems.append(((index,), f"{value!r} is listed twice (also at [{seen[value]}])"))
        seen.setdefault(value, index)
    return problems


def _tier_problems(froms: Sequence[Decimal | None]) -> Problems:
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


def _component_problems(method: Any, quota_period: Any) -> Problems:
    if method in ("marginal", "retroactive") and quota_period is None:
        return [
            (
                ("quota_period",),
                f"required for {method} rates (year, quarter or month): "
                "attainment is measured against a quota per period",
            )
        ]
    return []


def _window_problems(first: date | None, last: date | None) -> Problems:
    if first is not None and last is not None and last < first:
        return [(("to",), f"{last} is before from ({first})")]
    return []


def _draw_problems(first: date | None, last: date | None) -> Problems:
    problems: Problems = []
    if first is not None and first.day != 1:
        problems.append((("from",), f"{first} is not the first day of a month"))
    if last is not None and last != month_end(last):
        problems.append((("to",), f"{last} is not the last day of a month"))
    return problems + _window_problems(first, last)


def _plan_problems(
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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True)


class Tier(_Strict):
    """One tier: from this attainment on, the tier's rate applies."""

    from_: Attainment = Field(
        alias="from",
        title="From attainment",
        description=(
            "Attainment (credit to date / quota) where this tier starts, as a fraction: "
            "1.0 = 100% of quota. The first tier starts at 0; each next one is higher. "
            "The last tier is open-ended."
        ),
    )
    rate: Rate = Field(title="Rate", description="Commission rate of the tier: 0.10 pays 10%.")


class FlatRates(_Strict):
    """One rate on every credit; needs no quota."""

    method: Literal["flat"] = Field(
        title="Method", description="flat: rate x credit to date. Needs no quota."
    )
    rate: Rate = Field(title="Rate", description="Commission rate: 0.03 pays 3% of the credit.")


class TieredRates(_Strict):
    """Rates by attainment of quota (marginal or retroactive); needs a quota and quota_period."""

    method: Literal["marginal", "retroactive"] = Field(
        title="Method",
        description=(
            "marginal: each tier pays its rate on the part of the credit that falls in it. "
            "retroactive: all of the credit is paid at the rate of the highest tier reached."
        ),
    )
    tiers: list[Tier] = Field(
        min_length=1,
        title="Tiers",
        description="Tiers by attainment, starting at 0 and rising. A threshold is a first "
        "tier with rate 0.",
    )

    @model_validator(mode="after")
    def _tiers_rise(self) -> TieredRates:
        _rules(_tier_problems([tier.from_ for tier in self.tiers]))
        return self


Rates = Annotated[
    FlatRates | TieredRates,
    Field(
        discriminator="method",
        title="Rates",
        description="How the component pays: {method: flat, rate: ...} or "
        "{method: marginal|retroactive, tiers: [...]}.",
    ),
]


class Component(_Strict):
    """A part of a plan that pays on one measure for some deal and credit types."""

    model_config = ConfigDict(
        json_schema_extra={  # editors: marginal and retroactive rates need a quota_period
            "if": {
                "properties": {
                    "rates": {
                        "properties": {"method": {"enum": ["marginal", "retroactive"]}},
                        "required": ["method"],
                    }
                },
                "required": ["rates"],
            },
            "then": {"required": ["quota_period"]},
        }
    )

    id: Identifier = Field(
        title="Component id",
        description="Unique within the plan; shown on statements. Letters, digits, - _ .",
    )
    measure: Literal["bookings"] = Field(
        title="Measure", description="bookings: won deals, dated by their close date."
    )
    deal_types: list[DealType] = Field(
        min_length=1,
        json_schema_extra=_UNIQUE_ITEMS,
        title="Deal types",
        description="Deal types that count: new_business, expansion, renewal.",
    )
    credit_types: list[CreditType] = Field(
        min_length=1,
        json_schema_extra=_UNIQUE_ITEMS,
        title="Credit types",
        description=(
            "Credits that count: direct (deal owner), split (revenue split), overlay "
            "(overlay split), rollup (credits of the people below a manager)."
        ),
    )
    quota_period: QuotaPeriodKind | None = Field(
        default=None,
        title="Quota period",
        description=(
            "year | quarter | month, aligned to the plan's effective_from. Attainment is "
            "cumulative within it. Required for marginal and retroactive rates; optional for "
            "flat (default: the plan year)."
        ),
    )
    rates: Rates
    cap: PositiveMoney | None = Field(
        default=None,
        title="Cap",
        description="Optional: the most one quota period of this component can earn, in the "
        "plan currency.",
    )

    @field_validator("deal_types", "credit_types")
    @classmethod
    def _no_repeats(cls, values: list[str]) -> list[str]:
        _rules(_unique_problems(values))
        return values

    @model_validator(mode="after")
    def _needs_quota_period(self) -> Component:
        _rules(_component_problems(self.rates.method, self.quota_period))
        return self

    @property
    def is_quota_based(self) -> bool:
        """Marginal and retroactive components pay by attainment, so need quotas."""
        return self.rates.method != "flat"

    @property
    def settlement_period(self) -> QuotaPeriodKind:
        """The quota period, else the plan year (a flat component without quota_period)."""
        return self.quota_period or "year"


class Spiff(_Strict):
    """A fixed bonus per qualifying deal closed within a window."""

    id: Identifier = Field(
        title="SPIFF id", description="Unique within the plan, and not a component id."
    )
    deal_types: list[DealType] = Field(
        min_length=1,
        json_schema_extra=_UNIQUE_ITEMS,
        title="Deal types",
        description="Deal types that qualify.",
    )
    from_: PlanDate = Field(
        alias="from", title="From", description="First close date that qualifies (YYYY-MM-DD)."
    )
    to: PlanDate = Field(title="To", description="Last close date that qualifies (YYYY-MM-DD).")
    min_amount: NonNegativeMoney = Field(
        default=Decimal(0),
        json_schema_extra={"default": 0},
        title="Minimum amount",
        description="Smallest deal amount that qualifies, in the plan currency (default 0).",
    )
    amount: PositiveMoney = Field(
        title="Amount",
        description="Paid per qualifying deal, shared among its credit holders by credit share.",
    )

    @field_validator("deal_types")
    @classmethod
    def _no_repeats(cls, values: list[str]) -> list[str]:
        _rules(_unique_problems(values))
        return values

    @model_validator(mode="after")
    def _window(self) -> Spiff:
        _rules(_window_problems(self.from_, self.to))
        return self


class Draw(_Strict):
    """A guaranteed monthly minimum payout for whole months from ``from`` to ``to``."""

    kind: Literal["recoverable", "non_recoverable"] = Field(
        title="Kind",
        description="recoverable: top-ups are recovered from later earnings above the draw. "
        "non_recoverable: top-ups are never recovered.",
    )
    monthly_amount: PositiveMoney = Field(
        title="Monthly amount", description="Guaranteed payout per month, plan currency."
    )
    from_: PlanDate = Field(
        alias="from", title="From", description="First day of the first month with a draw."
    )
    to: PlanDate = Field(title="To", description="Last day of the last month with a draw.")

    @model_validator(mode="after")
    def _whole_months(self) -> Draw:
        _rules(_draw_problems(self.from_, self.to))
        return self


class Clawback(_Strict):
    """Reversal of credits of deals cancelled soon after closing."""

    window_days: int = Field(
        ge=1,
        le=3660,
        title="Window (days)",
        description="A deal cancelled within this many days after its close date is reversed.",
    )


class Plan(_Strict):
    """A compensation plan: one file ``comp/plans/<id>.yaml``."""

    model_config = ConfigDict(title="OpenSPM compensation plan")

    id: Identifier = Field(
        title="Plan id",
        description="Unique across all plan files; used in plan_assignments.csv and "
        "quotas.csv. Letters, digits, - _ .",
    )
    name: str = Field(min_length=1, title="Name", description="Name shown on statements.")
    currency: str = Field(
        pattern=CURRENCY_PATTERN,
        title="Currency",
        description="ISO 4217 code (e.g. USD) of every amount of the plan and of its payouts.",
    )
    effective_from: PlanDate = Field(
        title="Effective from",
        description="First day of the plan: the first of a month. Quota periods start here.",
    )
    effective_to: PlanDate = Field(title="Effective to", description="Last day of the plan.")
    components: list[Component] = Field(
        min_length=1, title="Components", description="What the plan pays on."
    )
    spiffs: list[Spiff] = Field(
        default_factory=list, title="SPIFFs", description="Optional fixed bonuses per deal."
    )
    draw: Draw | None = Field(default=None, title="Draw", description="Optional monthly draw.")
    clawback: Clawback | None = Field(
        default=None,
        title="Clawback",
        description="Optional: reverse credits of deals cancelled soon after closing.",
    )

    @field_validator("effective_from")
    @classmethod
    def _first_of_month(cls, value: date) -> date:
        if value.day != 1:
            raise ValueError(f"{value} is not the first day of a month")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        spiffs = [(spiff.id, spiff.from_, spiff.to) for spiff in self.spiffs]
        draw = (self.draw.from_, self.draw.to) if self.draw else None
        components = [component.id for component in self.components]
        _rules(_plan_problems(self.effective_from, self.effective_to, components, spiffs, draw))
        return self

    def component(self, component_id: str) -> Component | None:
        """The component with this id, if any."""
        return next((c for c in self.components if c.id == component_id), None)

    def quota_periods(self, kind: QuotaPeriodKind) -> list[QuotaPeriod]:
        """The plan's quota periods of one kind (``year``: the plan years)."""
        return quota_periods(self.effective_from, self.effective_to, kind)

    def component_periods(self, component: Component) -> list[QuotaPeriod]:
        """A component's quota periods (plan years for a flat one without quota_period)."""
        return self.quota_periods(component.settlement_period)

    def period_containing(self, kind: QuotaPeriodKind, day: date) -> QuotaPeriod | None:
        """The quota period of ``kind`` that contains ``day`` (None outside the plan)."""
        return quota_period_containing(self.effective_from, self.effective_to, kind, day)


# --- reading a plan file --------------------------------------------------------------------


@dataclass
class PlanFileResult:
    """What reading one plan file gave: the plan (when valid) and every problem found."""

    source_file: str
    plan: Plan | None
    declared_id: str | None  # the file's id value when readable, even if the plan is invalid
    problems: list[ConfigProblem] = field(default_factory=list)
    id_line: int | None = None


def read_plan_file(path: Path, source_file: str) -> PlanFileResult:
    """Read and validate one plan file; ``source_file`` is its name relative to the workspace."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        result = PlanFileResult(source_file, None, None)
        result.problems.append(ConfigProblem(source_file, None, None, f"cannot be read: {exc}"))
        return result
    return read_plan_text(text, source_file)


def read_plan_text(text: str, source_file: str) -> PlanFileResult:
    """Validate the YAML text of one plan file, collecting every problem."""
    result = PlanFileResult(source_file, None, None)

    def problem(line: int | None, key: str | None, message: str) -> None:
        result.problems.append(ConfigProblem(source_file, line, key, message))

    try:
        document = parse_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem(line, None, f"not valid YAML: {exc.problem or exc.context}")
        return result
    except (yaml.YAMLError, YamlStructureError) as exc:
        problem(getattr(exc, "line", None), None, f"not valid YAML: {exc}")
        return result
    for key_path, line, first in document.duplicates:
        problem(line, format_key(key_path), f"key written twice (first on line {first})")
    data = document.data
    if not isinstance(data, dict):
        found = "nothing" if data is None else type(data).__name__
        problem(1, None, f"a plan file must be a mapping of keys (id, name, ...), found {found}")
        return result
    if isinstance(data.get("id"), str):
        result.declared_id = data["id"]
        result.id_line = document.lines.get(("id",))
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        found: Problems = [pair for error in exc.errors() for pair in _translate(error, data)]
        found += _raw_rule_problems(data)  # rules of the parts that the errors kept unchecked
        for key_path, message in dict.fromkeys(found):
            problem(document.line_of(key_path), format_key(key_path) or None, message)
        result.problems.sort(key=lambda p: p.line or 0)
        return result
    if not result.problems:
        result.plan = plan
    return result


def _raw_rule_problems(data: dict[str, Any]) -> Problems:
    """Apply the cross-value rules to raw content, skipping every value that does not parse."""
    problems: Problems = []
    components = _as_list(data.get("components"))
    for index, raw in enumerate(components):
        component = raw if isinstance(raw, dict) else {}
        where: KeyPath = ("components", index)
        for key in ("deal_types", "credit_types"):
            problems += _under((*where, key), _unique_problems(_as_list(component.get(key))))
        rates = component.get("rates") if isinstance(component.get("rates"), dict) else {}
        assert isinstance(rates, dict)
        if rates.get("method") in ("marginal", "retroactive"):
            tiers = _as_list(rates.get("tiers"))
            froms = [_as_decimal(t.get("from") if isinstance(t, dict) else None) for t in tiers]
            problems += _under((*where, "rates"), _tier_problems(froms))
        if "quota_period" not in component:
            problems += _under(where, _component_problems(rates.get("method"), None))
    spiffs = []
    for index, raw in enumerate(_as_list(data.get("spiffs"))):
        spiff = raw if isinstance(raw, dict) else {}
        first, last = _as_date(spiff.get("from")), _as_date(spiff.get("to"))
        problems += _under(("spiffs", index), _window_problems(first, last))
        problems += _under(
            ("spiffs", index, "deal_types"), _unique_problems(_as_list(spiff.get("deal_types")))
        )
        spiffs.append((spiff.get("id"), first, last))
    draw = None
    if isinstance(data.get("draw"), dict):
        draw = (_as_date(data["draw"].get("from")), _as_date(data["draw"].get("to")))
        problems += _under(("draw",), _draw_problems(*draw))
    start = _as_date(data.get("effective_from"))
    component_ids = [c.get("id") if isinstance(c, dict) else None for c in components]
    problems += _plan_problems(
        start, _as_date(data.get("effective_to")), component_ids, spiffs, draw
    )
    return problems


def _under(path: KeyPath, problems: Problems) -> Problems:
    return [((*path, *sub), message) for sub, message in problems]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _as_date(value: Any) -> date | None:
    try:
        return _date_input(value)  # type: ignore[no-any-return]
    except ValueError:
        return None


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return Decimal(value)
    return None


def _data_path(loc: tuple[Any, ...], data: Any, *, missing: bool) -> KeyPath:
    """Map a pydantic error location onto the key path written in the file.

    Location parts that are not in the data (the tag of a discriminated union) are dropped;
    a missing key is kept as the last part.
    """
    path: list[str | int] = []
    current = data
    for index, part in enumerate(loc):
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            path.append(part)
            current = current[part]
        elif missing and index == len(loc) - 1:
            path.append(part)
    return tuple(path)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | Decimal | int):
        return str(value)
    if value is None:
        return "an empty value"
    return repr(value)


_PATTERN_HELP = {
    ID_PATTERN: "should start with a letter or digit and hold only letters, digits, '-', '_' "
    "and '.'",
    CURRENCY_PATTERN: "should be an ISO 4217 currency code of three capitals, e.g. USD",
}


@cache
def _known_keys() -> tuple[str, ...]:
    keys: set[str] = set()
    for model in (Plan, Component, FlatRates, TieredRates, Tier, Spiff, Draw, Clawback):
        for name, info in model.model_fields.items():
            keys.add(info.alias or name)
    return tuple(sorted(keys))


def _translate(error: Any, data: Any) -> list[tuple[KeyPath, str]]:
    """Turn one pydantic error into (key path, message) pairs."""
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    path = _data_path(error["loc"], data, missing=kind == "missing")
    if kind == _RULE:
        return [((*path, *sub), message) for sub, message in ctx["problems"]]
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else ""
        close = difflib.get_close_matches(key, _known_keys(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return [(path, f"unknown key{hint}")]
    if kind == "missing":
        return [(path, "required key is missing")]
    if kind == "union_tag_invalid":
        return [
            (
                (*path, "method"),
                f"should be one of {ctx.get('expected_tags')} (got {ctx.get('tag')!r})",
            )
        ]
    if kind == "union_tag_not_found":
        if not isinstance(value, dict):
            example = "{method: flat, rate: 0.03}"
            return [(path, f"should be a mapping such as {example} (got {_show(value)})")]
        return [((*path, "method"), "required key is missing (flat, marginal or retroactive)")]
    got = f" (got {_show(value)})" if not isinstance(value, dict | list) else ""
    if kind == "string_type" and value is not None and not isinstance(value, dict | list):
        return [(path, f"should be text{got}; write it in quotes: '{_show(value)}'")]
    if kind == "string_pattern_mismatch":
        help_text = _PATTERN_HELP.get(ctx.get("pattern", ""), str(error["msg"]))
        return [(path, f"{help_text}{got}")]
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        limit = next(iter(ctx.values()))
        words = {
            "greater_than_equal": "at least",
            "greater_than": "more than",
            "less_than_equal": "at most",
            "less_than": "less than",
        }[kind]
        hint = ""
        if path and path[-1] == "rate" and kind == "less_than_equal":
            hint = "; rates are fractions of the credit: write 0.10 for 10%"
        return [(path, f"should be {words} {limit}{got}{hint}")]
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return [(path, f"should be a mapping of keys{got}")]
    if kind == "too_short" and isinstance(value, list):
        return [(path, "should list at least one item")]
    if kind == "string_too_short":
        return [(path, "should not be empty")]
    if kind in ("decimal_type", "decimal_parsing"):
        return [(path, f"should be a number{got}")]
    if kind == "list_type":
        return [(path, f"should be a list, e.g. [a, b]{got}")]
    message = str(error["msg"]).removeprefix("Value error, ")
    message = message.replace("Input should be", "should be").replace(
        "Decimal input should", "should"
    )
    if message.startswith("Input"):
        message = message.removeprefix("Input ")
    if kind == "value_error":
        return [(path, f"{message}{got}" if message.startswith("should") else message)]
    return [(path, f"{message}{got}")]
