{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_deals() }}",
    )
}}
{# Incremental: a nightly build looks again at the changed deals only (macros/incremental.sql). #}
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

won_deals as (

    select * from deals
    where is_won
        {{- only_changed_deals() }}

),

won_splits as (

    select splits.*
    from splits
    inner join won_deals
        on splits.deal_id = won_deals.deal_id

),

-- one row per missing or wrong field of a won deal
incomplete_fields as (

    select deal_id, owner_id, amount, 'missing_close_date' as kind
    from won_deals where close_date is null
    union all
    select deal_id, owner_id, amount, 'missing_amount' as kind
    from won_deals where amount is null
    union all
    select deal_id, owner_id, amount, 'missing_currency' as kind
    from won_deals where currency is null
    union all
    select deal_id, owner_id, amount, 'negative_amount' as kind
    from won_deals where amount < 0

),

incomplete_deals as (

    select
        deal_id,
        cast(null as {{ type_text() }}) as split_id,
        owner_id as crm_user_id,
        kind,
        'won deal ' || deal_id || ' ' || case kind
            when 'missing_close_date' then 'has no close_date'
            when 'missing_amount' then 'has no amount'
            when 'missing_currency' then 'has no currency'
            when 'negative_amount' then 'has a negative amount ('
                || {{ decimal_text('amount') }} || ')'
        end as description

    from incomplete_fields

),

owners as (

    select
        deal_id,
        cast(null as {{ type_text() }}) as split_id,
        owner_id as crm_user_id,
        'owner_not_employee' as kind,
        'won deal ' || deal_id as subject

    from won_deals

    union all

    select
        deal_id,
        split_id,
        owner_id as crm_user_id,
        'split_owner_not_employee' as kind,
        split_type || ' split ' || split_id || ' of won deal ' || deal_id as subject

    from won_splits

),

unmapped_owners as (

    select
        owners.deal_id,
        owners.split_id,
        owners.crm_user_id,
        owners.kind,
        owners.subject || ': owner ' || owners.crm_user_id || case
            when users.user_id is null then ' is no CRM user (crm/users)'
            when users.employee_id is null then ' (CRM user) has no employee_id'
            else ' (CRM user) maps to employee ' || users.employee_id
                || ', who is not in hris/employees'
        end as description

    from owners
    left join users
        on owners.crm_user_id = users.user_id
    where users.is_known_employee is not true

),

revenue_split_totals as (

    select
        deal_id,
        sum(split_percent) as split_total,
        count(*) as split_count

    from won_splits
    where split_type = 'revenue'
    group by deal_id

),

split_totals_off as (

    select
        deal_id,
        cast(null as {{ type_text() }}) as split_id,
        cast(null as {{ type_text() }}) as crm_user_id,
        'revenue_splits_not_100' as kind,
        'revenue splits of won deal ' || deal_id || ' sum to '
            || {{ decimal_text('split_total') }}
            || ' (' || split_count || case when split_count = 1 then ' split' else ' splits' end
            || '), not 100' as description

    from revenue_split_totals
    where abs(split_total - 100) > 0.01

),

final as (

    select * from incomplete_deals
    union all
    select * from unmapped_owners
    union all
    select * from split_totals_off

)

select * from final
