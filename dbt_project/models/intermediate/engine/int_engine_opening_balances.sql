{{ config(materialized='table') }}
{#
    Go-live (docs/contract.md rule 4.12). Months before first_period were paid by the system
    OpenSPM replaces: every quota period (and SPIFF year) begun before first_period counts as
    already paid its earnings to date at the end of the month before first_period (rounded to
    cents, from the data as known when first_period is closed), unless
    comp/opening_balances.csv says what was really paid; the difference, if any, is the first
    month's restatement. Draw balances and negative carry start at 0 unless the file gives them.

    Until first_period is published these are drafts (computed from today's data); its close
    records them in finance.opening_balances, and from then on the recorded amounts are read:
    never recomputed, so a later change to a credit dated before first_period is restated like
    any late change. One row per amount: paid_to_date per key (line_kind component or spiff),
    draw_balance and negative_carry per employee.
#}

with

months as (

    select * from {{ ref('int_engine_months') }}

),

component_earnings as (

    select * from {{ ref('int_engine_component_earnings') }}

),

spiff_earnings as (

    select * from {{ ref('int_engine_spiff_earnings') }}

),

file_rows as (

    select * from {{ source('comp', 'opening_balances') }}

),

recorded as (

    select * from {{ source('finance', 'opening_balances') }}

),

plans as (

    select * from {{ source('comp', 'plans') }}

),

spiffs as (

    select plan_id, spiff_id from {{ source('comp', 'plan_spiffs') }}

),

first_month as (

    select period, month_start, is_published
    from months
    where month_number = 1

),

-- earnings to date at the end of the month before first_period, of quota periods begun before it
computed as (

    select
        component_earnings.employee_id,
        component_earnings.plan_id,
        component_earnings.component_id,
        component_earnings.quota_period_start,
        'component' as line_kind,
        {{ engine_cents('coalesce(component_earnings.earnings_before, 0)') }} as amount
    from component_earnings
    inner join first_month
        on component_earnings.period = first_month.period
    where component_earnings.quota_period_start < first_month.month_start

    union all

    select
        spiff_earnings.employee_id,
        spiff_earnings.plan_id,
        spiff_earnings.spiff_id as component_id,
        spiff_earnings.quota_period_start,
        'spiff' as line_kind,
        {{ engine_cents('spiff_earnings.earnings_to_date - spiff_earnings.earned_in_month') }}
            as amount
    from spiff_earnings
    inner join first_month
        on spiff_earnings.period = first_month.period
    where spiff_earnings.quota_period_start < first_month.month_start

),

from_file as (

    select
        file_rows.employee_id,
        file_rows.kind,
        file_rows.plan_id,
        file_rows.component_id,
        file_rows.quota_period_start,
        case
            when file_rows.kind <> 'paid_to_date' then null
            when spiffs.spiff_id is not null then 'spiff'
            else 'component'
        end as line_kind,
        cast(file_rows.amount as decimal(18, 2)) as amount,
        file_rows.currency,
        'file' as source,
        file_rows.source_row
    from file_rows
    left join spiffs
        on file_rows.plan_id = spiffs.plan_id
        and file_rows.component_id = spiffs.spiff_id

),

drafted as (

    select * from from_file

    union all

    select
        computed.employee_id,
        'paid_to_date' as kind,
        computed.plan_id,
        computed.component_id,
        computed.quota_period_start,
        computed.line_kind,
        computed.amount,
        plans.currency,
        'computed' as source,
        cast(null as integer) as source_row
    from computed
    inner join plans
        on computed.plan_id = plans.plan_id
    where computed.amount <> 0
        and not exists (
            select 1 from from_file
            where from_file.kind = 'paid_to_date'
                and computed.employee_id = from_file.employee_id
                and computed.plan_id = from_file.plan_id
                and computed.component_id = from_file.component_id
                and computed.quota_period_start = from_file.quota_period_start
        )

),

final as (

    select first_month.period, drafted.*, false as is_recorded
    from drafted
    cross join first_month
    where not first_month.is_published

    union all

    select
        recorded.period,
        recorded.employee_id,
        recorded.kind,
        recorded.plan_id,
        recorded.component_id,
        recorded.quota_period_start,
        recorded.line_kind,
        recorded.amount,
        recorded.currency,
        recorded.source,
        recorded.source_row,
        true as is_recorded
    from recorded
    cross join first_month
    where first_month.is_published

)

select * from final
