{{ config(materialized='table') }}

with

job_history as (

    select * from {{ ref('stg_hris__job_history') }}

),

ranges as (

    select
        employee_id,
        effective_date as valid_from,
        coalesce(
            lead(effective_date) over (
                partition by employee_id
                order by effective_date
            ) - 1,
            date '9999-12-31'
        ) as valid_to,
        job_title,
        manager_id,
        department,
        country,
        status

    from job_history

),

final as (

    select
        *,
        valid_to = date '9999-12-31' as is_current

    from ranges

)

select * from final
