"""The driver: two sweeps on one store, an executor that breaks, figure jobs' files (issue 12 item 6)."""

from __future__ import annotations

import json
import sqlite3
import threading
from concurrent.futures import BrokenExecutor, Future, ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from theory.dynamics.figure_registry import FIGURES, Figure, register_figure
from theory.sweep import SweepError, load_spec, run_job, run_sweep, sweep_status

TINY = """
[[jobs]]
kind = "simulate"
model = "joma-exp"
tokens = 3
hidden = 1
samples = 4
t_end = 1.0
grid.seed = [0, 1, 2, 3, 4, 5]
grid.eta_w = [0.5, 1.0]
"""


@pytest.fixture
def spec(tmp_path: Path):
    (tmp_path / "spec.toml").write_text(TINY)
    return load_spec(tmp_path / "spec.toml")


def test_two_sweeps_on_one_store_record_each_job_once(spec, tmp_path: Path) -> None:
    """Two drivers at once (threads, separate connections): both may compute a job, the key keeps one record."""
    results: list[dict] = []
    start = threading.Barrier(2)

    def sweep() -> None:
        start.wait()
        with ThreadPoolExecutor(2) as pool:
            results.append(run_sweep(spec, executor=pool, quiet=True))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 2
    with closing(sqlite3.connect(tmp_path / "spec.sqlite", isolation_level=None)) as db:
        counts = dict(db.execute("SELECT hash, COUNT(*) FROM results GROUP BY hash").fetchall())
    assert set(counts) == {j.hash for j in spec.jobs} and set(counts.values()) == {1}
    assert sum(r["run"]["computed"] for r in results) >= len(spec.jobs)  # the overlap, if any, was not recorded


class _BreaksAfter(ThreadPoolExecutor):
    """An executor whose futures fail (as a process pool's do when a worker dies) after ``n`` submissions."""

    def __init__(self, n: int) -> None:
        super().__init__(1)
        self.n = n

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:
        self.n -= 1
        if self.n >= 0:
            return super().submit(fn, *args, **kwargs)
        broken: Future = Future()
        broken.set_exception(BrokenExecutor("a worker process died"))
        return broken


def test_an_executor_failure_stops_with_one_line_and_keeps_the_records(spec, tmp_path: Path) -> None:
    with _BreaksAfter(3) as pool, pytest.raises(SweepError) as info:
        run_sweep(spec, executor=pool, window=1, quiet=True)
    message = str(info.value)
    assert "\n" not in message and "BrokenExecutor: a worker process died" in message
    assert "3 jobs recorded in this run, run the same command again to resume" in message
    status = sweep_status(spec)
    assert (status["done"], status["pending"]) == (3, len(spec.jobs) - 3)
    with ThreadPoolExecutor(1) as pool:
        resumed = run_sweep(spec, executor=pool, quiet=True)
    assert resumed["run"]["computed"] == len(spec.jobs) - 3 and resumed["pending"] == 0


def test_a_closed_executor_is_one_line(spec) -> None:
    pool = ThreadPoolExecutor(1)
    pool.shutdown()
    with pytest.raises(
        SweepError, match=r"the executor refused .*RuntimeError: cannot schedule new futures after shutdown"
    ):
        run_sweep(spec, executor=pool, quiet=True)


def test_a_figure_job_writes_under_the_store_files(tmp_path: Path) -> None:
    def build(quick: bool = False) -> Figure:
        return Figure(data={"quick": quick, "value": 1.5}, text="a test figure")

    register_figure("sweep-test-figure", build, "a figure for the sweep tests")
    try:
        (tmp_path / "spec.toml").write_text('[[jobs]]\nkind = "figure"\nname = "sweep-test-figure"\n')
        spec = load_spec(tmp_path / "spec.toml")
        with ThreadPoolExecutor(1) as pool:
            out = run_sweep(spec, executor=pool, quiet=True)
    finally:
        del FIGURES["sweep-test-figure"]
    assert out["done"] == 1
    written = tmp_path / "spec.files" / spec.jobs[0].hash / "sweep-test-figure.json"
    assert json.loads(written.read_text()) == {"quick": True, "value": 1.5}


def test_run_job_without_files_dir_and_unknown_kind() -> None:
    out = run_job("no-such-kind", {}, "h", "r")
    assert out["status"] == "failed"
    assert (
        out["error"]
        == "UnknownNameError: unknown job kind 'no-such-kind'; expected one of: simulate, check, discover, figure"
    )


def test_run_sweep_argument_checks(spec) -> None:
    for kwargs, fragment in (
        ({"workers": 0}, "workers in [1, 1024]"),
        ({"window": 0}, "positive integer window"),
        ({"connect_timeout": float("inf")}, "connect_timeout in (0, 3600]"),
    ):
        with pytest.raises(ValueError, match=fragment.replace("[", r"\[").replace("(", r"\(")):
            run_sweep(spec, quiet=True, **kwargs)


def _hold_exclusive(path: Path, seconds: float, started: threading.Event) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    started.set()
    threading.Event().wait(seconds)
    db.execute("COMMIT")
    db.close()


@pytest.mark.parametrize(("held", "patience", "switches"), [(0.3, 10.0, True), (1.0, 0.05, False)])
def test_the_wal_switch_waits_for_a_held_file(tmp_path: Path, held: float, patience: float, switches: bool) -> None:
    """SQLite can report 'database is locked' on the WAL switch at once (a sweep opening a store
    another sweep was setting up failed so in CI): the switch retries until its deadline.  The
    connection here has no busy timeout, so every wait is the retry loop's; a lock held longer than
    the patience (control) still fails, as SQLite reports it."""
    from theory.sweep.store import _switch_to_wal

    path = tmp_path / "s.sqlite"
    sqlite3.connect(path).close()
    started = threading.Event()
    holder = threading.Thread(target=_hold_exclusive, args=(path, held, started))
    holder.start()
    started.wait()
    with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as db:
        if switches:
            _switch_to_wal(db, seconds=patience)
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        else:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                _switch_to_wal(db, seconds=patience)
    holder.join()
