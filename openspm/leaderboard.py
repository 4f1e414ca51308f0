"""The leaderboard: attainment ranked by role and team (docs/modelling.md, "The leaderboard").

dbt computes it (``int_leaderboard``) and the close publishes it (``finance.leaderboard``);
here it is read back: a rep's rank for a statement (``rep_ranks``, when openspm.yaml sets
``leaderboard: {show_rank_on_statements: true}``) and the close report's section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openspm.quality.report import Section
from openspm.settings import Settings
from openspm.warehouse import DATABASE_ERRORS, Warehouse, table_exists

PUBLISHED = "finance.leaderboard"
DRAFTS = "marts.fct_leaderboard"
TOP = 3  # people listed per role in the close report
RANK_COLUMNS = (  # the columns of finance.leaderboard a Rank holds, in its order
    "employee_id",
    "period",
    "plan_id",
    "quota_period_start",
    "role",
    "attainment",
    "rank_in_role",
    "role_size",
    "rank_in_team",
    "team_size",
)


@dataclass(frozen=True)
class Rank:
    """A rep's place in one month's leaderboard (one plan, one quota period)."""

    employee_id: str
    period: str
    plan_id: str
    quota_period_start: date
    role: str
    attainment: Decimal
    rank_in_role: int
    role_size: int
    rank_in_team: int
    team_size: int

    def text(self) -> str:
        """``Rank 3 of 12 (Account Executive), 2 of 5 in the team; attainment 104.2%``."""
        return (
            f"Rank {self.rank_in_role} of {self.role_size} ({self.role}), "
            f"{self.rank_in_team} of {self.team_size} in the team; attainment "
            f"{self.attainment * 100:.1f}% of quota for the period from {self.quota_period_start}"
        )


def rep_ranks(
    connection: Warehouse,
    settings: Settings,
    employee_id: str,
    period: str,
) -> list[Rank]:
    """The rep's published ranks of ``period`` (usually one: one plan, one quota period).

    Empty when openspm.yaml does not turn ranks on for statements (the default), when the
    month is not published, or when the rep has no quota-based component.
    """
    if not settings.leaderboard.show_rank_on_statements:
        return []
    if not table_exists(connection, PUBLISHED):
        return []
    rows = connection.execute(
        f"select {', '.join(RANK_COLUMNS)} from {PUBLISHED} "
        "where employee_id = ? and period = ? order by quota_period_start desc, plan_id",
        [employee_id, period],
    ).fetchall()
    return [Rank(*row) for row in rows]


def leaderboard_section(
    connection: Warehouse | None, period: str, *, published: bool
) -> list[Section]:
    """The close report's leaderboard: the top of each role (published, else the drafts)."""
    relation = PUBLISHED if published else DRAFTS
    if connection is None or not table_exists(connection, relation):
        return []
    try:
        rows = connection.execute(
            f"""
            select board.role, board.role_size, board.rank_in_role, board.employee_id,
                trim(coalesce(people.first_name, '') || ' ' || coalesce(people.last_name, '')),
                board.attainment, board.quota_period_start
            from {relation} as board
            left join staging.stg_hris__employees as people using (employee_id)
            where board.period = ? and board.rank_in_role <= ?
            order by board.role, board.quota_period_start, board.rank_in_role,
                board.employee_id
            """,
            [period, TOP],
        ).fetchall()
    except DATABASE_ERRORS:
        return []
    if not rows:
        return []
    lines: list[str] = []
    current: tuple | None = None
    entries: list[str] = []
    for role, size, rank, employee, name, attainment, start in rows:
        if current != (role, start):
            if current is not None:
                lines.append(f"{current[0]}: " + "; ".join(entries))
            current, entries = (role, start), []
        who = f"{employee} {name}".strip()
        entries.append(f"{rank}. {who} {attainment * 100:.1f}% (of {size})")
    if current is not None:
        lines.append(f"{current[0]}: " + "; ".join(entries))
    where = "finance.leaderboard" if published else "the drafts (marts.fct_leaderboard)"
    lines.append(
        f"Attainment to date over each plan's quota-based components, top {TOP} per role, from "
        f"{where}; the ranks by team are in the table."
    )
    return [Section(f"Leaderboard ({period})", tuple(lines))]
