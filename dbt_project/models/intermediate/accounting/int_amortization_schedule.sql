{{ config(materialized='table') }}
{#
    The amortization scheduled for each of the next 12 months after every unpublished month's
    close (docs/contract.md 5.6; finance.amortization_schedule, extension): what finance
    forecasts commission amortization from, per currency. Each layer's closing balance
    amortizes by its monthly amount, the residual in its last month; a cancellation or a
    write-down not known yet is not scheduled. Month 1 .. 12 sum to the current portion.
#}

with

layer_months as (

    select * from {{ ref('int_accounting_layer_months') }}
    where closing <> 0

),

ahead as (

    select
        layer_months.period,
        layer_months.currency,
        steps.months_ahead,
        layer_months.month_index + steps.months_ahead as schedule_index,
        {{ layer_amortized_through('layer_months.closing', 'layer_months.month_index + 1', 'layer_months.monthly_amount', 'layer_months.first_index', 'layer_months.last_index', 'layer_months.month_index + steps.months_ahead') }}
        - {{ layer_amortized_through('layer_months.closing', 'layer_months.month_index + 1', 'layer_months.monthly_amount', 'layer_months.first_index', 'layer_months.last_index', 'layer_months.month_index + steps.months_ahead - 1') }}
            as amount

    from layer_months
    cross join (select unnest(range(1, 13)) as months_ahead) as steps

),

final as (

    select
        period,
        currency,
        {{ index_period('schedule_index') }} as schedule_period,
        cast(months_ahead as integer) as months_ahead,
        cast(sum(amount) as decimal(18, 2)) as amount

    from ahead
    where amount <> 0
    group by period, currency, schedule_index, months_ahead

)

select * from final
