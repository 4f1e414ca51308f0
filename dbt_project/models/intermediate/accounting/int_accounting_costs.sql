{{ config(materialized='table') }}
{#
    Cost attribution (docs/contract.md 5.1; docs/accounting.md): every cent of a drafted month's
    (int_accounting_months) commission, restatement and SPIFF lines lands on exactly one deal,
    or is expensed;
    draw top-ups, recoveries and adjustments are expensed.

    A line converts into the payout currency as the payout converts it (rule 4.11: the rate of
    the month's last day, rounded to cents per line). It is then split among the deals of its
    key (employee, plan, component or SPIFF, quota period) in proportion to each deal's change
    in credit since the amounts were last paid: the credit ledger's entries of the month
    (int_credit_ledger) of the key, those with a credit date in the month for a commission
    line, those with a credit date before the month (the change against the credits as last
    published) for a restatement line, all of them for a SPIFF line. Where those changes are
    absent or net to zero (a quota or assignment correction, a tier crossing), in proportion
    to each deal's credit to date in the quota period (int_credits dated up to the month's
    end); where that is zero too, the line is expensed unattributed (basis `unattributed`).
    Cents are split by largest remainder: each deal gets the floor of its exact share, and the
    cents left over go one each to the largest remainders, ties by deal_id.
#}

{#- a converted line's columns, carried through the attribution steps; the first six are
    its key, which the windows of the attribution partition by -#}
{%- set line_columns = ['employee_id', 'period', 'cost_type', 'plan_id', 'component_id',
    'quota_period_start', 'source_amount', 'source_currency', 'line_amount', 'currency'] %}
{%- set line_key = line_columns[:6] | join(', ') %}

with

-- the open months drafted with their accounting (int_accounting_months)
months as (

    select * from {{ ref('int_accounting_months') }}

),

lines as (

    select * from {{ ref('int_engine_settlement') }}
    where amount <> 0

),

payout_months as (

    select employee_id, period, currency
    from {{ ref('int_engine_payout_inputs') }}
    where not is_published

),

payouts as (

    select * from {{ ref('int_engine_payouts') }}
    where period in (select period from months)

),

adjustments as (

    select * from {{ ref('int_engine_adjustments') }}

),

ledger as (

    select * from {{ ref('int_credit_ledger') }}

),

credits as (

    select * from {{ ref('int_credits') }}

),

fx_rates as (

    select * from {{ ref('stg_erp__fx_rates') }}

),

-- amounts the payout converts: lines and adjustments, each rounded to cents
amounts as (

    select
        lines.employee_id,
        lines.period,
        lines.line_type as cost_type,
        lines.plan_id,
        lines.component_id,
        lines.quota_period_start,
        cast(null as {{ type_text() }}) as adjustment_id,
        cast(lines.amount as decimal(38, 14)) as source_amount,
        lines.currency as source_currency
    from lines

    union all

    select
        employee_id,
        period,
        'adjustment' as cost_type,
        null,
        null,
        null,
        adjustment_id,
        cast(amount as decimal(38, 14)),
        currency
    from adjustments

),

requests as (

    select distinct
        amounts.source_currency as from_currency,
        payout_months.currency as to_currency,
        months.month_end as as_of_date
    from amounts
    inner join payout_months
        on amounts.employee_id = payout_months.employee_id
        and amounts.period = payout_months.period
    inner join months
        on amounts.period = months.period

),

rates as (

    {{ fx_rates_asof('requests', 'fx_rates') }}

),

converted as (

    select
        amounts.*,
        payout_months.currency,
        case
            when amounts.source_currency = payout_months.currency
                then {{ engine_cents('amounts.source_amount') }}
            else {{ engine_cents(fx_convert('amounts.source_amount', 'rates.fx_rate')) }}
        end as line_amount

    from amounts
    inner join payout_months
        on amounts.employee_id = payout_months.employee_id
        and amounts.period = payout_months.period
    inner join months
        on amounts.period = months.period
    left join rates
        on amounts.source_currency = rates.from_currency
        and payout_months.currency = rates.to_currency
        and months.month_end = rates.as_of_date

),

converted_lines as (

    select * from converted
    where cost_type in ('commission', 'restatement', 'spiff')
        and line_amount <> 0

),

-- each deal's change in credit behind a line: the ledger entries of the month of the line's
-- key (employee, plan, component or SPIFF, quota period), dated in the month for a commission
-- line, before it for a restatement line, all of them for a SPIFF line; a line without any
-- keeps one row (deal NULL). From here on each step reads the one before it once (Spark plans
-- a CTE anew at every reference: docs/scaling.md).
changes as (

    select
        {%- for column in line_columns %}
        converted_lines.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %},
        months.month_end,
        ledger.deal_id,
        sum(ledger.amount) as weight
    from converted_lines
    inner join months
        on converted_lines.period = months.period
    left join ledger
        on converted_lines.employee_id = ledger.employee_id
        and converted_lines.plan_id = ledger.plan_id
        and converted_lines.component_id = ledger.component_id
        and converted_lines.quota_period_start = ledger.quota_period_start
        and converted_lines.period = ledger.period
        and (
            converted_lines.cost_type = 'spiff'
            or (converted_lines.cost_type = 'commission'
                and ledger.credit_date >= months.month_start)
            or (converted_lines.cost_type = 'restatement'
                and ledger.credit_date < months.month_start)
        )
    group by
        {%- for column in line_columns %}
        converted_lines.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %},
        months.month_end,
        ledger.deal_id

),

change_lines as (

    select
        changes.*,
        coalesce(sum(case when weight <> 0 then weight end) over w_line, 0) <> 0 as has_change,
        row_number() over (
            partition by {{ line_key }}
            order by deal_id
        ) as line_row
    from changes
    window w_line as (
        partition by {{ line_key }}
    )

),

-- lines whose changes are absent or net to zero: each deal's credit to date in the quota
-- period instead (int_credits dated up to the month's end)
candidates as (

    select
        {%- for column in line_columns %}
        change_lines.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %},
        case when change_lines.has_change then 'change' else 'credit_to_date' end as basis,
        case when change_lines.has_change then change_lines.deal_id else credits.deal_id end
            as deal_id,
        sum(case when change_lines.has_change then change_lines.weight else credits.amount end)
            as weight
    from change_lines
    left join credits
        on not change_lines.has_change
        and change_lines.line_row = 1
        and change_lines.employee_id = credits.employee_id
        and change_lines.plan_id = credits.plan_id
        and change_lines.component_id = credits.component_id
        and change_lines.quota_period_start = credits.quota_period_start
        and credits.credit_date <= change_lines.month_end
    where change_lines.has_change or change_lines.line_row = 1
    group by
        {%- for column in line_columns %}
        change_lines.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %},
        case when change_lines.has_change then 'change' else 'credit_to_date' end,
        case when change_lines.has_change then change_lines.deal_id else credits.deal_id end

),

-- where neither nets to non-zero, the line is expensed unattributed (one row, no deal)
totalled as (

    select
        candidates.*,
        coalesce(sum(case when weight <> 0 then weight end) over w_line, 0) = 0
            as is_unattributed,
        row_number() over (
            partition by {{ line_key }}
            order by deal_id
        ) as line_row
    from candidates
    window w_line as (
        partition by {{ line_key }}
    )

),

weights as (

    select
        {%- for column in line_columns %}
        {{ column }}{{ ',' if not loop.last }}
        {%- endfor %},
        case when is_unattributed then 'unattributed' else basis end as basis,
        case when is_unattributed then null else deal_id end as deal_id,
        case when is_unattributed then null else weight end as weight
    from totalled
    where (not is_unattributed and weight <> 0)
        or (is_unattributed and line_row = 1)

),

scaled as (

    select
        weights.*,
        cast(line_amount * 100 as {{ type_big_integer() }}) as line_cents,
        {{ engine_scaled_14('weights.weight') }} as weight_units
    from weights

),

normalized as (

    select
        scaled.*,
        case
            when weight_total < 0 then -(line_cents * weight_units)
            else line_cents * weight_units
        end as numerator,
        abs(weight_total) as denominator
    from (
        select
            scaled.*,
            sum(weight_units) over (
                partition by {{ line_key }}
            ) as weight_total
        from scaled
    ) as scaled

),

floored as (

    select
        normalized.*,
        {{ floor_share_cents('numerator', 'denominator') }} as floor_cents
    from normalized

),

ranked as (

    select
        floored.*,
        line_cents - sum(floor_cents) over w_line as leftover_cents,
        row_number() over (
            partition by {{ line_key }}
            order by numerator - floor_cents * denominator desc, deal_id nulls last
        ) as remainder_rank
    from floored
    window w_line as (
        partition by {{ line_key }}
    )

),

-- each deal's share, the cents left over one each to the largest remainders (ties by
-- deal_id); an unattributed line whole
attributed as (

    select
        period, employee_id, cost_type, plan_id, component_id, quota_period_start,
        cast(null as {{ type_text() }}) as adjustment_id,
        deal_id, basis, weight, source_amount, source_currency, line_amount,
        case
            when basis = 'unattributed' then line_amount
            else {{ cents_money('floor_cents + case when remainder_rank <= leftover_cents then 1 else 0 end') }}
        end as amount,
        currency
    from ranked

),

-- not incremental costs: expensed (contract 5.1)
expensed_adjustments as (

    select
        period, employee_id, cost_type, plan_id, component_id, quota_period_start,
        adjustment_id,
        cast(null as {{ type_text() }}) as deal_id,
        cast(null as {{ type_text() }}) as basis,
        cast(null as decimal(38, 14)) as weight,
        source_amount, source_currency, line_amount,
        line_amount as amount,
        currency
    from converted
    where cost_type = 'adjustment'
        and line_amount <> 0

),

draws as (

    select
        period, employee_id, 'draw_top_up' as cost_type,
        cast(null as {{ type_text() }}), cast(null as {{ type_text() }}),
        cast(null as date), cast(null as {{ type_text() }}), cast(null as {{ type_text() }}),
        cast(null as {{ type_text() }}), cast(null as decimal(38, 14)),
        cast(draw_top_up as decimal(38, 14)), currency,
        draw_top_up, draw_top_up, currency
    from payouts
    where draw_top_up <> 0

    union all

    select
        period, employee_id, 'draw_recovery' as cost_type,
        cast(null as {{ type_text() }}), cast(null as {{ type_text() }}),
        cast(null as date), cast(null as {{ type_text() }}), cast(null as {{ type_text() }}),
        cast(null as {{ type_text() }}), cast(null as decimal(38, 14)),
        cast(-draw_recovery as decimal(38, 14)), currency,
        -draw_recovery, -draw_recovery, currency
    from payouts
    where draw_recovery <> 0

),

final as (

    select
        all_costs.period,
        all_costs.employee_id,
        all_costs.cost_type,
        all_costs.plan_id,
        all_costs.component_id,
        all_costs.quota_period_start,
        all_costs.adjustment_id,
        all_costs.deal_id,
        case
            when all_costs.deal_id is not null
                then all_costs.deal_id || '/' || all_costs.employee_id || '/' || all_costs.currency
        end as asset_id,
        all_costs.basis,
        cast(all_costs.weight as decimal(38, 14)) as weight,
        cast(all_costs.source_amount as decimal(38, 14)) as source_amount,
        all_costs.source_currency,
        cast(all_costs.line_amount as decimal(18, 2)) as line_amount,
        cast(all_costs.amount as decimal(18, 2)) as amount,
        all_costs.currency

    from (
        select * from attributed
        union all
        select * from expensed_adjustments
        union all
        select * from draws
    ) as all_costs
    where all_costs.amount <> 0

)

select * from final
