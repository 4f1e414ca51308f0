"""A statement as HTML (self-contained, phone and print friendly), CSV (the same lines, for
analysts) and plain text (``openspm statement --format text``). docs/statements.md.

The HTML marks each summary amount with ``data-total="<item>"`` and the CSV has one ``summary``
row per item: the totals gate (gate.py) reads them back from the files.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import cache
from html import escape

import jinja2
from markupsafe import Markup

from openspm.statements.model import (
    SUMMARY_ITEMS,
    YTD_ITEMS,
    ZERO,
    ComponentLine,
    CreditLine,
    CreditSummary,
    Statement,
)
from openspm.statements.tiers import CENT, amount_text, percent_text

CSV_COLUMNS = (
    "section",
    "plan_id",
    "component_id",
    "quota_period_start",
    "item",
    "deal_id",
    "account",
    "credit_type",
    "date",
    "source_amount",
    "source_currency",
    "fx_rate",
    "amount",
    "currency",
    "detail",
)
TOTAL_ITEMS = (*(k for k, _ in SUMMARY_ITEMS), "net_payout")
CHART_WIDTH = 320
BAR_HEIGHT = 18


_EXACT = Context(prec=80, rounding=ROUND_HALF_UP)


def plain(value: Decimal) -> str:
    """A stored amount as text, unchanged: ``100.00000`` -> ``100.00``, ``0.3333`` -> ``0.3333``
    (openspm.money.money, without a decimal context per call: statements format millions)."""
    rounded = value.quantize(CENT, context=_EXACT)
    if rounded == value:
        return f"{rounded:f}"
    return f"{value.normalize(_EXACT):f}"


def credit_rows(credits: list[CreditLine]) -> Markup:
    """The rows of the credits table (built here, not in the template: a month can list
    hundreds of thousands of credits)."""
    parts = []
    for cr in credits:
        event = (
            f'<br><span class="note">{escape(cr.event_type)} {escape(cr.event_id or "")}</span>'
            if cr.event_type and cr.event_type != "deal"
            else ""
        )
        kind = escape(cr.kind)
        if cr.entry == "reverse" or cr.is_reversal:
            kind = f'<span class="tag rev">{kind}</span>'
        negative = " neg" if cr.amount < 0 else ""
        parts.append(
            f"<tr><td>{cr.credit_date}</td><td>{escape(cr.deal_id or '')}{event}</td>"
            f"<td>{escape(cr.account or '')}</td><td>{kind}</td>"
            f"<td>{escape(cr.plan_id)} / {escape(cr.component_id)}</td>"
            f'<td class="num">{amount_text(cr.source_amount)} {escape(cr.source_currency)}</td>'
            f'<td class="num">{cr.fx_rate.normalize(_EXACT):f}</td>'
            f'<td class="num{negative}">{amount_text(cr.amount)} {escape(cr.currency)}</td></tr>\n'
        )
    return Markup("".join(parts))


def credit_summary_rows(summaries: list[CreditSummary]) -> Markup:
    """The go-live month's rows counting the credits dated before first_period, one per plan,
    component and quota period (first in the credits table)."""
    parts = []
    for cs in summaries:
        period = f" (quota period from {cs.quota_period_start})" if cs.quota_period_start else ""
        noun = "credit" if cs.count == 1 else "credits"
        negative = " neg" if cs.amount < 0 else ""
        parts.append(
            f'<tr class="summary"><td>{cs.first_date} to {cs.last_date}</td>'
            f"<td>{cs.count:,} {noun}</td><td></td>"
            f"<td>dated before {escape(cs.before)}, counted at go-live</td>"
            f"<td>{escape(cs.plan_id)} / {escape(cs.component_id)}{escape(period)}</td>"
            f'<td class="num"></td><td class="num"></td>'
            f'<td class="num{negative}">{amount_text(cs.amount)} {escape(cs.currency)}</td>'
            "</tr>\n"
        )
    return Markup("".join(parts))


def _row(label: str, value: str, css: str = "") -> str:
    return f'<tr{css}><td>{label}</td><td class="num">{value}</td></tr>\n'


def component_blocks(components: list[ComponentLine]) -> Markup:
    """Each component and quota period: a heading and its table (built here, not in the
    template: a statement holds a dozen of them, ten thousand statements a close)."""
    parts = []
    for c in components:
        period = ""
        if c.quota_period_start:
            kind = "plan year" if c.is_spiff else "quota period"
            period = f" &middot; {kind} from {c.quota_period_start}"
        tag = ' <span class="tag">SPIFF</span>' if c.is_spiff else ""
        parts.append(f"<h3>{escape(c.label)}{period}{tag}</h3>\n<div class=\"scroll\"><table>\n")
        if c.quota is not None:
            parts.append(_row("Quota", amount_text(c.quota)))
        if c.credit_to_date is not None:
            label = "SPIFF earned to date" if c.is_spiff else "Credit to date"
            parts.append(_row(label, amount_text(c.credit_to_date)))
        if c.attainment is not None:
            parts.append(_row("Attainment", percent_text(c.attainment)))
        if c.tier:
            parts.append(_row("Tier reached", escape(c.tier)))
        if c.steps:
            items = "".join(
                f"<li>{escape(step.text)} = {amount_text(step.amount)}</li>" for step in c.steps
            )
            parts.append(
                '<tr><td colspan="2">How the earnings add up:\n'
                f'<ol class="steps">{items}</ol></td></tr>\n'
            )
        if c.steps_note:
            parts.append(f'<tr><td colspan="2" class="note">{escape(c.steps_note)}</td></tr>\n')
        parts.append(_row("Earnings to date", amount_text(c.earnings_to_date or ZERO)))
        first = f" (first paid {escape(c.first_paid)})" if c.first_paid else ""
        parts.append(_row(f"Paid before{first}", amount_text(c.paid_before)))
        if not c.is_spiff:
            parts.append(_row("Commission this month", amount_text(c.commission)))
            parts.append(_row("Restatement", amount_text(c.restatement)))
        parts.append(
            _row(f"Due now ({escape(c.currency)})", amount_text(c.due_now), ' class="total"')
        )
        parts.append("</table></div>\n")
    return Markup("".join(parts))


def month_name(period: str) -> str:
    return date(int(period[:4]), int(period[5:]), 1).strftime("%B %Y")


def signed(value: Decimal | None) -> str:
    return "" if value is None else amount_text(value)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("openspm.statements", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["amount"] = signed
    env.filters["percent"] = lambda v: "" if v is None else percent_text(v)
    env.filters["sentence"] = lambda text: text[:1].upper() + text[1:]
    env.globals["month_name"] = month_name
    return env


def chart(components: list[ComponentLine]) -> dict | None:
    """Bars of attainment per quota-based component (inline SVG data), None without any."""
    shown = [c for c in components if c.attainment is not None and not c.is_spiff]
    if not shown:
        return None
    top = max([Decimal("1.5"), *(c.attainment * Decimal("1.1") for c in shown)])  # type: ignore[operator]
    label_width = 110
    width = CHART_WIDTH - label_width - 60
    bars = []
    for number, line in enumerate(shown):
        fraction = max(Decimal(0), line.attainment or Decimal(0)) / top
        bars.append(
            {
                "y": 8 + number * (BAR_HEIGHT + 10),
                "width": int(fraction * width),
                "label": line.component_id,
                "value": percent_text(line.attainment or Decimal(0)),
                "over": (line.attainment or 0) >= 1,
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": 16 + len(shown) * (BAR_HEIGHT + 10),
        "left": label_width,
        "plot": width,
        "quota_x": label_width + int(width / top),
        "bar_height": BAR_HEIGHT,
        "bars": bars,
    }


def render_html(statement: Statement) -> str:
    template = _environment().get_template("statement.html.j2")
    return template.render(
        s=statement,
        summary_items=SUMMARY_ITEMS,
        ytd_items=YTD_ITEMS,
        chart=chart(statement.components),
        credit_rows=credit_summary_rows(statement.credit_summaries)
        + credit_rows(statement.credits),
        component_blocks=component_blocks(statement.components),
    )


def render_text(statement: Statement) -> str:
    template = _environment().get_template("statement.txt.j2")
    return template.render(s=statement, summary_items=SUMMARY_ITEMS, ytd_items=YTD_ITEMS)


def csv_rows(s: Statement) -> list[list[str]]:
    """The statement's lines, one list per CSV row (columns: CSV_COLUMNS)."""
    rows: list[list[str]] = []
    index = {c: i for i, c in enumerate(CSV_COLUMNS)}
    width = len(CSV_COLUMNS)

    def add(section: str, item: str, **values: object) -> None:
        row = [""] * width
        row[0], row[4] = section, item
        for column, value in values.items():
            if value is None:
                continue
            if isinstance(value, Decimal):
                text = f"{value.normalize(_EXACT):f}" if column == "fx_rate" else plain(value)
            else:
                text = str(value)
            row[index[column]] = text
        rows.append(row)

    header = {
        "company": s.company,
        "employee_id": s.employee_id,
        "employee_name": s.person.name,
        "manager": f"{s.manager.name} ({s.manager.employee_id})" if s.manager else "",
        "period": s.period,
        "payout_currency": s.currency,
        "run_id": s.run_id,
        "closed_at": f"{s.closed_at:%Y-%m-%d %H:%M:%S} UTC",
        "year_to_date_from": s.ytd_from or "",
    }
    for item, value in header.items():
        add("header", item, detail=value)
    for plan in s.plans:
        add("plan", plan.plan_id, date=plan.start, currency=plan.currency, detail=plan.name)
    for key, label in SUMMARY_ITEMS:
        add("summary", key, amount=s.summary[key], currency=s.currency, detail=label)
    add("summary", "net_payout", amount=s.net_payout, currency=s.currency, detail="Net payout")
    add("summary", "negative_carry_out", amount=s.negative_carry_out, currency=s.currency,
        detail="Negative balance carried to next month")
    for key, label in YTD_ITEMS:
        if key in s.ytd:
            add("year_to_date", key, amount=s.ytd[key], currency=s.currency, detail=label)
    for label, amount, currency, rate, value in s.converted_lines:
        add("conversion", label, source_amount=amount, source_currency=currency, fx_rate=rate,
            amount=value, currency=s.currency)
    for c in s.components:
        start = "" if c.quota_period_start is None else str(c.quota_period_start)
        head = [c.plan_id, c.component_id, start]

        def part(
            section: str, item: str, amount: str, currency: str, detail: str = "",
            head: list[str] = head,
        ) -> None:
            rows.append([section, *head, item, "", "", "", "", "", "", "", amount, currency,
                         detail])

        for item in ("quota", "credit_to_date"):
            value = getattr(c, item)
            if value is not None:
                part("component", item, plain(value), c.currency)
        if c.attainment is not None:
            part("component", "attainment", plain(c.attainment), "")
        if c.tier:
            part("component", "tier", "", "", c.tier)
        for number, step in enumerate(c.steps, start=1):
            part("tier_step", str(number), plain(step.amount), c.currency, step.text)
        if c.steps_note:
            part("component", "note", "", "", c.steps_note)
        part("component", "earnings_to_date", plain(c.earnings_to_date or ZERO), c.currency)
        for item in ("paid_before", "commission", "restatement", "spiff"):
            part("component", item, plain(getattr(c, item)), c.currency)
        part("component", "due_now", plain(c.due_now), c.currency)
    for r in s.ranks:
        add("rank", r.role, plan_id=r.plan_id, quota_period_start=r.quota_period_start,
            detail=r.text())
    for cs in s.credit_summaries:
        add("credit_summary", str(cs.count), plan_id=cs.plan_id, component_id=cs.component_id,
            quota_period_start=cs.quota_period_start, date=cs.last_date, amount=cs.amount,
            currency=cs.currency, detail=cs.text)
    for cr in s.credits:  # the bulk of a statement: built directly
        rows.append([
            "credit", cr.plan_id, cr.component_id,
            "" if cr.quota_period_start is None else str(cr.quota_period_start), cr.entry,
            cr.deal_id or "", cr.account or "", cr.kind, str(cr.credit_date),
            plain(cr.source_amount), cr.source_currency, f"{cr.fx_rate.normalize(_EXACT):f}",
            plain(cr.amount), cr.currency,
            f"{cr.event_type} {cr.event_id}" if cr.event_type != "deal" else "",
        ])
    for r in s.restatements:
        where = {"plan_id": r.plan_id, "component_id": r.component_id,
                 "quota_period_start": r.quota_period_start}
        add("restatement", r.line_type, **where, amount=r.amount, currency=r.currency,
            detail=f"first paid {r.first_paid}: {r.cause}" if r.first_paid else r.cause)
        for change in r.changes:
            add("restatement_change", "deal", **where, deal_id=change.deal_id,
                account=change.account, amount=change.change, currency=r.currency,
                detail=change.text)
    for a in s.adjustments:
        add("adjustment", a.adjustment_id, amount=a.amount, currency=a.currency, detail=a.reason)
    add("draw", "balance_before", amount=s.draw_balance_before, currency=s.currency)
    add("draw", "balance_after", amount=s.draw_balance_after, currency=s.currency)
    for m in s.team or []:
        add("team", m.employee_id, amount=m.net_payout, currency=m.currency,
            detail=f"{m.name}; attainment: {m.attainment}")
    return rows


def render_csv(statement: Statement) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(statement))
    return buffer.getvalue()
