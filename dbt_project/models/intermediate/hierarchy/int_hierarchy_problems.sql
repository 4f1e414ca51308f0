with

links as (

    select * from {{ ref('int_manager_links') }}

),

paths as (

    select * from {{ ref('int_hierarchy_paths') }}

),

employees as (

    select
        employee_id,
        first_name || ' ' || last_name || ' (' || employee_id || ')' as display_name,
        first_name || ' ' || last_name as employee_name

    from {{ ref('stg_hris__employees') }}

),

unknown_managers as (

    select
        links.employee_id,
        links.manager_id,
        'unknown_manager' as kind,
        links.valid_from,
        links.valid_to,
        cast(null as {{ type_text_list() }}) as path

    from links
    where not links.is_known_manager

),

-- a walk that comes back to the employee it started from: the employee is in the cycle
-- (employees below a cycle reach it too, but only its members are listed)
cycles as (

    select
        employee_id,
        {{ list_element('path', 2) }} as manager_id,
        'cycle' as kind,
        valid_from,
        valid_to,
        path

    from paths
    where is_cycle
        and ancestor_id = employee_id

),

cycle_names as (

    select
        cycles.employee_id,
        cycles.valid_from,
        {{ ordered_text_agg('coalesce(employees.display_name, steps.step_id)', ' -> ', 'steps.step_number') }}
            as path_names

    from cycles
    cross join {{ unnest_with_position('cycles.path', 'steps', 'step_id', 'step_number') }}
    left join employees
        on steps.step_id = employees.employee_id
    group by cycles.employee_id, cycles.valid_from

),

problems as (

    select * from unknown_managers
    union all
    select * from cycles

),

final as (

    select
        problems.employee_id,
        employees.employee_name,
        problems.manager_id,
        problems.kind,
        problems.valid_from,
        problems.valid_to,
        case problems.kind
            when 'unknown_manager' then
                coalesce(employees.display_name, problems.employee_id)
                || ' reports to manager_id ' || problems.manager_id
                || ', who is no employee (hris/job_history, '
                || problems.valid_from || ' to '
                || case when problems.valid_to = date '9999-12-31' then 'open'
                    else cast(problems.valid_to as {{ type_text() }}) end
                || ')'
            else
                'hierarchy cycle from ' || problems.valid_from || ' to '
                || case when problems.valid_to = date '9999-12-31' then 'open'
                    else cast(problems.valid_to as {{ type_text() }}) end
                || ': ' || cycle_names.path_names
        end as description

    from problems
    left join employees
        on problems.employee_id = employees.employee_id
    left join cycle_names
        on problems.employee_id = cycle_names.employee_id
        and problems.valid_from = cycle_names.valid_from
        and problems.kind = 'cycle'

)

select * from final
