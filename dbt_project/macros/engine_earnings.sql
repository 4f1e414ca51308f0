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
            {{ ctd }} * arg_min(tiers.rate, tiers.tier_number)
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
            {{ ctd }} * arg_max(tiers.rate, tiers.tier_number) filter (
                where {{ ctd }} >= cast(with_before.quota * tiers.tier_from as decimal(38, 16))
            )
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
    10 decimals, DECIMAL(38,10), without DOUBLE (DuckDB divides DECIMALs in DOUBLE). Both sides
    have at most 14 decimals: with N and D the values x 10^14 as HUGEINT (engine_scaled_14),
    ratio x 10^10 = N x 10^10 / D, rounded as (2 |N| 10^10 + D) // (2 D) with N's sign. Exact
    while |numerator| < 10^13 (a HUGEINT holds 1.7 x 10^38).
    NULL when the denominator is NULL or not positive.
#}
{% macro engine_ratio(numerator, denominator) -%}
    {%- set n = engine_scaled_14(numerator) -%}
    {%- set d = engine_scaled_14(denominator) -%}
    case when {{ denominator }} > 0 then
        cast(
            cast(
                sign({{ n }})
                * ((2 * abs({{ n }}) * cast(10000000000 as hugeint) + {{ d }}) // (2 * {{ d }}))
                as decimal(38, 0)
            ) * cast(0.0000000001 as decimal(11, 10))
            as decimal(38, 10)
        )
    end
{%- endmacro %}


{#
    engine_scaled_14(x): x (at most 14 decimals) x 10^14 as an exact HUGEINT. Integer and
    fractional parts are scaled apart: x * 10^14 in DECIMAL(38,14) itself overflows once
    |x| reaches 10^10 (a roll-up credit to date of ten billion, e.g. a CEO over 5M deals).
#}
{% macro engine_scaled_14(x) -%}
    (cast(trunc({{ x }}) as hugeint) * cast(100000000000000 as hugeint)
        + cast(({{ x }} - trunc({{ x }})) * 100000000000000 as hugeint))
{%- endmacro %}


{# engine_cents(x): x rounded half away from zero to 2 decimals, DECIMAL(18,2). #}
{% macro engine_cents(x) -%}
    cast(round({{ x }}, 2) as decimal(18, 2))
{%- endmacro %}


{#
    engine_payout_step(balance_before, carry_in): the columns of one month of fct_payouts for
    the row `inputs` (int_engine_payout_inputs), given the draw balance and the negative
    carry-in the month before left (rules 10-11). A published month keeps its published top-up,
    recovery and carry-in; its balance and carry-out follow from them.
#}
{% macro engine_payout_step(balance_before, carry_in) -%}
    {%- set c = '(inputs.commission + inputs.spiff)' -%}
    {%- set top_up -%}
        case when inputs.is_published then coalesce(inputs.published_draw_top_up, 0)
            when inputs.draw_amount > 0 then greatest(0, inputs.draw_amount - {{ c }})
            else 0 end
    {%- endset -%}
    {%- set recovery -%}
        case when inputs.is_published then coalesce(inputs.published_draw_recovery, 0)
            else least(greatest({{ balance_before }}, 0), greatest(0, {{ c }} - inputs.draw_amount)) end
    {%- endset -%}
    {%- set carry -%}
        case when inputs.is_published then coalesce(inputs.published_negative_carry_in, 0)
            else {{ carry_in }} end
    {%- endset -%}
    cast({{ balance_before }} as decimal(18, 2)) as balance_before,
    cast({{ top_up }} as decimal(18, 2)) as draw_top_up,
    cast({{ recovery }} as decimal(18, 2)) as draw_recovery,
    cast({{ carry }} as decimal(18, 2)) as negative_carry_in,
    cast(
        {{ balance_before }}
        + case when inputs.is_recoverable then {{ top_up }} else 0 end
        - ({{ recovery }})
        as decimal(18, 2)
    ) as balance_after,
    cast(least(0,
        {{ c }} + ({{ top_up }}) - ({{ recovery }}) + inputs.adjustments + ({{ carry }})
    ) as decimal(18, 2)) as carry_out
{%- endmacro %}


{#
    engine_carry_convert(amount): a draw balance or negative carry carried into the month of
    `inputs`, converted into its payout currency when that differs from the month before's, at
    the rate of the last day of the month it carries out of (rule 11; inputs.carry_fx_rate),
    rounded half away from zero to cents.
#}
{% macro engine_carry_convert(amount) -%}
    case
        when inputs.is_currency_change
            then {{ engine_cents(fx_convert('cast(' ~ amount ~ ' as decimal(38, 14))', 'inputs.carry_fx_rate')) }}
        else {{ amount }}
    end
{%- endmacro %}
