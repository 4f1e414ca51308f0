"""The demo generator writes a complete, valid, realistic and deterministic workspace."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from openspm.demo import DemoSize, generate_workspace, is_generated_workspace
from openspm.entities import ENTITIES, ColumnType, Entity
from openspm.settings import load_settings
from openspm.warehouse import duckdb_file
from openspm.warehouse.config import DuckDBSettings

SMALL = DemoSize(employees=40, deals=2_000, months=14)

PLAN_KEYS = {"id", "name", "currency", "effective_from", "effective_to", "components", "spiffs",
             "draw", "clawback"}  # fmt: skip
COMPONENT_KEYS = {"id", "measure", "deal_types", "credit_types", "quota_period", "rates", "cap"}
RATES_KEYS = {"method", "tiers", "rate"}
SPIFF_KEYS = {"id", "deal_types", "from", "to", "min_amount", "amount"}
DRAW_KEYS = {"kind", "monthly_amount", "from", "to"}

TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$"
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "ws"
    summary = generate_workspace(root, seed=11, size=SMALL)
    assert summary.employees == 40 and summary.deals == 2_000
    assert (summary.first_month, summary.last_month) == ("2025-01", "2026-02")
    return root


def file_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def read_raw(path: Path) -> pd.DataFrame:
    """A batch as ingestion sees it: CSV cells as text, Parquet values cast to VARCHAR."""
    con = duckdb_file(":memory:")
    if path.suffix == ".csv":
        rel = con.sql(
            f"SELECT * FROM read_csv('{path}', header=true, all_varchar=true, delim=',', "
            "quote='\"', escape='\"')"
        )
    else:
        cols = con.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
        select = ", ".join(f'CAST("{c[0]}" AS VARCHAR) AS "{c[0]}"' for c in cols)
        rel = con.sql(f"SELECT {select} FROM read_parquet('{path}')")
    return rel.df()


def value_problem(entity: Entity, column: str, value: object) -> str | None:
    """Why ``value`` fails the parsing rules of docs/raw-layer.md (None if it parses)."""
    spec = entity.column(column)
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None if (not spec.required or spec.nullable) else "empty"
    text = str(value)
    kind = spec.type
    if kind == ColumnType.BOOLEAN:
        ok = text.strip().lower() in {"true", "false", "1", "0"}
    elif kind == ColumnType.DATE:
        try:
            ok = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)) and bool(date.fromisoformat(text))
        except ValueError:
            ok = False
    elif kind == ColumnType.TIMESTAMP:
        ok = bool(TIMESTAMP.match(text))
    elif kind == ColumnType.DECIMAL:
        match = re.fullmatch(r"-?(\d+)(?:\.(\d+))?", text)
        ok = bool(match)
        if match:
            whole, frac = match.group(1).lstrip("0"), match.group(2) or ""
            ok = len(frac) <= spec.scale and len(whole) <= spec.precision - spec.scale
    elif kind == ColumnType.INTEGER:
        ok = bool(re.fullmatch(r"-?\d+", text)) and -(2**31) <= int(text) < 2**31
    elif kind == ColumnType.CURRENCY:
        ok = bool(re.fullmatch(r"[A-Za-z]{3}", text))
    elif kind == ColumnType.ENUM:
        ok = text.strip().lower() in spec.values
    else:
        ok = True
    return None if ok else f"{kind.value}: {text!r}"


def load_entity(root: Path, entity: Entity) -> pd.DataFrame:
    frames = []
    for path in sorted((root / "landing" / entity.folder).iterdir()):
        df = read_raw(path)
        df["_file"] = path.name
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def current(root: Path, entity: Entity) -> pd.DataFrame:
    """Latest version of every key (greatest modified_at, ties: last file), deletes removed."""
    df = load_entity(root, entity)
    order = ["_file"] if entity.versioned_by is None else ["modified_ts", "_file"]
    if entity.versioned_by is not None:
        df["modified_ts"] = pd.to_datetime(df["modified_at"], utc=True, format="ISO8601")
    df = df.sort_values(order).drop_duplicates(list(entity.key), keep="last")
    if "is_deleted" in df:
        df = df[~df["is_deleted"].fillna("false").str.lower().isin(["true", "1"])]
    return df.reset_index(drop=True)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, workspace: Path) -> None:
    again = tmp_path / "again"
    generate_workspace(again, seed=11, size=SMALL)
    first, second = file_hashes(workspace), file_hashes(again)
    assert first == second
    other = tmp_path / "other"
    generate_workspace(other, seed=12, size=SMALL)
    third = file_hashes(other)
    deal_files = [k for k in first if k.startswith("landing/crm/deals/")]
    assert any(first[k] != third.get(k) for k in deal_files)


def test_every_entity_has_several_batches_and_deals_both_formats(workspace: Path) -> None:
    for entity in ENTITIES:
        files = sorted((workspace / "landing" / entity.folder).iterdir())
        assert len(files) >= 2, entity.folder
        assert [f.name for f in files] == sorted(f.name for f in files)
    deals = [f.suffix for f in (workspace / "landing/crm/deals").iterdir()]
    assert deals.count(".csv") >= 2 and deals.count(".parquet") >= 2
    assert len(deals) == 14  # one batch per month


def test_headers_hold_required_columns_and_values_parse(workspace: Path) -> None:
    for entity in ENTITIES:
        for path in sorted((workspace / "landing" / entity.folder).iterdir()):
            df = read_raw(path)
            assert len(df) > 0, path
            missing = set(entity.required_columns) - set(df.columns)
            assert not missing, (path, missing)
            for column in entity.column_names:
                if column not in df:
                    continue
                bad = [v for v in df[column].unique() if value_problem(entity, column, v)]
                assert not bad, (path.name, column, bad[:5])
            # no two rows of one batch with the same key and modified_at
            key = list(entity.key) + (["modified_at"] if entity.versioned_by else [])
            assert not df.duplicated(subset=key).any(), path


def test_parquet_columns_are_typed(workspace: Path) -> None:
    import pyarrow.parquet as pq

    path = next((workspace / "landing/crm/deals").glob("*.parquet"))
    schema = pq.read_schema(path)
    assert str(schema.field("close_date").type) == "date32[day]"
    assert str(schema.field("modified_at").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("amount").type).startswith("decimal128")
    assert str(schema.field("is_won").type) == "bool"


def test_deals_mix_and_later_edits_and_deletes(workspace: Path) -> None:
    entity = next(e for e in ENTITIES if e.folder == "crm/deals")
    raw = load_entity(workspace, entity)
    assert set(raw["deal_type"]) == {"new_business", "expansion", "renewal"}
    assert {"closed_won", "closed_lost"} <= set(raw["stage"])
    won = raw["is_won"].str.lower() == "true"
    assert (won == (raw["stage"] == "closed_won")).all()
    versions = raw.groupby("deal_id")["_file"].nunique()
    assert (versions > 1).sum() > 50  # re-delivered in later batches
    deleted = raw[raw["is_deleted"].str.lower() == "true"]
    assert len(deleted) > 0
    first_file = raw.groupby("deal_id")["_file"].min()
    assert (deleted["_file"].values > first_file[deleted["deal_id"]].values).all()
    # an amount changed, a lost deal turned won
    amounts = raw.groupby("deal_id")["amount"].nunique()
    assert (amounts[versions[versions > 1].index] > 1).any()
    ordered = raw.sort_values(["deal_id", "_file"])
    stages = ordered.groupby("deal_id")["stage"].agg(list)
    assert any(s[-2:] == ["closed_lost", "closed_won"] for s in stages)
    cur = current(workspace, entity)
    cancelled = cur[cur["cancelled_date"].notna() & (cur["cancelled_date"] != "")]
    gap = pd.to_datetime(cancelled["cancelled_date"]) - pd.to_datetime(cancelled["close_date"])
    assert (gap.dt.days < 90).any() and (gap.dt.days > 90).any()
    assert set(cur["currency"]) == {"USD", "EUR", "GBP"}


def entities(root: Path) -> dict[str, pd.DataFrame]:
    return {e.folder: current(root, e) for e in ENTITIES}


@pytest.fixture(scope="module")
def state(workspace: Path) -> dict[str, pd.DataFrame]:
    return entities(workspace)


def test_splits_sum_to_100_and_owners_are_employees(state: dict[str, pd.DataFrame]) -> None:
    splits, deals, users = state["crm/deal_splits"], state["crm/deals"], state["crm/users"]
    employees = set(state["hris/employees"]["employee_id"])
    live = splits[splits["deal_id"].isin(deals["deal_id"])]
    revenue = live[live["split_type"] == "revenue"]
    totals = revenue.assign(p=revenue["split_percent"].astype(float)).groupby("deal_id")["p"].sum()
    assert len(totals) > 20 and ((totals - 100).abs() < 0.005).all()
    assert (live["split_type"] == "overlay").sum() > 10
    user_emp = dict(zip(users["user_id"], users["employee_id"], strict=True))
    owners = set(deals["owner_id"]) | set(live["owner_id"])
    assert all(user_emp.get(u) in employees for u in owners)
    assert not set(users["user_id"]) & employees  # user ids are not employee ids


def employment(state: dict[str, pd.DataFrame]) -> pd.DataFrame:
    emp = state["hris/employees"].set_index("employee_id")
    emp["hire"] = pd.to_datetime(emp["hire_date"])
    emp["term"] = pd.to_datetime(emp["termination_date"].replace("", None))
    return emp


def test_won_deals_close_within_owner_employment_and_plan(
    workspace: Path, state: dict[str, pd.DataFrame]
) -> None:
    deals, users = state["crm/deals"], state["crm/users"]
    won = deals[deals["is_won"].str.lower() == "true"].copy()
    won["employee_id"] = won["owner_id"].map(dict(zip(users["user_id"], users["employee_id"],
                                                      strict=True)))  # fmt: skip
    won["close"] = pd.to_datetime(won["close_date"])
    emp = employment(state)
    hire = won["employee_id"].map(emp["hire"])
    term = won["employee_id"].map(emp["term"])
    assert (won["close"] >= hire).all()
    assert ((won["close"] <= term) | term.isna()).all()
    assign = pd.read_csv(workspace / "comp/plan_assignments.csv", dtype=str, keep_default_na=False)
    assign["from"] = pd.to_datetime(assign["effective_from"])
    assign["to"] = pd.to_datetime(assign["effective_to"].replace("", "2099-12-31"))
    merged = won.merge(assign, on="employee_id")
    held = merged[(merged["close"] >= merged["from"]) & (merged["close"] <= merged["to"])]
    assert held["deal_id"].nunique() == len(won)


def test_hierarchy_and_hr_events(state: dict[str, pd.DataFrame]) -> None:
    jobs, emp = state["hris/job_history"], employment(state)
    managers = set(jobs["manager_id"].dropna()) - {""}
    assert managers <= set(emp.index)
    assert (jobs["manager_id"].isna() | (jobs["manager_id"] == "")).sum() == 1  # the CRO
    assert {"active", "leave", "terminated"} <= set(jobs["status"])
    terminated = emp[emp["term"].notna()]
    assert len(terminated) >= 2
    term_rows = jobs[jobs["status"] == "terminated"]
    assert set(term_rows["employee_id"]) == set(terminated.index)
    assert (emp["hire"] >= pd.Timestamp("2025-01-01")).sum() >= 2  # hires in the period
    assert (jobs.groupby("employee_id").size() >= 3).any()  # moved and moved back, or leave
    # no cycle on any effective date
    for day in sorted(set(jobs["effective_date"])):
        rows = jobs[jobs["effective_date"] <= day].sort_values("effective_date")
        boss = rows.drop_duplicates("employee_id", keep="last").set_index("employee_id")
        boss = boss["manager_id"].replace("", None).to_dict()
        for start in boss:
            seen, node = set(), start
            while node is not None:
                assert node not in seen, (day, start)
                seen.add(node)
                node = boss.get(node)


def test_assignments_do_not_overlap_and_quotas_cover_them(workspace: Path) -> None:
    assign = pd.read_csv(workspace / "comp/plan_assignments.csv", dtype=str, keep_default_na=False)
    quotas = pd.read_csv(workspace / "comp/quotas.csv", dtype=str)
    plans = {p.stem: yaml.safe_load(p.read_text()) for p in (workspace / "comp/plans").glob("*")}
    assert set(assign["plan_id"]) == set(plans)
    assign["start"] = pd.to_datetime(assign["effective_from"])
    assign["end"] = pd.to_datetime(assign["effective_to"].replace("", None))
    for _, group in assign.sort_values("start").groupby("employee_id"):
        ends = group["end"].fillna(pd.Timestamp("2099-12-31")).tolist()
        starts = group["start"].tolist()
        assert all(starts[i + 1] > ends[i] for i in range(len(starts) - 1))
    assert (assign["start"].dt.day != 1).any()  # a plan change in the middle of a month
    have = set(zip(quotas["employee_id"], quotas["plan_id"], quotas["component_id"],
                   quotas["period_start"], strict=True))  # fmt: skip
    months = {"year": 12, "quarter": 3, "month": 1}
    needed = 0
    for row in assign.itertuples():
        plan = plans[row.plan_id]
        plan_to = pd.Timestamp(plan["effective_to"])
        end = row.end if pd.notna(row.end) else plan_to
        for comp in plan["components"]:
            if comp["rates"]["method"] == "flat":
                continue
            step = months[comp["quota_period"]]
            start = pd.Timestamp(plan["effective_from"])
            while start <= plan_to:
                stop = start + pd.DateOffset(months=step) - pd.Timedelta(days=1)
                if start <= end and stop >= row.start:
                    needed += 1
                    key = (row.employee_id, row.plan_id, comp["id"], start.date().isoformat())
                    assert key in have, key
                start += pd.DateOffset(months=step)
    assert needed == len(quotas)
    assert (quotas["quota"].astype(float) > 0).all()


def test_plan_files_follow_the_contract(workspace: Path) -> None:
    methods, periods, features = set(), set(), set()
    currencies, measures = set(), set()
    for path in sorted((workspace / "comp/plans").glob("*.yaml")):
        plan = yaml.safe_load(path.read_text())
        assert plan["id"] == path.stem
        assert set(plan) <= PLAN_KEYS
        currencies.add(plan["currency"])
        for comp in plan["components"]:
            assert set(comp) <= COMPONENT_KEYS
            measures.add((plan["id"].split("-")[0], comp["measure"]))
            assert set(comp["rates"]) <= RATES_KEYS
            methods.add(comp["rates"]["method"])
            if "tiers" in comp["rates"]:
                starts = [t["from"] for t in comp["rates"]["tiers"]]
                assert starts[0] == 0 and starts == sorted(set(starts))
                if comp["rates"]["tiers"][0]["rate"] == 0:
                    features.add("threshold")
                periods.add(comp["quota_period"])
            if "cap" in comp:
                features.add("cap")
            features.update(comp["credit_types"])
        for spiff in plan.get("spiffs", []):
            assert set(spiff) <= SPIFF_KEYS
            features.add("spiff")
        if "draw" in plan:
            assert set(plan["draw"]) <= DRAW_KEYS
            features.add(plan["draw"]["kind"])
        if "clawback" in plan:
            assert plan["clawback"] == {"window_days": 90}
            features.add("clawback")
    assert methods == {"flat", "marginal", "retroactive"}
    assert periods == {"year", "quarter", "month"}
    assert {"threshold", "cap", "spiff", "recoverable", "non_recoverable", "clawback", "rollup",
            "overlay", "direct", "split"} <= features  # fmt: skip
    assert currencies == {"USD", "EUR", "GBP"}
    # one plan family, the customer success managers', is paid on collections (rule 4.2)
    assert {role for role, measure in measures if measure == "collections"} == {"CSM"}
    assert {measure for role, measure in measures if role != "CSM"} == {"bookings"}


def test_fx_rates_cover_every_month_and_one_direction_only(
    state: dict[str, pd.DataFrame],
) -> None:
    fx = state["erp/fx_rates"]
    pairs = set(zip(fx["from_currency"], fx["to_currency"], strict=True))
    assert pairs == {("EUR", "USD"), ("GBP", "USD"), ("EUR", "GBP")}
    firsts = {d for d in fx["rate_date"] if d.endswith("-01")}
    assert len(firsts) == 14
    assert fx["rate"].astype(float).between(0.5, 2.0).all()


def test_invoices_payments_and_adjustments(workspace: Path, state: dict[str, pd.DataFrame]) -> None:
    invoices, payments = state["erp/invoices"], state["erp/payments"]
    assert set(invoices["status"]) == {"open", "paid", "void"}
    assert set(payments["invoice_id"]) <= set(invoices.loc[invoices["status"] == "paid",
                                                           "invoice_id"])  # fmt: skip
    assert set(invoices["deal_id"]) <= set(state["crm/deals"]["deal_id"])
    adjustments = pd.read_csv(workspace / "comp/adjustments.csv", dtype=str)
    assert len(adjustments) >= 3 and (adjustments["amount"].astype(float) < 0).any()
    assert adjustments["period"].str.fullmatch(r"\d{4}-\d{2}").all()


def test_settings_load(workspace: Path) -> None:
    settings = load_settings(workspace / "openspm.yaml")
    assert settings.reporting_currency == "USD"
    assert settings.first_period == "2025-01"
    assert settings.warehouse == DuckDBSettings(path="warehouse.duckdb")
    assert is_generated_workspace(workspace)


def test_refuses_foreign_folders_and_overwrites_only_its_own(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        generate_workspace(foreign, size=SMALL)
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
    company = tmp_path / "company"
    (company / "landing").mkdir(parents=True)
    (company / "openspm.yaml").write_text("company: Acme\nreporting_currency: USD\n")
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        generate_workspace(company, size=SMALL, overwrite=True)
    assert (company / "openspm.yaml").read_text().startswith("company: Acme")

    demo = tmp_path / "demo"
    generate_workspace(demo, size=SMALL)
    with pytest.raises(FileExistsError, match="overwrite"):
        generate_workspace(demo, size=SMALL)
    (demo / "warehouse.duckdb").write_bytes(b"keep me")
    stale = demo / "landing" / "crm" / "deals" / "stale.csv"
    stale.write_text("x\n")
    generate_workspace(demo, size=SMALL, seed=3, overwrite=True)
    assert (demo / "warehouse.duckdb").read_bytes() == b"keep me"
    assert not stale.exists()
    with pytest.raises(ValueError, match="at least 20 employees"):
        generate_workspace(tmp_path / "tiny", size=DemoSize(employees=5, deals=10, months=2))
