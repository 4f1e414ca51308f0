{# Draft finance.commission_costs: every unpublished month (int_commission_costs). #}

select * from {{ ref('int_commission_costs') }}
