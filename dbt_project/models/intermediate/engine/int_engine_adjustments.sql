{#
    The manual adjustments each unpublished month's close pays (docs/contract.md section 3):
    the rows of comp/adjustments.csv for that month. The close records them, with their ids,
    in finance.adjustments; a row that appears or changes afterwards can never be paid
    (int_adjustment_problems blocks it).
#}

with

adjustments as (

    select * from {{ source('comp', 'adjustments') }}

),

months as (

    select * from {{ ref('int_engine_months') }}

),

final as (

    select
        adjustments.adjustment_id,
        adjustments.employee_id,
        adjustments.period,
        cast(adjustments.amount as decimal(20, 6)) as amount,
        adjustments.currency,
        adjustments.reason,
        adjustments.source_row

    from adjustments
    inner join months
        on adjustments.period = months.period
    where not months.is_published

)

select * from final
