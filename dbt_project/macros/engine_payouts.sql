{#
    The month-by-month sequence of rules 10-11 (int_engine_payouts): each month's draw
    balance and negative carry-in follow from the month before's, so the months of an
    employee are taken in order.

    engine_payout_steps(inputs, steps): the body of the CTE `steps` (one row per employee and
    month: month_number and the columns of engine_payout_columns()), from the CTE `inputs`
    (int_engine_payout_inputs, dense months from 1). engine_payout_recursion() is the keyword
    the model's WITH needs for it.

    DuckDB and PostgreSQL: a recursive CTE, month 1 from the go-live balances, month m + 1
    joined to month m (one join per month: the months are the recursion depth).
    Spark (recursive CTEs only since 4.1, then capped at 100 levels, i.e. 8 years of months, and
    one Spark job per level): a fold. The employee's months are gathered into one array, sorted
    by month, and `aggregate` walks it with the same step, appending each month's result; the
    array is exploded back into rows. One pass, partitioned by employee, no recursion limit;
    the cost is one array of the employee's months (a few hundred bytes a month) held in
    memory per employee. Same expressions (engine_payout_values), so the same cents.
#}

{% macro engine_payout_recursion() -%}
    {{ return(adapter.dispatch('engine_payout_recursion', 'openspm')()) }}
{%- endmacro %}
{% macro default__engine_payout_recursion() -%}recursive{%- endmacro %}
{% macro spark__engine_payout_recursion() -%}{%- endmacro %}


{% macro engine_payout_steps(inputs, steps) -%}
    {{ return(adapter.dispatch('engine_payout_steps', 'openspm')(inputs, steps)) }}
{%- endmacro %}


{% macro default__engine_payout_steps(inputs, steps) -%}
    {%- set columns = engine_payout_columns() -%}
    select employee_id, month_number, {{ columns | join(', ') }}
    from (
        select
            {{ inputs }}.employee_id,
            {{ inputs }}.month_number,
            {{ engine_payout_step(inputs ~ '.opening_draw_balance', inputs ~ '.opening_negative_carry', inputs) }}
        from {{ inputs }}
        where {{ inputs }}.month_number = 1
    ) as first_months

    union all

    select employee_id, month_number, {{ columns | join(', ') }}
    from (
        select
            {{ inputs }}.employee_id,
            {{ inputs }}.month_number,
            {{ engine_payout_step(
                engine_carry_convert(steps ~ '.balance_after', inputs),
                engine_carry_convert(steps ~ '.carry_out', inputs),
                inputs) }}
        from {{ steps }}
        inner join {{ inputs }}
            on {{ steps }}.employee_id = {{ inputs }}.employee_id
            and {{ inputs }}.month_number = {{ steps }}.month_number + 1
    ) as next_months
{%- endmacro %}


{% macro spark__engine_payout_steps(inputs, steps) -%}
    {%- set columns = engine_payout_columns() -%}
    {%- set fields = [
        'month_number', 'is_published', 'is_recoverable', 'is_currency_change', 'commission',
        'spiff', 'adjustments', 'draw_amount', 'published_draw_top_up',
        'published_draw_recovery', 'published_negative_carry_in', 'carry_fx_rate',
        'opening_draw_balance', 'opening_negative_carry',
    ] -%}
    {#- the month before's step: the last element of the accumulator (none for month 1) -#}
    {%- set previous = 'element_at(done, -1)' -%}
    {%- set balance_before -%}
        case when size(done) = 0 then month.opening_draw_balance
            else {{ engine_carry_convert(previous ~ '.balance_after', 'month') }} end
    {%- endset -%}
    {%- set carry_in -%}
        case when size(done) = 0 then month.opening_negative_carry
            else {{ engine_carry_convert(previous ~ '.carry_out', 'month') }} end
    {%- endset -%}
    {%- set values = engine_payout_values(balance_before, carry_in, 'month') -%}
    select employee_id, step.month_number, {% for c in columns %}step.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
    from (
        select
            employee_id,
            explode(aggregate(
                array_sort(collect_list(struct({{ fields | join(', ') }}))),
                cast(array() as array<struct<month_number: int,
                    {%- for c in columns %} {{ c }}: decimal(18, 2){{ ',' if not loop.last }}{% endfor %}>>),
                (done, month) -> concat(done, array(named_struct(
                    'month_number', cast(month.month_number as int),
                    {%- for c in columns %}
                    '{{ c }}', {{ values[c] }}{{ ',' if not loop.last }}
                    {%- endfor %}
                )))
            )) as step
        from {{ inputs }}
        group by employee_id
    ) as folded
{%- endmacro %}
