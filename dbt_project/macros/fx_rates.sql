{#
    Currency conversion (docs/contract.md section 4, rule 1), written once for every model that converts.

    fx_inverse_rate(rate): 1 / rate, rounded half-up to 12 decimals, as DECIMAL(24,12).
    The division is done on integers (DuckDB divides DECIMALs in DOUBLE; PostgreSQL and Spark
    would round the quotient at a scale of their own): with r = rate x 10^12 (exact, the rate
    has 12 decimals), 1 / rate x 10^12 = 10^24 / r, and (2 x 10^24 + r) div (2 x r) rounds
    that half-up. NULL for a NULL or non-positive rate.
#}
{% macro fx_inverse_rate(rate) -%}
    {%- set big = type_big_integer() -%}
    {%- set r = 'cast(' ~ rate ~ ' * 1000000000000 as ' ~ big ~ ')' -%}
    case
        when {{ rate }} > 0 then cast(
            cast(
                {{ integer_divide('cast(2000000000000000000000000 as ' ~ big ~ ') + ' ~ r, '2 * ' ~ r) }}
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
    On DuckDB two ASOF LEFT JOINs, so the cost grows with the number of requests, not
    requests x rates; elsewhere (no ASOF join) the latest row per request is ranked among the
    rows of its pair dated up to the day (requests x the pair's rates: thousands of requests,
    a few hundred rates per pair). A non-positive rate counts as missing.
#}
{% macro fx_rates_asof(requests, rates) -%}
    {{ return(adapter.dispatch('fx_rates_asof', 'openspm')(requests, rates)) }}
{%- endmacro %}


{% macro fx_rates_columns(direct_rate='direct.rate', direct_date='direct.rate_date',
                          inverse_rate='inverse.rate', inverse_date='inverse.rate_date') -%}
    select
        requests.from_currency,
        requests.to_currency,
        requests.as_of_date,
        cast(case
            when requests.from_currency = requests.to_currency
                then cast(1 as decimal(24, 12))
            when {{ direct_rate }} is not null
                then case when {{ direct_rate }} > 0 then cast({{ direct_rate }} as decimal(24, 12)) end
            else {{ fx_inverse_rate(inverse_rate) }}
        end as decimal(24, 12)) as fx_rate,
        case
            when requests.from_currency = requests.to_currency then 'same_currency'
            when {{ direct_rate }} > 0 then 'direct'
            when {{ direct_rate }} is null and {{ inverse_rate }} > 0 then 'inverse'
        end as fx_rate_source,
        case
            when requests.from_currency = requests.to_currency then null
            when {{ direct_rate }} is not null then {{ direct_date }}
            else {{ inverse_date }}
        end as fx_rate_date
{%- endmacro %}


{% macro default__fx_rates_asof(requests, rates) -%}
    {{ fx_rates_columns() }}
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


{% macro postgres__fx_rates_asof(requests, rates) -%}
    {{ fx_rates_ranked(requests, rates) }}
{%- endmacro %}


{% macro spark__fx_rates_asof(requests, rates) -%}
    {{ fx_rates_ranked(requests, rates) }}
{%- endmacro %}


{#
    fx_rates_ranked: fx_rates_asof without an ASOF join. For each request and direction, the
    rows of the pair dated up to the day, the latest ranked first (rate_date is unique per
    pair in stg_erp__fx_rates). The requests are read once: both directions of every rate row
    are joined to them in one pass, and the latest of each direction is picked by conditional
    aggregation. Spark inlines a CTE at every reference, so a model whose requests are an
    expensive CTE would otherwise be planned three times over (docs/scaling.md).
#}
{% macro fx_rates_ranked(requests, rates) -%}
    with fx_requests as (
        select distinct from_currency, to_currency, as_of_date from {{ requests }}
    ),
    fx_sides as (
        select from_currency, to_currency, rate_date, rate, 'direct' as side
        from {{ rates }}
        union all
        select to_currency, from_currency, rate_date, rate, 'inverse' as side
        from {{ rates }}
    ),
    fx_ranked as (
        select
            fx_requests.from_currency,
            fx_requests.to_currency,
            fx_requests.as_of_date,
            fx_sides.side,
            fx_sides.rate,
            fx_sides.rate_date,
            row_number() over (
                partition by fx_requests.from_currency, fx_requests.to_currency,
                    fx_requests.as_of_date, fx_sides.side
                order by fx_sides.rate_date desc
            ) as rate_rank
        from fx_requests
        left join fx_sides
            on fx_sides.from_currency = fx_requests.from_currency
            and fx_sides.to_currency = fx_requests.to_currency
            and fx_sides.rate_date <= fx_requests.as_of_date
    ),
    fx_latest as (
        select
            from_currency,
            to_currency,
            as_of_date,
            max(case when side = 'direct' then rate end) as direct_rate,
            max(case when side = 'direct' then rate_date end) as direct_rate_date,
            max(case when side = 'inverse' then rate end) as inverse_rate,
            max(case when side = 'inverse' then rate_date end) as inverse_rate_date
        from fx_ranked
        where rate_rank = 1
        group by from_currency, to_currency, as_of_date
    )
    {{ fx_rates_columns('requests.direct_rate', 'requests.direct_rate_date',
                        'requests.inverse_rate', 'requests.inverse_rate_date') }}
    from fx_latest as requests
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
        cast({{ whole_part(amount) }} as decimal(38, 0)) * {{ rate }}
        + cast(({{ amount }} - {{ whole_part(amount) }}) * {{ rate }} as decimal(38, 14))
        as decimal(38, 14)
    )
{%- endmacro %}
