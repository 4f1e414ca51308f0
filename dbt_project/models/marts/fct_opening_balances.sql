{#
    Draft finance.opening_balances: the go-live amounts the close of first_period records
    (rule 4.12; int_engine_opening_balances), until it is published.
#}

select * from {{ ref('int_engine_opening_balances') }}
where not is_recorded
