"""What an operator meets at the edges: one writer per workspace, one-line failures, status.

Every command here runs as a user runs it: ``openspm`` in a subprocess, on a real workspace.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from conftest import OPENSPM, cli

from openspm.lock import WorkspaceBusy, acquire, current_holder, lock_path, release
from openspm.workspace import Workspace

pytestmark = pytest.mark.slow

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from openspm.lock import acquire
    acquire(Path(sys.argv[1]), "close of 2025-02", "openspm close --period 2025-02")
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    """
)


PROBE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from openspm.lock import WorkspaceBusy, acquire
    try:
        acquire(Path(sys.argv[1]), "ingest")
    except WorkspaceBusy as busy:
        print(busy)
    """
)


def hold_lock(root: Path, seconds: float = 60) -> subprocess.Popen[str]:
    """Another process holding the workspace lock, as a close would."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def one_error_line(result: subprocess.CompletedProcess) -> str:
    """The failure's only line; nothing on either stream looks like a traceback."""
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("openspm: error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    return errors[0]


# ------------------------------------------------------------------------------------ the lock


def test_the_lock_is_reentrant_in_a_process_and_exclusive_across_processes(
    tmp_path: Path,
) -> None:
    outer = acquire(tmp_path, "close of 2026-01", "openspm close --period 2026-01")
    inner = acquire(tmp_path, "a Dagster run of the close")  # the close's own run: re-entrant
    assert inner is outer and current_holder(tmp_path) is None  # held by this process
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert f"workspace {tmp_path} is busy: close of 2026-01 running (pid {os.getpid()}," in (
        probe.stdout
    )
    release(inner)
    assert json.loads(lock_path(tmp_path).read_text())["activity"] == "close of 2026-01"
    release(outer)
    assert lock_path(tmp_path).read_text() == ""  # a free lock names no holder


def test_a_holder_still_writing_its_name_is_named(tmp_path: Path) -> None:
    """Race seen in CI: the holder has the flock but has not yet written who it is."""
    path = lock_path(tmp_path)
    path.parent.mkdir(parents=True)
    handle = path.open("a+", encoding="utf-8")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held, file still empty

    def write_name() -> None:
        time.sleep(0.3)
        handle.write(
            json.dumps({"activity": "drafts", "pid": 4242, "since": "2026-12-03T04:00:00"})
        )
        handle.flush()

    writer = threading.Thread(target=write_name)
    writer.start()
    try:
        with pytest.raises(WorkspaceBusy) as refused:
            acquire(tmp_path, "close of 2026-01")
    finally:
        writer.join()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
    assert "is busy: drafts running (pid 4242, since 2026-12-03 04:00:00 UTC)" in str(refused.value)


def test_two_runs_started_together_one_is_refused_at_once(demo_copy: Workspace) -> None:
    """The issue's case: two commands at once; the second must not wait, crash or corrupt."""
    root = str(demo_copy.root)
    started = time.monotonic()
    first, second = (
        subprocess.Popen(
            [str(OPENSPM), "run", "--workspace", root],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    )
    ended: dict[int, float] = {}
    while len(ended) < 2:  # when each one ends (the loser must not wait for the winner)
        for process in (first, second):
            if process.pid not in ended and process.poll() is not None:
                ended[process.pid] = time.monotonic() - started
        assert time.monotonic() - started < 600
        time.sleep(0.05)
    outputs = {}
    for process in (first, second):
        out, err = process.communicate()
        outputs[process.pid] = (process.returncode, out, err, ended[process.pid])
    codes = sorted(code for code, *_ in outputs.values())
    assert codes == [0, 1], outputs
    (loser,) = [pid for pid, (code, *_) in outputs.items() if code == 1]
    (winner,) = [pid for pid, (code, *_) in outputs.items() if code == 0]
    code, out, err, seconds = outputs[loser]
    line = one_error_line(subprocess.CompletedProcess([], code, out, err))
    assert f"workspace {root} is busy: drafts running (pid {winner}, since " in line
    assert "openspm run" in line and "wait for it to end" in line
    assert seconds < outputs[winner][3]  # refused at once, not after the other ended
    assert "drafts of" in outputs[winner][1]  # the winner completed its run


def test_a_lock_left_by_a_killed_process_is_taken_over(demo_copy: Workspace) -> None:
    holder = hold_lock(demo_copy.root)
    busy = cli("ingest", "--workspace", str(demo_copy.root))
    assert busy.returncode == 1
    assert "is busy: close of 2025-02 running (pid" in one_error_line(busy)
    # status reads while it is held: the holder, then the last listing saved
    status = cli("status", "--workspace", str(demo_copy.root))
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("close of 2025-02 running (pid")
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    assert lock_path(demo_copy.root).read_text()  # the killed holder's record stays behind
    taken = cli("ingest", "--workspace", str(demo_copy.root))
    assert taken.returncode == 0, taken.stderr
    assert "taken over" in taken.stderr and "close of 2025-02" in taken.stderr
    assert "Traceback" not in taken.stdout + taken.stderr
    assert lock_path(demo_copy.root).read_text() == ""


def test_status_while_a_close_runs_shows_it_and_the_last_listing(demo_copy: Workspace) -> None:
    listed = cli("status", "--workspace", str(demo_copy.root))
    assert listed.returncode == 0, listed.stderr
    holder = hold_lock(demo_copy.root)
    try:
        during = cli("status", "--workspace", str(demo_copy.root))
    finally:
        holder.kill()
        holder.wait()
    assert during.returncode == 0, during.stderr
    head, note, *months = during.stdout.splitlines()
    assert head.startswith("close of 2025-02 running (pid ") and "UTC" in head
    assert note.startswith("as of ") and note.endswith("before it started:")
    assert months == listed.stdout.splitlines()


# ------------------------------------------------------------------------ one line, no traces


def test_user_errors_end_in_one_line_without_a_traceback(demo_copy: Workspace) -> None:
    """The four failures of issue 13 item 2, each through the real command."""
    root = demo_copy.root
    ws = ["--workspace", str(root)]

    # an edited landing file
    batch = sorted(demo_copy.entity_dir("crm", "deals").glob("*.csv"))[0]
    original = batch.read_bytes()
    batch.write_bytes(original + original.splitlines(keepends=True)[-1])
    edited = cli("ingest", *ws)
    assert edited.returncode == 1
    line = one_error_line(edited)
    assert batch.name in line and "changed after it was loaded" in line
    log = Path(line.rsplit("(details: ", 1)[1].rstrip(")"))
    assert "LandingFileChangedError" in log.read_text(encoding="utf-8")  # the trace is here
    batch.write_bytes(original)

    # a plan typo
    plan = sorted((root / "comp" / "plans").glob("*.yaml"))[0]
    text = plan.read_text(encoding="utf-8")
    plan.write_text(text.replace("rate:", "rat:", 1), encoding="utf-8")
    typo = cli("run", *ws)
    assert typo.returncode == 1
    assert f"comp/plans/{plan.name} line" in one_error_line(typo)
    plan.write_text(text, encoding="utf-8")

    # a workspace without comp/plans
    plans = root / "comp" / "plans"
    plans.rename(root / "comp" / "plans-away")
    missing = cli("run", *ws)
    assert missing.returncode == 1
    assert "comp/plans: folder is missing" in one_error_line(missing)
    (root / "comp" / "plans-away").rename(plans)

    # an unparsable CSV date: quarantined at ingestion, then the blocking check stops the run
    deals = demo_copy.entity_dir("crm", "deals")
    (deals / "zz_bad_date.csv").write_text(
        "deal_id,account_id,owner_id,deal_type,stage,is_won,close_date,amount,currency,"
        "modified_at\nZZ-1,A1,U1,new_business,won,true,2025-02-30,10,USD,2025-03-01T00:00:00Z\n",
        encoding="utf-8",
    )
    bad = cli("run", *ws)
    assert bad.returncode == 1
    line = one_error_line(bad)
    assert "zz_bad_date.csv row 1" in line and "close_date" in line and "2025-02-30" in line


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["close", "--perod", "2025-01"], "No such option: --perod"),
        (["close", "--period", "2025-13"], "--period '2025-13' has no month 13"),
        (["close", "--period"], "Option '--period' requires an argument"),
        (["backfill", "--from", "2025-01"], "Missing option '--to': last month to recompute"),
        (["demo", "--employees", "many"], "Invalid value for '--employees'"),
        (["close"], "give --period YYYY-MM (one month) or --through YYYY-MM"),
    ],
)
def test_usage_errors_are_one_line_naming_the_flag(
    args: list[str], needle: str, tmp_path: Path
) -> None:
    (tmp_path / "openspm.yaml").write_text("company: A\nreporting_currency: USD\n")
    result = cli(*args, cwd=tmp_path)
    assert result.returncode in (1, 2)
    line = one_error_line(result)
    assert needle in line, line
    assert "╭" not in result.stderr and result.stdout == ""


def test_a_damaged_warehouse_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "openspm.yaml").write_text("company: A\nreporting_currency: USD\n")
    (tmp_path / "warehouse.duckdb").write_text("this is not a DuckDB file")
    result = cli("status", "--workspace", str(tmp_path))
    assert result.returncode == 1
    line = one_error_line(result)
    assert "warehouse" in line


def test_init_writes_a_first_workspace_that_validates(tmp_path: Path) -> None:
    root = tmp_path / "acme"
    made = cli("init", str(root), "--company", "Acme Inc.", "--currency", "EUR")
    assert made.returncode == 0, made.stderr
    settings = (root / "openspm.yaml").read_text(encoding="utf-8")
    assert "company: Acme Inc." in settings and "reporting_currency: EUR" in settings
    assert "# first_period:" in settings  # documented, commented out
    assert (root / "comp/plan_assignments.csv").read_text().startswith("employee_id,plan_id,")
    assert (root / "comp/quotas.csv").read_text().strip().endswith(",quota")
    assert (root / "comp/adjustments.csv").exists()
    assert (root / "comp/plans/example-ae.yaml").exists()
    assert (root / "landing/crm/deals").is_dir() and (root / "landing/hris/job_history").is_dir()
    valid = cli("validate", "--quick", "--workspace", str(root))
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert "are valid" in valid.stdout
    again = cli("init", str(root))
    assert again.returncode == 1 and "is a workspace; nothing written" in one_error_line(again)


def test_partitions_start_at_the_workspace_first_period(demo_copy: Workspace) -> None:
    """`dagster dev` with $OPENSPM_WORKSPACE: the months Dagster offers start at first_period."""
    script = (
        "from pipelines.definitions import defs\n"
        "job = defs.resolve_job_def('close_job')\n"
        "print(job.partitions_def.get_partition_keys()[0])\n"
    )
    env = {**os.environ, "OPENSPM_WORKSPACE": str(demo_copy.root)}
    env.pop("OPENSPM_PARTITIONS_START", None)
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2025-01-01"
    # no beta, preview or deprecation warning that the project's own code causes (a library's
    # warning about itself, such as sqlglotrs's deprecation, is not ours to silence)
    for kind in ("BetaWarning", "PreviewWarning", "SupersessionWarning"):
        assert kind not in done.stderr, done.stderr
    packages = ("/openspm/", "/assets/", "/pipelines/", "/integrations/")
    ours = [
        line
        for line in done.stderr.splitlines()
        if "Warning" in line and ".venv" not in line and any(p in line for p in packages)
    ]
    assert ours == [], ours
