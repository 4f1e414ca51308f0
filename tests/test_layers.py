"""The Python layers import one way (README, Layout), read from every module's own imports.

``openspm/`` is the library: it never imports ``assets`` or ``pipelines`` (only the CLI,
``openspm/cli/``, may); ``integrations/`` imports only the library; ``assets/`` never imports
``pipelines/`` (which wires the assets); no project module imports another in a loop; and
imports stand at the top of a module, but for the CLI's one lazy place.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("openspm", "integrations", "assets", "pipelines")
CLI = "openspm.cli"
LAZY_PLACE = "openspm.cli.engine"  # the CLI's one lazy import of the pipelines


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported project module (a package means its __init__)
    line: int
    top: bool  # at module level (else inside a function or class body)
    typing_only: bool  # under ``if TYPE_CHECKING:``


def module_names(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the project's packages under ``root``."""
    names = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            names[".".join(parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(
    node: ast.AST, top: bool, typing_only: bool
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, top, typing_only
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            yield from _walk(child, False, typing_only)
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for statement in child.body:
                yield from _walk(ast.Module(body=[statement], type_ignores=[]), top, True)
            for statement in child.orelse:
                yield from _walk(ast.Module(body=[statement], type_ignores=[]), top, typing_only)
        else:
            yield from _walk(child, top, typing_only)


def imports(root: Path) -> list[Import]:
    """Every import of a project module by a project module under ``root``."""
    modules = module_names(root)
    found = []
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node, top, typing_only in _walk(tree, True, False):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.append(submodule if submodule in modules else base)
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]  # import a.b.c of a module a.b: a.b
                if target and target != name:
                    found.append(Import(name, target, node.lineno, top, typing_only))
    return found


def _layer(module: str) -> str:
    if module == CLI or module.startswith(CLI + "."):
        return "cli"
    return module.split(".")[0]


def layering_problems(root: Path) -> list[str]:
    """Every import that goes against the layers, and every import loop, in words."""
    problems = []
    found = imports(root)
    forbidden = {
        "openspm": {"assets", "pipelines", "cli"},
        "integrations": {"assets", "pipelines", "cli"},
        "assets": {"pipelines", "cli"},
        "pipelines": {"cli"},
    }
    for item in found:
        source, target = _layer(item.source), _layer(item.target)
        if target in forbidden.get(source, set()):
            problems.append(f"{item.source} imports {item.target} (line {item.line})")
        if not item.top and item.source != LAZY_PLACE:
            problems.append(
                f"{item.source} imports {item.target} inside a function (line {item.line}); "
                "imports go at the top of the module"
            )
    graph: dict[str, set[str]] = {}
    for item in found:
        if not item.typing_only:
            graph.setdefault(item.source, set()).add(item.target)
    problems += [f"import loop: {' -> '.join(loop)}" for loop in import_loops(graph)]
    return problems


def import_loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """One loop per strongly connected group of modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [[*group, group[0]] for group in groups]


def test_the_layers_import_one_way_without_loops() -> None:
    assert layering_problems(REPO) == []


def test_the_cli_imports_the_pipelines_in_one_place_only() -> None:
    lazy = [i for i in imports(REPO) if not i.top]
    assert {i.source for i in lazy} == {LAZY_PLACE}
    # the pipelines, and the connectors (httpx, PyJWT, cryptography) the pulls need
    assert {_layer(i.target) for i in lazy} == {"pipelines", "integrations"}


def write(root: Path, module: str, text: str) -> None:
    path = root / (module.replace(".", "/") + ".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_checker_finds_wrong_way_imports_loops_and_late_imports(tmp_path: Path) -> None:
    for package in PACKAGES:
        write(tmp_path, f"{package}.__init__", "")
    write(tmp_path, "openspm.a", "from openspm import b\nfrom pipelines.runner import run\n")
    write(tmp_path, "openspm.b", "import openspm.a\n")
    write(tmp_path, "openspm.c", "def f():\n    from openspm import b\n")
    write(tmp_path, "openspm.d", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
          "    from openspm import e\n")
    write(tmp_path, "openspm.e", "from openspm import d\n")  # a loop only for a type checker
    write(tmp_path, "pipelines.runner", "from assets import x\nrun = 1\n")
    write(tmp_path, "assets.x", "from pipelines import runner\n")
    write(tmp_path, "integrations.conn", "from assets.x import y\n")
    assert sorted(layering_problems(tmp_path)) == sorted(
        [
            "openspm.a imports pipelines.runner (line 2)",
            "openspm.c imports openspm.b inside a function (line 2); imports go at the top of "
            "the module",
            "assets.x imports pipelines.runner (line 1)",
            "integrations.conn imports assets.x (line 1)",
            "import loop: openspm.a -> openspm.b -> openspm.a",
            "import loop: assets.x -> pipelines.runner -> assets.x",
        ]
    )
