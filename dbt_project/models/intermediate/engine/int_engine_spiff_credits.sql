{#
    SPIFF earnings events (rule 9). A deal qualifies for a SPIFF of the plan that holds a direct
    or split credit of it when its deal type is admitted, its close_date lies in [from_date,
    to_date] and its amount in plan currency (the deal amount at the credit's fx rate) is at
    least min_amount. Each direct and split credit holder earns amount x split_percent / 100,
    dated close_date, in the plan year containing it. A clawback (the deal cancelled 0..window
    days after closing, window of the holder's plan) reverses the share on cancelled_date, in
    the plan year containing that date, else the plan's last year.
#}

with

plan_credits as (

    select * from {{ ref('int_plan_credits') }}
    where event_type = 'deal'  -- a SPIFF qualifies deals (bookings), whatever the measures
        and credit_type in ('direct', 'split')

),

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

spiffs as (

    select * from {{ source('comp', 'plan_spiffs') }}

),

quota_periods as (

    select * from {{ source('comp', 'quota_periods') }}
    where source = 'spiff'

),

last_periods as (

    select plan_id, component_id, max(period_start) as period_start
    from quota_periods
    group by plan_id, component_id

),

qualifying as (

    select
        plan_credits.deal_id,
        plan_credits.employee_id,
        plan_credits.credit_type,
        plan_credits.plan_id,
        plan_credits.plan_currency,
        spiffs.spiff_id,
        plan_credits.credit_date,
        plan_credits.cancelled_date,
        plan_credits.clawback_window_days,
        cast(spiffs.amount * plan_credits.split_percent * cast(0.01 as decimal(3, 2))
            as decimal(38, 14)) as amount

    from plan_credits
    inner join deals
        on plan_credits.deal_id = deals.deal_id
    inner join spiffs
        on plan_credits.plan_id = spiffs.plan_id
        and {{ list_has('spiffs.deal_types', 'plan_credits.deal_type') }}
        and plan_credits.credit_date between spiffs.from_date and spiffs.to_date
    where plan_credits.fx_rate is not null
        and {{ fx_convert('cast(deals.amount as decimal(38, 14))', 'plan_credits.fx_rate') }}
            >= spiffs.min_amount

),

events as (

    select
        deal_id, employee_id, credit_type, plan_id, plan_currency, spiff_id, false as is_reversal,
        credit_date as event_date, amount
    from qualifying

    union all

    select
        deal_id, employee_id, credit_type, plan_id, plan_currency, spiff_id, true as is_reversal,
        cancelled_date as event_date, -amount as amount
    from qualifying
    where {{ clawback_reverses('credit_date', 'cancelled_date', 'clawback_window_days') }}

),

final as (

    select
        events.deal_id,
        events.employee_id,
        events.credit_type,
        events.plan_id,
        events.plan_currency,
        events.spiff_id,
        coalesce(containing.period_start, last_periods.period_start) as quota_period_start,
        events.event_date,
        events.is_reversal,
        cast(events.amount as decimal(38, 14)) as amount

    from events
    left join quota_periods as containing
        on events.plan_id = containing.plan_id
        and events.spiff_id = containing.component_id
        and events.event_date between containing.period_start and containing.period_end
    left join last_periods
        on events.plan_id = last_periods.plan_id
        and events.spiff_id = last_periods.component_id

)

select * from final
