"""Writing the demo's files: landing batches (CSV and Parquet), plan YAML and comp CSVs.

Batches of a month are CSV when the calendar month is odd and Parquet when it is even (fx_rates:
by quarter). CSV follows docs/raw-layer.md (booleans true/false, dates YYYY-MM-DD, decimals with
'.', timestamps ``YYYY-MM-DDTHH:MM:SSZ``, empty cell for a missing optional value). Parquet holds
typed columns (date32, timestamp[us, UTC], decimal128, bool, int32). Output is byte-for-byte
deterministic for one seed and size.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from openspm.demo.calendar import month_label
from openspm.entities import entity

TIMESTAMP = pa.timestamp("us", tz="UTC")
_CSV_OPTIONS = pacsv.WriteOptions(include_header=True, delimiter=",", quoting_style="needed")


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded numbers, e.g. D000042."""
    text = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, text, "")


def labels(values: Sequence[str], index: np.ndarray) -> pa.Array:
    """Strings by index into a small vocabulary."""
    return pa.array(list(values), pa.string()).take(pa.array(index, pa.int64()))


def dates(days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """date32 from day numbers; ``missing`` marks nulls."""
    arr = pa.array(np.asarray(days, dtype="int32"), pa.int32(), mask=missing)
    return arr.cast(pa.date32())


def timestamps(micros: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(micros, dtype="int64"), pa.int64()).cast(TIMESTAMP)


def decimals(units: np.ndarray, scale: int, precision: int = 18) -> pa.Array:
    """decimal128(precision, scale) from integers in units of 10**-scale."""
    whole = pc.cast(pa.array(np.asarray(units, dtype="int64"), pa.int64()), pa.decimal128(20, 0))
    factor = pa.scalar(Decimal(1).scaleb(-scale), pa.decimal128(scale + 1, scale))
    return pc.cast(pc.multiply(whole, factor), pa.decimal128(precision, scale))


def integers(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype="int32"), pa.int32(), mask=missing)


def booleans(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=bool), pa.bool_())


def _csv_ready(table: pa.Table) -> pa.Table:
    """Timestamps as ISO 8601 text with a Z; everything else as pyarrow writes it."""
    columns = []
    for col in table.columns:
        if pa.types.is_timestamp(col.type):
            text = pc.cast(pc.cast(col, pa.timestamp("s")), pa.string())
            col = pc.binary_join_element_wise(pc.replace_substring(text, " ", "T"), "Z", "")
        columns.append(col)
    return pa.table(columns, names=table.column_names)


def write_table(table: pa.Table, path: Path) -> None:
    """One batch file, CSV or Parquet by its suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        pacsv.write_csv(_csv_ready(table), path, write_options=_CSV_OPTIONS)
    else:
        pq.write_table(
            table,
            path,
            compression="zstd",
            compression_level=3,
            use_dictionary=True,
            write_statistics=True,
            version="2.6",
        )


def month_format(month: int) -> str:
    """CSV for odd calendar months, Parquet for even ones."""
    return "csv" if (month % 12 + 1) % 2 == 1 else "parquet"


def write_batches(
    landing: Path,
    folder: str,
    table: pa.Table | Callable[[slice], pa.Table],
    batch: np.ndarray,
    *,
    label: Callable[[int], str] = month_label,
    fmt: Callable[[int], str] = month_format,
    drop_unused_deleted: bool = False,
) -> list[Path]:
    """Write ``table`` (sorted by ``batch``) as one file per batch value; returns the paths.

    ``table`` may be a function building the rows of a slice, so that only one batch of a
    large entity is in memory as Arrow data at a time.
    """
    spec = entity(folder)
    build = (
        table if callable(table) else (lambda rows: table.slice(rows.start, rows.stop - rows.start))
    )
    batch = np.asarray(batch, dtype="int64")
    if batch.size and np.any(np.diff(batch) < 0):
        raise AssertionError(f"{folder}: rows are not sorted by batch")
    stem = folder.split("/")[1]
    paths: list[Path] = []
    if batch.size == 0:
        return paths
    cuts = np.flatnonzero(np.diff(batch)) + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [batch.size]])
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        part = build(slice(lo, hi))
        missing = [c for c in spec.required_columns if c not in part.column_names]
        if missing:
            raise AssertionError(f"{folder}: generated table lacks {missing}")
        value = int(batch[lo])
        unused = "is_deleted" in part.column_names and not pc.any(part["is_deleted"]).as_py()
        if drop_unused_deleted and unused:
            part = part.drop_columns(["is_deleted"])
        path = landing / folder / f"{stem}_{label(value)}.{fmt(value)}"
        write_table(part, path)
        paths.append(path)
    return paths


def write_csv_rows(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A small comp CSV (unquoted unless needed, '\\n' line ends)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
