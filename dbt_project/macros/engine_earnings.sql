{#
    Commission engine arithmetic (docs/contract.md section 4, rules 7-8; docs/engine.md).

    engine_tier_earnings(ctd): an aggregate over the rows of one (key, month) joined to its
    tiers (`tiers`, with the month's row in `with_before`: rate_method, quota): earnings to date
    of credit to date `ctd` before the cap, DECIMAL(38,20).
      marginal: each tier pays its rate on the part of ctd between quota x tier_from and
                quota x tier_to (open for the last tier);
      retroactive: all of ctd at the rate of the highest tier with quota x tier_from <= ctd
                (compared exactly, so attainment rounding never picks a tier);
      a negative ctd earns the first tier's rate x ctd (both methods).
#}
{% macro engine_tier_earnings(ctd) -%}
    cast(case
        when {{ ctd }} < 0 then
            {{ ctd }} * {{ value_at_max('tiers.rate', '-tiers.tier_number') }}
        when with_before.rate_method = 'marginal' then
            sum(
                cast(tiers.rate * greatest(
                    cast(0 as decimal(38, 16)),
                    least(
                        cast({{ ctd }} as decimal(38, 16)),
                        coalesce(cast(with_before.quota * tiers.tier_to as decimal(38, 16)),
                            cast({{ ctd }} as decimal(38, 16)))
                    ) - cast(with_before.quota * tiers.tier_from as decimal(38, 16))
                ) as decimal(38, 20))
            )
        else
            {{ ctd }} * {{ value_at_max('tiers.rate', 'tiers.tier_number',
                ctd ~ ' >= cast(with_before.quota * tiers.tier_from as decimal(38, 16))') }}
    end as decimal(38, 20))
{%- endmacro %}


{#
    engine_cap(flat_expr, tiered_expr, row): earnings to date of the row's method (flat: the
    flat expression; else the tiered one), then the cap (most a quota period can earn),
    DECIMAL(38,20). A NULL (e.g. a tiered component without quota) stays NULL.
#}
{% macro engine_cap(flat_expr, tiered_expr, row) -%}
    cast(case
        when {{ row }}.cap is not null then least(
            case when {{ row }}.rate_method = 'flat' then {{ flat_expr }} else {{ tiered_expr }} end,
            {{ row }}.cap
        )
        when {{ row }}.rate_method = 'flat' then {{ flat_expr }}
        else {{ tiered_expr }}
    end as decimal(38, 20))
{%- endmacro %}


{#
    engine_ratio(numerator, denominator): numerator / denominator rounded half away from zero to
    10 decimals, DECIMAL(38,10), in integer arithmetic on every engine (DuckDB divides
    DECIMALs in DOUBLE; PostgreSQL and Spark round a quotient to a scale of their choosing).
    Both sides have at most 14 decimals: with N and D the values x 10^14 as big integers
    (engine_scaled_14: HUGEINT, NUMERIC(38,0), DECIMAL(38,0)), ratio x 10^10 = N x 10^10 / D,
    rounded as (2 |N| 10^10 + D) div (2 D) with N's sign. Exact while |numerator| < 10^13
    (2 |N| 10^10 < 2 x 10^37 fits all three types).
    NULL when the denominator is NULL or not positive.
#}
{% macro engine_ratio(numerator, denominator) -%}
    {%- set n = engine_scaled_14(numerator) -%}
    {%- set d = engine_scaled_14(denominator) -%}
    {%- set big = type_big_integer() -%}
    {%- set magnitude = integer_divide(
        '2 * abs(' ~ n ~ ') * cast(10000000000 as ' ~ big ~ ') + ' ~ d, '2 * ' ~ d) -%}
    {#- the outer cast: PostgreSQL's CASE drops the branch's precision and scale -#}
    cast(case when {{ denominator }} > 0 then
        cast(
            cast(
                case when {{ numerator }} < 0 then -{{ magnitude }} else {{ magnitude }} end
                as decimal(38, 0)
            ) * cast(0.0000000001 as decimal(11, 10))
            as decimal(38, 10)
        )
    end as decimal(38, 10))
{%- endmacro %}


{#
    engine_scaled_14(x): x (at most 14 decimals) x 10^14 as an exact big integer. Integer and
    fractional parts are scaled apart: x * 10^14 in DECIMAL(38,14) itself overflows once
    |x| reaches 10^10 (a roll-up credit to date of ten billion, e.g. a CEO over 5M deals).
#}
{% macro engine_scaled_14(x) -%}
    {%- set big = type_big_integer() -%}
    (cast({{ whole_part(x) }} as {{ big }}) * cast(100000000000000 as {{ big }})
        + cast(({{ x }} - {{ whole_part(x) }}) * 100000000000000 as {{ big }}))
{%- endmacro %}


{# engine_cents(x): x rounded half away from zero to 2 decimals, DECIMAL(18,2). #}
{% macro engine_cents(x) -%}
    cast(round({{ x }}, 2) as decimal(18, 2))
{%- endmacro %}


{#
    engine_payout_values(balance_before, carry_in, row): the amounts of one month of
    fct_payouts for the row `row` of int_engine_payout_inputs, given the draw balance and the
    negative carry-in the month before left (rules 10-11), as a mapping column -> SQL
    expression, DECIMAL(18,2). A published month keeps its published top-up, recovery and
    carry-in; its balance and carry-out follow from them.
#}
{% macro engine_payout_values(balance_before, carry_in, row='inputs') -%}
    {%- set c = '(' ~ row ~ '.commission + ' ~ row ~ '.spiff)' -%}
    {%- set top_up -%}
        case when {{ row }}.is_published then coalesce({{ row }}.published_draw_top_up, 0)
            when {{ row }}.draw_amount > 0 then greatest(0, {{ row }}.draw_amount - {{ c }})
            else 0 end
    {%- endset -%}
    {%- set recovery -%}
        case when {{ row }}.is_published then coalesce({{ row }}.published_draw_recovery, 0)
            else least(greatest({{ balance_before }}, 0), greatest(0, {{ c }} - {{ row }}.draw_amount)) end
    {%- endset -%}
    {%- set carry -%}
        case when {{ row }}.is_published then coalesce({{ row }}.published_negative_carry_in, 0)
            else {{ carry_in }} end
    {%- endset -%}
    {{ return({
        'balance_before': 'cast(' ~ balance_before ~ ' as decimal(18, 2))',
        'draw_top_up': 'cast(' ~ top_up ~ ' as decimal(18, 2))',
        'draw_recovery': 'cast(' ~ recovery ~ ' as decimal(18, 2))',
        'negative_carry_in': 'cast(' ~ carry ~ ' as decimal(18, 2))',
        'balance_after': 'cast(' ~ balance_before ~ ' + case when ' ~ row ~ '.is_recoverable then '
            ~ top_up ~ ' else 0 end - (' ~ recovery ~ ') as decimal(18, 2))',
        'carry_out': 'cast(least(0, ' ~ c ~ ' + (' ~ top_up ~ ') - (' ~ recovery ~ ') + '
            ~ row ~ '.adjustments + (' ~ carry ~ ')) as decimal(18, 2))',
    }) }}
{%- endmacro %}


{# The columns of a payout step, in order (engine_payout_values). #}
{% macro engine_payout_columns() -%}
    {{ return(['balance_before', 'draw_top_up', 'draw_recovery', 'negative_carry_in',
               'balance_after', 'carry_out']) }}
{%- endmacro %}


{# engine_payout_step(balance_before, carry_in, row): engine_payout_values as select columns. #}
{% macro engine_payout_step(balance_before, carry_in, row='inputs') -%}
    {%- set values = engine_payout_values(balance_before, carry_in, row) -%}
    {%- for column in engine_payout_columns() %}
    {{ values[column] }} as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#
    engine_carry_convert(amount, row): a draw balance or negative carry carried into the month
    of `row`, converted into its payout currency when that differs from the month before's, at
    the rate of the last day of the month it carries out of (rule 11; row.carry_fx_rate),
    rounded half away from zero to cents.
#}
{% macro engine_carry_convert(amount, row='inputs') -%}
    case
        when {{ row }}.is_currency_change
            then {{ engine_cents(fx_convert('cast(' ~ amount ~ ' as decimal(38, 14))', row ~ '.carry_fx_rate')) }}
        else {{ amount }}
    end
{%- endmacro %}
