"""The close report: what a close found, in words for a compensation administrator.

``write_report`` writes ``close-report.md`` and ``close-report.html`` (self-contained, inline
CSS, every value escaped) into a month's output folder, normally ``<workspace>/out/<YYYY-MM>/``.
Order: headline (month, published or NOT published and why, run id, time), blocking failures
(each check with a table of where / value / what is wrong), checks not run and why, warnings,
exceptions (credits that belong to no plan), extra sections, then the checks that passed.
No SQL and no dbt node ids in the main text; those appear only in a small "technical detail".
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from openspm.money import money
from openspm.periods import month_start, parse_period
from openspm.quality.findings import MAX_FINDINGS, CheckOutcome, Finding, Severity, Status

MARKDOWN_FILE = "close-report.md"
HTML_FILE = "close-report.html"
PUBLISHED = "published"
NOT_PUBLISHED = "not_published"
VALIDATED = "validated"  # openspm validate: checked on a scratch copy, nothing published
HEADLINES = {PUBLISHED: "published", VALIDATED: "checked (validation only, nothing published)"}


@dataclass(frozen=True)
class CurrencyTotals:
    """One currency's payouts of the month (the report never adds currencies together)."""

    currency: str
    payouts: int
    commission: Decimal
    spiff: Decimal
    adjustments: Decimal
    net: Decimal


@dataclass(frozen=True)
class Section:
    """An extra section of the report: a heading and plain lines (e.g. files written)."""

    title: str
    lines: Sequence[str] = field(default_factory=tuple)


def write_report(
    out_dir: Path,
    period: str,
    run_id: str,
    status: str,
    cause: str | None,
    outcomes: Sequence[CheckOutcome],
    exceptions: Sequence[Finding],
    extra_sections: Sequence[Section] = (),
    *,
    totals: Sequence[CurrencyTotals] = (),
    generated_at: datetime | None = None,
) -> tuple[Path, Path]:
    """Write the month's close report into ``out_dir``; returns (markdown path, html path).

    ``status`` is ``"published"`` or ``"not_published"``; ``cause`` is one sentence saying why
    (None: derived from the outcomes, naming the first blocking failure); ``totals`` are the
    month's payouts per currency (published, else the drafts). Each file is written to a
    temporary file and moved into place, so a reader never sees half a report.
    """
    period = parse_period(period)
    context = _context(
        period,
        run_id,
        status,
        cause,
        outcomes,
        exceptions,
        extra_sections,
        generated_at or datetime.now(UTC),
    )
    context["totals"] = [
        {
            "currency": t.currency,
            "payouts": t.payouts,
            **{
                name: money(getattr(t, name))
                for name in ("commission", "spiff", "adjustments", "net")
            },
        }
        for t in totals
    ]
    context["totals_note"] = (
        "What was published for the month, per payout currency."
        if status == PUBLISHED
        else "The month's drafts, per payout currency: nothing of it is published."
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    md_path = out_dir / MARKDOWN_FILE
    html_path = out_dir / HTML_FILE
    for path, html in ((md_path, False), (html_path, True)):
        name = "close-report.html.j2" if html else "close-report.md.j2"
        text = _environment(html=html).get_template(name).render(**context)
        _atomic_write(path, text.rstrip("\n") + "\n")  # one final newline
    return md_path, html_path


def default_cause(status: str, outcomes: Sequence[CheckOutcome]) -> str:
    """One sentence: why the month was or was not published."""
    blocking = [o for o in outcomes if o.blocks]
    if status == PUBLISHED:
        return "Every blocking check passed, so the month's payouts were published."
    if status == VALIDATED:
        verdict = (
            f"{len(blocking)} blocking check(s) would stop the close; the first: "
            f"{blocking[0].first_line()}."
            if blocking
            else "Every blocking check passed: the month can be closed."
        )
        return f"Checked by openspm validate, which publishes nothing. {verdict}"
    if not blocking:
        return "The month was not published."
    failed = [o for o in blocking if o.status == Status.FAILED]
    not_run = [o for o in blocking if o.status == Status.NOT_RUN]
    first = (failed or blocking)[0]
    more = []
    if failed and len(failed) > 1:
        others = len(failed) - 1
        more.append(f"{others} more blocking problem{'s' if others != 1 else ''} listed below")
    if not_run and failed:
        more.append(
            f"{len(not_run)} blocking check{'s' if len(not_run) != 1 else ''} did not run, "
            "listed under Checks not run"
        )
    tail = f" ({'; '.join(more)})" if more else ""
    return f"Not published because of {first.first_line()}{tail}."


# ------------------------------------------------------------------------------------- helpers


def _context(
    period: str,
    run_id: str,
    status: str,
    cause: str | None,
    outcomes: Sequence[CheckOutcome],
    exceptions: Sequence[Finding],
    extra_sections: Sequence[Section],
    generated_at: datetime,
) -> dict[str, Any]:
    published = status == PUBLISHED
    month_name = f"{month_start(period):%B %Y}"
    blocking = [
        o for o in outcomes if o.severity == Severity.BLOCKING and o.status == Status.FAILED
    ]
    warnings = [o for o in outcomes if o.severity == Severity.WARNING and o.status == Status.FAILED]
    stamp = generated_at.astimezone(UTC) if generated_at.tzinfo else generated_at
    return {
        "period": period,
        "month_name": month_name,
        "published": published,
        "headline": f"{month_name}: {HEADLINES.get(status, 'NOT published')}",
        "cause": cause or default_cause(status, outcomes),
        "run_id": run_id,
        "generated_at": f"{stamp:%Y-%m-%d %H:%M} UTC",
        "blocking": [_view(o) for o in blocking],
        "blocking_total": sum(max(o.total, len(o.findings)) for o in blocking),
        "warnings_total": sum(max(o.total, len(o.findings)) for o in warnings),
        "not_run": [_view(o) for o in outcomes if o.status == Status.NOT_RUN],
        "warnings": [_view(o) for o in warnings],
        "passed": [_view(o) for o in outcomes if o.status == Status.PASSED],
        "exceptions": list(exceptions[:MAX_FINDINGS]),
        "exceptions_total": len(exceptions),
        "extra_sections": list(extra_sections),
    }


def _view(o: CheckOutcome) -> dict[str, Any]:
    return {
        "title": o.title,
        "total": max(o.total, len(o.findings)),
        "findings": o.findings,
        "detail": o.detail,
        "technical": o.technical,
        "severity_text": "blocking" if o.severity == Severity.BLOCKING else "warning",
    }


def _environment(*, html: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=not html,
        lstrip_blocks=not html,
        keep_trailing_newline=True,
    )
    env.filters["md"] = _md
    env.filters["mdvalue"] = lambda v: "" if v is None else _md(v)
    return env


def _template_source(name: str) -> str:
    return resources.files("openspm.quality").joinpath("templates", name).read_text("utf-8")


def _md(value: Any) -> str:
    """Text safe in a Markdown table cell: no line breaks, pipes, HTML or code spans."""
    text = " ".join(str(value).split())
    for char in ("\\", "|", "<", ">", "`", "*", "["):
        text = text.replace(char, "\\" + char)
    return text


def _atomic_write(path: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes it 0600; a report is for people to read
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
