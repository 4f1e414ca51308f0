"""A catalogue of bad inputs: each must stop the close, say where and what, and change nothing.

docs/contract.md section 6 lists what blocks a month; section 2 what a landing file may be. Each
case below is one delivery a company could really make (a new batch file in an entity's landing
folder, or an edit of comp/ by the administrator). Cases that can coexist share one workspace
and one close, grouped by where the close stops:

1. landing: files that cannot be read, lack a column, or hold values that do not parse
   (ingestion quarantines or rejects them, dbt still builds, the landing checks fail);
2. deals, splits, fx rates and the hierarchy (dbt's error-severity tests fail);
3. the compensation configuration (the comp step refuses it before dbt runs);
4. odd but valid inputs (the month must publish);
5. a quarantined row blocks the close until a corrected batch arrives;
6. reconciliations, made to fail by tampering with the drafts between dbt and the checks.

For every bad case: (a) one finding names the place (file and row, or key), the value and the
problem, both in the run's outcomes (and quality.findings where the run recorded them) and in
the close report; (b) nothing is published for the month; (c) every landing file is unchanged.

Reconciliations (docs/contract.md section 6, last bullet) cannot fail on valid-looking input because
the engine is consistent: they are unit-tested on tampered tables in tests/test_quality.py, and
group 6 tampers with the drafts inside a real close (as an engine bug would leave them).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openspm.close_report import gather_outcomes
from openspm.demo import DemoSize, generate_workspace
from openspm.quality import CheckOutcome, Finding
from openspm.quality.report import _md
from openspm.warehouse import duckdb_file
from openspm.workspace import Workspace
from pipelines.close import CloseError, CloseResult, close_month

pytestmark = pytest.mark.slow

SIZE = DemoSize(employees=30, deals=300, months=3)
SEED = 11
MONTH = "2025-01"  # the demo's first month (its first_period): closable at once
LATER = "2025-01-20T12:00:00Z"  # modified_at of the catalogue's rows, after the demo's own
DEAL_HEADER = (
    "deal_id,account_id,owner_id,deal_type,stage,is_won,close_date,amount,currency,modified_at"
)
SPLIT_HEADER = "split_id,deal_id,owner_id,split_type,split_percent,modified_at"


# ------------------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class People:
    """Ids of the generated demo that the cases refer to (read from its files)."""

    owner: str  # a CRM user who is an employee on a USD plan
    second_owner: str  # another such user
    account: str
    top: str  # the employee heading the hierarchy (no manager)
    below: str  # one who reports to ``top``
    assignments: int  # data rows of the generated comp/plan_assignments.csv


@dataclass(frozen=True)
class Case:
    """One bad (or odd but valid) delivery and what the close must say about it.

    ``files``: path below the workspace -> bytes, given the demo's people (a file shared by
    several cases of a group is given by the first of them); ``expect``: texts that one finding
    must all hold (where, value, problem); ``edit``: a change of comp/.
    """

    id: str
    kind: str  # the failure class of docs/contract.md section 6 (or "valid")
    files: Callable[[People], Mapping[str, bytes]] = lambda p: {}
    expect: Callable[[People], tuple[str, ...]] = lambda p: ()
    edit: Callable[[Path, People], None] | None = None
    defect: str = ""  # a confirmed product defect: the case is a strict xfail until fixed
    staged: tuple[str, list[tuple[object, ...]]] = ("", [])  # valid cases: query, its rows


def text(*lines: str, newline: str = "\n") -> bytes:
    """CSV bytes from lines (UTF-8, one line ending after each)."""
    return "".join(line + newline for line in lines).encode("utf-8")


def parquet(columns: Mapping[str, list[object]], *, schema: pa.Schema | None = None) -> bytes:
    """Parquet bytes of a table (strings unless ``schema`` says otherwise)."""
    table = pa.table(dict(columns), schema=schema)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def deal(
    deal_id: str,
    owner: str,
    account: str,
    *,
    deal_type: str = "new_business",
    won: str = "false",
    close: str = "2025-01-15",
    amount: str = "1000.00",
    currency: str = "USD",
    modified: str = LATER,
) -> str:
    """One row of a deals batch under DEAL_HEADER (a lost deal unless ``won``)."""
    stage = "closed_won" if won.strip().lower() in ("true", "1") else "closed_lost"
    return (
        f"{deal_id},{account},{owner},{deal_type},{stage},{won},{close},{amount},{currency},"
        f"{modified}"
    )


# Group 1: landing files. Lost deals and new keys only, so nothing else depends on them.
BAD_VALUES = "crm/deals/zz_g1_bad_values.csv"


def _bad_value_files(p: People) -> dict[str, bytes]:
    rows = [
        deal("D910001", p.owner, p.account, close="2025-02-30"),
        deal("D910002", p.owner, p.account, close="15/01/2025"),
        deal("D910003", p.owner, p.account, modified="last Tuesday"),
        deal("D910004", p.owner, p.account, amount='"1,250.00"'),
        deal("D910005", p.owner, p.account, won="yes"),
        deal("D910006", p.owner, p.account, deal_type="upsell"),
        deal("D910007", p.owner, p.account, currency="US$"),
        deal("D910008", "", p.account),
    ]
    with_term = (
        f"{DEAL_HEADER},contract_term_months\n"
        f"{deal('D910009', p.owner, p.account)},twelve\n"
        f"{deal('D910010', p.owner, p.account)},12\n"
    )
    return {
        f"landing/{BAD_VALUES}": text(DEAL_HEADER, *rows),
        "landing/crm/deals/zz_g1_bad_integer.csv": with_term.encode("utf-8"),
    }


def _corrupt_parquet(p: People) -> dict[str, bytes]:
    whole = parquet({"deal_id": ["D910020"] * 50, "account_id": [p.account] * 50})
    return {"landing/crm/deals/zz_g1_corrupt.parquet": whole[: len(whole) // 2]}


LANDING_CASES = [
    Case(
        "not-utf8",
        "unreadable file",
        lambda p: {
            "landing/crm/accounts/zz_g1_latin1.csv": (
                f"account_id,name,country,modified_at\nA91001,Müller Maschinenbau GmbH,DE,{LATER}\n"
            ).encode("latin-1")
        },
        lambda p: ("crm/accounts/zz_g1_latin1.csv", "not UTF-8", "0xfc", "line 2"),
    ),
    Case(
        "corrupt-parquet",
        "unreadable file",
        _corrupt_parquet,
        lambda p: ("crm/deals/zz_g1_corrupt.parquet", "not a readable Parquet file"),
    ),
    Case(
        "empty-file",
        "unreadable file",
        lambda p: {"landing/crm/users/zz_g1_empty.csv": b""},
        lambda p: ("crm/users/zz_g1_empty.csv", "empty"),
    ),
    Case(
        "unterminated-quote",
        "unreadable file",
        lambda p: {
            "landing/erp/payments/zz_g1_unterminated.csv": text(
                "payment_id,invoice_id,payment_date,amount,currency,modified_at",
                f'PAY-9100001,INV-0000001,2025-01-20,"100.00,USD,{LATER}',
            )
        },
        lambda p: ("erp/payments/zz_g1_unterminated.csv row 1", "quote"),
    ),
    Case(
        "duplicate-header",
        "unreadable file",
        lambda p: {
            "landing/erp/invoices/zz_g1_duplicate_header.csv": text(
                "invoice_id,deal_id,invoice_date,amount,currency,status,modified_at,Status",
                f"INV-9100001,D000001,2025-01-20,100.00,USD,open,{LATER},open",
            )
        },
        lambda p: ("erp/invoices/zz_g1_duplicate_header.csv", "'status' twice"),
    ),
    Case(
        "too-many-fields",
        "ragged rows",
        lambda p: {
            "landing/crm/accounts/zz_g1_ragged_many.csv": text(
                "account_id,name,country,modified_at",
                f"A91002,Fine Ltd,GB,{LATER}",
                f"A91003,Acme, Inc.,US,{LATER}",
            )
        },
        lambda p: ("crm/accounts/zz_g1_ragged_many.csv row 2", "5 values", "4 columns"),
    ),
    Case(
        "too-few-fields",
        "ragged rows",
        lambda p: {
            "landing/crm/users/zz_g1_ragged_few.csv": text(
                "user_id,employee_id,email,modified_at",
                f"U9101,E0001,{LATER}",
            )
        },
        lambda p: ("crm/users/zz_g1_ragged_few.csv row 1", "3 values", "4 columns"),
    ),
    Case(
        "missing-column-csv",
        "missing required column",
        lambda p: {
            "landing/erp/invoices/zz_g1_no_status.csv": text(
                "invoice_id,deal_id,invoice_date,amount,currency,modified_at",
                f"INV-9100002,D000001,2025-01-20,100.00,USD,{LATER}",
            )
        },
        lambda p: ("erp/invoices/zz_g1_no_status.csv", "lacks required column(s) status"),
    ),
    Case(
        "missing-column-parquet",
        "missing required column",
        lambda p: {
            "landing/crm/deal_splits/zz_g1_no_percent.parquet": parquet(
                {
                    "split_id": ["S910001"],
                    "deal_id": ["D000001"],
                    "owner_id": [p.owner],
                    "split_type": ["overlay"],
                    "modified_at": [LATER],
                }
            )
        },
        lambda p: (
            "crm/deal_splits/zz_g1_no_percent.parquet",
            "lacks required column(s) split_percent",
        ),
    ),
    Case(
        "date-not-real",
        "unparseable value (date)",
        _bad_value_files,  # BAD_VALUES and zz_g1_bad_integer.csv, for the cases below
        lambda p: (f"{BAD_VALUES} row 1", "D910001", "2025-02-30", "close_date", "date"),
    ),
    Case(
        "date-wrong-format",
        "unparseable value (date)",
        expect=lambda p: (
            f"{BAD_VALUES} row 2",
            "D910002",
            "15/01/2025",
            "close_date",
            "YYYY-MM-DD",
        ),
    ),
    Case(
        "timestamp",
        "unparseable value (timestamp)",
        expect=lambda p: (f"{BAD_VALUES} row 3", "D910003", "last Tuesday", "modified_at"),
    ),
    Case(
        "decimal",
        "unparseable value (decimal)",
        expect=lambda p: (f"{BAD_VALUES} row 4", "D910004", "1,250.00", "amount", "decimal"),
    ),
    Case(
        "boolean",
        "unparseable value (boolean)",
        expect=lambda p: (f"{BAD_VALUES} row 5", "D910005", "yes", "is_won", "boolean"),
    ),
    Case(
        "enum",
        "unparseable value (enum)",
        expect=lambda p: (f"{BAD_VALUES} row 6", "D910006", "upsell", "deal_type", "new_business"),
    ),
    Case(
        "currency",
        "unparseable value (currency)",
        expect=lambda p: (f"{BAD_VALUES} row 7", "D910007", "US$", "currency", "currency code"),
    ),
    Case(
        "empty-required",
        "unparseable value (empty)",
        expect=lambda p: (f"{BAD_VALUES} row 8", "D910008", "owner_id", "empty"),
    ),
    Case(
        "integer",
        "unparseable value (integer)",
        expect=lambda p: (
            "crm/deals/zz_g1_bad_integer.csv row 1",
            "D910009",
            "twelve",
            "contract_term_months",
            "whole number",
        ),
    ),
    Case(
        "parquet-value",
        "unparseable value (date)",
        lambda p: {
            "landing/hris/employees/zz_g1_bad_hire_date.parquet": parquet(
                {
                    "employee_id": ["E9101"],
                    "first_name": ["Ada"],
                    "last_name": ["Byron"],
                    "email": ["ada@example.com"],
                    "hire_date": ["2025/01/02"],
                    "modified_at": [LATER],
                }
            )
        },
        lambda p: (
            "hris/employees/zz_g1_bad_hire_date.parquet row 1",
            "E9101",
            "2025/01/02",
            "hire_date",
        ),
    ),
    Case(
        "same-key-same-time",
        "conflicting versions",
        lambda p: {
            "landing/crm/deals/zz_g1_conflict.csv": text(
                DEAL_HEADER,
                deal("D910030", p.owner, p.account, amount="500.00"),
                deal("D910031", p.owner, p.account),
                deal("D910030", p.owner, p.account, amount="900.00"),
            )
        },
        lambda p: ("crm/deals/zz_g1_conflict.csv rows 1 and 3", "D910030", "500.00", "900.00"),
    ),
]


# Group 2: deals, splits, fx rates and the hierarchy, in one batch per entity. Each problem has
# its own new deal (or employee), so the findings do not mask one another.
DEALS2 = "crm/deals/zz_g2_deals.csv"
SPLITS2 = "crm/deal_splits/zz_g2_splits.csv"
JOBS2 = "hris/job_history/zz_g2_jobs.csv"


def _engine_files(p: People) -> dict[str, bytes]:
    won = {"won": "true"}
    return {
        f"landing/{DEALS2}": text(
            DEAL_HEADER,
            deal("D920001", p.owner, p.account, amount="", **won),
            deal("D920002", p.owner, p.account, amount="-500.00", **won),
            deal("D920003", p.owner, p.account, close="", **won),
            deal("D920004", p.owner, p.account, currency="XYZ", **won),
            deal("D920005", "U9999", p.account, **won),
            deal("D920006", p.owner, p.account, **won),
            deal("D920007", p.owner, p.account, **won),
            deal("D920008", p.owner, p.account, currency="CHF", **won),
        ),
        f"landing/{SPLITS2}": text(
            SPLIT_HEADER,
            f"S920061,D920006,{p.owner},revenue,50,{LATER}",
            f"S920062,D920006,U9998,revenue,50,{LATER}",
            f"S920071,D920007,{p.owner},revenue,60,{LATER}",
            f"S920072,D920007,{p.second_owner},revenue,30.5,{LATER}",
        ),
        # CHF becomes a known currency, but its only rate is dated after the deal
        "landing/erp/fx_rates/zz_g2_chf.csv": text(
            "rate_date,from_currency,to_currency,rate", "2025-03-31,CHF,USD,1.100000"
        ),
        f"landing/{JOBS2}": text(
            "employee_id,effective_date,job_title,manager_id,status,modified_at",
            f"{p.top},2025-01-01,Chief Revenue Officer,{p.below},active,{LATER}",
            f"E9201,2025-01-01,Account Executive,E9999,active,{LATER}",
        ),
        "landing/hris/employees/zz_g2_employees.csv": text(
            "employee_id,first_name,last_name,email,hire_date,modified_at",
            f"E9201,Grace,Hopper,grace.hopper@example.com,2024-06-01,{LATER}",
        ),
    }


ENGINE_CASES = [
    Case(
        "won-deal-no-amount",
        "won deal incomplete",
        _engine_files,
        lambda p: ("D920001", "amount"),
    ),
    Case(
        "won-deal-negative-amount",
        "won deal incomplete",
        expect=lambda p: ("D920002", "-500", "negative"),
    ),
    Case(
        "won-deal-no-close-date",
        "won deal incomplete",
        expect=lambda p: ("D920003", "close"),
    ),
    Case(
        "won-deal-unknown-currency-blocks",
        "won deal incomplete",
        expect=lambda p: ("D920004", "XYZ->USD"),  # as a missing rate
    ),
    Case(
        "won-deal-unknown-currency-named",
        "won deal incomplete",
        expect=lambda p: ("D920004", "XYZ", "unknown"),
    ),
    Case(
        "won-deal-owner-no-employee",
        "owner maps to no employee",
        expect=lambda p: ("D920005", "U9999"),
    ),
    Case(
        "split-owner-no-employee",
        "owner maps to no employee",
        expect=lambda p: ("S920062", "U9998"),
    ),
    Case(
        "revenue-splits-not-100",
        "revenue splits not 100",
        expect=lambda p: ("D920007", "90.5"),
    ),
    Case(
        "missing-fx-rate",
        "missing fx rate",
        expect=lambda p: ("CHF", "USD", "2025-01-15", "D920008"),
    ),
    Case(
        "hierarchy-cycle",
        "hierarchy cycle",
        expect=lambda p: ("cycle", p.top, p.below),
    ),
    Case(
        "manager-not-employee",
        "manager is no employee",
        expect=lambda p: ("E9201", "E9999", "no employee"),
    ),
]


# Group 3: the compensation configuration, edited by the administrator.
def _edit_plans(root: Path, p: People) -> None:
    plans = root / "comp" / "plans"
    vp = (plans / "VP-2025.yaml").read_text(encoding="utf-8")
    (plans / "BROKEN-2025.yaml").write_text(
        vp.replace("id: VP-2025", "id: BROKEN-2025").replace(
            "currency: USD", "currency: USD\nbonus_rate: 0.05"
        ),
        encoding="utf-8",
    )
    (plans / "TIERS-2025.yaml").write_text(
        vp.replace("id: VP-2025", "id: TIERS-2025").replace(
            "{from: 0.7, rate: 0.02}", "{from: 1.1, rate: 0.02}"
        ),
        encoding="utf-8",
    )
    (plans / "SYNTAX-2025.yaml").write_text(
        "id: SYNTAX-2025\ncomponents: [\n  - id: x\n", encoding="utf-8"
    )


def _edit_tables(root: Path, p: People) -> None:
    comp = root / "comp"
    assignments = (comp / "plan_assignments.csv").read_text(encoding="utf-8").splitlines()
    first = next(line for line in assignments if line.startswith(f"{p.top},"))
    plan = first.split(",")[1]
    assignments += [
        f"{p.top},{plan},2025-03-01,,1000",  # overlaps the open assignment
        f"{p.below},NOPE-2025,2026-01-01,2026-12-31,1000",
    ]
    (comp / "plan_assignments.csv").write_text("\n".join(assignments) + "\n", encoding="utf-8")
    quotas = (comp / "quotas.csv").read_text(encoding="utf-8").splitlines()
    kept = [q for q in quotas if not q.startswith(f"{p.below},")]
    assert len(kept) < len(quotas)
    (comp / "quotas.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    with (comp / "adjustments.csv").open("a", encoding="utf-8") as handle:
        handle.write(f"ADJ-9301,{p.top},2025-01,12.5.0,USD,typo\n")


COMP_CASES = [
    Case(
        "plan-unknown-key",
        "invalid plan file",
        edit=_edit_plans,
        expect=lambda p: ("comp/plans/BROKEN-2025.yaml line 4", "bonus_rate", "unknown key"),
    ),
    Case(
        "plan-tiers-out-of-order",
        "invalid plan file",
        expect=lambda p: ("comp/plans/TIERS-2025.yaml line 17", "tiers must rise", "1.1"),
    ),
    Case(
        "plan-not-yaml",
        "invalid plan file",
        expect=lambda p: ("comp/plans/SYNTAX-2025.yaml line 3", "not valid YAML"),
    ),
    Case(
        "overlapping-assignments",
        "overlapping assignments",
        edit=_edit_tables,
        expect=lambda p: (
            f"comp/plan_assignments.csv row {p.assignments + 1}",
            f"employee {p.top}",
            "overlaps row 1",
        ),
    ),
    Case(
        "unknown-plan",
        "assignment to an unknown plan",
        expect=lambda p: (
            f"comp/plan_assignments.csv row {p.assignments + 2}",
            "unknown plan 'NOPE-2025'",
        ),
    ),
    Case(
        "missing-quota",
        "quota missing",
        expect=lambda p: ("comp/quotas.csv", "missing quota", f"employee {p.below}"),
    ),
    Case(
        "adjustment-not-a-number",
        "invalid configuration value",
        expect=lambda p: ("comp/adjustments.csv row", "amount", "not a decimal number", "12.5.0"),
    ),
]


# Group 4: odd but valid deliveries; each must reach staging, and the month must publish.
def _deal_row(deal_id: str, p: People, amount: str = "1000.00") -> str:
    return deal(deal_id, p.owner, p.account, won="true", amount=amount)


VALID_DEALS = "select deal_id, is_won, amount, currency, deal_type from staging.stg_crm__deals "
VALID_CASES = [
    Case(
        "header-only",
        "valid",
        lambda p: {"landing/crm/deals/zz_g4_header_only.csv": text(DEAL_HEADER)},
        staged=(
            "select status, row_count from raw.ingest_batches "
            "where _file = 'crm/deals/zz_g4_header_only.csv'",
            [("loaded", 0)],
        ),
    ),
    Case(
        "utf8-bom",
        "valid",
        lambda p: {
            "landing/crm/accounts/zz_g4_bom.csv": "\ufeff".encode()
            + text("account_id,name,country,modified_at", f"A94001,Åkesson Bröderna AB,SE,{LATER}")
        },
        staged=(
            "select account_id, name from staging.stg_crm__accounts where account_id = 'A94001'",
            [("A94001", "Åkesson Bröderna AB")],
        ),
    ),
    Case(
        "crlf",
        "valid",
        lambda p: {
            "landing/crm/deals/zz_g4_crlf.csv": text(
                DEAL_HEADER, _deal_row("D940001", p, "2500.00"), newline="\r\n"
            )
        },
        staged=(
            VALID_DEALS + "where deal_id = 'D940001'",
            [("D940001", True, Decimal("2500.00"), "USD", "new_business")],
        ),
    ),
    Case(
        "extra-and-reordered-columns",
        "valid",
        lambda p: {
            "landing/crm/deals/zz_g4_reordered.csv": text(
                "Region,modified_at,currency,amount,close_date,is_won,stage,deal_type,owner_id,"
                "account_id,deal_id",
                f"EMEA,{LATER},USD,3100.00,2025-01-16,true,closed_won,expansion,{p.owner},"
                f"{p.account},D940002",
            )
        },
        staged=(
            VALID_DEALS + "where deal_id = 'D940002'",
            [("D940002", True, Decimal("3100.00"), "USD", "expansion")],
        ),
    ),
    Case(
        "booleans-1-0-TRUE",
        "valid",
        lambda p: {
            "landing/crm/deals/zz_g4_booleans.csv": text(
                DEAL_HEADER + ",is_deleted",
                deal("D940003", p.owner, p.account, won="1") + ",0",
                deal("D940004", p.owner, p.account, won="0") + ",FALSE",
                deal("D940005", p.owner, p.account, won="TRUE") + ",False",
                deal("D940006", p.owner, p.account, won="True") + ",1",
            )
        },
        staged=(
            "select deal_id, is_won from staging.stg_crm__deals "
            "where deal_id between 'D940003' and 'D940006' order by 1",
            [("D940003", True), ("D940004", False), ("D940005", True)],
        ),
    ),
    Case(
        "quoted-comma-and-line-break",
        "valid",
        lambda p: {
            "landing/crm/accounts/zz_g4_quoted.csv": text(
                "account_id,name,country,modified_at",
                f'A94002,"Smith, Jones & Co.\nHoldings ""West""",US,{LATER}',
            )
        },
        staged=(
            "select name from staging.stg_crm__accounts where account_id = 'A94002'",
            [('Smith, Jones & Co.\nHoldings "West"',)],
        ),
    ),
    Case(
        "blanks-case-and-offsets",
        "valid",
        lambda p: {
            "landing/crm/deals/zz_g4_loose.csv": text(
                DEAL_HEADER,
                f"D940007,{p.account},{p.owner},Expansion,closed_won, true ,2025-01-17, 750.50 ,"
                "usd,2025-01-20T14:00:00+02:00",
            )
        },
        staged=(
            VALID_DEALS + "where deal_id = 'D940007'",
            [("D940007", True, Decimal("750.50"), "USD", "expansion")],
        ),
    ),
    Case(
        "typed-parquet",
        "valid",
        lambda p: {
            "landing/crm/deals/zz_g4_typed.parquet": parquet(
                {
                    "deal_id": ["D940008"],
                    "account_id": [p.account],
                    "owner_id": [p.owner],
                    "deal_type": ["new_business"],
                    "stage": ["closed_won"],
                    "is_won": [True],
                    "close_date": [date(2025, 1, 18)],
                    "amount": [Decimal("4200.25")],
                    "currency": ["USD"],
                    "contract_term_months": [24],
                    "modified_at": [datetime(2025, 1, 20, 12, tzinfo=UTC)],
                },
                schema=pa.schema(
                    [
                        ("deal_id", pa.string()),
                        ("account_id", pa.string()),
                        ("owner_id", pa.string()),
                        ("deal_type", pa.string()),
                        ("stage", pa.string()),
                        ("is_won", pa.bool_()),
                        ("close_date", pa.date32()),
                        ("amount", pa.decimal128(12, 2)),
                        ("currency", pa.string()),
                        ("contract_term_months", pa.int32()),
                        ("modified_at", pa.timestamp("us", tz="UTC")),
                    ]
                ),
            )
        },
        staged=(
            VALID_DEALS + "where deal_id = 'D940008'",
            [("D940008", True, Decimal("4200.25"), "USD", "new_business")],
        ),
    ),
]

# Group 5: a quarantined row blocks every close until a later batch corrects its record.
QUARANTINED = "crm/deals/zz_g5_1_delivery.csv"
CORRECTION = "crm/deals/zz_g5_2_correction.csv"


# ----------------------------------------------------------------------- running a group


@dataclass
class Closed:
    """One workspace after one close of MONTH: what it said and what it left behind."""

    ws: Workspace
    people: People
    result: CloseResult | None
    error: str | None
    run_id: str | None
    outcomes: list[CheckOutcome]
    recorded: list[Finding]  # quality.findings of the run
    report: str  # close-report.md
    counts: tuple[int, int]  # finance.closes and finance.payouts rows of MONTH after the close
    landing_before: dict[str, str] = field(default_factory=dict)
    landing_after: dict[str, str] = field(default_factory=dict)


def demo_people(root: Path) -> People:
    """Ids the cases use, read from the generated files (no warehouse needed)."""

    def rows(path: Path) -> list[dict[str, str]]:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    comp = root / "comp"
    usd_plans = {
        p.stem for p in (comp / "plans").glob("AE-*.yaml") if "currency: USD" in p.read_text()
    }
    on_usd_plan = [
        r["employee_id"] for r in rows(comp / "plan_assignments.csv") if r["plan_id"] in usd_plans
    ]
    users = rows(root / "landing/crm/users/users_2025-01.csv")
    owners = [u["user_id"] for e in on_usd_plan for u in users if u["employee_id"] == e]
    jobs = rows(root / "landing/hris/job_history/job_history_2025-01.csv")
    top = next(j["employee_id"] for j in jobs if not j["manager_id"])
    below = next(j["employee_id"] for j in jobs if j["manager_id"] == top)
    account = rows(root / "landing/crm/accounts/accounts_2025-01.csv")[0]["account_id"]
    assignments = len(rows(comp / "plan_assignments.csv"))
    return People(owners[0], owners[1], account, top, below, assignments)


def landing_digests(ws: Workspace) -> dict[str, str]:
    return {
        str(p.relative_to(ws.landing_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(ws.landing_dir.rglob("*"))
        if p.is_file()
    }


def build(root: Path, cases: list[Case]) -> tuple[Workspace, People]:
    """A small demo workspace with every case's files written and comp edits made."""
    generate_workspace(root, seed=SEED, size=SIZE, overwrite=True)
    people = demo_people(root)
    for case in cases:
        for relative, data in case.files(people).items():
            path = root / relative
            assert not path.exists(), f"{case.id}: {relative} would replace a delivered file"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if case.edit is not None:
            case.edit(root, people)
    return Workspace.open(root), people


def table_exists(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    (count,) = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()  # type: ignore[misc]
    return count > 0


def close(ws: Workspace, people: People) -> Closed:
    """Close MONTH; gather what the run recorded and what its close report says."""
    before = landing_digests(ws)
    result, error = None, None
    try:
        result = close_month(ws, MONTH)
    except CloseError as exc:
        error = str(exc)
    after = landing_digests(ws)
    with duckdb_file(str(ws.warehouse_path), read_only=True) as connection:
        row = connection.execute(
            "select run_id from ops.close_attempts where period = ? and kind = 'close' "
            "order by attempted_at desc limit 1",
            [MONTH],
        ).fetchone()
        run_id = row[0] if row else None
        outcomes = gather_outcomes(ws, connection, MONTH, run_id, comp_passed=result is not None)
        recorded = []
        if run_id and table_exists(connection, "quality", "findings"):
            recorded = [
                Finding(*r)
                for r in connection.execute(
                    "select location, value, problem from quality.findings where run_id = ?",
                    [run_id],
                ).fetchall()
            ]
    report = (ws.out_dir / MONTH / "close-report.md").read_text(encoding="utf-8")
    counts = published(ws)
    return Closed(
        ws, people, result, error, run_id, outcomes, recorded, report, counts, before, after
    )


def published(ws: Workspace) -> tuple[int, int]:
    """finance.closes and finance.payouts rows of MONTH (0 while the tables do not exist)."""
    with duckdb_file(str(ws.warehouse_path), read_only=True) as connection:
        counts = []
        for table in ("closes", "payouts"):
            if not table_exists(connection, "finance", table):
                counts.append(0)
                continue
            (count,) = connection.execute(
                f"select count(*) from finance.{table} where period = ?", [MONTH]
            ).fetchone()  # type: ignore[misc]
            counts.append(count)
    return counts[0], counts[1]


def matches(finding: Finding, needles: tuple[str, ...]) -> bool:
    return all(n in str(finding) for n in needles)


def report_rows(report: str) -> list[str]:
    """The finding rows of the close report's "Blocking problems" section."""
    blocking = report.split("## Blocking problems", 1)[1].split("\n## ", 1)[0]
    return [line for line in blocking.splitlines() if line.startswith("| ") and "---" not in line]


def assert_reported(closed: Closed, needles: tuple[str, ...], *, recorded: bool) -> None:
    """One finding holds every needle: in the outcomes, the report, and (if ``recorded``)
    quality.findings."""
    assert needles, "a bad case must say what to look for"
    found = [f for o in closed.outcomes if o.blocks for f in o.findings]
    assert any(matches(f, needles) for f in found), (
        f"no blocking finding holds {needles}; findings:\n" + "\n".join(map(str, found))
    )
    rows = report_rows(closed.report)
    escaped = tuple(_md(n) for n in needles)
    assert any(all(n in row for n in escaped) for row in rows), (
        f"no row of the close report holds {needles}:\n" + "\n".join(rows)
    )
    if recorded:
        assert any(matches(f, needles) for f in closed.recorded), (
            f"quality.findings of run {closed.run_id} hold no {needles}"
        )


def assert_not_published(closed: Closed) -> None:
    assert closed.result is None, f"published: {closed.result}"
    assert closed.error is not None
    assert closed.counts == (0, 0)
    assert "**" + f"{MONTH_NAME}: NOT published" + "**" in closed.report


MONTH_NAME = "January 2025"


def assert_one_line_error(closed: Closed, *needles: str) -> None:
    error = closed.error
    assert error is not None
    assert "\n" not in error, error
    assert error.startswith(f"{MONTH} not published: "), error
    assert error.endswith(f"(close report: {closed.ws.out_dir / MONTH / 'close-report.md'})")
    for needle in needles:
        assert needle in error, error


def params(cases: list[Case]) -> list[object]:
    """One test item per case, named by its failure class; known defects as strict xfails."""
    return [
        pytest.param(
            c,
            id=f"{c.kind}:{c.id}",
            marks=[pytest.mark.xfail(strict=True, reason=c.defect)] if c.defect else [],
        )
        for c in cases
    ]


# ----------------------------------------------------------------- group 1: landing files


@pytest.fixture(scope="module")
def landing_group(tmp_path_factory: pytest.TempPathFactory) -> Closed:
    ws, people = build(tmp_path_factory.mktemp("catalogue_landing"), LANDING_CASES)
    return close(ws, people)


@pytest.mark.parametrize("case", params(LANDING_CASES))
def test_landing_problem_is_reported(landing_group: Closed, case: Case) -> None:
    assert_reported(landing_group, case.expect(landing_group.people), recorded=True)


def test_landing_problems_publish_nothing_and_touch_no_file(landing_group: Closed) -> None:
    assert_not_published(landing_group)
    assert landing_group.landing_after == landing_group.landing_before
    assert_one_line_error(landing_group, "Landing files must be readable")


# ---------------------------------------------------- group 2: deals, splits, fx, hierarchy


@pytest.fixture(scope="module")
def engine_group(tmp_path_factory: pytest.TempPathFactory) -> Closed:
    ws, people = build(tmp_path_factory.mktemp("catalogue_engine"), ENGINE_CASES)
    return close(ws, people)


@pytest.mark.parametrize("case", params(ENGINE_CASES))
def test_engine_problem_is_reported(engine_group: Closed, case: Case) -> None:
    assert_reported(engine_group, case.expect(engine_group.people), recorded=True)


def test_engine_problems_publish_nothing_and_touch_no_file(engine_group: Closed) -> None:
    assert_not_published(engine_group)
    assert engine_group.landing_after == engine_group.landing_before
    first = next(o for o in engine_group.outcomes if o.failed and o.blocks)
    assert_one_line_error(engine_group, first.first_line())
    assert any(f"D92000{n}" in str(engine_group.error) for n in range(1, 9))


# ------------------------------------------------------ group 3: compensation configuration


@pytest.fixture(scope="module")
def comp_group(tmp_path_factory: pytest.TempPathFactory) -> Closed:
    ws, people = build(tmp_path_factory.mktemp("catalogue_comp"), COMP_CASES)
    return close(ws, people)


@pytest.mark.parametrize("case", params(COMP_CASES))
def test_comp_problem_is_reported(comp_group: Closed, case: Case) -> None:
    assert_reported(comp_group, case.expect(comp_group.people), recorded=False)


def test_comp_problems_publish_nothing_and_touch_no_file(comp_group: Closed) -> None:
    assert_not_published(comp_group)
    assert comp_group.landing_after == comp_group.landing_before
    assert_one_line_error(
        comp_group,
        "Plan files, assignments, quotas and adjustments must be valid",
        "comp/plans/BROKEN-2025.yaml line 4",
        "unknown key",
    )


# ------------------------------------------------------------- group 4: odd but valid input


@pytest.fixture(scope="module")
def valid_group(tmp_path_factory: pytest.TempPathFactory) -> Closed:
    ws, people = build(tmp_path_factory.mktemp("catalogue_valid"), VALID_CASES)
    return close(ws, people)


def test_odd_but_valid_input_publishes(valid_group: Closed) -> None:
    assert valid_group.error is None, valid_group.error
    assert valid_group.result is not None and valid_group.result.period == MONTH
    closes, payouts = valid_group.counts
    assert closes == 1 and payouts == valid_group.result.payouts > 0
    assert f"**{MONTH_NAME}: published**" in valid_group.report
    assert not [o for o in valid_group.outcomes if o.blocks]
    assert valid_group.landing_after == valid_group.landing_before


@pytest.mark.parametrize("case", params(VALID_CASES))
def test_odd_but_valid_input_is_loaded_as_meant(valid_group: Closed, case: Case) -> None:
    sql, rows = case.staged
    with duckdb_file(str(valid_group.ws.warehouse_path), read_only=True) as connection:
        assert connection.execute(sql).fetchall() == rows
        quarantined = connection.execute(
            "select count(*) from raw.ingest_quarantine where _file like '%zz_g4_%'"
        ).fetchone()
    assert quarantined == (0,)


def test_odd_but_valid_deals_are_published_as_credits(valid_group: Closed) -> None:
    with duckdb_file(str(valid_group.ws.warehouse_path), read_only=True) as connection:
        credited = connection.execute(
            "select distinct deal_id from finance.credits where period = ? "
            "and deal_id like 'D9400%' and credit_type = 'direct' order by 1",
            [MONTH],
        ).fetchall()
    assert credited == [
        (d,) for d in ("D940001", "D940002", "D940003", "D940005", "D940007", "D940008")
    ]


# -------------------------------------------------- group 5: quarantine, then a correction


@pytest.fixture(scope="module")
def corrected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Closed, Closed]:
    """The same close twice: with a quarantined won deal, then after its corrected batch."""
    bad = Case(
        "quarantined",
        "quarantine",
        lambda p: {
            f"landing/{QUARANTINED}": text(
                DEAL_HEADER,
                deal("D950001", p.owner, p.account, won="true", amount='"12.500,00"'),
                _deal_row("D950002", p, "800.00"),
            )
        },
    )
    ws, people = build(tmp_path_factory.mktemp("catalogue_corrected"), [bad])
    first = close(ws, people)
    fix = deal(
        "D950001",
        people.owner,
        people.account,
        won="true",
        amount="12500.00",
        modified="2025-01-21T09:00:00Z",
    )
    (ws.landing_dir / CORRECTION).write_bytes(text(DEAL_HEADER, fix))
    return first, close(ws, people)


def test_a_quarantined_row_blocks_the_close(corrected: tuple[Closed, Closed]) -> None:
    first, _ = corrected
    needles = (f"{QUARANTINED} row 1", "D950001", "12.500,00", "amount", "not a decimal number")
    assert_reported(first, needles, recorded=True)
    assert_not_published(first)
    assert first.landing_after == first.landing_before
    assert_one_line_error(first, *needles)


def test_a_corrected_batch_lets_the_same_close_publish(corrected: tuple[Closed, Closed]) -> None:
    first, second = corrected
    assert second.error is None, second.error
    assert second.result is not None
    assert second.counts == (1, second.result.payouts)
    assert second.landing_after == second.landing_before
    # the bad delivery is still there, as delivered: only the new batch was added
    assert second.landing_before == {
        **first.landing_after,
        CORRECTION: second.landing_before[CORRECTION],
    }
    assert f"**{MONTH_NAME}: published**" in second.report
    (landing,) = [o for o in second.outcomes if o.name == "landing_quarantine"]
    assert landing.passed
    assert "1 quarantined row(s) were corrected by a later delivery" in str(landing.detail)
    with duckdb_file(str(second.ws.warehouse_path), read_only=True) as connection:
        credited = connection.execute(
            "select deal_id, source_amount from finance.credits "
            "where deal_id like 'D95%' and credit_type = 'direct' order by 1"
        ).fetchall()
    assert credited == [("D950001", Decimal("12500")), ("D950002", Decimal("800"))]


# ------------------------------------------ group 6: reconciliations (a simulated engine bug)
# Valid input cannot make a reconciliation fail: the engine is consistent (tests/test_quality.py
# unit-tests each one on tampered tables). Here, end to end, the drafts are tampered with after
# dbt built them and before the data-quality step checks them, as an engine bug would leave them.


def _tamper(connection: duckdb.DuckDBPyConnection, people: People) -> None:
    connection.execute(
        "update marts.fct_payouts set commission = commission + 0.01, "
        "net_payout = net_payout + 0.01 where employee_id = ? and period = ?",
        [people.top, MONTH],
    )
    connection.execute(
        "update marts.fct_payouts set net_payout = net_payout + 100 "
        "where employee_id = ? and period = ?",
        [people.below, MONTH],
    )
    connection.execute(
        "update intermediate.int_deal_credits set source_amount = source_amount + 1 "
        "where deal_id = 'D960001' and credit_type = 'direct'"
    )


RECONCILIATION_CASES = [
    Case(
        "deal-credits-differ-from-amount",
        "reconciliation",
        lambda p: {
            "landing/crm/deals/zz_g6_deal.csv": text(DEAL_HEADER, _deal_row("D960001", p, "900.00"))
        },
        lambda p: ("zz_g6_deal.csv row 1", "D960001", "901.00", "not 900.00"),
    ),
    Case(
        "payout-differs-from-lines",
        "reconciliation",
        expect=lambda p: (f"employee {p.top}", MONTH, "commission", "lines add up to"),
    ),
    Case(
        "net-payout-formula",
        "reconciliation",
        expect=lambda p: (f"employee {p.below}", MONTH, "the net payout is", "parts give"),
    ),
]


@pytest.fixture(scope="module")
def tampered(tmp_path_factory: pytest.TempPathFactory) -> Closed:
    import assets.quality_checks as step

    ws, people = build(tmp_path_factory.mktemp("catalogue_tampered"), RECONCILIATION_CASES)
    real = step.run_checks

    def tamper_then_check(connection: duckdb.DuckDBPyConnection, period: str, *args, **kwargs):
        _tamper(connection, people)
        return real(connection, period, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(step, "run_checks", tamper_then_check)
        return close(ws, people)


@pytest.mark.parametrize("case", params(RECONCILIATION_CASES))
def test_reconciliation_failure_is_reported(tampered: Closed, case: Case) -> None:
    assert_reported(tampered, case.expect(tampered.people), recorded=True)


def test_reconciliation_failures_publish_nothing(tampered: Closed) -> None:
    assert_not_published(tampered)
    assert tampered.landing_after == tampered.landing_before
    first = next(o for o in tampered.outcomes if o.failed and o.blocks)
    assert_one_line_error(tampered, first.first_line())
