"""The data model of data-quality checks (docs/contract.md section 6) and its warehouse tables.

A check yields one ``CheckOutcome``: passed, failed (with ``Finding``s naming the file, row or
key, the offending value and what is wrong) or not run (and why). Outcomes of a run are kept in
the warehouse schema ``quality`` so that ``openspm status`` and the close report can show them
later: ``quality.check_results`` (one row per run and check) and ``quality.findings``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from openspm.warehouse import Warehouse, missing_tables

MAX_FINDINGS = 200  # findings listed per check; CheckOutcome.total keeps the full count
SCHEMA = "quality"
RESULTS_TABLE = f"{SCHEMA}.check_results"
FINDINGS_TABLE = f"{SCHEMA}.findings"


class Severity(StrEnum):
    """A blocking check stops publication; a warning is listed and publication goes on."""

    BLOCKING = "blocking"
    WARNING = "warning"


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not_run"


@dataclass(frozen=True)
class Finding:
    """One thing wrong, in words a compensation administrator understands.

    ``where``: "crm/deals/batch_0003.csv row 17", "deal D000123",
    "employee E0042 (Ana Ruiz), 2025-03"; ``value``: the offending value as delivered or stored
    (money unchanged, never a float), None when there is none (a missing value, a whole file);
    ``problem``: what is wrong, e.g. "the amount is negative".
    """

    where: str
    value: str | None
    problem: str

    def __str__(self) -> str:
        value = f" (value {self.value})" if self.value is not None else ""
        return f"{self.where}: {self.problem}{value}"


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one check in one run.

    ``title`` is plain English ("Won deals must have an amount of zero or more"); ``findings``
    lists at most MAX_FINDINGS of the ``total`` failures; ``detail`` says why a check did not
    run, or adds a plain note; ``technical`` is a short line for developers (a dbt node id, a
    table name), kept out of the main text of reports.
    """

    name: str
    title: str
    severity: Severity
    status: Status
    findings: list[Finding] = field(default_factory=list)
    total: int = 0
    detail: str | None = None
    technical: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == Status.PASSED

    @property
    def failed(self) -> bool:
        return self.status == Status.FAILED

    @property
    def blocks(self) -> bool:
        """Whether this outcome stops publication: a blocking check that failed or did not run."""
        return self.severity == Severity.BLOCKING and self.status != Status.PASSED

    def first_line(self) -> str:
        """One line naming the first failure: ``<title>: <where>: <problem> (value v); and N more``.

        Not-run and passed outcomes say so instead.
        """
        if self.status == Status.NOT_RUN:
            return f"{self.title}: not checked ({self.detail or 'no reason given'})"
        if self.status == Status.PASSED:
            return f"{self.title}: passed"
        if not self.findings:
            return f"{self.title}: failed" + (f" ({self.detail})" if self.detail else "")
        more = self.total - 1
        tail = f"; and {more} more" if more > 0 else ""
        return f"{self.title}: {self.findings[0]}{tail}"


def outcome(
    name: str,
    title: str,
    severity: Severity,
    findings: Sequence[Finding],
    *,
    total: int | None = None,
    detail: str | None = None,
    technical: str | None = None,
) -> CheckOutcome:
    """Passed when there are no findings, else failed; findings capped at MAX_FINDINGS."""
    count = len(findings) if total is None else max(total, len(findings))
    return CheckOutcome(
        name=name,
        title=title,
        severity=severity,
        status=Status.FAILED if count else Status.PASSED,
        findings=list(findings[:MAX_FINDINGS]),
        total=count,
        detail=detail,
        technical=technical,
    )


def not_run(
    name: str, title: str, severity: Severity, reason: str, technical: str | None = None
) -> CheckOutcome:
    """An outcome for a check that could not run, with the reason in plain words."""
    return CheckOutcome(name, title, severity, Status.NOT_RUN, [], 0, reason, technical)


def blocking_failures(outcomes: Iterable[CheckOutcome]) -> list[CheckOutcome]:
    """The outcomes that stop publication (blocking checks failed or not run)."""
    return [o for o in outcomes if o.blocks]


# ------------------------------------------------------------------------------------ storage

RESULTS_COLUMNS = (
    "run_id VARCHAR NOT NULL",
    "period VARCHAR",
    "check_name VARCHAR NOT NULL",
    "title VARCHAR NOT NULL",
    "severity VARCHAR NOT NULL",
    "status VARCHAR NOT NULL",
    "total BIGINT NOT NULL",
    "detail VARCHAR",
    "technical VARCHAR",
    "position INTEGER NOT NULL",
    "recorded_at TIMESTAMP NOT NULL",
)
FINDINGS_COLUMNS = (
    "run_id VARCHAR NOT NULL",
    "check_name VARCHAR NOT NULL",
    "position INTEGER NOT NULL",
    "location VARCHAR NOT NULL",
    "value VARCHAR",
    "problem VARCHAR NOT NULL",
)


def ensure_quality_tables(connection: Warehouse) -> None:
    """Create the schema ``quality`` and its two tables if missing."""
    connection.create_schema(SCHEMA)
    connection.create_table(RESULTS_TABLE, RESULTS_COLUMNS)
    connection.create_table(FINDINGS_TABLE, FINDINGS_COLUMNS)


def record_outcomes(
    connection: Warehouse,
    run_id: str,
    period: str | None,
    outcomes: Sequence[CheckOutcome],
) -> None:
    """Store ``outcomes`` of run ``run_id``, replacing earlier rows of the same run and checks.

    Idempotent; one transaction unless the caller already holds one (then it is part of it).
    """
    ensure_quality_tables(connection)
    now = datetime.now(UTC).replace(tzinfo=None)
    names = [o.name for o in outcomes]
    results = [
        (
            run_id,
            period,
            o.name,
            o.title,
            str(o.severity),
            str(o.status),
            o.total,
            o.detail,
            o.technical,
            position,
            now,
        )
        for position, o in enumerate(outcomes)
    ]
    findings = [
        (run_id, o.name, position, f.where, f.value, f.problem)
        for o in outcomes
        for position, f in enumerate(o.findings)
    ]
    own = _begin(connection)
    try:
        if names:
            marks = ", ".join("?" for _ in names)
            for table in (RESULTS_TABLE, FINDINGS_TABLE):
                connection.execute(
                    f"DELETE FROM {table} WHERE run_id = ? AND check_name IN ({marks})",
                    [run_id, *names],
                )
        if results:
            connection.executemany(
                f"INSERT INTO {RESULTS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", results
            )
        if findings:
            connection.executemany(
                f"INSERT INTO {FINDINGS_TABLE} VALUES (?, ?, ?, ?, ?, ?)", findings
            )
    except BaseException:
        if own:
            connection.rollback()
        raise
    if own:
        connection.commit()


def load_outcomes(connection: Warehouse, run_id: str) -> list[CheckOutcome]:
    """The outcomes recorded for ``run_id``, in the order they were recorded ([] if none)."""
    if missing_tables(connection, (RESULTS_TABLE, FINDINGS_TABLE)):
        return []
    rows = connection.execute(
        f"SELECT check_name, title, severity, status, total, detail, technical "
        f"FROM {RESULTS_TABLE} WHERE run_id = ? ORDER BY position, check_name",
        [run_id],
    ).fetchall()
    found: dict[str, list[Finding]] = {}
    for name, where, value, problem in connection.execute(
        f"SELECT check_name, location, value, problem FROM {FINDINGS_TABLE} "
        "WHERE run_id = ? ORDER BY check_name, position",
        [run_id],
    ).fetchall():
        found.setdefault(name, []).append(Finding(where, value, problem))
    return [
        CheckOutcome(
            name=name,
            title=title,
            severity=Severity(severity),
            status=Status(status),
            findings=found.get(name, []),
            total=int(total),
            detail=detail,
            technical=technical,
        )
        for name, title, severity, status, total, detail, technical in rows
    ]


def _begin(connection: Warehouse) -> bool:
    """Start a transaction; False when the caller already holds one."""
    if connection.in_transaction:
        return False
    connection.begin()
    return True
