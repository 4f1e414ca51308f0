{#
    Every credit as known now, one row per credit_id, with the quota period it counts in: the
    component credits of rules 1-5 (int_engine_component_credits) and the SPIFF shares of rule
    9 (int_engine_spiff_credits; component_id = the SPIFF's id, amounts in plan currency).
    What the credit ledger (int_credit_ledger) compares with what was published.
#}

with

component_credits as (

    select * from {{ ref('int_engine_component_credits') }}

),

spiff_credits as (

    select * from {{ ref('int_engine_spiff_credits') }}

),

spiff_shares as (

    select
        {{ credit_id("'deal'", 'deal_id', 'employee_id', 'credit_type', 'null', 'plan_id', 'spiff_id', 'is_reversal') }}
            as credit_id,
        'deal' as event_type,
        deal_id as event_id,
        deal_id,
        employee_id,
        credit_type,
        is_reversal,
        event_date as credit_date,
        quota_period_start,
        cast(sum(amount) as decimal(38, 14)) as source_amount,
        plan_currency as source_currency,
        cast(1 as decimal(24, 12)) as fx_rate,
        cast(sum(amount) as decimal(38, 14)) as amount,
        plan_currency as currency,
        plan_id,
        spiff_id as component_id,
        cast(null as {{ type_text() }}) as rollup_from_employee_id

    from spiff_credits
    group by
        deal_id, employee_id, credit_type, is_reversal, event_date, quota_period_start,
        plan_currency, plan_id, spiff_id

),

final as (

    select
        {% for column in ['credit_id'] + ledger_columns() -%}
            {{ column }}{{ ',' if not loop.last }}
        {% endfor %}
    from component_credits

    union all

    select
        {% for column in ['credit_id'] + ledger_columns() -%}
            {{ column }}{{ ',' if not loop.last }}
        {% endfor %}
    from spiff_shares

)

select * from final
