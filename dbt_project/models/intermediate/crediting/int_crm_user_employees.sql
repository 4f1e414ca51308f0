with

users as (

    select * from {{ ref('stg_crm__users') }}

),

employees as (

    select * from {{ ref('stg_hris__employees') }}

),

final as (

    select
        users.user_id,
        users.employee_id,
        users.email,
        employees.employee_id is not null as is_known_employee,
        employees.first_name || ' ' || employees.last_name as employee_name

    from users
    left join employees
        on users.employee_id = employees.employee_id

)

select * from final
