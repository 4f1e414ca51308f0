"""Workday: custom reports published as web services (RaaS), read as JSON.

``reports:`` in openspm.yaml names a report per entity: ``hris/employees`` (workers, required)
and ``hris/job_history`` (job changes: one row per effective-dated change). ``GET
{base_url}{report path}?format=json`` returns ``{"Report_Entry": [...]}`` whose keys are the
report's column aliases; the defaults below name the aliases docs/connectors.md recommends, and
``fields:`` maps any other alias. RaaS has no paging: each pull reads the whole report and the
batch keeps the rows whose modification column (``Last_Updated``) is at or after the watermark.

Auth: an Integration System User with HTTP Basic, or a bearer token.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pyarrow as pa

from integrations.auth import BasicAuth, BearerAuth
from integrations.base import Connector, SourceObject
from integrations.http import SourceError, SourceHttp, json_body
from integrations.mapping import ObjectMapping, parse_timestamp, records_table

PAGE = 5_000
DEFAULTS: dict[str, dict[str, str]] = {
    "hris/employees": {
        "employee_id": "Employee_ID",
        "first_name": "First_Name",
        "last_name": "Last_Name",
        "email": "Work_Email",
        "hire_date": "Hire_Date",
        "termination_date": "Termination_Date",
        "modified_at": "Last_Updated",
    },
    "hris/job_history": {
        "employee_id": "Employee_ID",
        "effective_date": "Effective_Date",
        "job_title": "Business_Title",
        "manager_id": "Manager_Employee_ID",
        "department": "Supervisory_Organization",
        "country": "Location_Country",
        "status": "Worker_Status",
        "modified_at": "Last_Updated",
    },
}
WORKER_STATUS = {
    "Active": "active",
    "On Leave": "leave",
    "Leave of Absence": "leave",
    "Terminated": "terminated",
}


class WorkdayConnector(Connector):
    kind = "workday"

    def objects(self) -> list[SourceObject]:
        objects = []
        for folder, name in (("hris/employees", "workers"), ("hris/job_history", "job_changes")):
            if folder not in self.settings.reports:
                continue
            fields = DEFAULTS[folder]
            cursor = {**fields, **self.settings.fields.get(folder, {})}["modified_at"]
            values = {"status": WORKER_STATUS} if folder == "hris/job_history" else {}
            objects.append(
                SourceObject(name, folder, fields, values, cursor=cursor, uses_since=False)
            )
        return objects

    def make_http(self) -> SourceHttp:
        if self.method == "bearer":
            auth: Any = BearerAuth(self.secret("token"))
        else:
            auth = BasicAuth(self.secret("username"), self.secret("password"))
        return SourceHttp(
            self.label, self.settings.base_url or "", auth=auth, **self.http_options()
        )

    def fetch(
        self, obj: SourceObject, mapping: ObjectMapping, since: datetime | None
    ) -> Iterator[pa.Table]:
        path = self.settings.reports[obj.entity]
        response = self.http.get(path, obj=obj.name, params={"format": "json"})
        body = json_body(response)
        if not isinstance(body, dict) or "Report_Entry" not in body:
            raise SourceError(
                self.label, obj.name, "the report's JSON has no Report_Entry: is it a RaaS report?"
            )
        rows = [r for r in body["Report_Entry"] if _at_or_after(r.get(obj.cursor or ""), since)]
        for start in range(0, len(rows), PAGE):
            yield records_table(rows[start : start + PAGE], mapping.source_fields)


def _at_or_after(value: Any, since: datetime | None) -> bool:
    if since is None:
        return True
    moment = parse_timestamp(str(value)) if value else None
    return moment is None or moment >= since
