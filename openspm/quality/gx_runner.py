"""Great Expectations suites run on DataFrames read from DuckDB: the one place GX is used.

GX 1.x validates pandas DataFrames here (its SQL datasource fails on DuckDB); every suite runs
in one ephemeral context per process with ``result_format`` COMPLETE and
``unexpected_index_column_names`` (or SUMMARY with counts, for frames that may hold millions of
failing rows), so each unexpected row maps back to its file and row or key.
``great_expectations`` takes seconds to import: it is imported here, on first use (a check
with rows to validate; an empty frame cannot fail an expectation), or ahead of time on a thread
(``import_in_background``).
"""

from __future__ import annotations

import functools
import importlib
import itertools
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from openspm.quality.findings import MAX_FINDINGS

if TYPE_CHECKING:
    import pandas as pd

ROW_ID = "_row_id"
_RUNS = itertools.count(1)


class ExpectationError(RuntimeError):
    """Great Expectations could not evaluate an expectation (not a data problem)."""


@dataclass(frozen=True)
class Expect:
    """One expectation (a class of ``gx.expectations`` and its arguments), named by ``key``."""

    key: str
    kind: str  # e.g. "ExpectColumnValuesToBeInSet"
    arguments: Mapping[str, Any] = field(default_factory=dict)


def _great_expectations() -> ModuleType:
    return importlib.import_module("great_expectations")


@functools.cache
def _gx_context() -> Any:
    """One ephemeral GX context per process (each new one leaves a temporary folder behind)."""
    context = _great_expectations().get_context(mode="ephemeral")
    settings = importlib.import_module("great_expectations.data_context.types.base")
    context.variables.progress_bars = settings.ProgressBarsConfig(globally=False)
    return context


def import_in_background() -> None:
    """Start importing Great Expectations (seconds) on a thread while other work runs."""
    threading.Thread(target=_great_expectations, daemon=True).start()


def validate(
    name: str,
    frame: pd.DataFrame,
    expects: Sequence[Expect],
    key_columns: Sequence[str],
    counts: dict[str, int] | None = None,
) -> dict[str, list[int]]:
    """Run ``expects`` as one GX suite on ``frame``; the unexpected row positions of each.

    ``frame`` must hold a ``_row_id`` column numbering its rows 0..n-1. With ``counts`` (a dict
    filled with each expectation's number of unexpected rows), only the first MAX_FINDINGS
    positions of each are returned: GX's summary format, listing the frame's own index (asking
    GX for index columns makes it build them for every unexpected row: seconds per 100k).
    """
    gx = _great_expectations()
    if ROW_ID not in frame.columns:
        frame = frame.assign(**{ROW_ID: range(len(frame))})
    summary = counts is not None
    if summary:
        # GX builds the index columns of *every* unexpected row (10 s for 400k of them); the
        # frame's own index, the row positions, is listed for the first MAX_FINDINGS only
        frame = frame.reset_index(drop=True)
    context = _gx_context()
    name = f"{name}_{next(_RUNS)}"  # one context serves every validation of the process
    batch_definition = (
        context.data_sources.add_pandas(name)
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe("all_rows")
    )
    suite = context.suites.add(gx.ExpectationSuite(name=name))
    for item in expects:
        expectation = getattr(gx.expectations, item.kind)(**item.arguments)
        expectation.meta = {"openspm_key": item.key}
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )
    result = definition.run(
        batch_parameters={"dataframe": frame},
        result_format=(
            {"result_format": "SUMMARY", "partial_unexpected_count": MAX_FINDINGS}
            if summary
            else {
                "result_format": "COMPLETE",
                "unexpected_index_column_names": [ROW_ID, *key_columns],
                "return_unexpected_index_query": False,
            }
        ),
    )
    found: dict[str, list[int]] = defaultdict(list)
    for item_result in result.results:
        key = str((item_result.expectation_config.meta or {}).get("openspm_key"))
        info = item_result.exception_info or {}
        if info.get("raised_exception"):
            raise ExpectationError(f"{name}/{key}: {info.get('exception_message')}")
        if counts is not None:
            counts[key] = int(item_result.result.get("unexpected_count") or 0)
        if item_result.success:
            found[key] = []
            continue
        if summary:
            positions = item_result.result.get("partial_unexpected_index_list") or []
            found[key] = sorted({int(position) for position in positions})
        else:
            indexes = item_result.result.get("unexpected_index_list") or []
            found[key] = sorted({int(entry[ROW_ID]) for entry in indexes})
    return found


def cell_text(value: Any) -> str | None:
    """A DataFrame cell as text; None for NULL, NaN and NaT (the values unequal to themselves)."""
    if value is None or value != value:
        return None
    return str(value)


def date_text(value: Any) -> str:
    """A DataFrame date or timestamp cell as ``YYYY-MM-DD``; ``(none)`` when empty."""
    text = cell_text(value)
    return "(none)" if text is None else text[:10]
