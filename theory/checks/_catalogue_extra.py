"""Numerical checks of the catalogue's identities and closed forms (not invariants).

Role: the dynamic tier for theorems without a conserved quantity to follow.  Each check is
a set-up procedure (:data:`theory.theorem.SETUPS`) that compiles the expressions the theorem
record hands it (``NumericSetup.inputs``) and compares them with an independent computation,
within a stated tolerance:

* ``referee-velocity``: a claimed right-hand side for :math:`\\dot z` (``claim``) against the
  referee's velocity (plain NumPy, hand back-propagation) along a gradient-descent run;
  negative control: the same right-hand side without its second (normalisation) term.
* ``closed-form-vs-flow``: :math:`v(t)` (``closed_form``) and :math:`t^\\ast` (``blow_up_time``)
  against the *full* 3-variable exp-attention flow solved by DOP853.
* ``first-integral-quadrature``: :math:`G_\\mu(v(t)) = t` (with :math:`s \\equiv 1`) along the
  ODE ``ode_rhs``, :math:`G_\\mu` by adaptive quadrature.
* ``derivative-vs-difference``: ``rate`` :math:`f'(\\mu)` against a central difference (error model bound).
* ``lu-classifier-flow``: :math:`\\|q\\|\\|w_t\\|` against ``closed_form`` in :math:`s_t` along the
  ODE of the Lu et al. ``model`` with a trainable linear classifier, from zero initialisation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..numeric.finite_diff import central_error_bound, central_gradient
from ..numeric.ode import solve_flow
from ._entry import Entry

__all__ = ["INDEPENDENT_CHECKS"]

TOL = 1e-7  # DOP853 at rtol 1e-10 over these horizons: errors ~1e-10; 1e-7 is the verdict line


def _softmax_identity(entry: Entry) -> dict:
    from ..numeric.descent import descend
    from ..numeric.referee import RefereeConfig, joma_referee
    from ._catalogue_setups import projector, referee_values

    plan = entry.plan
    M, K, N = (int(v) for v in plan.value("sizes", lambda: [entry.inputs()["sizes"][k] for k in ("M", "K", "N")]))

    def spec() -> Any:
        from ..models import joma_block

        return joma_block(M, K, N, attention="softmax", activation="tanh", loss="squared")

    def claim() -> Callable:
        from ..numeric.compile import compile_expression
        from ._catalogue_setups import concretise

        sp_ = spec()
        claimed = [concretise(e) for e in entry.inputs()["claim"](sp_)]
        return compile_expression(claimed, [[*sp_.state, *sp_.data, *sp_.constants]])

    def control_fn() -> Callable:
        # negative control: only the first term v_k o E[g phi' b] (normalisation term dropped)
        from ..numeric.compile import compile_expression
        from ._catalogue_setups import concretise

        sp_ = spec()
        s = sp_.symbols
        terms = entry.inputs()["expectation_terms"]
        first = [
            s["eta_z"]
            / s["T"]
            * sum(concretise(terms(sp_, k)[0][l]) * sp_.extra["v"][k - 1][l] for k in range(1, K + 1))
            for l in range(M)
        ]
        return compile_expression(first, [[*sp_.state, *sp_.data, *sp_.constants]])

    def flow() -> Any:
        from ..numeric.compile import compile_spec_flow

        return compile_spec_flow(spec())[0]

    f = plan.function("claim", claim)
    f_ctl = plan.function("control", control_fn)
    order = plan.flow("flow", flow)  # only for the state order of the projector
    given = plan.value("data-constants", lambda: [x.name for x in (*spec().data, *spec().constants)])
    ref = joma_referee(M, K, N, RefereeConfig(attention="softmax", activation="tanh", T=0.8, eta_z=1.5), seed=0)
    to_state = projector(ref, order)
    theta0 = ref.init(scale=0.5, z_scale=0.3, seed=1)
    vals = referee_values(ref, theta0, 1)
    run = descend(ref, theta0, eta=0.05, steps=40, record_every=10)
    worst = control = 0.0
    zi = [i for i, sym in enumerate(order.state) if sym.name.startswith("z")]
    for th in run.params:
        y = to_state(th[None])[0]
        point = [*y, *(vals[x] for x in given)]
        want = to_state(ref.velocity(th)[None])[0][zi]
        scale = max(np.abs(want).max(), 1e-300)
        worst = max(worst, float(np.abs(np.array(f(point)) - want).max() / scale))
        control = max(control, float(np.abs(np.array(f_ctl(point)) - want).max() / scale))
    ok = worst < 1e-10 < 1e-3 < control
    return {
        "observed": "holds" if worst < 1e-10 else "fails",
        "ok": bool(ok),
        "max_rel_error": worst,
        "control_rel_error": control,
        "tolerance": 1e-10,
        "note": "paper's z' vs referee velocity along GD; control drops the normalisation term",
    }


def _linear_closed_form(entry: Entry) -> dict:
    plan = entry.plan
    delta = 0.5

    def v_closed() -> Callable:
        from ..numeric.compile import compile_expression

        i = entry.inputs()
        return compile_expression(i["closed_form"](), [i["t"], i["Delta"]])

    def blow_up() -> float:
        i = entry.inputs()
        return float(i["blow_up_time"]().subs(i["Delta"], delta))

    def full_flow() -> Any:
        from ..models import joma_block
        from ..numeric.compile import compile_spec_flow

        return compile_spec_flow(joma_block(1, 1, 1, attention="exp", activation="linear"))[0]

    v_t = plan.function("closed-form", v_closed)
    t_star = float(plan.value("blow-up-time", blow_up))
    cf = plan.flow("flow", full_flow)
    p = cf.param_vector({"x1_1": 1.0, "g1_1": delta, "T": 1.0, "eta_w": 1.0, "eta_z": 1.0})
    tr = solve_flow(lambda y: cf.rhs(y, p), np.zeros(3), 2 * t_star, n_points=201)
    iv = [s.name for s in cf.state].index("v1_1")
    before = tr.t < 0.95 * t_star
    err = float(np.abs(tr.y[before, iv] - v_t(tr.t[before], delta)).max())
    t_err = abs(tr.t_stop - t_star) / t_star
    ok = err < TOL and tr.status == "blow-up" and t_err < 1e-6
    return {
        "observed": "matches" if ok else "mismatch",
        "ok": bool(ok),
        "max_abs_error": err,
        "blow_up_time": tr.t_stop,
        "closed_form_blow_up_time": t_star,
        "tolerance": TOL,
        "note": "full exp-attention flow (z, v, v_m) by DOP853 vs the reduced closed form",
    }


def _first_integral(entry: Entry) -> dict:
    from scipy.integrate import quad

    mu_val = 2.0

    def rhs() -> Callable:
        import sympy as sp

        from ..numeric.compile import compile_expression

        i = entry.inputs()
        vsym = sp.Symbol("v", real=True)
        expr = i["ode_rhs"]().subs(i["s"](i["t"]), 1).subs(i["v"](i["t"]), vsym)
        return compile_expression(expr, [vsym, i["mu"]])

    def integrand_of() -> Callable:
        from ..numeric.compile import compile_expression

        i = entry.inputs()
        return compile_expression(i["G"](i["r"]).function, [i["r"], i["mu"]])

    f = entry.plan.function("rhs", rhs)
    integrand = entry.plan.function("integrand", integrand_of)
    tr = solve_flow(lambda y: np.atleast_1d(f(y[0], mu_val)), np.zeros(1), 1.0, n_points=11)
    worst = 0.0
    for t, (v,) in zip(tr.t, tr.y, strict=True):
        g, _ = quad(lambda r: integrand(r, mu_val), 0.0, v, epsabs=1e-13, epsrel=1e-13)
        worst = max(worst, abs(g - t))
    return {
        "observed": "matches" if worst < TOL else "mismatch",
        "ok": bool(worst < TOL),
        "max_abs_error": float(worst),
        "tolerance": TOL,
        "note": "G_mu(v(t)) - t along v' = (mu - v) exp(v^2/2), mu = 2, s = 1",
    }


def _local_rate(entry: Entry) -> dict:
    worst_ratio = 0.0

    def rate_of() -> Callable:
        from ..numeric.compile import compile_expression

        i = entry.inputs()
        return compile_expression(i["rate"](), [i["mu"]])

    rate = entry.plan.function("rate", rate_of)
    for mu_val in (0.5, 1.0, 2.0):

        def f(v: np.ndarray, m: float = mu_val) -> np.ndarray:
            return (m - v[0]) * np.exp(v[0] ** 2 / 2)

        fd = central_gradient(f, np.array([mu_val]))[0]
        bound = central_error_bound(
            np.array([mu_val]), float(np.exp(mu_val**2 / 2)), third_derivative=50 * np.exp(mu_val**2)
        )[0]
        worst_ratio = max(worst_ratio, abs(fd - rate(mu_val)) / bound)
    return {
        "observed": "matches" if worst_ratio <= 1 else "mismatch",
        "ok": bool(worst_ratio <= 1),
        "error_over_bound": float(worst_ratio),
        "note": "f'(mu) vs central difference within its error model",
    }


def _lu_closed_form(entry: Entry) -> dict:
    plan = entry.plan

    def flow() -> Any:
        from ..numeric.compile import compile_spec_flow

        spec = entry.inputs()["model"](1, 1, 1, "TC")
        e = spec.extra
        return compile_spec_flow(spec, invariants={"parts": [e["q2"], e["w2"], e["score_t"]]})[0]

    def closed_of() -> Callable:
        from ..numeric.compile import compile_expression

        expr = entry.inputs()["closed_form"]()
        return compile_expression(expr, sorted(expr.free_symbols, key=str))

    cf = plan.flow("flow", flow)
    vals = {"eta": 1.0, "s_0": 0.0, "q1": 1.5, "m": 3.0}
    p = cf.param_vector(vals)
    rng = np.random.default_rng(0)
    y0 = np.array([0.0 if s.name in ("kt1", "wt1") else rng.normal() for s in cf.state])
    closed = plan.function("closed-form", closed_of)
    tr = solve_flow(lambda y: cf.rhs(y, p), y0, 20.0, invariants=lambda y: cf.invariants(y, p))
    q2, w2, s_t = tr.invariants["parts"].T
    lhs = np.sqrt(q2 * w2)
    rhs = closed(vals["m"], s_t)  # arguments sorted by name: m, s_t
    err = float(np.abs(lhs - rhs).max())
    control = float(np.abs(lhs - closed(2 * vals["m"], s_t)).max())  # negative control: wrong m
    moved = float(np.abs(s_t).max())
    ok = err < TOL < 1e3 * TOL < control and moved > 1e-2
    return {
        "observed": "matches" if ok else "mismatch",
        "ok": bool(ok),
        "max_abs_error": err,
        "max_score": moved,
        "control_error": control,
        "tolerance": TOL,
        "note": "|q||w_t| along the flow with a trainable linear classifier, zero init, vs the closed form",
    }


#: Independent computations by set-up name (:data:`theory.theorem.SETUPS`); each takes the entry (its
#: symbolic steps go through the entry's compile plan, reading the set-up's inputs only on a miss).
INDEPENDENT_CHECKS: dict[str, Callable[[Entry], dict]] = {
    "referee-velocity": _softmax_identity,
    "closed-form-vs-flow": _linear_closed_form,
    "first-integral-quadrature": _first_integral,
    "derivative-vs-difference": _local_rate,
    "lu-classifier-flow": _lu_closed_form,
}
