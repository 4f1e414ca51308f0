with

plan_credits as (

    select * from {{ ref('int_plan_credits') }}

),

employees as (

    select * from {{ ref('stg_hris__employees') }}

),

rated_currencies as (

    select from_currency as currency from {{ ref('stg_erp__fx_rates') }}
    union
    select to_currency from {{ ref('stg_erp__fx_rates') }}

),

missing as (

    select
        plan_credits.source_currency as from_currency,
        plan_credits.plan_currency as to_currency,
        plan_credits.credit_date as as_of_date,
        count(*) as credits,
        count(distinct plan_credits.deal_id) as deals,
        list_sort(list_distinct(list(plan_credits.deal_id)))[1:5] as example_deals,
        list_sort(list_distinct(list(plan_credits.event_type || ' ' || plan_credits.event_id)
            filter (where plan_credits.event_type <> 'deal')))[1:5] as example_events,
        list_sort(list_distinct(list(
            coalesce(employees.first_name || ' ' || employees.last_name || ' (' || employees.employee_id || ')', plan_credits.employee_id)
        )))[1:5] as example_employees

    from plan_credits
    left join employees
        on plan_credits.employee_id = employees.employee_id
    where plan_credits.fx_rate is null
    group by all

),

final as (

    select
        from_currency,
        to_currency,
        as_of_date,
        credits,
        deals,
        case when from_currency not in (select currency from rated_currencies)
            then 'the currency ' || from_currency || ' is unknown (a typo?): erp/fx_rates has '
                || 'no rate for it at all; '
            else ''
        end
        || 'no fx rate ' || from_currency || '->' || to_currency || ' (nor ' || to_currency
            || '->' || from_currency || ') dated on or before ' || as_of_date
            || ' in erp/fx_rates; needed by ' || credits || ' credit(s) of ' || deals
            || ' deal(s): ' || array_to_string(example_deals, ', ')
            || case when deals > 5 then ', ...' else '' end
            || case when len(example_events) > 0
                then ' (' || array_to_string(example_events, ', ')
                    || case when len(example_events) >= 5 then ', ...' else '' end || ')'
                else ''
            end
            || ' (employees ' || array_to_string(example_employees, ', ')
            || case when len(example_employees) >= 5 then ', ...' else '' end || ')'
            as description

    from missing

)

select * from final
