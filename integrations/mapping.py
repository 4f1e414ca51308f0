"""The mapping engine: a vendor object's fields onto a landing entity's columns.

Each connector object has documented defaults (landing column -> source field, and value maps
such as a Salesforce ``Type`` onto ``deal_type``); ``fields:`` and ``values:`` in openspm.yaml
override them per column (docs/connectors.md). Work is column-wise on pyarrow tables of text,
so a page of 100,000 records maps in milliseconds.

Values are normalised only where the landing format demands it (booleans ``true``/``false``,
``+0000`` offsets as ``+00:00``, a vendor's datetime close date as a date in the source's time
zone, ``12.0`` as a whole number). A value that cannot be mapped (an unknown deal type, a date
in a user's locale format) is kept exactly as delivered: ingestion then quarantines the row and
the data-quality gates name it (docs/contract.md section 6). Nothing is dropped here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from openspm.entities import Column, ColumnType, Entity, entity


class MappingError(ValueError):
    """A mapping cannot be built (a required column has no source field)."""


def text(value: Any) -> str | None:
    """A JSON value as landing text: booleans true/false, numbers as sent, None as None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted keys (a Salesforce ``SplitType.DeveloperName``)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and key != "attributes":
            out.update(flatten(value, f"{name}."))
        elif key != "attributes":
            out[name] = value
    return out


def records_table(records: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> pa.Table:
    """One text column per field from JSON records (missing keys and nulls are null)."""
    rows = [flatten(r) for r in records]
    return pa.table(
        {f: pa.array([text(r.get(f)) for r in rows], pa.string()) for f in dict.fromkeys(fields)}
    )


def text_column(values: Sequence[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


def map_unique(array: pa.Array | pa.ChunkedArray, fn: Callable[[str], str | None]) -> pa.Array:
    """Apply ``fn`` once per distinct non-null value (dictionary encoding), nulls stay null."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if len(array) == 0:
        return array.cast(pa.string())
    encoded = pc.dictionary_encode(array)
    mapped = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return pc.take(mapped, encoded.indices)


# -- converters by landing column type --------------------------------------------------------

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def _boolean(value: str) -> str:
    low = value.strip().lower()
    return "true" if low in _TRUE else "false" if low in _FALSE else value


def _timestamps(array: pa.Array) -> pa.Array:
    """``+0000`` -> ``+00:00``; epoch milliseconds -> ISO UTC; anything else as delivered."""
    array = pc.replace_substring_regex(array, r"([+-]\d\d)(\d\d)$", r"\1:\2")
    digits = pc.match_substring_regex(array, r"^\d{10,13}$")
    if pc.any(digits).as_py():
        return map_unique(array, _epoch_or_text)
    return array


def _epoch_or_text(value: str) -> str:
    if value.isdigit() and 10 <= len(value) <= 13:
        seconds = int(value) / (1000 if len(value) == 13 else 1)
        return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")
    return value


def _date_converter(zone: ZoneInfo) -> Callable[[str], str | None]:
    def convert(value: str) -> str | None:
        stripped = value.strip()
        if stripped in ("", "0000-00-00"):
            return None  # BambooHR writes an empty date as 0000-00-00
        if len(stripped) > 10 and stripped[10] in "T ":
            try:
                moment = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
            except ValueError:
                return value
            if moment.tzinfo is None:
                return moment.date().isoformat()
            return moment.astimezone(zone).date().isoformat()
        if len(stripped) > 10 and stripped[10] in "+-Z" and stripped[4] == "-":
            return stripped[:10]  # a date with a zone (Workday: 2025-07-01-07:00)
        if stripped.isdigit() and 10 <= len(stripped) <= 13:  # epoch ms (HubSpot date props)
            seconds = int(stripped) / (1000 if len(stripped) == 13 else 1)
            return datetime.fromtimestamp(seconds, UTC).astimezone(zone).date().isoformat()
        return value

    return convert


def _decimal(value: str) -> str:
    if "e" in value or "E" in value:
        try:
            return format(Decimal(value), "f")
        except InvalidOperation:
            return value
    return value


def convert_column(column: Column, array: pa.Array, zone: ZoneInfo) -> pa.Array:
    """Normalise one delivered column to the landing form of its type, keeping the unmappable."""
    kind = column.type
    if kind == ColumnType.BOOLEAN:
        return map_unique(array, _boolean)
    if kind == ColumnType.TIMESTAMP:
        return _timestamps(array)
    if kind == ColumnType.DATE:
        return map_unique(array, _date_converter(zone))
    if kind == ColumnType.INTEGER:
        return pc.replace_substring_regex(array, r"^(-?\d+)\.0*$", r"\1")
    if kind == ColumnType.DECIMAL:
        if pc.any(pc.match_substring_regex(array, "[eE]")).as_py():
            return map_unique(array, _decimal)
        return array
    return array


# -- the mapping --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectMapping:
    """Landing columns of one entity, each read from a source field (and value map)."""

    entity: Entity
    fields: dict[str, str]  # landing column -> source field, registry order
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    @classmethod
    def build(
        cls,
        folder: str,
        defaults: Mapping[str, str],
        default_values: Mapping[str, Mapping[str, str]] | None = None,
        *,
        fields: Mapping[str, str] | None = None,
        values: Mapping[str, Mapping[str, str]] | None = None,
        timezone: str | None = None,
    ) -> ObjectMapping:
        """Defaults overridden by openspm.yaml's ``fields:``/``values:`` of this entity."""
        ent = entity(folder)
        chosen = {**defaults, **(fields or {})}
        ordered = {c: chosen[c] for c in ent.column_names if chosen.get(c)}
        missing = [c for c in ent.required_columns if c not in ordered]
        if missing:
            raise MappingError(
                f"{folder}: no source field for {', '.join(missing)}; "
                f"name one under fields: {folder}: {{{missing[0]}: <source field>}}"
            )
        merged = {k: dict(v) for k, v in (default_values or {}).items()}
        for column, mapping in (values or {}).items():
            merged.setdefault(column, {}).update(mapping)
        zone = ZoneInfo(timezone or "UTC")
        return cls(ent, ordered, merged, zone)

    @property
    def source_fields(self) -> list[str]:
        """The distinct source fields the mapping reads, in column order."""
        return list(dict.fromkeys(self.fields.values()))

    def apply(self, page: pa.Table) -> pa.Table:
        """The landing columns of a page of source records (all text)."""
        n = page.num_rows
        columns: dict[str, pa.Array] = {}
        for name, source in self.fields.items():
            if source in page.column_names:
                array = page[source].combine_chunks().cast(pa.string())
            else:
                array = pa.nulls(n, pa.string())
            mapping = self.values.get(name)
            if mapping:
                array = map_unique(array, _value_mapper(mapping))
            columns[name] = convert_column(self.entity.column(name), array, self.zone)
        return pa.table(columns)


def _value_mapper(mapping: Mapping[str, str]) -> Callable[[str], str]:
    folded = {str(k).strip().lower(): v for k, v in mapping.items()}

    def convert(value: str) -> str:
        if value in mapping:
            return mapping[value]
        return folded.get(value.strip().lower(), value)  # unmapped: kept as delivered

    return convert


# -- watermarks ----------------------------------------------------------------------------------


def max_timestamp(array: pa.Array | pa.ChunkedArray) -> datetime | None:
    """The greatest parseable ISO timestamp of a text column, in UTC (None if none parse).

    Only values dated within a day of the greatest date prefix are parsed (offsets are at most
    ±14 h), so a page of 100,000 rows costs a few hundred parses.
    """
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = pc.drop_null(_timestamps(array.cast(pa.string())))
    if len(array) == 0:
        return None
    day = pc.utf8_slice_codeunits(array, 0, 10)
    top = pc.max(day).as_py()
    try:
        floor = (date.fromisoformat(top) - timedelta(days=1)).isoformat()
    except ValueError:
        floor = ""
    candidates = pc.unique(pc.filter(array, pc.greater_equal(day, floor))).to_pylist()
    best: datetime | None = None
    for value in candidates:
        moment = parse_timestamp(value)
        if moment is not None and (best is None or moment > best):
            best = moment
    return best


def parse_timestamp(value: str) -> datetime | None:
    """ISO 8601 text as an aware UTC datetime (naive means UTC); None if it does not parse."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
