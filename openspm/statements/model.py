"""What one statement holds: plain data, gathered from ``finance`` (gather.py), rendered as
HTML, CSV and text (render.py). Amounts are Decimals: published cents, or exact values where
the engine keeps them (credits, credit to date, earnings before rounding).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from openspm.leaderboard import Rank

ZERO = Decimal("0")

# The summary of a month, in order: key, label. Their sum (net_payout aside) is the net before
# the floor at 0; net_payout is what is paid, negative_carry_out what moves to the next month.
SUMMARY_ITEMS: tuple[tuple[str, str], ...] = (
    ("commission", "Commission"),
    ("restatement", "Restatement (changes to earlier months)"),
    ("spiff", "SPIFF"),
    ("draw_top_up", "Draw top-up"),
    ("draw_recovery", "Draw recovery"),
    ("adjustments", "Adjustments"),
    ("negative_carry_in", "Negative balance brought forward"),
)
YTD_ITEMS: tuple[tuple[str, str], ...] = (
    ("commission", "Commission and restatements"),
    ("spiff", "SPIFF"),
    ("draw_top_up", "Draw top-ups"),
    ("draw_recovery", "Draw recoveries"),
    ("adjustments", "Adjustments"),
    ("net_payout", "Net paid"),
)


@dataclass(frozen=True)
class Person:
    employee_id: str
    name: str
    email: str | None = None
    job_title: str | None = None


@dataclass(frozen=True)
class PlanHeld:
    plan_id: str
    name: str
    currency: str
    start: date
    end: date | None


@dataclass(frozen=True)
class TierStep:
    """One step of the earnings arithmetic: ``text`` in words, ``amount`` it earns."""

    text: str
    amount: Decimal


@dataclass
class ComponentLine:
    """One component (or SPIFF) and quota period of the statement's month."""

    plan_id: str
    component_id: str
    quota_period_start: date | None
    currency: str
    is_spiff: bool = False
    method: str | None = None  # flat | marginal | retroactive (None: a SPIFF or unknown)
    quota: Decimal | None = None
    credit_to_date: Decimal | None = None
    attainment: Decimal | None = None  # a fraction of quota
    tier: str | None = None  # "tier 2 (from 100% of quota) at 15%"
    steps: list[TierStep] = field(default_factory=list)
    steps_note: str | None = None  # why the steps are missing (the plan changed since)
    earnings_to_date: Decimal | None = None  # rounded to cents
    paid_before: Decimal = ZERO
    commission: Decimal = ZERO
    restatement: Decimal = ZERO
    spiff: Decimal = ZERO
    first_paid: str | None = None

    @property
    def due_now(self) -> Decimal:
        return self.commission + self.restatement + self.spiff

    @property
    def label(self) -> str:
        return f"{self.plan_id} / {self.component_id}"


@dataclass(frozen=True)
class CreditLine:
    """One entry of the credit ledger of the month (finance.credits)."""

    entry: str  # add | reverse
    deal_id: str | None
    account: str | None
    event_type: str | None
    event_id: str | None
    credit_type: str
    is_reversal: bool
    rollup_from: str | None  # the name of whose deal a roll-up credit is
    credit_date: date
    source_amount: Decimal
    source_currency: str
    fx_rate: Decimal
    amount: Decimal
    currency: str
    plan_id: str
    component_id: str
    quota_period_start: date | None

    @property
    def kind(self) -> str:
        """Credit type in words: direct, split, overlay, roll-up from X; clawback; reversal."""
        text = {"rollup": "roll-up"}.get(self.credit_type, self.credit_type)
        if self.rollup_from:
            text += f" from {self.rollup_from}"
        if self.is_reversal:
            text += ", clawback"
        if self.entry == "reverse":
            text += " (reverses an earlier credit)"
        return text


@dataclass(frozen=True)
class CreditSummary:
    """The go-live month's credits of one line dated before first_period: they were entered
    with the go-live close and are already reflected in the amounts paid before it (opening
    amounts), so a statement counts them in one row instead of listing each
    (docs/statements.md)."""

    plan_id: str
    component_id: str
    quota_period_start: date | None
    before: str  # first_period: the credits are dated before its first day
    count: int
    amount: Decimal  # total credited
    currency: str
    first_date: date
    last_date: date

    @property
    def text(self) -> str:
        noun = "credit" if self.count == 1 else "credits"
        return (
            f"{self.count} {noun} dated before {self.before} ({self.first_date} to "
            f"{self.last_date}), counted at go-live"
        )


@dataclass(frozen=True)
class DealChange:
    """How one deal's credit to a line changed since the line was first paid."""

    deal_id: str | None
    account: str | None
    text: str  # "10,000.00 dated 2026-01-15 -> removed"
    change: Decimal


@dataclass
class Restatement:
    """A restated line (restatement, or a SPIFF line settling earlier months) and its cause."""

    plan_id: str
    component_id: str
    quota_period_start: date | None
    line_type: str
    amount: Decimal
    currency: str
    first_paid: str | None
    changes: list[DealChange] = field(default_factory=list)
    cause: str = ""


@dataclass(frozen=True)
class Adjustment:
    adjustment_id: str
    amount: Decimal
    currency: str
    reason: str


@dataclass(frozen=True)
class TeamMember:
    employee_id: str
    name: str
    currency: str | None
    net_payout: Decimal | None
    attainment: str  # "nb 82.5%; renewals flat" or "no quota"


@dataclass
class Statement:
    """One employee's statement of one closed month."""

    company: str
    period: str
    run_id: str
    closed_at: datetime
    person: Person
    manager: Person | None
    plans: list[PlanHeld]
    currency: str
    summary: dict[str, Decimal]
    net_payout: Decimal
    negative_carry_out: Decimal
    ytd: dict[str, Decimal]
    components: list[ComponentLine]
    credits: list[CreditLine]
    restatements: list[Restatement]
    adjustments: list[Adjustment]
    draw_balance_before: Decimal
    draw_balance_after: Decimal
    converted_lines: list[tuple[str, Decimal, str, Decimal, Decimal]] = field(
        default_factory=list
    )  # (line, amount, currency, fx rate, converted) for lines not in the payout currency
    team: list[TeamMember] | None = None  # a manager's reports that month
    ytd_from: str | None = None  # the first month of the year paid by OpenSPM
    ranks: list[Rank] = field(default_factory=list)  # leaderboard.show_rank_on_statements
    # the go-live month: its credits dated before first_period, one row per line
    credit_summaries: list[CreditSummary] = field(default_factory=list)

    @property
    def employee_id(self) -> str:
        return self.person.employee_id
