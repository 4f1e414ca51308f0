{{ config(materialized='table') }}
{#
    The layers of every asset over the drafted months (int_accounting_months), as segments
    (docs/accounting.md). A segment is a layer's balance at the start of a month (after that
    month's addition or write-down, before its amortization); from there the layer amortizes
    by the closed form of macro layer_amortized_through until its next segment (`next_start`).

      carried       every layer published before the first open month u that still holds a
                    balance: its last published event (finance.deferred_commission_layers)
                    amortized through u - 1. So a close continues from the published state
                    and never recomputes a published month, whatever the policy or the deal's
                    terms say today;
      created       each capitalized cost of an open month (int_accounting_asset_costs);
      written_down  each reduction of an open month takes from the layers alive at its start,
                    newest layer first, up to each one's balance (`write_down`): the layer goes
                    on from the new balance with its monthly amount. Reductions of one asset are
                    taken in month order by a recursive CTE over them (one step per reduction).

    `impaired_index`: the month whose impairment writes the layer off (after that month's
    amortization): the month of the deal's cancelled_date, or the first open month when the
    cancellation arrived after its month was published, or the layer's own month when the cost
    arrives after the cancellation.
#}

with recursive

months as (

    select * from {{ ref('int_accounting_months') }}

),

open_bounds as (

    select min(month_index) as first_open from months

),

asset_costs as (

    select * from {{ ref('int_accounting_asset_costs') }}

),

terms as (

    select deal_id, cancel_index from {{ ref('int_accounting_deal_terms') }}

),

published as (

    select * from {{ source('finance', 'deferred_commission_layers') }}

),

last_published as (

    select
        published.*,
        {{ period_index('published.period') }} as event_index,
        {{ period_index('published.layer_period') }} as layer_index,
        {{ period_index('published.first_period') }} as first_index,
        {{ period_index('published.last_period') }} as last_index
    from published
    qualify row_number() over (
        partition by asset_id, layer_period
        order by period desc,
            case event when 'created' then 1 when 'written_down' then 2 else 3 end desc
    ) = 1

),

carried as (

    select
        last_published.asset_id,
        last_published.deal_id,
        last_published.employee_id,
        last_published.currency,
        last_published.layer_index,
        last_published.first_index,
        last_published.last_index,
        last_published.months,
        last_published.monthly_amount,
        open_bounds.first_open as segment_start,
        cast(last_published.balance - {{ layer_amortized_through(
            'last_published.balance', 'last_published.event_index',
            'last_published.monthly_amount', 'last_published.first_index',
            'last_published.last_index', 'open_bounds.first_open - 1') }}
            as decimal(18, 2)) as balance,
        'carried' as kind

    from last_published
    cross join open_bounds
    where last_published.event <> 'impaired'

),

created as (

    select
        asset_id,
        deal_id,
        employee_id,
        currency,
        month_index as layer_index,
        first_index,
        last_index,
        months,
        monthly_amount,
        month_index as segment_start,
        amount as balance,
        'created' as kind
    from asset_costs
    where treatment = 'capitalized'

),

layers as (

    select
        all_layers.*,
        case
            when terms.cancel_index is not null then greatest(
                terms.cancel_index, open_bounds.first_open, all_layers.layer_index
            )
        end as impaired_index

    from (
        select * from carried
        where balance > 0

        union all

        select * from created
    ) as all_layers
    cross join open_bounds
    left join terms
        on all_layers.deal_id = terms.deal_id

),

reductions as (

    select
        asset_id,
        month_index,
        -amount as amount,
        row_number() over (partition by asset_id order by month_index) as step
    from asset_costs
    where treatment = 'reduction'

),

layer_lists as (

    select
        asset_id,
        list(
            struct_pack(
                layer_index := layer_index,
                first_index := first_index,
                last_index := last_index,
                monthly_amount := monthly_amount,
                impaired_index := impaired_index,
                segment_start := segment_start,
                balance := balance,
                write_down := cast(0 as decimal(18, 2))
            )
            order by layer_index desc
        ) as layers
    from layers
    semi join reductions
        on layers.asset_id = reductions.asset_id
    group by asset_id

),

-- one step per reduction of an asset, in month order: the balance of each layer alive at the
-- reduction's start, then newest first each takes least(balance, what the newer ones left)
walk (asset_id, step, month_index, layers) as (

    select asset_id, 0, cast(null as integer), layers
    from layer_lists

    union all

    select
        asset_id,
        step,
        month_index,
        list_transform(layers, lambda x, i: struct_pack(
            layer_index := x.layer_index,
            first_index := x.first_index,
            last_index := x.last_index,
            monthly_amount := x.monthly_amount,
            impaired_index := x.impaired_index,
            segment_start := case when takes[i] > 0 then month_index else x.segment_start end,
            balance := cast(
                case when takes[i] > 0 then balances[i] - takes[i] else x.balance end
                as decimal(18, 2)
            ),
            write_down := cast(takes[i] as decimal(18, 2))
        ))
    from (
        select
            alive.*,
            list_transform(balances, lambda b, i: least(
                b, greatest(0, amount - coalesce(list_sum(balances[1:i - 1]), 0))
            )) as takes
        from (
            select
                walk.asset_id,
                walk.step + 1 as step,
                reductions.month_index,
                reductions.amount,
                walk.layers,
                list_transform(walk.layers, lambda x: case
                    when x.layer_index < reductions.month_index
                        and coalesce(x.impaired_index >= reductions.month_index, true)
                        then x.balance - {{ layer_amortized_through(
                            'x.balance', 'x.segment_start', 'x.monthly_amount', 'x.first_index',
                            'x.last_index', 'reductions.month_index - 1') }}
                    else 0
                end) as balances
            from walk
            inner join reductions
                on walk.asset_id = reductions.asset_id
                and reductions.step = walk.step + 1
        ) as alive
    )

),

written_down as (

    select
        asset_id,
        layer.layer_index,
        layer.segment_start,
        layer.balance,
        layer.write_down
    from (
        select asset_id, unnest(layers) as layer
        from walk
        where step > 0
    )
    where layer.write_down > 0

),

-- the start of each write-down segment's successor (a window over the few written down)
written_down_ranges as (

    select
        written_down.*,
        lead(segment_start) over (
            partition by asset_id, layer_index order by segment_start
        ) as next_start
    from written_down

),

first_write_downs as (

    select asset_id, layer_index, min(segment_start) as segment_start
    from written_down
    group by asset_id, layer_index

),

final as (

    select
        layers.asset_id,
        layers.deal_id,
        layers.employee_id,
        layers.currency,
        layers.layer_index,
        layers.first_index,
        layers.last_index,
        layers.months,
        layers.monthly_amount,
        layers.impaired_index,
        segments.segment_start,
        cast(segments.balance as decimal(18, 2)) as balance,
        segments.kind,
        cast(segments.write_down as decimal(18, 2)) as write_down,
        -- the segment holds until the month before the layer's next segment (NULL: its end)
        segments.next_start

    from layers
    inner join (
        -- a carried layer written down in the first open month: the write-down's segment
        select
            layers.asset_id, layers.layer_index, layers.segment_start, layers.balance,
            layers.kind, 0 as write_down, first_write_downs.segment_start as next_start
        from layers
        left join first_write_downs
            on layers.asset_id = first_write_downs.asset_id
            and layers.layer_index = first_write_downs.layer_index
        where first_write_downs.segment_start is distinct from layers.segment_start

        union all

        select
            asset_id, layer_index, segment_start, balance, 'written_down' as kind, write_down,
            next_start
        from written_down_ranges
    ) as segments
        on layers.asset_id = segments.asset_id
        and layers.layer_index = segments.layer_index

)

select * from final
