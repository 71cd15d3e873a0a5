"""The hierarchy-score figure: co-occurrence checks, learning order, toy-model scores.

Role: draw a :func:`theory.hierarchy.report.hierarchy_report` (Tian et al., "JoMA",
ICLR 2024, arXiv 2310.00535, Sec. 5 and its hierarchy table) as PNG + PDF, and always
write the numbers as JSON.  matplotlib is the optional ``plot`` extra, imported lazily;
without it the JSON is still written and the caller is told how to install it.  Every
file is written atomically.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .._io import atomic_write_bytes, atomic_write_json, ensure_dir
from ..errors import OptionalDependencyError, require

__all__ = ["FIGURE_STEM", "attach_figure", "write_figure"]

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
    directory = ensure_dir(out_dir)
    json_path = atomic_write_json(directory / f"{FIGURE_STEM}.json", report)
    try:
        plt = require("matplotlib.pyplot", "plot")
    except OptionalDependencyError as exc:
        return {"json": str(json_path), "png": None, "pdf": None, "note": str(exc)}
    fig = _draw(plt, report)
    paths = {}
    try:
        for fmt in ("png", "pdf"):
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=150, bbox_inches="tight")
            paths[fmt] = str(atomic_write_bytes(directory / f"{FIGURE_STEM}.{fmt}", buf.getvalue()))
    finally:
        plt.close(fig)
    return {"json": str(json_path), **paths, "note": None}


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
    notes = (f"{files['note']}; the JSON was written to {files['json']}",) if files["note"] else ()
    return {**report, "figure": files}, notes


def _draw(plt, report: dict):
    fig, axes = plt.subplots(1, 4, figsize=(19, 4.4))
    t = report["tree"]
    fig.suptitle(
        f"HBLT depth {t['depth']}, branching {t['branching']}, {t['channel']} channel, "
        f"rho = {t['rho']}, D = {t['classes']}"
    )
    _panel_cooccurrence(axes[0], report)
    _panel_order(axes[1], report)
    _panel_toy(axes[2], report)
    _panel_association(axes[3], report)
    fig.tight_layout()
    return fig


def _panel_cooccurrence(ax, report: dict) -> None:
    groups = report["order"]
    exact = np.array([g["cooccurrence"] for g in groups])
    mc = np.array([np.nan if g["monte_carlo_mean"] is None else g["monte_carlo_mean"] for g in groups])
    err = np.array([0.0 if g["stderr_max"] is None else g["stderr_max"] for g in groups])
    depth = np.array([g["lca_depth"] for g in groups])
    ax.plot([0, 1], [0, 1], color="0.7", lw=1, label="exact = Monte Carlo")
    sc = ax.scatter(exact, mc, c=depth, cmap="viridis", zorder=3)
    ax.errorbar(exact, mc, yerr=err, fmt="none", ecolor="k", elinewidth=1, zorder=2)
    mc_check = report["monte_carlo"]
    ax.set_title(f"co-occurrence: max z {mc_check['max_z']:.2f} (limit {mc_check['z_threshold']:.2f})")
    ax.set_xlabel("exact P(y_l=1 | y_m=1) (tree paths)")
    ax.set_ylabel(f"Monte Carlo ({report['samples']} samples)")
    ax.figure.colorbar(sc, ax=ax, label="LCA depth")
    ax.legend(loc="upper left", fontsize=8)


def _panel_order(ax, report: dict) -> None:
    groups = report["order"]
    ranks = [g["rank"] for g in groups]
    ax.bar(ranks, [g["cooccurrence"] for g in groups], color="tab:blue")
    ax.set_xticks(ranks)
    ax.set_xticklabels([f"d{g['lca_depth']}\nH{g['H_l']},{g['H_m']}" for g in groups], fontsize=7)
    ax.set_title("predicted learning order (first = left)")
    ax.set_xlabel("LCA depth d, distances H_l,H_m")
    ax.set_ylabel("P(y_l=1 | y_m=1)")


def _panel_toy(ax, report: dict) -> None:
    toy = report["toy"]
    ax.set_title("toy model: layer vs latent normalised correlation")
    if not toy["runs"]:
        ax.text(0.5, 0.5, "no toy run", ha="center", va="center", transform=ax.transAxes)
        return
    for s, colour in enumerate(("tab:orange", "tab:green")):
        curves = [r["curve_scores"] for r in toy["runs"]]
        steps = toy["runs"][0]["curve_steps"]
        if curves[0][0][s] is None:
            continue
        values = np.array([[row[s] for row in c] for c in curves], dtype=float)
        for run in values:
            ax.plot(steps, run, color=colour, alpha=0.35, lw=1)
        ax.plot(
            steps,
            values.mean(axis=0),
            color=colour,
            lw=2,
            label=f"layer {s} vs depth-{toy['levels'][s]} latents",
        )
        init = toy["score_init"][s]["mean"]
        ax.axhline(init, color=colour, ls=":", lw=1)
    ax.set_xlabel("training step (step 0 and dotted line: initialisation)")
    ax.set_ylabel("mean over latents of max |corr|")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower right", fontsize=8)


def _panel_association(ax, report: dict) -> None:
    toy = report["toy"]
    ax.set_title("toy layer 0: token similarity by LCA depth")
    if not toy["runs"]:
        ax.text(0.5, 0.5, "no toy run", ha="center", va="center", transform=ax.transAxes)
        return
    steps = toy["runs"][0]["curve_steps"]
    curves = np.array([r["curve_association"] for r in toy["runs"]], dtype=float)
    change = curves - curves[:, :1, :]  # minus the value at initialisation
    cmap = __import__("matplotlib").colormaps["viridis"]
    n_depth = change.shape[2]
    for d in range(n_depth):
        colour = cmap(d / max(n_depth - 1, 1))
        ax.plot(steps, change[:, :, d].mean(axis=0), color=colour, lw=2, label=f"LCA depth {d}")
    ax.axhline(0.0, color="0.7", lw=1)
    ax.set_xlabel("training step")
    ax.set_ylabel("cosine similarity of W0 rows, minus init")
    verdict = "matches" if toy["association"]["matches_prediction"] else "does not match"
    ax.text(0.02, 0.97, f"order {verdict} prediction", transform=ax.transAxes, va="top", fontsize=8)
    ax.legend(loc="lower right", fontsize=8)
