"""The engine's own SQL outside dbt (openspm.whatif.render) and the forecast's earnings on it.

No dbt build: the renderer reads the parsed manifest and the macros; the earnings query runs on
an in-memory DuckDB with hand-made compensation tables.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from openspm.forecast.model import KEY, _earnings_sql
from openspm.whatif import ModelRenderer, RenderError


def test_models_between_a_replaced_input_and_the_target_are_rendered() -> None:
    renderer = ModelRenderer({"stg_crm__deals": "(select 1 as deal_id)"})
    assert renderer.relation("int_hierarchy_closure") == "intermediate.int_hierarchy_closure"
    assert renderer.relation("int_engine_component_credits") == (
        "whatif__int_engine_component_credits"
    )
    query = renderer.query("select * from whatif__int_engine_component_credits")
    for model in ("int_deal_credits", "int_plan_credits", "int_component_credits"):
        assert f"whatif__{model} as (" in query
    assert "int_changed_deals" not in query  # an incremental model is read whole
    assert "{{" not in query and "{%" not in query
    assert "from intermediate.int_plan_assignment_ranges" in query  # not replaced: the table
    assert "(select 1 as deal_id)" in query


def test_unknown_models_and_macros_are_refused() -> None:
    with pytest.raises(RenderError, match="unknown dbt model"):
        ModelRenderer({"int_nope": "x"})
    with pytest.raises(RenderError, match="no dbt macro named 'nope'"):
        ModelRenderer().macro("nope")
    assert "trunc(a)" in ModelRenderer().macro("fx_convert", "a", "r")


def test_the_forecast_earnings_use_the_engine_tier_arithmetic() -> None:
    """Marginal 10% to quota 100,000 then 20%; retroactive (the same tiers) on all credit; flat
    10% capped at 5,000; a negative credit to date earns the first tier's rate."""
    con = duckdb.connect()
    con.execute("create schema comp")
    con.execute(
        "create table comp.plan_components as select * from (values "
        "('P', 'marg', 'marginal', null, null), ('P', 'retro', 'retroactive', null, null), "
        "('P', 'flat', 'flat', 0.10, 5000)) "
        "t(plan_id, component_id, rate_method, flat_rate, cap)"
    )
    con.execute(
        "create table comp.plan_component_tiers as select plan_id, component_id, tier_number, "
        "cast(tier_from as decimal(18,10)) as tier_from, cast(tier_to as decimal(18,10)) "
        "as tier_to, cast(rate as decimal(18,10)) as rate from (values "
        "('P', 'marg', 1, 0.0, 1.0, 0.10), ('P', 'marg', 2, 1.0, null, 0.20), "
        "('P', 'retro', 1, 0.0, 1.0, 0.10), ('P', 'retro', 2, 1.0, null, 0.20)) "
        "t(plan_id, component_id, tier_number, tier_from, tier_to, rate)"
    )
    con.execute(
        "create table comp.quotas as select 'E' as employee_id, 'P' as plan_id, component_id, "
        "date '2026-01-01' as period_start, cast(100000 as decimal(20,6)) as quota "
        "from (values ('marg'), ('retro')) t(component_id)"
    )
    con.execute(
        "create table grid as select 'E' as employee_id, 'P' as plan_id, component_id, "
        "date '2026-01-01' as quota_period_start, month_number, "
        "cast(ctd as decimal(38,14)) as ctd from (values "
        "('marg', 1, 150000), ('marg', 2, -1000), ('retro', 1, 150000), ('retro', 2, 99999.99), "
        "('flat', 1, 40000), ('flat', 2, 70000)) t(component_id, month_number, ctd)"
    )
    earnings = _earnings_sql(ModelRenderer(), "grid", (*KEY, "month_number"))
    rows = con.execute(
        f"select component_id, month_number, due from ({earnings}) order by all"
    ).fetchall()
    assert rows == [
        ("flat", 1, Decimal("4000.00")),
        ("flat", 2, Decimal("5000.00")),  # capped
        ("marg", 1, Decimal("20000.00")),  # 10,000 + 50,000 x 20%
        ("marg", 2, Decimal("-100.00")),  # negative: first tier's rate
        ("retro", 1, Decimal("30000.00")),  # all 150,000 at 20%
        ("retro", 2, Decimal("10000.00")),  # 99,999.99 at 10%, rounded to cents
    ]
