"""BambooHR: employees from the datasets API, job history from the effective-dated tables.

- ``employees`` -> hris/employees: ``POST /api/v2/datasets/employee/data`` (pages of 1,000),
  every employee each pull (the roster also resolves managers); the batch holds those changed
  since the watermark (``lastChanged``).
- ``job_history`` -> hris/job_history: the ``jobInfo`` and ``employmentStatus`` tables merged
  per employee on their effective dates (a row per date either table changes): title,
  department, location and manager from jobInfo, status from employmentStatus. The first pull
  reads ``/employees/all/tables/<table>``; later pulls ``/employees/changed/tables/<table>?since=``
  (an employee's change returns all of that employee's rows).
- jobInfo's ``reportsTo`` is a display name, not an id: it is resolved to the one employee of
  the roster with that name (first and last, or preferred and last name). A name matching no
  one, or several, is kept as delivered so the hierarchy gate names it.

Auth: HTTP Basic with the API key as the user name and ``x`` as the password.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from integrations.auth import BasicAuth
from integrations.base import Connector, SourceObject
from integrations.http import SourceHttp, json_body
from integrations.mapping import ObjectMapping, parse_timestamp, records_table

PAGE = 1_000
ROSTER_FIELDS = (
    "eeid",
    "employeeNumber",
    "firstName",
    "lastName",
    "preferredName",
    "email",
    "hireDate",
    "terminationDate",
    "lastChanged",
    "supervisorEid",
)
EMPLOYEE_ID = "employee.id"  # computed: the employee's landing id (eeid unless mapped)
MANAGER_ID = "reportsTo.id"  # computed: reportsTo resolved through the roster
EMPLOYMENT_STATUS = {
    "Full-Time": "active",
    "Part-Time": "active",
    "Contractor": "active",
    "Intern": "active",
    "Temporary": "active",
    "Leave of Absence": "leave",
    "Leave": "leave",
    "Terminated": "terminated",
}
JOB_FIELDS = ("employeeId", "date", "jobTitle", "department", "division", "location", "reportsTo")

EMPLOYEES = SourceObject(
    "employees",
    "hris/employees",
    {
        "employee_id": "eeid",
        "first_name": "firstName",
        "last_name": "lastName",
        "email": "email",
        "hire_date": "hireDate",
        "termination_date": "terminationDate",
        "modified_at": "lastChanged",
    },
    cursor="lastChanged",
    uses_since=False,
)
JOB_HISTORY = SourceObject(
    "job_history",
    "hris/job_history",
    {
        "employee_id": EMPLOYEE_ID,
        "effective_date": "date",
        "job_title": "jobTitle",
        "manager_id": MANAGER_ID,
        "department": "department",
        "country": "location",
        "status": "employmentStatus",
        "modified_at": "lastChanged",
    },
    {"status": EMPLOYMENT_STATUS},
    cursor="lastChanged",
    uses_since=False,
)


class BambooHRConnector(Connector):
    kind = "bamboohr"

    def objects(self) -> list[SourceObject]:
        return [EMPLOYEES, JOB_HISTORY]

    def make_http(self) -> SourceHttp:
        return SourceHttp(
            self.label,
            self.settings.base_url or "",
            auth=BasicAuth(self.secret("api_key"), "x"),
            headers={"Accept": "application/json"},
            **self.http_options(),
        )

    def _api(self, version: str, tail: str) -> str:
        """``/api/v1/...`` on a company host, ``/v1/...`` on the legacy gateway.php base."""
        if "gateway.php" in (self.settings.base_url or ""):
            return f"/{version}/{tail}"
        return f"/api/{version}/{tail}"

    # -- the roster ------------------------------------------------------------------------------

    def _roster(self, mapping: ObjectMapping) -> list[dict[str, Any]]:
        if not hasattr(self, "_roster_cache"):
            wanted = [*ROSTER_FIELDS, *mapping.source_fields] if mapping else [*ROSTER_FIELDS]
            fields = [f for f in dict.fromkeys(wanted) if f not in (EMPLOYEE_ID, MANAGER_ID)]
            rows: list[dict[str, Any]] = []
            page = 1
            while True:
                response = self.http.post(
                    self._api("v2", "datasets/employee/data"),
                    obj="employees",
                    json={"fields": fields, "page": page, "pageSize": PAGE},
                )
                body = json_body(response)
                rows += [dict(item.get("fields") or {}) for item in body.get("data") or []]
                meta = body.get("meta") or {}
                if page >= int(meta.get("totalPages") or 1) or not body.get("data"):
                    break
                page += 1
            self._roster_cache = rows
        return self._roster_cache

    def _employee_ids(self) -> dict[str, str]:
        """BambooHR id (eeid) -> landing employee id (the employees mapping's employee_id)."""
        mapping = self.mapping(EMPLOYEES)
        field = mapping.fields["employee_id"]
        return {
            str(r.get("eeid")): str(r.get(field) or r.get("eeid"))
            for r in self._roster(mapping)
            if r.get("eeid") is not None
        }

    def _namesakes(self) -> dict[str, list[dict[str, Any]]]:
        """Display name (lower-case: first or preferred name, then last) -> roster rows."""
        names: dict[str, list[dict[str, Any]]] = {}
        for r in self._roster(self.mapping(EMPLOYEES)):
            last = (r.get("lastName") or "").strip()
            variants = {f"{(r.get('firstName') or '').strip()} {last}".strip().lower()}
            if r.get("preferredName"):
                variants.add(f"{r['preferredName'].strip()} {last}".lower())
            for name in variants - {""}:
                names.setdefault(name, []).append(r)
        return names

    def _manager(self, name: str, emp: str, day: str, current: bool) -> str | None:
        """The BambooHR id a jobInfo ``reportsTo`` display name stands for, if it is clear.

        One employee of that name: them. Several: the employee's supervisor (``supervisorEid``)
        if this is their current row and the supervisor has that name, else the one namesake
        employed on the row's date, else the one of those who supervises someone now.
        Otherwise None (the name is kept as delivered, for the hierarchy gate to name).
        """
        candidates = self._namesake_cache.get(name.lower(), [])
        if len(candidates) == 1:
            return str(candidates[0].get("eeid"))
        if not candidates:
            return None
        supervisor = str((self._roster_by_id.get(emp) or {}).get("supervisorEid") or "")
        if current and any(str(c.get("eeid")) == supervisor for c in candidates):
            return supervisor
        employed = [c for c in candidates if _employed(c, day)]
        if len(employed) == 1:
            return str(employed[0].get("eeid"))
        supervisors = {str(r.get("supervisorEid")) for r in self._roster_by_id.values()}
        leading = [c for c in employed if str(c.get("eeid")) in supervisors]
        return str(leading[0].get("eeid")) if len(leading) == 1 else None

    # -- fetching ------------------------------------------------------------------------------

    def fetch(
        self, obj: SourceObject, mapping: ObjectMapping, since: datetime | None
    ) -> Iterator[pa.Table]:
        if obj.name == "employees":
            rows = [r for r in self._roster(mapping) if _at_or_after(r.get("lastChanged"), since)]
            for start in range(0, len(rows), PAGE):
                yield records_table(rows[start : start + PAGE], mapping.source_fields)
            return
        yield from self._job_history(mapping, since)

    def _table(self, table: str, since: datetime | None) -> dict[str, tuple[str, list[dict]]]:
        """BambooHR id -> (lastChanged, rows) of one table, changed since ``since`` (or all)."""
        out: dict[str, tuple[str, list[dict]]] = {}
        if since is None:
            response = self.http.get(self._api("v1", f"employees/all/tables/{table}"), obj=table)
            for row in json_body(response) or []:
                out.setdefault(str(row.get("employeeId")), ("", []))[1].append(row)
            return out
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        response = self.http.get(
            self._api("v1", f"employees/changed/tables/{table}"), obj=table, params={"since": stamp}
        )
        for emp, entry in ((json_body(response) or {}).get("employees") or {}).items():
            rows = [{**row, "employeeId": row.get("employeeId", emp)} for row in entry["rows"]]
            out[str(emp)] = (str(entry.get("lastChanged") or ""), rows)
        return out

    def _rows_of(self, table: str, emp: str) -> list[dict]:
        response = self.http.get(self._api("v1", f"employees/{emp}/tables/{table}"), obj=table)
        return [{**row, "employeeId": row.get("employeeId", emp)} for row in json_body(response)]

    def _job_history(self, mapping: ObjectMapping, since: datetime | None) -> Iterator[pa.Table]:
        jobs = self._table("jobInfo", since)
        statuses = self._table("employmentStatus", since)
        changed = sorted(set(jobs) | set(statuses))
        roster = {str(r.get("eeid")): r for r in self._roster(self.mapping(EMPLOYEES))}
        self._roster_by_id, self._namesake_cache = roster, self._namesakes()
        ids = self._employee_ids()
        fields = [*JOB_FIELDS, "employmentStatus", EMPLOYEE_ID, MANAGER_ID, "lastChanged"]
        fields += mapping.source_fields
        records: list[dict[str, Any]] = []
        for emp in changed:
            job_rows = jobs[emp][1] if emp in jobs else self._rows_of("jobInfo", emp)
            if emp in statuses:
                status_rows = statuses[emp][1]
            else:
                status_rows = self._rows_of("employmentStatus", emp)
            stamps = [jobs.get(emp, ("", []))[0], statuses.get(emp, ("", []))[0]]
            stamps.append(str((roster.get(emp) or {}).get("lastChanged") or ""))
            changed_at = max((s for s in stamps if s), default=None, key=_sort_key)
            merged = _merge(job_rows, status_rows)
            for position, row in enumerate(merged):
                name = (row.get("reportsTo") or "").strip()
                current = position == len(merged) - 1
                manager = self._manager(name, emp, row["date"], current) if name else None
                records.append(
                    {
                        **row,
                        EMPLOYEE_ID: ids.get(emp, emp),
                        MANAGER_ID: ids.get(manager, manager) if manager else (name or None),
                        "lastChanged": changed_at,
                    }
                )
            if len(records) >= PAGE:
                yield records_table(records, fields)
                records = []
        if records:
            yield records_table(records, fields)


def _merge(job_rows: list[dict], status_rows: list[dict]) -> list[dict]:
    """One row per date on which either table changes: the latest of each as of that date."""
    jobs = sorted((r for r in job_rows if r.get("date")), key=lambda r: str(r["date"]))
    states = sorted((r for r in status_rows if r.get("date")), key=lambda r: str(r["date"]))
    dates = sorted({str(r["date"]) for r in jobs} | {str(r["date"]) for r in states})
    merged = []
    for day in dates:
        job = next((r for r in reversed(jobs) if str(r["date"]) <= day), None)
        if job is None:
            continue  # a status before any job row: nothing to describe the job with
        state = next((r for r in reversed(states) if str(r["date"]) <= day), None)
        merged.append(
            {**job, "date": day, "employmentStatus": (state or {}).get("employmentStatus")}
        )
    return merged


def _employed(row: dict[str, Any], day: str) -> bool:
    hired = str(row.get("hireDate") or "")
    left = str(row.get("terminationDate") or "")
    left = "" if left in ("", "0000-00-00") else left
    return (not hired or hired <= day) and (not left or day <= left)


def _sort_key(stamp: str) -> datetime:
    return parse_timestamp(stamp) or datetime.min.replace(tzinfo=UTC)


def _at_or_after(value: Any, since: datetime | None) -> bool:
    if since is None:
        return True
    moment = parse_timestamp(str(value)) if value else None
    return moment is None or moment >= since
