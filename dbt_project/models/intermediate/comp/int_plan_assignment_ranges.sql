{{ config(materialized='table') }}

with

assignments as (

    select * from {{ source('comp', 'plan_assignments') }}

),

plans as (

    select * from {{ source('comp', 'plans') }}

),

final as (

    select
        assignments.employee_id,
        assignments.plan_id,
        assignments.effective_from as valid_from,
        coalesce(
            assignments.effective_end, assignments.effective_to, date '9999-12-31'
        ) as valid_to,
        assignments.effective_to,
        assignments.target_incentive,
        plans.currency as plan_currency,
        plans.clawback_window_days,
        plans.effective_from as plan_effective_from,
        plans.effective_to as plan_effective_to

    from assignments
    inner join plans
        on assignments.plan_id = plans.plan_id

)

select * from final
