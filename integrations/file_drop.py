"""The file-drop connector: CSV and Parquet batches in ``landing/<system>/<entity>/``.

A batch is one file directly in an entity folder whose name ends in ``.csv`` or ``.parquet``
(any case). Batches are taken in file-name order. Anything else in the folder (sub-folders,
other extensions) is not a batch: it is listed in :attr:`BatchListing.ignored` so callers can
report it, and never read. Hidden files (name starting with ``.``, e.g. editor swap files or
partial uploads) are skipped silently.

:func:`read_batch` turns one batch into a pyarrow Table of strings: every delivered column as
text (header names trimmed and lower-cased) plus ``_row_number`` (int64, 1-based data row).

- CSV: UTF-8 (a BOM is fine), header row, comma separator, ``"`` quoting (``""`` inside quotes),
  CRLF or LF line ends, values may span lines inside quotes. Cells are kept exactly as written
  (an empty cell is ``''``). Blank lines are skipped but counted, so row N is line N+1 of the
  file whenever no value holds a line break. Parsed with pyarrow's multi-threaded reader; the
  slower Python ``csv`` module is used only to locate a problem after pyarrow refused the file.
- Parquet: read with pyarrow; values rendered as text by DuckDB ``CAST(x AS VARCHAR)`` in UTC
  (dates ``YYYY-MM-DD``, timestamps ``YYYY-MM-DD HH:MM:SS[.ffffff][+00]``, booleans
  ``true``/``false``, decimals with their scale); a Parquet null stays NULL.

A file that cannot be read raises :class:`BatchReadError` naming the file, the row where known,
and what is wrong.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

BatchFormat = Literal["csv", "parquet"]
FORMATS: dict[str, BatchFormat] = {".csv": "csv", ".parquet": "parquet"}
ROW_NUMBER = "_row_number"
# Columns ingestion adds to every raw row; a delivered column may not carry one of these names.
RESERVED_COLUMNS = frozenset({ROW_NUMBER, "_file", "_file_hash", "_loaded_at", "_quarantined"})
_HASH_CHUNK = 1 << 20
_FIELD_SIZE_LIMIT = (1 << 31) - 1


class BatchReadError(ValueError):
    """A landing batch cannot be read; the message names the file, the row (if known) and why."""

    def __init__(self, file: str, reason: str, row: int | None = None) -> None:
        self.file = file
        self.reason = reason
        self.row = row
        where = f", row {row}" if row is not None else ""
        super().__init__(f"{file}{where}: {reason}")


@dataclass(frozen=True)
class BatchFile:
    """One landing file: a batch of one entity."""

    path: Path
    file: str  # "<system>/<entity>/<file name>", the raw layer's ``_file``
    format: BatchFormat

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class BatchListing:
    """The batches of an entity folder in name order, and the entries that are not batches."""

    batches: tuple[BatchFile, ...]
    ignored: tuple[str, ...]  # "<system>/<entity>/<name>" of other files and sub-folders


def list_batches(folder: Path, prefix: str) -> BatchListing:
    """The batches directly in ``folder`` (sorted by name); ``prefix`` is e.g. ``crm/deals``.

    An absent folder holds no batches.
    """
    if not folder.is_dir():
        return BatchListing((), ())
    batches: list[BatchFile] = []
    ignored: list[str] = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.startswith("."):
            continue
        kind = FORMATS.get(path.suffix.lower())
        if kind is not None and path.is_file():
            batches.append(BatchFile(path, f"{prefix}/{path.name}", kind))
        else:
            ignored.append(f"{prefix}/{path.name}")
    return BatchListing(tuple(batches), tuple(ignored))


def file_sha256(path: Path) -> str:
    """sha256 hex digest of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def bytes_sha256(data: bytes) -> str:
    """sha256 hex digest of bytes already in memory."""
    return hashlib.sha256(data).hexdigest()


def read_batch(batch: BatchFile, data: bytes | None = None) -> pa.Table:
    """The batch as a Table of strings plus ``_row_number``; ``data``: its bytes if already read.

    Raises BatchReadError if the file cannot be read.
    """
    if data is None:
        try:
            data = batch.path.read_bytes()
        except OSError as exc:
            raise BatchReadError(batch.file, f"cannot open the file: {exc.strerror}") from None
    if batch.format == "csv":
        return _read_csv(batch.file, data)
    return _read_parquet(batch.file, data)


# ---------------------------------------------------------------------------------------- names


def normalize_names(file: str, names: list[str]) -> list[str]:
    """Header names trimmed and lower-cased; refuses empty, duplicate and reserved names."""
    normalized = [n.strip().lower() for n in names]
    seen: dict[str, int] = {}
    for position, name in enumerate(normalized, start=1):
        if not name:
            raise BatchReadError(file, f"header column {position} has no name")
        if name in RESERVED_COLUMNS:
            raise BatchReadError(
                file, f"header column {position} is named {name!r}, a name reserved for OpenSPM"
            )
        if name in seen:
            raise BatchReadError(
                file,
                f"the header names column {name!r} twice (columns {seen[name]} and {position}; "
                "names are compared trimmed and lower-cased)",
            )
        seen[name] = position
    return normalized


# ------------------------------------------------------------------------------------------ CSV


def _read_csv(file: str, data: bytes) -> pa.Table:
    header = _csv_header(file, data)
    names = normalize_names(file, header)
    # pyarrow refuses a header-only file without a final line end: give it one
    text = data if data.endswith(b"\n") else data + b"\n"
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(text),
            read_options=pa_csv.ReadOptions(use_threads=True, block_size=4 << 20),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except pa.ArrowException as exc:
        raise _diagnose_csv(file, data, str(exc)) from None
    if table.column_names != header:  # pyarrow read the header differently: locate why
        raise _diagnose_csv(file, data, "the header could not be read")
    if data.count(b'"') % 2:  # an odd number of quotes: maybe an unterminated quoted value
        problem = _csv_scan(file, data, len(header))
        if problem is not None:
            raise problem
    table = table.rename_columns(names)
    return table.append_column(ROW_NUMBER, _row_numbers(data, table.num_rows))


def _csv_header(file: str, data: bytes) -> list[str]:
    """The header row's cells, read with the Python csv module (the header is small)."""
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise BatchReadError(file, "the file is empty (a CSV batch needs a header row)")
    limit = 1 << 20  # enough for any sane header; a cut inside a character waits for more
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(
            data[:limit], final=len(data) <= limit
        )
    except UnicodeDecodeError:
        raise _utf8_error(file, data) from None
    try:
        row = next(csv.reader(io.StringIO(text, newline=""), strict=True))
    except StopIteration:
        raise BatchReadError(file, "the file has no header row") from None
    except csv.Error as exc:
        raise BatchReadError(file, f"the header row cannot be read: {exc}") from None
    if not row:
        raise BatchReadError(file, "the first line is blank; a CSV batch starts with its header")
    return row


def _row_numbers(data: bytes, count: int) -> pa.Array:
    """1..count, unless blank lines between rows shift the numbers (then counted exactly)."""
    body = data.rstrip(b"\r\n\t ")
    if b"\n\n" not in body and b"\n\r\n" not in body:
        return pa.array(np.arange(1, count + 1, dtype=np.int64))
    try:
        numbers = [
            index
            for index, record in enumerate(_csv_records(data))
            if index > 0 and record  # the header is record 0; a blank line is []
        ]
    except csv.Error:  # pyarrow read what Python's csv refuses: number the rows in order
        numbers = []
    if len(numbers) != count:
        return pa.array(np.arange(1, count + 1, dtype=np.int64))
    return pa.array(numbers, type=pa.int64())


def _csv_records(data: bytes, *, strict: bool = True) -> Iterator[list[str]]:
    """Records as Python's csv module reads them (only on slow paths: errors, blank lines)."""
    text = data.decode("utf-8-sig", errors="replace")
    if csv.field_size_limit() < _FIELD_SIZE_LIMIT:
        csv.field_size_limit(_FIELD_SIZE_LIMIT)  # a CSV value may be long
    return csv.reader(io.StringIO(text, newline=""), strict=strict)


def _diagnose_csv(file: str, data: bytes, arrow_message: str) -> BatchReadError:
    """A BatchReadError saying where and what, after pyarrow refused the file."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _not_utf8(file, data, exc)
    header = _csv_header(file, data)
    problem = _csv_scan(file, data, len(header))
    if problem is not None:
        return problem
    message = re.sub(r"^(CSV parse error|In CSV column #\d+): ", "", arrow_message)
    return BatchReadError(file, f"cannot be read as CSV: {message}")


def _utf8_error(file: str, data: bytes) -> BatchReadError:
    """Where the first byte that is not UTF-8 sits (the data is known not to decode)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _not_utf8(file, data, exc)
    return BatchReadError(file, "not UTF-8 text (save the file as CSV UTF-8)")


def _not_utf8(file: str, data: bytes, exc: UnicodeDecodeError) -> BatchReadError:
    bad = data[exc.start : exc.start + 1].hex()
    prefix = data[: exc.start].decode("utf-8-sig")
    line = prefix.count("\n") + 1
    try:  # the record that holds the bad byte (record 1 is the header)
        records = sum(1 for _ in _csv_records((prefix + "x").encode(), strict=False))
    except csv.Error:
        records = 0
    reason = (
        f"not UTF-8 text: byte 0x{bad} on line {line} is not valid UTF-8 "
        "(save the file as CSV UTF-8)"
    )
    return BatchReadError(file, reason, row=records - 1 if records > 1 else None)


def _csv_scan(file: str, data: bytes, width: int) -> BatchReadError | None:
    """Walk every record with the Python csv module; the first ragged or malformed row, if any."""
    reader = _csv_records(data)
    index = 0
    try:
        for index, record in enumerate(reader):
            if index == 0 or not record:
                continue
            if len(record) != width:
                return BatchReadError(
                    file,
                    f"has {len(record)} values where the header has {width} columns "
                    "(a value with a comma must be quoted)",
                    row=index,
                )
    except csv.Error as exc:
        return BatchReadError(file, f"cannot be read as CSV: {_csv_reason(exc)}", row=index + 1)
    return None


def _csv_reason(exc: csv.Error) -> str:
    """Python's csv error in words: an open quote is the common case."""
    message = str(exc)
    if "unexpected end of data" in message or "EOF inside string" in message:
        return (
            "a quoted value is never closed (unterminated quote: every \" that opens a value "
            "must be closed by another)"
        )
    return message


# -------------------------------------------------------------------------------------- Parquet


def _read_parquet(file: str, data: bytes) -> pa.Table:
    try:
        table = pq.read_table(pa.BufferReader(data), use_threads=True)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise BatchReadError(file, f"not a readable Parquet file ({exc})") from None
    names = normalize_names(file, table.column_names)
    table = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
    table = table.append_column(
        ROW_NUMBER, pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64))
    )
    select = ", ".join(
        [f'CAST(c{i} AS VARCHAR) AS "{_quote(n)}"' for i, n in enumerate(names)] + [ROW_NUMBER]
    )
    connection = duckdb.connect(":memory:")
    try:
        connection.execute("SET TimeZone = 'UTC'")
        connection.register("parquet_batch", table)
        return connection.sql(f"SELECT {select} FROM parquet_batch").to_arrow_table()
    except duckdb.Error as exc:
        raise BatchReadError(file, f"a Parquet value cannot be rendered as text ({exc})") from None
    finally:
        connection.close()


def _quote(name: str) -> str:
    return name.replace('"', '""')
