"""Benchmark: ingest synthetic crm/deals batches (half CSV, half Parquet) into a fresh warehouse.

    .venv/bin/python bench/bench_ingest.py --deals 1000000 --batches 24

Writes its own landing files into a temporary workspace (removed afterwards unless --keep),
then times ``ingest_entity`` twice: the first run loads every batch, the second skips them all.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from openspm.entities import entity
from openspm.ingest import ingest_entity
from openspm.workspace import Workspace


def deals_batch(rng: np.random.Generator, start: int, count: int) -> pa.Table:
    """``count`` synthetic deals (every registry column as text) numbered from ``start``."""
    ids = np.arange(start, start + count)
    days = rng.integers(0, 730, count)
    close = np.datetime64("2025-01-01") + days.astype("timedelta64[D]")
    modified = close.astype("datetime64[s]") + rng.integers(0, 86_400 * 30, count).astype(
        "timedelta64[s]"
    )
    cents = rng.integers(100_000, 50_000_000, count)
    amount_text = np.char.add(
        np.char.add((cents // 100).astype(str), "."), np.char.zfill((cents % 100).astype(str), 2)
    )
    return pa.table(
        {
            "deal_id": pa.array(np.char.add("D", ids.astype(str))),
            "account_id": pa.array(np.char.add("A", rng.integers(1, 20_000, count).astype(str))),
            "owner_id": pa.array(np.char.add("U", rng.integers(1, 500, count).astype(str))),
            "deal_type": pa.array(
                rng.choice(np.array(["new_business", "expansion", "renewal"]), count)
            ),
            "stage": pa.array(rng.choice(np.array(["closed_won", "closed_lost", "open"]), count)),
            "is_won": pa.array(rng.choice(np.array(["true", "false"]), count)),
            "close_date": pa.array(close.astype(str)),
            "amount": pa.array(amount_text),
            "currency": pa.array(rng.choice(np.array(["USD", "EUR", "GBP"]), count)),
            "contract_start_date": pa.array(close.astype(str)),
            "contract_term_months": pa.array(rng.choice(np.array(["12", "24", "36"]), count)),
            "cancelled_date": pa.array(np.full(count, "")),
            "modified_at": pa.array(np.char.add(modified.astype(str), "Z")),
            "is_deleted": pa.array(np.full(count, "false")),
        }
    )


def typed_for_parquet(table: pa.Table) -> pa.Table:
    """The Parquet flavour: typed columns, as a connector would write them."""
    c = pc
    return table.set_column(
        table.schema.get_field_index("is_won"),
        "is_won",
        c.equal(table["is_won"], "true"),
    ).set_column(
        table.schema.get_field_index("amount"),
        "amount",
        c.cast(table["amount"], pa.decimal128(20, 2)),
    )


def spoil(rng: np.random.Generator, table: pa.Table, fraction: float) -> pa.Table:
    """Give a ``fraction`` of the rows a close_date that is no real date (quarantined)."""
    bad = rng.random(table.num_rows) < fraction
    index = table.schema.get_field_index("close_date")
    close = pc.if_else(pa.array(bad), "2025-02-30", table["close_date"])
    return table.set_column(index, "close_date", close)


def write_landing(root: Path, deals: int, batches: int, seed: int, bad: float = 0.0) -> int:
    """Write the batches; return their total size in bytes."""
    folder = root / "landing" / "crm" / "deals"
    folder.mkdir(parents=True)
    (root / "openspm.yaml").write_text("company: Bench\nreporting_currency: USD\n")
    rng = np.random.default_rng(seed)
    per_batch = -(-deals // batches)
    size = 0
    for index in range(batches):
        start = index * per_batch
        count = min(per_batch, deals - start)
        if count <= 0:
            break
        table = deals_batch(rng, start, count)
        if index % 2 == 0:
            table = spoil(rng, table, bad)
            path = folder / f"deals_{index:03d}.csv"
            pa_csv.write_csv(table, path)
        else:
            path = folder / f"deals_{index:03d}.parquet"
            pq.write_table(typed_for_parquet(table), path)
        size += path.stat().st_size
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--batches", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--bad-percent", type=float, default=0.0, help="CSV rows with a bad close_date (percent)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="openspm_bench_"))
    try:
        started = time.perf_counter()
        size = write_landing(root, args.deals, args.batches, args.seed, args.bad_percent / 100)
        print(
            f"generated {args.deals:,} deals in {args.batches} batches "
            f"({size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s"
        )
        workspace = Workspace.open(root)
        deals = entity("crm/deals")
        for label in ("first run", "second run (all skipped)"):
            started = time.perf_counter()
            report = ingest_entity(workspace, deals)
            seconds = time.perf_counter() - started
            rows = report.rows_loaded
            print(
                f"{label}: rows {rows:,}, seconds {seconds:.2f}, "
                f"rows/s {rows / seconds:,.0f}; {report}"
            )
        if args.keep:
            print(f"workspace kept in {root}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
