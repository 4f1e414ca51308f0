"""What a command shows while a run works: a progress bar on a terminal, plain lines otherwise.

On a terminal (stderr is one), a rich progress bar counts the run's steps and, during the dbt
build, its models and tests. When the output is piped, one plain line per finished step.
With ``--quiet``, nothing until the command's summary. The streams are taken when the display
is made: during a run, the process's own stdout and stderr go to the run's log file.
"""

from __future__ import annotations

import sys
from collections import Counter
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from openspm.cli.summaries import INGEST_FIELDS

if TYPE_CHECKING:
    from pipelines.run_log import RunEvent

DBT_STEP = "openspm_dbt_models"
STEP_LABELS = {
    "comp_config_tables": "comp tables",
    DBT_STEP: "dbt build",
    "data_quality_checks": "data-quality checks",
    "publish_month": "publish",
}


def _is_ingest(step: str | None) -> bool:
    return bool(step and step.startswith("raw__"))


def step_label(step: str | None) -> str:
    """``raw__crm__deals`` -> ``ingest crm/deals``; ``openspm_dbt_models`` -> ``dbt build``."""
    if step is None:
        return "run"
    if step.startswith("raw__"):
        return "ingest " + step.removeprefix("raw__").replace("__", "/", 1)
    return STEP_LABELS.get(step, step.replace("_", " "))


class RunProgress:
    """A run's progress display; call it with each ``RunEvent`` (it is the run's listener)."""

    def __init__(self, title: str, *, quiet: bool = False) -> None:
        self.title = title
        self.quiet = quiet
        self.out: TextIO = sys.stdout
        self.console = Console(file=sys.stderr, highlight=False)
        self.bar = not quiet and self.console.is_terminal
        self._progress: Progress | None = None
        self._run_task: TaskID | None = None
        self._step_task: TaskID | None = None
        self._step_events: Counter[str] = Counter()
        self._step_details: dict[str, str] = {}
        self._dbt_total: int | None = None
        self._ingested: Counter[str] = Counter()  # ingestion steps, told as one line

    def __enter__(self) -> RunProgress:
        if self.bar:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._progress.start()
            self._run_task = self._progress.add_task(self.title, total=None)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._flush_ingest()
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def line(self, text: str) -> None:
        """A plain line (not on a terminal with a bar, and not with --quiet)."""
        if not self.quiet and not self.bar:
            print(text, file=self.out, flush=True)

    def __call__(self, event: RunEvent) -> None:
        if event.kind == "run_started":
            self._started(event)
        elif event.kind == "step_started":
            if not _is_ingest(event.step):
                self._flush_ingest()
            self._step_events.clear()
            self._step_details.clear()
            self._step_started(event.step)
        elif event.kind == "materialized":
            self._count(event)
            self._detail(event)
        elif event.kind == "checked":
            self._count(event)
            if event.passed:
                self._step_events["passed"] += 1
            elif event.metadata.get("severity") == "WARN":
                self._step_events["warnings"] += 1
            else:
                self._step_events["failed"] += 1
        elif event.kind in ("step_succeeded", "step_failed", "step_skipped"):
            self._step_finished(event)

    # -- internals

    def _started(self, event: RunEvent) -> None:
        if self._progress is not None and self._run_task is not None:
            self._progress.update(self._run_task, total=event.metadata.get("steps"))
        self._dbt_total = event.metadata.get("dbt_nodes")

    def _step_started(self, step: str | None) -> None:
        if self._progress is None:
            return
        total = self._dbt_total if step == DBT_STEP else None
        if self._step_task is not None:
            self._progress.remove_task(self._step_task)
        self._step_task = self._progress.add_task(f"  {step_label(step)}", total=total)

    def _count(self, event: RunEvent) -> None:
        self._step_events["events"] += 1
        if event.kind == "materialized":
            self._step_events["materialized"] += 1
        if self._progress is not None and self._step_task is not None:
            self._progress.advance(self._step_task)

    def _detail(self, event: RunEvent) -> None:
        meta = event.metadata
        if "batches_loaded" in meta:
            for name in INGEST_FIELDS:
                self._ingested[name] += int(meta.get(name, 0) or 0)
            self._ingested["entities"] += 1
        elif "payouts" in meta and "period" in meta:
            self._step_details["publish"] = (
                f"{meta['period']}: {meta['payouts']} payouts, {meta.get('lines', 0)} lines"
            )

    def _flush_ingest(self) -> None:
        """One line for every ingestion step of the run, once they are done."""
        done, self._ingested = self._ingested, Counter()
        if not done:
            return
        text = (
            f"  done     ingest: {done['entities']} entities, {done['batches_loaded']} batch(es) "
            f"loaded ({done['rows_loaded']:,} rows, {done['rows_quarantined']:,} quarantined), "
            f"{done['batches_skipped']} already loaded"
        )
        if done["batches_rejected"]:
            text += f", {done['batches_rejected']} rejected"
        self.line(text)

    def _step_finished(self, event: RunEvent) -> None:
        if self._progress is not None:
            if self._step_task is not None:
                self._progress.remove_task(self._step_task)
                self._step_task = None
            if self._run_task is not None:
                self._progress.advance(self._run_task)
            return
        label = step_label(event.step)
        if event.kind == "step_succeeded" and _is_ingest(event.step):
            return  # told with the other ingestion steps
        if event.kind == "step_failed":
            self.line(f"  failed   {label}")
            return
        if event.kind == "step_skipped":
            self.line(f"  skipped  {label}")
            return
        counts = self._step_events
        if self._step_details:
            detail = next(iter(self._step_details.values()))
        elif event.step == DBT_STEP:
            detail = f"{counts['materialized']} models built, {counts['passed']} tests passed"
            if counts["failed"]:
                detail += f", {counts['failed']} failed"
        elif counts["passed"] or counts["failed"] or counts["warnings"]:
            detail = (
                f"{counts['passed']} passed, {counts['failed']} failed, "
                f"{counts['warnings']} warning(s)"
            )
        else:
            detail = ""
        self.line(f"  done     {label}" + (f": {detail}" if detail else ""))
