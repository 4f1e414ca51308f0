{{ config(materialized='table') }}

with

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

assignments as (

    select * from {{ ref('int_plan_assignment_ranges') }}

),

fx_rates as (

    select * from {{ ref('stg_erp__fx_rates') }}

),

-- every conversion a credit can need: a won deal's currency on its close date into the
-- currency of any assigned plan (a small superset of what credits use)
requests as (

    select
        deal_days.currency as from_currency,
        plan_currencies.plan_currency as to_currency,
        deal_days.close_date as as_of_date

    from (
        select distinct currency, close_date
        from deals
        where is_won and close_date is not null and currency is not null
    ) as deal_days
    cross join (select distinct plan_currency from assignments) as plan_currencies

),

final as (

    {{ fx_rates_asof('requests', 'fx_rates') }}

)

select * from final
