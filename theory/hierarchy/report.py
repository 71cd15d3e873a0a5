"""One HBLT study end to end: exact vs Monte Carlo, closed forms, order, toy model.

Role: assemble the JSON-able report behind ``theory hierarchy`` (the CLI only parses
arguments and prints).  Every number comes from the modules of
:mod:`theory.hierarchy`; this module only compares them and states the verdicts.

Monte Carlo tolerance.  Each estimate :math:`\\hat P[m, l] = n_{lm}/n_m` is binomial
given :math:`n_m`, with standard error :math:`\\sigma = \\sqrt{P(1-P)/n_m}`.  Over the
:math:`n` compared pairs the check passes when :math:`\\max |\\hat P - P|/\\sigma \\le
z^*` with :math:`z^* = \\Phi^{-1}(1 - \\alpha / (2n))`, :math:`\\alpha = 10^{-3}`
(Bonferroni: a correct table fails with probability at most :math:`\\alpha`, normal
approximation to the binomial).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import mean
from typing import Any

import numpy as np
from scipy.special import ndtri

from .._config import configure
from .._progress import progress
from ..errors import InvalidArgument
from ..numeric.compile import compile_expression
from .closed_form import H_L, H_M, P_LCA, RHO, cooccurrence_closed_form, general_closed_form
from .combination import CombinationHierarchy, build_combination
from .cooccurrence import PairTable, pair_table
from .order import lca_monotonicity, predicted_order
from .sampling import cooccurrence_estimate, max_z_score, sample
from .toy import ToyConfig, train_toy
from .transformer import TransformerConfig
from .transformer_study import render_ablation, render_section, run_ablation, transformer_section
from .tree import LatentTree, build_tree

__all__ = [
    "FAMILY_ALPHA",
    "HierarchyConfig",
    "closed_form_check",
    "hierarchy_report",
    "monte_carlo_check",
    "render_text",
    "z_threshold",
]

#: family-wise false-alarm probability of the Monte Carlo check
FAMILY_ALPHA = 1e-3
#: closed form vs path computation: both are float64 evaluations of the same rational
#: function of rho**H (depth <= a few dozen), so they agree to a few ulps
CLOSED_FORM_ATOL = 1e-12


def z_threshold(n_pairs: int, alpha: float = FAMILY_ALPHA) -> float:
    """Bonferroni two-sided normal threshold :math:`\\Phi^{-1}(1 - \\alpha/(2n))`."""
    return float(-ndtri(alpha / (2 * max(n_pairs, 1))))


def monte_carlo_check(exact: np.ndarray, tokens: np.ndarray, alpha: float = FAMILY_ALPHA) -> dict:
    """Compare an exact table with the estimate from sampled ``tokens`` (see module doc)."""
    estimate, counts = cooccurrence_estimate(tokens)
    z, n_pairs = max_z_score(exact, estimate, counts)
    threshold = z_threshold(n_pairs, alpha)
    return {
        "max_z": z,
        "z_threshold": threshold,
        "alpha": alpha,
        "pairs_compared": n_pairs,
        "min_query_count": int(counts.min()) if counts.size else 0,
        # a check that compared nothing has not passed (e.g. gated with rho = 0: no token occurs)
        "pass": bool(z <= threshold and n_pairs > 0),
        "_estimate": estimate,
        "_counts": counts,
    }


def closed_form_check(tree: LatentTree, table: PairTable) -> dict:
    """Closed forms (SymPy) against the exact path table on the pairs where they apply."""
    general = compile_expression(general_closed_form(tree.channel), [RHO, H_L, H_M, P_LCA])
    quoted_expr = cooccurrence_closed_form(tree.channel)
    quoted = compile_expression(quoted_expr, [RHO, H_L, H_M])
    latent = table.lca_depth > 0
    np.fill_diagonal(latent, False)
    latent &= np.isfinite(table.cond)
    h_l, h_m = table.h.astype(float), table.h.T.astype(float)
    rho = np.full(table.cond.shape, tree.rho)
    with np.errstate(divide="ignore", invalid="ignore"):
        gen = np.asarray(general(rho, h_l, h_m, table.lca_marginal), dtype=float)
        quo = np.broadcast_to(np.asarray(quoted(rho, h_l, h_m), dtype=float), rho.shape)
    if tree.channel == "symmetric":
        fair = latent & np.isclose(table.lca_marginal, 0.5, rtol=0, atol=1e-15)
    else:
        fair = latent & (table.lca_marginal > 0)
    err_general = float(np.abs(gen - table.cond)[latent].max(initial=0.0))
    err_quoted = float(np.abs(quo - table.cond)[fair].max(initial=0.0))
    return {
        "general": str(general_closed_form(tree.channel)),
        "quoted": str(quoted_expr),
        "quoted_applies_to": (
            "pairs whose LCA is a binary latent with P(y_LCA=1) = 1/2"
            if tree.channel == "symmetric"
            else "pairs whose LCA is a binary latent that can be on"
        ),
        "pairs_general": int(latent.sum()),
        "pairs_quoted": int(fair.sum()),
        "max_abs_err_general": err_general,
        "max_abs_err_quoted": err_quoted,
        "atol": CLOSED_FORM_ATOL,
        "pass": bool(err_general <= CLOSED_FORM_ATOL and err_quoted <= CLOSED_FORM_ATOL),
    }


def _groups_with_mc(tree: LatentTree, table: PairTable, estimate, counts) -> list[dict]:
    rows = []
    for group in predicted_order(table):
        d = group.as_dict()
        # every member pair: MC mean and the largest z inside the group
        members = np.argwhere(
            np.isclose(table.cond, group.cooccurrence, rtol=0, atol=1e-12)
            & (table.lca_depth == group.lca_depth)
            & (table.h == group.h_l)
            & (table.h.T == group.h_m)
            & ~np.eye(len(tree.leaves), dtype=bool)
        )
        est = np.array([estimate[m, l] for m, l in members])
        n = np.array([counts[m] for m, _ in members], dtype=float)
        p = group.cooccurrence
        se = np.sqrt(p * (1 - p) / np.maximum(n, 1))
        d["monte_carlo_mean"] = float(np.nanmean(est)) if est.size else None
        d["stderr_max"] = float(se.max()) if se.size else None
        rows.append(d)
    return rows


def _summary(values: list[float | None]) -> dict | None:
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return {"mean": mean(vals), "min": min(vals), "max": max(vals)}


def _association_summary(runs: list) -> dict:
    """Mean over seeds of the change of layer-0 token similarity, per LCA depth."""
    change = np.array([np.subtract(r.association_trained, r.association_init) for r in runs], dtype=float)
    mean_change = np.nanmean(change, axis=0)
    depths = list(range(len(mean_change)))
    measured = sorted(depths, key=lambda d: -mean_change[d])
    predicted = sorted(depths, reverse=True)  # deeper LCA = stronger co-occurrence
    return {
        "lca_depths": depths,
        "change_mean": mean_change.tolist(),
        "change_per_seed": change.tolist(),
        "measured_order": measured,
        "predicted_order": predicted,
        "matches_prediction": measured == predicted,
        "definition": "cosine similarity of the two tokens' rows of W0, trained minus init",
    }


@dataclass(frozen=True)
class HierarchyConfig:
    """Settings of :func:`hierarchy_report` (defaults: ``theory hierarchy``'s).

    Attributes
    ----------
    rho : float
        Channel strength in :math:`[0, 1]`.
    channel : {"symmetric", "gated"}
        Edge law.
    classes : int
        Label values per node.
    samples : int
        Monte Carlo draws.
    seed : int
        Seed of the draws; the toy runs use seeds ``seed .. seed + toy_runs - 1``.
    toy_runs : int
        Toy-model runs (0: skip).
    toy_config : ToyConfig, optional
        Settings of each toy run (default: ``ToyConfig()``).
    model : {"toy", "transformer"}
        Which model is trained and scored against the latents (the transformer needs torch).
    data : {"hblt", "combination"}
        Transformer data: the tree above, or the JoMA code's combination data (99 tokens,
        10 and 20 latents, ``classes`` labels, fan-in 3; :mod:`theory.hierarchy.combination`).
    transformer_runs : int
        Transformer seeds ``seed .. seed + transformer_runs - 1``.
    transformer_config : TransformerConfig, optional
        Settings of each transformer run (default: ``TransformerConfig()``).
    ablation : bool
        Also run :func:`theory.hierarchy.transformer_study.run_ablation` over the same seeds
        (minutes; needs torch).
    progress : bool
        tqdm progress bars on stderr for the transformer runs.
    """

    rho: float = 0.8
    channel: str = "symmetric"
    classes: int = 2
    samples: int = 20_000
    seed: int = 0
    toy_runs: int = 3
    toy_config: ToyConfig | None = None
    model: str = "toy"
    data: str = "hblt"
    transformer_runs: int = 2
    transformer_config: TransformerConfig | None = None
    ablation: bool = False
    progress: bool = False


def hierarchy_report(depth: int, branching: int, config: HierarchyConfig | None = None, **changes: Any) -> dict:
    """Build the tree, check co-occurrence three ways, predict the order, run the toy.

    Parameters
    ----------
    depth, branching : int
        Edges from the root to the tokens, children per node.
    config : HierarchyConfig, optional
        Channel, Monte Carlo and toy settings (default: ``HierarchyConfig()``).
    **changes
        Fields of :class:`HierarchyConfig` to override, e.g. ``hierarchy_report(3, 2, rho=0.6)``.

    Returns
    -------
    dict
        JSON-able; keys ``tree``, ``monte_carlo``, ``closed_form``, ``order``,
        ``lca_monotonicity``, ``toy``, ``transformer`` and ``ablation`` (``None`` unless
        asked for), ``checks``, ``ok``.
    """
    cfg = configure(HierarchyConfig, config, changes)
    rho, channel, classes, samples, seed = cfg.rho, cfg.channel, cfg.classes, cfg.samples, cfg.seed
    toy_runs, toy_config = cfg.toy_runs, cfg.toy_config
    if isinstance(toy_runs, bool) or not isinstance(toy_runs, int) or toy_runs < 0:
        raise InvalidArgument(f"expected toy_runs >= 0 (--toy-runs), got toy_runs={toy_runs!r}")
    if cfg.model not in ("toy", "transformer"):
        raise InvalidArgument(f"unknown model {cfg.model!r}; expected 'toy' or 'transformer'")
    if cfg.data not in ("hblt", "combination"):
        raise InvalidArgument(f"unknown data {cfg.data!r}; expected 'hblt' or 'combination'")
    n_tf = cfg.transformer_runs
    if isinstance(n_tf, bool) or not isinstance(n_tf, int) or n_tf < 1:
        raise InvalidArgument(f"expected transformer_runs >= 1 (--tf-runs), got transformer_runs={n_tf!r}")
    tree = build_tree(depth, branching, rho=rho, channel=channel, classes=classes)
    if cfg.model == "transformer" and cfg.data == "hblt" and tree.height < 2:
        raise InvalidArgument("the transformer needs latent levels: use --depth 2 or more (or --data combination)")
    table = pair_table(tree)
    draws = sample(tree, samples, seed=seed)
    mc = monte_carlo_check(table.cond, draws.tokens)
    estimate, counts = mc.pop("_estimate"), mc.pop("_counts")
    closed = closed_form_check(tree, table)
    groups = _groups_with_mc(tree, table, estimate, counts)
    mono = lca_monotonicity(table)
    toy: dict = {"runs": [], "note": "toy MLP on bags of tokens, not the paper's transformer"}
    if cfg.model == "transformer":
        toy["note"] = "no toy run: --model transformer"
    elif toy_runs > 0 and tree.height >= 2:
        runs = [
            train_toy(tree, seed=seed + i, config=toy_config)
            for i in progress(range(toy_runs), desc="hierarchy toy runs", unit="run")
        ]
        toy["runs"] = [r.as_dict() for r in runs]
        toy["levels"] = list(runs[0].levels)
        for key in ("score_init", "score_trained", "score_shuffled"):
            toy[key] = [_summary([getattr(r, key)[s] for r in runs]) for s in range(2)]
        toy["accuracy_test"] = _summary([r.accuracy_test for r in runs])
        toy["association"] = _association_summary(runs)
    elif toy_runs > 0:
        toy["note"] = "no toy run: depth 1 has no latent level"
    transformer = None
    seeds = tuple(range(seed, seed + n_tf))
    if cfg.model == "transformer":

        def data_for_seed(s: int) -> LatentTree | CombinationHierarchy:
            # the combination structure is drawn with each run's seed, as in the ablation
            return build_combination(99, (10, 20, classes), (3, 3, 3), seed=s) if cfg.data == "combination" else tree

        transformer = transformer_section(data_for_seed, seeds, cfg.transformer_config, progress=cfg.progress)
    ablation = None
    if cfg.ablation:
        ablation = run_ablation(seeds, cfg.transformer_config, toy=toy_config, progress=cfg.progress)
    checks = {
        "monte_carlo": mc["pass"],
        "closed_form": closed["pass"],
        "lca_order": mono["violations"] == 0,
    }
    return {
        "tree": {"depth": depth, "branching": branching, **tree.summary()},
        "samples": samples,
        "seed": seed,
        "monte_carlo": mc,
        "closed_form": closed,
        "order": groups,
        "lca_monotonicity": mono,
        "toy": toy,
        "transformer": transformer,
        "ablation": ablation,
        "checks": checks,
        "ok": all(checks.values()),
    }


def render_text(report: dict) -> str:
    """Human-readable summary of :func:`hierarchy_report`."""
    t, mc, cf = report["tree"], report["monte_carlo"], report["closed_form"]
    lines = [
        f"HBLT depth={t['depth']} branching={t['branching']} channel={t['channel']} "
        f"rho={t['rho']} classes={t['classes']}: {t['n_leaves']} tokens, {t['n_latents']} latents",
        f"Monte Carlo ({report['samples']} samples): max z = {mc['max_z']:.2f} "
        f"<= {mc['z_threshold']:.2f} over {mc['pairs_compared']} pairs: "
        + ("pass" if mc["pass"] else "FAIL")
        + ("" if mc["pairs_compared"] else " (no pair of tokens co-occurs: nothing compared)"),
        f"closed form {cf['quoted']}: max |err| {cf['max_abs_err_quoted']:.1e} on "
        f"{cf['pairs_quoted']} pairs; general form {cf['max_abs_err_general']:.1e} on "
        f"{cf['pairs_general']}: {'pass' if cf['pass'] else 'FAIL'}",
        "predicted learning order (strongest co-occurrence first):",
        "  rank lca_depth H_l H_m  P(y_l=1|y_m=1)  MC mean   pairs",
    ]
    for g in report["order"]:
        mc_mean = g["monte_carlo_mean"]
        lines.append(
            f"  {g['rank']:>4} {g['lca_depth']:>9} {g['H_l']:>3} {g['H_m']:>3}  "
            f"{g['cooccurrence']:>14.6f}  {mc_mean if mc_mean is None else f'{mc_mean:.4f}':>7}"
            f" {g['n_pairs']:>7}"
        )
    mono = report["lca_monotonicity"]
    lines.append(
        f"deeper LCA never weaker: {mono['violations']} violations, {mono['ties']} ties "
        f"in {mono['compared']} comparisons"
    )
    toy = report["toy"]
    if toy["runs"]:
        lines.append(f"toy model ({len(toy['runs'])} seeds; {toy['note']}):")
        for s in range(2):
            tr = toy["score_trained"][s]
            if tr is None:
                continue
            ini, sh = toy["score_init"][s], toy["score_shuffled"][s]
            lines.append(
                f"  layer {s} vs latents at depth {toy['levels'][s]}: trained "
                f"{tr['mean']:.3f} [{tr['min']:.3f}, {tr['max']:.3f}], init {ini['mean']:.3f}, "
                f"shuffled control {sh['mean']:.3f}"
            )
        acc = toy["accuracy_test"]
        lines.append(f"  label accuracy (test) {acc['mean']:.3f}")
        assoc = toy["association"]
        change = ", ".join(f"d{d}: {c:+.3f}" for d, c in zip(assoc["lca_depths"], assoc["change_mean"], strict=True))
        lines.append(
            f"  layer-0 token similarity change by LCA depth ({change}); measured order "
            f"{assoc['measured_order']} vs predicted {assoc['predicted_order']}: "
            + ("matches" if assoc["matches_prediction"] else "does NOT match")
        )
    if report.get("transformer"):
        lines.extend(render_section(report["transformer"]))
    if report.get("ablation"):
        lines.extend(render_ablation(report["ablation"]))
    lines.append("verdict: " + ("all checks pass" if report["ok"] else "SOME CHECK FAILED"))
    return "\n".join(lines)
