{#
    The amortization scheduled for each of the next 12 months after every drafted month's
    close (docs/contract.md 5.6; finance.amortization_schedule, extension): what finance
    forecasts commission amortization from, per currency. A cancellation or a write-down not
    known yet is not scheduled. Months 1 .. 12 add up to the roll-forward's current portion.

    After month p a layer holding B amortizes its monthly amount m from F = max(p + 1, first)
    for n = least(floor(B / m), last - F) months, then what is left, B - n x m, in month
    F + n (its last month, or the month it runs out). So each layer is three numbers, not
    twelve: +m from F, -m from F + n, and the remainder at F + n; their running sum over the
    months gives the schedule.
#}

with

layer_months as (

    select * from {{ ref('int_accounting_layer_months') }}
    where closing > 0

),

shaped as (

    select
        period,
        month_index,
        currency,
        monthly_amount,
        closing,
        starts,
        case
            when monthly_amount > 0 then least(
                cast({{ integer_divide(
                    'cast(closing * 100 as ' ~ type_big_integer() ~ ')',
                    'cast(monthly_amount * 100 as ' ~ type_big_integer() ~ ')') }} as integer),
                last_index - starts
            )
            else 0
        end as full_months
    from (
        select
            layer_months.*,
            greatest(month_index + 1, first_index) as starts
        from layer_months
    ) as started

),

steps as (

    -- a running amount (+m, then -m once the full months are over) and the last piece
    select period, month_index, currency, starts as schedule_index,
        monthly_amount as running, cast(0 as decimal(18, 2)) as single
    from shaped
    where full_months > 0

    union all

    select period, month_index, currency, starts + full_months,
        -monthly_amount, 0
    from shaped
    where full_months > 0

    union all

    select period, month_index, currency, starts + full_months,
        0, closing - monthly_amount * full_months
    from shaped

),

by_month as (

    select period, month_index, currency, schedule_index,
        sum(running) as running, sum(single) as single
    from steps
    where schedule_index <= month_index + 12
    group by period, month_index, currency, schedule_index

),

months_ahead as (

    select distinct by_month.period, by_month.month_index, by_month.currency, ahead.months_ahead
    from by_month
    cross join (
        values (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12)
    ) as ahead(months_ahead)

),

scheduled as (

    select
        months_ahead.period,
        months_ahead.currency,
        {{ index_period('months_ahead.month_index + months_ahead.months_ahead') }}
            as schedule_period,
        cast(months_ahead.months_ahead as integer) as months_ahead,
        cast(
            coalesce(sum(by_month.running), 0)
            + coalesce(sum(by_month.single) filter (
                where by_month.schedule_index = months_ahead.month_index + months_ahead.months_ahead
            ), 0)
            as decimal(18, 2)
        ) as amount

    from months_ahead
    inner join by_month
        on months_ahead.period = by_month.period
        and months_ahead.currency = by_month.currency
        and by_month.schedule_index <= months_ahead.month_index + months_ahead.months_ahead
    group by months_ahead.period, months_ahead.currency, months_ahead.month_index,
        months_ahead.months_ahead

),

final as (

    select * from scheduled
    where amount <> 0

)

select * from final
