"""Serve a connectors demo's fake vendors again: ``python -m integrations.fakes serve -w DIR``.

DEMO AND TEST ONLY. Reads the ports from the workspace's openspm.yaml (written by
``openspm demo --sources``) and serves ``demo-vendors/`` on them until interrupted, so that
``openspm ingest`` can pull again. The demo's credentials are printed as shell exports.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.parse

from integrations.fakes.demo import DEMO_ENV, VENDOR_DIR, serving
from integrations.fakes.salesforce import SalesforceFake, SyntheticOpportunities
from openspm.settings import SettingsError
from openspm.workspace import Workspace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m integrations.fakes")
    parser.add_argument("command", choices=["serve", "bench-salesforce"])
    parser.add_argument("--workspace", "-w", default=None, help="the connectors demo workspace")
    parser.add_argument("--records", type=int, default=1_000_000, help="bench: opportunities")
    args = parser.parse_args(argv)
    if args.command == "bench-salesforce":
        return _bench_salesforce(args.records)
    workspace = Workspace.open(args.workspace)
    if not (workspace.root / VENDOR_DIR).is_dir():
        print(f"{workspace.root} holds no {VENDOR_DIR}/: run `openspm demo --sources` first",
              file=sys.stderr)  # fmt: skip
        return 1
    try:
        sources = workspace.settings.sources
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    ports = {}
    for system, source in sources.items():
        port = urllib.parse.urlsplit(source.base_url or "").port
        if port:
            ports[system] = port
    try:
        with serving(workspace.root, ports) as vendors:
            for system, url in vendors.urls.items():
                print(f"{system}: {url}", flush=True)
            print("export " + " ".join(f"{k}={v}" for k, v in DEMO_ENV.items()), flush=True)
            print("serving until Ctrl-C ...", flush=True)
            while True:
                time.sleep(3600)
    except OSError as exc:
        print(f"cannot serve on the ports of openspm.yaml: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


def _bench_salesforce(records: int) -> int:
    """A fake org holding ``records`` generated opportunities (bench/bench_connectors.py)."""
    fake = SalesforceFake(job_polls=1)
    fake.records["Opportunity"] = SyntheticOpportunities(records)
    fake.start()
    print(fake.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
