"""Quotas, rate calibration and adjustments of the demo.

A simplified crediting of the generated deals and payments (direct, split, overlay and roll-up
credits, in plan currency at first-of-month rates) tells how much each assignment books or
collects in each quota period: components paid on bookings count the deals, components paid
on collections the payments (rule 4.2). Quotas are set so that attainment varies around 100%
(mostly 60%-160%), and each plan's base rate so that an employee at 100% earns about their
target incentive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openspm.demo.calendar import Calendar, first_day_of_month, month_of_day
from openspm.demo.fx import FxRates
from openspm.demo.names import CURRENCIES, DEAL_TYPES
from openspm.demo.org import NO_MANAGER, Org
from openspm.demo.plans import PERIOD_MONTHS, Assignments, Plan, local_round, nice
from openspm.demo.sales import Deals, Invoices, Splits

CREDIT_TYPES = ("direct", "split", "overlay", "rollup")
KEY = 1 << 20  # person index x KEY + day: one sortable integer
MAX_SLOTS = 3
MAX_PERIODS = 12


MEASURES = ("bookings", "billings", "collections")


@dataclass
class Credits:
    """One row per credit of the final data: of deals (bookings) or of payments (collections)."""

    emp: np.ndarray
    day: np.ndarray
    deal_type: np.ndarray
    credit_type: np.ndarray
    usd: np.ndarray
    measure: str = "bookings"


class Hierarchy:
    """Manager of a person on a day, from job_history."""

    def __init__(self, org: Org) -> None:
        rows = [(p.idx, j.effective, j.manager) for p in org.people for j in p.jobs]
        arr = np.asarray(rows, dtype="int64")
        order = np.lexsort((arr[:, 1], arr[:, 0]))
        arr = arr[order]
        self.emp = arr[:, 0]
        self.keys = arr[:, 0] * KEY + (arr[:, 1] + KEY // 2)
        self.manager = arr[:, 2]

    def manager_on(self, emp: np.ndarray, day: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.keys, emp * KEY + (day + KEY // 2), side="right") - 1
        pos = np.maximum(pos, 0)
        found = (self.emp[pos] == emp) & (emp >= 0)
        return np.where(found, self.manager[pos], NO_MANAGER)


def _holders(deals: Deals, splits: Splits) -> tuple[np.ndarray, ...]:
    """(deal, employee, share, credit type) of every credit holder of a won, not deleted deal."""
    live_deal = deals.won & ~deals.deleted
    live = ~splits.deleted & live_deal[splits.deal]
    rev = live & ~splits.overlay
    ov = live & splits.overlay
    has_rev = np.zeros(deals.close.size, dtype=bool)
    has_rev[splits.deal[rev]] = True
    direct = np.flatnonzero(live_deal & ~has_rev)
    deal = np.concatenate([direct, splits.deal[rev], splits.deal[ov]])
    emp = np.concatenate([deals.owner[direct], splits.owner[rev], splits.owner[ov]])
    share = np.concatenate([np.ones(direct.size), splits.percent[rev] / 10_000,
                            splits.percent[ov] / 10_000])  # fmt: skip
    ctype = np.concatenate([np.zeros(direct.size, "int64"), np.ones(int(rev.sum()), "int64"),
                            np.full(int(ov.sum()), 2, "int64")])  # fmt: skip
    return deal, emp, share, ctype


def credits_of(
    deals: Deals, splits: Splits, hierarchy: Hierarchy, fx: FxRates, cal: Calendar
) -> Credits:
    """Direct, split, overlay and roll-up credits of won, not deleted deals, in USD."""
    deal, emp, share, ctype = _holders(deals, splits)
    day = deals.close[deal]
    cents = deals.amount[deal]
    return _with_rollups(deals, hierarchy, fx, cal, deal, emp, share, ctype, day, cents,
                         "bookings")  # fmt: skip


def collection_credits_of(
    deals: Deals,
    splits: Splits,
    invoices: Invoices,
    hierarchy: Hierarchy,
    fx: FxRates,
    cal: Calendar,
) -> Credits:
    """The credits of every payment (rule 4.2, collections): the deal's holders and shares of
    the payment's amount, dated its payment date, with roll-ups on that date, in USD."""
    h_deal, h_emp, h_share, h_type = _holders(deals, splits)
    order = np.argsort(h_deal, kind="stable")
    h_deal, h_emp, h_share, h_type = h_deal[order], h_emp[order], h_share[order], h_type[order]
    p_deal = invoices.deal[invoices.p_invoice]
    lo = np.searchsorted(h_deal, p_deal, side="left")
    count = np.searchsorted(h_deal, p_deal, side="right") - lo
    payment = np.repeat(np.arange(p_deal.size), count)
    holder = np.repeat(lo, count) + np.arange(payment.size) - np.repeat(
        np.cumsum(count) - count, count
    )
    return _with_rollups(
        deals, hierarchy, fx, cal, p_deal[payment], h_emp[holder], h_share[holder],
        h_type[holder], invoices.p_day[payment], invoices.p_amount[payment], "collections",
    )  # fmt: skip


def _with_rollups(
    deals: Deals,
    hierarchy: Hierarchy,
    fx: FxRates,
    cal: Calendar,
    deal: np.ndarray,
    emp: np.ndarray,
    share: np.ndarray,
    ctype: np.ndarray,
    day: np.ndarray,
    cents: np.ndarray,
    measure: str,
) -> Credits:
    """The holders' credits of events (a deal or a payment) in USD, and their roll-ups."""
    month = cal.batch_of_day(day)
    usd = cents / 100 * share * fx.to_usd(deals.currency[deal], month)
    dtype = deals.deal_type[deal]
    # roll-up: every manager above the direct and split credit holders, as of the credit date
    base = ctype < 2
    r_emp, r_day, r_dtype, r_usd = emp[base], day[base], dtype[base], usd[base]
    parts = [(emp, day, dtype, ctype, usd)]
    current = r_emp
    for _ in range(12):
        boss = hierarchy.manager_on(current, r_day)
        keep = boss != NO_MANAGER
        if not keep.any():
            break
        r_day, r_dtype, r_usd, current = r_day[keep], r_dtype[keep], r_usd[keep], boss[keep]
        parts.append((current, r_day, r_dtype, np.full(current.size, 3, "int64"), r_usd))
    return Credits(*(np.concatenate([p[i] for p in parts]) for i in range(5)), measure=measure)


@dataclass
class QuotaRows:
    """quotas.csv, column-wise."""

    assignment: np.ndarray
    slot: np.ndarray
    period_start: np.ndarray  # day
    quota: np.ndarray  # plan currency, whole units


def _plan_tables(plans: list[Plan]) -> dict[str, np.ndarray]:
    n = len(plans)
    elig = np.zeros((n, MAX_SLOTS, len(DEAL_TYPES), len(CREDIT_TYPES)), dtype=bool)
    step = np.full((n, MAX_SLOTS), 12, dtype="int64")
    quota_based = np.zeros((n, MAX_SLOTS), dtype=bool)
    used = np.zeros((n, MAX_SLOTS), dtype=bool)
    measure = np.zeros((n, MAX_SLOTS), dtype="int64")
    for p in plans:
        for s, c in enumerate(p.template.components):
            used[p.index, s] = True
            measure[p.index, s] = MEASURES.index(c.measure)
            quota_based[p.index, s] = c.quota_based
            step[p.index, s] = PERIOD_MONTHS[c.quota_period or "year"]
            for dt in c.deal_types:
                for ct in c.credit_types:
                    elig[p.index, s, DEAL_TYPES.index(dt), CREDIT_TYPES.index(ct)] = True
    return {
        "elig": elig,
        "step": step,
        "quota_based": quota_based,
        "used": used,
        "measure": measure,
        "first_month": np.asarray([(p.year - 1970) * 12 for p in plans], dtype="int64"),
        "currency": np.asarray([CURRENCIES.index(p.currency) for p in plans], dtype="int64"),
        "end": np.asarray([p.end for p in plans], dtype="int64"),
    }


def credited_sums(
    credits: Credits, assignments: Assignments, plans: list[Plan], fx: FxRates, cal: Calendar
) -> np.ndarray:
    """[assignment, component slot, quota period] -> credits in plan currency, for the
    components paid on the credits' measure (the other slots stay 0)."""
    t = _plan_tables(plans)
    n_a = assignments.emp.size
    keys = assignments.emp * KEY + (assignments.start + KEY // 2)
    pos = np.searchsorted(keys, credits.emp * KEY + (credits.day + KEY // 2), side="right") - 1
    pos = np.maximum(pos, 0)
    ok = (assignments.emp[pos] == credits.emp) & (credits.day <= assignments.end[pos])
    a = pos[ok]
    day, dtype, ctype = credits.day[ok], credits.deal_type[ok], credits.credit_type[ok]
    plan = assignments.plan[a]
    local = credits.usd[ok] / fx.to_usd(t["currency"][plan], cal.batch_of_day(day))
    month = month_of_day(day)
    sums = np.zeros(n_a * MAX_SLOTS * MAX_PERIODS)
    measure = MEASURES.index(credits.measure)
    for s in range(MAX_SLOTS):
        e = t["elig"][plan, s, dtype, ctype] & (t["measure"][plan, s] == measure)
        k = (month[e] - t["first_month"][plan[e]]) // t["step"][plan[e], s]
        key = (a[e] * MAX_SLOTS + s) * MAX_PERIODS + k
        sums += np.bincount(key, weights=local[e], minlength=sums.size)
    return sums.reshape(n_a, MAX_SLOTS, MAX_PERIODS)


def _data_days(lo: np.ndarray, hi: np.ndarray, cal: Calendar) -> np.ndarray:
    return np.maximum(0, np.minimum(hi, cal.end_day) - np.maximum(lo, cal.start_day) + 1)


def make_quotas(
    sums: np.ndarray,
    assignments: Assignments,
    plans: list[Plan],
    cal: Calendar,
    rng: np.random.Generator,
) -> QuotaRows:
    """A quota for every quota-based component and quota period each assignment overlaps."""
    t = _plan_tables(plans)
    plan = assignments.plan
    pairs_a, pairs_s = np.nonzero(t["quota_based"][plan])
    step = t["step"][plan[pairs_a], pairs_s]
    first = t["first_month"][plan[pairs_a]]
    start, end = assignments.start[pairs_a], assignments.end[pairs_a]
    k_lo = (month_of_day(start) - first) // step
    k_hi = (month_of_day(end) - first) // step
    count = k_hi - k_lo + 1
    row_pair = np.repeat(np.arange(pairs_a.size), count)
    k = k_lo[row_pair] + np.arange(row_pair.size) - np.repeat(np.cumsum(count) - count, count)
    a, s, st = pairs_a[row_pair], pairs_s[row_pair], step[row_pair]
    p_start = first_day_of_month(first[row_pair] + k * st)
    p_end = first_day_of_month(first[row_pair] + (k + 1) * st) - 1
    lo = np.maximum(p_start, assignments.start[a])
    hi = np.minimum(p_end, assignments.end[a])
    overlap = (hi - lo + 1).astype("float64")
    covered = _data_days(lo, hi, cal).astype("float64")
    actual = sums[a, s, k]
    # expected bookings: half the assignment's average pace over the period (a smooth quota),
    # half what the period actually brought (so that attainment stays mostly in 60%-160%)
    pair_days = np.bincount(row_pair, weights=covered, minlength=pairs_a.size)
    pair_sum = np.bincount(row_pair, weights=actual, minlength=pairs_a.size)
    daily = np.divide(pair_sum, pair_days, out=np.zeros_like(pair_sum), where=pair_days > 0)
    smooth = daily[row_pair] * overlap
    expected = 0.5 * smooth + 0.5 * (actual + daily[row_pair] * (overlap - covered))
    # floor for assignments without bookings (ramping hires, quiet months): half the norm
    group = plan_group(plans)[plan[a]] * MAX_SLOTS + s
    per_day = np.where(expected > 0, expected / overlap, np.nan)
    norm = np.zeros(group.max(initial=0) + 1)
    for g in np.unique(group):
        values = per_day[(group == g) & ~np.isnan(per_day)]
        norm[g] = float(np.median(values)) if values.size else 100.0
    expected = np.maximum(expected, 0.5 * norm[group] * overlap)
    # a stretch (or a soft) target per assignment and component, a little noise per period;
    # individual results vary more than a team's, a team's more than a region's
    role = np.asarray([p.role for p in plans])[plan[pairs_a]]
    spread = np.select([np.isin(role, ("AE", "SE", "CSM")), role == "MGR"], [0.18, 0.12], 0.08)
    stretch = np.exp(rng.normal(0.0, 1.0, size=pairs_a.size) * spread)
    attainment = stretch[row_pair] * np.exp(rng.normal(0.0, 0.05, size=a.size))
    raw = expected / attainment
    unit = np.where(raw >= 20_000, 1000.0, 100.0)
    quota = np.maximum(unit, np.rint(raw / unit) * unit).astype("int64")
    return QuotaRows(assignment=a, slot=s, period_start=p_start, quota=quota)


def plan_group(plans: list[Plan]) -> np.ndarray:
    """Index of each plan's design (role and style): plans of one design share their rates."""
    designs = sorted({(p.role, p.style) for p in plans})
    return np.asarray([designs.index((p.role, p.style)) for p in plans], dtype="int64")


def calibrate(
    sums: np.ndarray,
    quotas: QuotaRows,
    assignments: Assignments,
    plans: list[Plan],
    cal: Calendar,
) -> None:
    """Set each plan's base rates (shared by its design) and caps from the generated data."""
    group = plan_group(plans)
    plan = assignments.plan
    covered = _data_days(assignments.start, assignments.end, cal).astype("float64")
    span = (assignments.end - assignments.start + 1).astype("float64")
    quota_total = np.zeros((assignments.emp.size, MAX_SLOTS))
    np.add.at(quota_total, (quotas.assignment, quotas.slot), quotas.quota)
    base: dict[tuple[int, int], float] = {}
    for g in np.unique(group):
        members = [p for p in plans if group[p.index] == g]
        template = members[0].template
        mask = np.isin(plan, [p.index for p in members]) & (covered >= 60)
        for s, c in enumerate(template.components):
            if c.quota_based:
                annual = quota_total[mask, s] / span[mask] * 365
            else:
                annual = sums[mask, s, :].sum(axis=1) / np.maximum(covered[mask], 1) * 365
            ratio = c.share * assignments.target[mask] / np.where(annual > 0, annual, np.nan)
            ratio = ratio[np.isfinite(ratio)]
            rate = nice(float(np.median(ratio))) if ratio.size else 0.01
            # few bookings per person (a benchmark's 10,000 reps on 10k deals) would call for
            # rates above 100%, which plans refuse: the top tier stays at most 50%
            top = max((multiple for _, multiple in c.tiers), default=1.0)
            base[(int(g), s)] = min(rate, nice(0.5 / top))
    for p in plans:
        # caps are the same for every plan of one design and currency (new-hire variants too)
        peers = [q.index for q in plans if group[q.index] == group[p.index] and
                 q.currency == p.currency]  # fmt: skip
        targets = assignments.target[np.isin(plan, peers)]
        target = float(np.median(targets)) if targets.size else 0.0
        for s, c in enumerate(p.template.components):
            p.base_rates[c.id] = base[(int(group[p.index]), s)]
            if c.cap_multiple is not None:
                months = PERIOD_MONTHS[c.quota_period or "year"]
                cap = c.cap_multiple * c.share * target * months / 12
                p.caps[c.id] = int(nice(max(cap, 1000.0)))


@dataclass
class AdjustmentRow:
    adjustment_id: str
    employee: int
    period: int  # month number
    cents: int
    currency: str
    reason: str


REASONS_POSITIVE = (
    "Manual credit: deal booked under the wrong owner",
    "Customer reference program award",
    "Correction of a prior payroll run",
    "President's Club incentive",
)
REASONS_NEGATIVE = (
    "Recovery of commission overpaid on a duplicate deal",
    "Correction of a prior payroll run",
)


def make_adjustments(
    org: Org, assignments: Assignments, plans: list[Plan], cal: Calendar, rng: np.random.Generator
) -> list[AdjustmentRow]:
    """A few manual adjustments: sign-on bonuses, corrections, a relocation paid in USD."""
    n = max(4, len(org.people) // 30)
    rows: list[tuple[int, int, int, str, str]] = []
    # first_period defaults to the earliest assignment's month: an adjustment before it could
    # never be paid (docs/contract.md section 3)
    data_first = max(cal.first_month, int(month_of_day(assignments.start.min())))
    data_last = cal.last_month

    def period_of(i: int) -> int | None:
        lo = max(int(month_of_day(assignments.start[i])), data_first)
        hi = min(int(month_of_day(assignments.end[i])), data_last)
        return None if lo > hi else int(rng.integers(lo, hi + 1))

    by_role = {p.index: p for p in plans}
    hires = [
        i
        for i in range(assignments.emp.size)
        if by_role[int(assignments.plan[i])].draw_month is not None
    ]
    for i in hires[: max(1, n // 4)]:
        period = int(month_of_day(assignments.start[i]))
        if data_first <= period <= data_last:
            cur = by_role[int(assignments.plan[i])].currency
            rows.append((int(assignments.emp[i]), period, local_round(5000, cur, 500) * 100, cur,
                         "Sign-on bonus"))  # fmt: skip
    non_usd = [i for i in range(assignments.emp.size) if by_role[int(assignments.plan[i])].currency
               != "USD"]  # fmt: skip
    if non_usd:
        i = non_usd[int(rng.integers(len(non_usd)))]
        period = period_of(i)
        if period is not None:
            rows.append((int(assignments.emp[i]), period, 250_000, "USD", "Relocation allowance"))
    reps = [i for i in range(assignments.emp.size) if by_role[int(assignments.plan[i])].role
            in ("AE", "SE", "CSM", "MGR")]  # fmt: skip
    for _ in range(20 * n):
        if len(rows) >= n or not reps:
            break
        i = reps[int(rng.integers(len(reps)))]
        period = period_of(i)
        if period is None:
            continue
        cur = by_role[int(assignments.plan[i])].currency
        if len(rows) % 3 == 0:  # about a third are recoveries
            cents = -int(rng.integers(300_00, 2_500_00))
            reason = REASONS_NEGATIVE[int(rng.integers(len(REASONS_NEGATIVE)))]
        else:
            cents = int(rng.integers(250_00, 4_000_00))
            reason = REASONS_POSITIVE[int(rng.integers(len(REASONS_POSITIVE)))]
        rows.append((int(assignments.emp[i]), period, cents, cur, reason))
    rows.sort(key=lambda r: (r[1], org.people[r[0]].employee_id, r[4]))
    return [
        AdjustmentRow(f"ADJ-{n:04d}", emp, period, cents, cur, reason)
        for n, (emp, period, cents, cur, reason) in enumerate(rows, start=1)
    ]
