{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_deals() }}",
    )
}}
{#
    Rule 4.2, the measures billings and collections: the person-credits of a won deal's
    invoices and payments, as int_deal_credits holds those of the deal itself (bookings).
      - events: each invoice of the deal whose status is not void (billings), for its amount
        in its currency, dated invoice_date (a credit memo is a negative amount and credits
        negatively); each payment of such an invoice (collections), for its amount in its
        currency, dated payment_date. Deleted invoices and payments are gone from staging;
        an invoice of a lost, deleted or unknown deal has no holders and credits nothing;
      - holders: the deal's own credit holders with their shares (int_deal_credits,
        rollup_depth 0: the owner 100% without revenue splits, each revenue and overlay split
        its percent), so source_amount = event amount x split_percent / 100, exact;
      - roll-ups (rule 3): every manager above a direct or split holder in the hierarchy as it
        stood on the event's date.
    Only what can matter is written: invoices only when a plan has a billings component,
    payments only when one has a collections component; and a credit only when its employee
    holds, on the event's date, a plan with a component of that measure (it may earn), or
    holds no plan that day but held one paying on the measure before (it would have earned:
    an exception, int_credit_exceptions; e.g. a payment collected after its rep left). A
    credit in a plan that does not pay on the measure, or of someone never paid on it, would
    earn nothing and appear in no list, so it is not written.
    Incremental per changed deal, like int_deal_credits (macros/incremental.sql; new invoice
    and payment batches change the deals they belong to, int_changed_deals).
#}
-- depends_on: {{ ref('int_changed_deals') }}

with

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

payments as (

    select * from {{ ref('stg_erp__payments') }}

),

-- the credit holders of each won deal and their shares: its own credits, not the roll-ups
holders as (

    select * from {{ ref('int_deal_credits') }}
    where rollup_depth = 0
        {{- only_changed_deals() }}

),

closure as (

    select * from {{ ref('int_hierarchy_closure') }}

),

assignments as (

    select * from {{ ref('int_plan_assignment_ranges') }}

),

plan_measures as (

    select distinct plan_id, measure from {{ ref('int_plan_components') }}

),

-- since when each employee holds (or held) a plan paying on each measure: nobody else can earn
-- on, or miss, an invoice's or payment's credit
measure_holders as (

    select assignments.employee_id, plan_measures.measure, min(assignments.valid_from) as since
    from assignments
    inner join plan_measures
        on assignments.plan_id = plan_measures.plan_id
    where plan_measures.measure <> 'bookings'
    group by assignments.employee_id, plan_measures.measure

),

invoice_events as (

    select
        'invoice' as event_type,
        invoice_id as event_id,
        deal_id,
        invoice_date as event_date,
        amount,
        currency

    from invoices
    where status <> 'void'
        and {{ measure_in_use('billings') }}
        {{- only_changed_deals() }}

),

payment_events as (

    select
        'payment' as event_type,
        payments.payment_id as event_id,
        invoices.deal_id,
        payments.payment_date as event_date,
        payments.amount,
        payments.currency

    from payments
    inner join invoices
        on payments.invoice_id = invoices.invoice_id
    where invoices.status <> 'void'
        and {{ measure_in_use('collections') }}
        {{- only_changed_deals('invoices.deal_id') }}

),

events as (

    select * from invoice_events
    union all
    select * from payment_events

),

-- rule 2 with the event's amount: each holder gets its share of it (exact: x 0.01)
person_credits as (

    select
        events.event_type,
        events.event_id,
        holders.deal_id,
        holders.split_id,
        holders.employee_id,
        holders.credit_type,
        holders.rule,
        events.event_date as credit_date,
        holders.deal_type,
        holders.split_percent,
        cast(
            events.amount * holders.split_percent * cast(0.01 as decimal(3, 2))
            as decimal(38, 14)
        ) as source_amount,
        events.currency as source_currency,
        cast(null as {{ type_text() }}) as rollup_from_employee_id,
        0 as rollup_depth,
        holders.crm_user_id,
        cast(null as date) as cancelled_date  -- clawback (rule 5) applies to bookings only

    from events
    inner join holders
        on events.deal_id = holders.deal_id

),

-- rule 3 on the event's date: every manager above E on that day gets the same amount
rollup_credits as (

    select
        person_credits.event_type,
        person_credits.event_id,
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
        -- only managers ever paid on billings or collections (the rest is dropped below anyway)
        and closure.ancestor_id in (select employee_id from measure_holders)

),

all_credits as (

    select * from person_credits
    union all
    select * from rollup_credits

),

-- kept: the employee's plan on the event's date pays on the measure; or the employee holds
-- no plan that day and held one paying on the measure before (an exception)
final as (

    select all_credits.*

    from all_credits
    inner join measure_holders
        on all_credits.employee_id = measure_holders.employee_id
        and measure_holders.measure = {{ event_measure('all_credits.event_type') }}
        and all_credits.credit_date >= measure_holders.since
    left join assignments
        on all_credits.employee_id = assignments.employee_id
        and all_credits.credit_date >= assignments.valid_from
        and all_credits.credit_date <= assignments.valid_to
    left join plan_measures
        on assignments.plan_id = plan_measures.plan_id
        and plan_measures.measure = measure_holders.measure
    where plan_measures.plan_id is not null
        or assignments.plan_id is null

)

select * from final
