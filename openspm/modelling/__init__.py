"""Plan modelling on history (docs/modelling.md): candidate plan sets through the same engine.

    from openspm.modelling.run import model_plans   # the engine, the report, Matplotlib
    result = model_plans(workspace, ModelRequest(Path("candidates"), "2025-11", "2026-10"))
    print(result.summary())   # tables in the `modelling` schema, report in out/modelling/<run>/

The package itself is light (what the command line imports): scenarios, the request, the
latest result; ``openspm.modelling.run`` does the work.
"""

from openspm.modelling.request import ModelRequest, ModelResult, latest_result
from openspm.modelling.scenarios import (
    CURRENT,
    ModellingError,
    Scenario,
    check_scenarios,
    discover,
)

__all__ = [
    "CURRENT",
    "ModelRequest",
    "ModelResult",
    "ModellingError",
    "Scenario",
    "check_scenarios",
    "discover",
    "latest_result",
]
