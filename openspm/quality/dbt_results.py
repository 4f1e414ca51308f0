"""dbt's run results as CheckOutcomes in plain words, with the failing rows as findings.

Every failing or erroring test, unit test or model of a ``dbt build`` becomes a failed outcome
(blocking, or a warning for a test of severity warn) whose title is derived from the test's
metadata in ``manifest.json`` (written beside ``run_results.json``): ``not_null`` on
``stg_crm__deals.amount`` reads "Deals: a required value is missing (amount)". Findings come
from the view of failing rows each test stores (``relation_name``; ``store_failures_as: view``);
a ``no_problem_rows`` test lists its ``description`` column, which is already a plain sentence.
Skipped tests become "not run"; passing tests are summarised in one passed outcome.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from openspm.money import money
from openspm.quality.findings import (
    MAX_FINDINGS,
    CheckOutcome,
    Finding,
    Severity,
    Status,
    not_run,
    outcome,
)
from openspm.warehouse import DATABASE_ERRORS, Warehouse

PASSED_SUMMARY = "dbt_checks_passed"

# What each model holds, in the words of a compensation administrator.
MODEL_SUBJECTS: dict[str, str] = {
    "stg_crm__deals": "Deals",
    "stg_crm__deal_splits": "Deal splits",
    "stg_crm__accounts": "Accounts",
    "stg_crm__users": "CRM users",
    "stg_erp__invoices": "Invoices",
    "stg_erp__payments": "Payments",
    "stg_erp__fx_rates": "Exchange rates",
    "stg_hris__employees": "Employees",
    "stg_hris__job_history": "Job history",
    "int_crm_user_employees": "CRM users and their employees",
    "int_deal_credits": "Deal credits",
    "int_invoice_payment_credits": "Invoice and payment credits",
    "int_person_credits": "Credits of deals, invoices and payments",
    "int_invoice_payment_problems": "Invoices and payments",
    "int_deal_credit_problems": "Won deals and splits",
    "int_credit_exceptions": "Credits without a plan",
    "int_plan_credits": "Credits in plans",
    "int_plan_assignment_ranges": "Plan assignments",
    "int_plan_components": "Plan components",
    "int_fx_rates_asof": "Exchange rates used",
    "int_fx_missing_rates": "Exchange rates",
    "int_job_history_ranges": "Job history",
    "int_manager_links": "Reporting lines",
    "int_hierarchy_paths": "Reporting hierarchy",
    "int_hierarchy_closure": "Reporting hierarchy",
    "int_hierarchy_problems": "Reporting hierarchy",
    "int_engine_months": "Months being calculated",
    "int_engine_component_credits": "Credits per plan component",
    "int_engine_component_earnings": "Earnings per plan component",
    "int_engine_settlement": "Commission settlement",
    "int_engine_spiff_credits": "SPIFF credits",
    "int_engine_spiff_earnings": "SPIFF earnings",
    "int_engine_payout_inputs": "Payout inputs",
    "fct_credits": "Credits",
    "fct_payout_lines": "Payout lines",
    "fct_payouts": "Payouts",
    "fct_attainment": "Attainment",
}

# Titles of the checks that are whole models or singular tests (a test named here by its own
# name wins over its model: one list can feed a blocking test and a warning).
PROBLEM_LIST_TITLES: dict[str, str] = {
    "invoice_payment_problems_that_block": (
        "Invoices must belong to known deals and payments to known invoices (a plan pays on "
        "billings or collections)"
    ),
    "invoice_payment_problems_to_review": (
        "Invoices and payments should match the deals and invoices delivered"
    ),
    "int_deal_credit_problems": (
        "Won deals must be complete, owned by employees, and split 100% among revenue splits"
    ),
    "int_hierarchy_problems": (
        "The reporting hierarchy must have no cycles and no managers who are not employees"
    ),
    "int_fx_missing_rates": "Every currency conversion needs an exchange rate",
    "int_credit_exceptions": "Credits should belong to a plan",
}
SINGULAR_TITLES: dict[str, str] = {
    "assert_deal_credits_reconcile_to_deal_amounts": (
        "Each won deal's direct and split credits must add up to its amount"
    ),
}

_FAILED = ("fail", "error", "runtime error")
_LOCATION_KEYS = (
    ("deal_id", "deal"),
    ("split_id", "split"),
    ("employee_id", "employee"),
    ("user_id", "CRM user"),
    ("credit_id", "credit"),
    ("invoice_id", "invoice"),
    ("payment_id", "payment"),
    ("account_id", "account"),
    ("plan_id", "plan"),
)


def load_artifacts(target_dir: Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``run_results.json`` and, when present, ``manifest.json`` of a dbt target folder."""
    run_results = json.loads((target_dir / "run_results.json").read_text(encoding="utf-8"))
    manifest_path = target_dir / "manifest.json"
    manifest = (
        json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else None
    )
    return run_results, manifest


def outcomes_from_run_results(
    run_results: Mapping[str, Any],
    connection: Warehouse | None,
    manifest: Mapping[str, Any] | None = None,
    *,
    summarise_passed: bool = True,
) -> list[CheckOutcome]:
    """One outcome per failing, erroring or skipped dbt test, unit test or model.

    ``connection`` (read access to the warehouse) supplies the failing rows; without it, or
    when a stored view is gone, the outcome lists dbt's message instead. With
    ``summarise_passed``, one more passed outcome counts the tests and unit tests that passed.
    """
    nodes = _manifest_nodes(manifest)
    outcomes: list[CheckOutcome] = []
    passed = {"test": 0, "unit_test": 0}
    for result in run_results.get("results", []):
        unique_id = str(result.get("unique_id", ""))
        kind = unique_id.split(".", 1)[0]
        status = str(result.get("status", "")).lower()
        node = nodes.get(unique_id, {})
        if status in ("pass", "success"):
            if kind in passed:
                passed[kind] += 1
            continue
        if status == "warn" or status in _FAILED:
            outcomes.append(_failed(result, node, connection, warn=status == "warn"))
        elif status == "skipped" and kind in ("test", "unit_test"):
            title, technical = _title(unique_id, node), _technical(unique_id)
            outcomes.append(
                not_run(
                    _name(unique_id),
                    title,
                    _severity(node),
                    "not checked because an earlier step of the build failed",
                    technical,
                )
            )
    if summarise_passed and (passed["test"] or passed["unit_test"]):
        parts = [f"{passed['test']} data checks on the computed tables"]
        if passed["unit_test"]:
            parts.append(f"{passed['unit_test']} worked-example calculations")
        outcomes.append(
            CheckOutcome(
                PASSED_SUMMARY,
                " and ".join(parts) + " passed",
                Severity.BLOCKING,
                Status.PASSED,
                technical="dbt tests and unit tests",
            )
        )
    return outcomes


# ------------------------------------------------------------------------------------- titles


def _manifest_nodes(manifest: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    if not manifest:
        return {}
    nodes: dict[str, Mapping[str, Any]] = dict(manifest.get("nodes", {}))
    nodes.update(manifest.get("unit_tests", {}))
    return nodes


def _name(unique_id: str) -> str:
    """The check name: the node's name (without the hash dbt appends to generic tests)."""
    parts = unique_id.split(".")
    if parts[0] == "test" and len(parts) >= 4 and re.fullmatch(r"[0-9a-f]{10}", parts[-1]):
        parts = parts[:-1]
    return "dbt:" + parts[-1] if parts else "dbt:?"


def _technical(unique_id: str) -> str:
    return f"dbt node {unique_id}"


def _severity(node: Mapping[str, Any]) -> Severity:
    severity = str((node.get("config") or {}).get("severity", "error")).lower()
    return Severity.WARNING if severity == "warn" else Severity.BLOCKING


def subject(model: str) -> str:
    """The plain name of what a model holds: ``stg_crm__deals`` -> ``Deals``."""
    if model in MODEL_SUBJECTS:
        return MODEL_SUBJECTS[model]
    bare = re.sub(r"^(stg_[a-z]+__|int_|fct_|dim_)", "", model)
    return bare.replace("_", " ").capitalize()


def _attached_model(node: Mapping[str, Any], unique_id: str) -> str | None:
    attached = node.get("attached_node") or ""
    if attached:
        return str(attached).split(".")[-1]
    if unique_id.startswith("unit_test."):
        return str(node.get("model") or unique_id.split(".")[2])
    kwargs = (node.get("test_metadata") or {}).get("kwargs") or {}
    match = re.search(r"ref\('([^']+)'\)", str(kwargs.get("model", "")))
    return match.group(1) if match else None


def _title(unique_id: str, node: Mapping[str, Any]) -> str:
    """A plain-English title for a dbt node."""
    kind = unique_id.split(".", 1)[0]
    name = str(node.get("name") or unique_id.split(".")[-1])
    model = _attached_model(node, unique_id)
    if kind == "model":
        return f"{subject(name)} could not be computed"
    if kind == "unit_test":
        what = subject(model) if model else "A calculation"
        return f"{what}: the worked example '{name.replace('_', ' ')}' gives a different result"
    meta = node.get("test_metadata") or {}
    test = meta.get("name")
    kwargs = meta.get("kwargs") or {}
    column = node.get("column_name") or kwargs.get("column_name")
    what = subject(model) if model else "The data"
    if test == "not_null":
        return f"{what}: a required value is missing ({column})"
    if test == "not_null_columns":
        return f"{what}: a required value is missing"
    if test == "unique":
        return f"{what}: the same {column} appears more than once"
    if test == "unique_combination":
        columns = ", ".join(kwargs.get("combination_of_columns") or [])
        return f"{what}: the same combination of {columns} appears more than once"
    if test == "accepted_values":
        values = ", ".join(str(v) for v in kwargs.get("values") or [])
        return f"{what}: {column} holds a value that is not allowed (allowed: {values})"
    if test == "relationships":
        to = re.search(r"ref\('([^']+)'\)", str(kwargs.get("to", "")))
        target = subject(to.group(1)) if to else "another table"
        return f"{what}: {column} refers to something missing from {target.lower()}"
    if test == "no_problem_rows":
        return PROBLEM_LIST_TITLES.get(
            name, PROBLEM_LIST_TITLES.get(model or "", f"{what}: problems found")
        )
    if name in SINGULAR_TITLES:
        return SINGULAR_TITLES[name]
    description = str(node.get("description") or "").strip()
    if description:
        return description.split(". ")[0].rstrip(".")
    return f"{what}: check '{name.replace('_', ' ')}' failed"


# ----------------------------------------------------------------------------------- findings


def _failed(
    result: Mapping[str, Any],
    node: Mapping[str, Any],
    connection: Warehouse | None,
    *,
    warn: bool,
) -> CheckOutcome:
    unique_id = str(result.get("unique_id", ""))
    kind = unique_id.split(".", 1)[0]
    title = _title(unique_id, node)
    severity = Severity.WARNING if warn else _severity(node)
    message = " ".join(str(result.get("message") or result.get("status") or "").split())
    model = _attached_model(node, unique_id)
    where = subject(model) if model else "the calculation"
    technical = _technical(unique_id)
    findings: list[Finding] = []
    total = 0
    relation = result.get("relation_name")
    if kind == "test" and relation and connection is not None:
        rows = _failing_rows(connection, str(relation))
        if rows is not None:
            columns, records, total = rows
            findings = [_row_finding(node, columns, record, where) for record in records]
    if not findings:
        if kind == "model":
            problem = f"the calculation stopped with an error: {message[:400]}"
        elif kind == "unit_test":
            problem = "the result differs from the worked example"
            technical += f": {message[:400]}"
        else:
            failures = result.get("failures")
            problem = f"{failures} problem row(s) found" if failures else message[:400]
        findings = [Finding(where, None, problem)]
        total = max(total, int(result.get("failures") or 0), 1)
    return outcome(_name(unique_id), title, severity, findings, total=total, technical=technical)


def _failing_rows(
    connection: Warehouse, relation: str
) -> tuple[list[str], list[tuple[Any, ...]], int] | None:
    """Columns, the first MAX_FINDINGS rows and the row count of a stored failures view."""
    name = _local_relation(relation)
    try:
        cursor = connection.execute(f"SELECT * FROM {name} LIMIT {MAX_FINDINGS}")
        columns = [c[0] for c in cursor.description]
        records = cursor.fetchall()
        count = connection.execute(f"SELECT count(*) FROM {name}").fetchone()
    except DATABASE_ERRORS:
        return None
    return columns, records, int(count[0]) if count else len(records)


def _local_relation(relation: str) -> str:
    """``"warehouse"."schema"."name"`` -> ``"schema"."name"``: the file's catalog name varies."""
    parts = re.findall(r'"((?:[^"]|"")*)"|([^.]+)', relation)
    names = [quoted or bare for quoted, bare in parts]
    names = names[-2:]
    return ".".join('"' + n.replace('"', '""') + '"' for n in names)


def _row_finding(
    node: Mapping[str, Any], columns: list[str], record: tuple[Any, ...], fallback: str
) -> Finding:
    row = dict(zip(columns, record, strict=True))
    meta = node.get("test_metadata") or {}
    test = meta.get("name")
    kwargs = meta.get("kwargs") or {}
    column = node.get("column_name") or kwargs.get("column_name")
    if test == "not_null_columns":
        label = _label_where(str(row.get("row_label") or ""))
        return Finding(label or fallback, None, f"{row.get('column_name')} is missing")
    if "description" in row and row["description"] is not None:
        return Finding(_where(row, fallback), None, str(row["description"]))
    if test == "not_null":
        return Finding(_where(row, fallback), None, f"{column} is missing")
    if test == "unique" and "unique_field" in row:
        count = row.get("n_records")
        return Finding(
            f"{column} {row['unique_field']}",
            _show(row["unique_field"]),
            f"appears {count} times" if count else "appears more than once",
        )
    if test == "unique_combination":
        keys = kwargs.get("combination_of_columns") or []
        where = ", ".join(f"{k} {_show(row.get(k))}" for k in keys)
        return Finding(where or fallback, None, f"appears {row.get('n_records', 'several')} times")
    if test == "accepted_values" and "value_field" in row:
        count = row.get("n_records")
        rows = f" in {count} row(s)" if count is not None else ""
        return Finding(
            f"{fallback}, column {column}",
            _show(row["value_field"]),
            f"the value is not one of the allowed values{rows}",
        )
    shown = ", ".join(f"{k}={_show(v)}" for k, v in row.items() if v is not None)
    return Finding(_where(row, fallback), shown[:300] or None, "this row fails the check")


def _where(row: Mapping[str, Any], fallback: str) -> str:
    """The file and row, or the keys, a failing row names."""
    parts = []
    file, line = row.get("source_file"), row.get("source_row")
    if file:
        parts.append(f"{file} row {line}" if line is not None else str(file))
    keys = [f"{label} {row[key]}" for key, label in _LOCATION_KEYS if row.get(key) is not None]
    if parts and keys:
        return f"{parts[0]} ({', '.join(keys[:2])})"
    if keys:
        where = ", ".join(keys[:2])
        if row.get("period"):
            where += f", {row['period']}"
        return where
    return parts[0] if parts else fallback


def _label_where(label: str) -> str:
    """A not_null_columns row label in words: ``source_file a.csv, source_row 4`` -> row 4."""
    match = re.fullmatch(r"source_file (.*), source_row (\d+)", label)
    if match:
        return f"{match.group(1)} row {match.group(2)}"
    for key, name in _LOCATION_KEYS:
        label = re.sub(rf"\b{key} ", f"{name} ", label)
    return label if label != "a row" else ""


def _show(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return money(value)
    return str(value)
