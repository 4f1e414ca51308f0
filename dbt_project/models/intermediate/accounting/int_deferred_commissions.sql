{{ config(materialized='table') }}
{#
    The roll-forward of every asset (one deal, employee and currency) in every drafted
    month it holds a balance or moves (docs/contract.md 5.6): opening + addition - write_down
    - amortization - impairment = closing, the sum of its layers (int_accounting_layer_months);
    current_portion = the amortization scheduled in the next 12 months, noncurrent_portion the
    rest.
#}

with

layer_months as (

    select * from {{ ref('int_accounting_layer_months') }}

),

final as (

    select
        asset_id,
        period,
        min(deal_id) as deal_id,  -- one deal, employee and currency per asset
        min(employee_id) as employee_id,
        min(currency) as currency,
        cast(sum(opening) as decimal(18, 2)) as opening,
        cast(sum(addition) as decimal(18, 2)) as addition,
        cast(sum(write_down) as decimal(18, 2)) as write_down,
        cast(sum(amortization) as decimal(18, 2)) as amortization,
        cast(sum(impairment) as decimal(18, 2)) as impairment,
        cast(sum(closing) as decimal(18, 2)) as closing,
        cast(sum(current_portion) as decimal(18, 2)) as current_portion,
        cast(sum(closing) - sum(current_portion) as decimal(18, 2)) as noncurrent_portion,
        cast(count(*) as integer) as layers

    from layer_months
    group by asset_id, period

)

select * from final
