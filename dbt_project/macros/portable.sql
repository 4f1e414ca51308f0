{#
    What DuckDB, PostgreSQL and Spark SQL write differently, written once per engine
    (docs/scaling.md, "Portable SQL"). Models call these macros; each dispatches on the
    target's adapter to default__ (DuckDB's dialect), postgres__ or spark__. Everything else
    in the models is SQL the three engines share.
#}


{# A month as text, YYYY-MM. #}
{% macro month_text(date_expr) -%}
    {{ return(adapter.dispatch('month_text', 'openspm')(date_expr)) }}
{%- endmacro %}
{% macro default__month_text(date_expr) -%}
    strftime({{ date_expr }}, '%Y-%m')
{%- endmacro %}
{% macro postgres__month_text(date_expr) -%}
    to_char({{ date_expr }}, 'YYYY-MM')
{%- endmacro %}
{% macro spark__month_text(date_expr) -%}
    date_format({{ date_expr }}, 'yyyy-MM')
{%- endmacro %}


{# The first day of the month of a date, as a DATE. #}
{% macro month_start(date_expr) -%}
    {{ return(adapter.dispatch('month_start', 'openspm')(date_expr)) }}
{%- endmacro %}
{% macro default__month_start(date_expr) -%}
    cast(date_trunc('month', {{ date_expr }}) as date)
{%- endmacro %}
{% macro spark__month_start(date_expr) -%}
    trunc({{ date_expr }}, 'MM')
{%- endmacro %}


{# A date plus n months (n a literal integer), and plus n days. #}
{% macro add_months(date_expr, n) -%}
    {{ return(adapter.dispatch('add_months', 'openspm')(date_expr, n)) }}
{%- endmacro %}
{% macro default__add_months(date_expr, n) -%}
    cast({{ date_expr }} + interval ({{ n }}) month as date)
{%- endmacro %}
{% macro postgres__add_months(date_expr, n) -%}
    cast({{ date_expr }} + interval '{{ n }} month' as date)
{%- endmacro %}
{% macro spark__add_months(date_expr, n) -%}
    add_months({{ date_expr }}, {{ n }})
{%- endmacro %}

{% macro add_days(date_expr, n) -%}
    {{ return(adapter.dispatch('add_days', 'openspm')(date_expr, n)) }}
{%- endmacro %}
{% macro default__add_days(date_expr, n) -%}
    cast({{ date_expr }} + ({{ n }}) as date)
{%- endmacro %}
{% macro spark__add_days(date_expr, n) -%}
    date_add({{ date_expr }}, {{ n }})
{%- endmacro %}


{# Whole days from a date to a later one (an integer; negative when `to` is earlier). #}
{% macro days_between(from_date, to_date) -%}
    {{ return(adapter.dispatch('days_between', 'openspm')(from_date, to_date)) }}
{%- endmacro %}
{% macro default__days_between(from_date, to_date) -%}
    ({{ to_date }} - {{ from_date }})
{%- endmacro %}
{% macro spark__days_between(from_date, to_date) -%}
    datediff({{ to_date }}, {{ from_date }})
{%- endmacro %}


{#
    month_series(first_month, last_month): a FROM item (subquery) with one row per month
    start (DATE) from first_month to last_month, both DATEs (month starts), as column
    month_start. last_month NULL gives first_month alone.
#}
{% macro month_series(first_month, last_month) -%}
    {{ return(adapter.dispatch('month_series', 'openspm')(first_month, last_month)) }}
{%- endmacro %}
{% macro default__month_series(first_month, last_month) -%}
    (
        select cast(generated.month_start as date) as month_start
        from generate_series(
            cast({{ first_month }} as timestamp),
            cast(coalesce({{ last_month }}, {{ first_month }}) as timestamp),
            interval 1 month
        ) as generated(month_start)
    )
{%- endmacro %}
{% macro postgres__month_series(first_month, last_month) -%}
    (
        select cast(generated.month_start as date) as month_start
        from generate_series(
            cast({{ first_month }} as timestamp),
            cast(coalesce({{ last_month }}, {{ first_month }}) as timestamp),
            interval '1 month'
        ) as generated(month_start)
    )
{%- endmacro %}
{% macro spark__month_series(first_month, last_month) -%}
    (
        select explode(sequence(
            {{ first_month }}, coalesce({{ last_month }}, {{ first_month }}), interval 1 month
        )) as month_start
    )
{%- endmacro %}


{# Text types: a string, and a list of strings (comp.plan_components.deal_types). #}
{% macro type_text() -%}
    {{ return(adapter.dispatch('type_text', 'openspm')()) }}
{%- endmacro %}
{% macro default__type_text() -%}varchar{%- endmacro %}
{% macro spark__type_text() -%}string{%- endmacro %}

{% macro type_text_list() -%}
    {{ return(adapter.dispatch('type_text_list', 'openspm')()) }}
{%- endmacro %}
{% macro default__type_text_list() -%}varchar[]{%- endmacro %}
{% macro spark__type_text_list() -%}array<string>{%- endmacro %}


{# A list of text values, built from expressions; the one-based i-th element of a list. #}
{% macro text_list(items) -%}
    {{ return(adapter.dispatch('text_list', 'openspm')(items)) }}
{%- endmacro %}
{% macro default__text_list(items) -%}
    [{{ items | join(', ') }}]
{%- endmacro %}
{% macro postgres__text_list(items) -%}
    array[{{ items | join(', ') }}]::varchar[]
{%- endmacro %}
{% macro spark__text_list(items) -%}
    array({{ items | join(', ') }})
{%- endmacro %}

{% macro list_element(list_expr, position) -%}
    {{ return(adapter.dispatch('list_element', 'openspm')(list_expr, position)) }}
{%- endmacro %}
{% macro default__list_element(list_expr, position) -%}
    ({{ list_expr }})[{{ position }}]
{%- endmacro %}
{% macro spark__list_element(list_expr, position) -%}
    element_at({{ list_expr }}, {{ position }})
{%- endmacro %}


{# Whether a list holds a value; the list with a value appended. #}
{% macro list_has(list_expr, value) -%}
    {{ return(adapter.dispatch('list_has', 'openspm')(list_expr, value)) }}
{%- endmacro %}
{% macro default__list_has(list_expr, value) -%}
    list_contains({{ list_expr }}, {{ value }})
{%- endmacro %}
{% macro postgres__list_has(list_expr, value) -%}
    coalesce({{ value }} = any({{ list_expr }}), false)
{%- endmacro %}
{% macro spark__list_has(list_expr, value) -%}
    array_contains({{ list_expr }}, {{ value }})
{%- endmacro %}

{% macro list_append(list_expr, value) -%}
    {{ return(adapter.dispatch('list_append', 'openspm')(list_expr, value)) }}
{%- endmacro %}
{% macro default__list_append(list_expr, value) -%}
    list_append({{ list_expr }}, {{ value }})
{%- endmacro %}
{% macro postgres__list_append(list_expr, value) -%}
    array_append({{ list_expr }}, {{ value }})
{%- endmacro %}
{% macro spark__list_append(list_expr, value) -%}
    array_append({{ list_expr }}, {{ value }})
{%- endmacro %}


{#
    The elements of a list with their one-based position: a FROM item to put after
    `cross join` (a lateral unnest), with columns value_column and position_column.
#}
{% macro unnest_with_position(list_expr, alias, value_column, position_column) -%}
    {{ return(adapter.dispatch('unnest_with_position', 'openspm')(list_expr, alias, value_column, position_column)) }}
{%- endmacro %}
{% macro default__unnest_with_position(list_expr, alias, value_column, position_column) -%}
    unnest({{ list_expr }}) with ordinality as {{ alias }} ({{ value_column }}, {{ position_column }})
{%- endmacro %}
{% macro postgres__unnest_with_position(list_expr, alias, value_column, position_column) -%}
    lateral unnest({{ list_expr }}) with ordinality as {{ alias }} ({{ value_column }}, {{ position_column }})
{%- endmacro %}
{% macro spark__unnest_with_position(list_expr, alias, value_column, position_column) -%}
    lateral (
        select position + 1 as {{ position_column }}, element as {{ value_column }}
        from (select posexplode({{ list_expr }}) as (position, element))
    ) as {{ alias }}
{%- endmacro %}


{# An aggregate: the texts of a group joined by `separator`, in the order of `order_by`. #}
{% macro ordered_text_agg(expr, separator, order_by) -%}
    {{ return(adapter.dispatch('ordered_text_agg', 'openspm')(expr, separator, order_by)) }}
{%- endmacro %}
{% macro default__ordered_text_agg(expr, separator, order_by) -%}
    string_agg({{ expr }}, '{{ separator }}' order by {{ order_by }})
{%- endmacro %}
{% macro spark__ordered_text_agg(expr, separator, order_by) -%}
    listagg({{ expr }}, '{{ separator }}') within group (order by {{ order_by }})
{%- endmacro %}


{#
    An aggregate: the first `n` distinct values of a group (sorted), joined by ', ' (NULLs
    left out); an empty text when there are none.
#}
{% macro first_values_text(expr, n) -%}
    {{ return(adapter.dispatch('first_values_text', 'openspm')(expr, n)) }}
{%- endmacro %}
{% macro default__first_values_text(expr, n) -%}
    coalesce(array_to_string(list_sort(list_distinct(list({{ expr }})))[1:{{ n }}], ', '), '')
{%- endmacro %}
{% macro postgres__first_values_text(expr, n) -%}
    coalesce(array_to_string((array_agg(distinct {{ expr }} order by {{ expr }})
        filter (where {{ expr }} is not null))[1:{{ n }}], ', '), '')
{%- endmacro %}
{% macro spark__first_values_text(expr, n) -%}
    coalesce(array_join(slice(array_sort(collect_set({{ expr }})), 1, {{ n }}), ', '), '')
{%- endmacro %}


{#
    An aggregate: `value` of the row with the greatest `key` among the rows where `condition`
    holds (all rows when it is none); NULL when none does.
#}
{% macro value_at_max(value, key, condition=none) -%}
    {{ return(adapter.dispatch('value_at_max', 'openspm')(value, key, condition)) }}
{%- endmacro %}
{% macro default__value_at_max(value, key, condition=none) -%}
    arg_max({{ value }}, {{ key }}){% if condition %} filter (where {{ condition }}){% endif %}
{%- endmacro %}
{% macro postgres__value_at_max(value, key, condition=none) -%}
    (array_agg({{ value }} order by {{ key }} desc){% if condition %} filter (where {{ condition }}){% endif %})[1]
{%- endmacro %}
{% macro spark__value_at_max(value, key, condition=none) -%}
    max_by({{ value }}, {{ key }}){% if condition %} filter (where {{ condition }}){% endif %}
{%- endmacro %}


{# Stop the statement with `message` (a text expression); typed as a boolean where it stands. #}
{% macro fail_with(message) -%}
    {{ return(adapter.dispatch('fail_with', 'openspm')(message)) }}
{%- endmacro %}
{% macro default__fail_with(message) -%}
    error({{ message }})
{%- endmacro %}
{% macro postgres__fail_with(message) -%}
    cast({{ message }} as boolean)
{%- endmacro %}
{% macro spark__fail_with(message) -%}
    raise_error({{ message }})
{%- endmacro %}


{#
    Whether a text ends with a time zone offset (Z, +HH, +HH:MM, +HHMM); and an ISO 8601
    date-time with such an offset as a TIMESTAMP in UTC (no time zone).
#}
{% macro has_utc_offset(text_expr) -%}
    {{ return(adapter.dispatch('has_utc_offset', 'openspm')(text_expr)) }}
{%- endmacro %}
{% macro default__has_utc_offset(text_expr) -%}
    regexp_matches({{ text_expr }}, '([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$')
{%- endmacro %}
{% macro postgres__has_utc_offset(text_expr) -%}
    ({{ text_expr }} ~ '([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$')
{%- endmacro %}
{% macro spark__has_utc_offset(text_expr) -%}
    ({{ text_expr }} rlike '([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$')
{%- endmacro %}

{% macro offset_text_to_utc(text_expr) -%}
    {{ return(adapter.dispatch('offset_text_to_utc', 'openspm')(text_expr)) }}
{%- endmacro %}
{% macro default__offset_text_to_utc(text_expr) -%}
    timezone('UTC', cast({{ text_expr }} as timestamptz))
{%- endmacro %}
{% macro postgres__offset_text_to_utc(text_expr) -%}
    (cast({{ text_expr }} as timestamptz) at time zone 'UTC')
{%- endmacro %}
{% macro spark__offset_text_to_utc(text_expr) -%}
    {#- an instant; the session time zone is UTC (profiles.yml), so it reads as UTC. Spark
        wants the seconds when an offset follows (10:30+02:00 -> 10:30:00+02:00) -#}
    cast(regexp_replace({{ text_expr }},
        '^([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2})(?=[zZ+-]|$)', '$1:00') as timestamp)
{%- endmacro %}


{#
    Exact integer arithmetic for the money macros (engine_earnings.sql, fx_rates.sql): a
    type holding integers up to 10^38, the integer part of a DECIMAL (towards zero) in it,
    and integer division of two non-negative values (towards zero).
#}
{% macro type_big_integer() -%}
    {{ return(adapter.dispatch('type_big_integer', 'openspm')()) }}
{%- endmacro %}
{% macro default__type_big_integer() -%}hugeint{%- endmacro %}
{% macro postgres__type_big_integer() -%}numeric(38, 0){%- endmacro %}
{% macro spark__type_big_integer() -%}decimal(38, 0){%- endmacro %}

{% macro whole_part(x) -%}
    {{ return(adapter.dispatch('whole_part', 'openspm')(x)) }}
{%- endmacro %}
{% macro default__whole_part(x) -%}
    trunc({{ x }})
{%- endmacro %}
{% macro spark__whole_part(x) -%}
    (case when {{ x }} < 0 then ceil({{ x }}) else floor({{ x }}) end)
{%- endmacro %}

{% macro integer_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('integer_divide', 'openspm')(numerator, denominator)) }}
{%- endmacro %}
{% macro default__integer_divide(numerator, denominator) -%}
    (({{ numerator }}) // ({{ denominator }}))
{%- endmacro %}
{% macro postgres__integer_divide(numerator, denominator) -%}
    div({{ numerator }}, {{ denominator }})
{%- endmacro %}
{% macro spark__integer_divide(numerator, denominator) -%}
    (({{ numerator }}) div ({{ denominator }}))
{%- endmacro %}


{# A DECIMAL as text without trailing zeros (12.500000 -> 12.5, 100.000000 -> 100). #}
{% macro decimal_text(x) -%}
    trim(trailing '.' from trim(trailing '0' from cast({{ x }} as {{ type_text() }})))
{%- endmacro %}
