"""What a run in this process tells the command that started it, and the run's log file.

A command that runs a job in process (``pipelines.runner``) opens a ``RunLog``: while it is
open, the Dagster logger ``openspm`` (part of every job, see ``pipelines.definitions``) writes
every event of the run to the log file, failures with their full stack trace, and passes
``RunEvent``s (a step started, succeeded or failed; an asset materialized; a check evaluated)
to the command's listener, which shows progress. The process's stdout and stderr (dbt's own
output, library warnings) go to the same file for the run's duration, so the terminal shows
only what the command chooses to show. Runs launched from the Dagster UI have no ``RunLog``:
the logger does nothing there and Dagster's own event log keeps everything.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import dagster as dg
from dagster._core.log_manager import get_log_record_metadata, has_log_record_metadata

KEEP_LOGS = 50  # log files kept per workspace; older ones are removed


@dataclass(frozen=True)
class RunEvent:
    """One thing that happened in a run, for a progress display."""

    # run_started (metadata: steps, dbt_nodes) | step_started | step_succeeded | step_failed |
    # step_skipped | materialized | checked
    kind: str
    step: str | None
    asset: str | None = None  # "raw/crm__deals", for materialized and checked
    metadata: Mapping[str, Any] = field(default_factory=dict)
    passed: bool | None = None  # checked: whether the check passed
    message: str = ""


Listener = Callable[[RunEvent], None]


@dataclass
class RunLog:
    """The log file and listener of the run in progress in this process."""

    path: Path
    listener: Listener | None
    handle: TextIO


_current: RunLog | None = None
_lock = threading.Lock()


def new_log_path(logs_dir: Path, label: str) -> Path:
    """A fresh log file path ``<logs_dir>/<UTC time>-<label>.log``; old logs are pruned."""
    logs_dir.mkdir(parents=True, exist_ok=True)
    for old in sorted(logs_dir.glob("*.log"))[: -KEEP_LOGS + 1 or None]:
        old.unlink(missing_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    return logs_dir / f"{stamp}-{label}.log"


@contextlib.contextmanager
def run_log(path: Path, listener: Listener | None) -> Iterator[RunLog]:
    """Send the run's events to ``path`` and ``listener``, and stdout/stderr to ``path``."""
    global _current
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        path.open("a", encoding="utf-8") as handle,
        contextlib.redirect_stdout(handle),
        contextlib.redirect_stderr(handle),
    ):
        log = RunLog(path, listener, handle)
        with _lock:
            previous, _current = _current, log
        try:
            yield log
        finally:
            with _lock:
                _current = previous


def write(text: str) -> None:
    """Append ``text`` to the current run's log file (nothing without a run in progress)."""
    log = _current
    if log is not None:
        log.handle.write(text.rstrip("\n") + "\n")
        log.handle.flush()


class _Handler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log = _current
        if log is None:
            return
        meta = get_log_record_metadata(record) if has_log_record_metadata(record) else None
        step = meta["step_key"] if meta else None
        event = meta["dagster_event"] if meta else None
        text = meta["orig_message"] if meta else record.getMessage()
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        line = f"{stamp} {record.levelname:<7} {step or '-'}: "
        if event is not None:
            line += f"{event.event_type_value} {text or event.message or ''}"
            error = _error_of(event)
            if error is not None:
                line += "\n" + error.to_string()
        else:
            line += text
        write(line)
        if log.listener is not None and event is not None:
            translated = _translate(event, step)
            if translated is not None:
                log.listener(translated)


def _error_of(event: Any) -> Any:
    data = event.event_specific_data
    return getattr(data, "error", None)


def innermost_message(error: Any) -> str:
    """The root cause of a SerializableErrorInfo, without the exception class's module path."""
    while error.cause is not None:
        error = error.cause
    message = (error.message or error.cls_name or "unknown error").strip()
    head, _, rest = message.partition(": ")
    return rest.strip() if error.cls_name and head.endswith(error.cls_name) else message


def _translate(event: Any, step: str | None) -> RunEvent | None:
    kind = event.event_type_value
    if kind == "STEP_START":
        return RunEvent("step_started", step)
    if kind == "STEP_SUCCESS":
        return RunEvent("step_succeeded", step)
    if kind == "STEP_SKIPPED":
        return RunEvent("step_skipped", step)
    if kind == "STEP_FAILURE":
        error = _error_of(event)
        return RunEvent("step_failed", step, message=innermost_message(error) if error else "")
    if kind == "ASSET_MATERIALIZATION":
        materialization = event.event_specific_data.materialization
        metadata = {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
        return RunEvent(
            "materialized", step, materialization.asset_key.to_user_string(), metadata
        )
    if kind == "ASSET_CHECK_EVALUATION":
        evaluation = event.event_specific_data
        severity = getattr(evaluation.severity, "value", str(evaluation.severity))
        return RunEvent(
            "checked",
            step,
            evaluation.asset_key.to_user_string(),
            {"severity": severity},
            passed=bool(evaluation.passed),
            message=evaluation.check_name,
        )
    return None


@dg.logger(description="Passes a run's events to the OpenSPM command that runs it in process.")
def openspm_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    """The events of a run started by an OpenSPM command (a no-op for other runs)."""
    del init_context
    logger = logging.getLogger("openspm.run")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    if not any(isinstance(h, _Handler) for h in logger.handlers):
        logger.addHandler(_Handler())
    return logger
