{{ config(materialized='table') }}
{#
    Rules 10-11: payouts (docs/engine-interface.md), one row per employee and unpublished
    month from first_period to through_period for every employee who holds a plan on a day of
    the month, has a non-zero line or adjustment in it, or carries a draw balance recovery or a
    negative carry-in into it. Month by month per employee (a recursive CTE; on Spark a fold over
    the employee's months, macros/engine_payouts.sql), in the payout currency:
      c         = commission (commission + restatement lines) + spiff
      top-up    = max(0, d - c); a recoverable draw adds it to the draw balance
      recovery  = min(balance before the month, max(0, c - d)); the balance is the employee's
                  and is recovered from any later month's excess over its draw
      net       = c + top-up - recovery + adjustments + negative carry-in, paid as max(0, net);
                  a negative net is carried into the next month as negative_carry_in.
    Published months (finance.payouts) are not recomputed: their numbers seed the balance and
    the carry of the months after them. The first month starts from the go-live balances
    (int_engine_opening_balances, rule 4.12); a balance or carry moving into a month of another
    payout currency converts at the rate of the last day of the month it leaves (rule 11).
#}

with {{ engine_payout_recursion() }}

inputs as (

    select * from {{ ref('int_engine_payout_inputs') }}

),

-- month by month per employee: a recursive CTE, or a fold on Spark (macros/engine_payouts.sql)
steps as (

    {{ engine_payout_steps('inputs', 'steps') }}

),

final as (

    select
        inputs.employee_id,
        inputs.period,
        inputs.currency,
        inputs.commission,
        inputs.spiff,
        steps.draw_top_up,
        steps.draw_recovery,
        inputs.adjustments,
        steps.negative_carry_in,
        cast(greatest(
            0,
            inputs.commission + inputs.spiff + steps.draw_top_up - steps.draw_recovery
            + inputs.adjustments + steps.negative_carry_in
        ) as decimal(18, 2)) as net_payout,
        steps.balance_before as draw_balance_before,
        steps.balance_after as draw_balance_after

    from inputs
    inner join steps
        on inputs.employee_id = steps.employee_id
        and inputs.month_number = steps.month_number
    where not inputs.is_published
        and (
            inputs.is_relevant
            or steps.negative_carry_in <> 0
            or steps.draw_top_up <> 0
            or steps.draw_recovery <> 0
        )

)

select * from final
