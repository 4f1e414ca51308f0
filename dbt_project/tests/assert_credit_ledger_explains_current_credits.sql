{#
    Reconciliation (docs/contract.md sections 6-7): after the first open month's ledger entries,
    every credit_id's amounts summed over what was published and those entries equal its
    current amount when it is dated up to that month's end, and 0 otherwise. Rows returned fail.
#}
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'int_credit_ledger'}}}) }}

with

months as (

    select * from {{ ref('int_engine_months') }}
    where not is_published

),

first_open as (

    select period, month_end from months
    where month_start = (select min(month_start) from months)

),

ledger as (

    select credit_id, amount from {{ source('finance', 'credits') }}
    union all
    select entries.credit_id, entries.amount
    from {{ ref('int_credit_ledger') }} as entries
    inner join first_open on entries.period = first_open.period

),

booked as (

    select credit_id, sum(amount) as amount from ledger group by credit_id

),

current as (

    select credits.credit_id, credits.amount
    from {{ ref('int_credits') }} as credits
    inner join first_open on credits.credit_date <= first_open.month_end

),

compared as (

    select
        coalesce(booked.credit_id, current.credit_id) as credit_id,
        coalesce(booked.amount, 0) as booked_amount,
        coalesce(current.amount, 0) as current_amount
    from booked
    full outer join current on booked.credit_id = current.credit_id

)

select
    credit_id,
    booked_amount,
    current_amount,
    'credit ' || credit_id || ': the ledger sums to ' || booked_amount
        || ' but the credit is ' || current_amount || ' now' as description
from compared
where booked_amount <> current_amount
    and exists (select 1 from first_open)
