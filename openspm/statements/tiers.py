"""Earnings to date shown step by step, as rules 4.7 compute them (docs/contract.md section 4).

"The first 100,000.00 (0% to 100% of quota) at 10% = 10,000.00; the next 20,000.00 at 15% =
3,000.00". The steps are recomputed from the plan's rates; the statement shows them only when
they give the published earnings to date (to the cent), else it says the plan changed since.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from openspm.statements.model import TierStep

ZERO = Decimal("0")


@dataclass(frozen=True)
class Tier:
    number: int
    start: Decimal  # fraction of quota
    end: Decimal | None
    rate: Decimal


_CENTS = Context(prec=80, rounding=ROUND_HALF_UP)
CENT = Decimal("0.01")


def amount_text(value: Decimal) -> str:
    """``12345.6`` -> ``12,345.60`` (cents rounded half away from zero, thousands separators)."""
    return f"{value.quantize(CENT, context=_CENTS):,.2f}"


def percent_text(value: Decimal) -> str:
    """A fraction as a percentage with up to 2 decimals: ``0.105`` -> ``10.5%``."""
    with localcontext() as context:
        context.prec = 50
        shown = (value * 100).quantize(Decimal("0.01"))
    text = f"{shown:f}".rstrip("0").rstrip(".")
    return f"{text}%"


def tier_steps(
    method: str,
    credit_to_date: Decimal,
    quota: Decimal | None,
    tiers: list[Tier],
    flat_rate: Decimal | None,
    cap: Decimal | None,
) -> tuple[str | None, list[TierStep], Decimal]:
    """(tier reached in words, the steps, earnings to date before rounding)."""
    with localcontext() as context:
        context.prec = 60
        ctd = credit_to_date
        steps: list[TierStep] = []
        tier_label: str | None = None
        if method == "flat" and flat_rate is not None:
            earned = ctd * flat_rate
            steps.append(
                TierStep(f"{amount_text(ctd)} at {percent_text(flat_rate)}", earned)
            )
            tier_label = f"flat rate {percent_text(flat_rate)}"
        elif not tiers or quota is None:
            return None, [], ZERO
        elif ctd < 0:
            first = tiers[0]
            earned = ctd * first.rate
            steps.append(
                TierStep(
                    f"a negative credit to date {amount_text(ctd)} at the first tier's rate "
                    f"{percent_text(first.rate)}",
                    earned,
                )
            )
            tier_label = f"tier 1 at {percent_text(first.rate)}"
        elif method == "retroactive":
            reached = [t for t in tiers if quota * t.start <= ctd][-1]
            earned = ctd * reached.rate
            steps.append(
                TierStep(
                    f"all {amount_text(ctd)} at the rate of tier {reached.number} "
                    f"(from {percent_text(reached.start)} of quota): "
                    f"{percent_text(reached.rate)}",
                    earned,
                )
            )
            tier_label = _label(reached)
        else:  # marginal
            earned = ZERO
            for tier in tiers:
                low = quota * tier.start
                high = None if tier.end is None else quota * tier.end
                if ctd <= low and tier.number > 1:
                    break
                band = (ctd if high is None else min(ctd, high)) - low
                if band <= 0 and tier.number > 1:
                    break
                band = max(band, ZERO)
                earned += band * tier.rate
                span = (
                    f"{percent_text(tier.start)} to {percent_text(tier.end)} of quota"
                    if tier.end is not None
                    else f"above {percent_text(tier.start)} of quota"
                )
                word = "first" if tier.number == 1 else "next"
                steps.append(
                    TierStep(
                        f"the {word} {amount_text(band)} ({span}) at "
                        f"{percent_text(tier.rate)}",
                        band * tier.rate,
                    )
                )
                tier_label = _label(tier)
        if cap is not None and earned > cap:
            steps.append(TierStep(f"capped at {amount_text(cap)}", cap - earned))
            earned = cap
        return tier_label, steps, earned


def _label(tier: Tier) -> str:
    start, rate = percent_text(tier.start), percent_text(tier.rate)
    return f"tier {tier.number} (from {start} of quota) at {rate}"
