"""What every connector is: source objects, their default mappings, and how pages are fetched.

A connector turns one ``sources.<system>`` entry into objects (Salesforce ``Opportunity``,
NetSuite ``invoices``, ...). Each object lands one entity; :meth:`Connector.fetch` yields pages
of source records as pyarrow tables of text (source field names as columns), never the whole
result, and the pull (``integrations.pull``) maps, writes and advances the watermark.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import ClassVar

import pyarrow as pa

from integrations.directory import EmployeeDirectory
from integrations.http import SourceError, SourceHttp
from integrations.mapping import ObjectMapping
from integrations.secrets import Secret, SecretError, resolve_auth
from openspm.source_settings import SourceSettings
from openspm.workspace import Workspace


@dataclass(frozen=True)
class SourceObject:
    """One vendor object and the landing entity it feeds."""

    name: str  # "Opportunity"
    entity: str  # "crm/deals"
    fields: Mapping[str, str]  # default mapping: landing column -> source field
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    cursor: str | None = None  # source field holding the modification time (the watermark)
    uses_since: bool = True  # the first pull starts at `since` (deals, invoices, payments)
    description: str = ""


class Connector(ABC):
    """A configured source: its HTTP session, objects, mappings and fetching."""

    kind: ClassVar[str]

    def __init__(
        self,
        system: str,
        settings: SourceSettings,
        workspace: Workspace,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.system = system
        self.settings = settings
        self.workspace = workspace
        self.environ = environ
        self.label = f"{system} ({settings.kind})"

    # -- what subclasses provide ----------------------------------------------------------------

    @abstractmethod
    def objects(self) -> list[SourceObject]:
        """The objects this source pulls, in pull order."""

    @abstractmethod
    def fetch(
        self, obj: SourceObject, mapping: ObjectMapping, since: datetime | None
    ) -> Iterator[pa.Table]:
        """Pages of records modified at or after ``since`` (all when None)."""

    @abstractmethod
    def make_http(self) -> SourceHttp:
        """The HTTP session with this vendor's credentials and error rules."""

    # -- shared ---------------------------------------------------------------------------------

    @cached_property
    def secrets(self) -> dict[str, Secret | str]:
        try:
            return resolve_auth(
                self.settings.auth or {},
                f"sources.{self.system}.auth",
                self.workspace.root,
                self.environ,
            )
        except SecretError as exc:
            raise SourceError(self.label, None, str(exc)) from None

    def secret(self, key: str) -> Secret:
        value = self.secrets[key]
        assert isinstance(value, Secret)
        return value

    @property
    def method(self) -> str:
        return str(self.secrets.get("method", ""))

    @cached_property
    def http(self) -> SourceHttp:
        return self.make_http()

    def http_options(self) -> dict[str, float]:
        s = self.settings
        return {
            "timeout": s.request_timeout_seconds,
            "max_retry_seconds": s.max_retry_seconds,
            "backoff_initial": s.retry_initial_seconds,
            "backoff_max": s.retry_max_wait_seconds,
        }

    @cached_property
    def directory(self) -> EmployeeDirectory:
        return EmployeeDirectory.from_landing(self.workspace)

    def mapping(self, obj: SourceObject) -> ObjectMapping:
        """The object's defaults with openspm.yaml's fields/values overrides of its entity."""
        return ObjectMapping.build(
            obj.entity,
            obj.fields,
            obj.values,
            fields=self.settings.fields.get(obj.entity),
            values=self.settings.values.get(obj.entity),
            timezone=self.settings.timezone,
        )

    def page_size(self, default: int, maximum: int) -> int:
        return min(self.settings.page_size or default, maximum)

    def close(self) -> None:
        if "http" in self.__dict__:
            self.http.close()
