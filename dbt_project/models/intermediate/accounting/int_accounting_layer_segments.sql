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
                    taken in month order, one step per drafted month (the walk below).

    `impaired_index`: the month whose impairment writes the layer off (after that month's
    amortization): the month of the deal's cancelled_date, or the first open month when the
    cancellation arrived after its month was published, or the layer's own month when the cost
    arrives after the cancellation.

    The walk is the same SQL on every engine (docs/scaling.md, "What lacking features cost"):
    no recursion and no lists, but one CTE per step, unrolled here for the drafted months
    (accounting.draft_months, macro accounting_walk_steps; an asset's month nets into one
    reduction at most, so no asset has more reductions than steps). A step joins the layers
    of the assets reduced in it with their reduction and ranks them newest first by a window.
#}

{%- set steps = accounting_walk_steps() %}

with

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
    from (
        select
            published.*,
            row_number() over (
                partition by asset_id, layer_period
                order by period desc,
                    case event when 'created' then 1 when 'written_down' then 2 else 3 end desc
            ) as recency
        from published
    ) as published
    where recency = 1

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

-- the layers of every asset written down in a drafted month, before the first reduction
walk_0 as (

    select
        layers.asset_id,
        layers.layer_index,
        layers.first_index,
        layers.last_index,
        layers.monthly_amount,
        layers.impaired_index,
        layers.segment_start,
        layers.balance,
        cast(0 as decimal(18, 2)) as write_down
    from layers
    where exists (select 1 from reductions where reductions.asset_id = layers.asset_id)

),
{%- for step in range(1, steps + 1) %}

-- step {{ step }}: each asset's reduction number {{ step }} (in month order) takes from the
-- balance of each layer alive at its start (`alive`), newest layer first, what the newer
-- ones left of it
walk_{{ step }}_alive as (

    select
        walk.asset_id,
        walk.layer_index,
        walk.first_index,
        walk.last_index,
        walk.monthly_amount,
        walk.impaired_index,
        walk.segment_start,
        walk.balance,
        reductions.month_index as reduced_index,
        reductions.amount as reduction,
        case
            when walk.layer_index < reductions.month_index
                and coalesce(walk.impaired_index >= reductions.month_index, true)
                then walk.balance - {{ layer_amortized_through(
                    'walk.balance', 'walk.segment_start', 'walk.monthly_amount',
                    'walk.first_index', 'walk.last_index', 'reductions.month_index - 1') }}
            else 0
        end as alive
    from walk_{{ step - 1 }} as walk
    inner join reductions
        on walk.asset_id = reductions.asset_id
        and reductions.step = {{ step }}

),

walk_{{ step }} as (

    select
        asset_id,
        layer_index,
        first_index,
        last_index,
        monthly_amount,
        impaired_index,
        case when takes > 0 then reduced_index else segment_start end as segment_start,
        cast(case when takes > 0 then alive - takes else balance end as decimal(18, 2))
            as balance,
        cast(takes as decimal(18, 2)) as write_down
    from (
        select
            walk_{{ step }}_alive.*,
            least(alive, greatest(0, reduction - coalesce(sum(alive) over (
                partition by asset_id
                order by layer_index desc
                rows between unbounded preceding and 1 preceding
            ), 0))) as takes
        from walk_{{ step }}_alive
    ) as taken

),
{%- endfor %}

written_down as (

    select asset_id, layer_index, segment_start, balance, write_down
    from (
        {%- for step in range(1, steps + 1) %}
        {% if not loop.first %}union all
        {% endif -%}
        select asset_id, layer_index, segment_start, balance, write_down from walk_{{ step }}
        {%- endfor %}
    ) as steps
    where write_down > 0

),

-- no asset has more reductions than the walk has steps (one per drafted month)
unwalked as (

    select asset_id from reductions
    where case
        when step > {{ steps }} then {{ fail_with(
            "'int_accounting_layer_segments: asset ' || asset_id || ' has more reductions "
            ~ "than the walk has steps (accounting.draft_months)'") }}
        else false
    end

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
    where not exists (select 1 from unwalked)

)

select * from final
