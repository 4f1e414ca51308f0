with

credits as (

    select * from {{ ref('int_person_credits') }}

),

assignments as (

    select * from {{ ref('int_plan_assignment_ranges') }}

),

employees as (

    select * from {{ ref('stg_hris__employees') }}

),

unassigned as (

    select credits.*
    from credits
    where not exists (
        select 1 from assignments
        where credits.employee_id = assignments.employee_id
            and credits.credit_date >= assignments.valid_from
            and credits.credit_date <= assignments.valid_to
    )

),

final as (

    select
        unassigned.event_type,
        unassigned.event_id,
        unassigned.deal_id,
        unassigned.split_id,
        unassigned.employee_id,
        employees.first_name || ' ' || employees.last_name as employee_name,
        unassigned.credit_type,
        unassigned.rule,
        unassigned.credit_date,
        unassigned.deal_type,
        unassigned.source_amount,
        unassigned.source_currency,
        unassigned.rollup_from_employee_id,
        'no_plan_assignment' as reason,
        coalesce(
            employees.first_name || ' ' || employees.last_name || ' (' || unassigned.employee_id || ')',
            unassigned.employee_id
        ) || ' holds no plan assignment on ' || unassigned.credit_date || ': the '
            || unassigned.credit_type || ' credit of ' || case unassigned.event_type
                when 'deal' then 'deal ' || unassigned.deal_id
                else unassigned.event_type || ' ' || unassigned.event_id || ' of deal '
                    || unassigned.deal_id
            end
            || ' (' || cast(unassigned.source_amount as decimal(38, 2)) || ' '
            || unassigned.source_currency || ') earns nothing' as description

    from unassigned
    left join employees
        on unassigned.employee_id = employees.employee_id

)

select * from final
