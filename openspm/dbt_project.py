"""The dbt project on disk: where it is, the dbt that runs it, and what its manifest says.

Python needs a few facts about the models (which are incremental, which raw tables feed them,
which marts publish into which ``finance`` table). They are read from the project's
``manifest.json`` (``dbt parse``, re-run when any source file is newer), never typed again in
Python: a model that becomes incremental, or a mart that gains ``meta: {openspm: {publish_to:
<table>}}`` in its YAML, is picked up without a change here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openspm.warehouse.config import PostgresSettings, SparkSettings, resolve_reference

if TYPE_CHECKING:
    from openspm.workspace import Workspace

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
WAREHOUSE_ENV = "OPENSPM_WAREHOUSE"  # read by dbt_project/profiles.yml
TARGET_ENV = "OPENSPM_DBT_TARGET"  # the profile's output: local (DuckDB), postgres, spark
# a server warehouse's coordinates, read by profiles.yml (the password resolved from its
# ${ENV_VAR} reference; it only lives in dbt's environment)
SERVER_ENV = {
    "host": "OPENSPM_DBT_HOST",
    "port": "OPENSPM_DBT_PORT",
    "database": "OPENSPM_DBT_DATABASE",
    "user": "OPENSPM_DBT_USER",
    "password": "OPENSPM_DBT_PASSWORD",
    "sslmode": "OPENSPM_DBT_SSLMODE",
}
SPARK_REMOTE_ENV = "SPARK_REMOTE"  # PySpark's own: dbt-spark's session connects there
# The months dbt settles, read by int_engine_months (dbt vars of the same names win).
FIRST_PERIOD_ENV = "OPENSPM_FIRST_PERIOD"
THROUGH_PERIOD_ENV = "OPENSPM_THROUGH_PERIOD"
META_KEY = "openspm"  # models' own settings for OpenSPM: meta: {openspm: {...}}


def warehouse_environment(workspace: Workspace) -> dict[str, str]:
    """The environment that points dbt's profile at the workspace's warehouse."""
    settings = workspace.warehouse_settings
    if isinstance(settings, PostgresSettings):
        return {
            TARGET_ENV: "postgres",
            SERVER_ENV["host"]: settings.host,
            SERVER_ENV["port"]: str(settings.port),
            SERVER_ENV["database"]: settings.database,
            SERVER_ENV["user"]: settings.user,
            SERVER_ENV["password"]: resolve_reference(settings.password, "password") or "",
            SERVER_ENV["sslmode"]: settings.sslmode or "prefer",
        }
    if isinstance(settings, SparkSettings):
        return {TARGET_ENV: "spark", SPARK_REMOTE_ENV: settings.remote()}
    return {TARGET_ENV: "local", WAREHOUSE_ENV: str(workspace.warehouse_path)}


class DbtProjectError(RuntimeError):
    """dbt is missing, or the project does not parse; the message says which and why."""


def dbt_executable() -> str:
    """The dbt of this Python environment (PATH may not hold the venv's bin folder)."""
    beside_python = Path(sys.executable).parent / "dbt"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("dbt")
    if found is None:
        raise DbtProjectError("dbt is not installed in this environment; run the README's setup")
    return found


def _newest_source_mtime() -> float:
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "tests", "seeds", "snapshots"):
        sources.extend(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    return max((p.stat().st_mtime for p in sources if p.exists()), default=0.0)


def ensure_manifest() -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than any dbt source file."""
    if MANIFEST_PATH.exists() and MANIFEST_PATH.stat().st_mtime >= _newest_source_mtime():
        return MANIFEST_PATH
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
        raise DbtProjectError(f"dbt parse failed:\n{done.stdout}\n{done.stderr}".strip())
    return MANIFEST_PATH


@dataclass(frozen=True)
class Model:
    """One dbt model as the manifest describes it."""

    name: str
    relation: str  # schema.alias, as Python queries it
    materialized: str
    sources: tuple[str, ...]  # the sources it reads directly, ``schema.table``
    meta: Mapping[str, Any]  # meta.openspm of the model's YAML (empty without)
    parents: tuple[str, ...] = ()  # the models it reads directly (names)
    source_names: tuple[str, ...] = ()  # the dbt source names of ``sources`` (``comp``)
    path: str = ""  # the model's file, as dbt's ``path:`` selector matches it


@dataclass(frozen=True)
class Manifest:
    """The models of a parsed dbt project, by name."""

    models: Mapping[str, Model]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        sources = {
            uid: f"{node['schema']}.{node.get('identifier') or node['name']}"
            for uid, node in data.get("sources", {}).items()
        }
        source_names = {uid: node["source_name"] for uid, node in data.get("sources", {}).items()}
        models = {}
        for node in data.get("nodes", {}).values():
            if node.get("resource_type") != "model":
                continue
            config = node.get("config") or {}
            meta = (config.get("meta") or node.get("meta") or {}).get(META_KEY) or {}
            depends = (node.get("depends_on") or {}).get("nodes") or []
            models[node["name"]] = Model(
                name=node["name"],
                relation=f"{node['schema']}.{node.get('alias') or node['name']}",
                materialized=str(config.get("materialized") or ""),
                sources=tuple(sorted(sources[d] for d in depends if d in sources)),
                meta=meta,
                parents=tuple(sorted(d.split(".")[-1] for d in depends if d.startswith("model."))),
                source_names=tuple(sorted({source_names[d] for d in depends if d in sources})),
                path=str(node.get("original_file_path") or ""),
            )
        return cls(dict(sorted(models.items())))

    def incremental_relations(self) -> tuple[str, ...]:
        """The tables of the incremental models (all must exist for an incremental build)."""
        return tuple(m.relation for m in self.models.values() if m.materialized == "incremental")

    def incremental_sources(self) -> frozenset[str]:
        """The sources (``raw.crm__deals``) that incremental models read directly."""
        return frozenset(
            source
            for model in self.models.values()
            if model.materialized == "incremental"
            for source in model.sources
        )

    def downstream(self, models: Iterable[str] = (), sources: Iterable[str] = (),
                   paths: Iterable[str] = ()) -> frozenset[str]:  # fmt: skip
        """The models dbt's ``model+``, ``source:name+`` and ``path:folder+`` selectors pick:
        the models named, those reading a source named, those under a folder, and every model
        downstream of them."""
        names, folders = set(sources), tuple(f"{p.rstrip('/')}/" for p in paths)
        found = {
            m.name
            for m in self.models.values()
            if m.name in set(models) or names & set(m.source_names) or m.path.startswith(folders)
        }
        children: dict[str, set[str]] = {}
        for model in self.models.values():
            for parent in model.parents:
                children.setdefault(parent, set()).add(model.name)
        stack = list(found)
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return frozenset(found)

    def inputs(self, selected: Iterable[str]) -> frozenset[str]:
        """The relations the ``selected`` models read and do not build themselves: their
        parents outside the selection and their sources (``schema.name``)."""
        chosen = set(selected)
        found: set[str] = set()
        for name in chosen:
            model = self.models[name]
            found.update(model.sources)
            found.update(self.models[p].relation for p in model.parents if p not in chosen)
        return frozenset(found)

    def publications(self) -> dict[str, str]:
        """``finance`` table -> the mart it is published from (``meta.openspm.publish_to``)."""
        found: dict[str, str] = {}
        for model in self.models.values():
            target = model.meta.get("publish_to")
            if not target:
                continue
            if target in found:
                raise DbtProjectError(
                    f"models {found[target]} and {model.relation} both publish to {target}"
                )
            found[str(target)] = model.relation
        return found


def read_manifest(path: Path) -> Manifest:
    """The manifest.json at ``path``."""
    return Manifest.from_json(json.loads(path.read_text(encoding="utf-8")))


@cache
def _cached(path: Path, mtime_ns: int) -> Manifest:
    del mtime_ns  # part of the cache key: a newer file is read again
    return read_manifest(path)


def project_manifest() -> Manifest:
    """The project's manifest, parsed afresh when a dbt source file changed."""
    path = ensure_manifest()
    return _cached(path, path.stat().st_mtime_ns)
