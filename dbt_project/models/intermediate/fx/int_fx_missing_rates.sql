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
        {{ first_values_text('plan_credits.deal_id', 5) }} as example_deals,
        count(distinct case when plan_credits.event_type <> 'deal'
            then plan_credits.event_type || ' ' || plan_credits.event_id end) as events,
        {{ first_values_text("case when plan_credits.event_type <> 'deal' then plan_credits.event_type || ' ' || plan_credits.event_id end", 5) }}
            as example_events,
        count(distinct plan_credits.employee_id) as employees,
        {{ first_values_text("coalesce(employees.first_name || ' ' || employees.last_name || ' (' || employees.employee_id || ')', plan_credits.employee_id)", 5) }}
            as example_employees

    from plan_credits
    left join employees
        on plan_credits.employee_id = employees.employee_id
    where plan_credits.fx_rate is null
    group by plan_credits.source_currency, plan_credits.plan_currency, plan_credits.credit_date

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
            || ' deal(s): ' || example_deals
            || case when deals > 5 then ', ...' else '' end
            || case when events > 0
                then ' (' || example_events
                    || case when events > 5 then ', ...' else '' end || ')'
                else ''
            end
            || ' (employees ' || example_employees
            || case when employees > 5 then ', ...' else '' end || ')'
            as description

    from missing

)

select * from final
