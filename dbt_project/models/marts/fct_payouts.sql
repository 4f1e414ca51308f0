{# Draft finance.payouts: one row per employee and unpublished month (int_engine_payouts). #}

select
    employee_id,
    period,
    currency,
    commission,
    spiff,
    draw_top_up,
    draw_recovery,
    adjustments,
    negative_carry_in,
    net_payout

from {{ ref('int_engine_payouts') }}
