"""Benchmark: crediting (rules 1-5) by dbt against one hand-written DuckDB query.

    .venv/bin/python bench/bench_credits.py --deals 1000000 --employees 10000

Generates (numpy) raw tables and comp tables directly in a fresh DuckDB file: a 5-level
hierarchy with re-organisations during the year, CRM users, deals (about 70% won, revenue and
overlay splits, EUR/GBP/USD, some cancelled), daily fx rates (EUR->USD, USD->GBP, GBP->EUR, so
three of the six conversions need the inverse pair) and four plans (USD, EUR, GBP; two with a
clawback window), including mid-year plan changes. Then it times

  1. ``dbt run   --select +int_component_credits`` (+ problem lists): models only, from raw
  2. ``dbt build --select +int_component_credits`` (+ problem lists): models, unit and data tests
  3. the same ``dbt run`` ``--exclude path:models/staging``    only the crediting models
  4. one hand-written query from raw (same typing and versioning as staging) into a table
  5. the same query reading the staging tables

and checks that both produce the same credits (row for row, then counts and sums). dbt times are
reported as wall time, execution time (run_results.json elapsed_time) and start-up (the rest:
Python import, project load and manifest).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import dbt_command

from openspm.comp import load_comp_config, write_comp_tables
from openspm.entities import ENTITIES, entity

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT = REPO / "dbt_project"
DBT = str(Path(sys.executable).parent / "dbt")
LEVELS = (0.0001, 0.0009, 0.009, 0.09)  # shares of employees at levels 0-3; the rest are reps
MODIFIED = "2026-12-31T00:00:00Z"
FIRST_DAY, LAST_DAY = date(2025, 12, 1), date(2026, 12, 31)

# ---------------------------------------------------------------------------------------------
# Synthetic data


def text(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(str))


def insert(con: duckdb.DuckDBPyConnection, folder: str, columns: dict[str, pa.Array]) -> int:
    """Rows into raw.<table> as one batch (absent registry columns NULL)."""
    ent = entity(folder)
    table = pa.table(columns)
    n = table.num_rows
    table = table.append_column("_file", pa.array([f"{folder}/bench.parquet"] * n))
    table = table.append_column("_row_number", pa.array(np.arange(1, n + 1)))
    con.register("batch", table)
    con.execute(
        f"insert into raw.{ent.table} by name select *, '0' as _file_hash, "
        "now()::timestamp as _loaded_at, false as _quarantined from batch"
    )
    con.unregister("batch")
    return n


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema raw")
    meta = (
        '"_file" varchar, "_row_number" bigint, "_file_hash" varchar, '
        '"_loaded_at" timestamp, "_quarantined" boolean'
    )
    for ent in ENTITIES:
        cols = ", ".join(f'"{c}" varchar' for c in ent.column_names)
        con.execute(f"create table raw.{ent.table} ({cols}, {meta})")


def days(offsets: np.ndarray, start: date = FIRST_DAY) -> np.ndarray:
    return (np.datetime64(start) + offsets.astype("timedelta64[D]")).astype(str)


def hierarchy(rng: np.random.Generator, employees: int) -> tuple[list[np.ndarray], dict]:
    """Employee ids by level (0 = CEO) and the job_history columns."""
    sizes = [max(1, round(employees * share)) for share in LEVELS]
    sizes.append(employees - sum(sizes))
    ids = np.char.add("E", np.char.zfill(np.arange(employees).astype(str), 6))
    levels, start = [], 0
    for size in sizes:
        levels.append(ids[start : start + size])
        start += size
    emp, eff, mgr, title = (
        [ids[:1]],
        [np.array(["2025-01-01"])],
        [np.array([""])],
        [np.array(["CEO"])],
    )
    for level in range(1, 5):
        members, bosses = levels[level], levels[level - 1]
        first = rng.choice(bosses, members.size)
        emp.append(members), eff.append(np.full(members.size, "2025-01-01"))
        mgr.append(first), title.append(np.full(members.size, f"L{level}"))
        if level in (3, 4) and bosses.size > 1:
            # re-organisations: 10% move at a random 2026 date; a third of them come back two
            # months later
            moved = rng.random(members.size) < 0.10
            when = rng.integers(31, 300, members.size)
            other = bosses[
                (
                    np.searchsorted(bosses, first)
                    + 1
                    + rng.integers(0, bosses.size - 1, members.size)
                )
                % bosses.size
            ]
            emp.append(members[moved]), eff.append(days(when[moved]))
            mgr.append(other[moved]), title.append(np.full(moved.sum(), f"L{level}"))
            back = moved & (rng.random(members.size) < 1 / 3)
            emp.append(members[back]), eff.append(days(when[back] + 61))
            mgr.append(first[back]), title.append(np.full(back.sum(), f"L{level}"))
    jobs = {
        "employee_id": pa.array(np.concatenate(emp)),
        "effective_date": pa.array(np.concatenate(eff)),
        "manager_id": pa.array(np.concatenate(mgr)),
        "job_title": pa.array(np.concatenate(title)),
    }
    n = len(jobs["employee_id"])
    jobs |= {"status": pa.array(["active"] * n), "modified_at": pa.array([MODIFIED] * n)}
    return levels, jobs


def write_comp(
    con: duckdb.DuckDBPyConnection, root: Path, levels: list[np.ndarray], rng: np.random.Generator
) -> None:
    """Four flat-rate plans, every employee assigned; 10% of reps change plan mid-June."""

    def plan(
        plan_id: str, currency: str, components: list[tuple[str, str, str]], clawback: int | None
    ) -> str:
        text = (
            f"id: {plan_id}\nname: {plan_id}\ncurrency: {currency}\n"
            "effective_from: 2026-01-01\neffective_to: 2026-12-31\ncomponents:\n"
        )
        for cid, deal_types, credit_types in components:
            text += (
                f"  - id: {cid}\n    measure: bookings\n    deal_types: [{deal_types}]\n"
                f"    credit_types: [{credit_types}]\n    rates: {{method: flat, rate: 0.05}}\n"
            )
        return text + (f"clawback:\n  window_days: {clawback}\n" if clawback else "")

    all_types = "new_business, expansion, renewal"
    plans = {
        "AE-USD": plan(
            "AE-USD",
            "USD",
            [
                ("bookings", "new_business, expansion", "direct, split"),
                ("renewals", "renewal", "direct, split"),
                ("overlay", all_types, "overlay"),
            ],
            90,
        ),
        "AE-EUR": plan("AE-EUR", "EUR", [("bookings", all_types, "direct, split, overlay")], None),
        "MGR-USD": plan(
            "MGR-USD",
            "USD",
            [("team", all_types, "rollup"), ("own", all_types, "direct, split")],
            60,
        ),
        "MGR-GBP": plan("MGR-GBP", "GBP", [("team", all_types, "rollup")], 60),
    }
    folder = root / "comp" / "plans"
    folder.mkdir(parents=True)
    for plan_id, body in plans.items():
        (folder / f"{plan_id.lower()}.yaml").write_text(body)
    lines = ["employee_id,plan_id,effective_from,effective_to,target_incentive"]
    for level, members in enumerate(levels[:4]):
        for i, employee in enumerate(members):
            gbp = level == 2 and i % 3 == 0
            lines.append(f"{employee},{'MGR-GBP' if gbp else 'MGR-USD'},2026-01-01,,60000")
    choice = rng.random(levels[4].size)
    for employee, u in zip(levels[4], choice, strict=True):
        if u < 0.8:
            lines.append(f"{employee},AE-USD,2026-01-01,,50000")
        elif u < 0.9:
            lines.append(f"{employee},AE-EUR,2026-01-01,,45000")
        else:
            lines.append(f"{employee},AE-USD,2026-01-01,2026-06-15,50000")
            lines.append(f"{employee},AE-EUR,2026-06-16,,45000")
    (root / "comp" / "plan_assignments.csv").write_text("\n".join(lines) + "\n")
    (root / "comp" / "quotas.csv").write_text(
        "employee_id,plan_id,component_id,period_start,quota\n"
    )
    config = load_comp_config(root)
    write_comp_tables(config, con)


def generate(path: Path, deals: int, employees: int, seed: int) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    counts: dict[str, int] = {}
    with duckdb.connect(str(path)) as con:
        create_raw_tables(con)
        levels, jobs = hierarchy(rng, employees)
        ids = np.concatenate(levels)
        counts["employees"] = insert(
            con,
            "hris/employees",
            {
                "employee_id": pa.array(ids),
                "first_name": text(np.char.add("First", ids)),
                "last_name": text(np.char.add("Last", ids)),
                "email": text(np.char.add(ids, "@x.io")),
                "hire_date": pa.array(["2025-01-01"] * ids.size),
                "modified_at": pa.array([MODIFIED] * ids.size),
            },
        )
        counts["job_history"] = insert(con, "hris/job_history", jobs)
        users = np.char.add("U", ids)
        counts["users"] = insert(
            con,
            "crm/users",
            {
                "user_id": pa.array(users),
                "employee_id": pa.array(ids),
                "email": text(np.char.add(users, "@x.io")),
                "modified_at": pa.array([MODIFIED] * ids.size),
            },
        )

        reps = np.char.add("U", levels[4])
        managers = np.char.add("U", np.concatenate(levels[1:4]))
        owner = np.where(
            rng.random(deals) < 0.95, rng.choice(reps, deals), rng.choice(managers, deals)
        )
        span = (LAST_DAY - FIRST_DAY).days + 1
        close = rng.integers(0, span, deals)
        won = rng.random(deals) < 0.7
        cancelled = won & (rng.random(deals) < 0.03)
        cancel_text = np.where(cancelled, days(close + rng.integers(0, 150, deals)), "")
        cents = rng.integers(100_000, 50_000_000, deals)
        amount = np.char.add(
            np.char.add((cents // 100).astype(str), "."),
            np.char.zfill((cents % 100).astype(str), 2),
        )
        deal_ids = np.char.add("D", np.arange(deals).astype(str))
        counts["deals"] = insert(
            con,
            "crm/deals",
            {
                "deal_id": pa.array(deal_ids),
                "account_id": pa.array(["A1"] * deals),
                "owner_id": pa.array(owner),
                "deal_type": pa.array(
                    rng.choice(np.array(["new_business", "expansion", "renewal"]), deals)
                ),
                "stage": pa.array(np.where(won, "closed_won", "closed_lost")),
                "is_won": pa.array(np.where(won, "true", "false")),
                "close_date": pa.array(days(close)),
                "amount": pa.array(amount),
                "currency": pa.array(
                    rng.choice(np.array(["USD", "EUR", "GBP"]), deals, p=[0.7, 0.2, 0.1])
                ),
                "cancelled_date": pa.array(cancel_text),
                "modified_at": pa.array([MODIFIED] * deals),
            },
        )

        # revenue splits 60/40 (owner + another rep) on 20% of won deals; an overlay on 10%
        split_deals = np.flatnonzero(won & (rng.random(deals) < 0.2))
        overlay_deals = np.flatnonzero(won & (rng.random(deals) < 0.1))
        s_deal = np.concatenate([split_deals, split_deals, overlay_deals])
        s_owner = np.concatenate(
            [
                owner[split_deals],
                rng.choice(reps, split_deals.size),
                rng.choice(reps, overlay_deals.size),
            ]
        )
        s_type = np.repeat(
            ["revenue", "revenue", "overlay"],
            [split_deals.size, split_deals.size, overlay_deals.size],
        )
        s_pct = np.repeat(
            ["60", "40", "10"], [split_deals.size, split_deals.size, overlay_deals.size]
        )
        counts["deal_splits"] = insert(
            con,
            "crm/deal_splits",
            {
                "split_id": pa.array(np.char.add("S", np.arange(s_deal.size).astype(str))),
                "deal_id": pa.array(deal_ids[s_deal]),
                "owner_id": pa.array(s_owner),
                "split_type": pa.array(s_type),
                "split_percent": pa.array(s_pct),
                "modified_at": pa.array([MODIFIED] * s_deal.size),
            },
        )

        fx_days = (LAST_DAY - date(2025, 11, 1)).days + 1
        rate_dates = days(np.arange(fx_days), date(2025, 11, 1))
        pairs = [("EUR", "USD", 1.10), ("USD", "GBP", 0.78), ("GBP", "EUR", 1.16)]
        columns: dict[str, list[str]] = {
            k: [] for k in ("rate_date", "from_currency", "to_currency", "rate")
        }
        for source, target, level in pairs:
            walk = level * np.exp(np.cumsum(rng.normal(0, 0.003, fx_days)))
            columns["rate_date"] += list(rate_dates)
            columns["from_currency"] += [source] * fx_days
            columns["to_currency"] += [target] * fx_days
            columns["rate"] += [f"{r:.6f}" for r in walk]
        counts["fx_rates"] = insert(
            con, "erp/fx_rates", {k: pa.array(v) for k, v in columns.items()}
        )
        write_comp(con, path.parent / "workspace", levels, rng)
        counts["assignments"] = con.sql("select count(*) from comp.plan_assignments").fetchall()[0][
            0
        ]
    return counts


# ---------------------------------------------------------------------------------------------
# The hand-written query: rules 1-5 in one statement

RAW_INPUTS = """
deals as (
    select
        deal_id, owner_id, lower(trim(deal_type)) as deal_type,
        lower(trim(is_won)) in ('true', '1') as is_won,
        nullif(close_date, '')::date as close_date, nullif(amount, '')::decimal(20, 6) as amount,
        upper(nullif(currency, '')) as currency, nullif(cancelled_date, '')::date as cancelled_date,
        coalesce(lower(trim(is_deleted)) in ('true', '1'), false) as is_deleted
    from raw.crm__deals
    where _quarantined is not true
    qualify row_number() over (partition by deal_id
        order by modified_at::timestamptz desc nulls last, _file desc, _row_number desc) = 1
),
splits as (
    select split_id, deal_id, owner_id, lower(trim(split_type)) as split_type,
        split_percent::decimal(9, 6) as split_percent,
        coalesce(lower(trim(is_deleted)) in ('true', '1'), false) as is_deleted
    from raw.crm__deal_splits
    where _quarantined is not true
    qualify row_number() over (partition by split_id
        order by modified_at::timestamptz desc nulls last, _file desc, _row_number desc) = 1
),
users as (
    select user_id, employee_id,
        coalesce(lower(trim(is_deleted)) in ('true', '1'), false) as is_deleted
    from raw.crm__users
    where _quarantined is not true
    qualify row_number() over (partition by user_id
        order by modified_at::timestamptz desc nulls last, _file desc, _row_number desc) = 1
),
employees as (
    select distinct employee_id from raw.hris__employees where _quarantined is not true
),
jobs as (
    select employee_id, effective_date::date as effective_date, nullif(manager_id, '') as manager_id
    from raw.hris__job_history
    where _quarantined is not true
    qualify row_number() over (partition by employee_id, effective_date::date
        order by modified_at::timestamptz desc nulls last, _file desc, _row_number desc) = 1
),
fx as (
    select rate_date::date as rate_date, upper(from_currency) as from_currency,
        upper(to_currency) as to_currency, rate::decimal(24, 12) as rate
    from raw.erp__fx_rates
    where _quarantined is not true
    qualify row_number() over (partition by rate_date::date, upper(from_currency),
        upper(to_currency) order by _file desc, _row_number desc) = 1
),"""

STAGING_INPUTS = """
deals as (select * from staging.stg_crm__deals),
splits as (select * from staging.stg_crm__deal_splits),
users as (select * from staging.stg_crm__users),
employees as (select employee_id from staging.stg_hris__employees),
jobs as (select employee_id, effective_date, manager_id from staging.stg_hris__job_history),
fx as (select rate_date, from_currency, to_currency, rate from staging.stg_erp__fx_rates),"""

CREDITS = """
won as (
    select * from deals
    where is_won and not is_deleted and close_date is not null and amount is not null
        and currency is not null
),
won_splits as (
    select s.* from splits s join won w on s.deal_id = w.deal_id where not s.is_deleted
),
user_employees as (
    select u.user_id, u.employee_id
    from users u join employees e on u.employee_id = e.employee_id
    where not u.is_deleted
),
links as (
    select employee_id, manager_id, effective_date as valid_from,
        coalesce(lead(effective_date) over (partition by employee_id order by effective_date) - 1,
                 date '9999-12-31') as valid_to
    from jobs
),
known_links as (
    select l.* from links l join employees e on l.manager_id = e.employee_id
),
closure as (
    select employee_id, manager_id as ancestor_id, valid_from, valid_to,
        [employee_id, manager_id] as path, employee_id = manager_id as is_cycle
    from known_links
    union all
    select c.employee_id, l.manager_id, greatest(c.valid_from, l.valid_from),
        least(c.valid_to, l.valid_to), list_append(c.path, l.manager_id),
        list_contains(c.path, l.manager_id)
    from closure c
    join known_links l on l.employee_id = c.ancestor_id
        and l.valid_from <= c.valid_to and l.valid_to >= c.valid_from
    where not c.is_cycle
),
owner_credits as (
    select w.deal_id, null::varchar as split_id, w.owner_id as user_id, 'direct' as credit_type,
        'direct_owner' as rule, w.amount::decimal(38, 14) as source_amount
    from won w
    where not exists (select 1 from won_splits s
                      where s.deal_id = w.deal_id and s.split_type = 'revenue')
    union all
    select s.deal_id, s.split_id, s.owner_id,
        case s.split_type when 'revenue' then 'split' else 'overlay' end,
        case s.split_type when 'revenue' then 'revenue_split' else 'overlay_split' end,
        (w.amount * s.split_percent * 0.01::decimal(3, 2))::decimal(38, 14)
    from won_splits s join won w on s.deal_id = w.deal_id
),
person_credits as (
    select o.deal_id, o.split_id, ue.employee_id, o.credit_type, o.rule,
        w.close_date as credit_date, w.deal_type, o.source_amount, w.currency as source_currency,
        null::varchar as rollup_from_employee_id, w.cancelled_date
    from owner_credits o
    join user_employees ue on o.user_id = ue.user_id
    join won w on o.deal_id = w.deal_id
),
all_credits as (
    select * from person_credits
    union all
    select p.deal_id, p.split_id, c.ancestor_id, 'rollup', 'rollup', p.credit_date, p.deal_type,
        p.source_amount, p.source_currency, p.employee_id, p.cancelled_date
    from person_credits p
    join closure c on c.employee_id = p.employee_id and not c.is_cycle
        and p.credit_date between c.valid_from and c.valid_to
    where p.credit_type in ('direct', 'split')
),
assigned as (
    select a.*, pa.plan_id, pl.currency as plan_currency, pl.clawback_window_days
    from all_credits a
    join comp.plan_assignments pa on pa.employee_id = a.employee_id
        and a.credit_date between pa.effective_from and pa.effective_end
    join comp.plans pl on pl.plan_id = pa.plan_id
),
converted as (
    select a.*,
        case
            when a.source_currency = a.plan_currency then 1::decimal(24, 12)
            when d.rate is not null then d.rate
            when i.rate > 0 then (((2000000000000000000000000::hugeint
                    + (i.rate * 1000000000000)::hugeint)
                // (2 * (i.rate * 1000000000000)::hugeint))::decimal(38, 0)
                * 0.000000000001::decimal(13, 12))::decimal(24, 12)
        end as fx_rate
    from assigned a
    asof left join fx d on d.from_currency = a.source_currency
        and d.to_currency = a.plan_currency and d.rate_date <= a.credit_date
    asof left join fx i on i.from_currency = a.plan_currency
        and i.to_currency = a.source_currency and i.rate_date <= a.credit_date
),
component_credits as (
    select c.*, pc.component_id,
        case when c.source_currency = c.plan_currency then c.source_amount
             else (c.source_amount * c.fx_rate)::decimal(38, 14) end as amount
    from converted c
    join comp.plan_components pc on pc.plan_id = c.plan_id
        and list_contains(pc.deal_types, c.deal_type)
        and list_contains(pc.credit_types, c.credit_type)
),
credits as (
    select deal_id, split_id, employee_id, credit_type, rule, false as is_reversal, credit_date,
        deal_type, source_amount, source_currency, fx_rate, amount, plan_currency, plan_id,
        component_id, rollup_from_employee_id
    from component_credits
    union all
    select deal_id, split_id, employee_id, credit_type, 'clawback', true, cancelled_date,
        deal_type, -source_amount, source_currency, fx_rate, -amount, plan_currency, plan_id,
        component_id, rollup_from_employee_id
    from component_credits
    where cancelled_date - credit_date between 0 and clawback_window_days
)
select
    md5(concat_ws('|', 'deal', deal_id, employee_id, credit_type,
        coalesce(rollup_from_employee_id, ''), plan_id, component_id,
        case when is_reversal then 'reversal' else 'credit' end)) as credit_id,
    'deal' as event_type, deal_id as event_id,
    deal_id, employee_id, credit_type, is_reversal, credit_date,
    strftime(credit_date, '%Y-%m') as period, sum(source_amount) as source_amount,
    source_currency, fx_rate, sum(amount) as amount,
    plan_currency as currency, plan_id, component_id, rollup_from_employee_id,
    min(split_id) as split_id, rule, deal_type
from credits
group by all
"""


def hand_query(inputs: str) -> str:
    return "with recursive" + inputs + CREDITS


# ---------------------------------------------------------------------------------------------
# Runs


def dbt(folder: Path, warehouse: Path, *args: str) -> tuple[float, float, dict]:
    """Run dbt; return (wall seconds, execution seconds from run_results, run_results)."""
    return dbt_command(folder, warehouse, *args)


def timed_query(warehouse: Path, sql: str) -> float:
    with duckdb.connect(str(warehouse)) as con:
        started = time.perf_counter()
        con.execute(sql)
        return time.perf_counter() - started


CREDITS = "intermediate.int_component_credits"  # where crediting (rules 1-5) ends
COLUMNS = (
    "credit_id, event_type, event_id, deal_id, employee_id, credit_type, is_reversal, "
    "credit_date, period, "
    "source_amount, source_currency, fx_rate, amount, currency, plan_id, component_id, "
    "rollup_from_employee_id, split_id, rule, deal_type"
)


def compare(warehouse: Path, table: str) -> list[tuple]:
    """Rows only in one of the two results (must be 0, 0); then counts and sums by kind."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        only = con.sql(
            f"select (select count(*) from (select {COLUMNS} from {CREDITS} except all "
            f"select {COLUMNS} from {table})), (select count(*) from (select {COLUMNS} from "
            f"{table} except all select {COLUMNS} from intermediate.int_component_credits))"
        ).fetchall()[0]
        if only != (0, 0):
            raise SystemExit(f"dbt and the hand-written query differ: {only} rows only in one")
        sums = (
            "select credit_type, is_reversal, count(*), sum(source_amount), sum(amount) from {} "
            "group by all order by all"
        )
        ours, theirs = (con.sql(sums.format(t)).fetchall() for t in (CREDITS, table))
        if ours != theirs:
            raise SystemExit("dbt and the hand-written query differ in counts or sums")
        return ours


def slowest(results: dict, n: int = 6) -> str:
    nodes = sorted(results.get("results", []), key=lambda r: -r["execution_time"])[:n]
    return ", ".join(f"{r['unique_id'].split('.')[-1]} {r['execution_time']:.2f}s" for r in nodes)


# +int_component_credits and the problem lists beside it (views): every test of these models runs
SELECT = (
    "+int_component_credits",
    "+int_deal_credit_problems",
    "+int_fx_missing_rates",
    "+int_hierarchy_problems",
    "+int_credit_exceptions",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="openspm_bench_credits_"))
    warehouse = root / "warehouse.duckdb"
    try:
        started = time.perf_counter()
        counts = generate(warehouse, args.deals, args.employees, args.seed)
        print(
            f"generated in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{k} {v:,}" for k, v in counts.items())
        )
        dbt(root, warehouse, "parse")  # so every timed run parses partially, as in production

        rows: list[tuple[str, float, float]] = []
        wall, run, results = dbt(root, warehouse, "run", "--select", *SELECT)
        rows.append(("dbt run +int_component_credits (models from raw)", wall, run))
        print(f"  slowest models: {slowest(results)}")
        wall, run, results = dbt(root, warehouse, "build", "--select", *SELECT)
        rows.append(("dbt build +int_component_credits (models + unit and data tests)", wall, run))
        print(f"  slowest nodes: {slowest(results)}")
        wall, run, _ = dbt(
            root, warehouse, "run", "--select", *SELECT, "--exclude", "path:models/staging"
        )
        rows.append(("dbt run, crediting models only (staging built)", wall, run))

        hand_raw = timed_query(
            warehouse, "create or replace table main.hand_credits_raw as " + hand_query(RAW_INPUTS)
        )
        hand_staged = timed_query(
            warehouse,
            "create or replace table main.hand_credits_staged as " + hand_query(STAGING_INPUTS),
        )
        sums = compare(warehouse, "main.hand_credits_raw")
        compare(warehouse, "main.hand_credits_staged")

        with duckdb.connect(str(warehouse), read_only=True) as con:
            ((credits,),) = con.sql(f"select count(*) from {CREDITS}").fetchall()
            ((person,),) = con.sql("select count(*) from intermediate.int_deal_credits").fetchall()
        print(
            f"\n{CREDITS}: {credits:,} rows from {person:,} person-credits; identical to the "
            "hand-written query (row for row, counts and sums):"
        )
        for credit_type, reversal, n, source, amount in sums:
            print(
                f"  {credit_type:8} reversal={reversal!s:5} {n:>10,} rows  "
                f"source {source:,.2f}  amount {amount:,.2f}"
            )
        print(f"\n{'run':58} {'wall s':>8} {'exec s':>8} {'start-up s':>10}")
        for label, wall, run in rows:
            print(f"{label:58} {wall:8.2f} {run:8.2f} {wall - run:10.2f}")
        print(f"{'hand-written query from raw':58} {hand_raw:8.2f}")
        print(f"{'hand-written query from staging':58} {hand_staged:8.2f}")
        print(f"\nratio dbt run exec / hand from raw:          {rows[0][2] / hand_raw:.2f}")
        print(f"ratio dbt build exec / hand from raw:        {rows[1][2] / hand_raw:.2f}")
        print(f"ratio crediting models exec / hand from staging: {rows[2][2] / hand_staged:.2f}")
        if args.keep:
            print(f"kept in {root}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
