{{ config(materialized='table') }}

with

job_ranges as (

    select * from {{ ref('int_job_history_ranges') }}

),

employees as (

    select * from {{ ref('stg_hris__employees') }}

),

-- consecutive job rows with the same manager (a new title, a department move) form one link
islands as (

    select
        *,
        sum(case when manager_changed then 1 else 0 end) over (
            partition by employee_id
            order by valid_from
            rows between unbounded preceding and current row
        ) as island

    from (
        select
            employee_id,
            manager_id,
            valid_from,
            valid_to,
            manager_id is distinct from lag(manager_id) over (
                partition by employee_id
                order by valid_from
            ) as manager_changed

        from job_ranges
    ) as flagged

),

links as (

    select
        employee_id,
        manager_id,
        min(valid_from) as valid_from,
        max(valid_to) as valid_to

    from islands
    where manager_id is not null
    group by employee_id, manager_id, island

),

final as (

    select
        links.employee_id,
        links.manager_id,
        links.valid_from,
        links.valid_to,
        managers.employee_id is not null as is_known_manager

    from links
    left join employees as managers
        on links.manager_id = managers.employee_id

)

select * from final
