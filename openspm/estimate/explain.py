"""An estimate as text for a terminal: the deal, who is credited, and each step of the sums."""

from __future__ import annotations

from decimal import Decimal

from openspm.estimate.estimator import Estimate, KeyChange

PERCENT = Decimal(100)


def money(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.2f}"


def signed(value: Decimal) -> str:
    return f"{'+' if value >= 0 else '-'}{abs(value):,.2f}"


def number(value: Decimal) -> str:
    """``value`` without trailing zeros: 60.000000 -> 60, 0.1100 -> 0.11."""
    text = format(value.normalize(), "f")
    return text


def percent(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{value * PERCENT:,.1f}%"


def _who(employee_id: str, name: str) -> str:
    return f"{employee_id} ({name})" if name else employee_id


def _tier_range(low: Decimal, high: Decimal | None) -> str:
    if high is None:
        return f"{number(low * PERCENT)}% and above"
    return f"{number(low * PERCENT)}%-{number(high * PERCENT)}%"


def _key_lines(change: KeyChange) -> list[str]:
    head = (
        f"{_who(change.employee_id, change.employee_name)} - {change.plan_id} / "
        f"{change.component_id}"
    )
    if change.kind == "spiff":
        lines = [f"{head} (SPIFF, plan year from {change.quota_period_start})"]
        lines.append(
            f"    SPIFF earned to date {money(change.credit_before)} -> "
            f"{money(change.credit_after)} {change.currency}"
        )
    else:
        quota = f", quota {money(change.quota)}" if change.quota is not None else ""
        lines = [
            f"{head} ({change.rate_method}{quota}, quota period from "
            f"{change.quota_period_start})"
        ]
        attainment = (
            f" (attainment {percent(change.attainment_before)} -> "
            f"{percent(change.attainment_after)})"
            if change.attainment_after is not None
            else ""
        )
        lines.append(
            f"    credit to date {money(change.credit_before)} -> {money(change.credit_after)} "
            f"{change.currency}{attainment}"
        )
        for tier in change.tiers:
            if change.rate_method == "marginal":
                lines.append(
                    f"    tier {tier.tier_number} ({_tier_range(tier.tier_from, tier.tier_to)}) "
                    f"at {number(tier.rate * PERCENT)}%: {money(tier.credit)} of the deal's credit "
                    f"earns {money(tier.credit * tier.rate)}"
                )
            else:
                lines.append(
                    f"    tier {tier.tier_number} ({_tier_range(tier.tier_from, tier.tier_to)}) "
                    f"reached: all {money(tier.credit)} of credit to date earns "
                    f"{number(tier.rate * PERCENT)}%"
                )
        if change.months:
            first = change.months[0]
            cap = f" (capped at {money(change.cap)})" if change.capped else ""
            lines.append(
                f"    earnings to date {money(first.earnings_before)} -> "
                f"{money(first.earnings_after)}{cap}"
            )
    if change.months:
        first = change.months[0]
        lines.append(
            f"    {change.kind} line {first.period}: {signed(first.line_change)} {change.currency}"
        )
        later = [m for m in change.months[1:] if m.line_change]
        for month in later:
            lines.append(
                f"    {change.kind} line {month.period}: {signed(month.line_change)} "
                f"{change.currency} (later credits now earn at another rate)"
            )
    return lines


def explain(estimate: Estimate) -> str:
    """The estimate with its calculation, as plain text."""
    deal = estimate.deal
    out = [
        f"What-if: a {deal.deal_type} deal of {money(deal.amount)} {estimate.currency} owned by "
        f"{deal.employee_id}, dated {deal.close_date} (month {estimate.period}; the drafts settle "
        f"through {estimate.through_period})",
        "",
        "Credits:",
    ]
    for credit in estimate.credits:
        how = {
            "direct": "direct (owner, 100%)",
            "split": f"revenue split {number(credit.split_percent)}%",
            "overlay": f"overlay {number(credit.split_percent)}%",
            "rollup": f"roll-up from {credit.rollup_from_employee_id}",
        }.get(credit.credit_type, credit.credit_type)
        if credit.plan_id is None:
            target = "no plan on the date: earns nothing"
        elif credit.component_id is None:
            target = f"{credit.plan_id}: no component pays it"
        else:
            rate = (
                f" at fx {credit.fx_rate}" if credit.source_currency != credit.currency else ""
            )
            target = (
                f"{credit.plan_id} / {credit.component_id}: {money(credit.amount)} "
                f"{credit.currency}{rate}"
            )
        out.append(
            f"  {_who(credit.employee_id, credit.employee_name)}: {how}, "
            f"{money(credit.source_amount)} {credit.source_currency} -> {target}"
        )
    if not estimate.credits:
        out.append("  (none)")
    out += ["", "Calculation:"]
    for change in estimate.changes:
        out += ["  " + line for line in _key_lines(change)]
    if not estimate.changes:
        out.append("  no earnings change")
    out += ["", f"What the deal adds ({estimate.period}):"]
    totals = estimate.totals()
    names = {c.employee_id: c.employee_name for c in estimate.changes}
    for (employee, currency), (now, later) in sorted(totals.items()):
        more = f", {signed(later)} in later months" if later else ""
        out.append(f"  {_who(employee, names.get(employee, ''))}: {signed(now)} {currency}{more}")
    if not totals:
        out.append("  nothing")
    if estimate.notes:
        out += ["", "Notes:"] + [f"  - {note}" for note in estimate.notes]
    return "\n".join(out)
