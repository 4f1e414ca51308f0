"""A fake Workday tenant (DEMO AND TEST ONLY): custom reports published as web services.

``GET /ccx/service/customreport2/{tenant}/{owner}/{report}?format=json`` answers
``{"Report_Entry": [...]}`` whose keys are the report's column aliases (source-apis notes,
section 4.2); without ``format=json`` the answer is XML, as Workday's default. HTTP Basic with
the Integration System User; 401 otherwise. RaaS has no paging.
"""

from __future__ import annotations

import base64
from typing import Any

from integrations.fakes.server import FakeRequest, FakeResponse, FakeServer


class WorkdayFake(FakeServer):
    name = "workday"

    def __init__(
        self, *, username: str = "ISU_OpenSPM", password: str = "demo-password", port: int = 0
    ) -> None:
        super().__init__(port)
        self.username, self.password = username, password
        self.reports: dict[str, list[dict[str, Any]]] = {}  # path -> Report_Entry

    def route(self, request: FakeRequest) -> FakeResponse:
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return FakeResponse(
                401, {"error": "invalid username or password"}, {"WWW-Authenticate": "Basic"}
            )
        entries = self.reports.get(request.path)
        if entries is None or request.method != "GET":
            return FakeResponse(404, {"error": "The report was not found or is not shared"})
        if request.query.get("format") != "json":
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<wd:Report_Data xmlns:wd="urn:com.workday.report"/>'
            )
            return FakeResponse(200, xml, content_type="text/xml")
        return FakeResponse(200, {"Report_Entry": entries})
