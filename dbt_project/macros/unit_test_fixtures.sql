{#
    Unit-test fixtures with list columns (comp.plan_components.deal_types, ...), written once
    in DuckDB's list notation ("['new_business', 'renewal']"), on every engine. dbt casts each
    fixture value to the column's type; PostgreSQL reports a list column as ARRAY and Spark as
    array<string>, neither of which casts from that text. These overrides of dbt's own
    safe_cast (dispatched in the `dbt` namespace: the root project's implementation wins)
    turn the text into the engine's list; every other type is cast as dbt would.
#}

{% macro postgres__safe_cast(field, type) -%}
    {%- if type | upper == 'ARRAY' -%}
        cast(translate({{ field }}, '[]''', '{}') as varchar[])
    {%- else -%}
        cast({{ field }} as {{ type }})
    {%- endif -%}
{%- endmacro %}


{% macro spark__safe_cast(field, type) -%}
    {%- if type | lower == 'array<string>' -%}
        case when {{ field }} is not null then
            filter(split(translate({{ field }}, '[]'' ', ''), ','), element -> element <> '')
        end
    {%- else -%}
        cast({{ field }} as {{ type }})
    {%- endif -%}
{%- endmacro %}
