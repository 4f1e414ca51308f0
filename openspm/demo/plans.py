"""Compensation plans of the demo (docs/contract.md section 3) and who holds which plan when.

One plan per role, plan year and currency (USD; ``-EMEA`` plans in EUR; ``-UKI`` plans in GBP),
plus new-hire variants that carry a draw for the first three months (``AE-2026-NH03``: an AE
hired in early March or late February 2026, whose draw runs March to May). The first plan year
uses one design, later years another, so that the demo holds flat, marginal and retroactive
rates, year, quarter and month quota periods, thresholds, caps, SPIFFs, draws and clawbacks.
Customer success managers are paid on collections (rule 4.2: when the customer's payment comes
in), every other role on bookings, so the demo's invoices and payments matter.
Rates and caps are calibrated on the generated bookings so that on-target attainment pays about
the target incentive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np

from openspm.demo.calendar import Calendar, date_of, day_of
from openspm.demo.org import Org

ROLE_NAMES = {
    "AE": "Account Executive",
    "SE": "Solutions Engineer",
    "CSM": "Customer Success Manager",
    "MGR": "Sales Manager",
    "DIR": "Regional Sales Director",
    "VP": "VP Sales",
    "CRO": "Chief Revenue Officer",
}
REGION_NAMES = {"": "", "-EMEA": " EMEA", "-UKI": " UK & Ireland"}
CURRENCY_OF_SUFFIX = {"": "USD", "-EMEA": "EUR", "-UKI": "GBP"}
LOCAL_PER_USD = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79}  # for round plan amounts
PERIOD_MONTHS = {"year": 12, "quarter": 3, "month": 1}
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")  # fmt: skip

# annual target incentive at 100% by role, USD (uniform range)
TARGET_INCENTIVE = {
    "AE": (60_000, 90_000),
    "SE": (35_000, 50_000),
    "CSM": (25_000, 40_000),
    "MGR": (45_000, 60_000),
    "DIR": (70_000, 90_000),
    "VP": (100_000, 140_000),
    "CRO": (240_000, 260_000),
}

NB, EXP, REN = "new_business", "expansion", "renewal"


@dataclass(frozen=True)
class ComponentTemplate:
    """A component; its rates are multiples of a base rate calibrated on the data."""

    id: str
    deal_types: tuple[str, ...]
    credit_types: tuple[str, ...]
    method: str  # flat | marginal | retroactive
    quota_period: str | None = None  # None for flat
    tiers: tuple[tuple[float, float], ...] = ()  # (from, rate multiple)
    share: float = 1.0  # share of the target incentive this component pays at 100%
    cap_multiple: float | None = None  # cap = multiple x on-target pay of one quota period
    measure: str = "bookings"  # bookings | billings | collections (rule 4.2)

    @property
    def quota_based(self) -> bool:
        return self.method in ("marginal", "retroactive")


@dataclass(frozen=True)
class SpiffTemplate:
    id: str
    deal_types: tuple[str, ...]
    from_md: tuple[int, int]  # (month, day) in the plan year
    to_md: tuple[int, int]
    min_amount_usd: int
    amount_usd: int


@dataclass(frozen=True)
class PlanTemplate:
    components: tuple[ComponentTemplate, ...]
    spiffs: tuple[SpiffTemplate, ...] = ()
    clawback_days: int | None = None


DIRECT = ("direct", "split")
ROLLUP = ("rollup",)
Q4_NEW_LOGO = SpiffTemplate("q4-new-logo", (NB,), (10, 1), (12, 31), 50_000, 1_000)
Q1_EXPANSION = SpiffTemplate("q1-expansion", (EXP,), (2, 1), (3, 31), 25_000, 500)

# design of the first plan year ("A") and of later years ("B")
TEMPLATES: dict[tuple[str, str], PlanTemplate] = {
    ("AE", "A"): PlanTemplate(
        (
            ComponentTemplate("bookings", (NB, EXP), DIRECT, "marginal", "year",
                              ((0.0, 1.0), (1.0, 1.5), (1.5, 2.0)), share=0.92),
            ComponentTemplate("renewals", (REN,), DIRECT, "flat", share=0.08),
        ),
        (Q4_NEW_LOGO,),
        90,
    ),
    ("AE", "B"): PlanTemplate(
        (
            ComponentTemplate("new_logo", (NB,), DIRECT, "marginal", "quarter",
                              ((0.0, 1.0), (1.0, 1.6), (1.4, 2.0)), share=0.72, cap_multiple=3.0),
            ComponentTemplate("expansion", (EXP,), DIRECT, "flat", share=0.22),
            ComponentTemplate("renewals", (REN,), DIRECT, "flat", share=0.06),
        ),
        (Q1_EXPANSION, Q4_NEW_LOGO),
        90,
    ),
    ("SE", "A"): PlanTemplate(
        (
            ComponentTemplate("overlay", (NB, EXP), ("overlay",), "retroactive", "quarter",
                              ((0.0, 0.0), (0.5, 0.6), (1.0, 1.0), (1.25, 1.3)),
                              cap_multiple=3.0),
        ),
        clawback_days=90,
    ),
    ("SE", "B"): PlanTemplate(
        (
            ComponentTemplate("overlay", (NB, EXP), ("overlay",), "retroactive", "quarter",
                              ((0.0, 0.0), (0.6, 0.7), (1.0, 1.0), (1.3, 1.4)),
                              cap_multiple=2.5),
        ),
        clawback_days=90,
    ),
    # paid on collections: no clawback (it applies to bookings only); a payment deleted or an
    # invoice voided after it was paid is recovered as a late change
    ("CSM", "A"): PlanTemplate(
        (
            ComponentTemplate("renewals", (REN,), DIRECT, "retroactive", "quarter",
                              ((0.0, 0.5), (0.9, 1.0), (1.1, 1.3)), share=0.85,
                              measure="collections"),
            ComponentTemplate("expansion", (EXP,), DIRECT, "flat", share=0.15,
                              measure="collections"),
        ),
    ),
    ("CSM", "B"): PlanTemplate(
        (
            ComponentTemplate("renewals", (REN,), DIRECT, "retroactive", "month",
                              ((0.0, 0.5), (0.95, 1.0), (1.1, 1.25)), share=0.85,
                              measure="collections"),
            ComponentTemplate("expansion", (EXP,), DIRECT, "flat", share=0.15,
                              measure="collections"),
        ),
    ),
    ("MGR", "A"): PlanTemplate(
        (
            ComponentTemplate("team_bookings", (NB, EXP), ROLLUP, "marginal", "quarter",
                              ((0.0, 1.0), (1.0, 1.5), (1.5, 1.8)), share=0.85),
            ComponentTemplate("team_renewals", (REN,), ROLLUP, "flat", share=0.15),
        ),
    ),
    ("MGR", "B"): PlanTemplate(
        (
            ComponentTemplate("team_bookings", (NB, EXP), ROLLUP, "marginal", "quarter",
                              ((0.0, 1.0), (1.0, 1.5), (1.5, 1.8)), share=0.85,
                              cap_multiple=3.0),
            ComponentTemplate("team_renewals", (REN,), ROLLUP, "flat", share=0.15),
        ),
    ),
    ("DIR", "A"): PlanTemplate(
        (
            ComponentTemplate("area_bookings", (NB, EXP, REN), ROLLUP, "marginal", "year",
                              ((0.0, 1.0), (1.0, 1.4)), share=1.0),
        ),
    ),
    ("DIR", "B"): PlanTemplate(
        (
            ComponentTemplate("area_bookings", (NB, EXP, REN), ROLLUP, "marginal", "year",
                              ((0.0, 1.0), (1.0, 1.4)), share=1.0, cap_multiple=2.5),
        ),
    ),
    ("VP", "A"): PlanTemplate(
        (
            ComponentTemplate("region_bookings", (NB, EXP), ROLLUP, "retroactive", "year",
                              ((0.0, 0.0), (0.7, 0.7), (1.0, 1.0), (1.2, 1.3)), share=0.9,
                              cap_multiple=2.5),
            ComponentTemplate("region_renewals", (REN,), ROLLUP, "flat", share=0.1),
        ),
    ),
    ("VP", "B"): PlanTemplate(
        (
            ComponentTemplate("region_bookings", (NB, EXP), ROLLUP, "retroactive", "year",
                              ((0.0, 0.0), (0.75, 0.75), (1.0, 1.0), (1.2, 1.3)), share=0.9,
                              cap_multiple=2.5),
            ComponentTemplate("region_renewals", (REN,), ROLLUP, "flat", share=0.1),
        ),
    ),
    ("CRO", "A"): PlanTemplate(
        (
            ComponentTemplate("company_bookings", (NB, EXP, REN), ROLLUP, "marginal", "year",
                              ((0.0, 1.0), (1.0, 1.5)), cap_multiple=2.0),
        ),
    ),
    ("CRO", "B"): PlanTemplate(
        (
            ComponentTemplate("company_bookings", (NB, EXP, REN), ROLLUP, "marginal", "year",
                              ((0.0, 1.0), (1.0, 1.5)), cap_multiple=2.0),
        ),
    ),
}  # fmt: skip

DRAW_USD = {"AE": 4_000, "SE": 2_000}


@dataclass
class Plan:
    """One plan file; ``base_rates`` and ``caps`` are set by calibration."""

    id: str
    role: str
    style: str  # A | B
    suffix: str  # "", "-EMEA", "-UKI"
    year: int
    draw_month: int | None  # new-hire variant: month its draw starts (1-12)
    index: int = 0
    base_rates: dict[str, float] = field(default_factory=dict)
    caps: dict[str, int] = field(default_factory=dict)

    @property
    def template(self) -> PlanTemplate:
        return TEMPLATES[(self.role, self.style)]

    @property
    def currency(self) -> str:
        return CURRENCY_OF_SUFFIX[self.suffix]

    @property
    def start(self) -> int:
        return day_of(date(self.year, 1, 1))

    @property
    def end(self) -> int:
        return day_of(date(self.year, 12, 31))

    @property
    def name(self) -> str:
        text = f"{ROLE_NAMES[self.role]}{REGION_NAMES[self.suffix]} {self.year}"
        if self.draw_month is not None:
            text += f" (new hire, draw from {MONTH_NAMES[self.draw_month - 1]})"
        return text

    @property
    def draw(self) -> dict[str, object] | None:
        if self.draw_month is None:
            return None
        kind = "recoverable" if self.role == "AE" and self.currency == "USD" else "non_recoverable"
        first = date(self.year, self.draw_month, 1)
        last_month = min(self.draw_month + 2, 12)
        nxt = date(self.year + 1, 1, 1) if last_month == 12 else date(self.year, last_month + 1, 1)
        return {
            "kind": kind,
            "monthly_amount": local_round(DRAW_USD[self.role], self.currency, 100),
            "from": first,
            "to": date_of(day_of(nxt) - 1),
        }

    def period_starts(self, component: ComponentTemplate) -> np.ndarray:
        """Day numbers of the first day of each quota period of the plan year."""
        step = PERIOD_MONTHS[component.quota_period or "year"]
        months = np.arange(0, 12, step)
        first = (self.year - 1970) * 12
        return (first + months).astype("datetime64[M]").astype("datetime64[D]").astype("int64")


def local_round(usd: float, currency: str, unit: int) -> int:
    """A round amount in ``currency`` worth about ``usd``."""
    return int(round(usd * LOCAL_PER_USD[currency] / unit) * unit)


@dataclass
class Assignments:
    """plan_assignments.csv, column-wise."""

    emp: np.ndarray
    plan: np.ndarray  # index into the plan list
    start: np.ndarray  # day
    end: np.ndarray  # day inclusive; the plan's end when open
    open_end: np.ndarray  # bool: effective_to left empty
    target: np.ndarray  # annual target incentive, plan currency


def draw_start_month(hire: date) -> int:
    """A new hire's draw starts with the month of hire, or the next one after the 15th."""
    return hire.month if hire.day <= 15 or hire.month == 12 else hire.month + 1


def plan_id(role: str, suffix: str, year: int, draw_month: int | None) -> str:
    base = f"{role}{suffix}-{year}"
    return base if draw_month is None else f"{base}-NH{draw_month:02d}"


def build_assignments(
    org: Org, cal: Calendar, rng: np.random.Generator
) -> tuple[list[Plan], Assignments]:
    """Every employee holds one plan at a time while employed, from the first plan year on."""
    years = cal.years
    first_year = years[0]
    plans: dict[str, Plan] = {}
    rows: list[tuple[int, str, int, int, bool, int]] = []
    last_end = day_of(date(years[-1], 12, 31))
    targets: dict[tuple[int, str], float] = {}
    for person in org.people:
        suffix = "" if person.first_role == "CRO" else person.region.plan_suffix
        for a, b, role in person.role_segments(last_end):
            key = (person.idx, role)
            if key not in targets:
                targets[key] = float(rng.uniform(*TARGET_INCENTIVE[role]))
            for year in years:
                y0, y1 = day_of(date(year, 1, 1)), day_of(date(year, 12, 31))
                lo, hi = max(a, y0, cal.start_day), min(b, y1)
                if lo > hi:
                    continue
                hired_now = person.new_hire and a == person.hire and role in DRAW_USD
                hire = date_of(person.hire)
                month = draw_start_month(hire) if hired_now and year == hire.year else None
                pid = plan_id(role, suffix, year, month)
                if pid not in plans:
                    style = "A" if year == first_year else "B"
                    plans[pid] = Plan(pid, role, style, suffix, year, month)
                raise_ = 1.03 ** (year - first_year)
                target = local_round(targets[key] * raise_, plans[pid].currency, 1000)
                open_end = hi == last_end and person.term is None
                rows.append((person.idx, pid, lo, hi, open_end, target))
    ordered = sorted(plans.values(), key=lambda p: p.id)
    for i, plan in enumerate(ordered):
        plan.index = i
    arr = np.asarray(
        [(r[0], plans[r[1]].index, r[2], r[3], int(r[4]), r[5]) for r in rows], "int64"
    ).reshape(-1, 6)
    order = np.lexsort((arr[:, 2], arr[:, 0]))
    arr = arr[order]
    return ordered, Assignments(
        emp=arr[:, 0],
        plan=arr[:, 1],
        start=arr[:, 2],
        end=arr[:, 3],
        open_end=arr[:, 4].astype(bool),
        target=arr[:, 5],
    )


def nice(value: float, digits: int = 2) -> float:
    """``value`` rounded to ``digits`` significant digits."""
    if value <= 0:
        return 0.0
    return float(f"{value:.{digits}g}")


def _num(value: float) -> str:
    text = format(Decimal(repr(value)).normalize(), "f")
    return text if "." in text else f"{text}.0"


def _amount(value: int) -> str:
    return str(int(value))


def render_plan(plan: Plan) -> str:
    """The plan file in the exact format of docs/contract.md section 3."""
    t = plan.template
    lines = [
        f"id: {plan.id}",
        f"name: {plan.name}",
        f"currency: {plan.currency}",
        f"effective_from: {date(plan.year, 1, 1).isoformat()}",
        f"effective_to: {date(plan.year, 12, 31).isoformat()}",
        "components:",
    ]
    for c in t.components:
        base = plan.base_rates[c.id]
        lines += [
            f"  - id: {c.id}",
            f"    measure: {c.measure}",
            f"    deal_types: [{', '.join(c.deal_types)}]",
            f"    credit_types: [{', '.join(c.credit_types)}]",
        ]
        if c.method == "flat":
            lines.append(f"    rates: {{method: flat, rate: {_num(nice(base))}}}")
        else:
            lines += [
                f"    quota_period: {c.quota_period}",
                "    rates:",
                f"      method: {c.method}",
                "      tiers:",
            ]
            for start, multiple in c.tiers:
                lines.append(
                    f"        - {{from: {_num(start)}, rate: {_num(nice(base * multiple))}}}"
                )
        if c.id in plan.caps:
            lines.append(f"    cap: {_amount(plan.caps[c.id])}")
    if t.spiffs:
        lines.append("spiffs:")
        for s in t.spiffs:
            lines += [
                f"  - id: {s.id}",
                f"    deal_types: [{', '.join(s.deal_types)}]",
                f"    from: {date(plan.year, *s.from_md).isoformat()}",
                f"    to: {date(plan.year, *s.to_md).isoformat()}",
                f"    min_amount: {local_round(s.min_amount_usd, plan.currency, 1000)}",
                f"    amount: {local_round(s.amount_usd, plan.currency, 50)}",
            ]
    draw = plan.draw
    if draw is not None:
        lines += [
            "draw:",
            f"  kind: {draw['kind']}",
            f"  monthly_amount: {draw['monthly_amount']}",
            f"  from: {draw['from']}",  # type: ignore[str-bytes-safe]
            f"  to: {draw['to']}",
        ]
    if t.clawback_days is not None:
        lines += ["clawback:", f"  window_days: {t.clawback_days}"]
    return "\n".join(lines) + "\n"
