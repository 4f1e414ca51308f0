{#
    The contract's versioning rule (section 2), written once for every staging model.

    `relation` is a relation or CTE name holding typed rows with `source_file` (raw `_file`) and
    `source_row` (raw `_row_number`). For each key it keeps the latest version: the greatest
    `versioned_by` value (skipped when versioned_by is none, e.g. fx rates), ties broken by the
    file name that sorts last, then by the greater row number. When `deletable`, a key whose
    latest version has is_deleted = true is dropped (NULL is_deleted counts as false); a later
    re-creation (is_deleted false, greater version) brings the key back.
#}
{% macro latest_version(relation, key_columns, versioned_by='modified_at', deletable=false) -%}
    {{ return(adapter.dispatch('latest_version', 'openspm')(relation, key_columns, versioned_by, deletable)) }}
{%- endmacro %}


{% macro default__latest_version(relation, key_columns, versioned_by, deletable) -%}
    select * {{ star_except('version_rank') }}
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by
                    {%- if versioned_by %}
                    {{ versioned_by }} desc nulls last,
                    {%- endif %}
                    source_file desc,
                    source_row desc
            ) as version_rank
        from {{ relation }}
    ) as versions
    where version_rank = 1
    {%- if deletable %}
        and not coalesce(is_deleted, false)
    {%- endif %}
{%- endmacro %}


{#
    PostgreSQL has no `* exclude`: DISTINCT ON keeps the first row of each key in the same
    order (its own way of taking the latest version, and a fast one). File names compare
    byte by byte (collation "C"), as on DuckDB and Spark, whatever the database's collation.
#}
{% macro postgres__latest_version(relation, key_columns, versioned_by, deletable) -%}
    select *
    from (
        select distinct on ({{ key_columns | join(', ') }}) *
        from {{ relation }}
        order by
            {{ key_columns | join(', ') }},
            {%- if versioned_by %}
            {{ versioned_by }} desc nulls last,
            {%- endif %}
            source_file collate "C" desc,
            source_row desc
    ) as versions
    {%- if deletable %}
    where not coalesce(is_deleted, false)
    {%- endif %}
{%- endmacro %}


{# `* exclude (c)` of DuckDB, `* except (c)` of Spark. #}
{% macro star_except(column) -%}
    {{ return(adapter.dispatch('star_except', 'openspm')(column)) }}
{%- endmacro %}
{% macro default__star_except(column) -%}exclude ({{ column }}){%- endmacro %}
{% macro spark__star_except(column) -%}except ({{ column }}){%- endmacro %}
