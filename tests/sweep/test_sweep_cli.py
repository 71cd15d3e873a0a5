"""``theory sweep``: dask.distributed LocalCluster, --status / --json, progress, failed jobs (issue 12 item 6)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from theory.cli import main
from theory.sweep import load_spec, run_sweep

# 12 cheap jobs over two kinds (simulate: 3 seeds x 2 learning rates x 2 temperatures), plus one
# that fails (a malformed quantity) to show a failure is a one-line record.
SPEC = """
[sweep]
name = "small"

[[jobs]]
kind = "simulate"
model = "joma-exp"
tokens = 3
hidden = 1
samples = 4
t_end = 1.0
grid.seed = [0, 1, 2]
grid.eta_w = [0.5, 1.0]
grid.temperature = [1.0, 2.0]

[[jobs]]
kind = "check"
model = "joma-exp"
sizes = "M=2"
quantity = "z1 +* 2"
"""
N_OK, N_FAILED = 12, 1


def _strict(text: str) -> dict:
    def refuse(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def spec_path(tmp_path: Path) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(SPEC)
    return path


def _rows(store: Path) -> dict[str, int]:
    with closing(sqlite3.connect(store, isolation_level=None)) as db:
        return dict(db.execute("SELECT hash, COUNT(*) FROM results GROUP BY hash").fetchall())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # dask/tornado internals on some versions
def test_dask_local_cluster_runs_the_sweep(spec_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    distributed = pytest.importorskip("distributed")  # the test extra installs it (pyproject: theory[sweep])
    spec = load_spec(spec_path)
    store = spec_path.with_suffix(".sqlite")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        argv = ["sweep", str(spec_path), "--scheduler", cluster.scheduler_address, "--quiet", "--json"]
        assert main(argv) == 1  # the CLI, as a user runs it; exit 1: one job failed
        first = _strict(capsys.readouterr().out)
        again = run_sweep(spec, scheduler=cluster.scheduler_address, quiet=True)  # the Python API
    assert first["run"]["executor"].startswith(f"dask.distributed at {cluster.scheduler_address}")
    assert (first["done"], first["failed"], first["pending"], first["run"]["computed"]) == (N_OK, N_FAILED, 0, 13)
    assert again["run"]["computed"] == 0 and again["run"]["already_recorded"] == N_OK + N_FAILED
    per_hash = _rows(store)
    assert len(per_hash) == N_OK + N_FAILED and set(per_hash.values()) == {1}
    with closing(sqlite3.connect(store, isolation_level=None)) as db:
        workers = {w for (w,) in db.execute("SELECT worker FROM results")}
    assert len(workers) == 1  # processes=False: the jobs ran in this process's worker threads


def test_cli_run_status_json_and_progress(spec_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = spec_path.with_suffix(".sqlite")
    # --status before anything ran: all pending, and the store is not created
    assert main(["sweep", str(spec_path), "--status", "--json"]) == 0
    status = _strict(capsys.readouterr().out)
    assert (status["total"], status["pending"], status["done"]) == (13, 13, 0) and not store.exists()

    # a run: progress on stderr (plain lines, stderr is not a terminal), exit 1 because one job failed
    assert main(["sweep", str(spec_path), "--workers", "2"]) == 1
    captured = capsys.readouterr()
    assert "sweep: 0/13 jobs already recorded" in captured.err and "13/13" in captured.err
    assert "12 done, 1 failed, 0 pending" in captured.out
    assert "failed: check joma-exp" in captured.out and "ExpressionError" in captured.out
    assert "Traceback" not in captured.out + captured.err

    # --status --json: strict JSON on stdout, nothing on stderr
    assert main(["sweep", str(spec_path), "--status", "--json"]) == 0
    captured = capsys.readouterr()
    status = _strict(captured.out)
    assert captured.err == ""
    assert (status["done"], status["failed"], status["pending"]) == (N_OK, N_FAILED, 0)
    (failed,) = [j for j in status["jobs"] if j["status"] == "failed"]
    assert failed["error"].startswith("ExpressionError: ") and "\n" not in failed["error"]

    # a rerun computes nothing; --quiet prints no progress; --json stays clean
    assert main(["sweep", str(spec_path), "--quiet", "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.err == "" and _strict(captured.out)["run"]["computed"] == 0
    assert set(_rows(store).values()) == {1}


def test_cli_option_errors_are_one_line(spec_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = [
        (["--max-jobs", "5"], "holds 12 jobs"),
        (["--max-jobs", "0"], "--max-jobs must be in"),
        (["--workers", "0"], "--workers must be in"),
        (["--scheduler", "localhost:8786"], "is not an address; give e.g. tcp://"),
        (["--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1"], "cannot reach the dask scheduler"),
        (["--connect-timeout", "nan", "--scheduler", "tcp://127.0.0.1:9"], "--connect-timeout"),
        (["--store", str(tmp_path / "no" / "s.sqlite")], "does not exist; create it first"),
        (["--store", str(tmp_path)], "is a directory"),
        (["--trace", str(tmp_path / "no" / "t.txt")], "trace file"),
        (["--status", "--workers", "2"], "--status runs nothing"),
    ]
    for extra, fragment in cases:
        assert main(["sweep", str(spec_path), "--quiet", *extra]) == 2, extra
        captured = capsys.readouterr()
        assert captured.err.startswith("theory sweep: error: ") and captured.err.count("\n") == 1, captured.err
        assert fragment in captured.err, (fragment, captured.err)
    assert not spec_path.with_suffix(".sqlite").exists()
