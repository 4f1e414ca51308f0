{{ config(materialized='table') }}
{#
    The credit ledger (docs/contract.md section 7): what each unpublished month's close appends
    to finance.credits, as entries `add` and `reverse`.

    Months are published in order, so the unpublished months are the first open month u and
    every month after it up to through_period.
      u: every credit dated up to u's end (those before first_period included) that is new or
         differs from the version last published gets an `add` (today's version); every credit
         published earlier that has changed or no longer counts (deleted, moved to another
         plan or component, re-dated after u's end) gets a `reverse`: its last published
         version with source_amount and amount negated.
      a later month m: an `add` for each credit dated in m (as if the months before it were
         closed with today's data).
    So the amounts of a credit_id summed over every published month are its current amount,
    and a month's entries explain its restatement lines.
#}

{%- set columns = ledger_columns() %}

with

months as (

    select * from {{ ref('int_engine_months') }}

),

credits as (

    select * from {{ ref('int_credits') }}

),

published as (

    select * from {{ source('finance', 'credits') }}

),

open_months as (

    select * from months
    where not is_published

),

first_open as (

    select period, month_end
    from open_months
    where month_start = (select min(month_start) from open_months)

),

through as (

    select max(month_end) as month_end from open_months

),

-- the version of each credit last published: its latest entry, when that entry is an `add`
-- (a change publishes `reverse` and `add` in one month; a removal only `reverse`)
last_published as (

    select *
    from (
        select
            published.*,
            row_number() over (
                partition by credit_id
                order by period desc, case when entry = 'add' then 0 else 1 end
            ) as entry_rank
        from published
    ) as ranked
    where entry_rank = 1

),

live as (

    select * from last_published
    where entry = 'add'

),

counted_at_first as (

    select credits.*
    from credits
    inner join first_open
        on credits.credit_date <= first_open.month_end

),

added_at_first as (

    select counted_at_first.*
    from counted_at_first
    left join live
        on counted_at_first.credit_id = live.credit_id
    where live.credit_id is null
        or {{ any_column_differs('counted_at_first', 'live', columns) }}

),

reversed_at_first as (

    select live.*
    from live
    left join counted_at_first
        on live.credit_id = counted_at_first.credit_id
    where counted_at_first.credit_id is null
        or {{ any_column_differs('counted_at_first', 'live', columns) }}

),

added_later as (

    select credits.*
    from credits
    cross join first_open
    cross join through
    where credits.credit_date > first_open.month_end
        and credits.credit_date <= through.month_end

),

entries as (

    select first_open.period, 'add' as entry, added_at_first.*
    from added_at_first
    cross join first_open

    union all

    select
        first_open.period,
        'reverse' as entry,
        reversed_at_first.credit_id,
        {% for column in columns -%}
            {%- if column in ('source_amount', 'amount') -%}
                -reversed_at_first.{{ column }} as {{ column }}
            {%- else -%}
                reversed_at_first.{{ column }}
            {%- endif %}{{ ',' if not loop.last }}
        {% endfor %}
    from reversed_at_first
    cross join first_open

    union all

    select {{ month_text('credit_date') }} as period, 'add' as entry, added_later.*
    from added_later

),

final as (

    select
        period,
        credit_id,
        entry,
        {% for column in columns -%}
            {%- if column in ('source_amount', 'amount') -%}
                cast({{ column }} as decimal(38, 14)) as {{ column }}
            {%- elif column == 'fx_rate' -%}
                cast(fx_rate as decimal(24, 12)) as fx_rate
            {%- else -%}
                {{ column }}
            {%- endif %}{{ ',' if not loop.last }}
        {% endfor %}
    from entries

)

select * from final
