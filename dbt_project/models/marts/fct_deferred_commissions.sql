{{ config(materialized='view') }}
{#
    Draft finance.deferred_commissions: every drafted month (int_deferred_commissions). A view:
    a roll-forward row per asset is millions of rows at scale, and the close reads one month.
#}

select * from {{ ref('int_deferred_commissions') }}
