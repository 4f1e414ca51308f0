{#
    Each won deal's amortization terms under today's policy (docs/contract.md 5.2-5.4):
      amortization_months = contract_term_months (else default_contract_term_months), plus
        expected_renewal_months for new_business and expansion deals when renewals are not
        commensurate;
      is_expensed = the practical expedient is on and the period is 12 months or less;
      the asset runs from the month of contract_start_date (else close_date): start_index ..
        end_index (month indexes, macros/accounting.sql);
      cancel_index = the month of cancelled_date, whose impairment writes off what is left.
    A layer records the terms it was created under (int_accounting_layer_segments), so a later
    change of the deal or of the policy applies to costs incurred from then on.
#}

with

deals as (

    select * from {{ ref('stg_crm__deals') }}
    where is_won

),

policy as (

    select * from {{ ref('int_accounting_policy') }}

),

terms as (

    select
        deals.deal_id,
        deals.deal_type,
        deals.close_date,
        deals.contract_start_date,
        deals.cancelled_date,
        case
            when deals.contract_term_months > 0 then deals.contract_term_months
            else policy.default_contract_term_months
        end as term_months,
        deals.contract_term_months > 0 as has_term,
        {{ month_index('coalesce(deals.contract_start_date, deals.close_date)') }} as start_index,
        case
            when deals.cancelled_date is not null then {{ month_index('deals.cancelled_date') }}
        end as cancel_index,
        policy.practical_expedient,
        policy.renewals_commensurate,
        policy.expected_renewal_months

    from deals
    cross join policy

),

final as (

    select
        deal_id,
        deal_type,
        close_date,
        contract_start_date,
        cancelled_date,
        term_months,
        has_term,
        amortization_months,
        practical_expedient and amortization_months <= 12 as is_expensed,
        start_index,
        start_index + amortization_months - 1 as end_index,
        cancel_index

    from (
        select
            terms.*,
            term_months
            + case
                when not renewals_commensurate and deal_type in ('new_business', 'expansion')
                    then expected_renewal_months
                else 0
            end as amortization_months
        from terms
    ) as with_months

)

select * from final
