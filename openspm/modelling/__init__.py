"""Plan modelling on history (docs/modelling.md): candidate plan sets through the same engine.

    result = model_plans(workspace, ModelRequest(Path("candidates"), "2025-11", "2026-10"))
    print(result.summary())   # tables in the `modelling` schema, report in out/modelling/<run>/
"""

from openspm.modelling.run import ModelRequest, ModelResult, latest_result, model_plans
from openspm.modelling.scenarios import CURRENT, ModellingError, Scenario, discover

__all__ = [
    "CURRENT",
    "ModelRequest",
    "ModelResult",
    "ModellingError",
    "Scenario",
    "discover",
    "latest_result",
    "model_plans",
]
