"""The dbt project as Dagster sees it, and a manifest that is never stale."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
WAREHOUSE_ENV = "OPENSPM_WAREHOUSE"  # read by dbt_project/profiles.yml

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_executable() -> str:
    """The dbt of this Python environment (dagster-dbt needs one; PATH may not have the venv)."""
    beside_python = Path(sys.executable).parent / "dbt"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("dbt")
    if found is None:
        raise RuntimeError("dbt is not installed in this environment; run the README's setup")
    return found


class OpenSPMDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two start-up costs of every ``dbt.cli`` call (~5 s).

    Before starting dbt, dagster-dbt runs ``dbt --version`` in a subprocess (~2 s) and builds
    a dbt adapter inside Dagster's process (~3 s), which only serves ``fetch_row_counts`` and
    ``fetch_column_metadata``; OpenSPM uses neither. The version is read from the installed
    package instead (the dbt beside this Python is the one run: see ``dbt_executable``).
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Any) -> Any:
        return None  # no adapter: dagster-dbt then skips only the metadata fetches above


def dbt_cli_resource() -> DbtCliResource:
    return OpenSPMDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())


def _newest_source_mtime() -> float:
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "tests", "seeds", "snapshots"):
        sources.extend(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    return max((p.stat().st_mtime for p in sources if p.exists()), default=0.0)


def ensure_manifest() -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than any dbt source file."""
    manifest = dbt_project.manifest_path
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime():
        return manifest
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [
        dbt_executable(),
        "parse",
        "--quiet",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{done.stdout}\n{done.stderr}".strip())
    return manifest
