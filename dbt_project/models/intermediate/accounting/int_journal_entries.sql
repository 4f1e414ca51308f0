{#
    The journal entries of every drafted month (docs/contract.md 5.5; docs/accounting.md,
    "Journal entries"), per month and payout currency, with the accounts of openspm.yaml
    `accounting:` (int_accounting_policy). One entry per month, currency and kind, id
    OSPM-<period>-<currency>-<code>; its detail lines name the deal, the employee or the
    adjustment, and one balancing line closes it, so every entry balances.

      CAP capitalization    Dr deferred_commissions (per deal) / Cr accrued_commissions
      EXP expense           Dr commission_expense (per deal; unattributed lines per employee;
                            a reduction of an expensed deal beyond its asset: Cr) / Cr accrued
      DRW draws             Dr commission_expense top-ups, Cr recoveries (per employee) / accrued
      ADJ adjustments       Dr (Cr) commission_expense (per adjustment) / accrued
      WDN write-down        Dr accrued_commissions / Cr deferred_commissions (per deal)
      REV reversal          Dr accrued_commissions / Cr commission_amortization (per deal): a
                            reduction beyond the asset's balance reverses amortization expense
      AMO amortization      Dr commission_amortization / Cr deferred_commissions (the month's
                            total; the assets are in finance.deferred_commissions)
      IMP impairment        Dr commission_impairment (per deal) / Cr deferred_commissions
      PAY payout            Dr accrued_commissions / Cr payroll_clearing (the net payouts)
      CRY negative carry    Dr accrued_commissions / Cr payroll_clearing for the negative carry
                            taken over at go-live (or in the first month booked after months
                            closed before accounting existed); when an employee's payout
                            currency changes,
                            the carry leaves the old currency (Cr accrued) and enters the new
                            one (Dr accrued), each against payroll_clearing
    So accrued_commissions, credited with every cost and debited with what is paid, holds at
    every month end minus the negative carry still outstanding (what reps owe back).
#}

with

months as (

    select * from {{ ref('int_engine_months') }}

),

-- the open months drafted with their accounting
drafted as (

    select period from {{ ref('int_accounting_months') }}

),

policy as (

    select * from {{ ref('int_accounting_policy') }}

),

asset_costs as (

    select * from {{ ref('int_accounting_asset_costs') }}

),

segments as (

    select * from {{ ref('int_accounting_layer_segments') }}

),

layer_months as (

    select * from {{ ref('int_accounting_layer_months') }}

),

costs as (

    select * from {{ ref('int_accounting_costs') }}
    where deal_id is null

),

draft_payouts as (

    select * from {{ ref('int_engine_payouts') }}

),

published_payouts as (

    select * from {{ source('finance', 'payouts') }}

),

-- published months with journal entries (a month closed before accounting existed has none)
booked as (

    select distinct period from {{ source('finance', 'journal_entries') }}

),

-- the month before each month carries the books: it is a draft, or was published with them
booked_months as (

    select
        months.period,
        months.month_number,
        not months.is_published or booked.period is not null as is_booked
    from months
    left join booked
        on months.period = booked.period

),

write_downs as (

    select asset_id, {{ index_period('segment_start') }} as period, sum(write_down) as write_down
    from segments
    where kind = 'written_down'
    group by asset_id, segment_start

),

reductions as (

    select
        asset_costs.period,
        asset_costs.currency,
        asset_costs.deal_id,
        asset_costs.is_expensed,
        coalesce(write_downs.write_down, 0) as write_down,
        -asset_costs.amount - coalesce(write_downs.write_down, 0) as excess
    from asset_costs
    left join write_downs
        on asset_costs.asset_id = write_downs.asset_id
        and asset_costs.period = write_downs.period
    where asset_costs.treatment = 'reduction'

),

-- every employee's payouts, published and draft, with the negative carry each month leaves
payouts as (

    select
        all_payouts.employee_id,
        all_payouts.period,
        months.month_number,
        drafted.period is not null as is_drafted,
        all_payouts.currency,
        all_payouts.negative_carry_in,
        all_payouts.net_payout,
        least(
            0,
            all_payouts.commission + all_payouts.spiff + all_payouts.draw_top_up
            - all_payouts.draw_recovery + all_payouts.adjustments + all_payouts.negative_carry_in
        ) as carry_out
    from (
        select
            employee_id, period, currency, commission, spiff, draw_top_up, draw_recovery,
            adjustments, negative_carry_in, net_payout
        from published_payouts

        union all

        select
            employee_id, period, currency, commission, spiff, draw_top_up, draw_recovery,
            adjustments, negative_carry_in, net_payout
        from draft_payouts
    ) as all_payouts
    inner join months
        on all_payouts.period = months.period
    left join drafted
        on all_payouts.period = drafted.period

),

carries as (

    -- taken over at go-live (the first month's carry-in), or from months closed before
    -- accounting existed (the first month whose month before has no journal entries)
    select
        payouts.period,
        payouts.currency,
        payouts.employee_id,
        -payouts.negative_carry_in as amount,
        payouts.employee_id || ': negative carry taken over' ||
            case when payouts.month_number = 1 then ' at go-live' else ' from '
                || before.period || ', closed before accounting' end as memo
    from payouts
    left join booked_months as before
        on before.month_number = payouts.month_number - 1
    where payouts.is_drafted
        and payouts.negative_carry_in <> 0
        and coalesce(not before.is_booked, true)

    union all

    -- entering the new payout currency
    select
        payouts.period,
        payouts.currency,
        payouts.employee_id,
        -payouts.negative_carry_in,
        payouts.employee_id || ': negative carry moved in from ' || before.currency
    from payouts
    inner join payouts as before
        on payouts.employee_id = before.employee_id
        and before.month_number = payouts.month_number - 1
    inner join booked_months
        on before.period = booked_months.period
        and booked_months.is_booked
    where payouts.is_drafted
        and payouts.negative_carry_in <> 0
        and before.currency <> payouts.currency

    union all

    -- leaving the old one
    select
        payouts.period,
        before.currency,
        payouts.employee_id,
        before.carry_out,
        payouts.employee_id || ': negative carry moved out to ' || payouts.currency
    from payouts
    inner join payouts as before
        on payouts.employee_id = before.employee_id
        and before.month_number = payouts.month_number - 1
    inner join booked_months
        on before.period = booked_months.period
        and booked_months.is_booked
    where payouts.is_drafted
        and payouts.negative_carry_in <> 0
        and before.currency <> payouts.currency

),

details as (

    select
        period, currency, 'CAP' as code, deal_id, null as employee_id,
        'deferred_commissions' as account_role, sum(amount) as amount,
        'deal ' || deal_id || ': commission capitalized' as memo
    from asset_costs
    where treatment = 'capitalized'
    group by period, currency, deal_id

    union all

    select
        period, currency, 'EXP', deal_id, null, 'commission_expense', sum(amount),
        'deal ' || deal_id || ': commission expensed'
    from (
        select period, currency, deal_id, amount
        from asset_costs
        where treatment = 'expensed'

        union all

        select period, currency, deal_id, -excess
        from reductions
        where is_expensed
    ) as expensed
    group by period, currency, deal_id

    union all

    select
        period, currency, 'EXP', null, employee_id, 'commission_expense', sum(amount),
        employee_id || ': ' || cost_type || ' line of ' || plan_id || ' ' || component_id
            || ' with no credited deal'
    from costs
    where basis = 'unattributed'
    group by period, currency, employee_id,
        employee_id || ': ' || cost_type || ' line of ' || plan_id || ' ' || component_id
            || ' with no credited deal'

    union all

    select
        period, currency, 'DRW', null, employee_id, 'commission_expense', amount,
        employee_id || ': ' || replace(cost_type, '_', ' ')
    from costs
    where cost_type in ('draw_top_up', 'draw_recovery')

    union all

    select
        period, currency, 'ADJ', null, employee_id, 'commission_expense', amount,
        'adjustment ' || adjustment_id || ' of ' || employee_id
    from costs
    where cost_type = 'adjustment'

    union all

    select
        period, currency, 'WDN', deal_id, null, 'deferred_commissions', -sum(write_down),
        'deal ' || deal_id || ': deferred commission written down'
    from reductions
    group by period, currency, deal_id

    union all

    select
        period, currency, 'REV', deal_id, null, 'commission_amortization', -sum(excess),
        'deal ' || deal_id || ': reduction beyond the deferred balance'
    from reductions
    where not is_expensed
    group by period, currency, deal_id

    union all

    select
        period, currency, 'AMO', null, null, 'commission_amortization', sum(amortization),
        'amortization of deferred commissions (finance.deferred_commissions)'
    from layer_months
    where amortization <> 0
    group by period, currency

    union all

    select
        period, currency, 'IMP', deal_id, null, 'commission_impairment', sum(impairment),
        'deal ' || deal_id || ': cancelled, deferred commission impaired'
    from layer_months
    where impairment <> 0
    group by period, currency, deal_id

    union all

    select
        period, currency, 'PAY', null, null, 'accrued_commissions', sum(net_payout),
        'net payouts of ' || period || ' to ' || cast(count(*) as {{ type_text() }})
            || ' employee(s)'
    from payouts
    where is_drafted
        and net_payout <> 0
    group by period, currency

    union all

    select period, currency, 'CRY', null, employee_id, 'accrued_commissions', amount, memo
    from carries

),

entries as (

    select * from (values
        ('CAP', 'capitalization', 'accrued_commissions', 'commission capitalized'),
        ('EXP', 'expense', 'accrued_commissions', 'commission expensed'),
        ('DRW', 'draws', 'accrued_commissions', 'draw top-ups and recoveries'),
        ('ADJ', 'adjustments', 'accrued_commissions', 'manual adjustments'),
        ('WDN', 'write_down', 'accrued_commissions', 'deferred commissions written down'),
        ('REV', 'amortization_reversal', 'accrued_commissions', 'reductions beyond the deferred balance'),
        ('AMO', 'amortization', 'deferred_commissions', 'amortization of deferred commissions'),
        ('IMP', 'impairment', 'deferred_commissions', 'impairment of cancelled deals'),
        ('PAY', 'payout', 'payroll_clearing', 'net payouts'),
        ('CRY', 'negative_carry', 'payroll_clearing', 'negative carry (what reps owe back)')
    ) as entries(code, entry_type, balancing_role, description)

),

lines as (

    select
        details.period, details.currency, details.code, details.deal_id, details.employee_id,
        details.account_role, details.amount, details.memo, 0 as is_balancing
    from details
    where details.amount <> 0

    union all

    select
        details.period, details.currency, details.code, null, null,
        entries.balancing_role, -sum(details.amount),
        entries.description || ', ' || details.period || ' ' || details.currency,
        1
    from details
    inner join entries
        on details.code = entries.code
    where details.amount <> 0
    group by details.period, details.currency, details.code, entries.balancing_role,
        entries.description
    having sum(details.amount) <> 0

),

final as (

    select
        lines.period,
        'OSPM-' || lines.period || '-' || lines.currency || '-' || lines.code as entry_id,
        cast(row_number() over (
            partition by lines.period, lines.currency, lines.code
            order by lines.is_balancing, lines.deal_id nulls last,
                lines.employee_id nulls last, lines.memo nulls last
        ) as integer) as line,
        case lines.account_role
            when 'deferred_commissions' then policy.deferred_commissions_account
            when 'commission_expense' then policy.commission_expense_account
            when 'commission_amortization' then policy.commission_amortization_account
            when 'commission_impairment' then policy.commission_impairment_account
            when 'accrued_commissions' then policy.accrued_commissions_account
            when 'payroll_clearing' then policy.payroll_clearing_account
        end as account,
        cast(greatest(lines.amount, 0) as decimal(18, 2)) as debit,
        cast(greatest(-lines.amount, 0) as decimal(18, 2)) as credit,
        lines.currency,
        lines.memo,
        entries.entry_type,
        lines.account_role,
        lines.deal_id,
        lines.employee_id

    from lines
    inner join entries
        on lines.code = entries.code
    cross join policy

)

select * from final
