{#
    The credit ledger (docs/contract.md section 7; docs/engine.md, "The credit ledger").

    credit_id(...): the id of a credit, stable for the same event (the deal, one of its invoices
    or payments), employee, credit type, reversal, roll-up source, plan and component, whatever
    else changes (amount, date, split id, rate). Two credits with the same id (one employee
    holding two revenue splits of one deal) are one credit: their amounts add up.
#}
{% macro credit_id(event_type, event_id, employee_id, credit_type, rollup_from_employee_id, plan_id, component_id, is_reversal) -%}
    md5(concat_ws('|',
        {{ event_type }},
        {{ event_id }},
        {{ employee_id }},
        {{ credit_type }},
        coalesce({{ rollup_from_employee_id }}, ''),
        {{ plan_id }},
        {{ component_id }},
        case when {{ is_reversal }} then 'reversal' else 'credit' end
    ))
{%- endmacro %}


{#
    ledger_columns(): the columns of a credit in finance.credits after period, credit_id and
    entry. A published credit "differs" from today's version when any of them does.
#}
{% macro ledger_columns() -%}
    {{ return([
        'event_type', 'event_id', 'deal_id', 'employee_id', 'credit_type', 'is_reversal',
        'credit_date', 'quota_period_start', 'source_amount', 'source_currency', 'fx_rate',
        'amount', 'currency', 'plan_id', 'component_id', 'rollup_from_employee_id',
    ]) }}
{%- endmacro %}


{# any_column_differs(left, right, columns): true when any column differs (NULLs compare equal). #}
{% macro any_column_differs(left, right, columns) -%}
    ({%- for column in columns %}
        {{ left }}.{{ column }} is distinct from {{ right }}.{{ column }}
        {%- if not loop.last %} or{% endif %}
    {%- endfor %})
{%- endmacro %}
