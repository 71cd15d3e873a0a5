"""Progress goes to stderr only: plain lines when stderr is not a terminal, nothing when quiet."""

from __future__ import annotations

import io
import time

import pytest

from theory import _progress


@pytest.fixture
def fast_lines(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    err = io.StringIO()  # not a terminal: plain lines
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr(_progress, "LINE_INTERVAL", 0.01)
    return err


def test_plain_lines_on_stderr_with_an_estimate(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(_progress, "LINE_INTERVAL", 0.01)
    for _ in _progress.progress(range(4), desc="demo"):
        time.sleep(0.02)
    captured = capsys.readouterr()  # pytest's capture is not a terminal: plain lines
    lines = captured.err.splitlines()
    assert lines and all(line.startswith("demo:") for line in lines)
    assert lines[-1].startswith("demo: 100% 4/4") and "<" in lines[-1]  # elapsed<remaining, from tqdm
    assert captured.out == ""  # stdout stays clean for --json


def test_quiet_writes_nothing(fast_lines: io.StringIO) -> None:
    with _progress.quiet():
        for _ in _progress.progress(range(4), desc="demo"):
            time.sleep(0.02)
        _progress.say("a step")
    assert fast_lines.getvalue() == ""


def test_short_loops_stay_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)  # the default 5 s interval: a quick loop writes nothing
    for _ in _progress.progress(range(100), desc="quick"):
        pass
    assert err.getvalue() == ""


def test_heartbeat_speaks_when_nothing_else_does(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr(_progress, "_LAST", [0.0])
    with _progress.heartbeat("theory demo", first=0.05, every=0.05):
        time.sleep(0.3)
    assert "theory demo: still running" in err.getvalue()
    err.truncate(0)
    err.seek(0)
    with _progress.quiet(), _progress.heartbeat("theory demo", first=0.05, every=0.05):  # control: quiet
        time.sleep(0.2)
    assert err.getvalue() == ""
