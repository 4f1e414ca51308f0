{{ config(materialized='table') }}
{#
    Rules 6-7 for every (employee, plan, component, quota period) and every month from the
    quota period's start (or first_period) to through_period: credit to date, attainment and
    earnings to date, with today's credits, at the end of the month (`*_to_date`) and at the end
    of the month before (`*_before`). Keys: every quota period an assignment touches, and every
    quota period holding a credit (e.g. a reversal after the assignment ended). Months after the
    quota period's end are kept, because a late change to an ended quota period is settled
    there (rule 8).
    Earnings are exact to 20 decimals; attainment is rounded half away from zero to 10 decimals
    (the tier choice compares credit_to_date with quota x tier_from exactly, not the rounded
    attainment).
#}

with

months as (

    select * from {{ ref('int_engine_months') }}

),

credits as (

    select * from {{ ref('int_engine_component_credits') }}

),

assignments as (

    select * from {{ ref('int_plan_assignment_ranges') }}

),

components as (

    select * from {{ source('comp', 'plan_components') }}

),

tiers as (

    select * from {{ source('comp', 'plan_component_tiers') }}

),

quota_periods as (

    select * from {{ source('comp', 'quota_periods') }}
    where source = 'component'

),

quotas as (

    select * from {{ source('comp', 'quotas') }}

),

bounds as (

    select min(month_start) as first_month, max(month_end) as through_end from months

),

keys as (

    select distinct employee_id, plan_id, component_id, quota_period_start
    from (
        select
            assignments.employee_id,
            assignments.plan_id,
            quota_periods.component_id,
            quota_periods.period_start as quota_period_start
        from assignments
        inner join quota_periods
            on assignments.plan_id = quota_periods.plan_id
            and quota_periods.period_start <= assignments.valid_to
            and quota_periods.period_end >= assignments.valid_from

        union all

        select employee_id, plan_id, component_id, quota_period_start
        from credits
    ) as touched

),

-- credits up to through_period: those before first_period in one opening amount, the others
-- by month
opening as (

    select
        credits.employee_id, credits.plan_id, credits.component_id, credits.quota_period_start,
        sum(credits.amount) as amount
    from credits, bounds
    where credits.credit_date < bounds.first_month
    group by
        credits.employee_id, credits.plan_id, credits.component_id, credits.quota_period_start

),

monthly as (

    select
        credits.employee_id, credits.plan_id, credits.component_id, credits.quota_period_start,
        {{ month_text('credits.credit_date') }} as period,
        sum(credits.amount) as amount
    from credits, bounds
    where credits.credit_date >= bounds.first_month
        and credits.credit_date <= bounds.through_end
    group by
        credits.employee_id, credits.plan_id, credits.component_id, credits.quota_period_start,
        {{ month_text('credits.credit_date') }}

),

dense as (

    select
        keys.employee_id,
        keys.plan_id,
        keys.component_id,
        keys.quota_period_start,
        quota_periods.period_end as quota_period_end,
        months.period,
        months.month_start,
        months.month_end,
        months.month_number,
        cast(coalesce(monthly.amount, 0) as decimal(38, 14)) as credit_in_month,
        cast(
            coalesce(opening.amount, 0)
            + sum(coalesce(monthly.amount, 0)) over (
                partition by keys.employee_id, keys.plan_id, keys.component_id,
                    keys.quota_period_start
                order by months.month_number
                rows between unbounded preceding and current row
            )
            as decimal(38, 14)
        ) as credit_to_date

    from keys
    inner join quota_periods
        on keys.plan_id = quota_periods.plan_id
        and keys.component_id = quota_periods.component_id
        and keys.quota_period_start = quota_periods.period_start
    inner join months
        on months.month_end >= keys.quota_period_start
    left join opening
        on keys.employee_id = opening.employee_id
        and keys.plan_id = opening.plan_id
        and keys.component_id = opening.component_id
        and keys.quota_period_start = opening.quota_period_start
    left join monthly
        on keys.employee_id = monthly.employee_id
        and keys.plan_id = monthly.plan_id
        and keys.component_id = monthly.component_id
        and keys.quota_period_start = monthly.quota_period_start
        and months.period = monthly.period

),

with_before as (

    select
        dense.*,
        cast(dense.credit_to_date - dense.credit_in_month as decimal(38, 14)) as credit_before,
        components.rate_method,
        components.is_quota_based,
        components.flat_rate,
        components.cap,
        quotas.quota

    from dense
    inner join components
        on dense.plan_id = components.plan_id
        and dense.component_id = components.component_id
    left join quotas
        on dense.employee_id = quotas.employee_id
        and dense.plan_id = quotas.plan_id
        and dense.component_id = quotas.component_id
        and dense.quota_period_start = quotas.period_start

),

-- rule 7, before the cap: one row per tier for tiered components
tiered as (

    select
        with_before.employee_id,
        with_before.plan_id,
        with_before.component_id,
        with_before.quota_period_start,
        with_before.month_number,
        with_before.rate_method,
        with_before.quota,
        with_before.credit_to_date,
        with_before.credit_before,
        {{ engine_tier_earnings('with_before.credit_to_date') }} as earnings_to_date,
        {{ engine_tier_earnings('with_before.credit_before') }} as earnings_before

    from with_before
    inner join tiers
        on with_before.plan_id = tiers.plan_id
        and with_before.component_id = tiers.component_id
    where with_before.rate_method in ('marginal', 'retroactive')
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9

),

final as (

    select
        with_before.employee_id,
        with_before.plan_id,
        with_before.component_id,
        with_before.quota_period_start,
        with_before.quota_period_end,
        with_before.period,
        with_before.month_start,
        with_before.month_end,
        with_before.month_number,
        with_before.rate_method,
        with_before.is_quota_based,
        with_before.quota,
        with_before.credit_in_month,
        with_before.credit_to_date,
        with_before.credit_before,
        cast(case when with_before.is_quota_based then
            {{ engine_ratio('with_before.credit_to_date', 'with_before.quota') }}
        end as decimal(38, 10)) as attainment,
        {{ engine_cap('with_before.flat_rate * with_before.credit_to_date', 'tiered.earnings_to_date', 'with_before') }}
            as earnings_to_date,
        {{ engine_cap('with_before.flat_rate * with_before.credit_before', 'tiered.earnings_before', 'with_before') }}
            as earnings_before

    from with_before
    left join tiered
        on with_before.employee_id = tiered.employee_id
        and with_before.plan_id = tiered.plan_id
        and with_before.component_id = tiered.component_id
        and with_before.quota_period_start = tiered.quota_period_start
        and with_before.month_number = tiered.month_number

)

select * from final
