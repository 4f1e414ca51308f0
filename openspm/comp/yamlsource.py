"""YAML reading that keeps exact numbers and the line of every key.

Numbers with a fraction are read from their text as ``Decimal`` (``0.1`` stays exactly
``Decimal('0.1')``), and every key path (``("components", 0, "rates", "tiers", 1, "from")``) is
mapped to the 1-based line where it is written, so that problems can point at the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from openspm.comp.problems import KeyPath

_FLOAT_TAG = "tag:yaml.org,2002:float"


class _Loader(yaml.SafeLoader):
    """SafeLoader used only to compose nodes and construct plain scalars."""


@dataclass
class YamlDocument:
    """Parsed YAML content with the line of every key and the keys written twice."""

    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    duplicates: list[tuple[KeyPath, int, int]] = field(default_factory=list)  # path, line, first

    def line_of(self, path: KeyPath) -> int | None:
        """Line of ``path``, else of its nearest written ancestor (for a missing key)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


class YamlStructureError(ValueError):
    """YAML that parses but cannot be turned into plain data (e.g. a recursive alias)."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def parse_yaml(text: str) -> YamlDocument:
    """Parse one YAML document; raise ``yaml.YAMLError`` or ``YamlStructureError``."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        document = YamlDocument(data=None)
        if node is not None:
            document.data = _build(loader, node, (), document, set())
        return document
    finally:
        loader.dispose()


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _build(loader: _Loader, node: Node, path: KeyPath, doc: YamlDocument, active: set[int]) -> Any:
    doc.lines.setdefault(path, _line(node))
    if isinstance(node, ScalarNode):
        return _scalar(loader, node)
    if id(node) in active:
        raise YamlStructureError("an alias refers to itself", _line(node))
    active.add(id(node))
    try:
        if isinstance(node, SequenceNode):
            return [
                _build(loader, item, (*path, index), doc, active)
                for index, item in enumerate(node.value)
            ]
        if isinstance(node, MappingNode):
            loader.flatten_mapping(node)  # resolves '<<' merge keys
            result: dict[Any, Any] = {}
            first_line: dict[Any, int] = {}
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, ScalarNode) else str(key_node)
                key_path = (*path, key)
                if key in result:
                    doc.duplicates.append((key_path, _line(key_node), first_line[key]))
                first_line.setdefault(key, _line(key_node))
                doc.lines[key_path] = _line(key_node)
                result[key] = _build(loader, value_node, key_path, doc, active)
            return result
    finally:
        active.discard(id(node))
    raise YamlStructureError(f"unsupported YAML node {node.tag}", _line(node))


def _scalar(loader: _Loader, node: ScalarNode) -> Any:
    if node.tag == _FLOAT_TAG:
        text = node.value.replace("_", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            return node.value  # .inf, .nan, 1:30.5: left as text, refused as not a number
        return number if number.is_finite() else node.value
    return loader.construct_object(node, deep=True)
