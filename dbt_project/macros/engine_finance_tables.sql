{#
    engine_ensure_finance_tables(): create the published tables the engine reads
    (finance.payouts, finance.payout_lines, finance.closes) when they do not exist yet, empty,
    with the DDL of openspm/publish.py::FINANCE_DDL (docs/engine-interface.md). The close
    (openspm/publish.py::ensure_finance_tables) normally creates them before dbt runs; this
    pre-hook of int_engine_months only keeps a plain `dbt build` on a fresh warehouse working.
    `if not exists`: an existing table is never touched.
#}
{% macro engine_ensure_finance_tables() -%}
    create schema if not exists finance;
    create table if not exists finance.payouts (
        employee_id varchar not null, period varchar not null, currency varchar,
        commission decimal(18, 2), spiff decimal(18, 2), draw_top_up decimal(18, 2),
        draw_recovery decimal(18, 2), adjustments decimal(18, 2),
        negative_carry_in decimal(18, 2), net_payout decimal(18, 2),
        run_id varchar not null, published_at timestamp not null
    );
    create table if not exists finance.payout_lines (
        employee_id varchar not null, period varchar not null, plan_id varchar,
        component_id varchar, quota_period_start date, line_type varchar,
        amount decimal(18, 2), currency varchar,
        run_id varchar not null, published_at timestamp not null
    );
    create table if not exists finance.closes (
        period varchar primary key, run_id varchar not null, published_at timestamp not null,
        payouts bigint not null, lines bigint not null, net_total decimal(18, 2) not null
    )
{%- endmacro %}
