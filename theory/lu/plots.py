"""Figures for ``theory lu`` (matplotlib extra): ``lu-*.json`` beside ``lu-*.png`` / ``.pdf``.

Role: turn what the reports measured into the data each figure shows (:func:`synthetic_figures`,
:func:`sst_figures`) and draw it from that data alone (:data:`DRAW`), through
:func:`theory._plotting.write_figure`: ``NAME.json`` always, the PNG and PDF when matplotlib
is installed, every file atomically, the picture drawn from the JSON read back from disk.
Names: ``lu-identity-curve``, ``lu-drift-vs-lr``, ``lu-convergence`` (synthetic) and
``lu-TASK-identity``, ``lu-TASK-purity`` (SST, ``TASK`` = ``sst2`` or ``sst5``).

References
----------
H. Lu, Y. Mao, A. Nayak, "On the Dynamics of Training Attention Models", ICLR 2021,
Figs. 1-2 (identity curve, convergence) and Figs. 4-5 (SST).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .._plotting import COLUMN, PAGE, write_figure
from .identity import CoreIdentity
from .purity import word_purity

__all__ = ["DRAW", "sst_figures", "synthetic_figures"]

#: At most this many recorded epochs per word are kept for the identity-curve points.
MAX_POINTS_PER_WORD = 400


def _trajectories(hist: Any) -> dict:
    """Per tracked word: its score :math:`s_t` and :math:`\\|q\\|\\|w_t\\|` over the records."""
    n = hist.scores.shape[0]
    idx = np.unique(np.r_[np.arange(0, n, max(1, n // MAX_POINTS_PER_WORD)), n - 1])
    qw = np.sqrt(hist.q2[:, None] * hist.w2)
    return {"epoch": hist.epochs[idx].tolist(), "s": hist.scores[idx].T.tolist(), "qw": qw[idx].T.tolist()}


def synthetic_figures(
    report: dict, arrays: dict, ident: CoreIdentity, out_dir: str | Path
) -> tuple[list[str], tuple[str, ...]]:
    """Identity curve, drift vs learning rate, convergence.

    Returns
    -------
    (files, notes)
        Every file written (``NAME.json`` always; PNG and PDF with matplotlib) and notes
        (the install hint when matplotlib is missing).
    """
    m = arrays["m"]
    exact, ctrl, conv = arrays["exact"], arrays["control"], arrays["convergence"]
    smax = float(max(exact.scores.max(), ctrl.scores.max(), 0.1))
    grid = np.linspace(0.0, smax, 200)
    figures: list[tuple[str, dict]] = [
        (
            "lu-identity-curve",
            {
                "classifier": report["classifier"],
                "m": m,
                "closed_form": {"s": grid.tolist(), "qw": np.asarray(ident.curve(grid, float(m))).tolist()},
                "q_fixed": _trajectories(exact),
                "q_trained": _trajectories(ctrl),
            },
        ),
        (
            "lu-drift-vs-lr",
            {
                "classifier": report["classifier"],
                "horizon": report["identity"]["horizon"],
                **{
                    name: {k: report[key][k] for k in ("lrs", "max_abs_drift", "slope")}
                    for name, key in (("q_fixed", "identity"), ("q_trained", "negative_control"))
                },
            },
        ),
        (
            "lu-convergence",
            {
                "classifier": report["classifier"],
                "epoch": conv.epochs.tolist(),
                "loss": conv.loss.tolist(),
                "topic_attention": conv.focus_attention.tolist(),
                "mean_score": conv.scores.mean(axis=1).tolist(),
            },
        ),
    ]
    return _write_all(out_dir, figures)


def sst_figures(
    report: dict, arrays: dict, ident: CoreIdentity, out_dir: str | Path
) -> tuple[list[str], tuple[str, ...]]:
    """Identity curve for the top words and the purity of the most-attended words.

    Returns
    -------
    (files, notes)
        As :func:`synthetic_figures`.
    """
    idn, pur, task = report["identity"], report["purity"], report["task"]
    s, m = np.asarray(idn["scores"]), np.asarray(idn["m"])
    grid = np.linspace(0.0, max(float(s.max()), 0.1), 200)
    m_curve = float(np.median(m))
    purity, _ = word_purity(arrays["data"].train)
    figures: list[tuple[str, dict]] = [
        (
            f"lu-{task}-identity",
            {
                "task": task,
                "classifier": report["classifier"],
                "words": idn["words"],
                "s": idn["scores"],
                "qw": idn["qw"],
                "m": idn["m"],
                "closed_form": {
                    "m": m_curve,
                    "s": grid.tolist(),
                    "qw": np.asarray(ident.curve(grid, m_curve)).tolist(),
                },
            },
        ),
        (
            f"lu-{task}-purity",
            {
                "task": task,
                "classifier": report["classifier"],
                "early": {
                    "epoch": pur["early_epoch"],
                    "words": pur["early"]["words"],
                    "purity": purity[pur["early"]["ids"]].tolist(),
                },
                "late": {
                    "epoch": report["epochs"],
                    "words": pur["late"]["words"],
                    "purity": purity[pur["late"]["ids"]].tolist(),
                },
                "most_frequent_mean_purity": pur["most_frequent_mean_purity"],
            },
        ),
    ]
    return _write_all(out_dir, figures)


def _write_all(out_dir: str | Path, figures: list[tuple[str, dict]]) -> tuple[list[str], tuple[str, ...]]:
    files: list[str] = []
    notes: tuple[str, ...] = ()
    for name, data in figures:
        written, notes = write_figure(out_dir, name, data, DRAW[_kind(name)])
        files += written
    return files, notes


def _kind(name: str) -> str:
    """``lu-sst2-purity`` -> ``lu-TASK-purity`` (the key of :data:`DRAW`)."""
    parts = name.split("-")
    return "lu-TASK-" + parts[2] if len(parts) == 3 and parts[1].startswith("sst") else name


# ----------------------------------------------------------------------------- drawing
def _identity_curve(plt: Any, d: dict) -> Any:
    fig, ax = plt.subplots(figsize=(COLUMN, 2.8), layout="constrained")
    # drawn bottom to top: the control, the closed form, then the subject (GD with q fixed) over both
    for s, qw in zip(d["q_trained"]["s"], d["q_trained"]["qw"], strict=True):
        ax.plot(s, qw, ".", ms=1.5, color="C3", alpha=0.5, rasterized=True, zorder=1)
    ax.plot(d["closed_form"]["s"], d["closed_form"]["qw"], "k-", lw=0.8, zorder=2)
    for s, qw in zip(d["q_fixed"]["s"], d["q_fixed"]["qw"], strict=True):
        ax.plot(s, qw, ".", ms=2.5, color="C0", rasterized=True, zorder=3)
    ax.plot([], [], ".", ms=6, color="C0", label=r"GD, $q$ fixed (topic words)")
    ax.plot([], [], "k-", lw=0.8, label=rf"closed form, $m={d['m']:g}$")
    ax.plot([], [], ".", ms=6, color="C3", label=r"GD, $q$ trained (control)")
    ax.set(xlabel=r"score $s_t$", ylabel=r"$\|q\|\,\|w_t\|$")
    ax.legend(loc="upper left")
    return fig


def _drift_vs_lr(plt: Any, d: dict) -> Any:
    fig, ax = plt.subplots(figsize=(COLUMN, 2.6), layout="constrained")
    for key, label, colour in (("q_fixed", r"$q$ fixed", "C0"), ("q_trained", r"$q$ trained (control)", "C3")):
        r = d[key]
        ax.loglog(r["lrs"], r["max_abs_drift"], "o-", ms=4, color=colour, label=f"{label}: slope {r['slope']:.2f}")
    ax.set(xlabel=r"learning rate $\eta$", ylabel=rf"$\max_{{t \leq {d['horizon']:g}}} |I(t)-I(0)|$")
    fig.legend(loc="outside upper center", ncol=1)
    return fig


def _convergence(plt: Any, d: dict) -> Any:
    fig, ax = plt.subplots(1, 3, figsize=(PAGE, 2.2), layout="constrained")
    ax[0].semilogy(d["epoch"], d["loss"], color="C0")
    ax[0].set(xlabel=r"epoch $n$", ylabel=r"training loss $\mathcal{L}$")
    ax[1].plot(d["epoch"], d["topic_attention"], color="C0")
    ax[1].set(xlabel=r"epoch $n$", ylabel=r"attention on topic words $\bar a_t$", ylim=(0, 1))
    ax[2].plot(d["epoch"], d["mean_score"], color="C0")
    ax[2].set(xlabel=r"epoch $n$", ylabel=r"mean topic-word score $\bar s_t$")
    return fig


def _sst_identity(plt: Any, d: dict) -> Any:
    fig, ax = plt.subplots(figsize=(COLUMN, 2.8), layout="constrained")
    cf = d["closed_form"]
    ax.plot(cf["s"], cf["qw"], "k-", lw=1.0, label=rf"closed form, $m={cf['m']:.1f}$")
    sc = ax.scatter(d["s"], d["qw"], s=8, c=d["m"], cmap="viridis", zorder=3)
    fig.colorbar(sc, ax=ax, label=r"$m_u$")
    ax.plot([], [], "o", ms=3, color="0.4", label=f"top {len(d['s'])} words")
    ax.set(xlabel=r"score $s_u$", ylabel=r"$\|q\|\,\|w_u\|$")
    fig.legend(loc="outside upper center", ncol=2)
    return fig


def _purity(plt: Any, d: dict) -> Any:
    """Survival curves: the fraction of the most-attended words purer than ``x``, early and late."""
    fig, ax = plt.subplots(figsize=(COLUMN, 2.6), layout="constrained")
    for key, colour in (("early", "C0"), ("late", "C3")):
        x = np.sort(np.asarray(d[key]["purity"], dtype=float))
        above = (x.size - 1 - np.arange(x.size)) / x.size  # fraction of words with purity > x[i]
        label = rf"epoch {d[key]['epoch']}: mean {x.mean():.3f}"
        ax.step(np.r_[0.0, x], np.r_[1.0, above], where="post", color=colour, label=label)
        ax.axvline(x.mean(), color=colour, ls="--", lw=0.8)
    n = len(d["late"]["purity"])
    ax.axvline(d["most_frequent_mean_purity"], color="0.5", ls=":", lw=0.8, label=f"{n} most frequent words: mean")
    ax.set(
        xlabel=r"purity $x = |P(+\mid u)-P(-\mid u)|$",
        ylabel=r"fraction with purity $> x$",
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    fig.legend(loc="outside upper center", ncol=1, title=f"the {n} most-attended words at")
    return fig


#: Figure name (``TASK`` for the SST task) -> ``draw(plt, data)``.
DRAW: dict[str, Callable[[Any, dict], Any]] = {
    "lu-identity-curve": _identity_curve,
    "lu-drift-vs-lr": _drift_vs_lr,
    "lu-convergence": _convergence,
    "lu-TASK-identity": _sst_identity,
    "lu-TASK-purity": _purity,
}
