{#
    Measures (docs/contract.md rule 4.2; docs/crediting.md, "Measures"): which events of a won
    deal credit a component. Written once for every model that maps one to the other.

    event_measure(event_type): the measure an event credits: the deal itself 'bookings', one of
    its invoices 'billings', one of their payments 'collections'.
#}
{% macro event_measure(event_type) -%}
    case {{ event_type }}
        when 'deal' then 'bookings'
        when 'invoice' then 'billings'
        when 'payment' then 'collections'
    end
{%- endmacro %}


{#
    measure_in_use(measure): true when a component of any plan (int_plan_components) pays on
    the measure. Without one, invoices (billings) or payments (collections) create no credit
    rows at all: a company that pays on bookings only pays nothing for its ERP data.
#}
{% macro measure_in_use(measure) -%}
    exists (
        select 1 from {{ ref('int_plan_components') }}
        where measure = '{{ measure }}'
    )
{%- endmacro %}
