{#
    Draft finance.credits: every credit of every employee, per plan component, with clawback
    reversals and lineage (rules 4.1-4.5; int_component_credits holds the rules).
#}
{{ config(materialized='view') }}

select * from {{ ref('int_component_credits') }}
