"""The modelling report: HTML with charts (inline SVG) and Markdown for terminals.

Read from the comparison tables (``modelling_out`` of the scratch copy, or ``modelling`` of the
workspace's warehouse, which hold the same rows) and written as ``report.html`` and
``report.md`` into ``out/modelling/<run>/``, each through a temporary file.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from openspm.modelling import charts

MARKDOWN_FILE = "report.md"
HTML_FILE = "report.html"
ROLES_SHOWN = 8
PLANS_SHOWN = 20  # rows of the Markdown's cost by plan (the HTML lists every plan)


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, read once from the comparison tables."""

    run_id: str
    first: str
    through: str
    currency: str
    summary: list[dict[str, Any]]
    by_month: list[dict[str, Any]]
    by_plan: list[dict[str, Any]]
    by_role: list[dict[str, Any]]
    movers: list[dict[str, Any]]
    employees: list[dict[str, Any]]
    notes: list[str]

    @property
    def scenarios(self) -> list[str]:
        return [row["scenario"] for row in self.summary]


def _rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = connection.execute(sql)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_data(
    connection: duckdb.DuckDBPyConnection,
    schema: str,
    *,
    run_id: str,
    first: str,
    through: str,
    currency: str,
    notes: list[str],
) -> ReportData:
    return ReportData(
        run_id=run_id,
        first=first,
        through=through,
        currency=currency,
        summary=_rows(connection, f"select * from {schema}.summary"),
        by_month=_rows(connection, f"select * from {schema}.cost_by_month order by period"),
        by_plan=_rows(connection, f"select * from {schema}.cost_by_plan"),
        by_role=_rows(connection, f"select * from {schema}.cost_by_role"),
        movers=_rows(connection, f"select * from {schema}.movers order by scenario, rank"),
        employees=_rows(
            connection, f"select scenario, cost, attainment from {schema}.employees"
        ),
        notes=notes,
    )


def chart_figures(data: ReportData) -> dict[str, Any]:
    """The report's charts as matplotlib figures, by name (the caller renders and closes them)."""
    names = data.scenarios
    figures: dict[str, Any] = {
        "total": charts.total_cost(
            names, [r["total_cost"] for r in data.summary], data.currency
        )
    }
    series: dict[str, list[tuple[str, Decimal]]] = {n: [] for n in names}
    for row in data.by_month:
        series.setdefault(row["scenario"], []).append((row["period"], row["cost"] or Decimal(0)))
    figures["months"] = charts.cost_by_month(series, data.currency)
    payouts: dict[str, list[float]] = {n: [] for n in names}
    attainment: dict[str, list[float]] = {n: [] for n in names}
    for row in data.employees:
        payouts.setdefault(row["scenario"], []).append(float(row["cost"] or 0))
        if row["attainment"] is not None:
            attainment.setdefault(row["scenario"], []).append(float(row["attainment"]))
    figures["payouts"] = charts.distribution(
        payouts, f"Cost per rep over the range ({data.currency}; box P25-P75, whiskers P10-P90)"
    )
    if any(attainment.values()):
        figures["attainment"] = charts.distribution(
            attainment,
            "Attainment of the quota periods completed in the range (box P25-P75, whiskers "
            "P10-P90)",
            percent=True,
        )  # fmt: skip
    by_role: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for row in data.by_role:
        by_role[row["scenario"]][row["role"]] = row["cost"] or Decimal(0)
    current = by_role.get("current", {})
    roles = sorted(current, key=lambda r: -current[r])[:ROLES_SHOWN] or sorted(
        {r for values in by_role.values() for r in values}
    )[:ROLES_SHOWN]
    figures["roles"] = charts.cost_by_role(
        roles,
        {n: [by_role.get(n, {}).get(r, Decimal(0)) for r in roles] for n in names},
        data.currency,
    )
    for name in names[1:]:
        moved = [m for m in data.movers if m["scenario"] == name]
        if moved:
            figures[f"movers:{name}"] = charts.movers(
                [f"{m['employee_id']} {m['employee_name']}".strip() for m in moved],
                [m["change"] for m in moved],
                f"{name}: reps whose pay moves most ({data.currency})",
            )
    return figures


def _environment(html: bool) -> jinja2.Environment:
    templates = resources.files("openspm.modelling") / "templates"
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["money"] = lambda v: "-" if v is None else f"{v:,.2f}"
    environment.filters["signed"] = lambda v: "-" if v is None else f"{v:+,.2f}"
    environment.filters["pct"] = lambda v: "-" if v is None else f"{v * 100:.1f}%"
    environment.filters["pct2"] = lambda v: "-" if v is None else f"{v * 100:.2f}%"
    environment.filters["spct"] = lambda v: "-" if v is None else f"{v * 100:+.1f}%"
    environment.filters["md"] = lambda v: str(v).replace("|", "\\|")
    return environment


def _atomic_write(path: Path, text: str) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _context(data: ReportData) -> dict[str, Any]:
    by_plan: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in data.by_plan:
        by_plan[row["scenario"]].append(row)
    by_role: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in data.by_role:
        by_role[row["scenario"]].append(row)
    role_costs: dict[str, dict[str, Any]] = defaultdict(dict)
    for row in data.by_role:
        role_costs[row["role"]][row["scenario"]] = row["cost"]
    current = role_costs and {r: c.get("current") or 0 for r, c in role_costs.items()}
    roles = sorted(role_costs, key=lambda r: (-(current or {}).get(r, 0), r))
    plan_costs: dict[str, dict[str, Any]] = defaultdict(dict)
    for row in data.by_plan:
        plan_costs[row["plan_id"]][row["scenario"]] = row["cost"]
    plans = sorted(
        plan_costs,
        key=lambda p: (-max((c or 0) for c in plan_costs[p].values()), p),
    )
    months = sorted({r["period"] for r in data.by_month})
    month_costs = {(r["scenario"], r["period"]): r["cost"] for r in data.by_month}
    return {
        "data": data,
        "by_plan": by_plan,
        "by_role": by_role,
        "roles": [(role, role_costs[role]) for role in roles],
        "plans": [(plan, plan_costs[plan]) for plan in plans],
        "plans_shown": PLANS_SHOWN,
        "months": months,
        "month_costs": month_costs,
        "movers": {n: [m for m in data.movers if m["scenario"] == n] for n in data.scenarios},
    }


def write_report(data: ReportData, out_dir: Path) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` into ``out_dir``; their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    context = _context(data)
    svgs = {name: charts.to_svg(figure) for name, figure in chart_figures(data).items()}
    md_path, html_path = out_dir / MARKDOWN_FILE, out_dir / HTML_FILE
    _atomic_write(md_path, _environment(False).get_template("report.md.j2").render(**context))
    _atomic_write(
        html_path,
        _environment(True)
        .get_template("report.html.j2")
        .render(**context, charts={k: jinja2.utils.markupsafe.Markup(v) for k, v in svgs.items()}),
    )
    return md_path, html_path


def markdown(data: ReportData) -> str:
    """The Markdown report as text (what the terminal shows)."""
    return _environment(False).get_template("report.md.j2").render(**_context(data))
