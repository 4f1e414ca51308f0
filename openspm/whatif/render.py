"""dbt models rendered as plain DuckDB SQL, some of their inputs replaced: the engine on what-ifs.

The estimator and the forecast ask the engine questions about deals that are not (yet) won:
what a deal would credit, which quota period it counts in, what the earnings to date would be.
Running ``dbt`` for each question would take seconds of start-up, so they run the models' own
SQL instead: ``ModelRenderer`` renders a model's Jinja with every macro of
``dbt_project/macros/`` (so the tier arithmetic, fx conversion and credit ids are the same
text dbt runs), replacing chosen models or sources with other SQL (``overrides``), e.g. the
staged deals with one hypothetical deal. Every model between a replaced input and the model
asked for is rendered too, as a CTE; every other ``ref`` reads the table or view the last dbt
build left in the warehouse. The rendered query only reads the warehouse.

Rendering is the part of dbt the engine's models use: ``ref``, ``source``, ``var``,
``env_var``, ``config`` (ignored) and ``is_incremental()`` (false: every model is read whole).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import jinja2.runtime

from openspm.dbt_project import DBT_PROJECT_DIR, MANIFEST_PATH, DbtProjectError, ensure_manifest

MACROS_DIR = DBT_PROJECT_DIR / "macros"
# `-- depends_on: {{ ref(...) }}` only tells dbt the order of an incremental model's build
_DEPENDS_ON_COMMENT = re.compile(r"^\s*--\s*depends_on:.*$", re.MULTILINE)


class RenderError(DbtProjectError):
    """A model cannot be rendered (unknown model or source, a Jinja error)."""


@dataclass(frozen=True)
class _Node:
    name: str
    relation: str  # schema.alias
    raw_code: str
    depends_on: tuple[str, ...]  # model names
    sources: tuple[str, ...]  # source_name.table


@dataclass(frozen=True)
class _Project:
    models: Mapping[str, _Node]
    sources: Mapping[str, str]  # source_name.table -> schema.identifier


def _load_project(path: Path) -> _Project:
    data = json.loads(path.read_text(encoding="utf-8"))
    sources = {
        f"{node['source_name']}.{node['name']}": (
            f"{node['schema']}.{node.get('identifier') or node['name']}"
        )
        for node in data.get("sources", {}).values()
    }
    models: dict[str, _Node] = {}
    for node in data.get("nodes", {}).values():
        if node.get("resource_type") != "model":
            continue
        depends = (node.get("depends_on") or {}).get("nodes") or []
        models[node["name"]] = _Node(
            name=node["name"],
            relation=f"{node['schema']}.{node.get('alias') or node['name']}",
            raw_code=str(node.get("raw_code") or ""),
            depends_on=tuple(d.split(".")[-1] for d in depends if d.startswith("model.")),
            sources=tuple(
                ".".join(d.split(".")[-2:]) for d in depends if d.startswith("source.")
            ),
        )
    return _Project(models, sources)


@cache
def _project(path: Path, mtime_ns: int) -> _Project:
    del mtime_ns  # part of the cache key
    return _load_project(path)


def _macro_source() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(MACROS_DIR.glob("*.sql")))


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


def _return(value: Any) -> None:
    raise _Return(value)


class ModelRenderer:
    """Renders models of the dbt project as SQL for DuckDB, with some inputs replaced.

    ``overrides``: model name (or ``source:<source>.<table>``) -> SQL of a relation with the
    same columns (a table name or a parenthesised query). ``variables``: dbt vars (else the
    environment variables the models read through ``env_var``, else their defaults).
    """

    def __init__(
        self,
        overrides: Mapping[str, str] | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> None:
        path = ensure_manifest() if not MANIFEST_PATH.exists() else MANIFEST_PATH
        self._project = _project(path, path.stat().st_mtime_ns)
        self._overrides = dict(overrides or {})
        self._variables = dict(variables or {})
        unknown = [
            name
            for name in self._overrides
            if not name.startswith("source:") and name not in self._project.models
        ]
        if unknown:
            raise RenderError(f"unknown dbt model(s) to replace: {', '.join(unknown)}")
        self._ctes: dict[str, str] = {}  # rendered models, in dependency order
        self._rendering: set[str] = set()
        self._environment = _environment()
        self._macros = self._environment.from_string(_macro_source()).make_module(
            self._globals()
        )

    # ------------------------------------------------------------------ public

    def relation(self, model: str) -> str:
        """What ``ref(model)`` renders to: a CTE name when the model is rendered (it depends
        on a replaced input), else its table or view in the warehouse."""
        return self._ref(model)

    def macro(self, name: str, *args: str) -> str:
        """The SQL of a call of a project macro, e.g. ``macro("fx_convert", "a", "r")``."""
        try:
            found = getattr(self._macros, name)
        except AttributeError:
            raise RenderError(f"no dbt macro named {name!r}") from None
        try:
            return str(found(*args)).strip()
        except _Return as returned:  # a macro that returns its value (dbt's return())
            return str(returned.value).strip()

    def _dispatch(self, name: str, macro_namespace: str | None = None) -> Any:
        """``adapter.dispatch(name)``: the DuckDB implementation (``duckdb__``, else
        ``default__``), as dbt picks it for the local target."""
        del macro_namespace
        for prefix in ("duckdb__", "default__"):
            found = getattr(self._macros, prefix + name, None)
            if found is not None:
                return found
        raise RenderError(f"no dbt macro default__{name} to dispatch {name!r} to")

    def query(self, select: str) -> str:
        """``select`` (which names models through ``relation``) with the rendered CTEs."""
        if not self._ctes:
            return select
        ctes = ",\n".join(f"{cte} as (\n{sql}\n)" for cte, sql in self._ctes.items())
        return f"with\n{ctes}\n{select}"

    # ------------------------------------------------------------------ rendering

    def _depends_on_override(self, model: str, seen: set[str] | None = None) -> bool:
        if model in self._overrides:
            return True
        node = self._project.models.get(model)
        if node is None:
            return False
        if any(f"source:{s}" in self._overrides for s in node.sources):
            return True
        seen = seen if seen is not None else set()
        for parent in node.depends_on:
            if parent not in seen:
                seen.add(parent)
                if self._depends_on_override(parent, seen):
                    return True
        return False

    def _ref(self, model: str, *_: Any, **__: Any) -> str:
        if model in self._overrides:
            return self._overrides[model]
        node = self._project.models.get(model)
        if node is None:
            raise RenderError(f"ref to an unknown dbt model {model!r}")
        if not self._depends_on_override(model):
            return node.relation
        cte = f"whatif__{model}"
        if cte not in self._ctes:
            if model in self._rendering:
                raise RenderError(f"dbt model {model!r} depends on itself")
            self._rendering.add(model)
            sql = self._render(node)
            self._rendering.discard(model)
            self._ctes[cte] = sql
        return cte

    def _source(self, source_name: str, table: str) -> str:
        key = f"{source_name}.{table}"
        if f"source:{key}" in self._overrides:
            return self._overrides[f"source:{key}"]
        try:
            return self._project.sources[key]
        except KeyError:
            raise RenderError(f"source to an unknown dbt source {key!r}") from None

    def _var(self, name: str, default: Any = None) -> Any:
        if name in self._variables:
            return self._variables[name]
        if default is None:
            raise RenderError(f"dbt var {name!r} has no value and no default")
        return default

    def _env_var(self, name: str, default: str | None = None) -> str:
        if name in self._variables:
            return self._variables[name]
        value = os.environ.get(name, default)
        if value is None:
            raise RenderError(f"environment variable {name} is not set")
        return value

    def _globals(self) -> dict[str, Any]:
        def undefined(name: str) -> Any:
            def fail(*_: Any, **__: Any) -> Any:
                raise RenderError(f"{name} is not available outside a dbt build")

            return fail

        return {
            "ref": self._ref,
            "source": self._source,
            "var": self._var,
            "env_var": self._env_var,
            "config": lambda *_, **__: "",
            "is_incremental": lambda: False,
            "return": _return,
            # the what-ifs render for DuckDB (docs/scaling.md): dispatch picks its macros
            "adapter": SimpleNamespace(dispatch=self._dispatch),
            "target": SimpleNamespace(type="duckdb", name="local"),
            "this": _Undefined("this"),
            "run_query": undefined("run_query"),
        }

    def _render(self, node: _Node) -> str:
        code = _DEPENDS_ON_COMMENT.sub("", node.raw_code)
        context = self._globals()
        context.update(
            {
                name: getattr(self._macros, name)
                for name in dir(self._macros)
                if not name.startswith("_")
            }
        )
        try:
            return self._environment.from_string(code).render(context).strip()
        except (jinja2.TemplateError, _Return) as exc:
            raise RenderError(f"dbt model {node.name} does not render: {exc}") from None


class _Undefined:
    """``adapter``, ``target``, ``this``: dbt objects a rendered model must not need."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        raise RenderError(f"{self._name}.{attribute} is not available outside a dbt build")

    def __str__(self) -> str:
        raise RenderError(f"{self._name} is not available outside a dbt build")


class _MacroContext(jinja2.runtime.Context):
    """A Jinja context whose macro calls give the value a macro ``return()``s, as dbt's do."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().call(__obj, *args, **kwargs)
        except _Return as returned:
            if isinstance(__obj, jinja2.runtime.Macro):
                return returned.value
            raise


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(extensions=["jinja2.ext.do"], autoescape=False)
    environment.context_class = _MacroContext
    return environment
