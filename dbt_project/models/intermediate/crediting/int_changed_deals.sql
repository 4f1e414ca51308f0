{#
    The deals whose credits an incremental build recomputes (macros/incremental.sql): every
    deal a new deal batch delivers; every deal a split of a new split batch belongs to; every
    deal an invoice of a new invoice batch belongs to; and every deal whose invoice a payment
    of a new payment batch pays. Each "belongs to" reads every version in raw, now or earlier,
    so a split, invoice or payment moved from one deal (or invoice) to another changes both.
#}

with

new_deals as (

    {{ new_batch_keys('crm__deals', 'deal_id') }}

),

new_splits as (

    {{ new_batch_keys('crm__deal_splits', 'split_id') }}

),

new_invoices as (

    {{ new_batch_keys('erp__invoices', 'invoice_id') }}

),

new_payments as (

    {{ new_batch_keys('erp__payments', 'payment_id') }}

),

deals_of_new_splits as (

    select distinct {{ to_string('deal_id') }} as deal_id
    from {{ source('raw', 'crm__deal_splits') }}
    where {{ to_string('split_id') }} in (select * from new_splits)

),

-- the invoices the new payments pay, in any of the payments' versions
invoices_of_new_payments as (

    select distinct {{ to_string('invoice_id') }} as invoice_id
    from {{ source('raw', 'erp__payments') }}
    where {{ to_string('payment_id') }} in (select * from new_payments)

),

deals_of_changed_invoices as (

    select distinct {{ to_string('deal_id') }} as deal_id
    from {{ source('raw', 'erp__invoices') }}
    where {{ to_string('invoice_id') }} in (
        select * from new_invoices
        union
        select * from invoices_of_new_payments
    )

),

final as (

    select deal_id
    from (
        select * from new_deals
        union
        select * from deals_of_new_splits
        union
        select * from deals_of_changed_invoices
    ) as changed (deal_id)

)

select deal_id from final
where deal_id is not null
