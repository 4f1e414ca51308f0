{{ config(materialized='table') }}
{#
    Each layer in each drafted month it is alive (docs/contract.md 5.3-5.4), in the order
    the contract gives: new layers (`addition`), write-downs, the month's amortization,
    impairment. From the layer's segment in force (int_accounting_layer_segments: each holds
    from its start to the month before the layer's next one):
      amortization = amortized_through(month) - amortized_through(month before);
      impairment   = what is left after amortization, in the layer's impaired month;
      closing      = opening + addition - write_down - amortization - impairment;
      current_portion = what the layer amortizes in the next 12 months as scheduled now.
#}

with

months as (

    select period, month_index from {{ ref('int_accounting_months') }}

),

segments as (

    select * from {{ ref('int_accounting_layer_segments') }}

),

-- each segment holds from its start to the month before the layer's next segment
-- (next_start), and the layer lives until its last month or its impairment
ranged as (

    select
        segments.*,
        least(last_index, coalesce(impaired_index, last_index)) as end_index
    from segments

),

in_force as (

    select
        ranged.asset_id, ranged.deal_id, ranged.employee_id, ranged.currency,
        ranged.layer_index, ranged.first_index, ranged.last_index, ranged.months,
        ranged.monthly_amount, ranged.impaired_index,
        months.period, months.month_index,
        ranged.segment_start, ranged.balance, ranged.kind,
        ranged.write_down as segment_write_down
    from ranged
    inner join months
        on months.month_index >= ranged.segment_start
        and months.month_index < coalesce(ranged.next_start, ranged.end_index + 1)
        and months.month_index <= ranged.end_index

),

amortized as (

    select
        in_force.*,
        {{ layer_amortized_through('balance', 'segment_start', 'monthly_amount', 'first_index', 'last_index', 'month_index') }}
            as through_month,
        {{ layer_amortized_through('balance', 'segment_start', 'monthly_amount', 'first_index', 'last_index', 'month_index - 1') }}
            as through_month_before
    from in_force

),

moved as (

    select
        amortized.*,
        case
            when segment_start < month_index then balance - through_month_before
            when kind = 'created' then 0
            when kind = 'written_down' then balance + segment_write_down
            else balance
        end as opening,
        case when kind = 'created' and segment_start = month_index then balance else 0 end
            as addition,
        case when kind = 'written_down' and segment_start = month_index
            then segment_write_down else 0 end as write_down,
        through_month - through_month_before as amortization,
        case when month_index = impaired_index then balance - through_month else 0 end
            as impairment,
        case when month_index = impaired_index then 0 else balance - through_month end
            as closing
    from amortized

),

final as (

    select
        asset_id,
        deal_id,
        employee_id,
        currency,
        period,
        month_index,
        layer_index,
        first_index,
        last_index,
        months,
        monthly_amount,
        impaired_index,
        cast(opening as decimal(18, 2)) as opening,
        cast(addition as decimal(18, 2)) as addition,
        cast(write_down as decimal(18, 2)) as write_down,
        cast(amortization as decimal(18, 2)) as amortization,
        cast(impairment as decimal(18, 2)) as impairment,
        cast(closing as decimal(18, 2)) as closing,
        {{ layer_amortized_through('closing', 'month_index + 1', 'monthly_amount', 'first_index', 'last_index', 'month_index + 12') }}
            as current_portion

    from moved
    where opening <> 0
        or addition <> 0
        or write_down <> 0
        or amortization <> 0
        or impairment <> 0

)

select * from final
