"""The dbt project's layers run one way (docs/architecture.md), read from dbt's own manifest.

staging reads sources only; intermediate models hold the rules and never read a mart; marts are
leaves: thin selects over intermediate models, read by nothing but publication.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from openspm.dbt_project import ensure_manifest


@pytest.fixture(scope="module")
def nodes() -> dict[str, dict[str, Any]]:
    manifest = json.loads(ensure_manifest().read_text())
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }


def layer(node: dict[str, Any]) -> str:
    return str(node["fqn"][1])


def parents(node: dict[str, Any], nodes: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    names = [p.split(".")[-1] for p in node["depends_on"]["nodes"] if p.startswith("model.")]
    return [nodes[name] for name in names]


def test_every_model_sits_in_one_of_the_three_layers(nodes: dict[str, dict[str, Any]]) -> None:
    assert {layer(n) for n in nodes.values()} == {"staging", "intermediate", "marts"}


def test_staging_reads_only_sources(nodes: dict[str, dict[str, Any]]) -> None:
    for node in nodes.values():
        if layer(node) == "staging":
            assert not parents(node, nodes), node["name"]
            assert all(p.startswith("source.") for p in node["depends_on"]["nodes"])


def test_no_intermediate_model_reads_a_mart(nodes: dict[str, dict[str, Any]]) -> None:
    for node in nodes.values():
        if layer(node) == "intermediate":
            assert [p["name"] for p in parents(node, nodes) if layer(p) == "marts"] == [], node[
                "name"
            ]


def test_marts_are_thin_leaves_over_intermediate_models(nodes: dict[str, dict[str, Any]]) -> None:
    marts = [n for n in nodes.values() if layer(n) == "marts"]
    assert marts
    for mart in marts:
        ups = parents(mart, nodes)
        assert len(ups) == 1 and layer(ups[0]) == "intermediate", mart["name"]
        assert not mart["depends_on"]["nodes"][1:], mart["name"]  # no source read besides
        assert mart["config"]["meta"]["openspm"]["publish_to"].startswith("finance."), mart["name"]
        # a select of one intermediate model: no join, no aggregate, at most a filter
        sql = " ".join(mart["raw_code"].lower().split())
        for word in (" join ", " group by ", " over (", " union "):
            assert word not in sql, (mart["name"], word)


def test_clawback_window_is_written_once(nodes: dict[str, dict[str, Any]]) -> None:
    users = sorted(
        n["name"]
        for n in nodes.values()
        if "macro.openspm.clawback_reverses" in n["depends_on"]["macros"]
    )
    assert users == ["int_component_credits", "int_engine_spiff_credits"]
    for node in nodes.values():
        assert "cancelled_date - " not in node["raw_code"], node["name"]


def test_the_measure_of_an_event_is_written_once(nodes: dict[str, dict[str, Any]]) -> None:
    users = sorted(
        n["name"]
        for n in nodes.values()
        if "macro.openspm.event_measure" in n["depends_on"]["macros"]
    )
    assert users == ["int_component_credits", "int_invoice_payment_credits"]
    for node in nodes.values():
        assert "when 'invoice' then 'billings'" not in node["raw_code"], node["name"]
