"""Checks of the won deals in staging (docs/contract.md section 6), with Great Expectations.

A won deal must have an amount of zero or more, a close date and a known currency (blocking,
``check_won_deals``), and should not close after today (a warning,
``check_future_close_dates``). Both look at all the deals, not one month, and each finding
names the deal, its file and row and the value as delivered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from openspm.periods import month_bounds
from openspm.quality.clean_batches import clean_files, remember_clean
from openspm.quality.findings import (
    MAX_FINDINGS,
    CheckOutcome,
    Finding,
    Severity,
    not_run,
    outcome,
)
from openspm.quality.gx_runner import ROW_ID, Expect, cell_text, date_text, validate
from openspm.quality.wording import missing_reason
from openspm.warehouse import Warehouse, missing_tables, table_exists

if TYPE_CHECKING:
    import pandas as pd

WON_DEALS = "won_deals_complete"
WON_DEALS_TITLE = "Won deals must have an amount of zero or more, a close date and a known currency"
FUTURE_CLOSE = "won_deals_future_close_date"
FUTURE_CLOSE_TITLE = (
    "Won deals should not close in the future (as of the end of the month being closed)"
)
DEALS = "crm__deals"
AS_OF_MONTH_END = "as-of-month-end"  # the clean-batch context of the future-close check




def check_won_deals(
    connection: Warehouse,
    period: str | None = None,
    *,
    extra_currencies: Sequence[str] = (),
) -> CheckOutcome:
    """Won deals with no amount, a negative amount, no close date, no or an unknown currency.

    Blocking; one finding per deal and problem, naming the deal, its source file and row and
    the value as delivered. Known currencies are those the fx models can convert: any currency
    in staging.stg_erp__fx_rates (either side), any plan currency (comp.plans, since a deal in
    its plan's currency needs no rate), and ``extra_currencies`` (e.g. the reporting currency).
    """
    del period
    missing = missing_tables(connection, ["staging.stg_crm__deals"])
    if missing:
        return not_run(WON_DEALS, WON_DEALS_TITLE, Severity.BLOCKING, missing_reason(missing))
    known = sorted(_known_currencies(connection) | {c.upper() for c in extra_currencies})
    context = hashlib.sha256(",".join(known).encode()).hexdigest()  # the currencies checked
    frame = _won_deals_frame(connection, clean_files(connection, WON_DEALS, DEALS, context))
    findings: list[Finding] = []
    total = 0
    detail = None
    if len(frame):
        expects = [
            Expect("no_amount", "ExpectColumnValuesToNotBeNull", {"column": "amount_number"}),
            Expect(
                "negative",
                "ExpectColumnValuesToBeBetween",
                {"column": "amount_number", "min_value": 0},
            ),
            Expect("no_close_date", "ExpectColumnValuesToNotBeNull", {"column": "close_date"}),
            Expect("no_currency", "ExpectColumnValuesToNotBeNull", {"column": "currency"}),
        ]
        if known:
            expects.append(
                Expect(
                    "unknown_currency",
                    "ExpectColumnValuesToBeInSet",
                    {"column": "currency", "value_set": known},
                )
            )
        else:
            detail = "no exchange rates and no plans are loaded, so currencies were not checked"
        counts: dict[str, int] = {}
        unexpected = validate(
            "won_deals", frame, expects, ["deal_id", "source_file", "source_row"], counts
        )
        failures = sorted(
            (index, order) for order, item in enumerate(expects) for index in unexpected[item.key]
        )
        total = sum(counts.values())
        listed = failures[:MAX_FINDINGS]  # only these are worded (a bad delivery may hold millions)
        rows = _with_delivered(connection, frame.iloc[[index for index, _ in listed]])
        findings = [
            _won_deal_finding(row, expects[order].key, known)
            for row, (_, order) in zip(rows, listed, strict=True)
        ]
        if total == len(listed):  # every failing row is known: the other files are clean
            failing = {str(row["source_file"]) for row in rows}
            clean = set(frame["source_file"].astype(str)) - failing
            remember_clean(connection, WON_DEALS, DEALS, clean, context)
    return outcome(
        WON_DEALS,
        WON_DEALS_TITLE,
        Severity.BLOCKING,
        findings,
        total=total,
        detail=detail,
        technical="staging.stg_crm__deals",
    )


def check_future_close_dates(
    connection: Warehouse, period: str
) -> CheckOutcome:
    """Won deals known by the end of ``period`` whose close date lies after it (warning).

    As of the end of the month being closed: a deal recorded as won (its ``modified_at``) by
    that day, with a close date after it, was won "in the future" when the month closed. Deals
    recorded later are normal data of later months, whatever day the close runs on, so the
    same data gives the same report on any day.
    """
    missing = missing_tables(connection, ["staging.stg_crm__deals"])
    if missing:
        return not_run(FUTURE_CLOSE, FUTURE_CLOSE_TITLE, Severity.WARNING, missing_reason(missing))
    _, month_end = month_bounds(period)
    # a file none of whose won deals closes after the month it was recorded in is never
    # flagged, for any month: looked at once
    skip = clean_files(connection, FUTURE_CLOSE, DEALS, AS_OF_MONTH_END)
    clean = _never_future(connection, skip)
    remember_clean(connection, FUTURE_CLOSE, DEALS, clean, AS_OF_MONTH_END)
    skip = [*skip, *clean]
    frame = _won_deals_frame(
        connection, skip, amounts=False, recorded_before=month_end + timedelta(days=1)
    )
    findings: list[Finding] = []
    total = 0
    if len(frame):
        latest = datetime(month_end.year, month_end.month, month_end.day)
        counts: dict[str, int] = {}
        unexpected = validate(
            "future_close_dates",
            frame,
            [
                Expect(
                    "future",
                    "ExpectColumnValuesToBeBetween",
                    {"column": "close_date", "max_value": latest},
                )
            ],
            ["deal_id", "source_file", "source_row"],
            counts,
        )
        total = counts["future"]
        for row in _with_delivered(connection, frame.iloc[unexpected["future"][:MAX_FINDINGS]]):
            findings.append(
                Finding(
                    _deal_where(row),
                    cell_text(row["delivered_close_date"]) or date_text(row["close_date"]),
                    f"the won deal closes on {date_text(row['close_date'])}, after the end of "
                    f"{period} ({month_end.isoformat()}), but was recorded as won on "
                    f"{date_text(row['modified_at'])}, before that day",
                )
            )
    return outcome(
        FUTURE_CLOSE,
        FUTURE_CLOSE_TITLE,
        Severity.WARNING,
        findings,
        total=total,
        technical="staging.stg_crm__deals (close_date vs the month's end, modified_at)",
    )


def _never_future(connection: Warehouse, skip: Sequence[str]) -> list[str]:
    """Files (but ``skip``) none of whose won deals closes after the month it was recorded in."""
    skipped, params = connection.in_list("source_file", skip)
    rows = connection.execute(
        "SELECT source_file FROM staging.stg_crm__deals "
        f"WHERE is_won AND NOT {skipped} GROUP BY source_file HAVING NOT bool_or(coalesce("
        "date_trunc('month', close_date) > date_trunc('month', modified_at), false))",
        params,
    ).fetchall()
    return [str(file) for (file,) in rows]


def _won_deals_frame(
    connection: Warehouse,
    skip: Sequence[str],
    *,
    amounts: bool = True,
    recorded_before: date | None = None,
) -> pd.DataFrame:
    """Won deals of staging, typed, but those of the files in ``skip`` (found clean before).

    Without ``amounts``, only the dates are read (millions of rows: a third of the memory);
    with ``recorded_before``, only deals last modified before that day. The delivered values:
    ``_with_delivered``, for the listed rows only.
    """
    money = (
        f", {connection.cast('d.amount', 'DOUBLE')} AS amount_number, "
        f"{connection.cast('d.amount', 'VARCHAR')} AS amount_text, d.currency"
        if amounts
        else ""
    )
    skipped, params = connection.in_list("d.source_file", skip)
    recorded = "" if recorded_before is None else "AND d.modified_at < ?"
    return connection.execute(
        f"""
        SELECT
            row_number() OVER (ORDER BY d.source_file, d.source_row, d.deal_id) - 1 AS {ROW_ID},
            d.deal_id, d.source_file, d.source_row, d.close_date, d.modified_at{money}
        FROM staging.stg_crm__deals AS d
        WHERE d.is_won AND NOT {skipped} {recorded}
        ORDER BY d.source_file, d.source_row, d.deal_id
        """,
        [*params, *([] if recorded_before is None else [recorded_before])],
    ).df()


def _with_delivered(
    connection: Warehouse, rows: pd.DataFrame
) -> list[dict[str, Any]]:
    """``rows`` of the won-deals frame with amount, close date and currency as delivered."""
    records = rows.to_dict("records")
    if not records or not table_exists(connection, "raw.crm__deals"):
        return [{**r, **dict.fromkeys(_DELIVERED)} for r in records]
    files, file_params = connection.in_list(
        "_file", sorted({str(r["source_file"]) for r in records})
    )
    rows, row_params = connection.in_list(
        "_row_number", sorted({int(r["source_row"]) for r in records})
    )
    found = connection.execute(  # a superset (files x rows) of the listed rows
        "SELECT _file, _row_number, amount, close_date, currency FROM raw.crm__deals "
        f"WHERE {files} AND {rows}",
        [*file_params, *row_params],
    ).fetchall()
    delivered = {(file, int(row)): tuple(values) for file, row, *values in found}
    missing = (None,) * len(_DELIVERED)
    return [
        {
            **r,
            **dict(
                zip(
                    _DELIVERED,
                    delivered.get((r["source_file"], int(r["source_row"])), missing),
                    strict=True,
                )
            ),
        }
        for r in records
    ]


_DELIVERED = ("delivered_amount", "delivered_close_date", "delivered_currency")


def _known_currencies(connection: Warehouse) -> set[str]:
    parts = []
    if table_exists(connection, "staging.stg_erp__fx_rates"):
        parts += [
            "SELECT from_currency AS c FROM staging.stg_erp__fx_rates",
            "SELECT to_currency FROM staging.stg_erp__fx_rates",
        ]
    if table_exists(connection, "comp.plans"):
        parts.append("SELECT currency FROM comp.plans")
    if not parts:
        return set()
    rows = connection.execute(" UNION ".join(parts)).fetchall()
    return {str(c).upper() for (c,) in rows if c}


def _deal_where(row: Any) -> str:
    where = f"deal {row['deal_id']}"
    file = cell_text(row["source_file"])
    if file:
        where = f"{file} row {int(row['source_row'])} ({where})"
    return where


def _won_deal_finding(row: Any, key: str, known: Sequence[str]) -> Finding:
    where = _deal_where(row)
    if key == "no_amount":
        return Finding(where, None, "the won deal has no amount")
    if key == "negative":
        value = cell_text(row["delivered_amount"]) or cell_text(row["amount_text"])
        return Finding(where, value, "the won deal's amount is negative")
    if key == "no_close_date":
        return Finding(where, None, "the won deal has no close date")
    if key == "no_currency":
        return Finding(where, None, "the won deal has no currency")
    shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
    return Finding(
        where,
        cell_text(row["delivered_currency"]) or cell_text(row["currency"]),
        f"the currency {row['currency']} is unknown: no exchange rate and no plan uses it "
        f"(known: {shown})",
    )
