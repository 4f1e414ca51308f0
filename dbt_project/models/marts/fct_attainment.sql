{# Draft finance.attainment: per employee, component and unpublished month (int_engine_attainment). #}

select * from {{ ref('int_engine_attainment') }}
