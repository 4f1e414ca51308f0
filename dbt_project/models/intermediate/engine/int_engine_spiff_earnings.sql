{{ config(materialized='table') }}
{#
    Rule 9: SPIFF earnings to date for every (employee, plan, SPIFF, plan year) holding a SPIFF
    event and every month from the plan year's start (or first_period) to through_period: the
    sum of the shares (and their clawback reversals) dated up to the month's end, and up to the
    end of the month before. Settled like commission (int_engine_settlement).
#}

with

months as (

    select * from {{ ref('int_engine_months') }}

),

events as (

    select * from {{ ref('int_engine_spiff_credits') }}

),

bounds as (

    select min(month_start) as first_month, max(month_end) as through_end from months

),

keys as (

    select distinct employee_id, plan_id, spiff_id, quota_period_start
    from events

),

opening as (

    select employee_id, plan_id, spiff_id, quota_period_start, sum(amount) as amount
    from events, bounds
    where events.event_date < bounds.first_month
    group by employee_id, plan_id, spiff_id, quota_period_start

),

monthly as (

    select
        employee_id, plan_id, spiff_id, quota_period_start,
        {{ month_text('event_date') }} as period,
        sum(amount) as amount
    from events, bounds
    where events.event_date >= bounds.first_month
        and events.event_date <= bounds.through_end
    group by employee_id, plan_id, spiff_id, quota_period_start, {{ month_text('event_date') }}

),

final as (

    select
        keys.employee_id,
        keys.plan_id,
        keys.spiff_id,
        keys.quota_period_start,
        months.period,
        months.month_number,
        cast(coalesce(monthly.amount, 0) as decimal(38, 14)) as earned_in_month,
        cast(
            coalesce(opening.amount, 0)
            + sum(coalesce(monthly.amount, 0)) over (
                partition by keys.employee_id, keys.plan_id, keys.spiff_id,
                    keys.quota_period_start
                order by months.month_number
                rows between unbounded preceding and current row
            )
            as decimal(38, 14)
        ) as earnings_to_date

    from keys
    inner join months
        on months.month_end >= keys.quota_period_start
    left join opening
        on keys.employee_id = opening.employee_id
        and keys.plan_id = opening.plan_id
        and keys.spiff_id = opening.spiff_id
        and keys.quota_period_start = opening.quota_period_start
    left join monthly
        on keys.employee_id = monthly.employee_id
        and keys.plan_id = monthly.plan_id
        and keys.spiff_id = monthly.spiff_id
        and keys.quota_period_start = monthly.quota_period_start
        and months.period = monthly.period

)

select * from final
