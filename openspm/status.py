"""Which months are published, open or failing, and why (``openspm status``).

Attempts are run bookkeeping, kept in their own schema, ``ops.close_attempts`` (one row per
month, kind and run; ``finance`` holds only what finance reads): the CLI writes one after
every ``close`` that ran (kind ``close``), ``run --through`` and ``backfill`` (kind ``run``,
one row per draft month covered), and the publication step writes one when a publication
fails. A request refused before anything ran (a month already closed, an earlier month open, a
month before first_period) changes nothing and is not recorded. A month is

- **published** when finance.closes has it (with run id, time and net payouts per currency);
- **failing** when it is not published and its latest attempt failed, unless an earlier
  month was published after that attempt (the attempt judged a past that has changed since;
  the month is open again);
- **open** otherwise.

The months listed run from first_period to the latest month with won deals (up to the current
month), credits, drafts or a close.
A snapshot of the last listing is kept beside the warehouse (``status.json``) for the time a
close holds the warehouse.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from openspm.money import format_totals
from openspm.periods import month_start, next_period, period_of, period_range
from openspm.publish import FINANCE_SCHEMA, draft_tables
from openspm.warehouse import Warehouse, table_exists

OPS_SCHEMA = "ops"
ATTEMPTS_TABLE = f"{OPS_SCHEMA}.close_attempts"
_OLD_ATTEMPTS_TABLE = "finance.close_attempts"  # where earlier versions kept them
DEALS_TABLE = "staging.stg_crm__deals"


@dataclass(frozen=True)
class MonthStatus:
    period: str
    state: str  # published | open | failing
    run_id: str | None = None
    at: datetime | None = None
    payouts: int | None = None
    lines: int | None = None
    net: Mapping[str, Decimal] = field(default_factory=dict)  # currency -> net payouts
    reason: str | None = None

    def line(self) -> str:
        if self.state == "published":
            return (
                f"{self.period}  published  run {self.run_id}  at {self.at:%Y-%m-%d %H:%M:%S} "
                f"UTC  {self.payouts} payouts  {self.lines} lines  net {format_totals(self.net)}"
            )
        if self.state == "failing":
            when = f" at {self.at:%Y-%m-%d %H:%M:%S} UTC" if self.at else ""
            return f"{self.period}  failing    run {self.run_id}{when}: {self.reason}"
        return f"{self.period}  open"


def ensure_ops_tables(connection: Warehouse) -> None:
    """Create ``ops.close_attempts`` when missing, taking over the rows of an older warehouse."""
    if table_exists(connection, ATTEMPTS_TABLE):
        return
    connection.create_schema(OPS_SCHEMA)
    connection.create_table(
        ATTEMPTS_TABLE,
        (
            "period VARCHAR NOT NULL",
            "kind VARCHAR NOT NULL",
            "run_id VARCHAR NOT NULL",
            "attempted_at TIMESTAMP NOT NULL",
            "ok BOOLEAN NOT NULL",
            "message VARCHAR",
        ),
        primary_key=("period", "kind", "run_id"),
    )
    if table_exists(connection, _OLD_ATTEMPTS_TABLE):  # a DuckDB warehouse of an older release
        connection.execute(
            f"INSERT OR REPLACE INTO {ATTEMPTS_TABLE} "
            "SELECT period, kind, run_id, attempted_at, ok, message "
            f"FROM {_OLD_ATTEMPTS_TABLE}"
        )
        connection.execute(f"DROP TABLE {_OLD_ATTEMPTS_TABLE}")


def record_attempt(
    connection: Warehouse,
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
    for period in months:  # replaces the run's earlier outcome for the month, if any
        connection.execute(
            f"delete from {ATTEMPTS_TABLE} where period = ? and kind = ? and run_id = ?",
            [period, kind, run_id],
        )
        connection.execute(
            f"insert into {ATTEMPTS_TABLE} "
            "(period, kind, run_id, attempted_at, ok, message) values (?, ?, ?, ?, ?, ?)",
            [period, kind, run_id, now, ok, message],
        )


def _latest_month(connection: Warehouse, tables: list[str]) -> str | None:
    months = []
    for table in tables:
        if table_exists(connection, table):
            row = connection.execute(f"select max(period) from {table}").fetchone()
            if row and row[0]:
                months.append(str(row[0]))
    return max(months, default=None)


def _latest_deal_month(connection: Warehouse, today: str) -> str | None:
    """The month of the latest won deal delivered, at most ``today`` (a typo of 2030 in a close
    date is the future-close warning's finding, not 50 months to list)."""
    if not table_exists(connection, DEALS_TABLE):
        return None
    row = connection.execute(
        f"select max(close_date) from {DEALS_TABLE} where is_won and close_date < ?",
        [month_start(next_period(today))],
    ).fetchone()
    return period_of(row[0]) if row and row[0] else None


def month_statuses(
    connection: Warehouse, first_period: str, today: str | None = None
) -> list[MonthStatus]:
    """The state of every month from ``first_period`` to the latest month with data.

    The latest month with data: that of the latest won deal (up to ``today``, the current
    month), of the latest credit or draft, or of the latest close.
    """
    closes: dict[str, tuple] = {}
    if table_exists(connection, f"{FINANCE_SCHEMA}.closes"):
        for row in connection.execute(
            f"select period, run_id, published_at, payouts, lines from {FINANCE_SCHEMA}.closes"
        ).fetchall():
            closes[row[0]] = row
    nets: dict[str, dict[str, Decimal]] = {}
    if table_exists(connection, f"{FINANCE_SCHEMA}.payouts"):
        for period, currency, net in connection.execute(
            f"select period, currency, sum(net_payout) from {FINANCE_SCHEMA}.payouts "
            "group by 1, 2 order by 1, 2"
        ).fetchall():
            nets.setdefault(period, {})[str(currency)] = Decimal(net or 0)
    latest_attempts: dict[str, tuple] = {}
    attempts = next(
        (t for t in (ATTEMPTS_TABLE, _OLD_ATTEMPTS_TABLE) if table_exists(connection, t)), None
    )
    if attempts is not None:  # an older warehouse not yet written to keeps the old table
        for row in connection.execute(
            "select period, run_id, attempted_at, ok, message from ("
            "select *, row_number() over (partition by period order by attempted_at desc, "
            f"case when ok then 1 else 0 end) as attempt_rank from {attempts}) as attempts "
            "where attempt_rank = 1"
        ).fetchall():
            latest_attempts[row[0]] = row
    data = _latest_month(
        connection,
        ["marts.fct_credits", f"{FINANCE_SCHEMA}.credits", draft_tables()["payouts"]],
    )
    deals = _latest_deal_month(connection, today or period_of(date.today()))
    last = max((m for m in (data, deals, max(closes, default=None)) if m), default=first_period)
    statuses: list[MonthStatus] = []
    published_since: datetime | None = None  # the latest publication of an earlier month
    for period in period_range(first_period, max(last, first_period)):
        if period in closes:
            _, run_id, at, payouts, lines = closes[period]
            statuses.append(
                MonthStatus(period, "published", run_id, at, payouts, lines, nets.get(period, {}))
            )
            published_since = max(at, published_since) if published_since else at
            continue
        attempt = latest_attempts.get(period)
        stale = attempt is not None and published_since is not None and attempt[2] < published_since
        if attempt is not None and not attempt[3] and not stale:
            _, run_id, at, _, message = attempt
            statuses.append(MonthStatus(period, "failing", run_id, at, reason=message))
        else:
            statuses.append(MonthStatus(period, "open"))
    return statuses


def next_to_close(statuses: list[MonthStatus]) -> str | None:
    """The month a close would publish next: the first that is not published."""
    return next((m.period for m in statuses if m.state != "published"), None)


# -------------------------------------------------------------------------------- snapshot

SNAPSHOT_FILE = "status.json"


def save_snapshot(state_dir: Path, first_period: str, statuses: list[MonthStatus]) -> None:
    """Keep the listing beside the warehouse, for ``status`` while a close holds it."""
    state_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "taken_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        "first_period": first_period,
        "months": [
            {**asdict(m), "at": m.at.isoformat() if m.at else None, "net": _text(m.net)}
            for m in statuses
        ],
    }
    fd, temp = tempfile.mkstemp(prefix=".status.", suffix=".tmp", dir=state_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    os.replace(temp, state_dir / SNAPSHOT_FILE)


def load_snapshot(state_dir: Path) -> tuple[datetime, str, list[MonthStatus]] | None:
    """The last saved listing: when it was taken (UTC), first_period, the months; or None."""
    try:
        data = json.loads((state_dir / SNAPSHOT_FILE).read_text(encoding="utf-8"))
        months = [
            MonthStatus(
                **{
                    **m,
                    "at": datetime.fromisoformat(m["at"]) if m["at"] else None,
                    "net": {c: Decimal(v) for c, v in m["net"].items()},
                }
            )
            for m in data["months"]
        ]
        return datetime.fromisoformat(data["taken_at"]), str(data["first_period"]), months
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _text(net: Mapping[str, Decimal]) -> dict[str, str]:
    return {currency: str(amount) for currency, amount in net.items()}
