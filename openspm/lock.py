"""One writer per workspace: a lock file that names its holder.

Everything that writes a workspace's warehouse or its dbt target folder (ingest, run, close,
backfill, validate's scratch run, ``openspm dbt``, a Dagster run launched from the UI) holds
``<workspace>/.openspm/lock`` while it works. A second writer is refused at once with
``WorkspaceBusy``, whose message names the holder: what it does, its pid and since when.

The lock is an advisory ``flock`` on the file, which the operating system releases when its
process ends, however it ends: a lock left by a killed process (``kill -9``) is simply free
again. Its holder's description stays in the file until the next holder replaces it, which is
how a take-over is noticed (``Lock.took_over``). Within one process the lock is re-entrant (the
CLI holds it, and the Dagster run it starts in the same process takes it again).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

LOCK_FILE = "lock"
HOLDER_WAIT = 2.0  # seconds a reader waits for a new holder to write its name


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a workspace lock."""

    activity: str  # "close of 2025-02", "ingest", "Dagster run 1a2b3c4d (close_job 2025-02)"
    pid: int
    since: datetime  # UTC
    host: str = ""
    command: str = ""  # the command line, e.g. "openspm close --period 2025-02"

    def _details(self) -> str:
        where = f" on {self.host}" if self.host and self.host != socket.gethostname() else ""
        command = f"; `{self.command}`" if self.command else ""
        return f"pid {self.pid}{where}, since {self.since:%Y-%m-%d %H:%M:%S} UTC{command}"

    def describe(self) -> str:
        """``close of 2025-02 (pid 4242, since 2026-03-01 10:02:03 UTC; `openspm close ...`)``."""
        return f"{self.activity} ({self._details()})"

    def describe_running(self) -> str:
        """``close of 2025-02 running (pid 4242, since 2026-03-01 10:02:03 UTC; `...`)``."""
        return f"{self.activity} running ({self._details()})"

    def to_json(self) -> str:
        return json.dumps(
            {
                "activity": self.activity,
                "pid": self.pid,
                "since": self.since.isoformat(),
                "host": self.host,
                "command": self.command,
            }
        )

    @classmethod
    def from_text(cls, text: str) -> Holder | None:
        try:
            data = json.loads(text)
            return cls(
                str(data["activity"]),
                int(data["pid"]),
                datetime.fromisoformat(data["since"]),
                str(data.get("host") or ""),
                str(data.get("command") or ""),
            )
        except (ValueError, KeyError, TypeError):
            return None


class WorkspaceBusy(RuntimeError):
    """Another process holds the workspace lock; the message names it and what to do."""

    def __init__(self, root: Path, holder: Holder | None) -> None:
        self.holder = holder
        who = holder.describe_running() if holder else "another OpenSPM process is writing it"
        super().__init__(
            f"workspace {root} is busy: {who}; wait for it to end, then run the command again"
        )


@dataclass
class Lock:
    """A held workspace lock; ``took_over`` is the holder a killed process left behind."""

    path: Path
    holder: Holder
    took_over: Holder | None
    _handle: TextIO
    _depth: int = 1


_held: dict[Path, Lock] = {}
_guard = threading.Lock()


def lock_path(root: Path) -> Path:
    """The lock file of the workspace at ``root``."""
    return root.resolve() / ".openspm" / LOCK_FILE


def current_holder(root: Path) -> Holder | None:
    """The holder of the workspace's lock when another process holds it now, else None."""
    path = lock_path(root)
    if not path.exists():
        return None
    with _guard:
        if path in _held:
            return None  # this process holds it
    try:
        handle = path.open("r+", encoding="utf-8")
    except OSError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(handle) or Holder("an OpenSPM command", 0, _now())
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def acquire(root: Path, activity: str, command: str = "") -> Lock:
    """Take the workspace lock for ``activity``; WorkspaceBusy at once when another holds it."""
    path = lock_path(root)
    with _guard:
        held = _held.get(path)
        if held is not None:
            held._depth += 1
            return held
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(handle)
            handle.close()
            raise WorkspaceBusy(root, holder) from None
        handle.seek(0)
        left = Holder.from_text(handle.read())
        me = Holder(activity, os.getpid(), _now(), socket.gethostname(), command)
        handle.seek(0)
        handle.truncate()
        handle.write(me.to_json())
        handle.flush()
        os.fsync(handle.fileno())
        lock = Lock(path, me, left if left and left.pid != os.getpid() else None, handle)
        _held[lock.path] = lock
        return lock


def release(lock: Lock) -> None:
    """Give the lock back (the outermost release of this process frees it)."""
    with _guard:
        lock._depth -= 1
        if lock._depth > 0:
            return
        _held.pop(lock.path, None)
        handle = lock._handle
        handle.seek(0)
        handle.truncate()  # a free lock names no holder
        handle.flush()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


@contextmanager
def workspace_lock(root: Path, activity: str) -> Iterator[Lock]:
    """Hold the workspace lock for the block (see ``acquire``)."""
    lock = acquire(root, activity)
    try:
        yield lock
    finally:
        release(lock)


def command_line() -> str:
    """This process's command, shortened for a holder description (``openspm close ...``)."""
    args = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv else ["python"]
    return " ".join(args)[:160]


def _read_holder(handle: TextIO) -> Holder | None:
    """The holder named in a lock file another process holds.

    A holder takes the ``flock`` first and writes its description just after, so a reader that
    comes in between finds the file empty (or half written): it reads again for up to
    ``HOLDER_WAIT`` seconds before settling for an anonymous holder.
    """
    deadline = time.monotonic() + HOLDER_WAIT
    while True:
        handle.seek(0)
        holder = Holder.from_text(handle.read())
        if holder is not None or time.monotonic() >= deadline:
            return holder
        time.sleep(0.02)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
