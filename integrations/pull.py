"""Pulls: each configured source's objects fetched, mapped and landed as new batches.

For every object: read its watermark from the warehouse; fetch the records modified at or
after ``watermark - overlap`` (the first pull: from ``since`` for deals, invoices and payments,
everything for people and accounts); map each page and stream it into a hidden file; rename
the file into ``landing/<system>/<entity>/``; only then advance the watermark to the greatest
modification time the batch carried. A failure anywhere before the rename writes nothing and
leaves the watermark. Ingestion (``openspm ingest``) then loads the new batches like any
file drop, so everything downstream is one path (docs/contract.md section 2).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import date as ddate
from datetime import time as dtime
from pathlib import Path

from integrations.bamboohr import BambooHRConnector
from integrations.base import Connector, SourceObject
from integrations.file_drop import list_batches
from integrations.http import SourceError
from integrations.hubspot import HubSpotConnector
from integrations.landing import BatchWriter, batch_name
from integrations.mapping import MappingError, max_timestamp
from integrations.netsuite import NetSuiteConnector
from integrations.salesforce import SalesforceConnector
from integrations.secrets import RedactingFilter
from integrations.watermarks import (
    WatermarkError,
    WatermarkKey,
    advance_watermark,
    read_watermark,
)
from integrations.workday import WorkdayConnector
from openspm.workspace import Workspace

LOG = logging.getLogger("openspm.connectors")
LOG.addFilter(RedactingFilter())
PULL_ORDER = ("hris", "erp", "crm")
FX_ENTITY = "erp/fx_rates"  # people first: CRM users are matched to employees


@dataclass
class ObjectPull:
    """What pulling one object did."""

    source: str  # "crm (salesforce)"
    object: str
    entity: str
    rows: int = 0
    batch: str | None = None  # landing file written, relative to landing/ (None: no rows)
    since: datetime | None = None
    watermark: datetime | None = None  # stored after the pull
    seconds: float = 0.0
    error: str | None = None

    def __str__(self) -> str:
        head = f"{self.source} {self.object} -> {self.entity}"
        if self.error:
            return f"{head}: FAILED: {self.error}"
        since = f"since {self.since:%Y-%m-%d %H:%M:%S}" if self.since else "all records"
        where = f" into {self.batch}" if self.batch else " (nothing new, no batch)"
        return f"{head}: {self.rows:,} rows{where} ({since}); {self.seconds:.1f} s"


@dataclass
class PullReport:
    """Every object pulled by one call; ``failures`` lists the ones that failed."""

    objects: list[ObjectPull] = field(default_factory=list)

    @property
    def failures(self) -> list[ObjectPull]:
        return [o for o in self.objects if o.error]

    @property
    def rows(self) -> int:
        return sum(o.rows for o in self.objects)

    @property
    def batches(self) -> int:
        return sum(1 for o in self.objects if o.batch)

    def summary(self) -> str:
        failed = f", {len(self.failures)} failed" if self.failures else ""
        return (
            f"pulled {self.rows:,} rows of {len(self.objects)} object(s) into "
            f"{self.batches} new batch(es){failed}"
        )


def connector_for(
    workspace: Workspace, system: str, environ: Mapping[str, str] | None = None
) -> Connector:
    """The connector of ``sources.<system>`` (a connector kind, not file_drop)."""
    settings = workspace.settings.sources[system]  # type: ignore[index]
    classes: dict[str, type[Connector]] = {
        "salesforce": SalesforceConnector,
        "hubspot": HubSpotConnector,
        "netsuite": NetSuiteConnector,
        "bamboohr": BambooHRConnector,
        "workday": WorkdayConnector,
    }
    return classes[settings.kind](system, settings, workspace, environ=environ)


def configured_systems(workspace: Workspace) -> list[str]:
    """Systems with a connector, in pull order (HRIS first)."""
    sources = workspace.settings.sources
    return [s for s in PULL_ORDER if s in sources and sources[s].is_connector]  # type: ignore[index]


def pull_sources(
    workspace: Workspace,
    systems: Iterable[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    objects: Iterable[str] | None = None,
) -> PullReport:
    """Pull every object of the given systems (default: all configured), failures collected."""
    report = PullReport()
    chosen = configured_systems(workspace) if systems is None else list(systems)
    wanted = set(objects) if objects is not None else None
    for system in chosen:
        connector = connector_for(workspace, system, environ)
        try:
            connector.secrets  # noqa: B018 - resolved first: a missing variable fails once
            for obj in connector.objects():
                if wanted is not None and obj.name not in wanted:
                    continue
                pulled = pull_object(connector, obj)
                report.objects.append(pulled)
                if progress:
                    progress(str(pulled))
        except SourceError as exc:  # the source as a whole (e.g. a missing variable)
            failed = ObjectPull(connector.label, "-", "-", error=exc.cause)
            report.objects.append(failed)
            if progress:
                progress(str(failed))
        finally:
            connector.close()
    return report


def pull_object(connector: Connector, obj: SourceObject, now: datetime | None = None) -> ObjectPull:
    """Pull one object into one new batch; errors are recorded, not raised."""
    started = time.perf_counter()
    result = ObjectPull(connector.label, obj.name, obj.entity)
    try:
        _pull(connector, obj, result, now or datetime.now(UTC))
    except (SourceError, MappingError, WatermarkError) as exc:
        result.error = exc.cause if isinstance(exc, SourceError) else str(exc)
        LOG.error("%s %s: %s", connector.label, obj.name, result.error)
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _pull(connector: Connector, obj: SourceObject, result: ObjectPull, now: datetime) -> None:
    settings, workspace = connector.settings, connector.workspace
    key = WatermarkKey(connector.system, settings.kind, settings.base_url or "", obj.name)
    stored = read_watermark(workspace, key) if obj.cursor else None
    result.since = _since(stored, obj, settings.since, settings.overlap_minutes)
    mapping = connector.mapping(obj)
    system, name = obj.entity.split("/")
    folder = workspace.entity_dir(system, name)
    if obj.entity == FX_ENTITY:
        _check_one_fx_source(connector, folder)
    newest = None
    LOG.info("%s %s: pulling since %s", connector.label, obj.name, result.since or "the start")
    with BatchWriter(folder, batch_name(settings.kind, obj.name, now)) as writer:
        for page in connector.fetch(obj, mapping, result.since):
            if obj.cursor and obj.cursor in page.column_names:
                top = max_timestamp(page[obj.cursor])
                if top is not None and (newest is None or top > newest):
                    newest = top
            writer.write(mapping.apply(page))
        path = writer.commit()
    result.rows = writer.rows
    if path is None:
        result.watermark = stored
        return
    result.batch = f"{obj.entity}/{path.name}"
    if newest is not None:
        result.watermark = advance_watermark(
            workspace, key, newest, result.batch, result.rows
        )
    else:
        result.watermark = stored


def _check_one_fx_source(connector: Connector, folder: Path) -> None:
    """fx rates come from one place: a connector's rates folder holds no dropped files."""
    dropped = [b.name for b in list_batches(folder, FX_ENTITY).batches
               if not b.name.startswith("pull_")]  # fmt: skip
    if dropped:
        raise SourceError(
            connector.label,
            "fx rates",
            f"landing/{FX_ENTITY} holds dropped files ({', '.join(dropped[:3])}) but fx rates "
            f"come from {connector.settings.kind} (sources.{connector.system}.fx_rates): rates "
            "must come from one place; remove the files or set fx_rates: false",
        )


def _since(
    stored: datetime | None, obj: SourceObject, since: str | None, overlap_minutes: float
) -> datetime | None:
    """Where a pull starts: the watermark less the overlap, else ``since`` (or everything)."""
    if stored is not None:
        return stored - timedelta(minutes=overlap_minutes)
    if obj.uses_since and since:
        return datetime.combine(ddate.fromisoformat(since), dtime(0, 0), tzinfo=UTC)
    return None
