"""The README's examples run as written on a fresh demo, and the commands keep dbt's parse.

The block of commands the README marks as running on the demo is read from the README itself
and run, line by line, from a folder that looks like the repository root after the README's
first command (``.venv/`` and a fresh ``demo/``: a copy of the session's built demo).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from conftest import copy_workspace

from openspm.workspace import Workspace

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
MARKER = "<!-- These commands run as written on a fresh demo"
REPARSE = "Unable to do partial parsing"


def demo_commands() -> list[str]:
    """The command lines of the README's block marked as running on the demo."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(re.escape(MARKER) + r".*?```bash\n(.*?)```", text, re.S)
    assert block is not None, "the README lost its block of demo commands"
    lines = [line.split("  #")[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line]


def test_the_readme_demo_commands_run_as_written(built_demo: Workspace, tmp_path: Path) -> None:
    commands = demo_commands()
    assert any("close --through" in c for c in commands)
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    demo = copy_workspace(built_demo, tmp_path / "demo")
    outputs = []
    for command in commands:
        done = subprocess.run(
            shlex.split(command), cwd=tmp_path, capture_output=True, text=True, timeout=900
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{command}\n{output}"
        assert "Traceback" not in output and "error" not in done.stderr, f"{command}\n{output}"
        outputs.append(done.stdout)

    by_command = dict(zip(commands, outputs, strict=True))
    through = next(out for cmd, out in by_command.items() if "close --through" in cmd)
    assert "closed 3 month(s), 2025-01 to 2025-03" in through
    assert re.search(r"2025-02 closed: \d+ payouts, \d+ lines; net [A-Z]{3} [\d,]+\.\d\d", through)
    validated = next(out for cmd, out in by_command.items() if " validate " in f" {cmd} ")
    assert "every blocking check passes for 2025-01, the next month to close" in validated
    final = outputs[-1].splitlines()
    assert [line[:18] for line in final[:4]] == [f"2025-0{m}  published" for m in range(1, 5)]
    assert final[-1].startswith("4 published, ") and final[-1].endswith("next to close: 2025-05")
    # dbt by hand wrote the documentation of the demo's own tables (not a parse-only file)
    catalog = json.loads((demo.state_dir / "dbt" / "catalog.json").read_text(encoding="utf-8"))
    assert any(node.endswith("stg_crm__deals") for node in catalog["nodes"])
    # dbt parses the whole project at the first run in a dbt folder (validate's scratch copy,
    # then the copied demo's own); every later run of the commands parses partially
    logs = sorted((demo.root / ".openspm" / "logs").glob("*_job.log"))
    assert len(logs) == 7, [log.name for log in logs]  # validate, 3 closes, run, backfill, close
    assert [REPARSE in log.read_text(encoding="utf-8") for log in logs[2:]] == [False] * 5
    texts = [log.read_text(encoding="utf-8") for log in logs]
    assert any("crm/accounts: 0 batch(es) loaded" in text for text in texts)
    assert not any("crm/accounts: crm/accounts:" in text for text in texts)  # said once
