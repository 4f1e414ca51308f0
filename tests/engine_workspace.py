"""The small workspace every engine closes (tests/test_engines.py, and conftest.py's Spark close
in the background): generated the same from the same seed, copied onto each warehouse."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from openspm.demo import DemoSize, generate_workspace
from openspm.periods import first_period, period_range
from openspm.workspace import Workspace

# Q4 SPIFFs and a plan-year change inside the three months closed, draws of new hires,
# clawbacks and collections (the demo's CSMs are paid on payments)
ENGINE_SIZE = DemoSize(employees=40, deals=1_500, months=5, start=date(2025, 10, 1))
ENGINE_SEED = 5
MONTHS_CLOSED = 3


def generate_engine_workspace(root: Path) -> list[str]:
    """Generate the workspace (no warehouse yet) at ``root``; the months every engine closes."""
    generate_workspace(root, seed=ENGINE_SEED, size=ENGINE_SIZE)
    return period_range(first_period(Workspace.open(root)), "2099-12")[:MONTHS_CLOSED]


def server_copy(source: Path, root: Path, warehouse: str) -> Workspace:
    """A copy of the generated workspace (settings, landing, comp) on another warehouse."""
    shutil.copytree(source, root)
    settings = root / "openspm.yaml"
    text = settings.read_text(encoding="utf-8")
    assert "\nwarehouse: warehouse.duckdb\n" in text
    settings.write_text(text.replace("\nwarehouse: warehouse.duckdb\n", f"\n{warehouse}\n"))
    return Workspace.open(root)


def spark_warehouse(port: int) -> str:
    """``warehouse:`` of openspm.yaml for a Spark Connect server of 127.0.0.1."""
    return f"warehouse:\n  type: spark\n  host: 127.0.0.1\n  port: {port}"
