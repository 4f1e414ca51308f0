"""Plan files (``comp/plans/*.yaml``, docs/contract.md section 3): the typed models of a plan.

The models refuse unknown keys and wrong types; rules that relate several values (tiers that
rise, dates in order, ids used once) are checked by validators (``openspm.comp.plan_rules``)
that report the exact key path of each offending value. Reading a file and turning every
problem into a ``ConfigProblem`` is ``openspm.comp.plan_files``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from openspm.comp.plan_rules import (
    component_problems,
    draw_problems,
    parse_plan_date,
    plan_problems,
    raise_problems,
    tier_problems,
    unique_problems,
    window_problems,
)
from openspm.comp.quota_periods import (
    QuotaPeriod,
    QuotaPeriodKind,
    quota_period_containing,
    quota_periods,
)

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"

DealType = Literal["new_business", "expansion", "renewal"]
CreditType = Literal["direct", "split", "overlay", "rollup"]
Measure = Literal["bookings", "billings", "collections"]  # rule 4.2


PlanDate = Annotated[date, BeforeValidator(parse_plan_date)]
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
        raise_problems(tier_problems([tier.from_ for tier in self.tiers]))
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
    measure: Measure = Field(
        default="bookings",
        title="Measure",
        description=(
            "What the component pays on (rule 4.2): bookings (default) = each won deal, for "
            "its amount, dated its close date; billings = each invoice of a won deal that is "
            "not void, for the invoice amount (a credit memo counts negatively), dated its "
            "invoice date; collections = each payment of such an invoice, for the payment "
            "amount, dated its payment date. The deal's credit holders and shares apply to "
            "every measure; clawback applies to bookings only."
        ),
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
        raise_problems(unique_problems(values))
        return values

    @model_validator(mode="after")
    def _needs_quota_period(self) -> Component:
        raise_problems(component_problems(self.rates.method, self.quota_period))
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
        raise_problems(unique_problems(values))
        return values

    @model_validator(mode="after")
    def _window(self) -> Spiff:
        raise_problems(window_problems(self.from_, self.to))
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
        raise_problems(draw_problems(self.from_, self.to))
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
        problems = plan_problems(self.effective_from, self.effective_to, components, spiffs, draw)
        raise_problems(problems)
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
