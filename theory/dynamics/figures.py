"""The JoMA figures: numbers first, drawing second (``theory figure joma-*``).

Role: build each figure of the JoMA reproduction (Tian et al., ICLR 2024) from the
experiments in this package and register it in
:mod:`~theory.dynamics.figure_registry`.  Every builder returns the key numbers (JSON) and
a ``draw(plt, data)`` from :mod:`~theory.dynamics.figure_drawings` that draws from those
numbers alone (so ``NAME.json`` replots the figure); ``quick=True`` shrinks the run for tests.

* ``joma-invariant`` -- the paper's Fig. 2: normalised correlation *and* absolute error of
  the invariant's estimate of :math:`z`, with the exact identity and the A + B + D split.
* ``joma-components`` -- V at initialisation and after training; growth of salient versus
  non-salient components.
* ``joma-entropy`` -- the paper's Fig. 4 set-up: v(t) and attention entropy (drop, then
  rise), its ODE limit, the first integral, the linear-activation control.
* ``joma-linear`` -- closed form vs ODE, blow-up times, salient-first ordering.
* ``joma-full`` -- the full model against the reduced prediction; collapse at large lr.
* ``joma-realtext`` -- per-layer attention entropy on SST at several learning rates (torch).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..errors import InvalidArgument
from .entropy import uniform_causal_mean_entropy
from .figure_drawings import DRAW
from .figure_registry import Figure, register_figure
from .full_model import Setup, build, confirm
from .invariant_check import InvariantCheckConfig, invariant_check
from .linear_case import linear_check
from .real_text import RealTextConfig, run_real_text
from .sparse_dense import fig4_setting, run_code_iteration, run_ode

__all__ = ["LINEAR_DELTA", "T_MIN_REL_TOL", "UNIFORM_CAUSAL_35"]

UNIFORM_CAUSAL_35 = uniform_causal_mean_entropy(35)
#: Relative tolerance on the entropy-minimum time, full GD (lr <= 0.25) vs the reduced flow.
T_MIN_REL_TOL = 0.05
#: Growth of a column norm of V that marks "this component has been learned".
GROWTH_LEVEL = 0.25


def _finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


LINEAR_DELTA = np.array([2.0, -1.2, 0.8, 0.5, -0.3])


def _invariant(quick: bool = False, setting: str | None = None) -> Figure:
    config = InvariantCheckConfig(setting=setting or "paper")
    if quick:
        config = dataclasses.replace(config, N=100, steps=200, record_every=10)
    res = invariant_check(config)
    f = res["final"]
    text = (
        f"invariant check ({res['setup']['setting']} setting: softmax, T={res['setup']['T']}, "
        f"lr={res['setup']['lr']}, {res['setup']['steps']} steps, {res['setup']['activation']} MLP)\n"
        f"  normalised correlation at the end: centred (the script's) {f['nc_paper']:.3f}, "
        f"cosine {f['cosine']:.3f}   (paper plots ~0.99)\n"
        f"  absolute error |dz_hat - dz| = {f['abs_error']:.3g} = {f['rel_error']:.2f} x |dz| "
        f"(|dz| = {f['z_norm']:.3g})\n"
        f"  best scale <dz,dz_hat>/|dz_hat|^2 = {f['best_scale']:.3f}: "
        f"the estimate overshoots ~{1 / f['best_scale']:.1f}x\n"
        f"  exact identity vs referee gradient: max rel residual {res['identity_max_rel_residual']:.1e} per step\n"
        f"  dz = A + B + D: |A| = {f['norm_A']:.3g}, |B| = {f['norm_B']:.3g}, "
        f"estimate's B ~ P: |P| = {f['norm_P']:.3g}, "
        f"|B - P| = {f['B_minus_P']:.3g}; |D| (Euler, O(lr)) = {res['discretisation_D']:.2g}\n"
        f"  sum(dz) = {f['sum_z']:.1e} (softmax conserves it), sum(dz_hat) = {f['sum_zhat']:.3g}"
    )

    return Figure(res, text, DRAW["joma-invariant"], ok=bool(res["identity_max_rel_residual"] < 1e-8))


def _components(quick: bool = False) -> Figure:
    setup = Setup(attention="softmax", p_salient=0.3)
    model, theta0 = build(setup)
    lr, t_end = 0.5, (100.0 if quick else 400.0)
    steps = round(t_end / lr)
    salient = np.zeros(setup.M, dtype=bool)
    salient[: setup.C] = True
    theta, norm_rows = np.array(theta0), []
    for _ in range(steps + 1):
        norm_rows.append(np.linalg.norm(model.projections(theta)[1], axis=0))
        theta = theta + lr * model.velocity(theta)
    norms = np.array(norm_rows)  # (steps + 1, M)
    growth = norms - norms[0]
    t = lr * np.arange(steps + 1)
    V0, V1 = model.projections(theta0)[1], model.projections(theta)[1]
    reach = np.array(
        [
            t[np.argmax(growth[:, l] >= GROWTH_LEVEL)] if np.any(growth[:, l] >= GROWTH_LEVEL) else np.inf
            for l in range(setup.M)
        ]
    )
    data = {
        "setup": {
            "M": setup.M,
            "C": setup.C,
            "lr": lr,
            "t_end": t_end,
            "salient_tokens": np.flatnonzero(salient).tolist(),
        },
        "V_init": V0.tolist(),
        "V_trained": V1.tolist(),
        "norm_salient_init": float(norms[0, salient].mean()),
        "norm_salient_end": float(norms[-1, salient].mean()),
        "norm_nonsalient_init": float(norms[0, ~salient].mean()),
        "norm_nonsalient_end": float(norms[-1, ~salient].mean()),
        "growth_salient": float(growth[-1, salient].mean()),
        "growth_nonsalient": float(growth[-1, ~salient].mean()),
        "growth_level": GROWTH_LEVEL,
        "t_reach_salient": _finite_or_none(np.median(reach[salient])),
        "t_reach_nonsalient": _finite_or_none(np.median(reach[~salient])),
    }
    data["curves"] = {"t": t.tolist(), "growth": growth.T.tolist()}  # growth[l][n]: token l at time t[n]
    data["salient_grow_more"] = bool(data["growth_salient"] > data["growth_nonsalient"])
    data["salient_first"] = bool(np.median(reach[salient]) < np.median(reach[~salient]))
    text = (
        f"components of V (full model, {setup.C} salient of {setup.M} tokens, lr={lr}, t={t_end:g})\n"
        f"  mean column norm, salient:     {data['norm_salient_init']:.3f} -> {data['norm_salient_end']:.3f}\n"
        f"  mean column norm, non-salient: {data['norm_nonsalient_init']:.3f} -> {data['norm_nonsalient_end']:.3f}\n"
        f"  median time for a column norm to grow by {GROWTH_LEVEL}: salient {data['t_reach_salient']}, "
        f"non-salient {data['t_reach_nonsalient']}"
    )

    return Figure(data, text, DRAW["joma-components"], ok=data["salient_grow_more"] and data["salient_first"])


def _entropy(quick: bool = False, setting: str | None = None) -> Figure:
    cfg = fig4_setting(setting or "paper")
    mu, T, eta, M = cfg.mu, cfg.T, cfg.eta, int(cfg.mu.size)
    steps = 1500 if quick else cfg.steps
    it = run_code_iteration(mu, T=T, v0=cfg.v0, eta=eta, steps=steps)
    ode = run_ode(mu, T=T, v0=cfg.v0, t_end=eta * steps, n_points=steps // 5 + 1)
    ode_exp = run_ode(mu, T=T, v0=cfg.v0, attention="exp", t_end=2.0, n_points=401)
    lin = run_code_iteration(mu, T=T, v0=cfg.v0, eta=eta, steps=steps, activation="linear")
    # the published script records the entropy before each update: steps 0 .. steps - 1
    recorded = it.H[:steps]
    ref = {
        "start": float(recorded[0]),
        "min": float(recorded.min()),
        "min_step": int(np.argmin(recorded)),
        "end": float(recorded[-1]),
        "end_step": steps - 1,
    }
    data = {
        "setting": {**cfg.as_dict(), "steps": steps},
        "reference_curve": ref,
        "iteration": it.summary(),
        "ode_softmax": ode.summary(),
        "ode_exp": {k: v for k, v in ode_exp.summary().items() if k != "t90"},
        "linear_control": lin.summary(),
        "t_min_gap_iteration_vs_ode": abs(it.shape.t_min - ode.shape.t_min),
        "uniform_causal_35": UNIFORM_CAUSAL_35,
        "curves": _entropy_curves(mu, it, ode, lin, eta=eta),
    }
    ok = bool(
        it.shape.drop_then_rise and ode.shape.drop_then_rise and lin.shape.only_falls and not lin.shape.drop_then_rise
    )
    text = (
        f"sparse then dense ({cfg.name} setting: M={M}, T={T:g}, eta={eta:g}, {steps} steps; {cfg.source})\n"
        f"  entropy: start {ref['start']:.6f} (ln {M}), minimum {ref['min']:.6f} at step {ref['min_step']} "
        f"(t={it.shape.t_min:.2f}), step {ref['end_step']}: {ref['end']:.6f}; "
        f"fixed point H(softmax(mu^2/T)) = {it.H_limit:.3f}\n"
        f"  drop {it.shape.drop:.3f}, rise {it.shape.rise:.3f}; "
        f"ODE minimum {ode.shape.h_min:.4f} at t={ode.shape.t_min:.2f}\n"
        f"  first integral G_mu along the ODE: max residual {ode.extra['first_integral_residual']:.1e} "
        f"(solver rtol 1e-10); salient first: {ode.extra['salient_first']}\n"
        f"  exp attention (same path, other clock): minimum {ode_exp.shape.h_min:.4f} at t={ode_exp.shape.t_min:.3f}\n"
        f"  linear activation control: only falls = {lin.shape.only_falls} (end {abs(lin.shape.h_end):.3f})\n"
        f"  reference: uniform causal attention over 35 positions, (1/35) sum ln i = {UNIFORM_CAUSAL_35:.4f}"
    )

    return Figure(data, text, DRAW["joma-entropy"], ok=ok)


def _entropy_curves(mu: np.ndarray, it: Any, ode: Any, lin: Any, *, eta: float, points: int = 1000) -> dict:
    r"""The drawn curves of ``joma-entropy``: every ``stride``-th step (at most ``points`` + 2 of them).

    ``v[l][i]`` is :math:`v_l` at ``step[i]``; ``H_iteration`` / ``H_linear`` the entropy of
    the nonlinear iteration and of the linear control at those steps; ``H_ode`` the ODE limit
    at ``ode_step`` = :math:`t/\eta`; ``H_limit`` the fixed point :math:`H(\mathrm{softmax}(\mu^2/T))`.
    """
    n = int(it.t.size)
    idx = np.unique(np.r_[np.arange(0, n, max(1, n // points)), n - 1])
    return {
        "eta": eta,
        "stride": int(max(1, n // points)),
        "mu": mu.tolist(),
        "step": idx.tolist(),
        "v": it.v[idx].T.tolist(),
        "H_iteration": it.H[idx].tolist(),
        "H_linear": lin.H[idx].tolist(),
        "ode_step": (ode.t / eta).tolist(),
        "H_ode": ode.H.tolist(),
        "H_limit": float(it.H_limit),
    }


def _linear(quick: bool = False) -> Figure:
    from .closed_forms import linear_closed_form

    res = linear_check(LINEAR_DELTA, fraction=0.9, n_points=100 if quick else 400)
    grids = [np.linspace(0.0, 0.999 * t_star, 400) for t_star in res["t_star"]]
    res["curves"] = {  # the closed form v_l(t) of each token, drawn up to just before its blow-up
        "delta": LINEAR_DELTA.tolist(),
        "t": [g.tolist() for g in grids],
        "v": [
            np.asarray(linear_closed_form(np.array(d), g), dtype=float).tolist()
            for d, g in zip(LINEAR_DELTA, grids, strict=True)
        ],
    }
    text = (
        f"linear activation, Delta = {LINEAR_DELTA.tolist()}\n"
        f"  closed form sqrt(2) erfinv(sqrt(2/pi) Delta t) vs solve_ivp (rtol {res['rtol']:g}): "
        f"max rel error {res['max_rel_error']:.1e}\n"
        f"  blow-up times sqrt(pi/2)/|Delta|: {np.round(res['t_star'], 4).tolist()}\n"
        f"  salient first (blow-up order = size order): {res['salient_first']}; "
        f"entropy only falls: {res['entropy']['only_falls']}"
    )

    return Figure(res, text, DRAW["joma-linear"], ok=bool(res["max_rel_error"] < 1e-8 and res["salient_first"]))


def _full(quick: bool = False) -> Figure:
    res = confirm(
        lrs=(0.5, 0.25, 0.125),
        collapse_lrs=(16.0, 32.0),
        t_end=150.0 if quick else 400.0,
        n_eval=151 if quick else 401,
    )
    red, runs = res["reduced"], res["runs"]
    tol = T_MIN_REL_TOL * red["t_min"]
    gaps = [r["t_min_gap"] for r in runs]
    ok = bool(
        red["drop_then_rise"]
        and all(r["t_min_gap"] <= tol for r in runs if r["lr"] <= 0.25)
        and gaps[-1] <= gaps[0]
        and res["flow_vs_reduced"] < 1e-6
    )
    res["t_min_tolerance"] = tol
    res["t_min_tolerance_rule"] = (
        f"|t_min(GD) - t_min(reduced)| <= {T_MIN_REL_TOL:g} t_min(reduced) for lr <= 0.25; "
        "GD is the Euler scheme of the exact reduced flow, so the gap is O(lr) and must shrink with lr"
    )
    lines = [
        f"full one-block model (referee; {res['setup']['attention']} attention, {res['setup']['activation']}, "
        f"T={res['setup']['T']}) vs reduced flow (attention integrated out by the proved invariant)",
        f"  full gradient flow vs reduced flow: max entropy gap {res['flow_vs_reduced']:.1e} (solver rtol 1e-8)",
        f"  reduced: minimum H={red['h_min']:.3f} at t={red['t_min']:.1f}, "
        f"drop {red['drop']:.3f}, rise {red['rise']:.3f}",
    ]
    for r in runs:
        s = r["shape"]
        lines.append(
            f"  GD lr={r['lr']}: minimum H={s['h_min']:.3f} at t={s['t_min']:.1f} "
            f"(gap {r['t_min_gap']:.1f}, tol {tol:.1f} for lr <= 0.25), "
            f"rise {s['rise']:.3f}, distance to reduced {r['distance']:.3f}"
        )
    for c in res["collapse"]:
        lines.append(f"  collapse lr={c['lr']}: entropy -> {c['H_end']:.3f}, loss {c['final_loss']:.3f}")
    lines.append(f"  (uniform attention at init: {res['H_uniform_tokens']:.3f} nats)")
    if not quick:
        sm = confirm(
            Setup(attention="softmax", T=2.0, activation="gelu"), lrs=(0.5,), collapse_lrs=(), t_end=400.0, n_eval=201
        )
        res["softmax_variant"] = {k: sm[k] for k in ("setup", "reduced", "flow_vs_reduced", "runs")}
        lines.append(
            f"  softmax variant (T=2, gelu): reduction is only approximate -- full flow vs reduced max entropy gap "
            f"{sm['flow_vs_reduced']:.3f}; GD lr=0.5 shape drop {sm['runs'][0]['shape']['drop']:.3f}, "
            f"rise {sm['runs'][0]['shape']['rise']:.3f}"
        )

    return Figure(res, "\n".join(lines), DRAW["joma-full"], ok=ok)


def _realtext(quick: bool = False, data: str | None = None) -> Figure:
    if data is None:
        raise InvalidArgument("figure joma-realtext needs the SST directory: pass --data DIR (e.g. ../shared/data/sst)")
    cfg = RealTextConfig(steps=60, log_every=10, lrs=(3e-3,), vocab=500) if quick else RealTextConfig()
    res = run_real_text(data, cfg)
    lines = [
        f"real text: causal transformer ({cfg.layers} layers, {cfg.heads} heads, d={cfg.d_model}) on SST, "
        f"{cfg.steps} Adam steps, chunks of {cfg.seq_len} tokens",
        f"  reference: uniform causal attention over {cfg.seq_len} positions = "
        f"{res['uniform_causal_reference']:.3f} nats",
    ]
    for s in res["summary"]:
        verdict = "drop then rise" if s["drop_then_rise"] else ("collapsed" if s["collapsed"] else "no rise")
        lines.append(
            f"  lr={s['lr']:g} layer {s['layer']}: {s['h0']:.2f} -> min {s['h_min']:.2f} at step {s['min_step']:.0f} "
            f"-> {s['h_end']:.2f}  [{verdict}]"
        )
    for r in res["runs"]:
        lines.append(
            f"  lr={r['lr']:g}: val loss {r['val_loss_first']:.2f} -> {r['val_loss_last']:.2f} ({r['seconds']:.0f} s)"
        )

    return Figure(res, "\n".join(lines), DRAW["joma-realtext"], ok=True)


register_figure(
    "joma-invariant", _invariant, "the paper's Fig. 2 invariant check with its absolute error (published set-up)"
)
register_figure("joma-components", _components, "V at initialisation and after training; salient components grow first")
register_figure(
    "joma-entropy", _entropy, "v(t) and attention entropy: drop then rise (the published Fig. 4 setting by default)"
)
register_figure("joma-linear", _linear, "linear activation: closed form vs ODE, blow-up times, ordering")
register_figure("joma-full", _full, "full model vs reduced prediction; attention collapse at large lr")
register_figure("joma-realtext", _realtext, "per-layer attention entropy of a small transformer on SST (needs torch)")
