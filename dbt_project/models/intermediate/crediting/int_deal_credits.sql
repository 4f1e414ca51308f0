{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_deals() }}",
    )
}}
{# Incremental: a nightly build recomputes the credits of changed deals only (macros/incremental.sql). #}
-- depends_on: {{ ref('int_changed_deals') }}

with

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

splits as (

    select * from {{ ref('stg_crm__deal_splits') }}

),

users as (

    select * from {{ ref('int_crm_user_employees') }}

),

closure as (

    select * from {{ ref('int_hierarchy_closure') }}

),

-- won deals that can be credited (staging has already removed deleted deals and splits);
-- won deals without close_date, amount or currency are listed in int_deal_credit_problems
won_deals as (

    select
        deal_id,
        owner_id,
        deal_type,
        close_date,
        cancelled_date,
        amount,
        currency

    from deals
    where is_won
        and close_date is not null
        and amount is not null
        and currency is not null
        {{- only_changed_deals() }}

),

won_splits as (

    select
        splits.split_id,
        splits.deal_id,
        splits.owner_id,
        splits.split_type,
        splits.split_percent

    from splits
    inner join won_deals
        on splits.deal_id = won_deals.deal_id

),

deals_with_revenue_splits as (

    select distinct deal_id
    from won_splits
    where split_type = 'revenue'

),

owner_credits as (

    -- rule 2: the deal owner gets 100% when the deal has no revenue split
    select
        won_deals.deal_id,
        cast(null as {{ type_text() }}) as split_id,
        won_deals.owner_id as crm_user_id,
        'direct' as credit_type,
        'direct_owner' as rule,
        cast(100 as decimal(9, 6)) as split_percent,
        cast(won_deals.amount as decimal(38, 14)) as source_amount

    from won_deals
    where not exists (
        select 1 from deals_with_revenue_splits
        where won_deals.deal_id = deals_with_revenue_splits.deal_id
    )

    union all

    -- rule 2: each revenue split owner gets amount x split_percent / 100 (exact: x 0.01)
    -- and each overlay split owner the same, on top
    select
        won_splits.deal_id,
        won_splits.split_id,
        won_splits.owner_id as crm_user_id,
        case won_splits.split_type when 'revenue' then 'split' else 'overlay' end as credit_type,
        case won_splits.split_type
            when 'revenue' then 'revenue_split' else 'overlay_split'
        end as rule,
        won_splits.split_percent,
        cast(
            won_deals.amount * won_splits.split_percent * cast(0.01 as decimal(3, 2))
            as decimal(38, 14)
        ) as source_amount

    from won_splits
    inner join won_deals
        on won_splits.deal_id = won_deals.deal_id

),

-- CRM users -> employees; an owner that maps to no employee is a problem, not a credit
person_credits as (

    select
        owner_credits.deal_id,
        owner_credits.split_id,
        users.employee_id,
        owner_credits.credit_type,
        owner_credits.rule,
        won_deals.close_date as credit_date,
        won_deals.deal_type,
        owner_credits.split_percent,
        owner_credits.source_amount,
        won_deals.currency as source_currency,
        cast(null as {{ type_text() }}) as rollup_from_employee_id,
        0 as rollup_depth,
        owner_credits.crm_user_id,
        won_deals.cancelled_date

    from owner_credits
    inner join won_deals
        on owner_credits.deal_id = won_deals.deal_id
    inner join users
        on owner_credits.crm_user_id = users.user_id
        and users.is_known_employee

),

-- rule 3: every manager above E on the credit date gets the same amount
rollup_credits as (

    select
        person_credits.deal_id,
        person_credits.split_id,
        closure.ancestor_id as employee_id,
        'rollup' as credit_type,
        'rollup' as rule,
        person_credits.credit_date,
        person_credits.deal_type,
        person_credits.split_percent,
        person_credits.source_amount,
        person_credits.source_currency,
        person_credits.employee_id as rollup_from_employee_id,
        closure.depth as rollup_depth,
        person_credits.crm_user_id,
        person_credits.cancelled_date

    from person_credits
    inner join closure
        on person_credits.employee_id = closure.employee_id
        and person_credits.credit_date >= closure.valid_from
        and person_credits.credit_date <= closure.valid_to
    where person_credits.credit_type in ('direct', 'split')

),

final as (

    select * from person_credits
    union all
    select * from rollup_credits

)

select * from final
