{#
    Every credit of int_component_credits in its quota period (rule 6): the quota period of its component
    that contains the credit date; a reversal dated after the plan's end counts in the plan's last
    quota period (rule 5).
#}

with

credits as (

    select * from {{ ref('int_component_credits') }}

),

quota_periods as (

    select * from {{ source('comp', 'quota_periods') }}
    where source = 'component'

),

last_periods as (

    select plan_id, component_id, max(period_start) as period_start
    from quota_periods
    group by plan_id, component_id

),

final as (

    select
        credits.*,
        coalesce(containing.period_start, last_periods.period_start) as quota_period_start

    from credits
    left join quota_periods as containing
        on credits.plan_id = containing.plan_id
        and credits.component_id = containing.component_id
        and credits.credit_date between containing.period_start and containing.period_end
    left join last_periods
        on credits.plan_id = last_periods.plan_id
        and credits.component_id = last_periods.component_id

)

select * from final
