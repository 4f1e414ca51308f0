"""What ``openspm model`` is asked (``ModelRequest``) and what a run left (``ModelResult``).

Light on purpose: the command line imports it without the engine, the report or Matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openspm.warehouse import read_only, table_exists
from openspm.workspace import Workspace

SCHEMA = "modelling"
MARKDOWN_FILE = "report.md"


@dataclass(frozen=True)
class ModelRequest:
    """What to model: the candidate plans and the range (``--from``, ``--to``)."""

    plans: Path
    first: str
    through: str
    assignments: Path | None = None
    quotas: Path | None = None


@dataclass(frozen=True)
class ScenarioOutcome:
    name: str
    total_cost: object
    change: object
    change_share: object
    cost_of_sales: object
    engine_seconds: float


@dataclass(frozen=True)
class ModelResult:
    run_id: str
    first: str
    through: str
    currency: str
    scenarios: tuple[ScenarioOutcome, ...]
    markdown: Path
    html: Path
    seconds: float

    def summary(self) -> str:
        """Where the tables and report are, then one line per scenario."""
        lines = []
        for s in self.scenarios:
            change = (
                ""
                if s.name == "current"
                else f", {s.change:+,.2f} ({s.change_share * 100:+.1f}%) against current"
                if s.change_share is not None
                else f", {s.change:+,.2f} against current"
            )
            sales = f", cost of sales {s.cost_of_sales * 100:.2f}%" if s.cost_of_sales else ""
            lines.append(f"  {s.name}: {s.total_cost:,.2f} {self.currency}{change}{sales}")
        took = f" in {self.seconds:.1f} s" if self.seconds else ""
        return (
            f"modelled {len(self.scenarios)} plan set(s) over {self.first} to {self.through}"
            f"{took} (run {self.run_id}); tables: {SCHEMA}.*; report: {self.html}\n"
            + "\n".join(lines)
        )


def latest_result(ws: Workspace) -> ModelResult | None:
    """The latest modelling run recorded in the workspace's ``modelling`` schema."""
    with read_only(ws) as connection:
        if connection is None or not table_exists(connection, f"{SCHEMA}.runs"):
            return None
        row = connection.execute(
            f"select run_id, from_period, to_period, report, created_at from {SCHEMA}.runs "
            "order by created_at desc limit 1"
        ).fetchone()
        if row is None:
            return None
        run_id, first, through, report, _ = row
        rows = connection.execute(
            f"select scenario, total_cost, change, change_share, cost_of_sales, currency "
            f"from {SCHEMA}.summary where run_id = ? order by is_current desc, scenario",
            [run_id],
        ).fetchall()
    html = Path(report)
    return ModelResult(
        run_id,
        first,
        through,
        rows[0][5] if rows else ws.settings.reporting_currency,
        tuple(ScenarioOutcome(r[0], r[1], r[2], r[3], r[4], 0.0) for r in rows),
        html.with_name(MARKDOWN_FILE),
        html,
        0.0,
    )
