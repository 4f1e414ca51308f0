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
from pathlib import Path

from integrations.fakes.demo import DEMO_ENV, VENDOR_DIR, serving
from openspm.settings import SettingsError
from openspm.workspace import Workspace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m integrations.fakes")
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--workspace", "-w", default=None, help="the connectors demo workspace")
    args = parser.parse_args(argv)
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
                print(f"{system}: {url}")
            print("export " + " ".join(f"{k}={v}" for k, v in DEMO_ENV.items()))
            print("serving until Ctrl-C ...", flush=True)
            while True:
                time.sleep(3600)
    except OSError as exc:
        print(f"cannot serve on the ports of openspm.yaml: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
