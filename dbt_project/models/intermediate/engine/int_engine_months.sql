{{ config(materialized='table') }}
{#
    The months the engine settles: every month from first_period to through_period
    (docs/engine-interface.md). Each is a dbt var, else the environment variable
    OPENSPM_FIRST_PERIOD / OPENSPM_THROUGH_PERIOD (the orchestrator sets these: a changed
    env var re-parses only this file, a changed --vars re-parses the whole project). Defaults
    when neither is set: first_period = the month of the
    earliest plan assignment; through_period = the month of the latest credit date (else
    first_period). A month listed in finance.closes is published: its drafts are not produced,
    its published numbers are read instead.
#}

with

assignments as (

    select * from {{ source('comp', 'plan_assignments') }}

),

credits as (

    select * from {{ ref('int_component_credits') }}

),

closes as (

    select * from {{ source('finance', 'closes') }}

),

{%- set first_period = var('first_period', env_var('OPENSPM_FIRST_PERIOD', '')) -%}
{%- set through_period = var('through_period', env_var('OPENSPM_THROUGH_PERIOD', '')) %}

bounds as (

    select
        {% if first_period -%}
            cast('{{ first_period }}-01' as date)
        {%- else -%}
            (select {{ month_start('min(effective_from)') }} from assignments)
        {%- endif %} as first_month,
        {% if through_period -%}
            cast('{{ through_period }}-01' as date)
        {%- else -%}
            (select {{ month_start('max(credit_date)') }} from credits)
        {%- endif %} as through_month

),

series as (

    select month_start
    from {{ month_series('(select first_month from bounds)', '(select through_month from bounds)') }}
        as months

),

final as (

    select
        {{ month_text('series.month_start') }} as period,
        series.month_start,
        {{ add_days(add_months('series.month_start', 1), -1) }} as month_end,
        cast(row_number() over (order by series.month_start) as integer) as month_number,
        closes.period is not null as is_published

    from series
    left join closes
        on closes.period = {{ month_text('series.month_start') }}

)

select * from final
