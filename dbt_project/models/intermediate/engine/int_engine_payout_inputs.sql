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

held as (

    select distinct employee_id, period
    from ranked_plans
    where is_held

),

payout_plans as (

    select employee_id, period, plan_id, plan_currency
    from ranked_plans
    where plan_rank = 1

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

currencies as (

    select
        employee_months.employee_id,
        employee_months.period,
        employee_months.month_end,
        payout_plans.plan_id as payout_plan_id,
        coalesce(payout_plans.plan_currency, adjustment_currency.currency) as currency

    from employee_months
    left join payout_plans
        on employee_months.employee_id = payout_plans.employee_id
        and employee_months.period = payout_plans.period
    left join adjustment_currency
        on employee_months.employee_id = adjustment_currency.employee_id

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

-- the payout currency of every month: as published, else as computed today
payout_currencies as (

    select
        employee_months.employee_id,
        employee_months.period,
        employee_months.month_number,
        employee_months.month_end,
        coalesce(published.currency, currencies.currency) as currency
    from employee_months
    left join currencies
        on employee_months.employee_id = currencies.employee_id
        and employee_months.period = currencies.period
    left join published
        on employee_months.employee_id = published.employee_id
        and employee_months.period = published.period
        and employee_months.is_published

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
            currency,
            lag(currency) over w as previous_currency,
            lag(month_end) over w as previous_month_end
        from payout_currencies
        window w as (partition by employee_id order by month_number)
    ) as with_previous
    where previous_currency <> currency

),

opening_conversions as (

    select
        opening_carries.employee_id,
        opening_carries.kind,
        opening_carries.amount,
        opening_carries.currency as from_currency,
        currencies.currency as to_currency,
        {{ add_days('months.month_start', -1) }} as as_of_date
    from opening_carries
    inner join months
        on months.month_number = 1
    inner join payout_currencies as currencies
        on opening_carries.employee_id = currencies.employee_id
        and months.period = currencies.period

),

requests as (

    select distinct
        amounts.from_currency,
        currencies.currency as to_currency,
        currencies.month_end as as_of_date
    from amounts
    inner join currencies
        on amounts.employee_id = currencies.employee_id
        and amounts.period = currencies.period

    union

    select from_currency, to_currency, as_of_date from currency_changes

    union

    select from_currency, to_currency, as_of_date from opening_conversions

),

rates as (

    {{ fx_rates_asof('requests', 'fx_rates') }}

),

converted as (

    select
        amounts.employee_id,
        amounts.period,
        amounts.kind,
        case
            when amounts.from_currency = currencies.currency
                then {{ engine_cents('amounts.amount') }}
            else {{ engine_cents(fx_convert('cast(amounts.amount as decimal(38, 14))', 'rates.fx_rate')) }}
        end as amount

    from amounts
    inner join currencies
        on amounts.employee_id = currencies.employee_id
        and amounts.period = currencies.period
    left join rates
        on amounts.from_currency = rates.from_currency
        and currencies.currency = rates.to_currency
        and currencies.month_end = rates.as_of_date

),

opening_converted as (

    select
        opening_conversions.employee_id,
        sum(case when opening_conversions.kind = 'draw_balance' then {{ engine_cents(fx_convert('cast(opening_conversions.amount as decimal(38, 14))', 'rates.fx_rate')) }} end)
            as opening_draw_balance,
        sum(case when opening_conversions.kind = 'negative_carry' then {{ engine_cents(fx_convert('cast(opening_conversions.amount as decimal(38, 14))', 'rates.fx_rate')) }} end)
            as opening_negative_carry,
        count(*) filter (where rates.fx_rate is null) as missing_rates
    from opening_conversions
    left join rates
        on opening_conversions.from_currency = rates.from_currency
        and opening_conversions.to_currency = rates.to_currency
        and opening_conversions.as_of_date = rates.as_of_date
    group by opening_conversions.employee_id

),

carry_rates as (

    select currency_changes.employee_id, currency_changes.period, rates.fx_rate
    from currency_changes
    left join rates
        on currency_changes.from_currency = rates.from_currency
        and currency_changes.to_currency = rates.to_currency
        and currency_changes.as_of_date = rates.as_of_date

),

totals as (

    select
        employee_id,
        period,
        sum(case when kind in ('commission', 'restatement') then amount end) as commission,
        sum(case when kind = 'spiff' then amount end) as spiff,
        sum(case when kind = 'adjustment' then amount end) as adjustments,
        count(*) filter (where amount is null) as missing_rates,
        count(*) filter (where amount <> 0) as nonzero_amounts
    from converted
    group by employee_id, period

),

final as (

    select
        employee_months.employee_id,
        employee_months.period,
        employee_months.month_number,
        employee_months.is_published,
        payout_currencies.currency,
        currencies.payout_plan_id,
        held.employee_id is not null
            or coalesce(totals.nonzero_amounts, 0) > 0
            or published.employee_id is not null as is_relevant,
        coalesce(totals.missing_rates, 0)
            + case when employee_months.month_number = 1
                then coalesce(opening_converted.missing_rates, 0) else 0 end
            + case when carry_rates.employee_id is not null and carry_rates.fx_rate is null
                then 1 else 0 end as missing_rates,
        cast(case when employee_months.is_published then coalesce(published.commission, 0)
            else coalesce(totals.commission, 0) end as decimal(18, 2)) as commission,
        cast(case when employee_months.is_published then coalesce(published.spiff, 0)
            else coalesce(totals.spiff, 0) end as decimal(18, 2)) as spiff,
        cast(case when employee_months.is_published then coalesce(published.adjustments, 0)
            else coalesce(totals.adjustments, 0) end as decimal(18, 2)) as adjustments,
        -- rule 10: d is the draw of the plan held on the month's last day, else of the last
        -- plan held in the month; holding no plan in the month means d = 0
        cast(case
            when draws.plan_id is not null
                and held.employee_id is not null
                and employee_months.month_start >= draws.from_date
                and employee_months.month_end <= draws.to_date
                then {{ engine_cents('draws.monthly_amount') }}
            else 0
        end as decimal(18, 2)) as draw_amount,
        coalesce(draws.kind = 'recoverable', false) as is_recoverable,
        cast(published.draw_top_up as decimal(18, 2)) as published_draw_top_up,
        cast(published.draw_recovery as decimal(18, 2)) as published_draw_recovery,
        cast(published.negative_carry_in as decimal(18, 2)) as published_negative_carry_in,
        cast(published.net_payout as decimal(18, 2)) as published_net_payout,
        -- month 1 only: the go-live balances in its payout currency
        cast(case when employee_months.month_number = 1
            then coalesce(opening_converted.opening_draw_balance, 0) else 0 end
            as decimal(18, 2)) as opening_draw_balance,
        cast(case when employee_months.month_number = 1
            then coalesce(opening_converted.opening_negative_carry, 0) else 0 end
            as decimal(18, 2)) as opening_negative_carry,
        -- the payout currency differs from the month before's: the rate the draw balance and
        -- the negative carry convert at (NULL when the currency is the same)
        carry_rates.employee_id is not null as is_currency_change,
        carry_rates.fx_rate as carry_fx_rate

    from employee_months
    left join currencies
        on employee_months.employee_id = currencies.employee_id
        and employee_months.period = currencies.period
    left join held
        on employee_months.employee_id = held.employee_id
        and employee_months.period = held.period
    left join totals
        on employee_months.employee_id = totals.employee_id
        and employee_months.period = totals.period
        and not employee_months.is_published
    left join draws
        on currencies.payout_plan_id = draws.plan_id
    left join published
        on employee_months.employee_id = published.employee_id
        and employee_months.period = published.period
        and employee_months.is_published
    left join payout_currencies
        on employee_months.employee_id = payout_currencies.employee_id
        and employee_months.period = payout_currencies.period
    left join opening_converted
        on employee_months.employee_id = opening_converted.employee_id
    left join carry_rates
        on employee_months.employee_id = carry_rates.employee_id
        and employee_months.period = carry_rates.period

)

select * from final
