{#
    The open months drafted with their accounting (docs/accounting.md, "Drafts"): from the
    first unpublished month, `draft_months` of them (openspm.yaml accounting: draft_months,
    extension; default 1). A close publishes the first open month, whose accounting follows
    from the published layers; a later month's follows from the drafts before it, and at
    scale (a roll-forward row per asset and month) drafting every open month of a first run
    costs far more than it tells, so by default only the next month to close is drafted.
#}

with

months as (

    select * from {{ ref('int_engine_months') }}
    where not is_published

),

policy as (

    select * from {{ ref('int_accounting_policy') }}

),

final as (

    select period, month_start, month_end, month_number, month_index
    from (
        select
            months.period,
            months.month_start,
            months.month_end,
            months.month_number,
            {{ period_index('months.period') }} as month_index,
            policy.draft_months,
            row_number() over (order by months.month_start) as month_rank
        from months
        cross join policy
    ) as ranked
    where month_rank <= draft_months

)

select * from final
