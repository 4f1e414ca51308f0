{# Draft finance.commission_costs: every drafted month (int_commission_costs). #}

select * from {{ ref('int_commission_costs') }}
