"""Who is an employee: the HRIS as landed, for matching CRM users and owners to employees.

Read from the landing batches of ``hris/employees`` (file drops and pulled batches alike; the
latest version of each employee by ``modified_at``, ties to the later file), so a CRM pull
that follows the HRIS pull of the same ``openspm ingest`` sees the people just pulled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow.compute as pc

from integrations.file_drop import BatchReadError, list_batches, read_batch
from integrations.mapping import parse_timestamp
from openspm.workspace import Workspace


@dataclass
class EmployeeDirectory:
    """Employee ids and the employee each (unique) email belongs to."""

    ids: set[str] = field(default_factory=set)
    by_email: dict[str, str] = field(default_factory=dict)  # lower-case email -> employee id

    @classmethod
    def from_landing(cls, workspace: Workspace) -> EmployeeDirectory:
        folder = workspace.entity_dir("hris", "employees")
        latest: dict[str, tuple[str, int, str]] = {}  # id -> (modified_at, file order, email)
        for order, batch in enumerate(list_batches(folder, "hris/employees").batches):
            try:
                table = read_batch(batch)
            except BatchReadError:
                continue  # reported by validate and ingestion
            if "employee_id" not in table.column_names:
                continue
            ids = pc.utf8_trim_whitespace(table["employee_id"]).to_pylist()
            emails = (
                table["email"].to_pylist() if "email" in table.column_names else [None] * len(ids)
            )
            stamps = (
                table["modified_at"].to_pylist()
                if "modified_at" in table.column_names
                else [""] * len(ids)
            )
            for emp, email, stamp in zip(ids, emails, stamps, strict=True):
                if not emp:
                    continue
                moment = parse_timestamp(stamp or "") if stamp else None
                key = (moment.isoformat() if moment else "", order, (email or "").strip())
                if emp not in latest or key[:2] >= latest[emp][:2]:
                    latest[emp] = key
        directory = cls()
        counts: dict[str, int] = {}
        for emp, (_, _, email) in latest.items():
            directory.ids.add(emp)
            if email:
                counts[email.lower()] = counts.get(email.lower(), 0) + 1
                directory.by_email[email.lower()] = emp
        for email, count in counts.items():
            if count > 1:  # two employees share an email: it identifies neither
                del directory.by_email[email]
        return directory

    def match(self, *candidates: tuple[str, str | None]) -> str | None:
        """The first candidate that names a known employee: ("id", value) or ("email", value).

        When none matches, the first non-empty id candidate (else the email) is returned, so the
        user keeps a value and the gate "owner maps to no employee" names it; None if all empty.
        """
        fallback: str | None = None
        for how, value in candidates:
            value = (value or "").strip()
            if not value:
                continue
            if how == "id" and value in self.ids:
                return value
            if how == "email" and value.lower() in self.by_email:
                return self.by_email[value.lower()]
            if fallback is None:
                fallback = value
        return fallback
