{# Draft finance.amortization_schedule: every drafted month (int_amortization_schedule). #}

select * from {{ ref('int_amortization_schedule') }}
