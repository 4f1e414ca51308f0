"""The deal a rep asks about: who owns it, how much, when, which type, and how it is split."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
HUNDRED = Decimal(100)


class EstimateError(ValueError):
    """The deal or the warehouse does not allow an estimate; the message says why in one line."""


@dataclass(frozen=True)
class Share:
    """An employee's part of the deal in percent (a revenue split or an overlay)."""

    employee_id: str
    percent: Decimal


@dataclass(frozen=True)
class DealInput:
    """A deal that is not in the CRM (yet): what ``openspm estimate`` is asked about.

    ``splits`` are revenue splits; when they sum to less than 100 the owner holds the rest
    (a revenue split of the owner), so ``--split E2=40`` on E1's deal credits E1 60 and E2 40.
    ``overlays`` are credited on top (overlay splits). ``currency`` None: the owner's plan
    currency on the date (else the reporting currency).
    """

    employee_id: str
    amount: Decimal
    close_date: date
    deal_type: str
    currency: str | None = None
    splits: tuple[Share, ...] = ()
    overlays: tuple[Share, ...] = ()

    def revenue_splits(self) -> tuple[Share, ...]:
        """The revenue splits as the CRM would hold them (the owner's remainder included)."""
        if not self.splits:
            return ()
        rest = HUNDRED - sum((s.percent for s in self.splits), Decimal(0))
        owner = (Share(self.employee_id, rest),) if rest > 0 else ()
        return owner + self.splits

    def employees(self) -> list[str]:
        """Everyone the deal names, owner first."""
        named = [self.employee_id, *(s.employee_id for s in self.splits + self.overlays)]
        return list(dict.fromkeys(named))


def parse_amount(text: str, what: str = "--amount") -> Decimal:
    """A positive decimal amount with at most 6 decimals."""
    try:
        value = Decimal(str(text).strip().replace("_", ""))
    except InvalidOperation:
        raise EstimateError(f"{what} {text!r} is not a number (e.g. 120000 or 120000.50)") from None
    if not value.is_finite() or value <= 0:
        raise EstimateError(f"{what} {text!r} must be a positive amount")
    if value.as_tuple().exponent < -6:  # type: ignore[operator]
        raise EstimateError(f"{what} {text!r} has more than 6 decimals")
    return value


def parse_share(text: str, what: str) -> Share:
    """``EMPLOYEE=PERCENT`` (percent above 0, at most 100)."""
    employee, sep, percent = str(text).partition("=")
    if not sep or not employee.strip():
        raise EstimateError(f"{what} {text!r} is not EMPLOYEE=PERCENT (e.g. E0042=40)")
    try:
        value = Decimal(percent.strip())
    except InvalidOperation:
        raise EstimateError(f"{what} {text!r}: {percent!r} is not a percentage") from None
    if not value.is_finite() or not 0 < value <= HUNDRED:
        raise EstimateError(f"{what} {text!r}: the percentage must be above 0 and at most 100")
    return Share(employee.strip(), value)


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise EstimateError(f"--date {text!r} is not a date written YYYY-MM-DD") from None


def make_deal(
    employee_id: str,
    amount: str | Decimal,
    close_date: str | date,
    deal_type: str,
    *,
    currency: str | None = None,
    splits: list[str] | tuple[str, ...] = (),
    overlays: list[str] | tuple[str, ...] = (),
) -> DealInput:
    """A checked ``DealInput`` from what a user typed (EstimateError naming the bad value)."""
    if not str(employee_id).strip():
        raise EstimateError("--employee is empty; give the deal owner's employee_id")
    if not str(deal_type).strip():
        raise EstimateError("--deal-type is empty (e.g. new_business, expansion, renewal)")
    if currency is not None and not CURRENCY_RE.match(currency.strip().upper()):
        raise EstimateError(f"--currency {currency!r} is not an ISO 4217 code (e.g. USD)")
    revenue = tuple(parse_share(s, "--split") for s in splits)
    overlay = tuple(parse_share(s, "--overlay") for s in overlays)
    total = sum((s.percent for s in revenue), Decimal(0))
    if total > HUNDRED:
        raise EstimateError(f"the revenue splits add up to {total}%, more than 100%")
    named = [s.employee_id for s in revenue]
    if len(set(named)) != len(named):
        raise EstimateError("an employee is named twice in --split; give one share each")
    if employee_id.strip() in named and total < HUNDRED:
        raise EstimateError(
            f"--split names the owner {employee_id.strip()} and the splits add up to {total}%: "
            "give every revenue share so they add up to 100, or leave the owner out and the "
            "owner keeps the rest"
        )
    return DealInput(
        employee_id=employee_id.strip(),
        amount=amount if isinstance(amount, Decimal) else parse_amount(amount),
        close_date=close_date if isinstance(close_date, date) else parse_date(close_date),
        deal_type=deal_type.strip(),
        currency=currency.strip().upper() if currency else None,
        splits=revenue,
        overlays=overlay,
    )
