{#
    Currency conversion (docs/contract.md section 4, rule 1), written once for every model that converts.

    fx_inverse_rate(rate): 1 / rate, rounded half-up to 12 decimals, as DECIMAL(24,12).
    DuckDB divides DECIMALs in DOUBLE, so the division is done on integers instead: with
    r = rate x 10^12 (exact, the rate has 12 decimals), 1 / rate x 10^12 = 10^24 / r, and
    (2 x 10^24 + r) // (2 x r) rounds that half-up. NULL for a NULL or non-positive rate.
#}
{% macro fx_inverse_rate(rate) -%}
    case
        when {{ rate }} > 0 then cast(
            cast(
                (
                    cast(2000000000000000000000000 as hugeint)
                    + cast({{ rate }} * 1000000000000 as hugeint)
                ) // (2 * cast({{ rate }} * 1000000000000 as hugeint))
                as decimal(38, 0)
            ) * cast(0.000000000001 as decimal(13, 12))
            as decimal(24, 12)
        )
    end
{%- endmacro %}


{#
    fx_rates_asof(requests, rates): the rate of every requested conversion.

    `requests` is a relation or CTE name with from_currency, to_currency and as_of_date (duplicates
    allowed); `rates` holds rate_date, from_currency, to_currency and rate (stg_erp__fx_rates).
    Returns one row per distinct request with
      fx_rate            DECIMAL(24,12): exactly 1 for the same currency; else the rate of the
                         latest row of the pair with rate_date <= as_of_date; else, when the pair
                         has no such row, the inverse (fx_inverse_rate) of the latest row of the
                         inverse pair; else NULL (a missing rate: never 1.0);
      fx_rate_source     'same_currency' | 'direct' | 'inverse' | NULL;
      fx_rate_date       rate_date of the row used (NULL for the same currency or a missing rate).
    Two ASOF LEFT JOINs, so the cost grows with the number of requests, not requests x rates.
    A non-positive rate counts as missing.
#}
{% macro fx_rates_asof(requests, rates) -%}
    select
        requests.from_currency,
        requests.to_currency,
        requests.as_of_date,
        case
            when requests.from_currency = requests.to_currency
                then cast(1 as decimal(24, 12))
            when direct.rate is not null
                then case when direct.rate > 0 then cast(direct.rate as decimal(24, 12)) end
            else {{ fx_inverse_rate('inverse.rate') }}
        end as fx_rate,
        case
            when requests.from_currency = requests.to_currency then 'same_currency'
            when direct.rate > 0 then 'direct'
            when direct.rate is null and inverse.rate > 0 then 'inverse'
        end as fx_rate_source,
        case
            when requests.from_currency = requests.to_currency then null
            when direct.rate is not null then direct.rate_date
            else inverse.rate_date
        end as fx_rate_date
    from (
        select distinct from_currency, to_currency, as_of_date from {{ requests }}
    ) as requests
    asof left join {{ rates }} as direct
        on direct.from_currency = requests.from_currency
        and direct.to_currency = requests.to_currency
        and direct.rate_date <= requests.as_of_date
    asof left join {{ rates }} as inverse
        on inverse.from_currency = requests.to_currency
        and inverse.to_currency = requests.from_currency
        and inverse.rate_date <= requests.as_of_date
{%- endmacro %}


{#
    fx_convert(amount, rate): amount (DECIMAL(38,14)) x rate (DECIMAL(24,12)), rounded half away
    from zero to 14 decimals, as DECIMAL(38,14).
    DuckDB gives the plain product DECIMAL(38,26), which leaves 12 integer digits and overflows
    (an error, not a wrong number) from 10^12 on. So the whole part (exact at 12 decimals, up to
    26 integer digits) and the fraction (below the rate) are multiplied apart; only the fraction's
    product is rounded, so the sum is the exact product rounded once.
#}
{% macro fx_convert(amount, rate) -%}
    cast(
        cast(trunc({{ amount }}) as decimal(38, 0)) * {{ rate }}
        + cast(({{ amount }} - trunc({{ amount }})) * {{ rate }} as decimal(38, 14))
        as decimal(38, 14)
    )
{%- endmacro %}
