{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_deals() }}",
    )
}}
{#
    Rules 4 and 5 on every person-credit with its plan (int_plan_credits): one credit per plan
    component that pays on the credit's event (its measure, rule 4.2: the deal for bookings,
    an invoice for billings, a payment for collections) and admits its deal and credit type,
    and a clawback reversal of a booking when the deal was cancelled inside the plan's window;
    credit_id (event, employee, type, roll-up source, plan, component, reversal) is stable
    from run to run. Counted in the ledger (int_credits) and so in finance.credits.
    Incremental: a nightly build recomputes the credits of changed deals only
    (macros/incremental.sql).
#}
-- depends_on: {{ ref('int_changed_deals') }}

with

plan_credits as (

    select * from {{ ref('int_plan_credits') }}
    where true
        {{- only_changed_deals() }}

),

components as (

    select * from {{ ref('int_plan_components') }}

),

-- rule 4: one credit row per component that pays on the credit's event (rule 4.2) and whose
-- deal_types and credit_types admit the credit
component_credits as (

    select
        plan_credits.*,
        components.component_id

    from plan_credits
    inner join components
        on plan_credits.plan_id = components.plan_id
        and components.measure = {{ event_measure('plan_credits.event_type') }}
        and {{ list_has('components.deal_types', 'plan_credits.deal_type') }}
        and {{ list_has('components.credit_types', 'plan_credits.credit_type') }}

),

credits as (

    select
        event_type,
        event_id,
        deal_id,
        split_id,
        employee_id,
        credit_type,
        rule,
        false as is_reversal,
        credit_date,
        deal_type,
        source_amount,
        source_currency,
        fx_rate,
        amount,
        plan_currency,
        plan_id,
        component_id,
        rollup_from_employee_id

    from component_credits

    union all

    -- rule 5: a deal cancelled 0..window_days after its close date reverses the booking's
    -- credit on the cancelled date, at the converted amount of the credit (no new conversion);
    -- clawback windows apply to bookings only (rule 4.2)
    select
        event_type,
        event_id,
        deal_id,
        split_id,
        employee_id,
        credit_type,
        'clawback' as rule,
        true as is_reversal,
        cancelled_date as credit_date,
        deal_type,
        -source_amount as source_amount,
        source_currency,
        fx_rate,
        -amount as amount,
        plan_currency,
        plan_id,
        component_id,
        rollup_from_employee_id

    from component_credits
    where event_type = 'deal'
        and {{ clawback_reverses('credit_date', 'cancelled_date', 'clawback_window_days') }}

),

final as (

    select
        {{ credit_id('event_type', 'event_id', 'employee_id', 'credit_type', 'rollup_from_employee_id', 'plan_id', 'component_id', 'is_reversal') }}
            as credit_id,
        event_type,
        event_id,
        deal_id,
        employee_id,
        credit_type,
        is_reversal,
        credit_date,
        {{ month_text('credit_date') }} as period,
        cast(sum(source_amount) as decimal(38, 14)) as source_amount,
        source_currency,
        fx_rate,
        cast(sum(amount) as decimal(38, 14)) as amount,
        plan_currency as currency,
        plan_id,
        component_id,
        rollup_from_employee_id,
        -- lineage: the split credited (the lowest split id when one employee holds several
        -- revenue splits of the deal: one credit, their amounts added up)
        min(split_id) as split_id,
        rule,
        deal_type

    from credits
    group by
        event_type, event_id, deal_id, employee_id, credit_type, is_reversal, credit_date,
        source_currency, fx_rate, plan_currency, plan_id, component_id,
        rollup_from_employee_id, rule, deal_type

)

select * from final
