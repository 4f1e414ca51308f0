{#
    A list of problems that must be empty. Each row of `model` is one problem described in plain
    words in `message_column`. When the list is not empty, the test fails and, before that, prints
    up to `show` descriptions into the dbt log (stdout), so a failing build names the employees,
    deals or rates at fault instead of only "Got N results".
    `condition` (optional, SQL over the model's columns) keeps only some rows: one list can then
    feed an error-severity test and a warn-severity one (e.g. `is_blocking` / `not is_blocking`).
    Usage: data_tests: [{no_problem_rows: {arguments: {message_column: description}}}]
#}
{% test no_problem_rows(model, message_column='description', show=20, condition=none) %}

{%- set rows_sql -%}
    select * from {{ model }}{% if condition %} where {{ condition }}{% endif %}
{%- endset -%}

{%- if execute and flags.WHICH in ('build', 'test', 'run') -%}
    {%- set relation = adapter.get_relation(
            database=model.database, schema=model.schema, identifier=model.identifier) -%}
    {%- if relation is not none -%}
        {%- set found = run_query(
                'select ' ~ message_column ~ ', count(*) over () from (' ~ rows_sql
                ~ ') as problems order by 1 limit ' ~ show) -%}
        {%- for row in found.rows -%}
            {%- if loop.first -%}
                {%- do log(model.identifier ~ ': ' ~ row[1] ~ ' problem(s)', info=True) -%}
            {%- endif -%}
            {%- do log('  ' ~ model.identifier ~ ': ' ~ row[0], info=True) -%}
            {%- if loop.last and row[1] > show -%}
                {%- do log('  ' ~ model.identifier ~ ': ... and ' ~ (row[1] - show) ~ ' more', info=True) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endif -%}

{{ rows_sql }}

{% endtest %}
