"""BambooHR and Workday through their fakes: employees, effective-dated job history with
managers resolved from display names, increments through changed tables, RaaS aliases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from connector_helpers import all_rows, batches, rows, workspace_with

from integrations.fakes import BambooHRFake, WorkdayFake
from integrations.pull import pull_sources

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
ENV = {"BAMBOOHR_API_KEY": "demo-bamboohr-key"}


@pytest.fixture
def bamboo() -> Iterator[BambooHRFake]:
    server = BambooHRFake()
    server.start()
    people = [
        ("40", "Jennifer", "Caldwell", "jen@acme.com", "2020-02-01", None),
        ("41", "Ada", "Rep", "ada@acme.com", "2024-03-01", None),
        ("42", "Bo", "Lee", "bo@acme.com", "2024-05-01", "2025-12-31"),
        ("43", "Ada", "Rep", "ada.rep2@acme.com", "2024-06-01", None),  # a namesake
    ]
    for eeid, first, last, email, hired, left in people:
        server.put_employee(
            eeid,
            T0,
            employeeNumber=f"E{eeid}",
            firstName=first,
            lastName=last,
            email=email,
            hireDate=hired,
            terminationDate=left or "0000-00-00",
        )
    server.add_row("jobInfo", "40", T0, date="2020-02-01", jobTitle="VP Sales",
                   department="Sales", location="DE", reportsTo=None)  # fmt: skip
    server.add_row("jobInfo", "41", T0, date="2024-03-01", jobTitle="AE", department="Sales",
                   location="DE", reportsTo="Jennifer Caldwell")  # fmt: skip
    server.add_row("jobInfo", "41", T0, date="2025-07-01", jobTitle="Senior AE",
                   department="Sales", location="DE", reportsTo="Jennifer Caldwell")  # fmt: skip
    server.add_row("jobInfo", "42", T0, date="2024-05-01", jobTitle="SDR", department="Sales",
                   location="GB", reportsTo="Ada Rep")  # fmt: skip
    for eeid, day in (("40", "2020-02-01"), ("41", "2024-03-01"), ("42", "2024-05-01")):
        server.add_row("employmentStatus", eeid, T0, date=day, employmentStatus="Full-Time")
    server.add_row(
        "employmentStatus", "41", T0, date="2025-02-01", employmentStatus="Leave of Absence"
    )
    server.add_row("employmentStatus", "41", T0, date="2025-03-01", employmentStatus="Full-Time")
    server.add_row("employmentStatus", "42", T0, date="2025-12-31", employmentStatus="Terminated")
    yield server
    server.stop()


def bamboo_ws(tmp_path: Path, fake: BambooHRFake, **extra: object):
    source = {
        "kind": "bamboohr",
        "base_url": fake.url,
        "auth": {"method": "api_key", "api_key": "${BAMBOOHR_API_KEY}"},
        **extra,
    }
    return workspace_with(tmp_path / "ws", hris=source)


def test_employees_and_merged_job_history(tmp_path: Path, bamboo: BambooHRFake) -> None:
    ws = bamboo_ws(tmp_path, bamboo)
    report = pull_sources(ws, environ=ENV)
    assert not report.failures, report.objects
    employees = {r["employee_id"]: r for r in all_rows(ws, "hris/employees")}
    assert employees["42"]["termination_date"] == "2025-12-31"
    assert employees["41"]["termination_date"] == ""  # 0000-00-00 is BambooHR's empty date
    assert employees["41"]["email"] == "ada@acme.com"
    jobs = [
        (r["employee_id"], r["effective_date"], r["job_title"], r["manager_id"], r["status"])
        for r in all_rows(ws, "hris/job_history")
    ]
    assert sorted(jobs) == [
        ("40", "2020-02-01", "VP Sales", "", "active"),
        ("41", "2024-03-01", "AE", "40", "active"),
        ("41", "2025-02-01", "AE", "40", "leave"),  # a status change is a row of its own
        ("41", "2025-03-01", "AE", "40", "active"),
        ("41", "2025-07-01", "Senior AE", "40", "active"),
        ("42", "2024-05-01", "SDR", "41", "active"),  # two Ada Reps, one employed then
        ("42", "2025-12-31", "SDR", "Ada Rep", "terminated"),  # both: kept as delivered
    ]
    assert all(r["country"] in ("DE", "GB") for r in all_rows(ws, "hris/job_history"))
    assert bamboo.calls("/employees/all/tables/jobInfo")


def test_increments_read_changed_tables_and_the_employee_number_can_be_the_id(
    tmp_path: Path, bamboo: BambooHRFake
) -> None:
    ws = bamboo_ws(tmp_path, bamboo, fields={"hris/employees": {"employee_id": "employeeNumber"}})
    pull_sources(ws, environ=ENV)
    later = T0 + timedelta(days=30)
    bamboo.add_row("jobInfo", "41", later, date="2026-02-01", jobTitle="Team Lead",
                   department="Sales", location="DE", reportsTo="Jennifer Caldwell")  # fmt: skip
    report = pull_sources(ws, environ=ENV, objects=("job_history",))
    assert not report.failures, report.objects
    changed = bamboo.calls("/employees/changed/tables/jobInfo")
    assert changed and changed[-1].query["since"].startswith("2026-01-05T07:50")
    new = rows(batches(ws, "hris/job_history")[-1])
    assert ("2026-02-01", "Team Lead", "E40") in {
        (r["effective_date"], r["job_title"], r["manager_id"]) for r in new
    }  # ids translated through the roster
    pull_sources(ws, environ=ENV, objects=("job_history",))
    third = rows(batches(ws, "hris/job_history")[-1])
    assert {r["employee_id"] for r in third} == {"E41"}  # only the changed employee, all rows
    assert len(third) == 5
    assert {r["employee_id"] for r in all_rows(ws, "hris/employees")} == {
        "E40",
        "E41",
        "E42",
        "E43",
    }


def test_a_wrong_api_key_fails_in_one_line(tmp_path: Path, bamboo: BambooHRFake) -> None:
    ws = bamboo_ws(tmp_path, bamboo)
    report = pull_sources(ws, environ={"BAMBOOHR_API_KEY": "nope"})
    assert report.failures and all("HTTP 401" in (f.error or "") for f in report.failures)


@pytest.fixture
def workday() -> Iterator[WorkdayFake]:
    server = WorkdayFake()
    server.start()
    base = "/ccx/service/customreport2/acme/ISU_OpenSPM"
    server.reports[f"{base}/OpenSPM_Workers"] = [
        {"Employee_ID": "21001", "First_Name": "Ada", "Last_Name": "Rep",
         "Work_Email": "ada@acme.com", "Hire_Date": "2024-03-01-08:00",
         "Last_Updated": "2026-01-05T08:00:00.000-08:00"},
        {"Employee_ID": "21002", "First_Name": "Bo", "Last_Name": "Lee",
         "Work_Email": "bo@acme.com", "Hire_Date": "2024-05-01-08:00",
         "Termination_Date": "2025-12-31-08:00", "Last_Updated": "2026-01-06T08:00:00.000-08:00"},
    ]  # fmt: skip
    server.reports[f"{base}/OpenSPM_Job_Changes"] = [
        {"Employee_ID": "21001", "Effective_Date": "2024-03-01-08:00", "Business_Title": "AE",
         "Manager": {"ID": "21000", "descriptor": "Jen Caldwell"}, "Worker_Status": "Active",
         "Location_Country": "US", "Last_Updated": "2026-01-05T08:00:00.000-08:00"},
    ]  # fmt: skip
    yield server
    server.stop()


def test_workday_raas_reports_with_aliases(tmp_path: Path, workday: WorkdayFake) -> None:
    base = "/ccx/service/customreport2/acme/ISU_OpenSPM"
    source = {
        "kind": "workday",
        "base_url": workday.url,
        "auth": {"method": "basic", "username": "${WD_USER}", "password": "${WD_PASSWORD}"},
        "reports": {
            "hris/employees": f"{base}/OpenSPM_Workers",
            "hris/job_history": f"{base}/OpenSPM_Job_Changes",
        },
        "fields": {"hris/job_history": {"manager_id": "Manager.ID"}},
    }
    ws = workspace_with(tmp_path / "ws", hris=source)
    env = {"WD_USER": "ISU_OpenSPM", "WD_PASSWORD": "demo-password"}
    report = pull_sources(ws, environ=env)
    assert not report.failures, report.objects
    employees = {r["employee_id"]: r for r in all_rows(ws, "hris/employees")}
    assert employees["21002"]["termination_date"] == "2025-12-31"
    assert employees["21001"]["hire_date"] == "2024-03-01"
    (job,) = all_rows(ws, "hris/job_history")
    assert (job["manager_id"], job["status"], job["effective_date"]) == (
        "21000",
        "active",
        "2024-03-01",
    )
    assert all(c.query.get("format") == "json" for c in workday.requests)
