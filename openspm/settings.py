"""``openspm.yaml``: the workspace settings, parsed into a typed, validated object.

Unknown keys are refused, as are values of the wrong type; every error names the key path and
the reason (docs/contract.md section 1).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from openspm.source_settings import KeyedValueError, SourceSettings, check_kinds, check_sources
from openspm.warehouse.config import (
    ENGINES,
    DuckDBSettings,
    WarehouseSettings,
    normalise_warehouse,
)

SETTINGS_FILE = "openspm.yaml"
PERIOD_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")


class SettingsError(ValueError):
    """openspm.yaml is missing, unreadable or invalid; the message names file, key and reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GlAccounts(_Strict):
    """General-ledger account names used in journal entries (docs/contract.md section 5)."""

    deferred_commissions: str = "deferred_commissions"
    commission_expense: str = "commission_expense"
    commission_amortization: str = "commission_amortization"
    commission_impairment: str = "commission_impairment"
    accrued_commissions: str = "accrued_commissions"
    payroll_clearing: str = "payroll_clearing"


class AccountingSettings(GlAccounts):
    """Commission accounting policy (ASC 340-40 / IFRS 15), docs/contract.md section 5."""

    # (extension) false: no commission accounting is computed or published (its models, checks,
    # finance tables and files are left out); a server warehouse needs it until the accounting
    # models are portable (docs/scaling.md, "Not yet portable")
    enabled: bool = True
    practical_expedient: bool = True
    renewals_commensurate: bool = True
    expected_renewal_months: Annotated[int, Field(ge=0)] = 0
    default_contract_term_months: Annotated[int, Field(ge=1)] = 12
    # (extension) how many open months are drafted with their accounting, from the next month
    # to close (docs/accounting.md, "Drafts"): a close publishes that month
    draft_months: Annotated[int, Field(ge=1)] = 1


EARNING_TYPES = (
    "commission",
    "spiff",
    "draw_top_up",
    "draw_recovery",
    "adjustments",
    "negative_carry_in",
)
PAYROLL_FIELDS = (
    "employee_id",
    "employee_name",
    "period",
    "pay_date",
    "earning_type",
    "earning_code",
    "amount",
    "currency",
)


class EarningCodes(_Strict):
    """Payroll earning code of each earning type (one payroll row per type and employee)."""

    commission: Annotated[str, Field(min_length=1)] = "COMM"
    spiff: Annotated[str, Field(min_length=1)] = "SPIFF"
    draw_top_up: Annotated[str, Field(min_length=1)] = "DRAW"
    draw_recovery: Annotated[str, Field(min_length=1)] = "DRAWREC"
    adjustments: Annotated[str, Field(min_length=1)] = "ADJ"
    negative_carry_in: Annotated[str, Field(min_length=1)] = "NEGCARRY"


class PayrollColumns(_Strict):
    """Header of each column of payroll.csv (the columns keep this order)."""

    employee_id: Annotated[str, Field(min_length=1)] = "employee_id"
    employee_name: Annotated[str, Field(min_length=1)] = "employee_name"
    period: Annotated[str, Field(min_length=1)] = "period"
    pay_date: Annotated[str, Field(min_length=1)] = "pay_date"
    earning_type: Annotated[str, Field(min_length=1)] = "earning_type"
    earning_code: Annotated[str, Field(min_length=1)] = "earning_code"
    amount: Annotated[str, Field(min_length=1)] = "amount"
    currency: Annotated[str, Field(min_length=1)] = "currency"

    @model_validator(mode="after")
    def _distinct(self) -> PayrollColumns:
        names = [getattr(self, f) for f in PAYROLL_FIELDS]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"column name(s) given to more than one column: {', '.join(twice)}")
        return self


class PayrollSettings(_Strict):
    """The payroll export ``out/<YYYY-MM>/payroll.csv`` (docs/statements.md).

    The pay date of month p is ``pay_day`` (a day number, or ``last``; a day past the month's
    end is its last day) of p itself (``pay_month: same``) or of the month after (``next``).
    """

    pay_month: Literal["same", "next"] = "next"
    pay_day: int | Literal["last"] = 15
    earning_codes: EarningCodes = EarningCodes()
    columns: PayrollColumns = PayrollColumns()

    @field_validator("pay_day", mode="before")
    @classmethod
    def _day(cls, value: Any) -> int | str:
        if value == "last" or (isinstance(value, int) and not isinstance(value, bool)
                               and 1 <= value <= 31):
            return value
        raise ValueError("a day of the month (1 to 31) or 'last'")


class LeaderboardSettings(_Strict):
    """The leaderboard (docs/modelling.md): whether a statement shows the rep's rank."""

    show_rank_on_statements: bool = False


class Settings(_Strict):
    """The typed content of ``openspm.yaml``."""

    company: Annotated[str, Field(min_length=1)]
    reporting_currency: str
    first_period: str | None = None
    warehouse: WarehouseSettings = DuckDBSettings()  # a DuckDB file, or a server
    accounting: AccountingSettings = AccountingSettings()
    leaderboard: LeaderboardSettings = LeaderboardSettings()
    payroll: PayrollSettings = PayrollSettings()
    sources: dict[Literal["crm", "erp", "hris"], SourceSettings] = {}

    @field_validator("reporting_currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not CURRENCY_PATTERN.match(value):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code (three capitals)")
        return value

    @field_validator("first_period", mode="before")
    @classmethod
    def _period(cls, value: Any) -> str | None:
        if value is None:
            return None
        text = str(value)
        if not PERIOD_PATTERN.match(text):
            raise ValueError(f"{text!r} is not a month written YYYY-MM")
        return text

    @field_validator("warehouse", mode="before")
    @classmethod
    def _warehouse(cls, value: Any) -> Any:
        return normalise_warehouse(value)

    @field_validator("sources", mode="before")
    @classmethod
    def _kinds(cls, value: Any) -> Any:
        return check_kinds(value)

    @model_validator(mode="after")
    def _sources(self) -> Settings:
        check_sources(self.sources)  # kinds per system, fx rates from one place
        return self


def _describe(error: dict[str, Any]) -> str:
    loc = list(error["loc"])
    if len(loc) > 1 and loc[0] == "warehouse" and loc[1] in ENGINES:
        loc.pop(1)  # the engine named by `type`, not a key of the file
    key = ".".join(str(part) for part in loc)
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, KeyedValueError):  # about a key below loc; never echo the value
        return f"key '{'.'.join(p for p in (key, cause.path) if p)}': {cause}"
    key = key or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"key '{key}': unknown key"
    if error["type"] == "missing":
        return f"key '{key}': required key is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    if key.startswith(("sources", "warehouse")):  # may hold a secret: never repeat the value
        return f"key '{key}': {message}"
    return f"key '{key}': {message} (got {error.get('input')!r})"


def parse_settings(data: Any, source: str = SETTINGS_FILE) -> Settings:
    """Validate already-loaded YAML content; raise SettingsError naming every bad key."""
    if not isinstance(data, dict):
        raise SettingsError(f"{source}: expected a mapping of settings, got {type(data).__name__}")
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors())
        raise SettingsError(f"{source}: {problems}") from None


def load_settings(path: Path) -> Settings:
    """Read and validate an ``openspm.yaml`` file."""
    if not path.is_file():
        raise SettingsError(f"{path}: no settings file; is this an OpenSPM workspace?")
    try:
        # first_period: 2026-01 must stay text, so dates are not resolved by YAML here
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_NoDatesLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid YAML: {exc}") from None
    return parse_settings(data, str(path))


class _NoDatesLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates and timestamps as strings and refuses a key given twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} is given twice (lines {seen[key]} and {line}); keep one",
                    key_node.start_mark,
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


_NoDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
