"""Which months are published, open or failing, and why (``openspm status``).

Attempts are recorded in ``finance.close_attempts`` (one row per month, kind and run): the
CLI writes one after every ``close`` (kind ``close``), ``run --through`` and ``backfill`` (kind
``run``, one row per draft month covered), and the publish asset writes one when a
publication is refused. A month is

- **published** when finance.closes has it (with run id, time and totals);
- **failing** when it is not published and its latest attempt failed (the message says why);
- **open** otherwise.

The months listed run from first_period to the latest month with credits (drafts or
published), or to the latest attempted or published month when that is later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import duckdb

from openspm.periods import period_range
from openspm.publish import FINANCE_SCHEMA, ensure_finance_tables


@dataclass(frozen=True)
class MonthStatus:
    period: str
    state: str  # published | open | failing
    run_id: str | None = None
    at: datetime | None = None
    payouts: int | None = None
    lines: int | None = None
    net_total: Decimal | None = None
    reason: str | None = None

    def line(self) -> str:
        if self.state == "published":
            return (
                f"{self.period}  published  run {self.run_id}  at {self.at:%Y-%m-%d %H:%M:%S} "
                f"UTC  {self.payouts} payouts  {self.lines} lines  net {self.net_total}"
            )
        if self.state == "failing":
            when = f" at {self.at:%Y-%m-%d %H:%M:%S} UTC" if self.at else ""
            return f"{self.period}  failing    run {self.run_id}{when}: {self.reason}"
        return f"{self.period}  open"


def record_attempt(
    connection: duckdb.DuckDBPyConnection,
    periods: list[str] | str,
    kind: str,
    run_id: str,
    ok: bool,
    message: str | None = None,
) -> None:
    """Record the outcome of a close (kind ``close``) or draft run (kind ``run``)."""
    ensure_finance_tables(connection)
    months = [periods] if isinstance(periods, str) else list(periods)
    now = datetime.now(UTC).replace(tzinfo=None)
    for period in months:
        connection.execute(
            f"insert or replace into {FINANCE_SCHEMA}.close_attempts "
            "(period, kind, run_id, attempted_at, ok, message) values (?, ?, ?, ?, ?, ?)",
            [period, kind, run_id, now, ok, message],
        )


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> str | None:
    try:
        row = connection.execute(sql).fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def month_statuses(connection: duckdb.DuckDBPyConnection, first_period: str) -> list[MonthStatus]:
    """The state of every month from ``first_period`` to the latest month of interest."""
    closes: dict[str, tuple] = {}
    try:
        for row in connection.execute(
            "select period, run_id, published_at, payouts, lines, net_total from finance.closes"
        ).fetchall():
            closes[row[0]] = row
    except duckdb.CatalogException:
        pass
    latest_attempts: dict[str, tuple] = {}
    try:
        for row in connection.execute(
            "select period, run_id, attempted_at, ok, message from finance.close_attempts "
            "qualify row_number() over (partition by period order by attempted_at desc, "
            "case when ok then 1 else 0 end) = 1"
        ).fetchall():
            latest_attempts[row[0]] = row
    except duckdb.CatalogException:
        pass
    candidates = [
        _scalar(connection, "select max(period) from marts.fct_credits"),
        _scalar(connection, "select max(period) from finance.credits"),
        max(closes, default=None),
        max(latest_attempts, default=None),
    ]
    last = max((c for c in candidates if c), default=first_period)
    statuses: list[MonthStatus] = []
    for period in period_range(first_period, max(last, first_period)):
        if period in closes:
            _, run_id, at, payouts, lines, net = closes[period]
            statuses.append(MonthStatus(period, "published", run_id, at, payouts, lines, net))
        elif period in latest_attempts and not latest_attempts[period][3]:
            _, run_id, at, _, message = latest_attempts[period]
            statuses.append(MonthStatus(period, "failing", run_id, at, reason=message))
        else:
            statuses.append(MonthStatus(period, "open"))
    return statuses
