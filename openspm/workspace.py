"""A workspace: one company's folder of settings, landing data, compensation config and outputs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from openspm.settings import SETTINGS_FILE, Settings, load_settings
from openspm.warehouse.config import DuckDBSettings, WarehouseSettings

WORKSPACE_ENV = "OPENSPM_WORKSPACE"


def resolve_workspace_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--workspace`` if given, else ``$OPENSPM_WORKSPACE``, else the current directory."""
    chosen = explicit or os.environ.get(WORKSPACE_ENV) or os.getcwd()
    return Path(chosen).expanduser().resolve()


@dataclass(frozen=True)
class Workspace:
    """Paths of a workspace folder and its parsed settings.

    ``warehouse_override`` points the work at another DuckDB warehouse file (``openspm
    validate`` runs every check on a scratch copy, so the workspace's own warehouse is not
    changed).
    """

    root: Path
    warehouse_override: Path | None = None

    @classmethod
    def open(cls, explicit: str | os.PathLike[str] | None = None) -> Workspace:
        return cls(resolve_workspace_dir(explicit))

    @cached_property
    def settings(self) -> Settings:
        return load_settings(self.settings_path)

    @property
    def settings_path(self) -> Path:
        return self.root / SETTINGS_FILE

    @property
    def landing_dir(self) -> Path:
        return self.root / "landing"

    def entity_dir(self, system: str, entity: str) -> Path:
        """Folder of one landing entity, honouring a source's ``landing_dir`` setting."""
        source = self.settings.sources.get(system)  # type: ignore[call-overload]
        base = self.landing_dir / system
        if source is not None and source.landing_dir:
            base = (self.root / source.landing_dir).resolve()
        return base / entity

    @property
    def comp_dir(self) -> Path:
        return self.root / "comp"

    @property
    def out_dir(self) -> Path:
        return self.root / "out"

    @property
    def warehouse_settings(self) -> WarehouseSettings:
        """``warehouse:`` of openspm.yaml (a scratch copy's file when overridden)."""
        if self.warehouse_override is not None:
            return DuckDBSettings(path=str(self.warehouse_override))
        return self.settings.warehouse

    @property
    def engine(self) -> str:
        """The warehouse's engine: ``duckdb`` (the default), ``postgres`` or ``spark``."""
        return self.warehouse_settings.type

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB warehouse file (a server warehouse has none: RuntimeError)."""
        settings = self.warehouse_settings
        if not isinstance(settings, DuckDBSettings):
            raise RuntimeError(f"the warehouse is a {settings.type} server, not a DuckDB file")
        path = Path(settings.path).expanduser()
        return path if path.is_absolute() else (self.root / path)

    @property
    def state_dir(self) -> Path:
        """Working files of runs on the warehouse (dbt's artifacts), kept beside a DuckDB
        file (a scratch copy keeps its own), else in the workspace."""
        if isinstance(self.warehouse_settings, DuckDBSettings):
            return self.warehouse_path.parent / ".openspm"
        return self.root / ".openspm"

    @property
    def logs_dir(self) -> Path:
        """The log files of the commands' runs (full detail of every failure)."""
        return self.root / ".openspm" / "logs"
