{#
    Draft finance.draw_balances (extension): per payout row, the employee's recoverable draw
    balance before the month (converted into the month's payout currency) and after its top-up
    and recovery (int_engine_payouts). Statements show it; the engine reads finance.payouts.
#}

select
    employee_id,
    period,
    currency,
    draw_balance_before,
    draw_balance_after

from {{ ref('int_engine_payouts') }}
