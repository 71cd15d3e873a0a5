"""How the JoMA figures are drawn: ``draw(plt, data)`` from the figure's JSON alone.

Role: the drawing half of :mod:`theory.dynamics.figures` (which computes the numbers).  Each
function here reads nothing but the ``NAME.json`` data of its figure (as read back from
disk by :func:`theory._plotting.write_figure`), so anyone can redraw a figure from its file:
``DRAW[name](plt, json.load(open("NAME.json")))``.  Sizes are for a paper column
(:data:`theory._plotting.COLUMN`, 3.4 in) or a full page width (:data:`~theory._plotting.PAGE`,
7 in), with 8 pt fonts (:data:`theory._plotting.STYLE`); axes are labelled in maths notation,
everything coloured has a legend or a colour bar, and legends sit outside the data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._plotting import COLUMN, PAGE

__all__ = ["DRAW"]


def _invariant(plt: Any, d: dict) -> Any:
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(COLUMN, 3.2), sharex=True, layout="constrained")
    top.plot(d["steps"], d["cosine"], color="C0")
    top.set(ylabel=r"$\cos\angle(\Delta\hat z,\,\Delta z)$", ylim=(0.0, 1.05))
    bottom.plot(d["steps"], d["rel_error"], color="C3")
    bottom.axhline(1.0, color="k", lw=0.6, ls=":")
    bottom.set(xlabel=r"step $n$", ylabel=r"$\|\Delta\hat z-\Delta z\|\,/\,\|\Delta z\|$")
    bottom.set_ylim(bottom=0.0)
    return fig


def _entropy(plt: Any, d: dict) -> Any:
    c = d["curves"]
    step, v, mu = np.asarray(c["step"]), np.asarray(c["v"]), np.asarray(c["mu"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(PAGE, 2.5), layout="constrained")
    norm = plt.Normalize(float(mu.min()), float(mu.max()))
    for l in range(mu.size):
        left.plot(step, v[l], lw=0.8, color=plt.cm.viridis(norm(mu[l])))
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap="viridis"), ax=left, label=r"target $\mu_l$")
    left.set(xlabel=r"step $n$", ylabel=r"$v_l(n)$")
    right.plot(step, c["H_iteration"], color="C3", label="nonlinear (iteration)")
    right.plot(c["ode_step"], c["H_ode"], ls="--", color="k", lw=0.8, label="ODE limit")
    right.plot(step, c["H_linear"], color="C0", label="linear activation (control)")
    right.axhline(c["H_limit"], color="0.5", ls=":", lw=0.8, label=r"$H(\mathrm{softmax}(\mu^2/T))$")
    it = d["iteration"]["shape"]
    right.plot([it["t_min"] / c["eta"]], [it["h_min"]], "o", ms=4, mfc="none", color="C3", label="minimum")
    right.set(xlabel=r"step $n$", ylabel=r"attention entropy $H$ (nats)")
    fig.legend(*right.get_legend_handles_labels(), loc="outside upper center", ncol=3)
    return fig


def _linear(plt: Any, d: dict) -> Any:
    c = d["curves"]
    fig, ax = plt.subplots(figsize=(COLUMN, 2.9), layout="constrained")
    for i, (delta, t, v, t_star) in enumerate(zip(c["delta"], c["t"], c["v"], d["t_star"], strict=True)):
        ax.plot(t, v, color=f"C{i}", label=rf"$\Delta_l = {delta:g}$")
        ax.axvline(t_star, color=f"C{i}", ls=":", lw=0.8)
    ax.plot([], [], color="k", ls=":", lw=0.8, label=r"$t^\ast_l=\sqrt{\pi/2}/|\Delta_l|$")
    ax.set(xlabel=r"$t$", ylabel=r"$v_l(t)$", ylim=(-4, 4))
    fig.legend(loc="outside upper center", ncol=3)
    return fig


def _components(plt: Any, d: dict) -> Any:
    V0, V1 = np.asarray(d["V_init"]), np.asarray(d["V_trained"])
    c, s = d["curves"], d["setup"]
    fig, ax = plt.subplots(1, 3, figsize=(PAGE, 2.4), layout="constrained", width_ratios=(1, 1, 1.15))
    lim = float(np.abs(np.concatenate([V0.ravel(), V1.ravel()])).max())
    for a, V, title in ((ax[0], V0, r"$V$ at $t=0$"), (ax[1], V1, rf"$V$ at $t={s['t_end']:g}$")):
        im = a.imshow(V, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto", interpolation="nearest")
        a.set(title=title, xlabel=r"token $l$", ylabel=r"hidden node $k$")
        a.set_yticks(range(V.shape[0]))
        a.axvline(s["C"] - 0.5, color="k", lw=0.8, ls="--")
    fig.colorbar(im, ax=ax[:2], label=r"$V_{kl}$", shrink=0.9)
    salient = set(s["salient_tokens"])
    for l, g in enumerate(c["growth"]):
        ax[2].plot(c["t"], g, color="C3" if l in salient else "C0", lw=1.0 if l in salient else 0.6)
    ax[2].plot([], [], color="C3", label=rf"salient ($l<{s['C']}$)")
    ax[2].plot([], [], color="C0", lw=0.6, label="non-salient")
    ax[2].set(xlabel=r"$t = n\,\eta$", ylabel=r"$\|v_{\cdot l}(t)\|-\|v_{\cdot l}(0)\|$")
    ax[2].legend(loc="upper center", bbox_to_anchor=(0.5, 1.22), ncol=2, borderaxespad=0.0)
    return fig


def _full(plt: Any, d: dict) -> Any:
    cur = d["curves"]
    fig, ax = plt.subplots(figsize=(COLUMN, 3.0), layout="constrained")
    for i, (key, curve) in enumerate((k, v) for k, v in cur.items() if k != "reduced"):
        ax.plot(curve["t"], curve["H"], color=f"C{i}", lw=1.2, label=rf"full GD, $\eta={key.split('=', 1)[1]}$")
    ax.plot(cur["reduced"]["t"], cur["reduced"]["H"], color="k", lw=1.0, ls="--", label="reduced flow", zorder=3)
    ax.set(xlabel=r"$t = n\,\eta$", ylabel=r"mean attention entropy $\bar H$ (nats)")
    ax.set_ylim(bottom=0.0)
    fig.legend(loc="outside upper center", ncol=2)
    return fig


def _realtext(plt: Any, d: dict) -> Any:
    layers = len(d["runs"][0]["entropy"])
    fig, ax = plt.subplots(1, layers, figsize=(PAGE, 2.4), layout="constrained", sharey=True, squeeze=False)
    for layer in range(layers):
        a = ax[0, layer]
        for i, run in enumerate(d["runs"]):
            a.plot(run["steps"], run["entropy"][layer], color=f"C{i}", label=rf"$\eta = {run['lr']:g}$")
        a.axhline(d["uniform_causal_reference"], color="k", ls=":", lw=0.8, label="uniform causal attention")
        a.set(title=f"layer {layer}", xlabel=r"Adam step $n$")
    ax[0, 0].set_ylabel(r"attention entropy $\bar H$ (nats)")
    handles, labels = ax[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=len(labels))
    return fig


#: Figure name -> ``draw(plt, data)``.
DRAW: dict[str, Callable[[Any, dict], Any]] = {
    "joma-invariant": _invariant,
    "joma-entropy": _entropy,
    "joma-linear": _linear,
    "joma-components": _components,
    "joma-full": _full,
    "joma-realtext": _realtext,
}
