{#
    Typed casts of raw VARCHAR values, one per column type of openspm/entities.py
    (docs/raw-layer.md, "How a delivered text value must parse").

    Ingestion has already quarantined every row with a value that does not parse, so these casts
    are strict: a value that still does not parse fails the model loudly instead of becoming NULL.
    An empty value ('' or NULL) is NULL for every type.
#}

{% macro to_string(column) -%}
    cast(nullif({{ column }}, '') as {{ type_text() }})
{%- endmacro %}


{# true/false/1/0, any case, surrounding blanks ignored. DuckDB's own cast would also take yes/no/t/f. #}
{% macro to_boolean(column) -%}
    case
        when nullif(trim({{ column }}), '') is null then null
        when lower(trim({{ column }})) in ('true', '1') then true
        when lower(trim({{ column }})) in ('false', '0') then false
        else {{ fail_with("'not a boolean: ' || " ~ column) }}
    end
{%- endmacro %}


{# YYYY-MM-DD that is a real date. #}
{% macro to_date(column) -%}
    cast(nullif(trim({{ column }}), '') as date)
{%- endmacro %}


{#
    ISO 8601 date-time with 'Z', '+HH', '+HH:MM' or no offset (= UTC) -> TIMESTAMP in UTC.
    A value without offset gets '+00:00' so the result never depends on the session TimeZone.
#}
{% macro to_timestamp_utc(column) -%}
    {%- set with_offset -%}
        case
            when {{ has_utc_offset('trim(' ~ column ~ ')') }} then trim({{ column }})
            else nullif(trim({{ column }}), '') || '+00:00'
        end
    {%- endset -%}
    {{ offset_text_to_utc(with_offset) }}
{%- endmacro %}


{% macro to_decimal(column, precision, scale) -%}
    cast(nullif(trim({{ column }}), '') as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}


{% macro to_integer(column) -%}
    cast(nullif(trim({{ column }}), '') as integer)
{%- endmacro %}


{# ISO 4217 code, upper-cased. #}
{% macro to_currency(column) -%}
    cast(upper(nullif(trim({{ column }}), '')) as {{ type_text() }})
{%- endmacro %}


{# One of the entity's listed values, lower-cased and trimmed. #}
{% macro to_enum(column) -%}
    cast(lower(nullif(trim({{ column }}), '')) as {{ type_text() }})
{%- endmacro %}
