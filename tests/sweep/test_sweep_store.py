"""The append-only SQLite store and one job's record: exactly once, one-line errors, strict JSON (issue 12 item 6)."""

from __future__ import annotations

import json
import math
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from theory.sweep import Store, StoreError, json_safe, load_spec, run_job

SPEC = '[[jobs]]\nkind = "simulate"\nmodel = "joma-exp"\ntokens = 3\nhidden = 1\nsamples = 4\nt_end = 1.0\n'


def _job(tmp_path: Path):
    (tmp_path / "spec.toml").write_text(SPEC)
    return load_spec(tmp_path / "spec.toml").jobs[0]


def _strict(text: str) -> object:
    """json.loads that refuses NaN / Infinity (Python's default accepts them)."""

    def refuse(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def test_run_job_records_a_simulation(tmp_path: Path) -> None:
    job = _job(tmp_path)
    out = run_job(job.kind, job.params, job.hash, "run1")
    assert out["status"] == "done" and out["ok"] is True and out["error"] is None
    assert out["result"]["sizes"] == {"M": 3, "K": 1, "N": 4} and out["result"]["status"] == "ok"
    assert out["started"] <= out["finished"] and out["hash"] == job.hash
    with Store(tmp_path / "s.sqlite") as store:
        assert store.record(job, out)
        assert not store.record(job, {**out, "run_id": "run2"})  # the same job again: ignored
        (rec,) = store.records()
    assert rec["run_id"] == "run1" and rec["result"] == out["result"] and rec["params"] == dict(job.params)
    with closing(sqlite3.connect(tmp_path / "s.sqlite", isolation_level=None)) as db:
        assert db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 1
        for stored in db.execute("SELECT result, params, notes FROM results").fetchone():
            _strict(stored)


def test_the_store_is_append_only(tmp_path: Path) -> None:
    job = _job(tmp_path)
    with Store(tmp_path / "s.sqlite") as store:
        store.record(job, run_job(job.kind, job.params, job.hash, "r"))
    with closing(sqlite3.connect(tmp_path / "s.sqlite", isolation_level=None)) as db:
        for sql in ("UPDATE results SET status = 'failed'", "DELETE FROM results"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                db.execute(sql)
        # negative control: the triggers are what refuses; without them the update goes through
        db.execute("DROP TRIGGER results_no_update")
        db.execute("UPDATE results SET status = 'failed'")
        assert db.execute("SELECT status FROM results").fetchone()[0] == "failed"


def test_a_failing_job_records_one_line(tmp_path: Path) -> None:
    params = {"name": None, "model": "joma-exp", "sizes": "M=2,K=1,N=1", "quantity": "z1 +* 2"}
    params |= {"seed": 0, "starts": 2, "flow_time": 1.0}
    out = run_job("check", params, "h", "r")
    assert out["status"] == "failed" and out["ok"] is False and out["result"] is None
    assert out["error"].startswith("ExpressionError: ") and "\n" not in out["error"]
    assert "Traceback" not in out["error"]


def test_a_quantity_is_never_evaluated(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    params = {"name": None, "model": "joma-exp", "sizes": "M=2,K=1,N=1", "seed": 0, "starts": 2, "flow_time": 1.0}
    for text in (f"__import__('os').system('touch {marker}')", f"open('{marker}', 'w')", "z1.__class__"):
        out = run_job("check", {**params, "quantity": text}, "h", "r")
        assert out["status"] == "failed" and "\n" not in out["error"]
    assert not marker.exists()
    # the same path with a real quantity: the exp-attention invariant z_l - r/(2T) sum_k v_kl^2 (catalogue
    # joma-exp) is conserved, and z_1 alone (negative control) drifts
    good = run_job("check", {**params, "quantity": "z1 - eta_z/(2*eta_w*T)*v1_1**2"}, "h", "r")
    bad = run_job("check", {**params, "quantity": "z1"}, "h", "r")
    assert good["result"]["verdict_numeric"] == "conserved" and bad["result"]["verdict_numeric"] == "drifts"


def test_json_safe_turns_non_finite_into_a_status() -> None:
    raw = {"a": float("nan"), "b": [1.0, np.inf], "c": np.float64(-np.inf), "d": np.arange(2), "e": (np.int64(3),)}
    with pytest.raises(ValueError):  # negative control: strict JSON refuses the raw values
        json.dumps(raw, allow_nan=False, default=lambda o: o.tolist())
    notes: list[str] = []
    safe = json_safe(raw, "result", notes)
    _strict(json.dumps(safe, allow_nan=False))
    assert safe["a"] == {"status": "non-finite", "reason": "nan at result.a"}
    assert safe["b"] == [1.0, {"status": "non-finite", "reason": "inf at result.b[1]"}]
    assert safe["c"] == {"status": "non-finite", "reason": "-inf at result.c"}
    assert safe["d"] == [0, 1] and safe["e"] == [3]
    assert notes == ["nan at result.a", "inf at result.b[1]", "-inf at result.c"]
    assert json_safe(1.5) == 1.5 and math.isfinite(json_safe(np.float32(2.0)))


def test_warnings_become_notes_not_output(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import warnings

    from theory.numeric import simulate as simulate_module

    params = {"model": "joma-exp", "tokens": 3, "hidden": 1, "samples": 4, "t_end": 1.0, "method": "DOP853"}
    params |= {"temperature": 1e-300, "eta_w": 1e6, "eta_z": 1.0, "activation": "tanh", "init_scale": 0.1, "seed": 0}
    out = run_job("simulate", params, "h", "r")
    assert out["status"] == "done" and out["result"]["status"] == "blow-up"  # the issue's case: strict JSON
    json.dumps(out, allow_nan=False)
    real = simulate_module.simulate_joma

    def warning_simulate(*args, **kwargs):  # a numerical warning raised inside the job
        warnings.warn("overflow encountered in exp", RuntimeWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(simulate_module, "simulate_joma", warning_simulate)
    out = run_job("simulate", params, "h", "r")
    assert any(n.startswith("RuntimeWarning: ") for n in out["notes"])
    assert capfd.readouterr().err == ""


def test_store_problems_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "junk.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match=r"not a usable SQLite database.*give another --store"):
        Store(tmp_path / "junk.sqlite")
    with pytest.raises(StoreError, match="is a directory"):
        Store(tmp_path)
    with pytest.raises(StoreError, match="does not exist; create it first"):
        Store(tmp_path / "no" / "s.sqlite")
    for special in ("/dev/null", "/dev/zero"):
        for create in (True, False):
            with pytest.raises(StoreError, match="not a regular file"):
                Store(special, create=create)
    with Store(tmp_path / "absent.sqlite", create=False) as store:
        assert store.statuses() == {} and store.records() == []
    assert not (tmp_path / "absent.sqlite").exists()
    with Store(tmp_path / "old.sqlite"):
        pass
    with closing(sqlite3.connect(tmp_path / "old.sqlite", isolation_level=None)) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'format'")
    with pytest.raises(StoreError, match="has format 99"):
        Store(tmp_path / "old.sqlite")


def test_status_reads_an_empty_or_foreign_file_without_changing_it(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")  # e.g. made by `sqlite3.connect` before the sweep created its table
    with Store(empty, create=False) as store:
        assert store.statuses() == {} and store.records() == []
    assert empty.read_bytes() == b""
    with Store(empty) as store:  # a run sets it up
        assert store.statuses() == {}
    foreign = tmp_path / "foreign.sqlite"
    with closing(sqlite3.connect(foreign, isolation_level=None)) as db:
        db.execute("CREATE TABLE people (name TEXT)")
    before = foreign.read_bytes()
    for create in (False, True):
        with pytest.raises(StoreError, match=r"not a sweep store \(tables: people\)"):
            Store(foreign, create=create)
    assert foreign.read_bytes() == before


def test_sql_failures_are_one_line(tmp_path: Path) -> None:
    other_connection = sqlite3.connect(tmp_path / "s.sqlite", isolation_level=None)
    with Store(tmp_path / "s.sqlite") as store, closing(other_connection) as other:
        store._db.execute("PRAGMA busy_timeout = 50")  # type: ignore[union-attr]
        other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        job = _job(tmp_path)
        outcome = {"status": "done", "ok": True, "result": {}, "run_id": "r", "worker": "w", "started": 0.0}
        with pytest.raises(StoreError, match="database is locked; check the file and retry"):
            store.record(job, {**outcome, "finished": 1.0})
        other.rollback()


def test_the_issues_nan_simulation_is_strict_json_with_reasons(tmp_path: Path) -> None:
    """`simulate --temperature 5e-324` printed NaN in --json (issue 12); as a sweep job it is a status with a reason."""
    params = {"model": "joma-exp", "tokens": 3, "hidden": 1, "samples": 4, "t_end": 1.0, "method": "DOP853"}
    params |= {"temperature": 5e-324, "eta_w": 1.0, "eta_z": 1.0, "activation": "tanh", "init_scale": 0.1, "seed": 0}
    out = run_job("simulate", params, "h", "r")
    text = json.dumps(out, allow_nan=False)  # raises on any NaN / Infinity left
    assert out["status"] == "done" and out["result"]["status"] == "blow-up"
    assert out["result"]["loss"]["start"] == {"status": "non-finite", "reason": "nan at result.loss.start"}
    assert "nan at result.quantity_drift" in out["notes"]
    assert "NaN" not in text and "Infinity" not in text
