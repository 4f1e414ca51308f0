"""The files of a closed month, ``out/<YYYY-MM>/``: written once, whichever way it was closed.

docs/statements.md. A close writes the month's files into a staging folder
(``out/.staging/<YYYY-MM>/``) after the checks passed and before the publication; the totals
gate reads them back against the drafted payouts (blocking). After the publication commits the
close report joins them and the folder is renamed into place: ``out/<YYYY-MM>/`` is complete (it
holds ``month-files.json``, written last) or absent; a failed close leaves only its close
report there. A month found published without its files (a kill between the publication and
the rename, or a month closed before this version) gets them rebuilt from ``finance``.

``WRITERS`` lists what a month's folder holds; each writer reads the month through a
``FinanceSource`` (finance plus, while staged, the month's drafts) and writes its files into
``MonthContext.folder``. Adding a file to every closed month is one more entry.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openspm.accounting.files import write_accounting_files
from openspm.accounting.policy import accounting_enabled
from openspm.close_report import write_close_report
from openspm.publish import FINANCE_SCHEMA, closed_periods
from openspm.quality import PUBLISHED
from openspm.quality.findings import CheckOutcome
from openspm.statements.gate import STATEMENTS_DIR, check_month_files, expected_totals
from openspm.statements.gather import MonthData, build_statement
from openspm.statements.payroll import PAYROLL_FILE, payroll_rows, render_payroll
from openspm.statements.render import render_csv, render_html
from openspm.statements.source import FinanceSource
from openspm.warehouse import DATABASE_ERRORS, Warehouse, WarehouseError, read_only
from openspm.workspace import Workspace

MARKER = "month-files.json"
STAGING_DIR = ".staging"
FILE_MODE = 0o600
DIR_MODE = 0o700


class MonthFilesError(RuntimeError):
    """The month's files could not be written or failed the totals gate; one line."""


@dataclass(frozen=True)
class MonthContext:
    """What a writer needs: the month's data and the (staging) folder to write into."""

    workspace: Workspace
    source: FinanceSource
    folder: Path

    @property
    def period(self) -> str:
        return self.source.period


MonthFileWriter = Callable[[MonthContext], list[Path]]


def write_private(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` readable by its owner only (0600)."""
    data = text.encode("utf-8")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        written = 0
        while written < len(data):
            written += os.write(descriptor, data[written:])
    finally:
        os.close(descriptor)
    return path


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as folders readable by their owner only."""
    for folder in [*reversed(path.parents), path]:
        if not folder.exists():
            folder.mkdir(mode=DIR_MODE)
    return path


def write_statements(context: MonthContext) -> list[Path]:
    """One statement per employee with a payout row: ``statements/<employee_id>.html``, ``.csv``."""
    folder = make_private_dir(context.folder / STATEMENTS_DIR)
    show_ranks = context.workspace.settings.leaderboard.show_rank_on_statements
    data = MonthData(context.source, show_ranks=show_ranks)
    company = context.workspace.settings.company
    written = []
    for employee in sorted(data.payouts):
        statement = build_statement(data, company, employee)
        written.append(write_private(folder / f"{employee}.html", render_html(statement)))
        written.append(write_private(folder / f"{employee}.csv", render_csv(statement)))
    return written


def write_payroll(context: MonthContext) -> list[Path]:
    """``payroll.csv``: the rows payroll pays, as configured under ``payroll:``."""
    settings = context.workspace.settings.payroll
    names = _names(context.source)
    rows = payroll_rows(context.source, settings, names)
    return [write_private(context.folder / PAYROLL_FILE, render_payroll(rows, settings))]


def _names(source: FinanceSource) -> dict[str, str]:
    if not source.has("staging.stg_hris__employees"):
        return {}
    rows = source.connection.execute(
        "select employee_id, trim(concat_ws(' ', first_name, last_name)) "
        "from staging.stg_hris__employees"
    ).fetchall()
    return dict(rows)


def write_accounting(context: MonthContext) -> list[Path]:
    """``journal-entries.csv`` and ``deferred-commissions.csv`` (docs/accounting.md); none when
    the accounting is turned off (``accounting.enabled: false``)."""
    if not accounting_enabled(context.workspace.settings):
        return []
    source = context.source
    relations = {
        "journal_entries": source.table("journal_entries", "journal"),
        "deferred_commissions": source.table("deferred_commissions", "rollforward"),
    }
    return write_accounting_files(source.connection, source.period, context.folder, relations)


# What every closed month's folder holds, in the order written.
WRITERS: list[MonthFileWriter] = [write_statements, write_payroll, write_accounting]


def month_dir(workspace: Workspace, period: str) -> Path:
    return workspace.out_dir / period


def staging_dir(workspace: Workspace, period: str) -> Path:
    return workspace.out_dir / STAGING_DIR / period


def has_month_files(workspace: Workspace, period: str) -> bool:
    """Whether ``out/<period>/`` is a complete set of the month's files."""
    return (month_dir(workspace, period) / MARKER).is_file()


def stage_month_files(
    workspace: Workspace,
    source: FinanceSource,
    writers: list[MonthFileWriter] | None = None,
) -> CheckOutcome:
    """Write the month's files into its staging folder and run the totals gate on them.

    The staging folder is emptied first. The outcome fails (blocking) when a statement or the
    payroll file disagrees with the payouts ``source`` holds; ``month-files.json`` is written
    only when it passed.
    """
    folder = staging_dir(workspace, source.period)
    shutil.rmtree(folder, ignore_errors=True)
    make_private_dir(folder)
    context = MonthContext(workspace, source, folder)
    files: list[Path] = []
    for writer in WRITERS if writers is None else writers:
        files += writer(context)
    result = check_month_files(folder, expected_totals(source), workspace.settings.payroll)
    if result.passed:
        marker = {
            "period": source.period,
            "run_id": source.run_id,
            "closed_at": source.closed_at.isoformat(sep=" "),
            "files": sorted(str(p.relative_to(folder)) for p in files),
        }
        write_private(folder / MARKER, json.dumps(marker, indent=2) + "\n")
    return result


def staged_run(workspace: Workspace, period: str) -> str | None:
    """The run whose files wait in the staging folder (None: nothing staged that passed)."""
    marker = staging_dir(workspace, period) / MARKER
    if not marker.is_file():
        return None
    return str(json.loads(marker.read_text())["run_id"])


def add_close_report(workspace: Workspace, period: str, run_id: str) -> None:
    """Write the close report of the published month into its staging folder."""
    folder = staging_dir(workspace, period)
    files = write_close_report(workspace, period, run_id, PUBLISHED, None, out_dir=folder)
    for path in (files.markdown, files.html):
        path.chmod(FILE_MODE)
    marker_path = folder / MARKER
    marker = json.loads(marker_path.read_text())
    marker["files"] = sorted({*marker["files"], files.markdown.name, files.html.name})
    write_private(marker_path, json.dumps(marker, indent=2) + "\n")


def place_month_files(workspace: Workspace, period: str) -> Path:
    """Move the staged folder into place as ``out/<period>/`` (rename: complete or absent).

    A folder already there (the report of an earlier failed close) is renamed aside first and
    removed after.
    """
    staged = staging_dir(workspace, period)
    if not (staged / MARKER).is_file():
        raise MonthFilesError(f"no complete staged files for {period} in {staged}")
    target = month_dir(workspace, period)
    aside = None
    if target.exists():
        aside = staged.with_name(f"{period}.replaced-{time.time_ns()}")
        os.rename(target, aside)
    os.rename(staged, target)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
    return target


def discard_staged(workspace: Workspace, period: str) -> None:
    """Remove the staging folder of a month (a failed close leaves only its close report)."""
    shutil.rmtree(staging_dir(workspace, period), ignore_errors=True)


def rebuild_month_files(
    workspace: Workspace,
    connection: Warehouse,
    period: str,
    writers: list[MonthFileWriter] | None = None,
) -> Path:
    """Write a published month's files from ``finance``, check them, put them in place."""
    try:
        source = FinanceSource.published(connection, period)
    except LookupError:
        raise MonthFilesError(
            f"{period} is not closed; its files are written by its close"
        ) from None
    result = stage_month_files(workspace, source, writers)
    if not result.passed:
        discard_staged(workspace, period)
        raise MonthFilesError(
            f"the files of {period} failed the totals gate: {result.first_line()}"
        )
    add_close_report(workspace, period, source.run_id)
    return place_month_files(workspace, period)


def months_without_files(
    workspace: Workspace, connection: Warehouse | None
) -> list[str]:
    """Published months whose folder is not complete."""
    return sorted(p for p in closed_periods(connection) if not has_month_files(workspace, p))


def repair_month_files(
    workspace: Workspace, report: Callable[[str], None] | None = None
) -> list[str]:
    """Rebuild the files of every published month that lacks them; the months rebuilt.

    Best effort: a warehouse another process is writing is left for the next command, and a
    month that cannot be rebuilt is reported, never raised.
    """
    try:
        with read_only(workspace) as connection:
            if connection is None:
                return []
            rebuilt = []
            for period in months_without_files(workspace, connection):
                try:
                    path = rebuild_month_files(workspace, connection, period)
                except (MonthFilesError, OSError, *DATABASE_ERRORS) as exc:
                    if report is not None:
                        report(f"the files of {period} could not be rebuilt: {exc}")
                    continue
                rebuilt.append(period)
                if report is not None:
                    report(f"{period} was published without its files; rebuilt from "
                           f"{FINANCE_SCHEMA}: {path}")
            return rebuilt
    except WarehouseError:
        return []
