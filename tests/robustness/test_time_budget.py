"""Time budgets: a computation past its budget stops with a clear status, never hangs silently."""

from __future__ import annotations

import json
import time

import pytest

from tests.robustness.harness import run_cli
from theory import _budget
from theory.errors import BudgetExceeded, TimeBudgetExceeded


def _spin(seconds: float) -> int:
    end, n = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        n += 1
    return n


def test_time_limit_stops_a_python_loop() -> None:
    t0 = time.monotonic()
    with pytest.raises(TimeBudgetExceeded, match="--max-seconds"), _budget.time_limit(0.2, "spinning"):
        _spin(5)
    assert time.monotonic() - t0 < 2


def test_control_time_limit_lets_short_work_finish() -> None:
    with _budget.time_limit(2.0, "spinning"):
        assert _spin(0.05) > 0


def test_nested_limit_is_bounded_by_the_outer_one() -> None:
    with pytest.raises(TimeBudgetExceeded), _budget.time_limit(0.3, "outer"), _budget.time_limit(10, "inner"):
        _spin(5)


def test_time_budget_exceeded_is_not_a_value_error() -> None:
    """Numeric code catching ValueError/OSError/RuntimeError to report a status must not swallow it."""
    assert not issubclass(TimeBudgetExceeded, (ValueError, OSError, RuntimeError))


def test_budget_check_names_the_option() -> None:
    with _budget.limits_set(max_memory=2**20), pytest.raises(BudgetExceeded, match="--max-memory"):
        _budget.check("work", memory=2**21)
    with _budget.limits_set(max_seconds=1), pytest.raises(BudgetExceeded, match="--max-seconds"):
        _budget.check("work", seconds=2)
    with _budget.limits_set(max_memory=2**22, max_seconds=10):  # control: within budget
        _budget.check("work", memory=2**21, seconds=1)


@pytest.mark.parametrize(("text", "value"), [("4G", 4 * 2**30), ("512MiB", 512 * 2**20), ("1e9", 10**9)])
def test_parse_bytes(text: str, value: int) -> None:
    assert _budget.parse_bytes(text) == value


@pytest.mark.parametrize("text", ["", "-1G", "nan", "inf", "4X", "0"])
def test_parse_bytes_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        _budget.parse_bytes(text)


@pytest.mark.parametrize(("budget", "timeouts"), [("3", True), ("600", False)])
def test_check_all_past_its_budget_reports_timeout_rows(monkeypatch, capsys, budget: str, timeouts: bool) -> None:
    """Every entry made to take at least 0.6 s (a busy loop the alarm can interrupt), so 13 entries
    need at least 7.8 s: a 3 s budget must give timeout rows and exit 1, never a stopped command;
    a 600 s budget (control) none.  In-process, so start-up on a loaded machine does not count."""
    from theory.checks import catalogue_oracle
    from theory.cli import main

    real = catalogue_oracle.check_starts

    def slow(entry, **kw):
        _spin(0.6)
        return real(entry, **kw)

    monkeypatch.setattr(catalogue_oracle, "check_starts", slow)
    monkeypatch.setenv("THEORY_QUIET", "1")
    code = main(["check", "--all", "--max-seconds", budget, "--json"])
    observed = [e["observed"] for e in json.loads(capsys.readouterr().out)["entries"]]
    assert len(observed) == 13
    assert ("timeout" in observed) is timeouts
    assert code == (1 if timeouts else 0)


def test_prove_all_past_its_budget_reports_timeout_rows() -> None:
    out = run_cli(
        ["prove", "--all", "--jobs", "1", "--max-seconds", "6", "--json"], timeout=120, env={"THEORY_QUIET": "1"}
    )
    assert out.kind == "clean" and out.code == 1, out.stderr
    verdicts = [r["verdict"] for r in json.loads(out.stdout)]
    assert "timeout" in verdicts and len(verdicts) == 13


def test_a_swallowed_expiry_fires_again() -> None:
    """The first TimeBudgetExceeded lands in a place that swallows it; the limit must fire again."""
    swallowed = []
    with pytest.raises(TimeBudgetExceeded), _budget.time_limit(0.1, "spinning"):
        try:
            _spin(0.5)
        except TimeBudgetExceeded:
            swallowed.append(True)  # e.g. raised in a gc callback: reported, not propagated
        _spin(5)
    assert swallowed


def test_swallowed_expiry_is_not_reported_but_other_errors_are(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    from types import SimpleNamespace

    seen: list[BaseException] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_value))
    with _budget.quiet_expiry_reports():
        sys.unraisablehook(SimpleNamespace(exc_value=TimeBudgetExceeded("planted")))
        sys.unraisablehook(SimpleNamespace(exc_value=ZeroDivisionError("planted")))  # control: passed on
    assert [type(e) for e in seen] == [ZeroDivisionError]
