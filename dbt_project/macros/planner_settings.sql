{#
    The query planner's settings for one model's statements, per engine (docs/performance.md,
    "Why a PostgreSQL close slowed down month after month"). Every model runs it as a pre-hook
    (dbt_project.yml); it dispatches on the target's adapter to default__ (nothing: DuckDB and
    Spark plan these queries well as they are) or postgres__.

    PostgreSQL, for the model's transaction only (set_config(..., true) is SET LOCAL):
      enable_nestloop off: the planner has no statistics for a CTE's output, so a join of two
        CTEs on several columns is estimated at 1 row; it then joins them by nested loop,
        re-running the inner side for every outer row. int_engine_component_earnings joins
        its months x keys rows to their tiered earnings that way, so its cost grew with the
        square of the months closed (0.7 s for the first close of the demo, 49 s for the 8th).
        The models read whole tables; hash and merge joins are the right plans for all of
        them, and a nested loop is still chosen where it is the only plan (a cross join).
      jit off: these estimates (and the planner's cost penalty for a disabled nested loop)
        exceed jit_above_cost, and compiling a model's query with LLVM took 2-7 s, far more
        than running it (int_engine_payout_inputs: 7.1 s with JIT, 0.05 s without).
#}
{% macro planner_settings() -%}
    {{ return(adapter.dispatch('planner_settings', 'openspm')()) }}
{%- endmacro %}

{% macro default__planner_settings() -%}
{%- endmacro %}

{% macro postgres__planner_settings() -%}
    select set_config('enable_nestloop', 'off', true), set_config('jit', 'off', true)
{%- endmacro %}
