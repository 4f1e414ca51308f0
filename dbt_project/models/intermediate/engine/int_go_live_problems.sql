{#
    Blocking (docs/contract.md sections 3 and 4.12): the go-live is recorded by the close of
    first_period. Changing first_period afterwards, or comp/opening_balances.csv, is refused:
    each row names what changed and what to do.
#}

with

months as (

    select * from {{ ref('int_engine_months') }}

),

closes as (

    select * from {{ source('finance', 'closes') }}

),

file_rows as (

    select * from {{ source('comp', 'opening_balances') }}

),

recorded as (

    select * from {{ source('finance', 'opening_balances') }}
    where source = 'file'

),

first_month as (

    select period from months where month_number = 1

),

first_close as (

    select period, run_id
    from closes
    where period = (select min(period) from closes)

),

moved as (

    select
        'first_period_changed' as kind,
        cast(null as integer) as source_row,
        'first_period is ' || first_month.period || ' but ' || first_close.period
            || ' was closed as the first month (run ' || first_close.run_id
            || '); first_period cannot change after its close: set it back to '
            || first_close.period || ' in openspm.yaml' as description
    from first_close
    cross join first_month
    where first_close.period <> first_month.period

),

compared as (

    select
        coalesce(file_rows.source_row, recorded.source_row) as source_row,
        file_rows.source_row is null as is_removed,
        recorded.source_row is null as is_added
    from file_rows
    full outer join recorded
        on file_rows.employee_id = recorded.employee_id
        and file_rows.kind = recorded.kind
        and file_rows.plan_id is not distinct from recorded.plan_id
        and file_rows.component_id is not distinct from recorded.component_id
        and file_rows.quota_period_start is not distinct from recorded.quota_period_start
        and cast(file_rows.amount as decimal(18, 2)) = recorded.amount
        and file_rows.currency = recorded.currency
    where file_rows.source_row is null or recorded.source_row is null

),

edited as (

    select
        'opening_balances_changed' as kind,
        compared.source_row,
        'comp/opening_balances.csv row ' || compared.source_row
            || case when compared.is_removed then ' (as recorded)' else '' end
            || ' changed after first_period ' || first_close.period || ' was closed (run '
            || first_close.run_id || '); the opening balances are recorded with that close '
            || 'and cannot change: restore the file and enter any correction as an '
            || 'adjustment for an open month' as description
    from compared
    cross join first_close
    inner join first_month
        on first_close.period = first_month.period

)

select * from moved
union all
select * from edited
