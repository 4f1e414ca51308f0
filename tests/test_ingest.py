"""Ingestion of landing batches into the raw schema (docs/raw-layer.md), on real DuckDB files."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from integrations.file_drop import BatchFile, BatchReadError, list_batches, read_batch
from openspm.entities import ENTITIES, entity
from openspm.ingest import (
    EMPTY_REQUIRED,
    LandingFileChangedError,
    Problem,
    check_landing,
    ingest_all,
    ingest_entity,
)
from openspm.warehouse import duckdb_file
from openspm.workspace import Workspace

DEALS = entity("crm/deals")
HEADER = "deal_id,account_id,owner_id,deal_type,stage,is_won,close_date,amount,currency,modified_at"
GOOD = "D{n},A1,U1,new_business,closed_won,true,2025-01-31,1000.50,USD,2025-02-01T10:00:00Z"
METADATA = ["_file", "_row_number", "_file_hash", "_loaded_at", "_quarantined"]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    (tmp_path / "openspm.yaml").write_text("company: Test\nreporting_currency: USD\n")
    return Workspace.open(tmp_path)


def deals_dir(ws: Workspace) -> Path:
    folder = ws.landing_dir / "crm" / "deals"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write(ws: Workspace, name: str, text: str | bytes, folder: str = "crm/deals") -> Path:
    path = ws.landing_dir / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


def csv_text(*rows: str, header: str = HEADER, newline: str = "\n") -> str:
    return newline.join([header, *rows]) + newline


def query(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    connection = duckdb_file(str(ws.warehouse_path), read_only=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def quarantine(ws: Workspace) -> list[tuple[Any, ...]]:
    return query(
        ws,
        "SELECT _file, _row_number, column_name, value, reason FROM raw.ingest_quarantine "
        "ORDER BY _file, _row_number NULLS FIRST, column_name",
    )


def columns(ws: Workspace, table: str) -> list[str]:
    return [
        name
        for (name,) in query(
            ws,
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' "
            f"AND table_name = '{table}' ORDER BY column_index",
        )
    ]


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------------------- loading and metadata


def test_csv_and_parquet_batches_load_with_their_metadata(ws: Workspace) -> None:
    csv_path = write(ws, "deals_01.csv", csv_text(GOOD.format(n=1), GOOD.format(n=2)))
    parquet_path = deals_dir(ws) / "deals_02.parquet"
    pq.write_table(
        pa.table(
            {
                "deal_id": ["D3", "D4"],
                "account_id": ["A1", "A2"],
                "owner_id": ["U1", "U2"],
                "deal_type": ["renewal", "expansion"],
                "stage": ["closed_won", "open"],
                "is_won": pa.array([True, False]),
                "close_date": pa.array([date(2025, 3, 31), None], pa.date32()),
                "amount": pa.array([Decimal("12.50"), Decimal("-3.00")], pa.decimal128(20, 2)),
                "currency": ["EUR", "EUR"],
                "contract_term_months": pa.array([12, 24], pa.int32()),
                "modified_at": pa.array(
                    [datetime(2025, 4, 1, 8, 30, tzinfo=UTC), datetime(2025, 4, 1, 8, 30, 0, 5)],
                    pa.timestamp("us", tz="UTC"),
                ),
                "local_ts": pa.array([datetime(2025, 4, 1, 8, 30), None], pa.timestamp("us")),
            }
        ),
        parquet_path,
    )
    before = datetime.now(UTC).replace(tzinfo=None)
    report = ingest_entity(ws, DEALS)
    after = datetime.now(UTC).replace(tzinfo=None)

    assert (report.batches_found, report.batches_loaded, report.rows_loaded) == (2, 2, 4)
    assert (report.batches_skipped, report.batches_rejected, report.rows_quarantined) == (0, 0, 0)
    assert columns(ws, "crm__deals") == [*DEALS.column_names, *METADATA, "local_ts"]
    rows = query(
        ws,
        "SELECT deal_id, account_id, is_won, close_date, amount, contract_term_months, "
        "modified_at, local_ts, _file, _row_number, _file_hash, _loaded_at, _quarantined "
        "FROM raw.crm__deals ORDER BY _file, _row_number",
    )
    csv_hash = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    parquet_hash = hashlib.sha256(parquet_path.read_bytes()).hexdigest()
    assert [r[:8] for r in rows] == [
        ("D1", "A1", "true", "2025-01-31", "1000.50", None, "2025-02-01T10:00:00Z", None),
        ("D2", "A1", "true", "2025-01-31", "1000.50", None, "2025-02-01T10:00:00Z", None),
        (
            "D3",
            "A1",
            "true",
            "2025-03-31",
            "12.50",
            "12",
            "2025-04-01 08:30:00+00",
            "2025-04-01 08:30:00",
        ),
        ("D4", "A2", "false", None, "-3.00", "24", "2025-04-01 08:30:00.000005+00", None),
    ]
    assert [r[8:11] for r in rows] == [
        ("crm/deals/deals_01.csv", 1, csv_hash),
        ("crm/deals/deals_01.csv", 2, csv_hash),
        ("crm/deals/deals_02.parquet", 1, parquet_hash),
        ("crm/deals/deals_02.parquet", 2, parquet_hash),
    ]
    assert all(before <= r[11] <= after and r[12] is False for r in rows)
    batches = query(
        ws,
        "SELECT entity, _file, _file_hash, file_size, file_format, row_count, quarantined_rows, "
        "status FROM raw.ingest_batches ORDER BY _file",
    )
    assert batches == [
        (
            "crm/deals",
            "crm/deals/deals_01.csv",
            csv_hash,
            csv_path.stat().st_size,
            "csv",
            2,
            0,
            "loaded",
        ),
        (
            *("crm/deals", "crm/deals/deals_02.parquet", parquet_hash),
            *(parquet_path.stat().st_size, "parquet", 2, 0, "loaded"),
        ),
    ]
    assert quarantine(ws) == []


def test_values_are_kept_exactly_as_delivered(ws: Workspace) -> None:
    write(
        ws,
        "d.csv",
        csv_text(
            'D1,A1,U1,new_business,closed_won,true,2025-01-31, 1.50,USD,2025-02-01T10:00:00Z,""',
            "D2, A 2 ,U1,renewal,closed_won,false,,,,2025-02-01T10:00:00Z,",
            header=f"{HEADER},contract_term_months",
        ),
    )
    ingest_entity(ws, DEALS)
    rows = query(
        ws,
        "SELECT deal_id, account_id, close_date, amount, currency, contract_term_months, "
        "cancelled_date, _quarantined FROM raw.crm__deals ORDER BY _row_number",
    )
    assert rows == [
        ("D1", "A1", "2025-01-31", " 1.50", "USD", "", None, False),
        ("D2", " A 2 ", "", "", "", "", None, False),
    ]
    assert quarantine(ws) == []


def test_an_absent_entity_folder_gives_an_empty_table_with_registry_columns(ws: Workspace) -> None:
    report = ingest_entity(ws, entity("erp/invoices"))
    assert (report.batches_found, report.rows_loaded) == (0, 0)
    invoices = entity("erp/invoices")
    assert columns(ws, "erp__invoices") == [*invoices.column_names, *METADATA]
    assert query(ws, "SELECT count(*) FROM raw.erp__invoices") == [(0,)]
    assert query(ws, "SELECT count(*) FROM raw.ingest_batches") == [(0,)]


def test_ingest_all_creates_every_raw_table(ws: Workspace) -> None:
    write(ws, "d.csv", csv_text(GOOD.format(n=1)))
    reports = ingest_all(ws)
    assert [r.entity for r in reports] == [e.folder for e in ENTITIES]
    assert sum(r.rows_loaded for r in reports) == 1
    tables = {t for (t,) in query(ws, "SELECT table_name FROM duckdb_tables()")}
    assert tables >= {e.table for e in ENTITIES} | {"ingest_batches", "ingest_quarantine"}


def test_a_given_connection_is_used_and_left_open(ws: Workspace) -> None:
    write(ws, "d.csv", csv_text(GOOD.format(n=1)))
    connection = duckdb_file(str(ws.warehouse_path))
    try:
        report = ingest_entity(ws, DEALS, connection=connection)
        assert report.rows_loaded == 1
        assert connection.execute("SELECT count(*) FROM raw.crm__deals").fetchall() == [(1,)]
    finally:
        connection.close()


# ------------------------------------------------------------------------- re-ingestion, changes


def test_reingestion_skips_loaded_batches(ws: Workspace) -> None:
    write(ws, "a.csv", csv_text(GOOD.format(n=1), GOOD.format(n=2)))
    ingest_entity(ws, DEALS)
    write(ws, "b.csv", csv_text(GOOD.format(n=3)))
    report = ingest_entity(ws, DEALS)
    assert (report.batches_loaded, report.batches_skipped, report.rows_loaded) == (1, 1, 1)
    again = ingest_entity(ws, DEALS)
    assert (again.batches_loaded, again.batches_skipped, again.rows_loaded) == (0, 2, 0)
    assert query(ws, "SELECT count(*) FROM raw.crm__deals") == [(3,)]
    assert query(ws, "SELECT count(*) FROM raw.ingest_batches") == [(2,)]


def test_a_changed_loaded_batch_is_refused_and_nothing_new_loads(ws: Workspace) -> None:
    first = write(ws, "a.csv", csv_text(GOOD.format(n=1)))
    ingest_entity(ws, DEALS)
    first.write_text(csv_text(GOOD.format(n=1), GOOD.format(n=2)))
    write(ws, "b.csv", csv_text(GOOD.format(n=3)))
    with pytest.raises(LandingFileChangedError) as raised:
        ingest_entity(ws, DEALS)
    message = str(raised.value)
    assert "crm/deals/a.csv changed after it was loaded on" in message
    assert "new batch file" in message
    assert query(ws, "SELECT count(*) FROM raw.crm__deals") == [(1,)]
    assert query(ws, "SELECT _file FROM raw.ingest_batches") == [("crm/deals/a.csv",)]
    problems = check_landing(ws)
    assert [(p.file, "changed after it was loaded" in p.reason) for p in problems] == [
        ("crm/deals/a.csv", True)
    ]


def test_a_new_extra_column_in_a_later_batch_is_added(ws: Workspace) -> None:
    write(ws, "a.csv", csv_text(GOOD.format(n=1)))
    write(ws, "b.csv", csv_text(GOOD.format(n=2) + ",hello", header=f"{HEADER},Notes"))
    ingest_entity(ws, DEALS)
    assert columns(ws, "crm__deals")[-1] == "notes"
    assert query(ws, "SELECT deal_id, notes FROM raw.crm__deals ORDER BY deal_id") == [
        ("D1", None),
        ("D2", "hello"),
    ]
    assert query(ws, "SELECT message FROM raw.ingest_batches WHERE _file LIKE '%b.csv'") == [
        ("extra columns kept: notes",)
    ]


# ------------------------------------------------------------------------------------ quarantine

# (column, value, reason): one bad value per row of one batch, each row otherwise good.
BAD_VALUES = [
    ("is_won", "yes", "not a boolean (expected true, false, 1 or 0)"),
    ("is_won", "", EMPTY_REQUIRED),
    ("close_date", "2025-13-01", "not a real calendar date"),
    ("close_date", "31/01/2025", "not a date (expected YYYY-MM-DD)"),
    ("close_date", "2025-1-31", "not a date (expected YYYY-MM-DD)"),
    ("modified_at", "2025-02-01", "not a timestamp (expected ISO 8601, e.g. 2025-01-31T14:05:00Z)"),
    ("modified_at", "2025-02-01T25:00:00Z", "not a real date and time"),
    ("modified_at", "", EMPTY_REQUIRED),
    ("amount", "1.1234567", "more than 6 decimal places"),
    ("amount", "123456789012345", "too many digits (at most 14 before the decimal point)"),
    ("amount", "1,000.00", "not a decimal number"),
    ("amount", "1e5", "not a decimal number"),
    ("is_won", "  ", EMPTY_REQUIRED),
    ("amount", "1. 5", "not a decimal number"),
    ("amount", "\t1.5", "not a decimal number"),
    ("contract_term_months", "12.5", "not a whole number"),
    ("contract_term_months", "3000000000", "whole number out of range"),
    ("currency", "US", "not a currency code (expected three letters, e.g. USD)"),
    ("currency", "€UR", "not a currency code"),
    ("deal_type", "upsell", "not one of new_business, expansion, renewal"),
    ("deal_id", "", EMPTY_REQUIRED),
    ("owner_id", "", EMPTY_REQUIRED),
]
GOOD_VALUES = [  # odd but valid: no quarantine
    ("is_won", " TRUE "),
    ("is_won", "0"),
    ("is_won", "False"),
    ("deal_type", " Renewal"),
    ("currency", "usd"),
    ("currency", ""),  # nullable: a won deal without currency is a check of its own
    ("amount", "-0.5"),
    ("amount", " 1.50 "),  # surrounding blanks are ignored by every type but string
    ("close_date", " 2025-01-31"),
    ("modified_at", "2025-02-01T10:00:00Z "),
    ("currency", " eur "),
    ("amount", "   "),  # blank: empty, admitted in a nullable column
    ("amount", "0001.5"),
    ("amount", "1.5000000"),  # zeros beyond the scale lose nothing
    ("amount", "12345678901234.123456"),
    ("modified_at", "2025-02-01 10:00"),
    ("modified_at", "2025-02-01T10:00:00.123456789+02:00"),
    ("modified_at", "2025-02-01T10:00:00-05"),
    ("contract_term_months", "-0012"),
    ("contract_term_months", ""),
]
COLUMNS = [*HEADER.split(","), "contract_term_months"]
BASE = dict(zip(COLUMNS, [*GOOD.format(n=0).split(","), "12"], strict=True))


def _row(n: int, column: str, value: str) -> str:
    values = {**BASE, "deal_id": f"D{n}", column: value}
    return ",".join(f'"{values[c]}"' for c in COLUMNS)


def test_each_type_quarantines_its_bad_values_with_a_plain_reason(ws: Workspace) -> None:
    cases = BAD_VALUES + [(c, v, None) for c, v in GOOD_VALUES]
    rows = [_row(n, column, value) for n, (column, value, _) in enumerate(cases, start=1)]
    write(ws, "mixed.csv", csv_text(*rows, header=",".join(COLUMNS)))
    report = ingest_entity(ws, DEALS)
    expected = [
        ("crm/deals/mixed.csv", n, column, value)
        for n, (column, value, reason) in enumerate(cases, start=1)
        if reason is not None
    ]
    got = quarantine(ws)
    assert [g[:4] for g in got] == expected
    for (_, _, _, _, reason), (_, _, want) in zip(got, BAD_VALUES, strict=True):
        assert reason.startswith(want)
    assert report.rows_loaded == len(cases)
    assert report.rows_quarantined == report.problems == len(BAD_VALUES)
    flagged = query(ws, "SELECT _row_number FROM raw.crm__deals WHERE _quarantined ORDER BY 1")
    assert [r for (r,) in flagged] == list(range(1, len(BAD_VALUES) + 1))
    keys = query(ws, "SELECT DISTINCT record_key FROM raw.ingest_quarantine WHERE _row_number = 1")
    assert keys == [("D1",)]
    assert query(ws, "SELECT status, quarantined_rows FROM raw.ingest_batches") == [
        ("loaded", len(BAD_VALUES))
    ]


def test_decimal_precision_of_split_percent_and_enum_of_splits(ws: Workspace) -> None:
    header = "split_id,deal_id,owner_id,split_type,split_percent,modified_at"
    write(
        ws,
        "s.csv",
        csv_text(
            "S1,D1,U1,revenue,100,2025-02-01T10:00:00Z",
            "S2,D1,U1,Overlay,99.999999,2025-02-01T10:00:00Z",
            "S3,D1,U1,overlay,1000,2025-02-01T10:00:00Z",
            "S4,D1,U1,credit,50,2025-02-01T10:00:00Z",
            header=header,
        ),
        folder="crm/deal_splits",
    )
    ingest_entity(ws, entity("crm/deal_splits"))
    assert [q[1:] for q in quarantine(ws)] == [
        (3, "split_percent", "1000", "too many digits (at most 3 before the decimal point)"),
        (4, "split_type", "credit", "not one of revenue, overlay"),
    ]


# ------------------------------------------------------------------------------ rejected batches


def test_a_batch_lacking_a_required_column_is_rejected_until_replaced(ws: Workspace) -> None:
    header = HEADER.replace(",amount", "")
    row = GOOD.format(n=1).replace(",1000.50", "")
    path = write(ws, "a.csv", csv_text(row, header=header))
    report = ingest_entity(ws, DEALS)
    assert (report.batches_rejected, report.batches_loaded, report.rows_loaded) == (1, 0, 0)
    assert query(ws, "SELECT count(*) FROM raw.crm__deals") == [(0,)]
    assert quarantine(ws) == [
        ("crm/deals/a.csv", None, "amount", None, "required column is missing from the file")
    ]
    ((status, message),) = query(ws, "SELECT status, message FROM raw.ingest_batches")
    assert status == "rejected" and "lacks required column(s) amount" in message

    again = ingest_entity(ws, DEALS)  # unchanged: skipped, recorded once
    assert (again.batches_skipped, again.batches_rejected, again.rejected_total) == (1, 0, 1)
    assert len(quarantine(ws)) == 1

    bad = write(ws, "b.csv", "deal_id\nD9\n")
    assert ingest_entity(ws, DEALS).rejected_total == 2
    bad.unlink()  # a withdrawn rejected file is forgotten
    assert ingest_entity(ws, DEALS).rejections_withdrawn == 1
    assert [q[0] for q in quarantine(ws)] == ["crm/deals/a.csv"]

    path.write_text(csv_text(GOOD.format(n=1)))  # the fixed file replaces the rejected one
    fixed = ingest_entity(ws, DEALS)
    assert (fixed.batches_loaded, fixed.rows_loaded, fixed.rejected_total) == (1, 1, 0)
    assert quarantine(ws) == []
    assert query(ws, "SELECT _file, status FROM raw.ingest_batches") == [
        ("crm/deals/a.csv", "loaded")
    ]


@pytest.mark.parametrize(
    ("name", "content", "row", "reason"),
    [
        (
            "latin1.csv",
            csv_text(GOOD.format(n=1), GOOD.format(n=2).replace("A1", "Café")).encode("latin-1"),
            2,
            "not UTF-8 text: byte 0xe9 on line 3",
        ),
        ("ragged.csv", csv_text(GOOD.format(n=1), "D2,A1,U1"), 2, "has 3 values where the header"),
        ("quote.csv", csv_text(GOOD.format(n=1), 'D2,"A1,U1'), 2, "cannot be read as CSV"),
        (
            "quote_end.csv",
            csv_text(GOOD.format(n=1), GOOD.format(n=2).replace(",2025-02-01T", ',"2025-02-01T')),
            2,
            "a quoted value is never closed",
        ),
        ("dup.csv", csv_text(GOOD.format(n=1) + ",x", header=f"{HEADER},Amount "), None, "twice"),
        ("empty.csv", "", None, "the file is empty"),
        ("blank.csv", "\n" + csv_text(GOOD.format(n=1)), None, "the first line is blank"),
        ("corrupt.parquet", b"PAR1 this is not parquet", None, "not a readable Parquet file"),
        (
            "reserved.csv",
            csv_text(GOOD.format(n=1) + ",x", header=f"{HEADER},_file"),
            None,
            "reserved",
        ),
    ],
)
def test_unreadable_batches_are_rejected_with_a_clear_reason(
    ws: Workspace, name: str, content: str | bytes, row: int | None, reason: str
) -> None:
    path = write(ws, name, content)
    batch = list_batches(path.parent, "crm/deals").batches[0]
    with pytest.raises(BatchReadError) as raised:
        read_batch(batch)
    assert raised.value.file == f"crm/deals/{name}" and raised.value.row == row
    assert reason in raised.value.reason and f"crm/deals/{name}" in str(raised.value)

    report = ingest_entity(ws, DEALS)
    assert (report.batches_rejected, report.rows_loaded) == (1, 0)
    ((file, q_row, column, value, q_reason),) = quarantine(ws)
    assert (file, q_row, column, value) == (f"crm/deals/{name}", row, None, None)
    assert reason in q_reason
    assert query(ws, "SELECT status FROM raw.ingest_batches") == [("rejected",)]
    assert query(ws, "SELECT count(*) FROM raw.crm__deals") == [(0,)]


def test_odd_but_valid_files_load_without_quarantine(ws: Workspace) -> None:
    reordered = (
        "Currency,AMOUNT, deal_id ,account_id,owner_id,deal_type,stage,is_won,close_date,"
        "modified_at,Extra"
    )
    write(ws, "1_header_only.csv", HEADER + "\n")
    write(ws, "2_header_only_no_newline.csv", HEADER)
    write(ws, "3_bom_crlf.csv", "\ufeff" + csv_text(GOOD.format(n=1), newline="\r\n"))
    write(
        ws,
        "4_reordered.csv",
        csv_text(
            'usd,5,D2,A1,U1,new_business,closed_won,1,2025-01-31,2025-02-01T10:00:00Z,"x, ""y"""',
            'EUR,6,D3,A1,U1,expansion,closed_won,0,2025-01-31,2025-02-01T10:00:00Z,"line1\r\nline2"',
            "EUR,7,D4,A1,U1,renewal,closed_won,TRUE,2025-01-31,2025-02-01T10:00:00Z,",
            header=reordered,
        ),
    )
    write(ws, "5_blank_lines.csv", csv_text(GOOD.format(n=5), "", GOOD.format(n=6), "", ""))
    write(ws, "notes.txt", "not a batch")
    (deals_dir(ws) / "archive").mkdir()
    write(ws, ".hidden.csv", "garbage")
    report = ingest_entity(ws, DEALS)
    assert report.ignored == ("crm/deals/archive", "crm/deals/notes.txt")
    assert (report.batches_loaded, report.rows_loaded, report.problems) == (5, 6, 0)
    assert quarantine(ws) == []
    rows = query(
        ws,
        "SELECT _file, _row_number, deal_id, currency, amount, is_won, extra "
        "FROM raw.crm__deals ORDER BY _file, _row_number",
    )
    assert rows == [
        ("crm/deals/3_bom_crlf.csv", 1, "D1", "USD", "1000.50", "true", None),
        ("crm/deals/4_reordered.csv", 1, "D2", "usd", "5", "1", 'x, "y"'),
        ("crm/deals/4_reordered.csv", 2, "D3", "EUR", "6", "0", "line1\r\nline2"),
        ("crm/deals/4_reordered.csv", 3, "D4", "EUR", "7", "TRUE", ""),
        ("crm/deals/5_blank_lines.csv", 1, "D5", "USD", "1000.50", "true", None),
        ("crm/deals/5_blank_lines.csv", 3, "D6", "USD", "1000.50", "true", None),
    ]
    assert query(ws, "SELECT count(*) FROM raw.ingest_batches WHERE row_count = 0") == [(2,)]


def test_list_batches_sorts_by_name_and_skips_what_is_no_batch(tmp_path: Path) -> None:
    for name in ("b.parquet", "a.CSV", "c.csv", "d.json", ".e.csv"):
        (tmp_path / name).write_text("x")
    listing = list_batches(tmp_path, "crm/deals")
    assert [(b.file, b.format) for b in listing.batches] == [
        ("crm/deals/a.CSV", "csv"),
        ("crm/deals/b.parquet", "parquet"),
        ("crm/deals/c.csv", "csv"),
    ]
    assert listing.ignored == ("crm/deals/d.json",)
    assert list_batches(tmp_path / "absent", "crm/deals").batches == ()
    assert isinstance(listing.batches[0], BatchFile)


# ------------------------------------------------------------------- landing files, dry-run check


def _mixed_landing(ws: Workspace) -> None:
    write(ws, "a.csv", csv_text(GOOD.format(n=1), _row(2, "is_won", "yes")))
    write(ws, "b.csv", csv_text("D3,A1,U1", header="deal_id,account_id,owner_id"))
    write(ws, "c.csv", csv_text(GOOD.format(n=4), "D5,A1"))
    history = ws.landing_dir / "hris" / "job_history"
    history.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "employee_id": ["E1", "E2"],
                "effective_date": ["2025-02-30", "2025-01-01"],
                "job_title": ["AE", "AE"],
                "status": ["active", "gone"],
                "modified_at": pa.array([datetime(2025, 1, 1)] * 2, pa.timestamp("ms")),
            }
        ),
        history / "j.parquet",
    )


def test_landing_files_are_never_modified(ws: Workspace) -> None:
    _mixed_landing(ws)
    before = snapshot(ws.landing_dir)
    ingest_all(ws)
    ingest_all(ws)
    check_landing(ws)
    assert snapshot(ws.landing_dir) == before


def test_check_landing_writes_nothing_and_reports_what_ingestion_records(ws: Workspace) -> None:
    _mixed_landing(ws)
    problems = check_landing(ws)
    assert not ws.warehouse_path.exists()
    assert all(isinstance(p, Problem) and str(p).startswith(p.file) for p in problems)
    ingest_all(ws)
    recorded = query(
        ws,
        "SELECT entity, _file, _row_number, column_name, value, reason FROM raw.ingest_quarantine",
    )
    assert sorted(recorded, key=str) == sorted(
        ((p.entity, p.file, p.row, p.column, p.value, p.reason) for p in problems), key=str
    )
    files = {p.file for p in problems}
    assert files == {
        "crm/deals/a.csv",
        "crm/deals/b.csv",
        "crm/deals/c.csv",
        "hris/job_history/j.parquet",
    }
    # after ingestion the same landing data still shows the same problems
    assert check_landing(ws) == problems


def test_a_loaded_at_time_is_utc(ws: Workspace) -> None:
    write(ws, "a.csv", csv_text(GOOD.format(n=1)))
    ingest_entity(ws, DEALS)
    ((loaded_at,),) = query(ws, "SELECT _loaded_at FROM raw.crm__deals")
    assert abs(datetime.now(UTC).replace(tzinfo=None) - loaded_at) < timedelta(minutes=1)
