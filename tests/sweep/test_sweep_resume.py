"""A sweep killed with SIGKILL resumes: every job recorded exactly once, nothing finished recomputed.

Issue 12 item 6, the done-when test.  ``theory sweep`` runs as a subprocess (its own process
group: the driver, the forkserver and the pool workers) on 60 small simulate jobs (12 seeds x
5 learning rates); it is killed with SIGKILL twice, each time once new records exist and
while it is still running, then run to the end.  Two independent witnesses:

* the store: ``SELECT hash, COUNT(*) ... GROUP BY hash`` must give 1 for each of the 60 jobs;
* the execution trace (``--trace``, one file per run, appended by the *workers* when a job
  starts, not by the driver that decides what to skip): no job recorded before a run starts
  appears in that run's trace.

Negative controls: a store whose table lacks the hash key duplicates a record and the count
finds it; a sweep that ignores the store recomputes and the trace finds it.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest
from conftest import profile

from theory.sweep import Store, load_spec, run_sweep

ROOT = Path(__file__).resolve().parents[2]

# t_end = 50 makes each job take ~0.05-0.2 s (about 1000 right-hand-side evaluations), so a
# run of 60 jobs on 2 workers lasts long enough to be killed in the middle.  The ci profile
# (default) kills twice in 60 jobs; THEORY_PROFILE=thorough kills four times in 120.
N_SEEDS, N_KILLS = (12, 2) if profile() == "ci" else (24, 4)
SPEC = f"""
[sweep]
name = "kill-test"

[[jobs]]
kind = "simulate"
model = "joma-exp"
tokens = 10
hidden = 2
samples = 8
t_end = 50.0
grid.seed = {list(range(N_SEEDS))}
grid.eta_w = [0.25, 0.5, 0.75, 1.0, 1.25]
"""
N_JOBS = N_SEEDS * 5
WORKERS = 2
WINDOW = 2 * WORKERS  # jobs in flight at most (theory.sweep.run: twice the workers)


def rows_per_hash(store: Path) -> dict[str, int]:
    """How many records each hash has, read with plain SQL (not through the Store class)."""
    with closing(sqlite3.connect(store, isolation_level=None)) as db:
        return dict(db.execute("SELECT hash, COUNT(*) FROM results GROUP BY hash").fetchall())


def duplicated(store: Path) -> dict[str, int]:
    """Hashes recorded more than once."""
    return {h: n for h, n in rows_per_hash(store).items() if n > 1}


def count_rows(store: Path) -> int:
    if not store.exists():
        return 0
    try:
        with closing(sqlite3.connect(store, timeout=5, isolation_level=None)) as db:
            return int(db.execute("SELECT COUNT(*) FROM results").fetchone()[0])
    except sqlite3.OperationalError:  # the table is not created yet
        return 0


def traced(trace: Path) -> list[str]:
    """Hashes of the jobs a run's workers started, with repeats (line: time run_id hash pid)."""
    if not trace.exists():
        return []
    return [line.split()[2] for line in trace.read_text().splitlines()]


def recomputed(recorded_before: set[str], trace: Path) -> set[str]:
    """Jobs that were recorded before a run and that the run started again."""
    return recorded_before & set(traced(trace))


def _start(tmp: Path, run: int) -> subprocess.Popen:
    argv = [sys.executable, "-m", "theory", "sweep", "spec.toml", "--workers", str(WORKERS), "--quiet"]
    argv += ["--trace", f"trace-{run}.txt", "--json"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with open(tmp / f"out-{run}.txt", "wb") as out, open(tmp / f"err-{run}.txt", "wb") as err:
        return subprocess.Popen(argv, cwd=tmp, env=env, stdout=out, stderr=err, start_new_session=True)


def _kill_once_recorded(proc: subprocess.Popen, store: Path, at_least: int, timeout: float = 120.0) -> int:
    """SIGKILL the whole process group once ``at_least`` records exist; the number of records then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = count_rows(store)
        if n >= at_least:
            assert proc.poll() is None, f"the sweep finished before the kill ({n} records); make the jobs slower"
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return count_rows(store)
        if proc.poll() is not None:
            pytest.fail(f"the sweep exited ({proc.returncode}) before {at_least} records")
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    pytest.fail(f"no {at_least} records within {timeout} s")


@pytest.mark.slow
def test_sweep_killed_twice_resumes_exactly_once(tmp_path: Path) -> None:
    (tmp_path / "spec.toml").write_text(SPEC)
    store = tmp_path / "spec.sqlite"
    hashes = {j.hash for j in load_spec(tmp_path / "spec.toml").jobs}
    assert len(hashes) == N_JOBS
    t0 = time.monotonic()

    kills = []
    recorded_before = [set()]
    for run in range(1, N_KILLS + 1):
        proc = _start(tmp_path, run)
        n = _kill_once_recorded(proc, store, count_rows(store) + 8)
        assert proc.returncode == -signal.SIGKILL
        assert n < N_JOBS, "killed after the last record: not mid-way"
        kills.append(n)
        recorded_before.append(set(rows_per_hash(store)))

    last = N_KILLS + 1
    proc = _start(tmp_path, last)
    proc.wait(timeout=300)
    seconds = time.monotonic() - t0
    assert proc.returncode == 0, (tmp_path / f"err-{last}.txt").read_text()
    assert (tmp_path / f"err-{last}.txt").read_text() == ""  # --quiet: nothing on stderr
    summary = json.loads((tmp_path / f"out-{last}.txt").read_text())
    assert (summary["done"], summary["pending"], summary["failed"]) == (N_JOBS, 0, 0)
    assert summary["run"]["already_recorded"] == kills[-1]
    assert summary["run"]["computed"] == N_JOBS - kills[-1]

    # exactly once: every job of the spec has one record, and nothing else is there
    per_hash = rows_per_hash(store)
    assert set(per_hash) == hashes
    assert duplicated(store) == {}
    # nothing recomputed: no run started a job recorded before it began
    runs = range(1, last + 1)
    for run in runs[1:]:
        assert recomputed(recorded_before[run - 1], tmp_path / f"trace-{run}.txt") == set()
    # the only repeated executions are the jobs in flight at a kill (at most WINDOW per kill)
    starts = [h for run in runs for h in traced(tmp_path / f"trace-{run}.txt")]
    assert set(starts) == hashes
    assert N_JOBS <= len(starts) <= N_JOBS + WINDOW * len(kills)
    # each record comes from the run that traced it last
    with closing(sqlite3.connect(store, isolation_level=None)) as db:
        run_of = dict(db.execute("SELECT hash, run_id FROM results").fetchall())
    last_run = {}
    for run in runs:
        for line in (tmp_path / f"trace-{run}.txt").read_text().splitlines():
            last_run[line.split()[2]] = line.split()[1]
    assert run_of == last_run
    print(
        f"\n{N_JOBS} jobs, killed at {kills} records, completed; "
        f"{len(starts)} job starts in all; {seconds:.1f} s for the {last} runs"
    )


# --- negative controls: the two witnesses detect what they claim to detect -------------------------------------------


class _NoKeyStore(Store):
    """The store without its hash key: INSERT OR IGNORE then ignores nothing."""

    TABLE = Store.TABLE.replace("hash TEXT PRIMARY KEY NOT NULL", "hash TEXT NOT NULL")


_TINY = """
[[jobs]]
kind = "simulate"
model = "joma-exp"
tokens = 3
hidden = 1
samples = 4
t_end = 1.0
grid.seed = [0, 1, 2]
"""


def _outcome(job_hash: str) -> dict:
    return {"status": "done", "ok": True, "result": {"x": 1.0}, "run_id": "r", "worker": "w", "started": 0.0}


def test_negative_control_a_store_without_the_key_duplicates(tmp_path: Path) -> None:
    (tmp_path / "spec.toml").write_text(_TINY)
    job = load_spec(tmp_path / "spec.toml").jobs[0]
    outcome = {**_outcome(job.hash), "finished": 1.0}
    with _NoKeyStore(tmp_path / "nokey.sqlite") as bad, Store(tmp_path / "good.sqlite") as good:
        assert bad.record(job, outcome) and bad.record(job, outcome)  # both "inserted"
        assert good.record(job, outcome) and not good.record(job, outcome)
    assert duplicated(tmp_path / "nokey.sqlite") == {job.hash: 2}
    assert duplicated(tmp_path / "good.sqlite") == {}


def test_negative_control_a_sweep_that_ignores_the_store_recomputes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "spec.toml").write_text(_TINY)
    spec = load_spec(tmp_path / "spec.toml")
    store = tmp_path / "spec.sqlite"

    def sweep(trace: str) -> dict:
        with ThreadPoolExecutor(1) as pool:
            return run_sweep(spec, executor=pool, quiet=True, trace=tmp_path / trace)

    first = sweep("t1.txt")
    assert first["run"]["computed"] == 3
    done = set(rows_per_hash(store))
    assert recomputed(done, tmp_path / "t2.txt") == set()  # no trace yet
    resumed = sweep("t2.txt")  # the real sweep: nothing to run
    assert resumed["run"]["computed"] == 0 and recomputed(done, tmp_path / "t2.txt") == set()
    monkeypatch.setattr(Store, "statuses", lambda self, hashes=None: {})  # forget what is recorded
    forgetful = sweep("t3.txt")
    assert forgetful["run"]["computed"] == 3
    assert recomputed(done, tmp_path / "t3.txt") == done  # the trace witnesses the recomputation
    assert duplicated(store) == {}  # ... and the key still keeps one record per job
