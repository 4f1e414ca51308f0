{#
    Every person-credit of every event of a won deal (rules 2, 3 and 4.2), before plans: the
    deal itself (int_deal_credits, event_type 'deal', event_id = deal_id, measure bookings)
    and its invoices and payments (int_invoice_payment_credits, measures billings and
    collections). credit_date is the event's date.
#}

with

deal_credits as (

    select * from {{ ref('int_deal_credits') }}

),

invoice_payment_credits as (

    select * from {{ ref('int_invoice_payment_credits') }}

),

final as (

    select 'deal' as event_type, deal_id as event_id, * from deal_credits
    union all by name
    select * from invoice_payment_credits

)

select * from final
