{#
    Blocking problems of comp/adjustments.csv against what was published (docs/contract.md
    section 3): an adjustment is paid by the close of its month, once. A row that appears or
    changes after its month was published can never be paid; so is a row for a month before
    first_period; a paid adjustment that disappears from the file no longer matches what was
    paid. Each is named with the file row and what to do: enter it (or a correction) for an
    open month.
#}

with

adjustments as (

    select * from {{ source('comp', 'adjustments') }}

),

paid as (

    select * from {{ source('finance', 'adjustments') }}

),

closes as (

    select * from {{ source('finance', 'closes') }}

),

months as (

    select * from {{ ref('int_engine_months') }}

),

first_month as (

    select min(period) as period from months

),

before_first as (

    select
        adjustments.adjustment_id,
        adjustments.period,
        adjustments.source_row,
        'before_first_period' as kind,
        'comp/adjustments.csv row ' || adjustments.source_row || ': adjustment '
            || adjustments.adjustment_id || ' is for ' || adjustments.period
            || ', before first_period ' || first_month.period
            || '; it can never be paid: enter it for an open month' as description
    from adjustments
    cross join first_month
    where adjustments.period < first_month.period

),

late as (

    select
        adjustments.adjustment_id,
        adjustments.period,
        adjustments.source_row,
        'added_after_close' as kind,
        'comp/adjustments.csv row ' || adjustments.source_row || ': adjustment '
            || adjustments.adjustment_id || ' for ' || adjustments.period
            || ' appeared after ' || adjustments.period || ' was published (run '
            || closes.run_id || '); it can never be paid: enter it for an open month'
            as description
    from adjustments
    inner join closes
        on adjustments.period = closes.period
    where not exists (
        select 1 from paid where adjustments.adjustment_id = paid.adjustment_id
    )

),

changed as (

    select
        adjustments.adjustment_id,
        adjustments.period,
        adjustments.source_row,
        'changed_after_close' as kind,
        'comp/adjustments.csv row ' || adjustments.source_row || ': adjustment '
            || adjustments.adjustment_id || ' was paid in ' || paid.period || ' (run '
            || paid.run_id || ': ' || paid.amount || ' ' || paid.currency
            || ') and has changed since; a paid adjustment cannot change: restore it and '
            || 'enter the correction as a new row for an open month' as description
    from adjustments
    inner join paid
        on adjustments.adjustment_id = paid.adjustment_id
    where paid.employee_id <> adjustments.employee_id
        or paid.period <> adjustments.period
        or paid.amount <> adjustments.amount
        or paid.currency <> adjustments.currency
        or paid.reason <> adjustments.reason

),

removed as (

    select
        paid.adjustment_id,
        paid.period,
        cast(null as integer) as source_row,
        'removed_after_close' as kind,
        'comp/adjustments.csv: adjustment ' || paid.adjustment_id || ' of ' || paid.period
            || ' (' || paid.amount || ' ' || paid.currency || ') was paid (run ' || paid.run_id
            || ') and is no longer in the file: put it back as paid, and enter a correction '
            || 'for an open month' as description
    from paid
    where not exists (
        select 1 from adjustments where paid.adjustment_id = adjustments.adjustment_id
    )

),

final as (

    select * from before_first
    union all
    select * from late
    union all
    select * from changed
    union all
    select * from removed

)

select * from final
