{{ config(materialized='table') }}
{#
    Invoices and payments that do not fit the deals and invoices delivered (docs/contract.md
    section 6, rule 4.2; docs/crediting.md, "Measures"), each with the file and row of its
    latest version:
      unknown_deal             an invoice (not void) names a deal that no crm/deals batch ever
                               delivered;
      unknown_invoice          a payment names an invoice that no erp/invoices batch ever
                               delivered;
        both block the close (is_blocking) when any plan has a billings or collections
        component, since money then depends on them, and are warnings otherwise;
      payment_exceeds_invoice  the payments of an invoice in its currency add up to more than
                               its amount (a warning; listed at the latest payment).
    A deal or invoice delivered and later deleted or lost is known: by rule its invoices and
    payments credit nothing, and nothing is listed.
#}

with

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

payments as (

    select * from {{ ref('stg_erp__payments') }}

),

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

-- the references staging does not resolve (usually none), then those never delivered at all:
-- a deal or invoice delivered and deleted later is known
unresolved_deals as (

    select invoices.*
    from invoices
    where invoices.status <> 'void'
        and not exists (select 1 from deals where invoices.deal_id = deals.deal_id)

),

unresolved_invoices as (

    select payments.*
    from payments
    where not exists (
        select 1 from invoices where payments.invoice_id = invoices.invoice_id
    )

),

delivered_deals as (

    select distinct {{ to_string('deal_id') }} as deal_id
    from {{ source('raw', 'crm__deals') }}
    where {{ to_string('deal_id') }} in (select deal_id from unresolved_deals)

),

delivered_invoices as (

    select distinct {{ to_string('invoice_id') }} as invoice_id
    from {{ source('raw', 'erp__invoices') }}
    where {{ to_string('invoice_id') }} in (select invoice_id from unresolved_invoices)

),

settings as (

    select ({{ measure_in_use('billings') }} or {{ measure_in_use('collections') }})
        as is_blocking

),

unknown_deals as (

    select
        'unknown_deal' as kind,
        unresolved_deals.source_file,
        unresolved_deals.source_row,
        unresolved_deals.deal_id,
        unresolved_deals.invoice_id,
        cast(null as {{ type_text() }}) as payment_id

    from unresolved_deals
    where not exists (
        select 1 from delivered_deals where unresolved_deals.deal_id = delivered_deals.deal_id
    )

),

unknown_invoices as (

    select
        'unknown_invoice' as kind,
        unresolved_invoices.source_file,
        unresolved_invoices.source_row,
        cast(null as {{ type_text() }}) as deal_id,
        unresolved_invoices.invoice_id,
        unresolved_invoices.payment_id

    from unresolved_invoices
    where not exists (
        select 1 from delivered_invoices
        where unresolved_invoices.invoice_id = delivered_invoices.invoice_id
    )

),

unknown as (

    select
        unknown_deals.*,
        'invoice ' || invoice_id || ' names deal ' || deal_id
            || ', which no crm/deals batch holds' as subject,
        'the invoice and its payments cannot be credited' as consequence
    from unknown_deals

    union all

    select
        unknown_invoices.*,
        'payment ' || payment_id || ' names invoice ' || invoice_id
            || ', which no erp/invoices batch holds' as subject,
        'the payment cannot be credited' as consequence
    from unknown_invoices

),

payment_totals as (

    select
        invoice_id,
        currency,
        sum(amount) as paid,
        count(*) as payment_count

    from payments
    group by invoice_id, currency

),

exceeding as (

    select payment_totals.*
    from payment_totals
    inner join invoices
        on payment_totals.invoice_id = invoices.invoice_id
        and payment_totals.currency = invoices.currency
    where (invoices.amount >= 0 and payment_totals.paid > invoices.amount)
        or (invoices.amount < 0 and payment_totals.paid < invoices.amount)

),

-- listed at the payment that went over: the latest one
latest_payments as (

    select *
    from (
        select
            payments.*,
            row_number() over (
                partition by payments.invoice_id, payments.currency
                order by payments.payment_date desc, payments.payment_id desc
            ) as payment_rank
        from payments
        where exists (
            select 1 from exceeding
            where payments.invoice_id = exceeding.invoice_id
                and payments.currency = exceeding.currency
        )
    ) as ranked
    where payment_rank = 1

),

overpaid as (

    select
        'payment_exceeds_invoice' as kind,
        latest_payments.source_file,
        latest_payments.source_row,
        invoices.deal_id,
        invoices.invoice_id,
        latest_payments.payment_id,
        false as is_blocking,
        'the ' || payment_totals.payment_count || case when payment_totals.payment_count = 1
            then ' payment' else ' payments' end
            || ' of invoice ' || invoices.invoice_id || ' add up to '
            || cast(payment_totals.paid as decimal(38, 2)) || ' ' || payment_totals.currency
            || ', more than its amount (' || cast(invoices.amount as decimal(38, 2)) || ' '
            || invoices.currency || ')' as description

    from exceeding as payment_totals
    inner join invoices
        on payment_totals.invoice_id = invoices.invoice_id
    inner join latest_payments
        on payment_totals.invoice_id = latest_payments.invoice_id
        and payment_totals.currency = latest_payments.currency

),

final as (

    select
        unknown.kind,
        unknown.source_file,
        unknown.source_row,
        unknown.deal_id,
        unknown.invoice_id,
        unknown.payment_id,
        settings.is_blocking,
        unknown.subject || case
            when settings.is_blocking then ': ' || unknown.consequence
            else ' (no plan pays on billings or collections: nothing depends on it yet)'
        end as description

    from unknown
    cross join settings

    union all

    select * from overpaid

)

select * from final
