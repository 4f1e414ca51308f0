"""Benchmark: opportunities pulled from the fake Salesforce Bulk API 2.0 into landing.

    .venv/bin/python bench/bench_connectors.py --records 1000000

The fake org runs in its own process (python -m integrations.fakes bench-salesforce) and
generates the opportunities as each CSV result page is asked for; the pull runs here, through
the connector library exactly as ``openspm ingest`` runs it (a Bulk 2.0 queryAll job,
100,000-row result pages, the mapping engine, one streamed landing batch). Reported: wall time
of the pull, rows landed, the batch size, the peak memory (VmHWM) of the pulling process and of
the fake, and the CPU seconds of each. Results go to bench/results/connectors_<size>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from integrations.pull import pull_sources  # noqa: E402
from openspm.workspace import Workspace  # noqa: E402

ENV = {"BENCH_SF_CLIENT_ID": "demo-client-id", "BENCH_SF_CLIENT_SECRET": "demo-client-secret"}


def _vm_hwm_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def run(records: int, page_size: int) -> dict[str, object]:
    server = subprocess.Popen(
        [sys.executable, "-m", "integrations.fakes", "bench-salesforce", "--records", str(records)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = (server.stdout.readline() if server.stdout else "").strip()
        if not url.startswith("http://127.0.0.1:"):
            raise SystemExit(f"the fake did not start: {url!r}")
        with tempfile.TemporaryDirectory(prefix="openspm-bench-connectors-") as scratch:
            root = Path(scratch)
            source = {
                "kind": "salesforce",
                "base_url": url,
                "auth": {
                    "method": "client_credentials",
                    "client_id": "${BENCH_SF_CLIENT_ID}",
                    "client_secret": "${BENCH_SF_CLIENT_SECRET}",
                },
                "bulk_threshold": 0,
                "page_size": page_size,
            }
            settings = {"company": "Bench", "reporting_currency": "USD", "sources": {"crm": source}}
            (root / "openspm.yaml").write_text(yaml.safe_dump(settings), "utf-8")
            workspace = Workspace.open(root)
            cpu_before = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            report = pull_sources(workspace, environ=ENV, objects=["Opportunity"])
            wall = time.perf_counter() - started
            cpu_after = resource.getrusage(resource.RUSAGE_SELF)
            (pulled,) = report.objects
            if pulled.error:
                raise SystemExit(f"the pull failed: {pulled.error}")
            batch = workspace.landing_dir / pulled.batch if pulled.batch else None
            with batch.open("rb") as handle:  # type: ignore[union-attr]
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
            result = {
                "records": records,
                "page_size": page_size,
                "rows_landed": pulled.rows,
                "csv_lines": lines - 1,
                "batch_mb": round(batch.stat().st_size / 1e6, 1),  # type: ignore[union-attr]
                "pull_seconds": round(wall, 1),
                "rows_per_second": round(pulled.rows / wall),
                "puller_cpu_seconds": round(
                    cpu_after.ru_utime
                    + cpu_after.ru_stime
                    - cpu_before.ru_utime
                    - cpu_before.ru_stime,
                    1,
                ),
                "puller_peak_mb": round(_vm_hwm_mb(), 0),
                "fake_cpu_seconds": round(_cpu_seconds(server.pid), 1),
                "fake_peak_mb": round(_vm_hwm_mb(server.pid), 0),
                "cores": os.cpu_count(),
            }
    finally:
        server.terminate()
        server.wait(10)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--page-size", type=int, default=100_000, help="Bulk maxRecords")
    args = parser.parse_args()
    result = run(args.records, args.page_size)
    print(json.dumps(result, indent=2))
    label = (
        f"{args.records // 1_000_000}M" if args.records >= 1_000_000 else f"{args.records // 1000}k"
    )
    out = REPO / "bench" / "results" / f"connectors_{label}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
