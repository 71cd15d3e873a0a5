"""Every catalogue entry reaches its expected verdict; refutations are checked independently."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp
from sym_tol import FD_DIGITS, FD_STEP, FD_TOL
from sympy.core.function import AppliedUndef
from theory.derivations import MODULES

from theory.catalogue import get, prove_theorem, theorems
from theory.errors import UnknownNameError
from theory.symbolic import derive_flow, prove
from theory.theorem import Theorem

NAMES = [m.NAME for m in MODULES]


@pytest.fixture(scope="module")
def outcomes() -> dict:
    return {t.name: prove_theorem(t) for t in theorems()}


@pytest.mark.parametrize("name", NAMES)
def test_entry_reaches_expected_verdict(outcomes: dict, name: str) -> None:
    out = outcomes[name]
    assert out.verdict == out.expected, (out.verdict, out.counterexample)
    assert out.verdict in ("proved", "refuted", "conditional")
    assert out.sizes


def test_catalogue_covers_every_verdict_kind(outcomes: dict) -> None:
    verdicts = {o.verdict for o in outcomes.values()}
    assert verdicts == {"proved", "refuted", "conditional"}


def test_unknown_entry_is_named() -> None:
    with pytest.raises(UnknownNameError, match="jomaa"):
        get("jomaa")


def _point(cex: dict, flow) -> tuple[dict, dict]:
    """Split a counterexample's point into symbol values and phi' values (by printed name)."""
    syms = {s.name: s for s in set(flow.state) | set(flow.spec.data) | set(flow.spec.constants)}
    values, apps = {}, {}
    for key, value in cex["point"].items():
        if key in syms:
            values[syms[key]] = sp.Rational(value)
        else:
            apps[key] = sp.Rational(value)
    return values, apps


def _directional_fd(quantity: sp.Expr, flow, values: dict, apps: dict) -> sp.Float:
    """dQ/dt at the point by a central difference along the flow velocity (no symbolic dQ/dt)."""
    velocity = []
    for r in flow.rhs:
        r_apps = {a: apps[str(a)] for a in r.atoms(AppliedUndef)}
        velocity.append(sp.N(r.xreplace(r_apps).xreplace(values), FD_DIGITS))
    h = sp.Float(FD_STEP, FD_DIGITS)
    plus = {**values, **{s: values[s] + h * v for s, v in zip(flow.state, velocity, strict=True)}}
    minus = {**values, **{s: values[s] - h * v for s, v in zip(flow.state, velocity, strict=True)}}
    q_plus = sp.N(quantity.xreplace(plus), FD_DIGITS)
    q_minus = sp.N(quantity.xreplace(minus), FD_DIGITS)
    return sp.N((q_plus - q_minus) / (2 * h), FD_DIGITS)


@pytest.mark.parametrize("name", [n for n in NAMES if get(n).expected == "refuted"])
def test_refutation_counterexample_checked_independently(outcomes: dict, name: str) -> None:
    out = outcomes[name]
    cex = out.counterexample
    mod = _module(name)
    spec = mod.model(**cex["sizes"])
    flow = derive_flow(spec)
    quantity = mod.quantity(spec)[cex["component"]]
    values, apps = _point(cex, flow)
    # symbols absent from the point cancelled out of dQ/dt: any value must give the same derivative
    for sym in (quantity.free_symbols | {x for r in flow.rhs for x in r.free_symbols}) - set(values):
        values[sym] = sp.Rational(7, 5)
    fd = _directional_fd(quantity, flow, values, apps)
    reported = sp.Float(cex["value"], FD_DIGITS)
    assert abs(fd) > 1e-6  # genuinely non-zero
    assert abs(fd - reported) <= FD_TOL * max(1, abs(reported)) + 1e-15 * abs(reported)
    assert cex["distinct_function_arguments"]


def test_counterexample_frequencies_lie_on_the_simplex(outcomes: dict) -> None:
    cex = outcomes["joma-two-query"].counterexample
    for prefix in ("x1_", "xb1_"):
        total = sum(sp.Rational(v) for k, v in cex["point"].items() if k.startswith(prefix))
        assert total == 1


@pytest.mark.parametrize("name", ["joma-linear", "joma-exp"])
def test_negative_control_perturbed_invariant_is_refuted(name: str) -> None:
    """The prover is not a rubber stamp: doubling r in a proved invariant must be refuted."""
    mod = _module(name)
    spec = mod.model(2, 1, 1)
    s = spec.symbols
    wrong = [q.subs(s["eta_z"], 2 * s["eta_z"]) for q in mod.quantity(spec)]
    assert prove(derive_flow(spec), wrong).verdict == "refuted"


def test_conditional_residual_is_not_zero_and_exact() -> None:
    """The softmax residual is a real term (non-zero somewhere) and equals dQ/dt exactly."""
    mod = _module("joma-softmax-conditional")
    spec = mod.model(2, 1, 2)
    v = prove(derive_flow(spec), mod.quantity(spec), residual=mod.residual(spec))
    assert v.verdict == "conditional"
    assert v.counterexample is not None  # dQ/dt != 0 at a concrete point
    # a wrong residual (half of it) must not be accepted
    half = [r / 2 for r in mod.residual(spec)]
    assert prove(derive_flow(spec), mod.quantity(spec), residual=half).verdict == "refuted"


def test_softmax_conditional_holds_when_assumption_holds() -> None:
    """With one sample and bbar = b, Delta_k = g phi' (b b^T - b b^T) = 0: the residual vanishes."""
    mod = _module("joma-softmax-conditional")
    spec = mod.model(2, 1, 1)
    b = spec.extra["b"][("", 1)]
    subs = dict(zip(mod.bbar(spec), b, strict=True))
    assert all(sp.simplify(r.subs(subs)) == 0 for r in mod.residual(spec))


def test_lu_invariant_is_derived_in_the_papers_form() -> None:
    from theory.derivations.lu_closed_form import closed_form
    from theory.derivations.lu_identity import invariant

    s = {x.name: x for x in invariant().free_symbols}
    assert set(s) == {"q2", "w2", "s_t", "s_0", "m"}
    # compare numerically with the paper's printed formula at random points (an external target)
    for st, s0, m in [(0.3, -0.2, 3), (1.7, 0.4, 20), (-0.5, 0.0, 1)]:
        got = float(invariant().subs({s["q2"]: 2.0, s["w2"]: 1.5, s["s_t"]: st, s["s_0"]: s0, s["m"]: m}))
        paper = 2.0 * 1.5 - 2 * st - 2 / m * mpmath.e ** (st - s0)
        assert abs(got - paper) < 1e-12
    cf = closed_form()
    st, m = 1.3, 5
    assert (
        abs(float(cf.subs({s["s_t"]: st, s["m"]: m})) - float(mpmath.sqrt(2 * (st + (mpmath.e**st - 1) / m)))) < 1e-12
    )


def test_erfinv_closed_form_solves_ode_numerically() -> None:
    """Independent of SymPy's algebra: integrate v' = Delta exp(v^2/2) with SciPy and compare."""
    from scipy.integrate import solve_ivp
    from theory.derivations.joma_linear_closed_form import Delta, blow_up_time, closed_form, t

    delta = 0.7
    t_star = float(blow_up_time().subs(Delta, delta))
    sol = solve_ivp(lambda _, v: delta * mpmath.e ** (v**2 / 2), (0, 0.9 * t_star), [0.0], rtol=1e-11, atol=1e-12)
    exact = float(closed_form().subs({Delta: delta, t: 0.9 * t_star}))
    # rtol 1e-11 on a smooth solution: 1e-8 absolute leaves margin for the growth of v
    assert abs(sol.y[0, -1] - exact) < 1e-8
    assert abs(t_star - (mpmath.pi / 2) ** 0.5 / delta) < 1e-12


def test_entry_module_interface() -> None:
    for e in theorems():
        assert isinstance(e, Theorem)
        assert e.kind in ("invariant", "identity", "closed-form")
        assert e.expected in ("proved", "refuted", "conditional")
        assert "\n" not in e.summary


@pytest.mark.slow
@pytest.mark.parametrize(
    "sizes",
    [
        {"N": 1, "d_e": 1, "d_k": 1, "classifier": "FC"},
        {"N": 2, "d_e": 2, "d_k": 1, "classifier": "FC"},
        {"N": 1, "d_e": 2, "d_k": 2, "classifier": "TC"},
    ],
)
def test_lu_identity_concrete_classifiers_beyond_the_catalogue(sizes: dict) -> None:
    mod = _module("lu-identity")
    spec = mod.model(**sizes)
    assert prove(derive_flow(spec), mod.quantity(spec)).verdict == "proved"


def _module(name: str):
    """The theory.derivations module that builds theorem ``name`` (its helpers beyond the record)."""
    return next(m for m in MODULES if m.NAME == name)
