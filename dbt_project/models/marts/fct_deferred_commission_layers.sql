{# Draft finance.deferred_commission_layers: every unpublished month (int_deferred_commission_layers). #}

select * from {{ ref('int_deferred_commission_layers') }}
