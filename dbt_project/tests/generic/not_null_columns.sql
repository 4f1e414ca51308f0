{#
    Every column in `columns` has a value in every row: one test per model instead of one per
    column (each dbt test costs ~40 ms of start-up, whatever its size). A failing row names the
    column and the row: the `label_columns` (e.g. source_file and source_row, or the key).
    Usage: data_tests: [{not_null_columns: {arguments: {columns: [a, b], label_columns: [id]}}}]
#}
{% test not_null_columns(model, columns, label_columns=[]) %}

{%- set label -%}
    {%- if label_columns -%}
        {%- for column in label_columns -%}
            '{{ column }} ' || coalesce(cast({{ column }} as {{ type_text() }}), '(none)')
            {%- if not loop.last %} || ', ' || {% endif -%}
        {%- endfor -%}
    {%- else -%}
        'a row'
    {%- endif -%}
{%- endset %}

{% for column in columns %}
select
    '{{ column }}' as column_name,
    {{ label }} as row_label,
    '{{ model.identifier }}: ' || {{ label }} || ' has no {{ column }}' as description
from {{ model }}
where {{ column }} is null
{% if not loop.last %}union all{% endif %}
{% endfor %}

{% endtest %}
