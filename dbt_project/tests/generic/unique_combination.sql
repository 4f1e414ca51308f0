{#
    The combination of `combination_of_columns` is unique (a composite key); NULLs compare equal.
    Usage: data_tests: [{unique_combination: {arguments: {combination_of_columns: [a, b]}}}]
#}
{% test unique_combination(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as n_records
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
