{# Draft finance.payouts: one row per employee and unpublished month (int_engine_payouts). #}

select * from {{ ref('int_engine_payouts') }}
