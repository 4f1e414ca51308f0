"""The ``openspm`` Typer application, the options every command shares, and how it fails.

Every failure a user can cause ends in one line on stderr, ``openspm: error: <cause>``, and
exit code 1 (2 for a usage error: an unknown option, a missing value); a run's full detail is
in its log file, whose path the line names. No traceback reaches the screen: an unexpected
error is one line too, and its traceback goes to a log file.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

try:  # Typer 0.2x parses with its own copy of click; earlier ones with click itself
    from typer._click import exceptions as click
except ImportError:  # pragma: no cover
    import click.exceptions as click  # type: ignore[no-redef]

from openspm.cli.engine import drivers
from openspm.cli.progress import RunProgress
from openspm.cli.summaries import run_summary
from openspm.lock import WorkspaceBusy, acquire, command_line, release
from openspm.periods import PeriodError, first_period, parse_period
from openspm.settings import SettingsError
from openspm.statements import repair_month_files
from openspm.status import month_statuses, save_snapshot
from openspm.warehouse import WarehouseError, read_only
from openspm.workspace import WORKSPACE_ENV, Workspace

app = typer.Typer(
    name="openspm",
    help="OpenSPM: credit deals and compute commissions from CRM, ERP and HRIS data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        envvar=WORKSPACE_ENV,
        help=f"Workspace folder (default: ${WORKSPACE_ENV}, else the current directory).",
        show_default=False,
    ),
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress; print only the summary.")
]
_opened: list[Workspace] = []  # the workspace of this command, for a log of an unexpected error


def fail(message: str, log_path: Path | None = None) -> typer.Exit:
    """Print a one-line cause on stderr; the caller raises the returned Exit(1)."""
    details = f" (details: {log_path})" if log_path is not None else ""
    typer.secho(f"openspm: error: {' '.join(message.split())}{details}", err=True, fg="red")
    return typer.Exit(code=1)


def warn(message: str) -> None:
    typer.secho(f"openspm: warning: {' '.join(message.split())}", err=True, fg="yellow")


def open_workspace(path: Path | None, *, repair: bool = True) -> Workspace:
    """The workspace with its settings validated (an invalid openspm.yaml stops here).

    ``repair``: rebuild from finance the files of published months found without them (a
    close killed between its publication and its files, docs/statements.md).
    """
    workspace = Workspace.open(path)
    try:
        workspace.settings  # noqa: B018 (parse and validate now)
    except SettingsError as exc:
        raise fail(str(exc)) from None
    _opened.append(workspace)
    if repair:
        repair_month_files(workspace, warn)
    return workspace


def period_or_fail(text: str, what: str) -> str:
    """``text`` as a month YYYY-MM, else a one-line failure naming the option."""
    try:
        return parse_period(text, what)
    except PeriodError as exc:
        raise fail(str(exc)) from None


def first_period_or_fail(ws: Workspace) -> str:
    """The workspace's first_period, else a one-line failure saying why it is unknown."""
    try:
        return first_period(ws)
    except (PeriodError, WarehouseError) as exc:
        raise fail(str(exc)) from None


@contextmanager
def writing(ws: Workspace, activity: str) -> Iterator[None]:
    """Hold the workspace lock for a command that writes; refused at once when it is held."""
    try:
        lock = acquire(ws.root, activity, command_line())
    except WorkspaceBusy as exc:
        raise fail(str(exc)) from None
    if lock.took_over is not None:
        warn(
            f"the workspace lock was left by {lock.took_over.describe()}, which ended without "
            "releasing it (killed?); taken over"
        )
    try:
        yield
    finally:
        release(lock)
        refresh_status_snapshot(ws)


def refresh_status_snapshot(ws: Workspace) -> None:
    """Keep ``status``'s snapshot current after a command wrote (best effort)."""
    try:
        first = first_period(ws)
        with read_only(ws) as connection:
            if connection is not None:
                save_snapshot(ws.state_dir, first, month_statuses(connection, first))
    except Exception:  # the snapshot only serves status during a close: never a failure
        pass


def run_job_or_fail(
    job_name: str,
    workspace: Workspace,
    quiet: bool,
    tags: dict[str, str] | None = None,
    title: str | None = None,
) -> None:
    """Run a job in this process with progress, and print its summary, else a one-line cause."""
    engine = drivers()
    with RunProgress(title or job_name, quiet=quiet) as progress:
        try:
            summary = engine.runner.run_job(job_name, workspace, tags=tags, listener=progress)
        except engine.runner.PipelineError as exc:
            raise fail(engine.close.explain(workspace, exc), exc.log_path) from None
    typer.echo(run_summary(workspace, summary))


def usage_line(error: click.UsageError, args: list[str]) -> str:
    """A usage error in one line: what is wrong, and where to read the command's options."""
    message = " ".join(error.format_message().split()).rstrip(".")
    param = getattr(error, "param", None)
    if isinstance(error, click.MissingParameter) and param is not None and param.help:
        message += f": {param.help[0].lower()}{param.help[1:].rstrip('.')}"
    command = error.ctx.command_path if error.ctx is not None else "openspm"
    names = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    if command == "openspm" and args and args[0] in names:
        command = f"openspm {args[0]}"
    return f"{message}; see `{command} --help`"


def main() -> None:
    """The ``openspm`` entry point: the command, then a quick exit.

    Tearing down the libraries a run imports (Dagster, dbt, Great Expectations, pandas) takes
    Python about 2 s at exit; exit handlers still run and output is flushed, only the teardown
    of modules is skipped.
    """
    code = invoke(sys.argv[1:])
    atexit._run_exitfuncs()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def invoke(args: list[str]) -> int:
    """Run the command line ``args``; the exit code. Every failure is one line on stderr."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="openspm", standalone_mode=False)
    except click.UsageError as exc:
        print(f"openspm: error: {usage_line(exc, args)}", file=sys.stderr)
        return 2
    except (typer.Abort, KeyboardInterrupt):
        print("openspm: error: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # e.g. the output closed early (`openspm ... | head`)
        return exc.code if isinstance(exc.code, int) else 1
    except click.ClickException as exc:
        print(f"openspm: error: {' '.join(exc.format_message().split())}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # a bug: one line here, the traceback in a log file
        log = _log_unexpected(exc)
        first = " ".join(str(exc).split())[:300]
        print(
            f"openspm: error: unexpected {type(exc).__name__}: {first} (details: {log})",
            file=sys.stderr,
        )
        return 1
    return result if isinstance(result, int) else 0


def _log_unexpected(error: BaseException) -> Path:
    folder = _opened[-1].logs_dir if _opened else Path(tempfile.gettempdir())
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        folder = Path(tempfile.gettempdir())
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = folder / f"{stamp}-openspm-error.log"
    path.write_text(
        f"openspm {command_line()}\n"
        + "".join(traceback.format_exception(type(error), error, error.__traceback__)),
        encoding="utf-8",
    )
    return path
