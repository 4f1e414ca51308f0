{#
    Commission accounting arithmetic (docs/contract.md section 5; docs/accounting.md).

    Months are counted as integers, year x 12 + month - 1 ("month index"), so that a layer's
    months are plain arithmetic.
#}

{# month_index(d): the month index of a DATE. #}
{% macro month_index(d) -%}
    (cast(extract(year from {{ d }}) as integer) * 12
        + cast(extract(month from {{ d }}) as integer) - 1)
{%- endmacro %}


{# period_index(p): the month index of a 'YYYY-MM' period. #}
{% macro period_index(p) -%}
    (cast(left({{ p }}, 4) as integer) * 12 + cast(right({{ p }}, 2) as integer) - 1)
{%- endmacro %}


{# index_period(i): the 'YYYY-MM' period of a month index. #}
{% macro index_period(i) -%}
    (lpad(cast({{ integer_divide(i, '12') }} as {{ type_text() }}), 4, '0') || '-'
        || lpad(cast(({{ i }}) % 12 + 1 as {{ type_text() }}), 2, '0'))
{%- endmacro %}


{#
    layer_monthly_amount(amount, months): round(amount / months, 2), half away from zero, as
    DECIMAL(18,2), computed on integer cents (type_big_integer: DuckDB divides DECIMALs in
    DOUBLE, PostgreSQL and Spark round a quotient to a scale of their choosing):
    (2 |cents| + months) div (2 months) with the amount's sign.
#}
{% macro layer_monthly_amount(amount, months) -%}
    {%- set big = type_big_integer() -%}
    {%- set magnitude = integer_divide(
        '2 * abs(cast(' ~ amount ~ ' * 100 as ' ~ big ~ ')) + cast(' ~ months ~ ' as ' ~ big ~ ')',
        '2 * cast(' ~ months ~ ' as ' ~ big ~ ')') -%}
    {{ cents_money('case when ' ~ amount ~ ' < 0 then -' ~ magnitude ~ ' else ' ~ magnitude ~ ' end') }}
{%- endmacro %}


{#
    cents_money(cents): an integer number of cents (a big integer) as DECIMAL(18,2), exactly
    (a product with 0.01, not a quotient: no engine's quotient scale rules involved).
#}
{% macro cents_money(cents) -%}
    cast(cast({{ cents }} as decimal(38, 0)) * cast(0.01 as decimal(3, 2)) as decimal(18, 2))
{%- endmacro %}


{#
    layer_amortized_through(balance, segment_start, monthly, first, last, q): what a layer
    amortizes from month `segment_start` through month `q` (indexes), given its `balance` at the
    start of segment_start (after that month's addition or write-down, before its amortization).
    The layer amortizes `monthly` a month from max(segment_start, first), never more than what
    is left, and all that is left in its `last` month (the residual): so it ends at exactly 0,
    and a written-down layer keeps its monthly amount and ends when it reaches 0.
#}
{% macro layer_amortized_through(balance, segment_start, monthly, first, last, q) -%}
    cast(case
        when ({{ q }}) < greatest({{ segment_start }}, {{ first }}) then 0
        when ({{ q }}) >= ({{ last }}) then {{ balance }}
        else least(
            {{ balance }},
            {{ monthly }} * (({{ q }}) - greatest({{ segment_start }}, {{ first }}) + 1)
        )
    end as decimal(18, 2))
{%- endmacro %}


{#
    floor_share_cents(numerator, denominator): floor(numerator / denominator) on big integers
    (type_big_integer), toward minus infinity (integer_divide truncates toward zero), for a
    positive denominator. The remainder numerator - floor x denominator is then always in
    [0, denominator): what the largest-remainder split of cents ranks (int_accounting_costs).
#}
{% macro floor_share_cents(numerator, denominator) -%}
    case
        when ({{ numerator }}) >= 0 then {{ integer_divide(numerator, denominator) }}
        else -{{ integer_divide('-(' ~ numerator ~ ') + (' ~ denominator ~ ') - 1', denominator) }}
    end
{%- endmacro %}


{#
    accounting_walk_steps(): how many reductions of one asset the write-down walk of
    int_accounting_layer_segments takes in turn: one per drafted month
    (accounting.draft_months of the OPENSPM_ACCOUNTING elections, int_accounting_policy), since
    a month's lines of an asset are netted into one reduction at most.
#}
{% macro accounting_walk_steps() -%}
    {{ return(fromjson(env_var('OPENSPM_ACCOUNTING', '{}')).get('draft_months', 1) | int) }}
{%- endmacro %}
