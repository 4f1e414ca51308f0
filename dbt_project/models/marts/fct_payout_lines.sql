{#
    Draft payout lines (docs/engine-interface.md): the commission, restatement and SPIFF lines
    of every unpublished month from first_period to through_period, in plan currency, rounded
    half away from zero to cents (int_engine_settlement). Zero lines are left out.
#}

with

settlement as (

    select * from {{ ref('int_engine_settlement') }}

),

final as (

    select
        employee_id,
        period,
        plan_id,
        component_id,
        quota_period_start,
        line_type,
        amount,
        currency

    from settlement
    where amount <> 0

)

select * from final
