"""Great Expectations suites on landing (raw) and staging data, read from DuckDB as DataFrames.

GX 1.x validates pandas DataFrames here (its SQL datasource fails on DuckDB); every suite runs
in an ephemeral context with ``result_format`` COMPLETE and ``unexpected_index_column_names``,
so each unexpected row maps back to its file and row or key. ``great_expectations`` takes
seconds to import, so it is imported inside the functions, and only when a DataFrame has rows
to validate (an empty frame cannot fail an expectation).

Each check takes ``(connection, period)`` and returns a CheckOutcome. The landing and staging
checks look at all the data, not one month: a bad delivery blocks every close until corrected.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import itertools
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import duckdb

from openspm.entities import ENTITIES, ColumnType, Entity
from openspm.quality._warehouse import missing_reason, missing_tables, quote, table_exists
from openspm.quality.clean_batches import clean_files, remember_clean
from openspm.quality.findings import (
    MAX_FINDINGS,
    CheckOutcome,
    Finding,
    Severity,
    not_run,
    outcome,
)

if TYPE_CHECKING:
    import pandas as pd

ROW_ID = "_row_id"

LANDING_QUARANTINE = "landing_quarantine"
LANDING_QUARANTINE_TITLE = (
    "Landing files must be readable, have every required column, and hold values of the right type"
)
LANDING_CONFLICTS = "landing_conflicting_versions"
LANDING_CONFLICTS_TITLE = (
    "A landing file must not hold two different versions of one record with the same "
    "modification time"
)
WON_DEALS = "won_deals_complete"
WON_DEALS_TITLE = "Won deals must have an amount of zero or more, a close date and a known currency"
FUTURE_CLOSE = "won_deals_future_close_date"
FUTURE_CLOSE_TITLE = "Won deals should not close in the future"
DEALS = "crm__deals"


class ExpectationError(RuntimeError):
    """Great Expectations could not evaluate an expectation (not a data problem)."""


@dataclass(frozen=True)
class _Expect:
    """One expectation and the problem text of each row it finds unexpected."""

    key: str
    expectation: Any  # a great_expectations expectation


# ------------------------------------------------------------------------------------ landing


def check_landing_quarantine(
    connection: duckdb.DuckDBPyConnection, period: str | None = None
) -> CheckOutcome:
    """Rows quarantined at ingestion and batches rejected whole (blocking), one finding each.

    A quarantined row counts as corrected, and is not listed, once a later batch (a file whose
    name sorts after it) delivers the same key in a row that parses: landing files are never
    edited, so a new batch is the only way to correct one. A rejected file is corrected by
    replacing it (ingestion then forgets the rejection).
    """
    del period  # landing problems block every month
    tables = ["raw.ingest_quarantine", "raw.ingest_batches"]
    missing = missing_tables(connection, tables)
    if missing:
        return not_run(
            LANDING_QUARANTINE, LANDING_QUARANTINE_TITLE, Severity.BLOCKING, missing_reason(missing)
        )
    batches = connection.execute(
        f"SELECT row_number() OVER (ORDER BY _file) - 1 AS {ROW_ID}, entity, _file, status, "
        "message FROM raw.ingest_batches ORDER BY _file"
    ).df()
    rows = _quarantine_frame(connection)
    findings: list[Finding] = []
    if len(batches):
        import great_expectations as gx

        unexpected = _validate(
            "landing_batches",
            batches,
            [
                _Expect(
                    "rejected",
                    gx.expectations.ExpectColumnValuesToBeInSet(
                        column="status", value_set=["loaded"]
                    ),
                )
            ],
            ["entity", "_file"],
        )
        first_rows = _first_problem_rows(connection)
        for index in unexpected["rejected"]:
            batch = batches.iloc[index]
            row = first_rows.get(str(batch["_file"]))
            where = str(batch["_file"]) + (f" row {row}" if row is not None else "")
            message = _text(batch["message"]) or "it could not be loaded"
            findings.append(Finding(where, None, f"the whole file was rejected: {message}"))
    resolved = int(rows["resolved"].sum()) if len(rows) else 0
    if len(rows):
        import great_expectations as gx

        unexpected = _validate(
            "landing_quarantine",
            rows,
            [
                _Expect(
                    "quarantined",
                    gx.expectations.ExpectColumnValuesToBeInSet(
                        column="resolved", value_set=[True]
                    ),
                )
            ],
            ["_file", "_row_number", "column_name"],
        )
        for index in unexpected["quarantined"]:
            findings.append(_quarantine_finding(rows.iloc[index]))
    detail = None
    if resolved:
        detail = (
            f"{resolved} quarantined row(s) were corrected by a later delivery of the same "
            "record and are not listed"
        )
    return outcome(
        LANDING_QUARANTINE,
        LANDING_QUARANTINE_TITLE,
        Severity.BLOCKING,
        findings,
        detail=detail,
        technical="raw.ingest_quarantine, raw.ingest_batches",
    )


def check_landing_conflicts(
    connection: duckdb.DuckDBPyConnection, period: str | None = None
) -> CheckOutcome:
    """Two rows of one batch with the same key and modified_at but different content (blocking).

    Per raw table of an entity with a versioning column. Values are compared as staging types
    them (``1`` and ``true`` are the same boolean); identical duplicates are no error, and rows
    quarantined at ingestion are left to the quarantine check.
    """
    del period
    present = [e for e in ENTITIES if e.versioned_by and table_exists(connection, _raw(e))]
    if not present:
        return not_run(
            LANDING_CONFLICTS,
            LANDING_CONFLICTS_TITLE,
            Severity.BLOCKING,
            missing_reason(["raw.crm__deals", "..."]),
        )
    findings: list[Finding] = []
    for ent in present:
        clean = clean_files(connection, LANDING_CONFLICTS, ent.table)  # found clean before
        looked_at = {
            file
            for (file,) in connection.execute(
                f"SELECT DISTINCT _file FROM {_raw(ent)} WHERE NOT list_contains(?, _file)",
                [clean],
            ).fetchall()
        }
        frame = connection.execute(_conflict_candidates_sql(ent), [clean]).df()
        failing = set(frame["_file"]) if len(frame) else set()
        remember_clean(connection, LANDING_CONFLICTS, ent.table, looked_at - failing)
        if not len(frame):
            continue
        import great_expectations as gx

        distinct = frame.drop_duplicates(subset=["_file", "_key", "_version", "_content"])
        distinct = distinct.reset_index(drop=True)
        distinct[ROW_ID] = range(len(distinct))
        unexpected = _validate(
            f"landing_conflicts_{ent.table}",
            distinct,
            [
                _Expect(
                    "conflict",
                    gx.expectations.ExpectCompoundColumnsToBeUnique(
                        column_list=["_file", "_key", "_version"]
                    ),
                )
            ],
            ["_file", "_key", "_version"],
        )
        groups = sorted(
            {
                (
                    str(distinct.iloc[i]["_file"]),
                    str(distinct.iloc[i]["_key"]),
                    str(distinct.iloc[i]["_version"]),
                )
                for i in unexpected["conflict"]
            }
        )
        for file, key, version in groups:
            group = frame[
                (frame["_file"] == file) & (frame["_key"] == key) & (frame["_version"] == version)
            ]
            findings.append(_conflict_finding(ent, group))
    return outcome(
        LANDING_CONFLICTS,
        LANDING_CONFLICTS_TITLE,
        Severity.BLOCKING,
        findings,
        technical=", ".join(_raw(e) for e in present),
    )


# ------------------------------------------------------------------------------------ staging


def check_won_deals(
    connection: duckdb.DuckDBPyConnection,
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
        import great_expectations as gx

        ex = gx.expectations
        expects = [
            _Expect("no_amount", ex.ExpectColumnValuesToNotBeNull(column="amount_number")),
            _Expect(
                "negative", ex.ExpectColumnValuesToBeBetween(column="amount_number", min_value=0)
            ),
            _Expect("no_close_date", ex.ExpectColumnValuesToNotBeNull(column="close_date")),
            _Expect("no_currency", ex.ExpectColumnValuesToNotBeNull(column="currency")),
        ]
        if known:
            expects.append(
                _Expect(
                    "unknown_currency",
                    ex.ExpectColumnValuesToBeInSet(column="currency", value_set=known),
                )
            )
        else:
            detail = "no exchange rates and no plans are loaded, so currencies were not checked"
        counts: dict[str, int] = {}
        unexpected = _validate(
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
    connection: duckdb.DuckDBPyConnection,
    period: str | None = None,
    *,
    today: date | None = None,
) -> CheckOutcome:
    """Won deals whose close date lies after today (UTC) (warning).

    Today, not the end of the month being closed: when an earlier month is closed, deals of the
    months after it are normal data, while a deal won on a day that has not yet come is a
    data-entry mistake worth a look.
    """
    del period
    missing = missing_tables(connection, ["staging.stg_crm__deals"])
    if missing:
        return not_run(FUTURE_CLOSE, FUTURE_CLOSE_TITLE, Severity.WARNING, missing_reason(missing))
    day = today or datetime.now(UTC).date()
    # a file without a deal after today stays so (today only moves on): looked at once
    skip = clean_files(connection, FUTURE_CLOSE, DEALS)
    frame = _won_deals_frame(connection, skip, amounts=False)
    findings: list[Finding] = []
    total = 0
    if len(frame):
        import great_expectations as gx

        counts: dict[str, int] = {}
        unexpected = _validate(
            "future_close_dates",
            frame,
            [
                _Expect(
                    "future",
                    gx.expectations.ExpectColumnValuesToBeBetween(
                        column="close_date", max_value=datetime(day.year, day.month, day.day)
                    ),
                )
            ],
            ["deal_id", "source_file", "source_row"],
            counts,
        )
        total = counts["future"]
        import pandas as pd

        future = frame["close_date"] > pd.Timestamp(day)
        clean = set(frame["source_file"].astype(str)) - set(frame.loc[future, "source_file"])
        remember_clean(connection, FUTURE_CLOSE, DEALS, clean)
        for row in _with_delivered(connection, frame.iloc[unexpected["future"][:MAX_FINDINGS]]):
            findings.append(
                Finding(
                    _deal_where(row),
                    _text(row["delivered_close_date"]) or _date_text(row["close_date"]),
                    f"the won deal closes on {_date_text(row['close_date'])}, after today "
                    f"({day.isoformat()})",
                )
            )
    return outcome(
        FUTURE_CLOSE,
        FUTURE_CLOSE_TITLE,
        Severity.WARNING,
        findings,
        total=total,
        technical="staging.stg_crm__deals",
    )


# ------------------------------------------------------------------------------ running GX

_RUNS = itertools.count(1)


@functools.cache
def _gx_context() -> Any:
    """One ephemeral GX context per process (each new one leaves a temporary folder behind)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def import_in_background() -> None:
    """Start importing Great Expectations (seconds) on a thread while other work runs."""
    threading.Thread(
        target=importlib.import_module, args=("great_expectations",), daemon=True
    ).start()


def _validate(
    name: str,
    frame: pd.DataFrame,
    expects: Sequence[_Expect],
    key_columns: Sequence[str],
    counts: dict[str, int] | None = None,
) -> dict[str, list[int]]:
    """Run ``expects`` as one GX suite on ``frame``; the unexpected row positions of each.

    ``frame`` must hold a ``_row_id`` column numbering its rows 0..n-1. With ``counts`` (a dict
    filled with each expectation's number of unexpected rows), only the first MAX_FINDINGS
    positions of each are returned: GX's summary format, listing the frame's own index (asking
    GX for index columns makes it build them for every unexpected row: seconds per 100k).
    """
    import great_expectations as gx

    if ROW_ID not in frame.columns:
        frame = frame.assign(**{ROW_ID: range(len(frame))})
    summary = counts is not None
    if summary:
        # GX builds the index columns of *every* unexpected row (10 s for 400k of them); the
        # frame's own index, the row positions, is listed for the first MAX_FINDINGS only
        frame = frame.reset_index(drop=True)
    context = _gx_context()
    name = f"{name}_{next(_RUNS)}"  # one context serves every validation of the process
    batch_definition = (
        context.data_sources.add_pandas(name)
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe("all_rows")
    )
    suite = context.suites.add(gx.ExpectationSuite(name=name))
    for item in expects:
        item.expectation.meta = {**(item.expectation.meta or {}), "openspm_key": item.key}
        suite.add_expectation(item.expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )
    result = definition.run(
        batch_parameters={"dataframe": frame},
        result_format=(
            {"result_format": "SUMMARY", "partial_unexpected_count": MAX_FINDINGS}
            if summary
            else {
                "result_format": "COMPLETE",
                "unexpected_index_column_names": [ROW_ID, *key_columns],
                "return_unexpected_index_query": False,
            }
        ),
    )
    found: dict[str, list[int]] = defaultdict(list)
    for item_result in result.results:
        key = str((item_result.expectation_config.meta or {}).get("openspm_key"))
        info = item_result.exception_info or {}
        if info.get("raised_exception"):
            raise ExpectationError(f"{name}/{key}: {info.get('exception_message')}")
        if counts is not None:
            counts[key] = int(item_result.result.get("unexpected_count") or 0)
        if item_result.success:
            found[key] = []
            continue
        if summary:
            positions = item_result.result.get("partial_unexpected_index_list") or []
            found[key] = sorted({int(position) for position in positions})
        else:
            indexes = item_result.result.get("unexpected_index_list") or []
            found[key] = sorted({int(entry[ROW_ID]) for entry in indexes})
    return found


# ---------------------------------------------------------------------------- landing frames


def _raw(ent: Entity) -> str:
    return f"raw.{ent.table}"


def _key_sql(ent: Entity, prefix: str = "") -> str:
    """The key text of a raw row as ingestion writes record_key: values joined by ``|``."""
    return " || '|' || ".join(f"coalesce({prefix}{quote(k)}, '')" for k in ent.key)


def _quarantine_frame(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Quarantine rows of loaded batches, each with ``resolved``: corrected by a later batch."""
    corrections = []
    for ent in ENTITIES:
        if not table_exists(connection, _raw(ent)):
            continue
        corrections.append(
            f"SELECT '{ent.folder}' AS entity, {_key_sql(ent)} AS record_key, "
            f"max(_file) AS latest_good_file FROM {_raw(ent)} "
            f"WHERE _quarantined IS NOT TRUE AND {_key_sql(ent)} IN (SELECT record_key FROM "
            f"raw.ingest_quarantine WHERE entity = '{ent.folder}') GROUP BY ALL"
        )
    good = " UNION ALL ".join(corrections) or (
        "SELECT NULL::VARCHAR AS entity, NULL::VARCHAR AS record_key, "
        "NULL::VARCHAR AS latest_good_file WHERE false"
    )
    return connection.execute(
        f"""
        WITH good AS ({good})
        SELECT
            row_number() OVER (ORDER BY q._file, q._row_number, q.column_name) - 1 AS {ROW_ID},
            q.entity, q._file, q._row_number, q.column_name, q.value, q.reason, q.record_key,
            coalesce(good.latest_good_file > q._file, false) AS resolved
        FROM raw.ingest_quarantine AS q
        LEFT JOIN raw.ingest_batches AS b ON b._file = q._file
        LEFT JOIN good ON good.entity = q.entity AND good.record_key = q.record_key
        WHERE b.status IS DISTINCT FROM 'rejected'
        ORDER BY q._file, q._row_number, q.column_name
        """
    ).df()


def _first_problem_rows(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """For rejected files: the row where reading failed, when the quarantine knows it."""
    rows = connection.execute(
        "SELECT _file, min(_row_number) FROM raw.ingest_quarantine "
        "WHERE _row_number IS NOT NULL GROUP BY _file"
    ).fetchall()
    return {str(f): int(r) for f, r in rows}


def _quarantine_finding(row: Any) -> Finding:
    entity = _entity_of(str(row["entity"]))
    where = str(row["_file"])
    if _text(row["_row_number"]) is not None:
        where += f" row {int(row['_row_number'])}"
    key = _text(row["record_key"])
    if key and entity is not None:
        where += f" ({'/'.join(entity.key)} {key})"
    column = _text(row["column_name"])
    reason = _text(row["reason"]) or "the value does not parse"
    problem = f"column {column}: {reason}" if column else reason
    return Finding(where, _text(row["value"]), problem)


def _entity_of(folder: str) -> Entity | None:
    return next((e for e in ENTITIES if e.folder == folder), None)


def _normalized_sql(ent: Entity, name: str) -> str:
    """A raw text column as staging types it, rendered back to text (for comparisons)."""
    column = ent.column(name)
    v = quote(name)
    t = f"nullif(trim({v}), '')"
    kind = column.type
    if kind == ColumnType.STRING:
        expr = f"nullif({v}, '')"
    elif kind == ColumnType.BOOLEAN:
        expr = (
            f"CASE WHEN lower({t}) IN ('true', '1') THEN 'true' "
            f"WHEN lower({t}) IN ('false', '0') THEN 'false' END"
        )
    elif kind == ColumnType.DATE:
        expr = f"CAST(TRY_CAST({t} AS DATE) AS VARCHAR)"
    elif kind == ColumnType.TIMESTAMP:
        expr = (
            f"CAST(timezone('UTC', TRY_CAST(CASE WHEN regexp_matches(trim({v}), "
            f"'([zZ]|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$') THEN trim({v}) ELSE {t} || '+00:00' END "
            "AS TIMESTAMPTZ)) AS VARCHAR)"
        )
    elif kind == ColumnType.DECIMAL:
        expr = f"CAST(TRY_CAST({t} AS DECIMAL({column.precision}, {column.scale})) AS VARCHAR)"
    elif kind == ColumnType.INTEGER:
        expr = f"CAST(TRY_CAST({t} AS INTEGER) AS VARCHAR)"
    elif kind == ColumnType.CURRENCY:
        expr = f"upper({t})"
    else:  # ENUM
        expr = f"lower({t})"
    if name == "is_deleted":
        expr = f"coalesce({expr}, 'false')"
    return expr


def _conflict_candidates_sql(ent: Entity) -> str:
    """Rows of one raw table whose (file, key, modified_at) occurs more than once.

    One parameter: the files to leave out (found clean by an earlier run).
    """
    assert ent.versioned_by is not None
    key = " || '|' || ".join(f"coalesce({_normalized_sql(ent, k)}, '')" for k in ent.key)
    version = _normalized_sql(ent, ent.versioned_by)
    normalized = ", ".join(
        f"{_normalized_sql(ent, c)} AS {quote('n__' + c)}" for c in ent.column_names
    )
    delivered = ", ".join(f"{quote(c)} AS {quote('r__' + c)}" for c in ent.column_names)
    content = ", ".join(f"coalesce({quote('n__' + c)}, '\u2400')" for c in ent.column_names)
    # the groups are found on (file, row, key, version) alone; every other column is typed for
    # the candidate rows only (typing all of them for 6M rows took 5 GB)
    return f"""
        WITH keyed AS (
            SELECT _file, _row_number, {key} AS _key, {version} AS _version
            FROM {_raw(ent)}
            WHERE _quarantined IS NOT TRUE AND NOT list_contains(?, _file)
        ),
        repeated AS (
            SELECT _file, _key, _version FROM keyed GROUP BY ALL HAVING count(*) > 1
        ),
        candidates AS (
            SELECT keyed._file, keyed._row_number
            FROM keyed
            SEMI JOIN repeated
                ON keyed._file = repeated._file AND keyed._key = repeated._key
                AND keyed._version = repeated._version
        ),
        typed AS (
            SELECT _file, _row_number, {key} AS _key, {version} AS _version,
                {quote(ent.versioned_by)} AS _version_delivered, {normalized}, {delivered}
            FROM {_raw(ent)} AS delivered_rows
            SEMI JOIN candidates
                ON delivered_rows._file = candidates._file
                AND delivered_rows._row_number = candidates._row_number
        )
        SELECT typed.*, md5(concat_ws(chr(31), {content})) AS _content
        FROM typed
        ORDER BY _file, _key, _row_number
    """


def _conflict_finding(ent: Entity, group: pd.DataFrame) -> Finding:
    first = group.iloc[0]
    rows = sorted(int(r) for r in group["_row_number"])
    listed = ", ".join(str(r) for r in rows[:-1]) + f" and {rows[-1]}"
    key_text = str(first["_key"]).replace("|", ", ")
    key_names = "/".join(ent.key)
    differing = []
    for column in ent.column_names:
        if group[f"n__{column}"].nunique(dropna=False) > 1:
            values = []
            for value in group[f"r__{column}"]:
                shown = "(empty)" if _text(value) in (None, "") else repr(str(value))
                if shown not in values:
                    values.append(shown)
            differing.append(f"{column} {' vs '.join(values)}")
    return Finding(
        f"{first['_file']} rows {listed} ({key_names} {key_text})",
        _text(first["_version_delivered"]),
        f"{len(rows)} rows of the same file have the same {key_names} and the same "
        f"{ent.versioned_by} but differ: {'; '.join(differing)}; it is not clear which one "
        "holds",
    )


# ---------------------------------------------------------------------------- staging frames


def _won_deals_frame(
    connection: duckdb.DuckDBPyConnection, skip: Sequence[str], *, amounts: bool = True
) -> pd.DataFrame:
    """Won deals of staging, typed, but those of the files in ``skip`` (found clean before).

    Without ``amounts``, only the close date is read (millions of rows: a third of the memory).
    The delivered values: ``_with_delivered``, for the listed rows only.
    """
    money = (
        ", CAST(d.amount AS DOUBLE) AS amount_number, CAST(d.amount AS VARCHAR) AS amount_text, "
        "d.currency"
        if amounts
        else ""
    )
    return connection.execute(
        f"""
        SELECT
            row_number() OVER (ORDER BY d.source_file, d.source_row, d.deal_id) - 1 AS {ROW_ID},
            d.deal_id, d.source_file, d.source_row, d.close_date{money}
        FROM staging.stg_crm__deals AS d
        WHERE d.is_won AND NOT list_contains(?, d.source_file)
        ORDER BY d.source_file, d.source_row, d.deal_id
        """,
        [list(skip)],
    ).df()


def _with_delivered(
    connection: duckdb.DuckDBPyConnection, rows: pd.DataFrame
) -> list[dict[str, Any]]:
    """``rows`` of the won-deals frame with amount, close date and currency as delivered."""
    records = rows.to_dict("records")
    if not records or not table_exists(connection, "raw.crm__deals"):
        return [{**r, **dict.fromkeys(_DELIVERED)} for r in records]
    found = connection.execute(  # a superset (files x rows) of the listed rows
        "SELECT _file, _row_number, amount, close_date, currency FROM raw.crm__deals "
        "WHERE list_contains(?, _file) AND list_contains(?, _row_number)",
        [
            sorted({str(r["source_file"]) for r in records}),
            sorted({int(r["source_row"]) for r in records}),
        ],
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


def _known_currencies(connection: duckdb.DuckDBPyConnection) -> set[str]:
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
    file = _text(row["source_file"])
    if file:
        where = f"{file} row {int(row['source_row'])} ({where})"
    return where


def _won_deal_finding(row: Any, key: str, known: Sequence[str]) -> Finding:
    where = _deal_where(row)
    if key == "no_amount":
        return Finding(where, None, "the won deal has no amount")
    if key == "negative":
        value = _text(row["delivered_amount"]) or _text(row["amount_text"])
        return Finding(where, value, "the won deal's amount is negative")
    if key == "no_close_date":
        return Finding(where, None, "the won deal has no close date")
    if key == "no_currency":
        return Finding(where, None, "the won deal has no currency")
    shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
    return Finding(
        where,
        _text(row["delivered_currency"]) or _text(row["currency"]),
        f"the currency {row['currency']} is unknown: no exchange rate and no plan uses it "
        f"(known: {shown})",
    )


def _text(value: Any) -> str | None:
    """A DataFrame cell as text; None for NULL/NaN/NaT."""
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _date_text(value: Any) -> str:
    text = _text(value)
    if text is None:
        return "(none)"
    return text[:10]
