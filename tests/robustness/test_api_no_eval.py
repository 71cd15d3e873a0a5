"""The Python API never evaluates a string as code, and refuses non-finite or empty quantities.

Each case hands a public function a string that would create a canary file if it were ever
evaluated; the test asserts a one-line toolkit error and no canary.  The negative control runs
the same string through ``sympy.sympify`` and sees the canary appear, so the canary works.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

import theory
from theory.errors import TheoryError
from theory.symbolic import check_equal, integrate_ratio, time_derivative


@pytest.fixture(scope="module")
def flow() -> theory.Flow:
    return theory.derive_flow(theory.joma_block(M=2, K=1, N=1, attention="exp"))


def _payload(canary: Path) -> str:
    return f"__import__('pathlib').Path({str(canary)!r}).write_text('evaluated')"


a, b, eta = sp.symbols("a b eta", positive=True)

CASES = {
    "prove quantity": lambda f, s: theory.prove(f, s),
    "prove residual": lambda f, s: theory.prove(f, "z1", residual=s),
    "prove list": lambda f, s: theory.prove(f, ["z1", s]),
    "custom_model loss": lambda f, s: theory.custom_model(s, {"a": ([a], eta)}),
    "custom_model rate": lambda f, s: theory.custom_model((a * b - 1) ** 2, {"a": ([a], s), "b": ([b], 1)}),
    "models.custom loss": lambda f, s: theory.models.custom(s, {"a": [a]}, {"a": 1}),
    "models.custom rate": lambda f, s: theory.models.custom((a * b - 1) ** 2, {"a": [a], "b": [b]}, {"a": s, "b": 1}),
    "time_derivative": lambda f, s: time_derivative(f, s),
    "integrate_ratio": lambda f, s: integrate_ratio(f, s, "z1"),
    "check_equal": lambda f, s: check_equal(s, a),
    "check": lambda f, s: theory.check(f.spec, s),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_string_is_never_evaluated(name: str, flow: theory.Flow, tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    with pytest.raises(TheoryError) as info:
        CASES[name](flow, _payload(canary))
    assert "\n" not in str(info.value)
    assert not canary.exists(), f"{name} evaluated a string"


def test_control_sympify_would_run_it(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    try:
        sp.sympify(_payload(canary))
    except Exception:
        pass
    assert canary.exists()


@pytest.mark.parametrize("quantity", [sp.nan, sp.oo, sp.zoo, [], (), float("nan"), float("inf"), "", "   "])
def test_non_finite_or_empty_quantity_refused(quantity: object, flow: theory.Flow) -> None:
    with pytest.raises(TheoryError):
        theory.prove(flow, quantity)  # type: ignore[arg-type]


def test_control_a_finite_quantity_is_proved(flow: theory.Flow) -> None:
    assert theory.prove(flow, "z1 - z1").verdict == "proved"
