"""The package installs without warnings of its own making, and declares what it imports."""

from __future__ import annotations

import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_the_licence_is_an_spdx_expression() -> None:
    """A licence table (``{text = ...}``) made setuptools print deprecation warnings at install."""
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert data["project"]["license"] == "Apache-2.0"
    assert not [c for c in data["project"].get("classifiers", []) if c.startswith("License ::")]
    assert any(r.startswith("setuptools>=77") for r in data["build-system"]["requires"])


def test_the_progress_display_library_is_a_declared_dependency() -> None:
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert any(d.startswith("rich") for d in data["project"]["dependencies"])
