"""Checks of the landing data as loaded into ``raw`` (docs/contract.md section 6), blocking.

Quarantined values and rejected files (``check_landing_quarantine``) and two versions of one
record with the same modification time in one file (``check_landing_conflicts``). Both look at
all the data, not one month: a bad delivery blocks every close until corrected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb

from openspm.entities import ENTITIES, Entity
from openspm.ingest.parse_rules import typed_text_sql
from openspm.quality.clean_batches import clean_files, remember_clean
from openspm.quality.findings import (
    CheckOutcome,
    Finding,
    Severity,
    not_run,
    outcome,
)
from openspm.quality.gx_runner import ROW_ID, Expect, cell_text, validate
from openspm.quality.wording import missing_reason
from openspm.warehouse import Warehouse, missing_tables, quote_identifier, table_exists

if TYPE_CHECKING:
    import pandas as pd

LANDING_QUARANTINE = "landing_quarantine"
LANDING_QUARANTINE_TITLE = (
    "Landing files must be readable, have every required column, and hold values of the right type"
)
LANDING_CONFLICTS = "landing_conflicting_versions"
LANDING_CONFLICTS_TITLE = (
    "A landing file must not hold two different versions of one record with the same "
    "modification time (or, for records without one such as fx rates, the same key)"
)


def check_landing_quarantine(
    connection: Warehouse, period: str | None = None
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
        unexpected = validate(
            "landing_batches",
            batches,
            [
                Expect(
                    "rejected",
                    "ExpectColumnValuesToBeInSet",
                    {"column": "status", "value_set": ["loaded"]},
                )
            ],
            ["entity", "_file"],
        )
        first_rows = _first_problem_rows(connection)
        for index in unexpected["rejected"]:
            batch = batches.iloc[index]
            row = first_rows.get(str(batch["_file"]))
            where = str(batch["_file"]) + (f" row {row}" if row is not None else "")
            message = cell_text(batch["message"]) or "it could not be loaded"
            findings.append(Finding(where, None, f"the whole file was rejected: {message}"))
    resolved = int(rows["resolved"].sum()) if len(rows) else 0
    if len(rows):
        unexpected = validate(
            "landing_quarantine",
            rows,
            [
                Expect(
                    "quarantined",
                    "ExpectColumnValuesToBeInSet",
                    {"column": "resolved", "value_set": [True]},
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
    connection: Warehouse, period: str | None = None
) -> CheckOutcome:
    """Two rows of one batch with the same key and modified_at but different content (blocking).

    Per raw table of every entity; an entity without a versioning column (fx rates: a file is
    one version of every rate it holds) conflicts on the key alone, so two rates of one batch
    for one day and pair block the close instead of one being chosen silently. Values are
    compared as staging types them (``1`` and ``true`` are the same boolean); identical
    duplicates are no error, and rows quarantined at ingestion are left to the quarantine
    check.
    """
    del period
    present = [e for e in ENTITIES if table_exists(connection, _raw(e))]
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
        skipped, params = connection.in_list("_file", clean)
        looked_at = {
            file
            for (file,) in connection.execute(
                f"SELECT DISTINCT _file FROM {_raw(ent)} WHERE NOT {skipped}", params
            ).fetchall()
        }
        frame = _conflict_candidates(connection, ent, clean)
        failing = set(frame["_file"]) if len(frame) else set()
        remember_clean(connection, LANDING_CONFLICTS, ent.table, looked_at - failing)
        if not len(frame):
            continue
        distinct = frame.drop_duplicates(subset=["_file", "_key", "_version", "_content"])
        distinct = distinct.reset_index(drop=True)
        distinct[ROW_ID] = range(len(distinct))
        unexpected = validate(
            f"landing_conflicts_{ent.table}",
            distinct,
            [
                Expect(
                    "conflict",
                    "ExpectCompoundColumnsToBeUnique",
                    {"column_list": ["_file", "_key", "_version"]},
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


def _raw(ent: Entity) -> str:
    return f"raw.{ent.table}"


def _key_sql(ent: Entity, prefix: str = "") -> str:
    """The key text of a raw row as ingestion writes record_key: values joined by ``|``."""
    return " || '|' || ".join(f"coalesce({prefix}{quote_identifier(k)}, '')" for k in ent.key)


def _quarantine_frame(connection: Warehouse) -> pd.DataFrame:
    """Quarantine rows of loaded batches, each with ``resolved``: corrected by a later batch."""
    corrections = []
    for ent in ENTITIES:
        if not table_exists(connection, _raw(ent)):
            continue
        corrections.append(
            f"SELECT '{ent.folder}' AS entity, {_key_sql(ent)} AS record_key, "
            f"max(_file) AS latest_good_file FROM {_raw(ent)} "
            f"WHERE _quarantined IS NOT TRUE AND {_key_sql(ent)} IN (SELECT record_key FROM "
            f"raw.ingest_quarantine WHERE entity = '{ent.folder}') GROUP BY 1, 2"
        )
    text = connection.cast("NULL", "VARCHAR")
    good = " UNION ALL ".join(corrections) or (
        f"SELECT {text} AS entity, {text} AS record_key, {text} AS latest_good_file WHERE false"
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


def _first_problem_rows(connection: Warehouse) -> dict[str, int]:
    """For rejected files: the row where reading failed, when the quarantine knows it."""
    rows = connection.execute(
        "SELECT _file, min(_row_number) FROM raw.ingest_quarantine "
        "WHERE _row_number IS NOT NULL GROUP BY _file"
    ).fetchall()
    return {str(f): int(r) for f, r in rows}


def _quarantine_finding(row: Any) -> Finding:
    entity = _entity_of(str(row["entity"]))
    where = str(row["_file"])
    if cell_text(row["_row_number"]) is not None:
        where += f" row {int(row['_row_number'])}"
    key = cell_text(row["record_key"])
    if key and entity is not None:
        where += f" ({'/'.join(entity.key)} {key})"
    column = cell_text(row["column_name"])
    reason = cell_text(row["reason"]) or "the value does not parse"
    problem = f"column {column}: {reason}" if column else reason
    return Finding(where, cell_text(row["value"]), problem)


def _entity_of(folder: str) -> Entity | None:
    return next((e for e in ENTITIES if e.folder == folder), None)


def _typed_sql(ent: Entity, name: str) -> str:
    """A raw text column as staging types it, rendered back to text (for comparisons)."""
    return typed_text_sql(ent.column(name), quote_identifier(name))


def _conflict_candidates(connection: Warehouse, ent: Entity, clean: list[str]) -> pd.DataFrame:
    """The candidate rows of ``_conflict_candidates_sql``, typed as staging types them.

    The typing rules are DuckDB SQL (``parse_rules``): on a server warehouse the rows of the
    batches not found clean before are copied into an in-memory DuckDB and checked there.
    """
    if connection.engine == "duckdb":
        return connection.execute(_conflict_candidates_sql(ent, _raw(ent)), [clean]).df()
    skipped, params = connection.in_list("_file", clean)
    rows = connection.arrow(f"SELECT * FROM {_raw(ent)} WHERE NOT {skipped}", params)
    local = duckdb.connect(":memory:")
    try:
        local.register("raw_rows", rows)
        return local.execute(_conflict_candidates_sql(ent, "raw_rows"), [clean]).df()
    finally:
        local.close()


def _conflict_candidates_sql(ent: Entity, relation: str) -> str:
    """Rows of one raw table (``relation``) whose (file, key, modified_at) occurs more than
    once, in DuckDB's SQL. One parameter: the files to leave out (found clean before).
    """
    key = " || '|' || ".join(f"coalesce({_typed_sql(ent, k)}, '')" for k in ent.key)
    if ent.versioned_by is None:  # the file is the version
        version, version_delivered = "''", "NULL::VARCHAR"
    else:
        version = _typed_sql(ent, ent.versioned_by)
        version_delivered = quote_identifier(ent.versioned_by)
    normalized = ", ".join(
        f"{_typed_sql(ent, c)} AS {quote_identifier('n__' + c)}" for c in ent.column_names
    )
    names = ent.column_names
    delivered = ", ".join(f"{quote_identifier(c)} AS {quote_identifier('r__' + c)}" for c in names)
    content = ", ".join(f"coalesce({quote_identifier('n__' + c)}, '\u2400')" for c in names)
    # the groups are found on (file, row, key, version) alone; every other column is typed for
    # the candidate rows only (typing all of them for 6M rows took 5 GB)
    return f"""
        WITH keyed AS (
            SELECT _file, _row_number, {key} AS _key, {version} AS _version
            FROM {relation}
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
                {version_delivered} AS _version_delivered, {normalized}, {delivered}
            FROM {relation} AS delivered_rows
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
                shown = "(empty)" if cell_text(value) in (None, "") else repr(str(value))
                if shown not in values:
                    values.append(shown)
            differing.append(f"{column} {' vs '.join(values)}")
    return Finding(
        f"{first['_file']} rows {listed} ({key_names} {key_text})",
        cell_text(first["_version_delivered"]),
        f"{len(rows)} rows of the same file have the same {key_names}"
        + (f" and the same {ent.versioned_by}" if ent.versioned_by else "")
        + f" but differ: {'; '.join(differing)}; it is not clear which one holds",
    )
