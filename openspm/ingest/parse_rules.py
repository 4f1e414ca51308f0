"""The rule of every landing column type, as DuckDB SQL: when a value parses, and what it means.

A delivered value is text. ``reason_sql`` gives the reason a value of a column does not parse
(ingestion quarantines the row: ``docs/raw-layer.md``, "How a delivered text value must
parse"); ``typed_text_sql`` gives what a value that parses means, as staging's casts type it
(``dbt_project/macros/casts.sql``), rendered as text for comparisons (the check of conflicting
versions compares delivered rows as staging would read them).
"""

from __future__ import annotations

from integrations.file_drop import ROW_NUMBER
from openspm.entities import Column, ColumnType, Entity
from openspm.warehouse import quote_identifier, quote_literal

EMPTY_REQUIRED = "empty value in required column"


def problems_sql(ent: Entity, present: set[str], relation: str) -> str:
    """One query yielding every (row, column, value, record key, reason) that does not parse.

    ``relation`` holds a batch of ``ent``: the ``present`` columns as text and ``_row_number``.
    """
    key = " || '|' || ".join(f"coalesce({quote_identifier(k)}, '')" for k in ent.key)
    branches = []
    for position, column in enumerate(ent.columns):
        if column.name not in present:
            continue
        reason = reason_sql(column)
        if reason is None:
            continue
        branches.append(
            f"SELECT {ROW_NUMBER} AS _row_number, {position} AS column_position, "
            f"{quote_literal(column.name)} AS column_name, "
            f"{quote_identifier(column.name)} AS value, "
            f"{key} AS record_key, {reason} AS reason FROM {relation}"
        )
    if not branches:
        return (
            "SELECT NULL::BIGINT AS _row_number, NULL::INTEGER AS column_position, "
            "NULL::VARCHAR AS column_name, NULL::VARCHAR AS value, NULL::VARCHAR AS record_key, "
            "NULL::VARCHAR AS reason WHERE false"
        )
    return f"SELECT * FROM ({' UNION ALL '.join(branches)}) WHERE reason IS NOT NULL"


def reason_sql(column: Column) -> str | None:
    """A CASE expression giving the reason a value of ``column`` fails, else NULL.

    Every type but string ignores surrounding blanks (spaces), as staging's casts trim them;
    values without blanks at either end (nearly all) skip the trimming.
    """
    v = quote_identifier(column.name)
    allows_empty = column.nullable or not column.required
    empty_reason = "NULL" if allows_empty else quote_literal(EMPTY_REQUIRED)
    if column.type == ColumnType.STRING:
        return (
            None if allows_empty else f"(CASE WHEN coalesce({v}, '') = '' THEN {empty_reason} END)"
        )
    padded = f"(prefix({v}, ' ') OR suffix({v}, ' '))"
    return (
        f"(CASE WHEN {v} IS NULL THEN {empty_reason} "
        f"WHEN {padded} THEN {_checks_sql(column, f'trim({v})', empty_reason)} "
        f"ELSE {_checks_sql(column, v, empty_reason)} END)"
    )


def _checks_sql(column: Column, t: str, empty_reason: str) -> str:
    """CASE over a non-NULL value expression ``t`` of a typed column: its reason, else NULL."""
    checks: list[tuple[str, str | None]] = []  # (condition, reason or None: the value is good)
    kind = column.type
    if kind in (ColumnType.BOOLEAN, ColumnType.ENUM):
        if kind == ColumnType.BOOLEAN:
            allowed = ("true", "false", "1", "0")
            reason = "not a boolean (expected true, false, 1 or 0)"
        else:
            allowed = tuple(x.lower() for x in column.values)
            reason = f"not one of {', '.join(column.values)}"
        listed = ", ".join(quote_literal(x) for x in allowed)
        checks += [(f"{t} IN ({listed})", None), (f"lower({t}) NOT IN ({listed})", reason)]
    elif kind == ColumnType.DATE:
        checks += [
            (
                f"NOT regexp_full_match({t}, '\\d{{4}}-\\d{{2}}-\\d{{2}}')",
                "not a date (expected YYYY-MM-DD)",
            ),
            (f"TRY_CAST({t} AS DATE) IS NULL OR {t} < '0001'", "not a real calendar date"),
        ]
    elif kind == ColumnType.TIMESTAMP:
        pattern = (
            "\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}(:\\d{2})?)?"
        )
        checks += [
            (
                f"NOT regexp_full_match({t}, '{pattern}')",
                "not a timestamp (expected ISO 8601, e.g. 2025-01-31T14:05:00Z)",
            ),
            (f"TRY_CAST({t} AS TIMESTAMPTZ) IS NULL OR {t} < '0001'", "not a real date and time"),
        ]
    elif kind == ColumnType.DECIMAL:
        scale, whole = column.scale, column.precision - column.scale
        dot = f"strpos({t}, '.')"
        digits_before = f"(CASE WHEN {dot} > 0 THEN {dot} - 1 ELSE strlen({t}) END)"
        checks += [
            (
                f"NOT regexp_full_match({t}, '-?\\d+(\\.\\d+)?')",
                "not a decimal number (expected digits with an optional '.' and decimals, "
                "e.g. -1234.50; no thousands separators or exponents)",
            ),
            (
                # trailing zeros beyond the scale lose nothing and are admitted
                f"{dot} > 0 AND strlen({t}) - {dot} > {scale} "
                f"AND strlen(rtrim({t}, '0')) - {dot} > {scale}",
                f"more than {scale} decimal places",
            ),
            (
                f"{digits_before} > {whole} "
                f"AND strlen(ltrim(regexp_extract({t}, '^-?(\\d+)', 1), '0')) > {whole}",
                f"too many digits (at most {whole} before the decimal point)",
            ),
        ]
    elif kind == ColumnType.INTEGER:
        checks += [
            (f"NOT regexp_full_match({t}, '-?\\d+')", "not a whole number"),
            (
                f"TRY_CAST({t} AS INTEGER) IS NULL",
                "whole number out of range (more than 2147483647 in size)",
            ),
        ]
    elif kind == ColumnType.CURRENCY:
        checks.append(
            (
                f"NOT regexp_full_match({t}, '[A-Za-z]{{3}}')",
                "not a currency code (expected three letters, e.g. USD)",
            )
        )
    else:  # pragma: no cover - a new ColumnType must get its rule here
        raise NotImplementedError(f"no parsing rule for column type {kind}")
    whens = "".join(
        f" WHEN {cond} THEN {'NULL' if reason is None else quote_literal(reason)}"
        for cond, reason in checks
    )
    return f"(CASE WHEN {t} = '' THEN {empty_reason}{whens} END)"


def typed_text_sql(column: Column, value: str) -> str:
    """``value`` (SQL of a raw text value of ``column``) as staging types it, rendered as text.

    NULL for an empty value; the same text for two values staging reads alike (``1`` and
    ``true``, ``usd`` and ``USD``, ``2025-01-01T00:00:00Z`` and ``2025-01-01 00:00:00``).
    """
    v = value
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
    if column.name == "is_deleted":  # staging: an absent is_deleted means not deleted
        expr = f"coalesce({expr}, 'false')"
    return expr
