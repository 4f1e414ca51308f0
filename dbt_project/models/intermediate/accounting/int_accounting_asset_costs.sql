{{ config(materialized='table') }}
{#
    What each asset (one deal, employee and payout currency; docs/contract.md 5.1) is charged in
    each drafted month: the net of the costs attributed to it (int_accounting_costs), and
    what the net does (5.2-5.4):
      capitalized  a positive net on a deal whose period is longer than the practical
                   expedient allows: a new layer, amortized straight line from the month over
                   the asset's months left (at least one): `first_index` .. `last_index`,
                   `monthly_amount` = round(layer / months, 2), the residual in the last month;
      expensed     a positive net on a deal expensed under the practical expedient;
      reduction    a negative net: it writes the asset down, newest layer first, by up to its
                   balance (int_accounting_layer_segments); any excess reverses amortization
                   expense (commission_expense for an expensed deal).
    A deal the CRM no longer has (deleted) takes the default term from the month incurred.
    Decision: a month's lines of one asset are netted first (a month adds a layer or writes the
    asset down, never both).
#}

with

costs as (

    select * from {{ ref('int_accounting_costs') }}
    where deal_id is not null

),

terms as (

    select * from {{ ref('int_accounting_deal_terms') }}

),

policy as (

    select * from {{ ref('int_accounting_policy') }}

),

netted as (

    select
        asset_id,
        deal_id,
        employee_id,
        currency,
        period,
        {{ period_index('period') }} as month_index,
        sum(amount) as amount
    from costs
    group by asset_id, deal_id, employee_id, currency, period
    having sum(amount) <> 0

),

classified as (

    select
        netted.*,
        coalesce(
            terms.is_expensed,
            policy.practical_expedient and policy.default_contract_term_months <= 12
        ) as is_expensed,
        coalesce(terms.start_index, netted.month_index) as start_index,
        coalesce(
            terms.end_index,
            netted.month_index + policy.default_contract_term_months - 1
        ) as end_index,
        terms.cancel_index

    from netted
    cross join policy
    left join terms
        on netted.deal_id = terms.deal_id

),

final as (

    select
        asset_id,
        deal_id,
        employee_id,
        currency,
        period,
        month_index,
        cast(amount as decimal(18, 2)) as amount,
        case
            when amount < 0 then 'reduction'
            when is_expensed then 'expensed'
            else 'capitalized'
        end as treatment,
        is_expensed,
        start_index,
        end_index,
        cancel_index,
        -- a new layer (capitalized): its months and monthly amount
        case when amount > 0 and not is_expensed then first_index end as first_index,
        case when amount > 0 and not is_expensed then last_index end as last_index,
        case when amount > 0 and not is_expensed then last_index - first_index + 1 end as months,
        case when amount > 0 and not is_expensed
            then {{ layer_monthly_amount('amount', 'last_index - first_index + 1') }}
        end as monthly_amount

    from (
        select
            classified.*,
            greatest(month_index, start_index) as first_index,
            greatest(end_index, month_index, start_index) as last_index
        from classified
    ) as indexed

)

select * from final
