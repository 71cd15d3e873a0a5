"""Nothing lost, nothing stale: temporary files and the ``reproduce`` summary after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from theory import _io
from theory.errors import InvalidArgument


def _dead_pid() -> int:
    """A process id that is certainly not running (a child that has exited and been reaped)."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def test_stale_temp_of_a_dead_writer_is_swept_and_a_live_one_kept(tmp_path: Path) -> None:
    stale = tmp_path / f".out.json.{_dead_pid()}.abc123.tmp"
    live = tmp_path / f".out.json.{os.getppid()}.def456.tmp"  # the parent (pytest's launcher) is alive
    stale.write_text("half")
    live.write_text("in progress")
    _io.atomic_write_json(tmp_path / "out.json", {"a": 1})
    assert not stale.exists(), "a temp file of a dead process must be swept by the next write"
    assert live.exists(), "negative control: a live writer's temp file must be left alone"
    assert json.loads((tmp_path / "out.json").read_text()) == {"a": 1}


def test_temp_removed_when_the_write_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(src: str, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        _io.atomic_write_text(tmp_path / "x.txt", "data")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_and_too_long_paths_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="characters long"):
        _io.atomic_write_text(tmp_path / ("x" * 300), "data")
    with pytest.raises(InvalidArgument, match="not writable"):
        _io.check_writable("/proc/theory-test.json")
    with pytest.raises(InvalidArgument, match="is a directory"):
        _io.check_writable(tmp_path)
    assert _io.check_writable(tmp_path / "fine.json") == tmp_path / "fine.json"  # control: a good path passes


def test_killed_reproduce_never_leaves_an_ok_summary(tmp_path: Path) -> None:
    out = tmp_path / "res"
    out.mkdir()
    (out / "summary.json").write_text(json.dumps({"ok": True, "status": "complete"}))  # an old, good run
    pid = os.fork()
    if pid == 0:  # child: a run that is killed mid-way
        try:
            from theory.reproduce import reproduce

            os.environ["THEORY_QUIET"] = "1"
            reproduce(out, steps=["receptive-field", "compare-arch"])
        finally:
            os._exit(0)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if json.loads((out / "summary.json").read_text()).get("status") == "running":
                break
        except ValueError:
            pass
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] is False and summary["status"] == "running"


def test_finished_reproduce_has_summary_and_manifest_of_one_run(tmp_path: Path) -> None:
    from theory.reproduce import reproduce

    result = reproduce(tmp_path, steps=["receptive-field"])
    summary = json.loads((tmp_path / "summary.json").read_text())
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert summary["status"] == "complete" and summary["ok"] is True
    assert manifest["files"]["receptive-field.json"]["run_id"] == summary["run_id"] == result.run_id
