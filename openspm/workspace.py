"""A workspace: one company's folder of settings, landing data, compensation config and outputs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from openspm.settings import SETTINGS_FILE, Settings, load_settings

WORKSPACE_ENV = "OPENSPM_WORKSPACE"


def resolve_workspace_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--workspace`` if given, else ``$OPENSPM_WORKSPACE``, else the current directory."""
    chosen = explicit or os.environ.get(WORKSPACE_ENV) or os.getcwd()
    return Path(chosen).expanduser().resolve()


@dataclass(frozen=True)
class Workspace:
    """Paths of a workspace folder and its parsed settings.

    ``warehouse_override`` points the work at another warehouse file (``openspm validate``
    runs every check on a scratch copy, so the workspace's own warehouse is not changed).
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
    def warehouse_path(self) -> Path:
        if self.warehouse_override is not None:
            return self.warehouse_override
        path = Path(self.settings.warehouse).expanduser()
        return path if path.is_absolute() else (self.root / path)

    @property
    def state_dir(self) -> Path:
        """Working files of runs on the warehouse (dbt's artifacts), kept beside it."""
        return self.warehouse_path.parent / ".openspm"

    @property
    def logs_dir(self) -> Path:
        """The log files of the commands' runs (full detail of every failure)."""
        return self.root / ".openspm" / "logs"
