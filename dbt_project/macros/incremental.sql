{#
    Incremental builds: the nightly run's cost follows the new data, not the history
    (docs/performance.md, "The nightly run").

    Raw tables are append-only (ingestion never rewrites a loaded batch), so what changed since
    the last successful build is the rows of the batches loaded after it. Before every build the
    orchestrator (openspm/incremental.py) lists those batches in dbt_state.new_batches and
    decides between an incremental build and --full-refresh: anything but new batches of the
    entities below (HR, users, fx, the compensation configuration, the dbt project itself)
    means a full refresh.

    An incremental model recomputes every key the new batches touch from the current upstream
    tables: a pre-hook deletes the key's rows, the model's SQL (filtered to those keys) appends
    them again, in one transaction. Doing it twice gives the same table, so a build that stops
    half-way is repaired by the next one, which sees the same new batches.

    Without dbt_state.new_batches (dbt run by hand), every loaded batch counts as new: slower,
    still correct.
#}

{# The files of raw.<raw_table> loaded since the last successful build. #}
{% macro new_batch_files(raw_table) -%}
    {%- set state = adapter.get_relation(
        database=target.database, schema='dbt_state', identifier='new_batches'
    ) -%}
    {%- if state is not none -%}
        select file from {{ state }} where raw_table = '{{ raw_table }}'
    {%- else -%}
        select distinct _file from {{ source('raw', raw_table) }}
    {%- endif -%}
{%- endmacro %}


{# The keys (typed as staging types them) that rows of the new batches of raw_table carry. #}
{% macro new_batch_keys(raw_table, key_column) -%}
    select distinct {{ to_string(key_column) }} as {{ key_column }}
    from {{ source('raw', raw_table) }}
    where _file in ({{ new_batch_files(raw_table) }})
{%- endmacro %}


{#
    In an incremental build, `and <key> in (<keys of the new batches>)` for a staging model's
    source rows; nothing otherwise. Every version of a touched key is read again, so the
    versioning rule sees the key's whole history.
#}
{% macro only_new_batch_keys(raw_table, key_column) -%}
    {%- if is_incremental() %}
        and {{ to_string(key_column) }} in ({{ new_batch_keys(raw_table, key_column) }})
    {%- endif -%}
{%- endmacro %}


{# Pre-hook of an incremental staging model: its rows of every key the new batches touch. #}
{% macro delete_new_batch_keys(raw_table, key_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ key_column }} in ({{ new_batch_keys(raw_table, key_column) }})
    {%- endif -%}
{%- endmacro %}


{# `and deal_id in (<changed deals>)` in an incremental build of a per-deal model. #}
{% macro only_changed_deals(deal_id_column='deal_id') -%}
    {%- if is_incremental() %}
        and {{ deal_id_column }} in (select deal_id from {{ ref('int_changed_deals') }})
    {%- endif -%}
{%- endmacro %}


{#
    Pre-hook of an incremental per-deal model (int_deal_credits, int_invoice_payment_credits,
    int_deal_credit_problems, int_component_credits).
#}
{% macro delete_changed_deals() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where deal_id in (select deal_id from {{ ref('int_changed_deals') }})
    {%- endif -%}
{%- endmacro %}


{#
    The materialization of the incremental models: `incremental`, but `table` on Spark, whose
    Parquet tables cannot delete the rows of a changed key (the pre-hook above); a Spark
    build recomputes them whole (docs/scaling.md; openspm/incremental.py plans every Spark
    build as a full refresh). Delta Lake or Iceberg tables would allow the incremental form.
#}
{% macro incremental_or_table() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}
