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

{%- set columns = [
    'deal_id', 'split_id', 'employee_id', 'credit_type', 'rule', 'credit_date', 'deal_type',
    'split_percent', 'source_amount', 'source_currency', 'rollup_from_employee_id',
    'rollup_depth', 'crm_user_id', 'cancelled_date',
] %}

final as (

    select 'deal' as event_type, deal_id as event_id, {{ columns | join(', ') }}
    from deal_credits
    union all
    select event_type, event_id, {{ columns | join(', ') }}
    from invoice_payment_credits

)

select * from final
