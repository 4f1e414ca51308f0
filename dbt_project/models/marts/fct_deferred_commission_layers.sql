{# Draft finance.deferred_commission_layers: every drafted month (int_deferred_commission_layers). #}

select * from {{ ref('int_deferred_commission_layers') }}
