"""Helpers for the connector tests: a workspace whose openspm.yaml points at fakes on 127.0.0.1."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import yaml

from integrations.watermarks import WatermarkKey, read_watermark
from openspm.workspace import Workspace

# fast retries: the fault tests must take seconds, not minutes
FAST = {
    "retry_initial_seconds": 0.01,
    "retry_max_wait_seconds": 0.05,
    "max_retry_seconds": 5,
    "request_timeout_seconds": 5,
}


def workspace_with(root: Path, **sources: dict[str, Any]) -> Workspace:
    """A workspace folder with openspm.yaml naming the given sources (fast retries)."""
    root.mkdir(parents=True, exist_ok=True)
    settings = {
        "company": "Acme",
        "reporting_currency": "USD",
        "sources": {system: {**FAST, **source} for system, source in sources.items()},
    }
    (root / "openspm.yaml").write_text(yaml.safe_dump(settings, sort_keys=False), "utf-8")
    return Workspace.open(root)


def batches(workspace: Workspace, folder: str) -> list[Path]:
    """Batch files of an entity folder (hidden partial files excluded), in name order."""
    path = workspace.landing_dir / folder
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir() if not p.name.startswith("."))


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def all_rows(workspace: Workspace, folder: str) -> list[dict[str, str]]:
    return [row for path in batches(workspace, folder) for row in rows(path)]


def watermark(workspace: Workspace, system: str, obj: str):
    source = workspace.settings.sources[system]  # type: ignore[index]
    key = WatermarkKey(system, source.kind, source.base_url or "", obj)
    return read_watermark(workspace, key)
