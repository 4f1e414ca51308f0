"""The ``openspm`` command line (docs/contract.md section 8): ``app`` and its entry point.

Importing this package registers every command on ``app``; each command module holds the
commands of one kind, and ``engine`` is the one place that imports the pipelines lazily.
"""

from openspm.cli import workspace_commands  # noqa: I001 (import order = order in --help)
from openspm.cli import check_commands, run_commands, statement_commands, dbt_command
from openspm.cli import model_commands
from openspm.cli.app import app, invoke, main

__all__ = [
    "app",
    "check_commands",
    "dbt_command",
    "invoke",
    "main",
    "model_commands",
    "run_commands",
    "statement_commands",
    "workspace_commands",
]
