{#
    clawback_reverses(credit_date, cancelled_date, window_days): rule 4.5, written once. True
    when a won deal's cancelled_date lies 0..window_days after the credit's date (window_days of
    the plan holding the credit; NULL = the plan has no clawback). A later cancellation, or a
    "cancellation" dated before the deal closed, reverses nothing. Used by the component credits
    (int_component_credits) and the SPIFF shares (int_engine_spiff_credits).
#}
{% macro clawback_reverses(credit_date, cancelled_date, window_days) -%}
    ({{ window_days }} is not null
        and {{ cancelled_date }} is not null
        and {{ cancelled_date }} >= {{ credit_date }}
        and {{ days_between(credit_date, cancelled_date) }} <= {{ window_days }})
{%- endmacro %}
