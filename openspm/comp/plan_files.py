"""Reading a plan file: YAML with the line of every key, validated into a ``Plan``.

``read_plan_file`` turns any problem into a ``ConfigProblem`` naming the file, the line, the
key path and what is wrong; pydantic's errors are translated into plain words, and the rules
of ``openspm.comp.plan_rules`` are applied to what parsed, so one wrong type does not hide the
file's other problems.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from openspm.comp.plan_rules import (
    RULE_ERROR,
    Problems,
    component_problems,
    draw_problems,
    parse_plan_date,
    plan_problems,
    tier_problems,
    unique_problems,
    window_problems,
)
from openspm.comp.plans import (
    CURRENCY_PATTERN,
    ID_PATTERN,
    Clawback,
    Component,
    Draw,
    FlatRates,
    Plan,
    Spiff,
    Tier,
    TieredRates,
)
from openspm.comp.problems import ConfigProblem, KeyPath, format_key
from openspm.comp.yamlsource import YamlStructureError, parse_yaml


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
            problems += _under((*where, key), unique_problems(_as_list(component.get(key))))
        rates = component.get("rates") if isinstance(component.get("rates"), dict) else {}
        assert isinstance(rates, dict)
        if rates.get("method") in ("marginal", "retroactive"):
            tiers = _as_list(rates.get("tiers"))
            froms = [_as_decimal(t.get("from") if isinstance(t, dict) else None) for t in tiers]
            problems += _under((*where, "rates"), tier_problems(froms))
        if "quota_period" not in component:
            problems += _under(where, component_problems(rates.get("method"), None))
    spiffs = []
    for index, raw in enumerate(_as_list(data.get("spiffs"))):
        spiff = raw if isinstance(raw, dict) else {}
        first, last = _as_date(spiff.get("from")), _as_date(spiff.get("to"))
        problems += _under(("spiffs", index), window_problems(first, last))
        problems += _under(
            ("spiffs", index, "deal_types"), unique_problems(_as_list(spiff.get("deal_types")))
        )
        spiffs.append((spiff.get("id"), first, last))
    draw = None
    if isinstance(data.get("draw"), dict):
        draw = (_as_date(data["draw"].get("from")), _as_date(data["draw"].get("to")))
        problems += _under(("draw",), draw_problems(*draw))
    start = _as_date(data.get("effective_from"))
    component_ids = [c.get("id") if isinstance(c, dict) else None for c in components]
    problems += plan_problems(
        start, _as_date(data.get("effective_to")), component_ids, spiffs, draw
    )
    return problems


def _under(path: KeyPath, problems: Problems) -> Problems:
    return [((*path, *sub), message) for sub, message in problems]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _as_date(value: Any) -> date | None:
    try:
        return parse_plan_date(value)  # type: ignore[no-any-return]
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
    if kind == RULE_ERROR:
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
