with

components as (

    select * from {{ source('comp', 'plan_components') }}

),

final as (

    select
        plan_id,
        component_id,
        component_number,
        measure,
        deal_types,
        credit_types,
        quota_period,
        rate_method

    from components

)

select * from final
