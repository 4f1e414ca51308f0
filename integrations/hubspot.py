"""HubSpot CRM (v3): deals, companies and owners, with the pipelines for won and closed.

- ``deals`` -> crm/deals and ``companies`` -> crm/accounts through the search API, filtered on
  ``hs_lastmodifieddate`` in time windows. A search returns at most 10,000 results, so a window
  whose ``total`` is above that is halved until every slice fits; deals archived since the last
  pull come from ``GET ...?archived=true`` (archived records never appear in search) and land
  with ``is_deleted`` true, versioned at their ``archivedAt``.
- Won and closed come from the deal's stage in ``GET /crm/v3/pipelines/deals``: won is
  ``isClosed`` and probability 1.0, never the label; probability lands as 0-100.
- The deal's company comes from ``POST /crm/v3/associations/deals/companies/batch/read``.
- ``owners`` -> crm/users: ``hubspot_owner_id`` is the owner ``id`` (not ``userId``); an owner
  is matched to an employee by email. Archived owners stay (they still own old deals).
- ``closedate`` is a UTC instant: it lands as the date in the portal's ``timezone``.

Auth: a private app or service key token (``Authorization: Bearer``). A 429 is retried, except
the ``DAILY`` policy, which only resets at midnight in the portal's time zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyarrow as pa

from integrations.auth import BearerAuth
from integrations.base import Connector, SourceObject
from integrations.http import SourceError, SourceHttp, Verdict, error_text, json_body
from integrations.mapping import ObjectMapping, parse_timestamp, records_table, text_column

SEARCH_CAP = 10_000
SEARCH_PAGE = 200
LIST_PAGE = 100
STAGE_LABEL, STAGE_WON, STAGE_CLOSED, STAGE_PROBABILITY = (
    "dealstage.label",
    "dealstage.isWon",
    "dealstage.isClosed",
    "dealstage.probability",
)
COMPANY = "associations.company"
EMPLOYEE_MATCH = "employee.match"
COMPUTED = {STAGE_LABEL, STAGE_WON, STAGE_CLOSED, STAGE_PROBABILITY, COMPANY, EMPLOYEE_MATCH}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

DEALS = SourceObject(
    "deals",
    "crm/deals",
    {
        "deal_id": "hs_object_id",
        "account_id": COMPANY,
        "owner_id": "hubspot_owner_id",
        "deal_type": "dealtype",
        "stage": STAGE_LABEL,
        "is_won": STAGE_WON,
        "close_date": "closedate",
        "amount": "amount",
        "currency": "deal_currency_code",
        "is_closed": STAGE_CLOSED,
        "probability": STAGE_PROBABILITY,
        "forecast_category": "hs_manual_forecast_category",
        "modified_at": "hs_lastmodifieddate",
        "is_deleted": "archived",
    },
    {"deal_type": {"newbusiness": "new_business", "existingbusiness": "expansion"}},
    cursor="hs_lastmodifieddate",
)
COMPANIES = SourceObject(
    "companies",
    "crm/accounts",
    {
        "account_id": "hs_object_id",
        "name": "name",
        "country": "country",
        "industry": "industry",
        "modified_at": "hs_lastmodifieddate",
        "is_deleted": "archived",
    },
    cursor="hs_lastmodifieddate",
    uses_since=False,
)
OWNERS = SourceObject(
    "owners",
    "crm/users",
    {"user_id": "id", "employee_id": EMPLOYEE_MATCH, "email": "email", "modified_at": "updatedAt"},
    cursor="updatedAt",
    uses_since=False,
)


def classify(response: httpx.Response) -> Verdict | None:
    """HubSpot's 429: the daily limit is final, rolling limits are retried."""
    if response.status_code != 429:
        return None
    reason = f"HTTP 429 {error_text(response)}"
    try:
        policy = str(response.json().get("policyName", ""))
    except ValueError:
        policy = ""
    if policy.upper() == "DAILY":
        return Verdict(
            False,
            reason,
            "the portal's daily API limit is used up; it resets at midnight in the portal's "
            "time zone: pull again then",
        )
    return Verdict(True, reason)


def _ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def _record(result: Mapping[str, Any]) -> dict[str, Any]:
    """A search or list result: its properties, with id, archived and archivedAt beside them."""
    record = dict(result.get("properties") or {})
    record.setdefault("hs_object_id", result.get("id"))
    record["id"] = result.get("id")
    record["archived"] = bool(result.get("archived", False))
    if result.get("archivedAt"):
        record["archivedAt"] = result["archivedAt"]
        # a deletion is a version of its own: the archive time orders it after the last edit
        record["hs_lastmodifieddate"] = result["archivedAt"]
    record["updatedAt"] = result.get("updatedAt")
    return record


class HubSpotConnector(Connector):
    kind = "hubspot"

    def objects(self) -> list[SourceObject]:
        return [DEALS, COMPANIES, OWNERS]

    def make_http(self) -> SourceHttp:
        return SourceHttp(
            self.label,
            self.settings.base_url or "https://api.hubapi.com",
            auth=BearerAuth(self.secret("token")),
            classify=classify,
            **self.http_options(),
        )

    def _path(self, tail: str) -> str:
        """``/crm/v3/<tail>``, or ``/crm/<tail with the date version>`` for dated versions."""
        version = self.settings.api_version or "v3"
        if re.fullmatch(r"\d{4}-\d{2}", version):
            kind, _, rest = tail.partition("/")
            return f"/crm/{kind}/{version}/{rest}" if rest else f"/crm/{kind}/{version}"
        return f"/crm/{version}/{tail}"

    # -- fetching -----------------------------------------------------------------------------

    def fetch(
        self, obj: SourceObject, mapping: ObjectMapping, since: datetime | None
    ) -> Iterator[pa.Table]:
        if obj.name == "owners":
            yield from self._owners(mapping, since)
            return
        properties = [f for f in mapping.source_fields if f not in COMPUTED and f != "archived"]
        if obj.cursor and obj.cursor not in properties:
            properties.append(obj.cursor)
        if obj.name == "deals":
            properties += [p for p in ("dealstage", "pipeline") if p not in properties]
        fields = [*dict.fromkeys(["id", *properties, "archived", "archivedAt", "updatedAt"])]
        until = datetime.now(UTC) + timedelta(milliseconds=1)
        for results in self._search(obj, properties, since or EPOCH, until):
            yield self._complete(obj, records_table([_record(r) for r in results], fields))
        for results in self._archived(obj, properties, since):
            yield self._complete(obj, records_table([_record(r) for r in results], fields))

    def _search(
        self, obj: SourceObject, properties: list[str], start: datetime, end: datetime
    ) -> Iterator[list[dict[str, Any]]]:
        """Every record modified in [start, end), in slices of at most 10,000 results."""
        windows = [(start, end)]
        while windows:
            lo, hi = windows.pop(0)
            after: str | None = None
            first = True
            while True:
                body = self._search_page(obj, properties, lo, hi, after)
                total = int(body.get("total", 0))
                if first and total > SEARCH_CAP:
                    if hi - lo <= timedelta(milliseconds=1):
                        raise SourceError(
                            self.label,
                            obj.name,
                            f"more than {SEARCH_CAP:,} records were modified in one "
                            f"millisecond ({lo.isoformat()}); the search API cannot page them",
                        )
                    middle = lo + (hi - lo) / 2
                    windows[:0] = [(lo, middle), (middle, hi)]
                    break
                first = False
                results = body.get("results") or []
                if results:
                    yield results
                after = ((body.get("paging") or {}).get("next") or {}).get("after")
                if not after:
                    break

    def _search_page(
        self,
        obj: SourceObject,
        properties: list[str],
        lo: datetime,
        hi: datetime,
        after: str | None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": obj.cursor, "operator": "GTE", "value": _ms(lo)},
                        {"propertyName": obj.cursor, "operator": "LT", "value": _ms(hi)},
                    ]
                }
            ],
            "sorts": [{"propertyName": obj.cursor, "direction": "ASCENDING"}],
            "properties": properties,
            "limit": self.page_size(SEARCH_PAGE, SEARCH_PAGE),
        }
        if after:
            request["after"] = after
        response = self.http.post(
            self._path(f"objects/{obj.name}/search"), obj=obj.name, json=request
        )
        return json_body(response)

    def _list(self, path: str, obj: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """A v3 list endpoint, following ``paging.next.after`` until it is absent."""
        after: str | None = None
        while True:
            query = {**params, "limit": LIST_PAGE}
            if after:
                query["after"] = after
            body = json_body(self.http.get(path, obj=obj, params=query))
            results = body.get("results") or []
            if results:
                yield results
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def _archived(
        self, obj: SourceObject, properties: list[str], since: datetime | None
    ) -> Iterator[list[dict[str, Any]]]:
        params = {"archived": "true", "properties": ",".join(properties)}
        for results in self._list(self._path(f"objects/{obj.name}"), obj.name, params):
            kept = [r for r in results if _at_or_after(r.get("archivedAt"), since)]
            if kept:
                yield kept

    def _owners(self, mapping: ObjectMapping, since: datetime | None) -> Iterator[pa.Table]:
        extra = [f for f in mapping.source_fields if f not in COMPUTED]
        fields = list(dict.fromkeys(["id", "email", "updatedAt", "archived", "userId", *extra]))
        for archived in ("false", "true"):
            for results in self._list(self._path("owners"), "owners", {"archived": archived}):
                kept = [r for r in results if _at_or_after(r.get("updatedAt"), since)]
                if not kept:
                    continue
                for r in kept:
                    r["archived"] = False  # an archived owner still owns its deals: not deleted
                page = records_table(kept, fields)
                matched = [self.directory.match(("email", e)) for e in page["email"].to_pylist()]
                yield page.append_column(EMPLOYEE_MATCH, text_column(matched))

    # -- computed columns ----------------------------------------------------------------------

    def _complete(self, obj: SourceObject, page: pa.Table) -> pa.Table:
        if obj.name != "deals":
            return page
        stages = self._stages()
        ids = page["dealstage"].to_pylist()
        facts = [stages.get(i or "", (i, None, None, None)) for i in ids]
        for position, name in enumerate((STAGE_LABEL, STAGE_CLOSED, STAGE_WON, STAGE_PROBABILITY)):
            page = page.append_column(name, text_column([f[position] for f in facts]))
        companies = self._companies(page["id"].to_pylist())
        page = page.append_column(
            COMPANY, text_column([companies.get(i or "") for i in page["id"].to_pylist()])
        )
        if self.settings.default_currency:
            default = self.settings.default_currency
            currency = [c or default for c in page["deal_currency_code"].to_pylist()]
            page = page.set_column(
                page.column_names.index("deal_currency_code"),
                "deal_currency_code",
                text_column(currency),
            )
        return page

    def _stages(self) -> dict[str, tuple[str | None, str | None, str | None, str | None]]:
        """Stage id -> (label, isClosed, won, probability 0-100), read once per pull."""
        if not hasattr(self, "_stage_cache"):
            body = json_body(self.http.get(self._path("pipelines/deals"), obj="pipelines"))
            cache: dict[str, tuple[str | None, str | None, str | None, str | None]] = {}
            for pipeline in body.get("results") or []:
                for stage in pipeline.get("stages") or []:
                    meta = stage.get("metadata") or {}
                    closed = str(meta.get("isClosed", "false")).lower() == "true"
                    try:
                        probability = float(meta.get("probability", "nan"))
                    except ValueError:
                        probability = float("nan")
                    won = closed and probability == 1.0
                    percent = None if probability != probability else f"{probability * 100:g}"
                    cache[str(stage.get("id"))] = (
                        stage.get("label"),
                        "true" if closed else "false",
                        "true" if won else "false",
                        percent,
                    )
            self._stage_cache = cache
        return self._stage_cache

    def _companies(self, deal_ids: list[str | None]) -> dict[str, str]:
        """Deal id -> its (first) associated company id, 100 deals a request."""
        found: dict[str, str] = {}
        ids = [i for i in deal_ids if i]
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            response = self.http.post(
                self._path("associations/deals/companies/batch/read"),
                obj="deals",
                json={"inputs": [{"id": i} for i in chunk]},
            )
            for result in json_body(response).get("results") or []:
                targets = result.get("to") or []
                if targets:
                    found[str(result["from"]["id"])] = str(targets[0]["id"])
        return found


def _at_or_after(value: Any, since: datetime | None) -> bool:
    if since is None:
        return True
    moment = parse_timestamp(str(value)) if value else None
    return moment is None or moment >= since
