{#
    Rules 4 and 1 on every person-credit of every event (int_person_credits: the deal, its
    invoices and its payments): the plan assignment active on the credit (event) date, and the
    conversion into the plan currency at the rate as of that date.
#}

with

credits as (

    select * from {{ ref('int_person_credits') }}

),

assignments as (

    select * from {{ ref('int_plan_assignment_ranges') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_asof') }}

),

-- rule 4: the assignment active on the credit date holds the credit (assignments never overlap)
assigned as (

    select
        credits.*,
        assignments.plan_id,
        assignments.plan_currency,
        assignments.clawback_window_days

    from credits
    inner join assignments
        on credits.employee_id = assignments.employee_id
        and credits.credit_date >= assignments.valid_from
        and credits.credit_date <= assignments.valid_to

),

-- rule 1: converted at the rate as of the credit date; a missing rate leaves fx_rate and
-- amount NULL and is listed in int_fx_missing_rates (never 1.0)
final as (

    select
        assigned.*,
        fx_rates.fx_rate,
        fx_rates.fx_rate_source,
        fx_rates.fx_rate_date,
        case
            when assigned.source_currency = assigned.plan_currency then assigned.source_amount
            else {{ fx_convert('assigned.source_amount', 'fx_rates.fx_rate') }}
        end as amount

    from assigned
    left join fx_rates
        on assigned.source_currency = fx_rates.from_currency
        and assigned.plan_currency = fx_rates.to_currency
        and assigned.credit_date = fx_rates.as_of_date

)

select * from final
