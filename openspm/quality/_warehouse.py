"""Small warehouse helpers shared by the checks: tables present, names, months, money, fx rates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

import duckdb

from openspm.periods import month_start, next_period
from openspm.warehouse import table_exists

CENT = Decimal("0.01")
RATE_SCALE = Decimal("0.000000000001")  # rates keep 12 decimals (DECIMAL(24,12))


def missing_tables(connection: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> list[str]:
    return [t for t in tables if not table_exists(connection, t)]


def missing_reason(missing: list[str]) -> str:
    """Why a check did not run, in words: the tables it needs have not been built."""
    listed = ", ".join(missing)
    return f"the data this check reads has not been built yet ({listed}); run the pipeline first"


def month_bounds(period: str) -> tuple[date, date]:
    """First and last day of the month ``YYYY-MM``."""
    return month_start(period), month_start(next_period(period)) - timedelta(days=1)


def employee_names(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Employee id -> "First Last" from staging (empty when staging is not built)."""
    if not table_exists(connection, "staging.stg_hris__employees"):
        return {}
    rows = connection.execute(
        "SELECT employee_id, trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) "
        "FROM staging.stg_hris__employees"
    ).fetchall()
    return {str(e): str(n) for e, n in rows if n}


def employee_label(employee_id: str, names: dict[str, str]) -> str:
    """``employee E0042 (Ana Ruiz)``, or ``employee E0042`` when the name is unknown."""
    name = names.get(employee_id)
    return f"employee {employee_id} ({name})" if name else f"employee {employee_id}"


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


def fx_rate(
    connection: duckdb.DuckDBPyConnection, from_currency: str, to_currency: str, as_of: date
) -> Decimal | None:
    """The rate of 1 ``from_currency`` in ``to_currency`` on ``as_of`` (docs/contract.md rule 4.1).

    Exactly 1 for the same currency; else the latest staging.stg_erp__fx_rates row of the pair
    dated on or before ``as_of``; else the inverse of the latest row of the inverse pair, rounded
    half-up to 12 decimals; else None (missing, never 1). A rate of 0 or below is missing.
    """
    if from_currency == to_currency:
        return Decimal(1)
    if not table_exists(connection, "staging.stg_erp__fx_rates"):
        return None
    query = (
        "SELECT rate FROM staging.stg_erp__fx_rates WHERE from_currency = ? AND to_currency = ? "
        "AND rate_date <= ? ORDER BY rate_date DESC LIMIT 1"
    )
    row = connection.execute(query, [from_currency, to_currency, as_of]).fetchone()
    if row is not None:
        rate = Decimal(row[0])
        return rate if rate > 0 else None
    row = connection.execute(query, [to_currency, from_currency, as_of]).fetchone()
    if row is None or Decimal(row[0]) <= 0:
        return None
    return (Decimal(1) / Decimal(row[0])).quantize(RATE_SCALE, rounding=ROUND_HALF_UP)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
