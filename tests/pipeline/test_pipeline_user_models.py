"""The worked example of docs/pipeline.md: user models through derive_flow -> prove -> check -> simulate -> LaTeX."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy as sp
from pipeline_models import linear_net, softmax_logit

import theory as th

#: Conserved quantities: gradient descent drifts O(eta), slope 1 (the band's lower edge: at finite
#: eta the O(eta^2) term bends the line a little; measured 1.006 and 1.007 here).
MIN_CONSERVED_SLOPE = 0.8
#: Negative controls drift O(1) over the fixed flow time: slope near 0 (measured |slope| < 0.01).
MAX_CONTROL_SLOPE = 0.3


@pytest.fixture(scope="module")
def net():
    return linear_net()


@pytest.fixture(scope="module")
def att():
    return softmax_logit()


def test_linear_net_balancedness_proved_checked_simulated(net) -> None:
    spec, U, V = net
    law = U * U.T - V.T * V  # balancedness: every entry is conserved
    v = th.prove(th.derive_flow(spec), [law[0, 0], law[0, 1], law[1, 1]])
    assert v.verdict == "proved"
    r = th.check(spec, v.quantity)
    assert r.verdict_numeric == "conserved", r.status
    assert r.slope is not None and r.slope >= MIN_CONSERVED_SLOPE
    assert r.referee == "complex-step"
    assert r.gd_to_ode_slope is not None and r.gd_to_ode_slope >= MIN_CONSERVED_SLOPE
    json.dumps(r.as_dict(), allow_nan=False)
    run = th.simulate(spec, t_end=5.0)
    assert run.status == "ok"
    assert run.loss["end"] < run.loss["start"]
    assert "\\dot" in v.latex()


def test_linear_net_negative_control(net) -> None:
    spec, _, _ = net
    assert th.prove(th.derive_flow(spec), "u11^2 - w11^2").verdict == "refuted"
    r = th.check(spec, "u11^2 - w11^2")
    assert r.verdict_numeric == "drifts", r.status
    assert r.slope is not None and r.slope <= MAX_CONTROL_SLOPE


def test_softmax_logit_query_key_law(att) -> None:
    flow = th.derive_flow(att)
    v = th.prove(flow, "q^2/eta_q - (k1^2 + k2^2)/eta_k")  # q -> c q, k -> k / c leaves the loss unchanged
    assert v.verdict == "proved"
    r = th.check(att, v.quantity)
    assert r.verdict_numeric == "conserved", r.status
    assert r.slope is not None and r.slope >= MIN_CONSERVED_SLOPE
    control = th.check(att, "q^2")
    assert control.verdict_numeric == "drifts" and control.slope is not None
    assert control.slope <= MAX_CONTROL_SLOPE
    assert th.simulate(att, t_end=5.0).status == "ok"
    assert "\\dot" in v.latex()


def test_softmax_shift_law_is_kept_by_every_step(att) -> None:
    """k1 + k2 is linear: each Euler step keeps it exactly, so the drift is rounding at every eta."""
    v = th.prove(th.derive_flow(att), "k1 + k2")
    assert v.verdict == "proved"
    r = th.check(att, v.quantity)
    assert r.verdict_numeric == "conserved"
    assert "rounding" in r.status


def test_non_analytic_loss_uses_central_differences() -> None:
    a, b = sp.symbols("a b", real=True)
    spec = th.models.custom(sp.Abs(a * b - 1) ** 3 / 3, params={"a": [a], "b": [b]}, rates={"a": 1, "b": 1})
    assert th.prove(th.derive_flow(spec), a**2 - b**2).verdict == "proved"
    r = th.check(spec, a**2 - b**2)
    assert r.referee == "central-difference"
    assert r.verdict_numeric == "conserved", r.status
    assert r.slope is not None and r.slope >= MIN_CONSERVED_SLOPE
    assert th.check(spec, a**2).verdict_numeric == "drifts"


def test_forced_central_referee_agrees(net) -> None:
    spec, U, V = net
    q = (U * U.T - V.T * V)[0, 0]
    r = th.check(spec, q, th.CheckConfig(referee="central-difference", seed=3))
    assert r.referee == "central-difference"
    assert r.verdict_numeric == "conserved", r.status


def test_joma_constructor_with_arbitrary_activation() -> None:
    """phi is arbitrary in the proof; the numbers instantiate it as tanh (covered by the proof)."""
    spec = th.models.joma(attention="exp", M=2, K=1, N=1)
    v = th.prove(th.derive_flow(spec), "z1 - r/(2*T)*v1_1^2")
    assert v.verdict == "proved"
    r = th.check(spec, v.quantity)
    assert r.instantiated == {"phi": "tanh"}
    assert r.verdict_numeric == "conserved", r.status
    run = th.simulate(spec, t_end=2.0)
    assert run.status == "ok" and run.instantiated == {"phi": "tanh"}


def test_check_prints_nothing(net, capsys) -> None:
    spec, _, _ = net
    th.check(spec, "u11^2 + u12^2 - w11^2 - w21^2")
    th.simulate(spec, t_end=1.0)
    assert capsys.readouterr().out == ""


def test_docs_example_runs() -> None:
    """The block of docs/pipeline.md is real code: run it and assert what the page claims."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "pipeline.md").read_text()
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    ns: dict = {}
    exec(compile(block, "docs/pipeline.md", "exec"), ns)
    assert ns["v_net"].verdict == ns["v_att"].verdict == "proved"
    for name in ("check_net", "check_att"):
        assert ns[name].verdict_numeric == "conserved" and ns[name].slope >= MIN_CONSERVED_SLOPE
    for name in ("control_net", "control_att"):
        assert ns[name].verdict_numeric == "drifts" and ns[name].slope <= MAX_CONTROL_SLOPE
    assert ns["run_net"].status == ns["run_att"].status == "ok"
    assert ns["run_att"].trajectory.drift["law"] < 1e-8  # DOP853, rtol 1e-10, t = 5
    assert "\\dot" in ns["tex"]
