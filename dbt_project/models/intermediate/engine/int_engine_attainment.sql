{#
    Rules 6-7: attainment (docs/engine-interface.md) for every unpublished month, every
    component of a plan the employee holds on any day of the month (and every component with a
    credit of the employee dated in the month), the quota period containing the month, credit
    to date, quota, attainment (quota-based components) and earnings to date (after the cap).
#}

with

earnings as (

    select * from {{ ref('int_engine_component_earnings') }}

),

months as (

    select * from {{ ref('int_engine_months') }}

),

assignments as (

    select * from {{ ref('int_plan_assignment_ranges') }}

),

held as (

    select distinct
        earnings.employee_id, earnings.plan_id, earnings.period
    from earnings
    inner join assignments
        on earnings.employee_id = assignments.employee_id
        and earnings.plan_id = assignments.plan_id
        and assignments.valid_from <= earnings.month_end
        and assignments.valid_to >= earnings.month_start

),

final as (

    select
        earnings.employee_id,
        earnings.plan_id,
        earnings.component_id,
        earnings.period,
        earnings.quota_period_start,
        cast(earnings.credit_to_date as decimal(38, 10)) as credit_to_date,
        cast(earnings.quota as decimal(20, 6)) as quota,
        earnings.attainment,
        cast(earnings.earnings_to_date as decimal(38, 10)) as earnings_to_date

    from earnings
    inner join months
        on earnings.period = months.period
    left join held
        on earnings.employee_id = held.employee_id
        and earnings.plan_id = held.plan_id
        and earnings.period = held.period
    where not months.is_published
        and earnings.month_start <= earnings.quota_period_end
        and (held.employee_id is not null or earnings.credit_in_month <> 0)

)

select * from final
