"""Payouts per currency, published or drafted: what the summaries, status and reports show.

Amounts in different currencies are never added together: every total is per currency.
"""

from __future__ import annotations

from decimal import Decimal

from openspm.publish import FINANCE_SCHEMA, draft_tables, published_net
from openspm.warehouse import Warehouse, table_exists


def payout_totals(
    connection: Warehouse, period: str, schema: str = FINANCE_SCHEMA
) -> list[tuple[str, int, Decimal, Decimal, Decimal, Decimal]]:
    """Per payout currency: payouts, commission, SPIFF, adjustments and net of ``period``."""
    table = f"{FINANCE_SCHEMA}.payouts" if schema == FINANCE_SCHEMA else draft_tables()["payouts"]
    if not table_exists(connection, table):
        return []
    rows = connection.execute(
        "select currency, count(*), coalesce(sum(commission), 0), coalesce(sum(spiff), 0), "
        f"coalesce(sum(adjustments), 0), coalesce(sum(net_payout), 0) from {table} "
        "where period = ? group by 1 order by 1",
        [period],
    ).fetchall()
    return [
        (str(currency), int(count), *(Decimal(value) for value in sums))
        for currency, count, *sums in rows
    ]


def net_by_currency(
    connection: Warehouse, period: str, schema: str = FINANCE_SCHEMA
) -> dict[str, Decimal]:
    """Net payouts of ``period`` per payout currency: published (finance) or drafts (marts)."""
    if schema == FINANCE_SCHEMA:
        published = table_exists(connection, f"{FINANCE_SCHEMA}.payouts")
        return published_net(connection, period) if published else {}
    return {currency: row[-1] for currency, *row in payout_totals(connection, period, schema)}
