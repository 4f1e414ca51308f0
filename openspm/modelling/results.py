"""What each scenario's engine run produced, and the comparison tables built from it.

After each scenario's dbt run, ``collect`` keeps the drafts it produced (payouts, payout lines,
each month's payout plan, the attainment at the range's end) in the scratch copy's
``modelling_work`` schema, tagged with the scenario. ``build_tables`` then computes the
comparison (``modelling_out``): every amount converted into the reporting currency at the rate
of its month's last day (the engine's macros ``fx_rates_asof`` and ``fx_convert``), rounded to
cents per row, so every breakdown adds up to the total:

- cost = commission + restatement + SPIFF lines + draw top-ups - draw recoveries (what the
  plans cost over the range; a negative balance a rep still owes counts as recovered);
- cost of sales = cost / credited bookings (direct and split credits of deals won in the range);
- payout distribution over reps (P10 ... P90, mean, the top 10 earners' share) and attainment
  distribution: per rep, credit over quota of the quota periods completed in the range (else
  of those in progress at its end), over quota-based components as the leaderboard sums them;
- cost by plan, role (job title at the month's end) and month; per rep the change against the
  current plans.
"""

from __future__ import annotations

import duckdb

from openspm.periods import month_bounds
from openspm.warehouse import quote_literal
from openspm.whatif import ModelRenderer

WORK = "modelling_work"
OUT = "modelling_out"
TOP_EARNERS = 10
MOVERS = 10

# the tables written to the workspace's `modelling` schema, in this order
TABLES = (
    "summary",
    "cost_by_month",
    "cost_by_plan",
    "cost_by_role",
    "employees",
    "movers",
    "payouts",
    "payout_lines",
)


def collect(connection: duckdb.DuckDBPyConnection, scenario: str, through: str) -> None:
    """Keep the scenario's drafts (the scratch copy's marts) under ``modelling_work``."""
    name = quote_literal(scenario)
    sources = {
        "payouts": "select * from marts.fct_payouts",
        "payout_lines": "select * from marts.fct_payout_lines",
        "payout_plans": (
            "select employee_id, period, payout_plan_id from "
            "intermediate.int_engine_payout_inputs where not is_published"
        ),
        # per quota period: credit to date and quota at its last month in the range
        "attainment": f"""
            select board.employee_id, board.plan_id, board.quota_period_start,
                arg_max(board.credit_to_date, board.period) as credit_to_date,
                arg_max(board.quota, board.period) as quota,
                max(board.period) as last_period,
                max(periods.period_end) <= last_day(cast({quote_literal(through + "-01")} as date))
                    as is_complete
            from intermediate.int_leaderboard as board
            left join comp.quota_periods as periods
                on periods.plan_id = board.plan_id
                and periods.period_start = board.quota_period_start
                and periods.source = 'component'
            where board.period <= {quote_literal(through)}
            group by all
        """,
    }
    connection.execute(f"create schema if not exists {WORK}")
    for table, select in sources.items():
        connection.execute(
            f"create table if not exists {WORK}.{table} as "
            f"select cast(null as varchar) as scenario, * from ({select}) where false"
        )
        connection.execute(f"insert into {WORK}.{table} select {name}, * from ({select})")


def build_tables(
    connection: duckdb.DuckDBPyConnection, reporting_currency: str, first: str, through: str
) -> None:
    """The comparison tables under ``modelling_out`` (see the module docstring)."""
    start, _ = month_bounds(first)
    _, end = month_bounds(through)
    macros = ModelRenderer()
    currency = quote_literal(reporting_currency)
    to_reporting = macros.macro(
        "fx_convert", "cast(rows.amount as decimal(38, 14))", "rates.fx_rate"
    )
    rates = macros.macro("fx_rates_asof", "requests", "staging.stg_erp__fx_rates")
    connection.execute(f"create schema if not exists {OUT}")
    connection.execute(
        f"""
        create or replace table {OUT}.cost_rows as
        with rows as (
            select scenario, employee_id, period, plan_id, line_type as kind, amount, currency
            from {WORK}.payout_lines
            union all
            select payouts.scenario, payouts.employee_id, payouts.period,
                plans.payout_plan_id, 'draw', payouts.draw_top_up - payouts.draw_recovery,
                payouts.currency
            from {WORK}.payouts as payouts
            left join {WORK}.payout_plans as plans
                using (scenario, employee_id, period)
            where payouts.draw_top_up <> 0 or payouts.draw_recovery <> 0
        ),
        requests as (
            select distinct currency as from_currency, {currency} as to_currency,
                last_day(cast(period || '-01' as date)) as as_of_date
            from rows
        ),
        rates as ({rates})
        select rows.*,
            cast(round({to_reporting}, 2) as decimal(18, 2)) as cost
        from rows
        left join rates
            on rates.from_currency = rows.currency
            and rates.as_of_date = last_day(cast(rows.period || '-01' as date))
        """
    )
    connection.execute(
        f"""
        create or replace table {OUT}.roles as
        select months.period, jobs.employee_id, jobs.job_title as role
        from (select distinct period from {OUT}.cost_rows) as months
        inner join intermediate.int_job_history_ranges as jobs
            on last_day(cast(months.period || '-01' as date))
                between jobs.valid_from and jobs.valid_to
        """
    )
    bookings_rates = macros.macro("fx_rates_asof", "requests", "staging.stg_erp__fx_rates")
    to_reporting_bookings = macros.macro(
        "fx_convert", "credits.source_amount", "rates.fx_rate"
    )
    connection.execute(
        f"""
        create or replace table {OUT}.bookings as
        with credits as (
            select source_amount, source_currency, last_day(credit_date) as month_end
            from intermediate.int_deal_credits
            where credit_type in ('direct', 'split')
                and credit_date between cast('{start}' as date) and cast('{end}' as date)
        ),
        requests as (
            select distinct source_currency as from_currency, {currency} as to_currency,
                month_end as as_of_date
            from credits
        ),
        rates as ({bookings_rates})
        select
            cast(coalesce(sum({to_reporting_bookings}), 0) as decimal(38, 2)) as bookings,
            count(*) filter (where rates.fx_rate is null) as missing_rates
        from credits
        left join rates
            on rates.from_currency = credits.source_currency
            and rates.as_of_date = credits.month_end
        """
    )
    _employees(connection)
    _breakdowns(connection)
    _summary(connection, reporting_currency)
    _raw(connection, reporting_currency)


def _employees(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        f"""
        create or replace table {OUT}.employees as
        with reps as (
            select distinct scenario, employee_id from {WORK}.payouts
        ),
        costs as (
            select scenario, employee_id,
                sum(cost) as cost,
                sum(cost) filter (where kind in ('commission', 'restatement')) as commission,
                sum(cost) filter (where kind = 'spiff') as spiff,
                sum(cost) filter (where kind = 'draw') as draws,
                count(*) filter (where cost is null) as missing_rates,
                string_agg(distinct plan_id, ', ' order by plan_id) as plans
            from {OUT}.cost_rows
            group by all
        ),
        -- the quota periods completed in the range, else those in progress at its end
        attainment as (
            select scenario, employee_id,
                case
                    when sum(quota) filter (where is_complete) > 0
                        then sum(credit_to_date) filter (where is_complete)
                            / sum(quota) filter (where is_complete)
                    when sum(quota) > 0 then sum(credit_to_date) / sum(quota)
                end as attainment
            from {WORK}.attainment
            group by all
        ),
        latest_role as (
            select employee_id, arg_max(role, period) as role from {OUT}.roles group by all
        ),
        joined as (
            select
                reps.scenario,
                reps.employee_id,
                trim(coalesce(people.first_name, '') || ' ' || coalesce(people.last_name, ''))
                    as employee_name,
                coalesce(latest_role.role, '(no job title)') as role,
                costs.plans,
                cast(coalesce(costs.cost, 0) as decimal(18, 2)) as cost,
                cast(coalesce(costs.commission, 0) as decimal(18, 2)) as commission,
                cast(coalesce(costs.spiff, 0) as decimal(18, 2)) as spiff,
                cast(coalesce(costs.draws, 0) as decimal(18, 2)) as draws,
                coalesce(costs.missing_rates, 0) as missing_rates,
                cast(attainment.attainment as decimal(18, 6)) as attainment
            from reps
            left join costs using (scenario, employee_id)
            left join attainment using (scenario, employee_id)
            left join latest_role using (employee_id)
            left join staging.stg_hris__employees as people using (employee_id)
        )
        select joined.*,
            cast(current.cost as decimal(18, 2)) as current_cost,
            cast(joined.cost - coalesce(current.cost, 0) as decimal(18, 2)) as change
        from joined
        left join joined as current
            on current.scenario = 'current' and current.employee_id = joined.employee_id
        """
    )
    connection.execute(
        f"""
        create or replace table {OUT}.movers as
        with both_sides as (
            select scenarios.scenario, people.employee_id,
                any_value(people.employee_name) as employee_name, any_value(people.role) as role,
                cast(coalesce(max(people.cost) filter (where people.scenario = 'current'), 0)
                    as decimal(18, 2)) as current_cost,
                cast(coalesce(max(people.cost) filter (
                    where people.scenario = scenarios.scenario), 0) as decimal(18, 2))
                    as scenario_cost
            from {OUT}.employees as people
            cross join (select distinct scenario from {OUT}.employees
                        where scenario <> 'current') as scenarios
            where people.scenario in ('current', scenarios.scenario)
            group by all
        ),
        ranked as (
            select *,
                cast(scenario_cost - current_cost as decimal(18, 2)) as change,
                row_number() over (
                    partition by scenario
                    order by abs(scenario_cost - current_cost) desc, employee_id
                ) as rank
            from both_sides
        )
        select * from ranked where rank <= {MOVERS} and change <> 0 order by scenario, rank
        """
    )


def _breakdowns(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        f"""
        create or replace table {OUT}.cost_by_month as
        select scenario, period, cast(sum(cost) as decimal(18, 2)) as cost,
            cast(sum(cost) filter (where kind in ('commission', 'restatement'))
                as decimal(18, 2)) as commission,
            cast(sum(cost) filter (where kind = 'spiff') as decimal(18, 2)) as spiff,
            cast(sum(cost) filter (where kind = 'draw') as decimal(18, 2)) as draws
        from {OUT}.cost_rows group by all order by scenario, period
        """
    )
    connection.execute(
        f"""
        create or replace table {OUT}.cost_by_plan as
        select scenario, coalesce(plan_id, '(no plan)') as plan_id,
            cast(sum(cost) as decimal(18, 2)) as cost, count(distinct employee_id) as reps
        from {OUT}.cost_rows group by all order by scenario, cost desc
        """
    )
    connection.execute(
        f"""
        create or replace table {OUT}.cost_by_role as
        select rows.scenario, coalesce(roles.role, '(no job title)') as role,
            cast(sum(rows.cost) as decimal(18, 2)) as cost,
            count(distinct rows.employee_id) as reps
        from {OUT}.cost_rows as rows
        left join {OUT}.roles as roles using (employee_id, period)
        group by all order by rows.scenario, cost desc
        """
    )


def _summary(connection: duckdb.DuckDBPyConnection, reporting_currency: str) -> None:
    connection.execute(
        f"""
        create or replace table {OUT}.summary as
        with totals as (
            select scenario,
                sum(cost) as cost,
                sum(cost) filter (where kind in ('commission', 'restatement')) as commission,
                sum(cost) filter (where kind = 'spiff') as spiff,
                sum(cost) filter (where kind = 'draw') as draws,
                count(*) filter (where cost is null) as missing_rates
            from {OUT}.cost_rows group by all
        ),
        reps as (
            select scenario, count(*) as reps,
                quantile_cont(cost, 0.10) as p10, quantile_cont(cost, 0.25) as p25,
                quantile_cont(cost, 0.50) as p50, quantile_cont(cost, 0.75) as p75,
                quantile_cont(cost, 0.90) as p90, avg(cost) as mean,
                count(attainment) as with_quota,
                quantile_cont(attainment, 0.10) as attainment_p10,
                quantile_cont(attainment, 0.50) as attainment_p50,
                quantile_cont(attainment, 0.90) as attainment_p90,
                count(*) filter (where attainment >= 1) as above_quota
            from {OUT}.employees group by all
        ),
        top as (
            select scenario, sum(cost) as top_cost from (
                select scenario, cost, row_number() over (
                    partition by scenario order by cost desc, employee_id) as n
                from {OUT}.employees
            ) where n <= {TOP_EARNERS} group by all
        ),
        joined as (
            select
                reps.scenario,
                reps.scenario = 'current' as is_current,
                {quote_literal(reporting_currency)} as currency,
                cast(coalesce(totals.cost, 0) as decimal(18, 2)) as total_cost,
                cast(coalesce(totals.commission, 0) as decimal(18, 2)) as commission,
                cast(coalesce(totals.spiff, 0) as decimal(18, 2)) as spiff,
                cast(coalesce(totals.draws, 0) as decimal(18, 2)) as draws,
                bookings.bookings,
                cast(case when bookings.bookings > 0
                    then coalesce(totals.cost, 0) / bookings.bookings end as decimal(18, 6))
                    as cost_of_sales,
                reps.reps,
                cast(reps.p10 as decimal(18, 2)) as payout_p10,
                cast(reps.p25 as decimal(18, 2)) as payout_p25,
                cast(reps.p50 as decimal(18, 2)) as payout_p50,
                cast(reps.p75 as decimal(18, 2)) as payout_p75,
                cast(reps.p90 as decimal(18, 2)) as payout_p90,
                cast(reps.mean as decimal(18, 2)) as payout_mean,
                cast(case when totals.cost > 0 then top.top_cost / totals.cost end
                    as decimal(18, 6)) as top10_share,
                reps.with_quota,
                cast(reps.attainment_p10 as decimal(18, 6)) as attainment_p10,
                cast(reps.attainment_p50 as decimal(18, 6)) as attainment_p50,
                cast(reps.attainment_p90 as decimal(18, 6)) as attainment_p90,
                cast(case when reps.with_quota > 0
                    then reps.above_quota / reps.with_quota end as decimal(18, 6))
                    as share_above_quota,
                coalesce(totals.missing_rates, 0) + bookings.missing_rates as missing_rates
            from reps
            left join totals using (scenario)
            left join top using (scenario)
            cross join {OUT}.bookings as bookings
        )
        select joined.*,
            cast(joined.total_cost - current.total_cost as decimal(18, 2)) as change,
            cast(case when current.total_cost <> 0
                then (joined.total_cost - current.total_cost) / current.total_cost end
                as decimal(18, 6)) as change_share
        from joined
        left join joined as current on current.scenario = 'current'
        order by joined.is_current desc, joined.scenario
        """
    )


def _raw(connection: duckdb.DuckDBPyConnection, reporting_currency: str) -> None:
    """The engine's own drafts per scenario (payout currency, plan currency), for auditing."""
    del reporting_currency
    connection.execute(f"create or replace table {OUT}.payouts as select * from {WORK}.payouts")
    connection.execute(
        f"create or replace table {OUT}.payout_lines as select * from {WORK}.payout_lines"
    )
