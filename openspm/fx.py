"""Exchange rates as the contract reads them (docs/contract.md rule 4.1), for Python checks.

The engine converts in dbt (``dbt_project/macros/fx_rates.sql``); the checks that compare
amounts in two currencies after the engine ran read the same rates from staging this way.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from openspm.warehouse import Warehouse, table_exists

RATE_SCALE = Decimal("0.000000000001")  # rates keep 12 decimals (DECIMAL(24,12))
RATES_TABLE = "staging.stg_erp__fx_rates"


def fx_rate(
    connection: Warehouse, from_currency: str, to_currency: str, as_of: date
) -> Decimal | None:
    """The rate of 1 ``from_currency`` in ``to_currency`` on ``as_of``.

    Exactly 1 for the same currency; else the latest staging.stg_erp__fx_rates row of the pair
    dated on or before ``as_of``; else the inverse of the latest row of the inverse pair, rounded
    half-up to 12 decimals; else None (missing, never 1). A rate of 0 or below is missing.
    """
    if from_currency == to_currency:
        return Decimal(1)
    if not table_exists(connection, RATES_TABLE):
        return None
    query = (
        f"SELECT rate FROM {RATES_TABLE} WHERE from_currency = ? AND to_currency = ? "
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
