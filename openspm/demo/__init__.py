"""The bundled demo: a generated workspace of a sales company (docs/contract.md sections 1-3).

>>> from openspm.demo import DemoSize, generate_workspace
>>> summary = generate_workspace(Path("demo"), seed=7, size=DemoSize(employees=150))
"""

from openspm.demo.generator import (
    DemoSize,
    GenerationSummary,
    build_model,
    generate_workspace,
    is_generated_workspace,
)

__all__ = [
    "DemoSize",
    "GenerationSummary",
    "build_model",
    "generate_workspace",
    "is_generated_workspace",
]
