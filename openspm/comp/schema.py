"""JSON Schema of a plan file, for editors (VS Code with the YAML extension shows help and errors).

Regenerate the committed copy with ``python -m openspm.comp.schema > docs/plan.schema.json``.
"""

from __future__ import annotations

import json
from typing import Any

from openspm.comp.plans import Plan

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``comp/plans/*.yaml``, generated from ``Plan``."""
    schema = Plan.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": SCHEMA_DIALECT,
        **schema,
        "description": (
            "An OpenSPM compensation plan: one file comp/plans/<id>.yaml. "
            "See docs/plan-writing-guide.md."
        ),
    }


def plan_json_schema_text() -> str:
    """The schema as committed in ``docs/plan.schema.json`` (2-space indent, final newline)."""
    return json.dumps(plan_json_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """Print the schema to standard output."""
    print(plan_json_schema_text(), end="")


if __name__ == "__main__":
    main()
