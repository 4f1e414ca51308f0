{{ config(materialized='table') }}

with

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

assignments as (

    select * from {{ ref('int_plan_assignment_ranges') }}

),

invoice_payment_credits as (

    select * from {{ ref('int_invoice_payment_credits') }}

),

fx_rates as (

    select * from {{ ref('stg_erp__fx_rates') }}

),

-- every conversion a credit can need: a won deal's currency on its close date, and an
-- invoice's or payment's currency on its date (rule 4.2), into the currency of any assigned
-- plan (a small superset of what credits use)
event_days as (

    select distinct currency, close_date as event_date
    from deals
    where is_won and close_date is not null and currency is not null

    union

    select distinct source_currency, credit_date
    from invoice_payment_credits

),

requests as (

    select
        event_days.currency as from_currency,
        plan_currencies.plan_currency as to_currency,
        event_days.event_date as as_of_date

    from event_days
    cross join (select distinct plan_currency from assignments) as plan_currencies

),

final as (

    {{ fx_rates_asof('requests', 'fx_rates') }}

)

select * from final
