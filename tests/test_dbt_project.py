"""What Python reads from the dbt manifest: incremental models, the entities they absorb, and
which mart publishes into which finance table (no model name typed in Python)."""

from __future__ import annotations

import pytest

from openspm.dbt_project import DbtProjectError, Manifest, project_manifest
from openspm.incremental import incremental_entities, incremental_tables
from openspm.publish import PUBLISHED_TABLES, draft_tables


def node(name: str, schema: str, materialized: str, *, reads=(), meta=None) -> dict:
    return {
        "resource_type": "model",
        "name": name,
        "schema": schema,
        "alias": name,
        "config": {"materialized": materialized, "meta": meta or {}},
        "depends_on": {"nodes": list(reads)},
    }


SOURCES = {
    "source.p.raw.crm__deals": {"schema": "raw", "name": "crm__deals", "source_name": "raw"},
    "source.p.raw.hris__employees": {
        "schema": "raw", "name": "hris__employees", "source_name": "raw"
    },
}


def manifest(*nodes: dict) -> Manifest:
    return Manifest.from_json({"sources": SOURCES, "nodes": {n["name"]: n for n in nodes}})


def test_incremental_models_and_the_entities_they_absorb_come_from_the_manifest() -> None:
    parsed = manifest(
        node("stg_crm__deals", "staging", "incremental", reads=["source.p.raw.crm__deals"]),
        node("stg_hris__employees", "staging", "table", reads=["source.p.raw.hris__employees"]),
        node("int_credits", "intermediate", "incremental", reads=["model.p.stg_crm__deals"]),
    )
    assert incremental_tables(parsed) == ("intermediate.int_credits", "staging.stg_crm__deals")
    assert incremental_entities(parsed) == {"crm/deals"}  # employees rebuild whole


def publishing(table: str) -> dict:
    return {"openspm": {"publish_to": f"finance.{table}"}}


def test_the_marts_name_the_tables_they_publish_to() -> None:
    marts = [node(f"fct_{t}", "marts", "table", meta=publishing(t)) for t in PUBLISHED_TABLES]
    assert draft_tables(manifest(*marts)) == {t: f"marts.fct_{t}" for t in PUBLISHED_TABLES}
    with pytest.raises(DbtProjectError, match=r"no mart publishes to finance\.credits"):
        draft_tables(manifest(*[m for m in marts if m["name"] != "fct_credits"]))
    extra = node("fct_bonus", "marts", "table", meta=publishing("bonus"))
    with pytest.raises(DbtProjectError, match=r"finance\.bonus, which is not a published table"):
        draft_tables(manifest(*marts, extra))
    twice = node("fct_payouts_again", "marts", "table", meta=publishing("payouts"))
    with pytest.raises(DbtProjectError, match=r"both publish to finance\.payouts"):
        draft_tables(manifest(*marts, twice))


def test_the_project_publishes_every_finance_table_from_a_mart() -> None:
    drafts = draft_tables(project_manifest())
    assert set(drafts) == set(PUBLISHED_TABLES)
    assert all(mart.startswith("marts.") for mart in drafts.values())
    assert "marts.fct_credits" not in incremental_tables()  # marts are thin, rebuilt whole
