{{ config(materialized='table') }}
{#
    Rules 10-11 inputs, one row per employee and month from first_period to through_period
    (dense, so that draw balances and negative carry-ins can be carried month to month):
      payout plan and currency: the plan held on the month's last day, else the last plan
        held in the month, else (no plan in the month) the latest plan held before it, else
        the first plan held after it; an employee with no plan pays in the adjustment currency;
      commission, spiff: the month's lines converted into the payout currency at the rate of
        the month's last day (macro fx_rates_asof), each line rounded half away from zero to
        cents, then summed;
      draw (d) and its kind: the draw of the payout plan when the month lies in [from, to];
      adjustments: comp.adjustments of the month, converted like lines;
      is_relevant: the employee holds a plan on a day of the month, or has a non-zero line or
        adjustment in it (fct_payouts keeps these rows and those with a carry);
      published months: the published finance.payouts row instead (is_published).
#}

with

months as (

    select * from {{ ref('int_engine_months') }}

),

lines as (

    select * from {{ ref('int_engine_settlement') }}
    where amount <> 0

),

assignments as (

    select * from {{ ref('int_plan_assignment_ranges') }}

),

draws as (

    select * from {{ source('comp', 'plan_draws') }}

),

adjustments as (

    select * from {{ ref('int_engine_adjustments') }}

),

published as (

    select * from {{ source('finance', 'payouts') }}

),

fx_rates as (

    select * from {{ ref('stg_erp__fx_rates') }}

),

-- rule 4.12: draw balances and negative carry at go-live (comp/opening_balances.csv)
opening_carries as (

    select employee_id, kind, amount, currency
    from {{ ref('int_engine_opening_balances') }}
    where kind in ('draw_balance', 'negative_carry')

),

employees as (

    select employee_id from assignments
    union
    select employee_id from lines
    union
    select employee_id from adjustments
    union
    select employee_id from published
    union
    select employee_id from opening_carries

),

employee_months as (

    select employees.employee_id, months.*
    from employees
    cross join months

),

ranked_plans as (

    select
        employee_months.employee_id,
        employee_months.period,
        assignments.plan_id,
        assignments.plan_currency,
        assignments.valid_from <= employee_months.month_end
            and assignments.valid_to >= employee_months.month_start as is_held,
        row_number() over (
            partition by employee_months.employee_id, employee_months.period
            order by
                case
                    when employee_months.month_end between assignments.valid_from
                        and assignments.valid_to then 1
                    when assignments.valid_from <= employee_months.month_end
                        and assignments.valid_to >= employee_months.month_start then 2
                    when assignments.valid_from <= employee_months.month_end then 3
                    else 4
                end,
                case when assignments.valid_from <= employee_months.month_end
                    then assignments.valid_from end desc nulls last,
                assignments.valid_from
        ) as plan_rank

    from employee_months
    inner join assignments
        on employee_months.employee_id = assignments.employee_id

),

-- per employee and month: the payout plan (rank 1) and whether any plan is held in the month
plan_months as (

    select
        employee_id,
        period,
        max(case when plan_rank = 1 then plan_id end) as payout_plan_id,
        max(case when plan_rank = 1 then plan_currency end) as plan_currency,
        max(case when is_held then 1 else 0 end) = 1 as is_held
    from ranked_plans
    group by employee_id, period

),

adjustment_currency as (

    select employee_id, min(currency) as currency
    from (
        select employee_id, currency from adjustments
        union all
        select employee_id, currency from opening_carries
    ) as paid_currencies
    group by employee_id

),
-- every employee month with its payout plan and currency: the currency computed today (the
-- one a draft converts into), and the payout currency (as published, else as computed today);
-- one CTE the later steps share (Spark plans a CTE anew at each reference: docs/scaling.md)
grid as (

    select
        employee_months.employee_id,
        employee_months.period,
        employee_months.month_number,
        employee_months.month_start,
        employee_months.month_end,
        employee_months.is_published,
        plan_months.payout_plan_id,
        coalesce(plan_months.is_held, false) as is_held,
        coalesce(plan_months.plan_currency, adjustment_currency.currency) as currency,
        coalesce(
            published.currency, plan_months.plan_currency, adjustment_currency.currency
        ) as payout_currency,
        published.employee_id is not null as has_published,
        published.commission as published_commission,
        published.spiff as published_spiff,
        published.adjustments as published_adjustments,
        published.draw_top_up as published_draw_top_up,
        published.draw_recovery as published_draw_recovery,
        published.negative_carry_in as published_negative_carry_in,
        published.net_payout as published_net_payout
    from employee_months
    left join plan_months
        on employee_months.employee_id = plan_months.employee_id
        and employee_months.period = plan_months.period
    left join adjustment_currency
        on employee_months.employee_id = adjustment_currency.employee_id
    left join published
        on employee_months.employee_id = published.employee_id
        and employee_months.period = published.period
        and employee_months.is_published

),

-- amounts to convert: lines and adjustments of unpublished months
amounts as (

    select employee_id, period, currency as from_currency, line_type as kind, amount
    from lines

    union all

    select employee_id, period, currency as from_currency, 'adjustment' as kind,
        cast(amount as decimal(38, 14)) as amount
    from adjustments

),

-- rule 11: a draw balance or negative carry moving into a month of another payout currency
-- converts at the rate of the last day of the month it carries out of (at go-live: the last
-- day before first_period)
currency_changes as (

    select
        employee_id,
        period,
        previous_currency as from_currency,
        currency as to_currency,
        previous_month_end as as_of_date
    from (
        select
            employee_id,
            period,
            payout_currency as currency,
            lag(payout_currency) over w as previous_currency,
            lag(month_end) over w as previous_month_end
        from grid
        window w as (partition by employee_id order by month_number)
    ) as with_previous
    where previous_currency <> currency

),

opening_conversions as (

    select
        opening_carries.employee_id,
        grid.period,
        opening_carries.kind,
        opening_carries.amount,
        opening_carries.currency as from_currency,
        grid.payout_currency as to_currency,
        {{ add_days('grid.month_start', -1) }} as as_of_date
    from opening_carries
    inner join grid
        on opening_carries.employee_id = grid.employee_id
        and grid.month_number = 1

),

-- every conversion the months need, in one relation, so the rates are looked up once: the
-- lines and adjustments of unpublished months (into the currency computed today, at the
-- month's last day), the go-live balances (rule 4.12) and the carries into a month of another
-- payout currency (rule 11; no amount, the rate only)
conversions as (

    select
        amounts.employee_id,
        amounts.period,
        amounts.kind,
        cast(amounts.amount as decimal(38, 14)) as amount,
        amounts.from_currency,
        grid.currency as to_currency,
        grid.month_end as as_of_date
    from amounts
    inner join grid
        on amounts.employee_id = grid.employee_id
        and amounts.period = grid.period

    union all

    select
        employee_id,
        period,
        kind,
        cast(amount as decimal(38, 14)),
        from_currency,
        to_currency,
        as_of_date
    from opening_conversions

    union all

    select
        employee_id,
        period,
        'currency_change' as kind,
        cast(null as decimal(38, 14)),
        from_currency,
        to_currency,
        as_of_date
    from currency_changes

),

rates as (

    {{ fx_rates_asof('conversions', 'fx_rates') }}

),

converted as (

    select
        conversions.employee_id,
        conversions.period,
        conversions.kind,
        rates.fx_rate,
        case
            when conversions.kind = 'currency_change' then null
            when conversions.kind in ('draw_balance', 'negative_carry')
                then {{ engine_cents(fx_convert('conversions.amount', 'rates.fx_rate')) }}
            when conversions.from_currency = conversions.to_currency
                then {{ engine_cents('conversions.amount') }}
            else {{ engine_cents(fx_convert('conversions.amount', 'rates.fx_rate')) }}
        end as amount
    from conversions
    left join rates
        on conversions.from_currency = rates.from_currency
        and conversions.to_currency = rates.to_currency
        and conversions.as_of_date = rates.as_of_date

),

-- per employee and month: the lines and adjustments converted and summed, the go-live
-- balances (month 1 only), and the rate a carry into the month converts at
totals as (

    select
        employee_id,
        period,
        sum(case when kind in ('commission', 'restatement') then amount end) as commission,
        sum(case when kind = 'spiff' then amount end) as spiff,
        sum(case when kind = 'adjustment' then amount end) as adjustments,
        count(case when kind in ('commission', 'restatement', 'spiff', 'adjustment')
            and amount is null then 1 end) as missing_rates,
        count(case when kind in ('commission', 'restatement', 'spiff', 'adjustment')
            and amount <> 0 then 1 end) as nonzero_amounts,
        sum(case when kind = 'draw_balance' then amount end) as opening_draw_balance,
        sum(case when kind = 'negative_carry' then amount end) as opening_negative_carry,
        count(case when kind in ('draw_balance', 'negative_carry')
            and fx_rate is null then 1 end) as opening_missing_rates,
        count(case when kind = 'currency_change' then 1 end) > 0 as is_currency_change,
        max(case when kind = 'currency_change' then fx_rate end) as carry_fx_rate
    from converted
    group by employee_id, period

),

final as (

    select
        grid.employee_id,
        grid.period,
        grid.month_number,
        grid.is_published,
        grid.payout_currency as currency,
        grid.payout_plan_id,
        grid.is_held
            or (not grid.is_published and coalesce(totals.nonzero_amounts, 0) > 0)
            or grid.has_published as is_relevant,
        case when grid.is_published then 0 else coalesce(totals.missing_rates, 0) end
            + case when grid.month_number = 1
                then coalesce(totals.opening_missing_rates, 0) else 0 end
            + case when totals.is_currency_change and totals.carry_fx_rate is null
                then 1 else 0 end as missing_rates,
        cast(case when grid.is_published then coalesce(grid.published_commission, 0)
            else coalesce(totals.commission, 0) end as decimal(18, 2)) as commission,
        cast(case when grid.is_published then coalesce(grid.published_spiff, 0)
            else coalesce(totals.spiff, 0) end as decimal(18, 2)) as spiff,
        cast(case when grid.is_published then coalesce(grid.published_adjustments, 0)
            else coalesce(totals.adjustments, 0) end as decimal(18, 2)) as adjustments,
        -- rule 10: d is the draw of the plan held on the month's last day, else of the last
        -- plan held in the month; holding no plan in the month means d = 0
        cast(case
            when draws.plan_id is not null
                and grid.is_held
                and grid.month_start >= draws.from_date
                and grid.month_end <= draws.to_date
                then {{ engine_cents('draws.monthly_amount') }}
            else 0
        end as decimal(18, 2)) as draw_amount,
        coalesce(draws.kind = 'recoverable', false) as is_recoverable,
        cast(grid.published_draw_top_up as decimal(18, 2)) as published_draw_top_up,
        cast(grid.published_draw_recovery as decimal(18, 2)) as published_draw_recovery,
        cast(grid.published_negative_carry_in as decimal(18, 2)) as published_negative_carry_in,
        cast(grid.published_net_payout as decimal(18, 2)) as published_net_payout,
        -- month 1 only: the go-live balances in its payout currency
        cast(case when grid.month_number = 1
            then coalesce(totals.opening_draw_balance, 0) else 0 end
            as decimal(18, 2)) as opening_draw_balance,
        cast(case when grid.month_number = 1
            then coalesce(totals.opening_negative_carry, 0) else 0 end
            as decimal(18, 2)) as opening_negative_carry,
        -- the payout currency differs from the month before's: the rate the draw balance and
        -- the negative carry convert at (NULL when the currency is the same)
        coalesce(totals.is_currency_change, false) as is_currency_change,
        cast(totals.carry_fx_rate as decimal(24, 12)) as carry_fx_rate

    from grid
    left join totals
        on grid.employee_id = totals.employee_id
        and grid.period = totals.period
    left join draws
        on grid.payout_plan_id = draws.plan_id

)

select * from final
