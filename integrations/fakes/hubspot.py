"""A fake HubSpot portal (DEMO AND TEST ONLY): CRM v3 objects, search, owners, pipelines.

Replays the documented behaviour (source-apis notes, section 2):

- ``POST /crm/v3/objects/{deals|companies}/search``: ``filterGroups`` on
  ``hs_lastmodifieddate`` (GTE/LT, epoch milliseconds as text), ascending sort, at most 200
  results a page, ``total``, ``paging.next.after``; a query never pages past 10,000 results
  (HTTP 400 beyond); archived records never appear.
- ``GET /crm/v3/objects/{type}?archived=true&limit&after&properties``: the archived records,
  with ``archivedAt``.
- ``GET /crm/v3/owners?archived=``: owners with ``id`` (what ``hubspot_owner_id`` holds) and a
  different ``userId``.
- ``GET /crm/v3/pipelines/deals``: stages with string metadata ``isClosed`` and
  ``probability``.
- ``POST /crm/v3/associations/deals/companies/batch/read``.
- Every property value is a string. ``Authorization: Bearer`` is required (401 otherwise);
  rate-limit headers are sent on every response but search; a 429 carries ``errorType``
  ``RATE_LIMIT`` and a ``policyName`` (see :meth:`HubSpotFake.rate_limit`).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from integrations.fakes.server import FakeRequest, FakeResponse, FakeServer, Fault

SEARCH_CAP = 10_000
SEARCH_PAGE_MAX = 200
LIST_PAGE_MAX = 100


def iso_ms(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class HubSpotFake(FakeServer):
    """Records are ``{"id", "properties": {...}, "archived", "archivedAt"?, "modified"}``."""

    name = "hubspot"

    def __init__(self, *, token: str = "pat-na1-demo-token", port: int = 0) -> None:
        super().__init__(port)
        self.token = token
        self.objects: dict[str, dict[str, dict[str, Any]]] = {"deals": {}, "companies": {}}
        self.owners: dict[str, dict[str, Any]] = {}
        self.pipelines: list[dict[str, Any]] = [
            {
                "id": "default",
                "label": "Sales Pipeline",
                "displayOrder": 0,
                "stages": [
                    _stage("appointmentscheduled", "Appointment Scheduled", False, "0.2"),
                    _stage("qualifiedtobuy", "Qualified To Buy", False, "0.4"),
                    _stage("contractsent", "Contract Sent", False, "0.8"),
                    _stage("closedwon", "Closed Won", True, "1.0"),
                    _stage("closedlost", "Closed Lost", True, "0.0"),
                ],
            }
        ]
        self.associations: dict[str, list[str]] = {}  # deal id -> company ids

    # -- data -----------------------------------------------------------------------------------

    def put(self, kind: str, record_id: str, modified: datetime, **properties: Any) -> None:
        """Create or update a deal or company (properties as text, like HubSpot stores them)."""
        record = self.objects[kind].setdefault(
            record_id,
            {"id": record_id, "properties": {}, "archived": False, "createdAt": iso_ms(modified)},
        )
        record["properties"].update(
            {k: None if v is None else str(v) for k, v in properties.items()}
        )
        record["properties"]["hs_object_id"] = record_id
        record["properties"]["hs_lastmodifieddate"] = iso_ms(modified)
        record["updatedAt"] = iso_ms(modified)
        record["modified"] = modified

    def archive(self, kind: str, record_id: str, when: datetime) -> None:
        record = self.objects[kind][record_id]
        record["archived"] = True
        record["archivedAt"] = iso_ms(when)

    def put_owner(
        self,
        owner_id: str,
        email: str,
        user_id: int,
        updated: datetime,
        archived: bool = False,
        first: str = "Ada",
        last: str = "Rep",
    ) -> None:
        self.owners[owner_id] = {
            "id": owner_id,
            "email": email,
            "type": "PERSON",
            "firstName": first,
            "lastName": last,
            "userId": user_id,
            "userIdIncludingInactive": user_id,
            "createdAt": iso_ms(updated),
            "updatedAt": iso_ms(updated),
            "archived": archived,
            "teams": [{"id": "368389", "name": "EMEA", "primary": True}],
        }

    @staticmethod
    def rate_limit(path: str = "/crm", times: int = 1, policy: str = "TEN_SECONDLY_ROLLING",
                   retry_after: str | None = None) -> Fault:  # fmt: skip
        """HubSpot's 429 body; ``retry_after`` adds a Retry-After header."""
        body = {
            "status": "error",
            "message": "You have reached your ten_secondly_rolling limit."
            if policy != "DAILY"
            else "You have reached your daily limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()),
            "policyName": policy,
            "requestId": str(uuid.uuid4()),
        }
        headers = {"Retry-After": retry_after} if retry_after else {}
        return Fault("status", path=path, times=times, status=429, body=body, headers=headers)

    # -- routing --------------------------------------------------------------------------------

    def decorate(self, request: FakeRequest, response: FakeResponse) -> None:
        if not request.path.endswith("/search"):
            response.headers.setdefault("X-HubSpot-RateLimit-Max", "190")
            response.headers.setdefault("X-HubSpot-RateLimit-Remaining", "189")
            response.headers.setdefault("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")

    def route(self, request: FakeRequest) -> FakeResponse:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return FakeResponse(
                401,
                {
                    "status": "error",
                    "message": "Authentication credentials not found. This API supports "
                    "OAuth 2.0 authentication.",
                    "correlationId": str(uuid.uuid4()),
                    "category": "INVALID_AUTHENTICATION",
                },
            )
        path, method = request.path, request.method
        search = re.fullmatch(r"/crm/v3/objects/(\w+)/search", path)
        if search and method == "POST":
            return self._search(search.group(1), request.json())
        listing = re.fullmatch(r"/crm/v3/objects/(\w+)", path)
        if listing and method == "GET":
            return self._list(listing.group(1), request.query)
        if path == "/crm/v3/owners" and method == "GET":
            return self._owners(request.query)
        if path == "/crm/v3/pipelines/deals" and method == "GET":
            return FakeResponse(200, {"results": self.pipelines})
        if path == "/crm/v3/associations/deals/companies/batch/read" and method == "POST":
            return self._associations(request.json())
        return FakeResponse(
            404, {"status": "error", "message": "Not found", "category": "OBJECT_NOT_FOUND"}
        )

    def _view(self, record: dict[str, Any], properties: list[str]) -> dict[str, Any]:
        view = {
            "id": record["id"],
            "properties": {p: record["properties"].get(p) for p in properties},
            "createdAt": record["createdAt"],
            "updatedAt": record["updatedAt"],
            "archived": record["archived"],
        }
        view["properties"].setdefault("hs_object_id", record["id"])
        view["properties"]["hs_object_id"] = record["id"]
        if record.get("archivedAt"):
            view["archivedAt"] = record["archivedAt"]
        return view

    def _search(self, kind: str, body: dict[str, Any]) -> FakeResponse:
        if kind not in self.objects:
            return FakeResponse(400, {"status": "error", "message": f"Unknown object type {kind}"})
        limit = int(body.get("limit") or 10)
        after = int(body.get("after") or 0)
        if limit > SEARCH_PAGE_MAX:
            return _validation(f"limit must be at most {SEARCH_PAGE_MAX}")
        if after + limit > SEARCH_CAP:
            return _validation(
                f"Paging through more than {SEARCH_CAP} results of one search is not supported"
            )
        rows = [r for r in self.objects[kind].values() if not r["archived"]]
        for group in body.get("filterGroups") or []:
            for f in group.get("filters") or []:
                rows = [r for r in rows if _admits(r, f)]
        rows.sort(key=lambda r: (r["properties"].get("hs_lastmodifieddate") or "", r["id"]))
        page = rows[after : after + limit]
        out: dict[str, Any] = {
            "total": len(rows),
            "results": [self._view(r, body.get("properties") or []) for r in page],
        }
        if after + limit < len(rows):
            out["paging"] = {"next": {"after": str(after + limit)}}
        return FakeResponse(200, out)

    def _list(self, kind: str, query: dict[str, str]) -> FakeResponse:
        archived = query.get("archived", "false") == "true"
        limit = min(int(query.get("limit") or 10), LIST_PAGE_MAX)
        after = int(query.get("after") or 0)
        properties = [p for p in query.get("properties", "").split(",") if p]
        rows = sorted(
            (r for r in self.objects.get(kind, {}).values() if r["archived"] == archived),
            key=lambda r: int(r["id"]) if r["id"].isdigit() else r["id"],
        )
        page = rows[after : after + limit]
        out: dict[str, Any] = {"results": [self._view(r, properties) for r in page]}
        if after + limit < len(rows):
            link = f"{self.url}/crm/v3/objects/{kind}?after={after + limit}"
            out["paging"] = {"next": {"after": str(after + limit), "link": link}}
        return FakeResponse(200, out)

    def _owners(self, query: dict[str, str]) -> FakeResponse:
        archived = query.get("archived", "false") == "true"
        limit = min(int(query.get("limit") or 100), LIST_PAGE_MAX)
        after = int(query.get("after") or 0)
        rows = [o for o in self.owners.values() if o["archived"] == archived]
        out: dict[str, Any] = {"results": rows[after : after + limit]}
        if after + limit < len(rows):
            out["paging"] = {"next": {"after": str(after + limit)}}
        return FakeResponse(200, out)

    def _associations(self, body: dict[str, Any]) -> FakeResponse:
        results = []
        for item in body.get("inputs") or []:
            targets = self.associations.get(str(item["id"]), [])
            if targets:
                results.append(
                    {
                        "from": {"id": str(item["id"])},
                        "to": [{"id": t, "type": "deal_to_company"} for t in targets],
                    }
                )
        now = iso_ms(datetime.now(UTC))
        return FakeResponse(
            200,
            {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now},
        )


def _stage(stage_id: str, label: str, closed: bool, probability: str) -> dict[str, Any]:
    return {
        "id": stage_id,
        "label": label,
        "displayOrder": 0,
        "metadata": {"isClosed": "true" if closed else "false", "probability": probability},
        "archived": False,
    }


def _validation(message: str) -> FakeResponse:
    return FakeResponse(
        400,
        {
            "status": "error",
            "message": message,
            "correlationId": str(uuid.uuid4()),
            "category": "VALIDATION_ERROR",
        },
    )


def _admits(record: dict[str, Any], f: dict[str, Any]) -> bool:
    name, op, value = f.get("propertyName"), f.get("operator"), f.get("value")
    if name == "hs_lastmodifieddate":
        have: Any = epoch_ms(record["modified"])
        want: Any = int(value)
    else:
        have, want = record["properties"].get(name), value
    if have is None:
        return False
    return {
        "GTE": have >= want,
        "GT": have > want,
        "LT": have < want,
        "LTE": have <= want,
        "EQ": have == want,
    }.get(op, False)
