"""The totals gate: the month's files, read back from disk, against the payouts (blocking).

docs/contract.md section 6: statements and payroll export equal payouts. Run on the staged files
before the publication (against the drafts it will copy) and again when files are rebuilt for a
published month (against ``finance.payouts``). Every statement's summary, in its CSV and in its
HTML, must give each payout column to the cent; the payroll file must sum to each positive net
payout and hold nothing for an employee paid 0.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from openspm.quality.findings import CheckOutcome, Finding, Severity, outcome
from openspm.settings import PayrollSettings
from openspm.statements.payroll import PAYROLL_FILE, read_payroll
from openspm.statements.render import TOTAL_ITEMS
from openspm.statements.source import FinanceSource

CHECK_NAME = "statements_and_payroll_match_payouts"
CHECK_TITLE = "Statements and the payroll export must equal the payouts to the cent"
STATEMENTS_DIR = "statements"
_HTML_TOTAL = re.compile(r'data-total="(\w+)">([^<]*)<')


def expected_totals(source: FinanceSource) -> dict[str, dict[str, Decimal]]:
    """employee -> summary item -> amount, from the payouts (restatement inside commission)."""
    rows = source.connection.execute(
        "select employee_id, commission, spiff, draw_top_up, -draw_recovery, adjustments, "
        f"negative_carry_in, net_payout from {source.table('payouts')} where period = ?",
        [source.period],
    ).fetchall()
    names = ("commission", "spiff", "draw_top_up", "draw_recovery", "adjustments",
             "negative_carry_in", "net_payout")
    return {r[0]: dict(zip(names, r[1:], strict=True)) for r in rows}


def _amount(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        return None


def _compare(
    where: str, found: dict[str, Decimal | None], expected: dict[str, Decimal]
) -> list[Finding]:
    missing = [i for i in TOTAL_ITEMS if found.get(i) is None]
    if missing:
        return [Finding(where, None, f"no readable total for {', '.join(missing)}")]
    got = {i: found[i] for i in TOTAL_ITEMS}
    combined = {
        "commission": got["commission"] + got["restatement"],  # type: ignore[operator]
        **{k: got[k] for k in expected if k != "commission"},
    }
    return [
        Finding(where, str(combined[k]), f"{k} should be {expected[k]} as in the payouts")
        for k in expected
        if combined[k] != expected[k]
    ]


def check_statement(folder: Path, employee: str, expected: dict[str, Decimal]) -> list[Finding]:
    """The CSV and HTML statement of one employee against their payout."""
    problems: list[Finding] = []
    base = folder / STATEMENTS_DIR / employee
    csv_path, html_path = base.with_suffix(".csv"), base.with_suffix(".html")
    for path in (csv_path, html_path):
        if not path.is_file():
            return [Finding(f"{STATEMENTS_DIR}/{path.name}", None, "the statement is missing")]
    totals: dict[str, Decimal | None] = {}
    with csv_path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["section"] == "summary":
                totals[row["item"]] = _amount(row["amount"])
            elif totals:  # the summary rows stand together, near the top
                break
    problems += _compare(f"{STATEMENTS_DIR}/{csv_path.name}", totals, expected)
    shown = {item: _amount(text) for item, text in _HTML_TOTAL.findall(html_path.read_text())}
    problems += _compare(f"{STATEMENTS_DIR}/{html_path.name}", shown, expected)
    return problems


def check_payroll(
    folder: Path, expected: dict[str, dict[str, Decimal]], settings: PayrollSettings
) -> list[Finding]:
    path = folder / PAYROLL_FILE
    if not path.is_file():
        return [Finding(PAYROLL_FILE, None, "the payroll export is missing")]
    sums: dict[str, Decimal] = {}
    problems = []
    for number, row in enumerate(read_payroll(path.read_text(), settings), start=1):
        amount = _amount(row.get("amount") or "")
        if amount is None or amount != amount.quantize(Decimal("0.01")):
            problems.append(Finding(f"{PAYROLL_FILE} row {number}", row.get("amount"),
                                    "the amount is not a number of cents"))
            continue
        employee = row.get("employee_id") or ""
        sums[employee] = sums.get(employee, Decimal(0)) + amount
    for employee, total in sorted(sums.items()):
        net = expected.get(employee, {}).get("net_payout")
        if net is None or net <= 0:
            problems.append(Finding(f"{PAYROLL_FILE} employee {employee}", str(total),
                                    "has rows but no positive net payout"))
        elif total != net:
            problems.append(Finding(f"{PAYROLL_FILE} employee {employee}", str(total),
                                    f"rows sum to {total}, the net payout is {net}"))
    for employee, totals in sorted(expected.items()):
        if totals["net_payout"] > 0 and employee not in sums:
            problems.append(Finding(f"{PAYROLL_FILE} employee {employee}", None,
                                    f"no rows for a net payout of {totals['net_payout']}"))
    return problems


def check_month_files(
    folder: Path, expected: dict[str, dict[str, Decimal]], settings: PayrollSettings
) -> CheckOutcome:
    """Every statement and the payroll export of ``folder`` against ``expected`` payouts."""
    problems: list[Finding] = []
    for employee in sorted(expected):
        problems += check_statement(folder, employee, expected[employee])
    statements = folder / STATEMENTS_DIR
    if statements.is_dir():
        extra = sorted(p.name for p in statements.iterdir() if p.stem not in expected)
        problems += [Finding(f"{STATEMENTS_DIR}/{n}", None, "a statement without a payout row")
                     for n in extra]
    problems += check_payroll(folder, expected, settings)
    return outcome(CHECK_NAME, CHECK_TITLE, Severity.BLOCKING, problems)
