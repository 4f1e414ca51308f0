"""Statements, the payroll export and the other files of a closed month (docs/statements.md)."""

from openspm.statements.gather import MonthData, build_statement, gather_statements
from openspm.statements.month_files import (
    MARKER,
    WRITERS,
    MonthContext,
    MonthFilesError,
    MonthFileWriter,
    discard_staged,
    has_month_files,
    month_dir,
    rebuild_month_files,
    repair_month_files,
    stage_month_files,
)
from openspm.statements.render import render_csv, render_html, render_text
from openspm.statements.source import FinanceSource

__all__ = [
    "MARKER",
    "WRITERS",
    "FinanceSource",
    "MonthContext",
    "MonthData",
    "MonthFileWriter",
    "MonthFilesError",
    "build_statement",
    "discard_staged",
    "gather_statements",
    "has_month_files",
    "month_dir",
    "rebuild_month_files",
    "render_csv",
    "render_html",
    "render_text",
    "repair_month_files",
    "stage_month_files",
]
