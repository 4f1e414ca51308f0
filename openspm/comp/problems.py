"""Configuration problems: where (file, line or row, key) and what is wrong."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

KeyPath = tuple[str | int, ...]


def format_key(path: Iterable[str | int]) -> str:
    """Render a key path as ``components[0].rates.tiers[1].from``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in the compensation configuration.

    ``file`` is relative to the workspace (``comp/plans/ae-2026.yaml``); ``line`` is 1-based
    (for a CSV data row N it is N + 1, and ``row`` is N); ``key`` is a YAML key path or a CSV
    column; either may be None when the problem concerns the whole file.
    """

    file: str
    line: int | None
    key: str | None
    message: str
    row: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
            if self.line is not None:
                where += f" (line {self.line})"
        elif self.line is not None:
            where += f" line {self.line}"
        key = f"{self.key}: " if self.key else ""
        return f"{where}: {key}{self.message}"


class CompConfigError(ValueError):
    """The compensation configuration is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems: list[ConfigProblem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def summary(self) -> str:
        """One line for a command's exit message: the count and the first problem."""
        count = len(self.problems)
        if not count:
            return "invalid compensation configuration"
        more = f" (and {count - 1} more)" if count > 1 else ""
        return f"invalid compensation configuration: {self.problems[0]}{more}"
