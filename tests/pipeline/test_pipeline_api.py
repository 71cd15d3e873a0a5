"""Bad input to the notebook API: every refusal is a TheoryError subclass with a one-line message."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from pipeline_models import linear_net

import theory as th
from theory.errors import ExpressionError, InvalidArgument, ModelError, TheoryError, UnknownNameError
from theory.numeric.compile import compile_loss
from theory.strategies import parameters, states

a1, a2, b1, b2 = sp.symbols("a1 a2 b1 b2", real=True)
eta = sp.Symbol("eta", positive=True)
LOSS = (a1 * b1 + a2 * b2 - 1) ** 2 / 2
PARAMS = {"a": [a1, a2], "b": [b1, b2]}
RATES = {"a": eta, "b": eta}


def _custom(**changes):
    kwargs = {"loss": LOSS, "params": PARAMS, "rates": RATES, **changes}
    return th.models.custom(kwargs.pop("loss"), **kwargs)


BAD_MODELS = [
    ("string rate", {"rates": {"a": "eta", "b": eta}}, "never parsed"),
    ("string loss", {"loss": "(a1*b1 - 1)**2"}, "never parsed"),
    ("missing rate", {"rates": {"a": eta}}, "no rate for 'b'"),
    ("extra rate", {"rates": {**RATES, "c": eta}}, "unknown groups 'c'"),
    ("zero rate", {"rates": {"a": 0, "b": eta}}, "not positive"),
    ("negative float rate", {"rates": {"a": -0.1, "b": eta}}, "positive"),
    ("nan rate", {"rates": {"a": math.nan, "b": eta}}, "positive and finite"),
    ("inf rate", {"rates": {"a": math.inf, "b": eta}}, "positive and finite"),
    ("negative symbolic rate", {"rates": {"a": -eta, "b": eta}}, "not positive"),
    ("rate of unknown sign", {"rates": {"a": sp.Symbol("lr"), "b": eta}}, "positive=True"),
    ("bool rate", {"rates": {"a": True, "b": eta}}, "positive number"),
    ("rate depends on a parameter", {"rates": {"a": eta * a1**2 + 1, "b": eta}}, "depends on the parameters"),
    ("non-symbol parameter", {"params": {"a": [a1, a1 * a2], "b": [b1, b2]}}, "SymPy symbols"),
    ("number parameter", {"params": {"a": [a1, 3], "b": [b1, b2]}}, "SymPy symbols"),
    ("string group", {"params": {"a": "a1 a2", "b": [b1, b2]}}, "list, tuple or SymPy Matrix"),
    ("empty group", {"params": {"a": [], "b": [b1, b2]}}, "empty"),
    ("no groups", {"params": {}, "rates": {}}, "non-empty mapping"),
    ("symbol in two groups", {"params": {"a": [a1, a2], "b": [a1, b2]}}, "two parameter groups"),
    ("nan loss", {"loss": LOSS + sp.nan}, "not finite"),
    ("loss without parameters", {"loss": sp.Integer(1)}, "does not depend"),
    ("string data", {"data": "x"}, "string"),
]


@pytest.mark.parametrize(("why", "changes", "says"), BAD_MODELS, ids=[b[0] for b in BAD_MODELS])
def test_custom_refuses_bad_input(why: str, changes: dict, says: str) -> None:
    with pytest.raises(ModelError) as info:
        _custom(**changes)
    message = str(info.value)
    assert says in message and "\n" not in message, message


def test_custom_accepts_numbers_and_matrices() -> None:
    spec = _custom(rates={"a": 0.1, "b": 2}, params={"a": sp.Matrix([[a1, a2]]), "b": (b1, b2)})
    assert [g.rate for g in spec.params] == [sp.Rational(1, 10), 2]
    assert th.models.custom_model(LOSS, {"a": ([a1, a2], eta), "b": ([b1, b2], eta)}).state == spec.state


@pytest.fixture(scope="module")
def spec():
    return _custom()


BAD_QUANTITIES = [
    ("nan", math.nan, ExpressionError),
    ("sympy nan", sp.nan * a1, ExpressionError),
    ("zoo", a1 / sp.Integer(0), ExpressionError),
    ("infinite", sp.oo + a1, ExpressionError),
    ("malformed string", "a1 +", ExpressionError),
    ("code in a string", "__import__('os').system('true')", ExpressionError),
    ("unknown name", "c1^2", ExpressionError),
    ("impostor symbol", sp.Symbol("a1") ** 2, ExpressionError),
    ("empty list", [], ExpressionError),
    ("wrong type", {"a1": 1}, ExpressionError),
]


@pytest.mark.parametrize(("why", "quantity", "error"), BAD_QUANTITIES, ids=[b[0] for b in BAD_QUANTITIES])
def test_check_refuses_bad_quantities(spec, why: str, quantity: object, error: type) -> None:
    with pytest.raises(error) as info:
        th.check(spec, quantity)
    assert isinstance(info.value, TheoryError) and "\n" not in str(info.value)


BAD_CONFIGS = [
    ({"etas": (0.01,)}, InvalidArgument),
    ({"etas": (0.01, -0.02)}, InvalidArgument),
    ({"etas": (0.01, math.nan)}, InvalidArgument),
    ({"flow_time": 0.0}, InvalidArgument),
    ({"flow_time": 0.001}, InvalidArgument),
    ({"referee": "forward"}, UnknownNameError),
    ({"ode_rtol": math.inf}, InvalidArgument),
]


@pytest.mark.parametrize(("kwargs", "error"), BAD_CONFIGS)
def test_check_config_validates(kwargs: dict, error: type) -> None:
    with pytest.raises(error) as info:
        th.CheckConfig(**kwargs)
    assert "\n" not in str(info.value)


def test_check_values_and_state_size(spec) -> None:
    with pytest.raises(UnknownNameError):
        th.check(spec, "a1^2 - b1^2", th.CheckConfig(values={"nope": 1.0}))
    with pytest.raises(InvalidArgument, match="declared positive"):
        th.check(spec, "a1^2 - b1^2", th.CheckConfig(values={"eta": -1.0}))
    with pytest.raises(InvalidArgument, match="max_state"):
        th.check(spec, "a1^2 - b1^2", th.CheckConfig(max_state=2))


def test_check_at_a_critical_point_is_inconclusive(spec) -> None:
    start = {"a1": 0.0, "a2": 0.0, "b1": 0.0, "b2": 0.0}
    r = th.check(spec, "a1^2 - b1^2", th.CheckConfig(values=start))
    assert r.verdict_numeric == "inconclusive" and "critical point" in r.status
    json.dumps(r.as_dict(), allow_nan=False)


BAD_SIMULATIONS = [
    ({"t_end": math.nan}, InvalidArgument),
    ({"t_end": -1.0}, InvalidArgument),
    ({"config": th.SimulateConfig(initial={"eta": 1.0})}, InvalidArgument),
    ({"config": th.SimulateConfig(values={"a1": 1.0})}, InvalidArgument),
    ({"config": th.SimulateConfig(watch={"q": "a1 +"})}, ExpressionError),
    ({"tokens": 3}, InvalidArgument),
]


@pytest.mark.parametrize(("kwargs", "error"), BAD_SIMULATIONS)
def test_simulate_refuses_bad_input(spec, kwargs: dict, error: type) -> None:
    kwargs = {"t_end": 1.0, **kwargs}
    with pytest.raises(error) as info:
        th.simulate(spec, **kwargs)
    assert "\n" not in str(info.value)


def test_simulate_config_validates() -> None:
    with pytest.raises(UnknownNameError):
        th.SimulateConfig(method="Euler")
    with pytest.raises(InvalidArgument):
        th.SimulateConfig(n_points=0)


def test_simulate_from_a_given_start_watches_quantities(spec) -> None:
    start = {"a1": 0.5, "a2": -0.3, "b1": 0.8, "b2": 0.1}
    run = th.simulate(spec, 2.0, config=th.SimulateConfig(initial=start, watch={"balance": "a1^2 - b1^2"}))
    assert run.status == "ok"
    assert run.state("a1")[0] == 0.5
    assert run.trajectory.drift["balance"] < 1e-8  # DOP853 at rtol 1e-10 over t = 2
    json.dumps(run.as_dict(), allow_nan=False)


def test_simulate_reports_blow_up_as_status() -> None:
    z = sp.Symbol("z", real=True)
    spec = th.models.custom(-sp.exp(z), params={"z": [z]}, rates={"z": 1})  # dz/dt = e^z: blow-up at t = e^{-z0}
    run = th.simulate(spec, 10.0, config=th.SimulateConfig(initial={"z": 0.0}))
    assert run.status == "blow-up"
    assert run.trajectory.t_stop == pytest.approx(1.0, rel=1e-2)
    json.dumps(run.as_dict(), allow_nan=False)


def test_compile_loss_matches_sympy_and_takes_complex_input(spec) -> None:
    loss = compile_loss(spec)
    point = {a1: 0.3, a2: -0.7, b1: 1.1, b2: 0.4, eta: 0.5}
    y = np.array([point[s] for s in spec.state])
    c = np.array([point[s] for s in spec.constants])
    expected = float(LOSS.subs(point))
    assert float(loss(y, np.array([]), c)) == pytest.approx(expected, rel=1e-14)
    assert np.iscomplexobj(loss(y + 1e-20j, np.array([]), c))
    assert loss.analytic


@given(states(linear_net()[0]), parameters(linear_net()[0]))
def test_strategies_draw_well_conditioned_values(y: np.ndarray, p: dict) -> None:
    assert y.shape == (8,) and np.all(np.isfinite(y)) and np.all(np.abs(y) >= 0.2)
    assert p["eta"] >= 0.5 and set(p) == {"x1", "x2", "y1", "y2", "eta"}


@given(parameters(th.models.joma("softmax", M=3, N=2)))
def test_strategies_normalise_simplex_groups(p: dict) -> None:
    for n in (1, 2):
        row = [p[f"x{n}_{l}"] for l in (1, 2, 3)]
        assert sum(row) == pytest.approx(1.0, abs=1e-12) and min(row) > 0
    assert p["T"] > 0


def test_import_theory_does_not_load_scipy() -> None:
    code = "import sys, theory; assert 'scipy' not in sys.modules; theory.check; assert 'scipy' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
