{#
    The cost attribution of every drafted month as the close publishes it
    (finance.commission_costs, extension; docs/accounting.md, "Tracing a number"): each line's
    share of each deal (int_accounting_costs) with what the asset's month did with it
    (int_accounting_asset_costs: capitalized, expensed, reduction); unattributed lines, draws
    and adjustments are expensed.
#}

with

costs as (

    select * from {{ ref('int_accounting_costs') }}

),

asset_costs as (

    select asset_id, period, treatment from {{ ref('int_accounting_asset_costs') }}

),

final as (

    select
        costs.period,
        costs.employee_id,
        costs.cost_type,
        costs.plan_id,
        costs.component_id,
        costs.quota_period_start,
        costs.adjustment_id,
        costs.deal_id,
        costs.asset_id,
        costs.basis,
        costs.weight,
        costs.source_amount,
        costs.source_currency,
        costs.line_amount,
        costs.amount,
        costs.currency,
        case
            when costs.deal_id is null then 'expensed'
            else coalesce(asset_costs.treatment, 'netted')
        end as treatment

    from costs
    left join asset_costs
        on costs.asset_id = asset_costs.asset_id
        and costs.period = asset_costs.period

)

select * from final
