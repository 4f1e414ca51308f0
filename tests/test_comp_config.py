"""Compensation configuration: plan files, CSVs, cross-file checks, periods, tables, schema, guide.

Every test writes real files into a fresh workspace and asserts the exact file, line or row, key
and a fragment of the message of each problem.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from openspm.comp import (
    CompConfigError,
    ConfigProblem,
    FlatRates,
    TieredRates,
    check_comp_config,
    load_comp_config,
    quota_period_containing,
    quota_periods,
    write_comp_tables,
)
from openspm.comp.cache import forget_digest, loaded_digest, record_digest, source_digest
from openspm.comp.schema import plan_json_schema, plan_json_schema_text
from openspm.warehouse import duckdb_file
from openspm.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]
PLAN = "comp/plans/ae-2026.yaml"
ASSIGNMENTS = "comp/plan_assignments.csv"
QUOTAS = "comp/quotas.csv"
ADJUSTMENTS = "comp/adjustments.csv"

# Line numbers below are those of this text; tests replace single lines to keep them.
AE_PLAN = """\
id: AE-2026
name: Account Executive 2026
currency: USD
effective_from: 2026-01-01
effective_to: 2026-12-31
components:
  - id: new_business
    measure: bookings
    deal_types: [new_business, expansion]
    credit_types: [direct, split]
    quota_period: quarter
    rates:
      method: marginal
      tiers:
        - {from: 0.0, rate: 0.1}
        - {from: 1.0, rate: 0.15}
        - {from: 1.5, rate: 0.20}
    cap: 150000
  - id: renewals
    measure: bookings
    deal_types: [renewal]
    credit_types: [direct, split]
    rates: {method: flat, rate: 0.03}
spiffs:
  - id: q4-new-logo
    deal_types: [new_business]
    from: 2026-10-01
    to: 2026-12-31
    min_amount: 50000
    amount: 1000
draw:
  kind: recoverable
  monthly_amount: 4000
  from: 2026-01-01
  to: 2026-03-31
clawback:
  window_days: 90
"""

ASSIGNMENTS_CSV = """\
employee_id,plan_id,effective_from,effective_to,target_incentive
E1,AE-2026,2026-01-01,,60000
E2,AE-2026,2026-01-01,2026-06-30,50000.50
"""

QUOTAS_CSV = """\
employee_id,plan_id,component_id,period_start,quota
E1,AE-2026,new_business,2026-01-01,250000
E1,AE-2026,new_business,2026-04-01,250000
E1,AE-2026,new_business,2026-07-01,250000
E1,AE-2026,new_business,2026-10-01,250000.125
E2,AE-2026,new_business,2026-01-01,200000
E2,AE-2026,new_business,2026-04-01,200000
"""

ADJUSTMENTS_CSV = """\
adjustment_id,employee_id,period,amount,currency,reason
ADJ-1,E1,2026-03,-250.10,USD,duplicate SPIFF
"""


def make_workspace(
    root: Path,
    *,
    plans: dict[str, str] | None = None,
    assignments: str | None = ASSIGNMENTS_CSV,
    quotas: str | None = QUOTAS_CSV,
    adjustments: str | None = ADJUSTMENTS_CSV,
) -> Workspace:
    """A workspace with openspm.yaml and the given comp files (None: the file is absent)."""
    (root / "comp" / "plans").mkdir(parents=True)
    (root / "openspm.yaml").write_text("company: T\nreporting_currency: USD\n", encoding="utf-8")
    for name, text in (plans if plans is not None else {"ae-2026.yaml": AE_PLAN}).items():
        (root / "comp" / "plans" / name).write_text(text, encoding="utf-8")
    files = {"plan_assignments.csv": assignments, "quotas.csv": quotas}
    files["adjustments.csv"] = adjustments
    for name, content in files.items():
        if content is not None:
            (root / "comp" / name).write_text(content, encoding="utf-8")
    return Workspace(root)


def plan_with(*replacements: tuple[str, str]) -> str:
    text = AE_PLAN
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def problems_of(tmp_path: Path, **files: object) -> list[ConfigProblem]:
    return check_comp_config(make_workspace(tmp_path, **files))  # type: ignore[arg-type]


def find(
    problems: list[ConfigProblem],
    file: str,
    line: int | None,
    key: str | None,
    fragment: str,
) -> ConfigProblem:
    """The problem at file/line/key whose message holds fragment (fails listing all)."""
    for problem in problems:
        if (problem.file, problem.line, problem.key) == (file, line, key) and (
            fragment in problem.message
        ):
            return problem
    listing = "\n".join(str(p) for p in problems) or "(no problems)"
    raise AssertionError(f"no problem {file} line {line} {key}: {fragment!r} in:\n{listing}")


# --- a valid configuration ---------------------------------------------------------------------


def test_valid_configuration_loads_typed_and_exact(tmp_path: Path) -> None:
    config = load_comp_config(make_workspace(tmp_path))
    plan = config.plan("AE-2026")
    assert config.plan_files == {"AE-2026": PLAN}
    assert plan.effective_from == date(2026, 1, 1)
    rates = plan.components[0].rates
    assert isinstance(rates, TieredRates)
    # YAML numbers are read from their text: 0.1 is exactly one tenth, not a binary float
    assert rates.tiers[0].rate == Decimal("0.1")
    assert str(rates.tiers[0].rate) == "0.1"
    assert rates.tiers[2].rate.as_tuple() == Decimal("0.20").as_tuple()
    assert rates.tiers[1].from_ == Decimal("1.0")
    flat = plan.components[1].rates
    assert isinstance(flat, FlatRates) and flat.rate == Decimal("0.03")
    assert plan.components[0].cap == Decimal(150000)
    assert plan.spiffs[0].from_ == date(2026, 10, 1)
    assert plan.draw is not None and plan.draw.kind == "recoverable"
    assert plan.clawback is not None and plan.clawback.window_days == 90

    e1, e2 = config.assignments
    assert e1.effective_to is None and e1.effective_end == date(2026, 12, 31)  # open: plan end
    assert e2.target_incentive == Decimal("50000.50")
    assert config.assignment_on("E2", date(2026, 7, 1)) is None
    assert config.assignment_on("E2", date(2026, 6, 30)) == e2
    assert config.quota("E1", "AE-2026", "new_business", date(2026, 10, 1)) == Decimal("250000.125")
    assert config.adjustments[0].amount == Decimal("-250.10")
    assert config.adjustments[0].period_start == date(2026, 3, 1)


def test_adjustments_are_optional_and_header_only_files_are_valid(tmp_path: Path) -> None:
    workspace = make_workspace(
        tmp_path,
        assignments="employee_id,plan_id,effective_from,effective_to,target_incentive\n",
        quotas="employee_id,plan_id,component_id,period_start,quota\n",
        adjustments=None,
    )
    config = load_comp_config(workspace)
    assert config.assignments == () and config.adjustments == ()


# --- plan files ------------------------------------------------------------------------------


def test_unknown_key_names_line_and_suggests(tmp_path: Path) -> None:
    text = plan_with(("    quota_period: quarter\n", "    quota_peroid: quarter\n"))
    problems = problems_of(tmp_path, plans={"ae-2026.yaml": text})
    find(problems, PLAN, 11, "components[0].quota_peroid", "unknown key")
    find(problems, PLAN, 11, "components[0].quota_peroid", "did you mean 'quota_period'")
    # the misspelt key leaves a marginal component without a quota period
    find(problems, PLAN, 7, "components[0].quota_period", "required for marginal rates")


def test_wrong_types(tmp_path: Path) -> None:
    text = plan_with(
        ("    cap: 150000\n", "    cap: lots\n"),
        ("    deal_types: [renewal]\n", "    deal_types: renewal\n"),
        ("  window_days: 90\n", "  window_days: soon\n"),
        ("  from: 2026-01-01\n", "  from: 20260101\n"),
    )
    problems = problems_of(tmp_path, plans={"ae-2026.yaml": text})
    find(problems, PLAN, 18, "components[0].cap", "should be a number (got 'lots')")
    find(problems, PLAN, 21, "components[1].deal_types", "should be a list")
    find(problems, PLAN, 37, "clawback.window_days", "valid integer")
    find(problems, PLAN, 34, "draw.from", "should be a date written YYYY-MM-DD (got 20260101)")


def test_unknown_values_and_missing_keys(tmp_path: Path) -> None:
    text = plan_with(
        ("    measure: bookings\n", "    measure: revenue\n"),
        ("    credit_types: [direct, split]\n", "    credit_types: [direct, team]\n"),
        ("    rates: {method: flat, rate: 0.03}\n", "    rates: {method: tiered, rate: 0.03}\n"),
        ("name: Account Executive 2026\n", "title: Account Executive 2026\n"),
    )
    problems = problems_of(tmp_path, plans={"ae-2026.yaml": text})
    find(
        problems,
        PLAN,
        8,
        "components[0].measure",
        "should be 'bookings', 'billings' or 'collections' (got 'revenue')",
    )
    find(problems, PLAN, 10, "components[0].credit_types[1]", "(got 'team')")
    find(problems, PLAN, 23, "components[1].rates.method", "(got 'tiered')")
    find(problems, PLAN, 1, "name", "required key is missing")
    find(problems, PLAN, 2, "title", "unknown key")


def test_measure_defaults_to_bookings_and_names_billings_and_collections(tmp_path: Path) -> None:
    """Rule 4.2: measure is optional (bookings); billings and collections are accepted."""
    text = AE_PLAN.replace("    measure: bookings\n", "", 1).replace(
        "    measure: bookings\n", "    measure: collections\n", 1
    )
    workspace = make_workspace(tmp_path, plans={"ae-2026.yaml": text})
    config = load_comp_config(workspace)
    measures = [c.measure for c in config.plan("AE-2026").components]
    assert measures == ["bookings", "collections"]
    with duckdb_file(":memory:") as connection:
        write_comp_tables(config, connection)
        rows = connection.execute(
            "select component_id, measure from comp.plan_components order by component_number"
        ).fetchall()
    assert rows == [("new_business", "bookings"), ("renewals", "collections")]


def test_tiers_must_start_at_zero_and_rise(tmp_path: Path) -> None:
    text = plan_with(
        ("        - {from: 0.0, rate: 0.1}\n", "        - {from: 0.2, rate: 0.1}\n"),
        ("        - {from: 1.5, rate: 0.20}\n", "        - {from: 0.5, rate: 0.20}\n"),
    )
    problems = problems_of(tmp_path, plans={"ae-2026.yaml": text})
    find(problems, PLAN, 15, "components[0].rates.tiers[0].from", "first tier must start at 0")
    problem = find(
        problems, PLAN, 17, "components[0].rates.tiers[2].from", "tiers must rise (0.5 after 1.0)"
    )
    assert str(problem) == (
        "comp/plans/ae-2026.yaml line 17: components[0].rates.tiers[2].from: "
        "tiers must rise (0.5 after 1.0)"
    )


def test_negative_and_too_large_rates(tmp_path: Path) -> None:
    text = plan_with(
        ("        - {from: 1.0, rate: 0.15}\n", "        - {from: 1.0, rate: -0.15}\n"),
        ("    rates: {method: flat, rate: 0.03}\n", "    rates: {method: flat, rate: 3}\n"),
        ("        - {from: 1.5, rate: 0.20}\n", "        - {from: 0.5, rate: 0.20}\n"),
    )
    problems = problems_of(tmp_path, plans={"ae-2026.yaml": text})
    find(problems, PLAN, 16, "components[0].rates.tiers[1].rate", "at least 0 (got -0.15)")
    find(problems, PLAN, 23, "components[1].rates.rate", "write 0.10 for 10%")
    # a type problem elsewhere in the tiers does not hide the order rule
    find(problems, PLAN, 17, "components[0].rates.tiers[2].from", "tiers must rise")


def test_plan_dates(tmp_path: Path) -> None:
    text = plan_with(
        ("effective_from: 2026-01-01\n", "effective_from: 2026-01-15\n"),
        ("effective_to: 2026-12-31\n", "effective_to: 2025-12-31\n"),
    )
    problems = problems_of(tmp_path, plans={"ae-2026.yaml": text})
    find(problems, PLAN, 4, "effective_from", "2026-01-15 is not the first day of a month")
    find(problems, PLAN, 5, "effective_to", "2025-12-31 is before effective_from (2026-01-15)")


def test_currency_must_be_three_capitals(tmp_path: Path) -> None:
    text = plan_with(("currency: USD\n", "currency: usd\n"))
    problems = problems_of(tmp_path, plans={"ae-2026.yaml": text})
    find(problems, PLAN, 3, "currency", "three capitals")


def test_component_and_spiff_ids_unique(tmp_path: Path) -> None:
    text = plan_with(
        ("  - id: renewals\n", "  - id: new_business\n"),
        ("  - id: q4-new-logo\n", "  - id: new_business\n"),
    )
    problems = problems_of(tmp_path, plans={"ae-2026.yaml": text})
    find(problems, PLAN, 19, "components[1].id", "already used by components[0]")
    find(problems, PLAN, 25, "spiffs[0].id", "already used by components[0]")


def test_spiff_and_draw_windows(tmp_path: Path) -> None:
    text = plan_with(
        ("    from: 2026-10-01\n", "    from: 2026-12-15\n"),
        ("    to: 2026-12-31\n", "    to: 2026-12-01\n"),
        ("  to: 2026-03-31\n", "  to: 2027-01-31\n"),
        ("  from: 2026-01-01\n", "  from: 2026-01-02\n"),
    )
    problems = problems_of(tmp_path, plans={"ae-2026.yaml": text})
    find(problems, PLAN, 28, "spiffs[0].to", "2026-12-01 is before from (2026-12-15)")
    find(
        problems, PLAN, 35, "draw.to", "outside the plan's effective dates (2026-01-01..2026-12-31)"
    )
    find(problems, PLAN, 34, "draw.from", "2026-01-02 is not the first day of a month")

    outside = plan_with(("    from: 2026-10-01\n", "    from: 2025-10-01\n"))
    problems = problems_of(tmp_path / "b", plans={"ae-2026.yaml": outside})
    find(problems, PLAN, 27, "spiffs[0].from", "outside the plan's effective dates")


def test_quota_period_required_for_tiered_rates(tmp_path: Path) -> None:
    text = plan_with(("    quota_period: quarter\n", ""))
    problems = problems_of(tmp_path, plans={"ae-2026.yaml": text})
    find(problems, PLAN, 7, "components[0].quota_period", "required for marginal rates")


def test_all_problems_are_collected_in_line_order(tmp_path: Path) -> None:
    text = plan_with(
        ("currency: USD\n", "currency: dollars\n"),
        ("        - {from: 1.5, rate: 0.20}\n", "        - {from: 0.5, rate: 0.20}\n"),
        ("    cap: 150000\n", "    cap: -1\n"),
        ("  window_days: 90\n", "  window_days: 0\n"),
    )
    problems = problems_of(tmp_path, plans={"ae-2026.yaml": text})
    assert [(p.line, p.key) for p in problems] == [
        (3, "currency"),
        (17, "components[0].rates.tiers[2].from"),
        (18, "components[0].cap"),
        (37, "clawback.window_days"),
    ]


def test_yaml_syntax_errors_and_duplicate_keys(tmp_path: Path) -> None:
    broken = plan_with(("    deal_types: [renewal]\n", "    deal_types: [renewal\n"))
    twice = plan_with(("name: Account Executive 2026\n", "name: AE\nname: Account Executive\n"))
    problems = problems_of(
        tmp_path, plans={"ae-2026.yaml": broken, "twice.yaml": twice.replace("AE-2026", "AE-X")}
    )
    syntax = next(p for p in problems if p.file == PLAN)
    assert "not valid YAML" in syntax.message and syntax.line is not None and syntax.line >= 21
    find(problems, "comp/plans/twice.yaml", 3, "name", "key written twice (first on line 2)")
    empty = problems_of(tmp_path / "b", plans={"ae-2026.yaml": ""})
    find(empty, PLAN, 1, None, "must be a mapping")


def test_plan_ids_unique_across_files(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, plans={"ae-2026.yaml": AE_PLAN, "copy.yaml": AE_PLAN})
    find(problems, "comp/plans/copy.yaml", 1, "id", "already used by comp/plans/ae-2026.yaml")


def test_missing_plans_folder_and_yml_files(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, plans={"ae-2026.yml": AE_PLAN})
    find(problems, "comp/plans/ae-2026.yml", None, None, "must end in .yaml")
    find(problems, "comp/plans", None, None, "no plan files")


# --- CSV files ---------------------------------------------------------------------------------


def test_missing_and_unknown_columns(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        assignments="employee_id,plan_id,effective_from,efective_to,target_incentive\n",
        quotas=None,
    )
    find(problems, ASSIGNMENTS, 1, "effective_to", "required column is missing")
    find(problems, ASSIGNMENTS, 1, "efective_to", "did you mean 'effective_to'")
    find(problems, QUOTAS, None, None, "required file is missing")


def test_bad_values_name_row_and_line(tmp_path: Path) -> None:
    assignments = ASSIGNMENTS_CSV + "E3,AE-2026,2026-02-30,,1,000\n" + "E4,AE-2026,01/02/2026,,x\n"
    quotas = QUOTAS_CSV + "E1,AE-2026,new_business,2026-01-01,0\n"
    adjustments = ADJUSTMENTS_CSV + "ADJ-2,E1,2026-3,12.5,usd,\n"
    problems = problems_of(
        tmp_path, assignments=assignments, quotas=quotas, adjustments=adjustments
    )
    find(problems, ASSIGNMENTS, 4, None, "has 6 values but the header names 5 columns")
    problem = find(problems, ASSIGNMENTS, 5, "effective_from", "not a date written YYYY-MM-DD")
    assert problem.row == 4
    assert str(problem).startswith("comp/plan_assignments.csv row 4 (line 5): effective_from: ")
    find(problems, ASSIGNMENTS, 5, "target_incentive", "not a decimal number")
    find(problems, QUOTAS, 8, "quota", "should be more than 0")
    find(problems, ADJUSTMENTS, 3, "period", "not a month written YYYY-MM (got '2026-3')")
    find(problems, ADJUSTMENTS, 3, "currency", "three capitals")
    find(problems, ADJUSTMENTS, 3, "reason", "a value is required")

    impossible = ASSIGNMENTS_CSV + "E3,AE-2026,2026-02-30,,1000\n"
    problems = problems_of(tmp_path / "b", assignments=impossible)
    find(problems, ASSIGNMENTS, 4, "effective_from", "not a calendar date")


def test_assignment_to_unknown_plan(tmp_path: Path) -> None:
    assignments = ASSIGNMENTS_CSV + "E3,AE-2025,2026-01-01,,1000\n"
    problems = problems_of(tmp_path, assignments=assignments)
    find(problems, ASSIGNMENTS, 4, "plan_id", "unknown plan 'AE-2025'")
    find(problems, ASSIGNMENTS, 4, "plan_id", "did you mean 'AE-2026'")


def test_assignment_to_invalid_plan_is_reported_once(tmp_path: Path) -> None:
    broken = plan_with(("currency: USD\n", "currency: usd\n"))
    problems = problems_of(tmp_path, plans={"ae-2026.yaml": broken})
    assert [p.file for p in problems] == [PLAN]


def test_overlapping_assignments_name_both_rows(tmp_path: Path) -> None:
    assignments = ASSIGNMENTS_CSV + "E2,AE-2026,2026-06-01,,1000\nE1,AE-2026,2026-12-31,,1\n"
    problems = problems_of(tmp_path, assignments=assignments)
    find(
        problems,
        ASSIGNMENTS,
        4,
        "effective_from",
        "E2's assignment to AE-2026 (2026-06-01..2026-12-31) overlaps row 2 "
        "(AE-2026, 2026-01-01..2026-06-30)",
    )
    find(problems, ASSIGNMENTS, 5, "effective_from", "overlaps row 1")


def test_assignment_outside_plan_dates(tmp_path: Path) -> None:
    assignments = ASSIGNMENTS_CSV + (
        "E3,AE-2026,2025-12-01,2026-03-31,1\nE4,AE-2026,2026-02-01,2027-01-31,1\n"
    )
    problems = problems_of(tmp_path, assignments=assignments)
    find(problems, ASSIGNMENTS, 4, "effective_from", "outside the plan's dates")
    find(problems, ASSIGNMENTS, 5, "effective_to", "2027-01-31 is after the plan ends")


def test_quota_rows_checked_against_plans(tmp_path: Path) -> None:
    quotas = QUOTAS_CSV + (
        "E1,AE-2027,new_business,2026-01-01,1\n"
        "E1,AE-2026,expansion,2026-01-01,1\n"
        "E1,AE-2026,renewals,2026-01-01,1\n"
        "E2,AE-2026,new_business,2026-02-01,1\n"
        "E1,AE-2026,new_business,2026-04-01,9\n"
    )
    problems = problems_of(tmp_path, quotas=quotas)
    find(problems, QUOTAS, 8, "plan_id", "unknown plan 'AE-2027'")
    find(problems, QUOTAS, 9, "component_id", "no component 'expansion'")
    find(problems, QUOTAS, 10, "component_id", "flat rates and takes no quota")
    find(
        problems,
        QUOTAS,
        11,
        "period_start",
        "2026-02-01 is not the start of a quarter quota period of plan AE-2026 "
        "(periods start 2026-01-01, 2026-04-01, 2026-07-01, 2026-10-01)",
    )
    find(problems, QUOTAS, 12, "period_start", "duplicate of row 2")


def test_missing_quota_for_each_overlapped_period(tmp_path: Path) -> None:
    assignments = ASSIGNMENTS_CSV + "E3,AE-2026,2026-05-15,2026-08-10,1000\n"
    problems = problems_of(tmp_path, assignments=assignments)
    missing = [p for p in problems if p.message.startswith("missing quota")]
    assert [p.message for p in missing] == [
        "missing quota: employee E3, plan AE-2026, component new_business, quarter "
        f"{start}..{end} (assigned in comp/plan_assignments.csv row 3)"
        for start, end in (("2026-04-01", "2026-06-30"), ("2026-07-01", "2026-09-30"))
    ]
    assert all((p.file, p.line, p.key) == (QUOTAS, None, None) for p in missing)
    assert len(problems) == 2


def test_unknown_employees_only_when_known_employees_given(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    assert check_comp_config(workspace) == []
    problems = check_comp_config(workspace, known_employees={"E2"})
    find(problems, ASSIGNMENTS, 2, "employee_id", "unknown employee 'E1'")
    find(problems, QUOTAS, 2, "employee_id", "unknown employee 'E1'")
    find(problems, ADJUSTMENTS, 2, "employee_id", "unknown employee 'E1'")
    assert load_comp_config(workspace, known_employees={"E1", "E2"}).plans


def test_adjustment_ids_unique(tmp_path: Path) -> None:
    adjustments = ADJUSTMENTS_CSV + "ADJ-1,E2,2026-04,10,EUR,bonus\n"
    problems = problems_of(tmp_path, adjustments=adjustments)
    find(problems, ADJUSTMENTS, 3, "adjustment_id", "'ADJ-1' is already used in row 1")


def test_load_raises_with_every_problem_and_check_never_raises(tmp_path: Path) -> None:
    text = plan_with(("currency: USD\n", "currency: usd\n"))
    workspace = make_workspace(
        tmp_path, plans={"ae-2026.yaml": text}, adjustments="adjustment_id\nA\n"
    )
    problems = check_comp_config(workspace)
    with pytest.raises(CompConfigError) as raised:
        load_comp_config(workspace)
    assert raised.value.problems == problems
    assert str(raised.value).splitlines() == [str(p) for p in problems]
    assert str(raised.value).splitlines()[0].startswith("comp/plans/ae-2026.yaml line 3: currency:")
    assert raised.value.summary.endswith(f"(and {len(problems) - 1} more)")
    assert check_comp_config(tmp_path / "nowhere")  # no workspace at all: problems, no exception


# --- quota periods ------------------------------------------------------------------------------


def test_quota_periods_align_to_plan_start() -> None:
    start, end = date(2026, 2, 1), date(2027, 1, 31)
    years = quota_periods(start, end, "year")
    assert [(p.start, p.end, p.number) for p in years] == [(start, end, 1)]
    quarters = quota_periods(start, end, "quarter")
    assert [(p.start, p.end) for p in quarters] == [
        (date(2026, 2, 1), date(2026, 4, 30)),
        (date(2026, 5, 1), date(2026, 7, 31)),
        (date(2026, 8, 1), date(2026, 10, 31)),
        (date(2026, 11, 1), date(2027, 1, 31)),
    ]
    months = quota_periods(start, end, "month")
    assert len(months) == 12
    assert (months[0].end, months[-1].start) == (date(2026, 2, 28), date(2027, 1, 1))

    assert quota_period_containing(start, end, "quarter", date(2026, 7, 31)) == quarters[1]
    assert quota_period_containing(start, end, "quarter", date(2026, 8, 1)) == quarters[2]
    assert quota_period_containing(start, end, "year", date(2027, 1, 31)) == years[0]
    assert quota_period_containing(start, end, "month", date(2026, 1, 31)) is None
    assert quota_period_containing(start, end, "month", date(2027, 2, 1)) is None

    # a plan of 18 months: its second year is cut short at effective_to
    long = quota_periods(date(2026, 1, 1), date(2027, 6, 30), "year")
    assert [(p.start, p.end) for p in long] == [
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 6, 30)),
    ]
    with pytest.raises(ValueError, match="first of a month"):
        quota_periods(date(2026, 1, 15), date(2026, 12, 31), "month")


# --- warehouse tables ---------------------------------------------------------------------------


def test_write_comp_tables_into_duckdb(tmp_path: Path) -> None:
    config = load_comp_config(make_workspace(tmp_path / "ws"))
    path = tmp_path / "warehouse.duckdb"
    with duckdb_file(str(path)) as connection:
        counts = write_comp_tables(config, connection)
        again = write_comp_tables(config, connection)  # replaces, does not append
    assert (
        counts
        == again
        == {
            "comp.plans": 1,
            "comp.plan_components": 2,
            "comp.plan_component_tiers": 3,
            "comp.plan_spiffs": 1,
            "comp.plan_draws": 1,
            "comp.quota_periods": 4 + 1 + 1,
            "comp.plan_assignments": 2,
            "comp.quotas": 6,
            "comp.adjustments": 1,
            "comp.opening_balances": 0,
        }
    )
    with duckdb_file(str(path), read_only=True) as connection:

        def types(table: str) -> dict[str, str]:
            rows = connection.execute(f"DESCRIBE comp.{table}").fetchall()
            return {row[0]: row[1] for row in rows}

        for table, count in counts.items():
            assert connection.execute(f"SELECT count(*) FROM {table}").fetchone() == (count,)
        assert types("plans")["effective_from"] == "DATE"
        assert types("plan_components")["deal_types"] == "VARCHAR[]"
        assert types("plan_components")["cap"] == "DECIMAL(20,6)"
        assert types("plan_component_tiers")["rate"] == "DECIMAL(18,10)"
        assert types("quotas")["quota"] == "DECIMAL(20,6)"
        assert types("adjustments")["amount"] == "DECIMAL(20,6)"
        tiers = connection.execute(
            "SELECT tier_number, tier_from, tier_to, rate FROM comp.plan_component_tiers "
            "ORDER BY tier_number"
        ).fetchall()
        assert tiers == [
            (1, Decimal(0), Decimal("1.0"), Decimal("0.1")),
            (2, Decimal("1.0"), Decimal("1.5"), Decimal("0.15")),
            (3, Decimal("1.5"), None, Decimal("0.2")),
        ]
        assert connection.execute(
            "SELECT deal_types, quota_period, rate_method, flat_rate FROM comp.plan_components "
            "WHERE component_id = 'renewals'"
        ).fetchone() == (["renewal"], None, "flat", Decimal("0.03"))
        assert connection.execute(
            "SELECT effective_to, effective_end, target_incentive, source_row "
            "FROM comp.plan_assignments WHERE employee_id = 'E1'"
        ).fetchone() == (None, date(2026, 12, 31), Decimal(60000), 1)
        assert connection.execute(
            "SELECT quota_period_end, quota FROM comp.quotas "
            "WHERE employee_id = 'E1' AND period_start = DATE '2026-10-01'"
        ).fetchone() == (date(2026, 12, 31), Decimal("250000.125"))
        assert connection.execute(
            "SELECT source, quota_period, count(*) FROM comp.quota_periods "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall() == [
            ("component", "quarter", 4),
            ("component", "year", 1),
            ("spiff", "year", 1),
        ]
        assert connection.execute(
            "SELECT clawback_window_days, source_file FROM comp.plans"
        ).fetchone() == (90, PLAN)


# --- schema and guide ---------------------------------------------------------------------------


def test_committed_schema_is_up_to_date() -> None:
    committed = (REPO / "docs" / "plan.schema.json").read_text(encoding="utf-8")
    assert committed == plan_json_schema_text(), (
        "docs/plan.schema.json is stale; regenerate it with "
        "`python -m openspm.comp.schema > docs/plan.schema.json`"
    )
    schema = plan_json_schema()
    assert schema["additionalProperties"] is False
    assert schema["properties"]["effective_from"]["description"]
    tier = schema["$defs"]["Tier"]["properties"]
    assert set(tier) == {"from", "rate"}
    assert tier["rate"]["type"] == "number" and tier["rate"]["maximum"] == 1
    json.dumps(schema)  # plain JSON


def test_guide_examples_validate(tmp_path: Path) -> None:
    examples = _guide_examples()
    assert len(examples) == 4
    plans = {f"example-{n}.yaml": text for n, text in enumerate(examples, start=1)}
    workspace = make_workspace(
        tmp_path,
        plans=plans,
        assignments="employee_id,plan_id,effective_from,effective_to,target_incentive\n"
        "E1,AE-2026,2026-01-01,,60000\n"
        "E2,SM-2026,2026-01-01,,40000\n"
        "E3,AE-NEWHIRE-FY27,2026-05-01,,30000\n"
        "E4,CSM-2026,2026-01-01,,30000\n",
        quotas="employee_id,plan_id,component_id,period_start,quota\n"
        "E1,AE-2026,new_business,2026-01-01,800000\n"
        + "".join(f"E2,SM-2026,team_bookings,2026-{m:02d}-01,2000000\n" for m in (1, 4, 7, 10))
        + "".join(
            f"E3,AE-NEWHIRE-FY27,bookings,{d},150000\n"
            for d in ("2026-04-01", "2026-07-01", "2026-10-01", "2027-01-01")
        ),
    )
    config = load_comp_config(workspace)
    assert set(config.plans) == {"AE-2026", "SM-2026", "AE-NEWHIRE-FY27", "CSM-2026"}
    csm = config.plan("CSM-2026").components
    assert [(c.id, c.measure) for c in csm] == [
        ("renewals_booked", "bookings"), ("renewals_collected", "collections"),
    ]
    assert config.plan("SM-2026").components[0].rates.method == "retroactive"
    draw = config.plan("AE-NEWHIRE-FY27").draw
    assert draw is not None and draw.kind == "recoverable"


def _guide_examples() -> list[str]:
    guide = (REPO / "docs" / "plan-writing-guide.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", guide, flags=re.DOTALL)
    return [b for b in blocks if b.startswith("# yaml-language-server: $schema=")]


def test_schema_accepts_guide_examples_and_refuses_unknown_keys() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    def as_editor_sees(value: object) -> object:
        # editors read YAML 1.2: dates are strings, numbers are numbers
        if isinstance(value, dict):
            return {k: as_editor_sees(v) for k, v in value.items()}
        if isinstance(value, list):
            return [as_editor_sees(v) for v in value]
        return value.isoformat() if isinstance(value, date) else value

    validator = jsonschema.Draft202012Validator(plan_json_schema())
    for text in _guide_examples():
        document = as_editor_sees(yaml.safe_load(text))
        assert list(validator.iter_errors(document)) == []
    wrong = as_editor_sees(yaml.safe_load(AE_PLAN.replace("quota_period:", "quota_peroid:")))
    found = sorted(error.validator for error in validator.iter_errors(wrong))
    assert found == ["additionalProperties", "required"]  # unknown key; no quota_period


def test_the_loaded_tables_are_kept_only_while_their_inputs_are_unchanged(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    known = {"E1", "E2"}
    digest = source_digest(ws.comp_dir, known)
    with duckdb_file(str(tmp_path / "w.duckdb")) as con:
        assert loaded_digest(con) is None  # nothing loaded yet
        write_comp_tables(load_comp_config(ws, known_employees=known), con)
        record_digest(con, digest)
        assert loaded_digest(con) == digest == source_digest(ws.comp_dir, set(known))
        assert source_digest(ws.comp_dir, known | {"E3"}) != digest  # a new hire
        assert source_digest(ws.comp_dir, None) != digest
        quotas = ws.comp_dir / "quotas.csv"
        quotas.write_text(quotas.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        assert source_digest(ws.comp_dir, known) != digest  # any edit, even a blank line
        con.execute("drop table comp.quotas")
        assert loaded_digest(con) is None  # a table is missing: load again
        forget_digest(con)
        assert con.execute("select count(*) from comp_state.loaded_from").fetchone() == (0,)
