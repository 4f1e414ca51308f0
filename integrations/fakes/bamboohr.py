"""A fake BambooHR company (DEMO AND TEST ONLY): the datasets API and employee tables.

Replays the documented behaviour (source-apis notes, section 4.1; the official OpenAPI file):

- HTTP Basic with the API key as user name and ``x`` as password; 401 otherwise.
- ``POST /api/v2/datasets/employee/data`` with ``{fields, page, pageSize}``: rows as
  ``{"fields": {...}}``, ``links.next`` and ``meta {page, pageSize, totalPages, totalItems}``;
  an unknown field is a 400 problem (RFC 7807).
- ``GET /api/v1/employees/all/tables/{table}``: every row of every employee, unsorted.
- ``GET /api/v1/employees/{id}/tables/{table}``: one employee's rows.
- ``GET /api/v1/employees/changed/tables/{table}?since=``:
  ``{"table", "employees": {"<id>": {"lastChanged", "rows": [...]}}}``, all rows of every
  employee changed since then.
- jobInfo rows carry ``reportsTo`` as a display name, not an id.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

from integrations.fakes.server import FakeRequest, FakeResponse, FakeServer

DATASET_FIELDS = {
    "eeid",
    "employeeNumber",
    "firstName",
    "lastName",
    "preferredName",
    "email",
    "hireDate",
    "terminationDate",
    "lastChanged",
    "employmentStatus",
    "jobInformationJobTitle",
    "jobInformationDepartment",
    "jobInformationReportsTo",
    "supervisorEid",
}
TABLES = ("jobInfo", "employmentStatus")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class BambooHRFake(FakeServer):
    name = "bamboohr"

    def __init__(self, *, api_key: str = "demo-bamboohr-key", port: int = 0) -> None:
        super().__init__(port)
        self.api_key = api_key
        self.employees: dict[str, dict[str, Any]] = {}  # eeid -> dataset fields
        self.tables: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
        self.changed: dict[str, datetime] = {}  # eeid -> last change of anything
        self._row_ids = 100

    # -- data -----------------------------------------------------------------------------------

    def put_employee(self, eeid: str, changed: datetime, **fields: Any) -> None:
        record = self.employees.setdefault(eeid, {"eeid": eeid})
        record.update({k: None if v is None else str(v) for k, v in fields.items()})
        self.touch(eeid, changed)

    def add_row(self, table: str, eeid: str, changed: datetime, **fields: Any) -> None:
        self._row_ids += 1
        row = {"id": str(self._row_ids), "employeeId": eeid}
        row.update({k: None if v is None else str(v) for k, v in fields.items()})
        self.tables[table].append(row)
        self.touch(eeid, changed)

    def touch(self, eeid: str, changed: datetime) -> None:
        self.changed[eeid] = max(changed, self.changed.get(eeid, changed))
        self.employees.setdefault(eeid, {"eeid": eeid})["lastChanged"] = iso(self.changed[eeid])

    # -- routing --------------------------------------------------------------------------------

    def route(self, request: FakeRequest) -> FakeResponse:
        expected = "Basic " + base64.b64encode(f"{self.api_key}:x".encode()).decode()
        if request.headers.get("authorization") != expected:
            return FakeResponse(
                401, None, {"X-BambooHR-Error-Message": "Invalid API key or unauthorized."}
            )
        path = request.path
        if path == "/api/v2/datasets/employee/data" and request.method == "POST":
            return self._dataset(request.json() or {})
        match = re.fullmatch(r"/api/v1/employees/(all|changed|\w+)/tables/(\w+)", path)
        if match and request.method == "GET":
            who, table = match.groups()
            if table not in self.tables:
                return _problem(404, f"Table {table} does not exist")
            if who == "all":
                rows = sorted(self.tables[table], key=lambda r: r["id"][::-1])  # unsorted
                return FakeResponse(200, rows)
            if who == "changed":
                return self._changed(table, request.query.get("since"))
            return FakeResponse(200, [r for r in self.tables[table] if r["employeeId"] == who])
        return _problem(404, "Not found")

    def _dataset(self, body: dict[str, Any]) -> FakeResponse:
        fields = body.get("fields") or []
        unknown = [f for f in fields if f not in DATASET_FIELDS]
        if unknown:
            return _problem(400, f"Invalid field(s): {', '.join(unknown)}")
        page = int(body.get("page") or 1)
        size = min(int(body.get("pageSize") or 100), 1000)
        rows = sorted(
            self.employees.values(),
            key=lambda r: int(r["eeid"]) if r["eeid"].isdigit() else r["eeid"],
        )
        total_pages = max(1, -(-len(rows) // size))
        chunk = rows[(page - 1) * size : page * size]
        links: dict[str, str] = {}
        if page < total_pages:
            links["next"] = f"{self.url}/api/v2/datasets/employee/data?page={page + 1}"
        return FakeResponse(
            200,
            {
                "data": [{"fields": {f: r.get(f) for f in fields}} for r in chunk],
                "links": links,
                "meta": {
                    "page": page,
                    "pageSize": size,
                    "totalPages": total_pages,
                    "totalItems": len(rows),
                },
            },
        )

    def _changed(self, table: str, since: str | None) -> FakeResponse:
        if not since:
            return _problem(400, "The since parameter is required")
        moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
        employees = {}
        for eeid, changed in sorted(self.changed.items()):
            rows = [r for r in self.tables[table] if r["employeeId"] == eeid]
            if changed >= moment and rows:
                employees[eeid] = {"lastChanged": iso(changed), "rows": rows}
        return FakeResponse(200, {"table": table, "employees": employees})


def _problem(status: int, detail: str) -> FakeResponse:
    return FakeResponse(
        status,
        {"type": "about:blank", "title": "Error", "status": status, "detail": detail},
        content_type="application/problem+json",
    )
