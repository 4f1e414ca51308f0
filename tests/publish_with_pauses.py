"""Publish a month with a pause after every insert, for the kill tests (test_close.py,
test_accounting.py).

``python tests/publish_with_pauses.py WAREHOUSE SECONDS [PERIOD [FIRST_PERIOD]]`` (default
2026-01 for both) prints ``publish: inserted <table>``
after each insert of the publication (then sleeps), and ``publish: committed`` once the
transaction is committed (then sleeps until killed). The pause is injected here, in test code,
by wrapping ``openspm.publish._insert``: the production module has no test hook.
"""

from __future__ import annotations

import sys
import time

from openspm import publish
from openspm.warehouse import duckdb_file


def main(warehouse: str, pause: float, period: str = "2026-01", first: str = "2026-01") -> None:
    insert = publish._insert

    def insert_then_pause(*args, **kwargs) -> int:
        count = insert(*args, **kwargs)
        print(f"publish: inserted {args[1]}", flush=True)
        time.sleep(pause)
        return count

    publish._insert = insert_then_pause  # type: ignore[assignment]
    connection = duckdb_file(warehouse)
    publish.publish_period(connection, period, "killed-run", first_period=first)
    print("publish: committed", flush=True)
    time.sleep(30)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), *sys.argv[3:5])
