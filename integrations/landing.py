"""Landing batches written by connectors: streamed to a hidden file, then renamed, atomically.

A pull streams its pages into ``.pull-<pid>-<n>.csv.part`` inside the entity's landing folder
(hidden, so ingestion never reads it), fsyncs it and renames it to
``pull_<UTC time>_<kind>_<object>.csv``: the batch appears whole or not at all. A pull that
fails or is killed leaves no batch; the hidden leftover of a dead process is removed by the next
pull of that folder. Names start with the UTC time, so later pulls sort after earlier ones
(ties on ``modified_at`` go to the file whose name sorts last, docs/contract.md section 2).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

_TEMP = re.compile(r"^\.pull-(\d+)-\d+\.csv\.part$")
_COUNTER = itertools.count()
_OPTIONS = pacsv.WriteOptions(include_header=True, delimiter=",", quoting_style="needed")


def batch_name(kind: str, obj: str, moment: datetime | None = None) -> str:
    """``pull_20261203T020000123456Z_salesforce_Opportunity.csv``."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    safe = re.sub(r"[^A-Za-z0-9]+", "-", obj).strip("-")
    return f"pull_{moment:%Y%m%dT%H%M%S%f}Z_{kind}_{safe}.csv"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_parts(folder: Path) -> list[Path]:
    """Delete hidden partial batches left by pulls whose process is gone; return them."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for path in folder.iterdir():
        match = _TEMP.match(path.name)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


class BatchWriter:
    """Streams mapped pages into one CSV batch; ``commit`` publishes it, ``abort`` drops it."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        self.name = name
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_parts(folder)
        self.part = folder / f".pull-{os.getpid()}-{next(_COUNTER)}.csv.part"
        self._handle = self.part.open("wb")
        self._writer: pacsv.CSVWriter | None = None
        self._schema: pa.Schema | None = None
        self.rows = 0
        self.path: Path | None = None

    def write(self, table: pa.Table) -> None:
        """Append a page (text columns; the first page fixes the header)."""
        if table.num_rows == 0:
            return
        if self._writer is None:
            self._schema = table.schema
            self._writer = pacsv.CSVWriter(self._handle, table.schema, write_options=_OPTIONS)
        elif table.schema != self._schema:
            table = table.select(self._schema.names).cast(self._schema)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def commit(self) -> Path | None:
        """Flush, fsync and rename into place; None (and nothing written) if no rows came."""
        if self.rows == 0:
            self.abort()
            return None
        assert self._writer is not None
        self._writer.close()
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        final = self.folder / self.name
        os.replace(self.part, final)
        _fsync_dir(self.folder)
        self.path = final
        return final

    def abort(self) -> None:
        """Close and delete the partial file (safe to call twice)."""
        with contextlib.suppress(Exception):
            if self._writer is not None:
                self._writer.close()
        with contextlib.suppress(Exception):
            self._handle.close()
        with contextlib.suppress(FileNotFoundError):
            self.part.unlink()

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is not None or self.path is None:
            self.abort()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
