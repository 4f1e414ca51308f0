{#
    Commission accounting arithmetic (docs/contract.md section 5; docs/accounting.md).

    Months are counted as integers, year x 12 + month - 1 ("month index"), so that a layer's
    months are plain arithmetic.
#}

{# month_index(d): the month index of a DATE. #}
{% macro month_index(d) -%}
    (year({{ d }}) * 12 + month({{ d }}) - 1)
{%- endmacro %}


{# period_index(p): the month index of a 'YYYY-MM' period. #}
{% macro period_index(p) -%}
    (cast(left({{ p }}, 4) as integer) * 12 + cast(right({{ p }}, 2) as integer) - 1)
{%- endmacro %}


{# index_period(i): the 'YYYY-MM' period of a month index. #}
{% macro index_period(i) -%}
    (lpad(cast(({{ i }}) // 12 as varchar), 4, '0') || '-'
        || lpad(cast(({{ i }}) % 12 + 1 as varchar), 2, '0'))
{%- endmacro %}


{#
    layer_monthly_amount(amount, months): round(amount / months, 2), half away from zero, as
    DECIMAL(18,2), computed on integer cents (DuckDB divides DECIMALs in DOUBLE).
#}
{% macro layer_monthly_amount(amount, months) -%}
    cast(
        cast(
            sign(cast({{ amount }} * 100 as hugeint))
            * ((2 * abs(cast({{ amount }} * 100 as hugeint)) + ({{ months }}))
                // (2 * cast({{ months }} as hugeint)))
            as decimal(38, 0)
        ) / 100
        as decimal(18, 2)
    )
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
    floor_share_cents(numerator, denominator): floor(numerator / denominator) on HUGEINTs,
    toward minus infinity (DuckDB's // truncates toward zero), for a positive denominator. The
    remainder numerator - floor x denominator is then always in [0, denominator): what the
    largest-remainder split of cents ranks (int_accounting_costs).
#}
{% macro floor_share_cents(numerator, denominator) -%}
    case
        when ({{ numerator }}) >= 0 then ({{ numerator }}) // ({{ denominator }})
        else -((-({{ numerator }}) + ({{ denominator }}) - 1) // ({{ denominator }}))
    end
{%- endmacro %}
