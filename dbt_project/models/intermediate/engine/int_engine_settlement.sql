{{ config(materialized='table') }}
{#
    Rule 8 (and 9 for SPIFFs): paid-to-date netting, set-based (docs/engine.md).

    For a key K = (employee, plan, component or SPIFF, quota period) and an unpublished month p:
      paid(p)      = earnings to date of K's credits dated up to p's end, today's credits,
                     rounded half away from zero to cents (`due_to_date`);
      attributed before p = what months before p attributed to K. An unpublished month m
                     attributes paid(m) minus what came before, so the sum telescopes: with u
                     the last unpublished month before p, attributed = paid(u) + the published
                     lines of K in the published months between u and p (all published months
                     before p when there is no such u; nothing before first_period).
      commission   = paid(p) - paid_before(p), paid_before(p) being the earnings to date up to
                     the end of p - 1 with today's credits (the part of credits dated in p);
      restatement  = paid_before(p) - attributed before p (late changes).
    A SPIFF key has one line, `spiff` = paid(p) - attributed before p.
    Cumulative amounts are rounded, lines are their differences: lines are exact cents and
    never drift from the rounded earnings to date.
#}

with

months as (

    select * from {{ ref('int_engine_months') }}

),

component_earnings as (

    select * from {{ ref('int_engine_component_earnings') }}

),

spiff_earnings as (

    select * from {{ ref('int_engine_spiff_earnings') }}

),

published_lines as (

    select * from {{ source('finance', 'payout_lines') }}

),

plans as (

    select * from {{ source('comp', 'plans') }}

),

earnings as (

    select
        employee_id, plan_id, component_id, quota_period_start, period, month_number,
        'component' as kind,
        {{ engine_cents('coalesce(earnings_to_date, 0)') }} as due_to_date,
        {{ engine_cents('coalesce(earnings_before, 0)') }} as due_before
    from component_earnings

    union all

    select
        employee_id, plan_id, spiff_id as component_id, quota_period_start, period,
        month_number,
        'spiff' as kind,
        {{ engine_cents('earnings_to_date') }} as due_to_date,
        {{ engine_cents('earnings_to_date - earned_in_month') }} as due_before
    from spiff_earnings

),

published as (

    select
        employee_id, plan_id, component_id, quota_period_start, period,
        case when line_type = 'spiff' then 'spiff' else 'component' end as kind,
        sum(amount) as amount
    from published_lines
    group by all

),

joined as (

    select
        earnings.*,
        months.is_published,
        cast(coalesce(published.amount, 0) as decimal(18, 2)) as published_amount

    from earnings
    inner join months
        on earnings.period = months.period
    left join published
        on earnings.employee_id = published.employee_id
        and earnings.plan_id = published.plan_id
        and earnings.component_id = published.component_id
        and earnings.quota_period_start = published.quota_period_start
        and earnings.period = published.period
        and earnings.kind = published.kind

),

running as (

    select
        joined.*,
        sum(case when is_published then published_amount else 0 end) over w_all
            as published_to_date

    from joined
    window w_all as (
        partition by employee_id, plan_id, component_id, quota_period_start, kind
        order by month_number
        rows between unbounded preceding and current row
    )

),

attributed as (

    select
        running.*,
        coalesce(
            last_value(case when not is_published then due_to_date end ignore nulls) over w_prev,
            0
        )
        + coalesce(
            lag(published_to_date) over w_lag,
            0
        )
        - coalesce(
            last_value(case when not is_published then published_to_date end ignore nulls)
                over w_prev,
            0
        ) as attributed_before

    from running
    window
        w_prev as (
            partition by employee_id, plan_id, component_id, quota_period_start, kind
            order by month_number
            rows between unbounded preceding and 1 preceding
        ),
        w_lag as (
            partition by employee_id, plan_id, component_id, quota_period_start, kind
            order by month_number
        )

),

lines as (

    select
        employee_id, period, month_number, plan_id, component_id, quota_period_start, kind,
        due_to_date, due_before, attributed_before,
        case when kind = 'spiff' then 'spiff' else 'commission' end as line_type,
        case
            when kind = 'spiff' then due_to_date - attributed_before
            else due_to_date - due_before
        end as amount
    from attributed
    where not is_published

    union all

    select
        employee_id, period, month_number, plan_id, component_id, quota_period_start, kind,
        due_to_date, due_before, attributed_before,
        'restatement' as line_type,
        due_before - attributed_before as amount
    from attributed
    where not is_published
        and kind = 'component'

),

final as (

    select
        lines.employee_id,
        lines.period,
        lines.month_number,
        lines.plan_id,
        lines.component_id,
        lines.quota_period_start,
        lines.line_type,
        cast(lines.amount as decimal(18, 2)) as amount,
        plans.currency,
        lines.due_to_date,
        lines.due_before,
        cast(lines.attributed_before as decimal(18, 2)) as attributed_before

    from lines
    inner join plans
        on lines.plan_id = plans.plan_id

)

select * from final
