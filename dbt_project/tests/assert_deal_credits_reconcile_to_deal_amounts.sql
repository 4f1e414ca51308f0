{{
    config(
        severity='error',
        meta={'dagster': {'ref': {'name': 'int_deal_credits'}}},
    )
}}

{#
    Internal reconciliation (docs/contract.md section 6): every won deal's direct and split credits, at
    person-credit level before the component fan-out, sum exactly to its amount x (its revenue
    split percentages / 100), i.e. to its amount when it has no revenue split or its splits sum
    to exactly 100. A deal without revenue splits has exactly one direct credit and a deal with
    them none. Deals with a listed data problem (int_deal_credit_problems: an unmapped owner,
    splits off 100 by more than 0.01, a missing amount, ...) fail that test instead. Returns one
    row per deal that does not reconcile.
#}

with

deals as (

    select * from {{ ref('stg_crm__deals') }}
    where is_won

),

splits as (

    select * from {{ ref('stg_crm__deal_splits') }}
    where split_type = 'revenue'

),

credits as (

    select * from {{ ref('int_deal_credits') }}
    where credit_type in ('direct', 'split')

),

problem_deals as (

    select distinct deal_id from {{ ref('int_deal_credit_problems') }}

),

split_totals as (

    select
        deal_id,
        sum(split_percent) as split_total

    from splits
    group by deal_id

),

credit_totals as (

    select
        deal_id,
        sum(source_amount) as credited,
        count(*) filter (where credit_type = 'direct') as direct_credits,
        count(*) filter (where credit_type = 'split') as split_credits

    from credits
    group by deal_id

),

reconciled as (

    select
        deals.deal_id,
        deals.amount,
        split_totals.split_total,
        deals.amount * coalesce(split_totals.split_total, 100) * 0.01 as expected,
        coalesce(credit_totals.credited, 0) as credited,
        coalesce(credit_totals.direct_credits, 0) as direct_credits,
        coalesce(credit_totals.split_credits, 0) as split_credits

    from deals
    left join split_totals
        on deals.deal_id = split_totals.deal_id
    left join credit_totals
        on deals.deal_id = credit_totals.deal_id
    where not exists (
        select 1 from problem_deals where deals.deal_id = problem_deals.deal_id
    )

)

select * from reconciled
where credited <> expected
    or (split_total is null and (direct_credits <> 1 or split_credits <> 0))
    or (split_total is not null and direct_credits <> 0)
