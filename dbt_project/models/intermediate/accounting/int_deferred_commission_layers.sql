{#
    What each drafted month's close records about the layers (finance.deferred_commission_layers,
    extension): every layer created, written down or impaired in the month, with the balance
    after the event (before the month's amortization; 0 after an impairment), its monthly
    amount and its months. The next close continues from these rows
    (int_accounting_layer_segments, `carried`), so a published layer's schedule never changes.
#}

with

layer_months as (

    select * from {{ ref('int_accounting_layer_months') }}

),

segments as (

    select * from {{ ref('int_accounting_layer_segments') }}

),

events as (

    select
        segments.asset_id,
        segments.layer_index,
        segments.segment_start as month_index,
        segments.kind as event,
        case when segments.kind = 'created' then segments.balance else segments.write_down end
            as amount,
        segments.balance
    from segments
    where segments.kind in ('created', 'written_down')

    union all

    select
        asset_id,
        layer_index,
        month_index,
        'impaired' as event,
        impairment as amount,
        cast(0 as decimal(18, 2)) as balance
    from layer_months
    where month_index = impaired_index
        and impairment <> 0

),

layers as (

    select distinct
        asset_id, deal_id, employee_id, currency, layer_index, first_index, last_index,
        months, monthly_amount
    from segments

),

final as (

    select
        {{ index_period('events.month_index') }} as period,
        events.asset_id,
        {{ index_period('events.layer_index') }} as layer_period,
        events.event,
        layers.deal_id,
        layers.employee_id,
        layers.currency,
        cast(events.amount as decimal(18, 2)) as amount,
        cast(events.balance as decimal(18, 2)) as balance,
        layers.monthly_amount,
        {{ index_period('layers.first_index') }} as first_period,
        {{ index_period('layers.last_index') }} as last_period,
        layers.months

    from events
    inner join layers
        on events.asset_id = layers.asset_id
        and events.layer_index = layers.layer_index

)

select * from final
