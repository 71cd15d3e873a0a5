"""The hierarchy-score figure: co-occurrence checks, learning order, toy-model scores.

Role: draw a :func:`theory.hierarchy.report.hierarchy_report` (Tian et al., "JoMA",
ICLR 2024, arXiv 2310.00535, Sec. 5 and its hierarchy table) through
:func:`theory._plotting.write_figure`: ``hierarchy-scores.json`` (the report: every number
and curve drawn) always, ``hierarchy-scores.png`` / ``.pdf`` with matplotlib (the optional
``plot`` extra), drawn by :func:`draw` from the JSON alone, every file atomically.  Four
panels on a page-wide 2 x 2 grid; the depth of the lowest common ancestor (LCA) has one
discrete colour per depth, shared by every panel and named in one legend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .._plotting import PAGE
from .._plotting import write_figure as _write

__all__ = ["FIGURE_STEM", "attach_figure", "draw", "write_figure"]

FIGURE_STEM = "hierarchy-scores"


def write_figure(report: dict, out_dir: str | Path) -> dict:
    """Write ``<out_dir>/hierarchy-scores.{json,png,pdf}``.

    Parameters
    ----------
    report : dict
        Output of :func:`theory.hierarchy.report.hierarchy_report`.
    out_dir : path
        Created if missing.

    Returns
    -------
    dict
        ``json`` path, ``png`` / ``pdf`` paths (``None`` without matplotlib) and
        ``note`` (the install hint, or ``None``).
    """
    files, notes = _write(out_dir, FIGURE_STEM, report, draw)
    paths = {Path(f).suffix[1:]: f for f in files}
    return {
        "json": paths["json"],
        "png": paths.get("png"),
        "pdf": paths.get("pdf"),
        "note": notes[0] if notes else None,
    }


def attach_figure(report: dict, out_dir: str | Path) -> tuple[dict, tuple[str, ...]]:
    """Write the figure of ``report`` (:func:`write_figure`) and record its files in the report.

    Parameters
    ----------
    report : dict
        Output of :func:`theory.hierarchy.report.hierarchy_report` (not modified).
    out_dir : path
        Created if missing.

    Returns
    -------
    (dict, tuple of str)
        A copy of ``report`` with a ``figure`` entry (the :func:`write_figure` paths), and the
        notes for the user (the install hint when matplotlib is missing).
    """
    files = write_figure(report, out_dir)
    notes = (files["note"],) if files["note"] else ()
    return {**report, "figure": files}, notes


def draw(plt: Any, report: dict) -> Any:
    """Draw ``report`` (as read back from ``hierarchy-scores.json``): a 7 x 5 in 2 x 2 grid.

    (a) exact co-occurrence :math:`P(y_l=1\\mid y_m=1)` against Monte Carlo; (b) the same
    probabilities in the predicted learning order; (c) the toy model's layer-vs-latent scores
    during training; (d) the change of token similarity in layer 0, by LCA depth.
    """
    fig, axes = plt.subplots(2, 2, figsize=(PAGE, 5.0), layout="constrained")
    depths = sorted({g["lca_depth"] for g in report["order"]})
    colours = {d: plt.cm.viridis(i / max(len(depths) - 1, 1)) for i, d in enumerate(depths)}
    _panel_cooccurrence(axes[0, 0], report, colours)
    _panel_order(axes[0, 1], report, colours)
    _panel_toy(axes[1, 0], report)
    _panel_association(axes[1, 1], report, colours)
    for ax, letter in zip(axes.flat, "abcd", strict=True):
        ax.set_title(f"({letter})", loc="left")
    handles = [plt.Line2D([], [], color=colours[d], marker="s", ls="", label=f"{d}") for d in depths]
    fig.legend(handles=handles, title="LCA depth", loc="outside upper center", ncol=len(depths))
    return fig


def _panel_cooccurrence(ax: Any, report: dict, colours: dict) -> None:
    groups = report["order"]
    exact = np.array([g["cooccurrence"] for g in groups])
    mc = np.array([np.nan if g["monte_carlo_mean"] is None else g["monte_carlo_mean"] for g in groups])
    err = np.array([0.0 if g["stderr_max"] is None else g["stderr_max"] for g in groups])
    ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls="--", label="exact = Monte Carlo")
    ax.errorbar(exact, mc, yerr=err, fmt="none", ecolor="k", elinewidth=0.8, zorder=2)
    ax.scatter(exact, mc, c=[colours[g["lca_depth"]] for g in groups], marker="s", s=20, zorder=3)
    ax.set(
        xlabel=r"exact $P(y_l{=}1\mid y_m{=}1)$",
        ylabel=rf"Monte Carlo estimate ($n={report['samples']}$)",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.legend(loc="upper left")


def _panel_order(ax: Any, report: dict, colours: dict) -> None:
    groups = report["order"]
    ranks = [g["rank"] for g in groups]
    ax.bar(ranks, [g["cooccurrence"] for g in groups], color=[colours[g["lca_depth"]] for g in groups])
    ax.set_xticks(ranks)
    ax.set_xticklabels([f"{g['rank']}\n$(H_l,H_m)=({g['H_l']},{g['H_m']})$" for g in groups])
    ax.set(xlabel=r"predicted learning order $r$ (1 = first)", ylabel=r"$P(y_l{=}1\mid y_m{=}1)$", ylim=(0, 1))


def _panel_toy(ax: Any, report: dict) -> None:
    toy = report["toy"]
    ax.set(xlabel=r"training step $n$", ylabel=r"mean over latents of $\max|\mathrm{corr}|$", ylim=(0, 1.02))
    if not toy["runs"]:
        ax.text(0.5, 0.5, "no toy run", ha="center", va="center", transform=ax.transAxes)
        return
    steps = toy["runs"][0]["curve_steps"]
    for s, colour in enumerate(("C1", "C2")):
        curves = [r["curve_scores"] for r in toy["runs"]]
        if curves[0][0][s] is None:
            continue
        values = np.array([[row[s] for row in c] for c in curves], dtype=float)
        for run in values:
            ax.plot(steps, run, color=colour, alpha=0.35, lw=0.6)
        label = rf"layer {s} vs depth-{toy['levels'][s]} latents"
        ax.plot(steps, values.mean(axis=0), color=colour, lw=1.5, label=label)
    ax.plot([], [], color="0.5", lw=0.6, label=f"thin: each of {len(toy['runs'])} runs, thick: mean")
    ax.legend(loc="lower right")


def _panel_association(ax: Any, report: dict, colours: dict) -> None:
    toy = report["toy"]
    ax.set(xlabel=r"training step $n$", ylabel=r"$\cos(W_{0,l}, W_{0,m})$ minus its initial value")
    if not toy["runs"]:
        ax.text(0.5, 0.5, "no toy run", ha="center", va="center", transform=ax.transAxes)
        return
    steps = toy["runs"][0]["curve_steps"]
    curves = np.array([r["curve_association"] for r in toy["runs"]], dtype=float)
    change = curves - curves[:, :1, :]  # minus the value at initialisation
    for d in range(change.shape[2]):
        ax.plot(steps, change[:, :, d].mean(axis=0), color=colours.get(d, "k"), lw=1.5)
    ax.axhline(0.0, color="0.6", lw=0.8, ls="--")
