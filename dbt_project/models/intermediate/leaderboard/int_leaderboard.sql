{#
    The leaderboard (docs/modelling.md, "The leaderboard"): for every unpublished month, every
    employee and plan with a quota-based component, and the quota period containing the month,
    attainment over the plan's quota-based components (their credit to date summed over their
    quotas summed, so a rep with two quota components is ranked once), ranked among the
    employees of the same role (job title at the month's end) and of the same team (manager at
    the month's end) with the same quota period. Equal attainments share a rank (1, 2, 2, 4).
    Published with the close as finance.leaderboard.
#}

with

attainment as (

    select * from {{ ref('int_engine_attainment') }}

),

components as (

    select * from {{ source('comp', 'plan_components') }}

),

plans as (

    select * from {{ source('comp', 'plans') }}

),

jobs as (

    select * from {{ ref('int_job_history_ranges') }}

),

per_plan as (

    select
        attainment.period,
        attainment.quota_period_start,
        attainment.employee_id,
        attainment.plan_id,
        cast(sum(attainment.credit_to_date) as decimal(38, 10)) as credit_to_date,
        cast(sum(attainment.quota) as decimal(20, 6)) as quota

    from attainment
    inner join components
        on attainment.plan_id = components.plan_id
        and attainment.component_id = components.component_id
    where components.is_quota_based
        and attainment.quota > 0
    group by
        attainment.period, attainment.quota_period_start, attainment.employee_id,
        attainment.plan_id

),

with_roles as (

    select
        per_plan.*,
        plans.currency,
        coalesce(jobs.job_title, '(no job title)') as role,
        jobs.manager_id as team_manager_id,
        {{ engine_ratio('per_plan.credit_to_date', 'per_plan.quota') }} as attainment

    from per_plan
    inner join plans
        on per_plan.plan_id = plans.plan_id
    left join jobs
        on per_plan.employee_id = jobs.employee_id
        and {{ add_days(add_months("cast(per_plan.period || '-01' as date)", 1), -1) }}
            between jobs.valid_from and jobs.valid_to

),

final as (

    select
        period,
        quota_period_start,
        employee_id,
        plan_id,
        role,
        team_manager_id,
        credit_to_date,
        quota,
        currency,
        attainment,
        cast(rank() over (
            partition by period, quota_period_start, role order by attainment desc
        ) as integer) as rank_in_role,
        cast(count(*) over (partition by period, quota_period_start, role) as integer)
            as role_size,
        cast(rank() over (
            partition by period, quota_period_start, team_manager_id order by attainment desc
        ) as integer) as rank_in_team,
        cast(count(*) over (partition by period, quota_period_start, team_manager_id) as integer)
            as team_size

    from with_roles

)

select * from final
