"""Which months are published, open or failing, and why (``openspm status``).

Attempts are run bookkeeping, kept in their own schema, ``ops.close_attempts`` (one row per
month, kind and run; ``finance`` holds only what finance reads): the CLI writes one after
every ``close`` (kind ``close``), ``run --through`` and ``backfill`` (kind ``run``, one row per
draft month covered), and the publish asset writes one when a publication is refused. A
month is

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
from openspm.warehouse import table_exists

OPS_SCHEMA = "ops"
ATTEMPTS_TABLE = f"{OPS_SCHEMA}.close_attempts"
_OLD_ATTEMPTS_TABLE = "finance.close_attempts"  # where earlier versions kept them


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


def ensure_ops_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Create ``ops.close_attempts`` when missing, taking over the rows of an older warehouse."""
    if table_exists(connection, ATTEMPTS_TABLE):
        return
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {OPS_SCHEMA}")
    connection.execute(
        f"""CREATE TABLE IF NOT EXISTS {ATTEMPTS_TABLE} (
        period VARCHAR NOT NULL, kind VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
        attempted_at TIMESTAMP NOT NULL, ok BOOLEAN NOT NULL, message VARCHAR,
        PRIMARY KEY (period, kind, run_id))"""
    )
    if table_exists(connection, _OLD_ATTEMPTS_TABLE):
        connection.execute(
            f"INSERT OR REPLACE INTO {ATTEMPTS_TABLE} "
            "SELECT period, kind, run_id, attempted_at, ok, message "
            f"FROM {_OLD_ATTEMPTS_TABLE}"
        )
        connection.execute(f"DROP TABLE {_OLD_ATTEMPTS_TABLE}")


def record_attempt(
    connection: duckdb.DuckDBPyConnection,
    periods: list[str] | str,
    kind: str,
    run_id: str,
    ok: bool,
    message: str | None = None,
) -> None:
    """Record the outcome of a close (kind ``close``) or draft run (kind ``run``)."""
    ensure_ops_tables(connection)
    months = [periods] if isinstance(periods, str) else list(periods)
    now = datetime.now(UTC).replace(tzinfo=None)
    for period in months:
        connection.execute(
            f"insert or replace into {ATTEMPTS_TABLE} "
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
    attempts = next(
        (t for t in (ATTEMPTS_TABLE, _OLD_ATTEMPTS_TABLE) if table_exists(connection, t)), None
    )
    if attempts is not None:  # an older warehouse not yet written to keeps the old table
        for row in connection.execute(
            f"select period, run_id, attempted_at, ok, message from {attempts} "
            "qualify row_number() over (partition by period order by attempted_at desc, "
            "case when ok then 1 else 0 end) = 1"
        ).fetchall():
            latest_attempts[row[0]] = row
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
