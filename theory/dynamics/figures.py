"""The JoMA figures: numbers first, drawing second (``theory figure joma-*``).

Role: build each figure of the JoMA reproduction (Tian et al., ICLR 2024) from the
experiments in this package and register it in
:mod:`~theory.dynamics.figure_registry`.  Every builder returns the key numbers (JSON) and
a ``draw(plt)`` callback; ``quick=True`` shrinks the run for tests.

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

import numpy as np

from ..errors import InvalidArgument
from .entropy import uniform_causal_mean_entropy
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

    def draw(plt):
        fig, ax = plt.subplots(1, 2, figsize=(9, 3.4))
        ax[0].plot(res["steps"], res["cosine"], color="C0")
        ax[0].set(xlabel="step", ylabel="normalised correlation", title="what the paper plots", ylim=(0, 1.05))
        ax[1].plot(res["steps"], res["rel_error"], color="C3", label=r"$\|\Delta\hat z-\Delta z\|/\|\Delta z\|$")
        ax[1].axhline(1.0, color="k", lw=0.6, ls=":")
        ax[1].set(xlabel="step", ylabel="relative absolute error", title="what it hides")
        ax[1].legend(fontsize=8)
        fig.tight_layout()
        return fig

    return Figure(res, text, draw, ok=bool(res["identity_max_rel_residual"] < 1e-8))


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
    data["salient_grow_more"] = bool(data["growth_salient"] > data["growth_nonsalient"])
    data["salient_first"] = bool(np.median(reach[salient]) < np.median(reach[~salient]))
    text = (
        f"components of V (full model, {setup.C} salient of {setup.M} tokens, lr={lr}, t={t_end:g})\n"
        f"  mean column norm, salient:     {data['norm_salient_init']:.3f} -> {data['norm_salient_end']:.3f}\n"
        f"  mean column norm, non-salient: {data['norm_nonsalient_init']:.3f} -> {data['norm_nonsalient_end']:.3f}\n"
        f"  median time for a column norm to grow by {GROWTH_LEVEL}: salient {data['t_reach_salient']}, "
        f"non-salient {data['t_reach_nonsalient']}"
    )

    def draw(plt):
        fig, ax = plt.subplots(1, 3, figsize=(11, 3.2))
        lim = float(np.abs(V1).max())
        for a, V, title in ((ax[0], V0, "V at initialisation"), (ax[1], V1, "V after training")):
            im = a.imshow(V, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
            a.set(title=title, xlabel="token l (first C salient)", ylabel="hidden node k")
        fig.colorbar(im, ax=ax[1])
        ax[2].plot(t, growth[:, salient], color="C3", lw=1)
        ax[2].plot(t, growth[:, ~salient], color="C0", lw=0.6, alpha=0.6)
        ax[2].set(
            xlabel="t = step x lr",
            ylabel=r"$\|v_{\cdot l}(t)\| - \|v_{\cdot l}(0)\|$",
            title="growth: salient (red) first",
        )
        fig.tight_layout()
        return fig

    return Figure(data, text, draw, ok=data["salient_grow_more"] and data["salient_first"])


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

    def draw(plt):
        fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
        step = np.arange(it.t.size)
        for l in range(0, M, max(1, M // 10)):
            ax[0].plot(step, it.v[:, l], lw=0.8, color=plt.cm.viridis(l / (M - 1)))
        ax[0].set(xlabel="step", ylabel="v_l", title=r"$v \leftarrow v + \eta(\mu - v)\circ\mathrm{softmax}(v^2/T)$")
        ax[1].plot(step, it.H, label="nonlinear (iteration)", color="C3")
        ax[1].plot(ode.t / eta, ode.H, ls="--", color="k", lw=0.8, label="ODE limit")
        ax[1].plot(step, lin.H, label="linear activation (control)", color="C0")
        ax[1].axvline(it.shape.t_min / eta, color="C3", ls=":", lw=0.8)
        ax[1].axhline(it.H_limit, color="grey", ls=":", lw=0.8, label=r"$H(\mathrm{softmax}(\mu^2/T))$")
        ax[1].set(xlabel="step", ylabel="attention entropy (nats)", title="drop, then rise")
        ax[1].legend(fontsize=7)
        fig.tight_layout()
        return fig

    return Figure(data, text, draw, ok=ok)


def _linear(quick: bool = False) -> Figure:
    res = linear_check(LINEAR_DELTA, fraction=0.9, n_points=100 if quick else 400)
    text = (
        f"linear activation, Delta = {LINEAR_DELTA.tolist()}\n"
        f"  closed form sqrt(2) erfinv(sqrt(2/pi) Delta t) vs solve_ivp (rtol {res['rtol']:g}): "
        f"max rel error {res['max_rel_error']:.1e}\n"
        f"  blow-up times sqrt(pi/2)/|Delta|: {np.round(res['t_star'], 4).tolist()}\n"
        f"  salient first (blow-up order = size order): {res['salient_first']}; "
        f"entropy only falls: {res['entropy']['only_falls']}"
    )

    def draw(plt):
        from .closed_forms import linear_closed_form

        fig, ax = plt.subplots(figsize=(5.5, 3.6))
        t = np.linspace(0, max(res["t_star"]) * 0.999, 600)
        for i, d in enumerate(LINEAR_DELTA):
            ax.plot(t, linear_closed_form(d, t), color=f"C{i}", label=f"Delta={d:g}")
            ax.axvline(res["t_star"][i], color=f"C{i}", ls=":", lw=0.8)
        ax.set(xlabel="t", ylabel="v_l(t)", ylim=(-4, 4), title="closed form; dotted: blow-up times")
        ax.legend(fontsize=7)
        fig.tight_layout()
        return fig

    return Figure(res, text, draw, ok=bool(res["max_rel_error"] < 1e-8 and res["salient_first"]))


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

    def draw(plt):
        fig, ax = plt.subplots(figsize=(6, 3.8))
        cur = res["curves"]
        ax.plot(cur["reduced"]["t"], cur["reduced"]["H"], color="k", lw=2, label="reduced (invariant)")
        for i, (k, c) in enumerate((k, c) for k, c in cur.items() if k != "reduced"):
            ax.plot(c["t"], c["H"], color=f"C{i}", lw=1, label=f"full GD {k}")
        ax.axvline(red["t_min"], color="k", ls=":", lw=0.8)
        ax.set(
            xlabel="t = step x lr", ylabel="mean attention entropy", title="full model vs reduced; large lr collapses"
        )
        ax.legend(fontsize=7)
        fig.tight_layout()
        return fig

    return Figure(res, "\n".join(lines), draw, ok=ok)


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

    def draw(plt):
        fig, ax = plt.subplots(1, cfg.layers, figsize=(4.5 * cfg.layers, 3.4), squeeze=False)
        for layer in range(cfg.layers):
            a = ax[0, layer]
            for i, r in enumerate(res["runs"]):
                a.plot(r["steps"], r["entropy"][layer], color=f"C{i}", label=f"lr={r['lr']:g}")
            a.axhline(res["uniform_causal_reference"], color="k", ls=":", lw=0.8, label="uniform causal (35)")
            a.set(xlabel="step", ylabel="attention entropy (nats)", title=f"layer {layer}")
            a.legend(fontsize=7)
        fig.tight_layout()
        return fig

    return Figure(res, "\n".join(lines), draw, ok=True)


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
