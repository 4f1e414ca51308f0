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
                     before p, plus what K counted as paid at go-live, when there is no such
                     u: int_engine_opening_balances, rule 4.12).
      commission   = paid(p) - paid_before(p), paid_before(p) being the earnings to date up to
                     the end of p - 1 with today's credits (the part of credits dated in p);
      restatement  = paid_before(p) - attributed before p (late changes).
    A SPIFF key has one line, `spiff` = paid(p) - attributed before p.
    A key that was paid (or counted as paid at go-live) and no longer earns settles to 0.
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

-- rule 4.12: what quota periods begun before first_period count as paid at go-live
opening as (

    select
        employee_id, plan_id, component_id, quota_period_start, line_kind as kind,
        amount, currency
    from {{ ref('int_engine_opening_balances') }}
    where kind = 'paid_to_date'

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
        sum(amount) as amount,
        min(currency) as currency
    from published_lines
    group by
        employee_id, plan_id, component_id, quota_period_start, period,
        case when line_type = 'spiff' then 'spiff' else 'component' end

),

-- rule 8: a key that was paid and no longer earns (its credits moved to another plan,
-- component or quota period, an assignment was corrected, a component removed, a deal
-- deleted) settles like any other, to 0: it gets a row of zero earnings for every month
published_keys as (

    select
        employee_id, plan_id, component_id, quota_period_start, kind, min(currency) as currency
    from (
        select employee_id, plan_id, component_id, quota_period_start, kind, currency
        from published
        union all
        select employee_id, plan_id, component_id, quota_period_start, kind, currency
        from opening
    ) as paid_keys
    group by employee_id, plan_id, component_id, quota_period_start, kind

),

emptied as (

    select
        published_keys.employee_id,
        published_keys.plan_id,
        published_keys.component_id,
        published_keys.quota_period_start,
        months.period,
        months.month_number,
        published_keys.kind,
        cast(0 as decimal(18, 2)) as due_to_date,
        cast(0 as decimal(18, 2)) as due_before
    from published_keys
    inner join months
        on months.month_end >= published_keys.quota_period_start
    where not exists (
        select 1 from earnings
        where published_keys.employee_id = earnings.employee_id
            and published_keys.plan_id = earnings.plan_id
            and published_keys.component_id = earnings.component_id
            and published_keys.quota_period_start = earnings.quota_period_start
            and published_keys.kind = earnings.kind
    )

),

settled as (

    select * from earnings
    union all
    select * from emptied

),

joined as (

    select
        earnings.*,
        months.is_published,
        cast(coalesce(published.amount, 0) as decimal(18, 2)) as published_amount,
        cast(coalesce(opening.amount, 0) as decimal(18, 2)) as opening_amount

    from settled as earnings
    inner join months
        on earnings.period = months.period
    left join published
        on earnings.employee_id = published.employee_id
        and earnings.plan_id = published.plan_id
        and earnings.component_id = published.component_id
        and earnings.quota_period_start = published.quota_period_start
        and earnings.period = published.period
        and earnings.kind = published.kind
    left join opening
        on earnings.employee_id = opening.employee_id
        and earnings.plan_id = opening.plan_id
        and earnings.component_id = opening.component_id
        and earnings.quota_period_start = opening.quota_period_start
        and earnings.kind = opening.kind

),

running as (

    select
        joined.*,
        -- paid to date by the published months (and, before them, at go-live)
        opening_amount
        + sum(case when is_published then published_amount else 0 end) over w_all
            as published_to_date,
        -- how many unpublished months up to this one: the months after an unpublished month
        -- u, up to the next one, share u's count
        sum(case when is_published then 0 else 1 end) over w_all as unpublished_seen

    from joined
    window w_all as (
        partition by employee_id, plan_id, component_id, quota_period_start, kind
        order by month_number
        rows between unbounded preceding and current row
    )

),

-- the latest unpublished month u up to each month: its due_to_date and published_to_date
-- (the one unpublished month among the rows sharing its count; NULL before any)
latest_unpublished as (

    select
        running.*,
        max(case when not is_published then due_to_date end) over w_since
            as due_at_unpublished,
        max(case when not is_published then published_to_date end) over w_since
            as published_at_unpublished

    from running
    window w_since as (
        partition by employee_id, plan_id, component_id, quota_period_start, kind,
            unpublished_seen
    )

),

-- with u the last unpublished month before p: due_to_date(u) + the published lines since u
-- (published_to_date before p - published_to_date at u); without u, published to date
attributed as (

    select
        latest_unpublished.*,
        coalesce(lag(due_at_unpublished) over w_lag, 0)
        + coalesce(lag(published_to_date) over w_lag, opening_amount)
        - coalesce(lag(published_at_unpublished) over w_lag, 0) as attributed_before

    from latest_unpublished
    window w_lag as (
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
        coalesce(plans.currency, published_keys.currency) as currency,
        lines.due_to_date,
        lines.due_before,
        cast(lines.attributed_before as decimal(18, 2)) as attributed_before

    from lines
    left join plans
        on lines.plan_id = plans.plan_id
    left join published_keys
        on lines.employee_id = published_keys.employee_id
        and lines.plan_id = published_keys.plan_id
        and lines.component_id = published_keys.component_id
        and lines.quota_period_start = published_keys.quota_period_start
        and lines.kind = published_keys.kind

)

select * from final
