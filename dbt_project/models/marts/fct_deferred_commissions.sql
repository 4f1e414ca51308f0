{# Draft finance.deferred_commissions: every unpublished month (int_deferred_commissions). #}

select * from {{ ref('int_deferred_commissions') }}
