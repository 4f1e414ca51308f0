"""Amounts as text and rounding to cents, as the engine rounds (docs/contract.md section 4)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, localcontext

CENT = Decimal("0.01")


def money(value: Decimal | int | float | str | None) -> str | None:
    """A stored amount as text, value unchanged: trailing zeros beyond the cents dropped.

    ``Decimal('100.00000000000000')`` -> ``100.00``; ``Decimal('0.333333')`` -> ``0.333333``.
    """
    if value is None:
        return None
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    with localcontext() as context:
        context.prec = 80
        if amount == amount.quantize(CENT):
            return f"{amount.quantize(CENT):f}"
        return f"{amount.normalize():f}"


def cents(value: Decimal) -> Decimal:
    """Rounded half away from zero to cents, as the engine rounds (DuckDB ``round``)."""
    with localcontext() as context:
        context.prec = 80
        return value.quantize(CENT, rounding=ROUND_HALF_UP)


def format_totals(totals: Mapping[str, Decimal]) -> str:
    """``EUR 1,234.50, USD 20.00`` (one amount per currency, never one sum); ``none``."""
    if not totals:
        return "none"
    return ", ".join(f"{currency} {amount:,.2f}" for currency, amount in sorted(totals.items()))
