"""Seeds, summaries and the ablation of the JoMA Table 1 experiment.

Role: run :func:`theory.hierarchy.transformer.train_transformer` over seeds and over the
differences between the paper's set-up and the toolkit's, and say for each which way the
finding goes.  The finding (Tian et al., "JoMA", ICLR 2024, arXiv 2310.00535, Table 1): the
MLP units of the lowest block align with the lowest latents better than the second block's
units with the second level, :math:`\\mathrm{NCorr}(0) > \\mathrm{NCorr}(1)` (the paper:
0.94-1.00 against 0.55-0.81).  A variant *reproduces* it when the gap
:math:`\\mathrm{NCorr}(0) - \\mathrm{NCorr}(1)` is positive for every seed; each row also
carries the untrained model's gap, so a pattern the architecture and data give before any
training is told apart from one training makes.

Data are given as JSON-able specs (:func:`make_data`): ``{"kind": "combination", ...}`` for the
paper's code's data (:mod:`theory.hierarchy.combination`), ``{"kind": "hblt", ...}`` for a
balanced HBLT (:func:`theory.hierarchy.tree.build_tree`).  The toy MLP of
:mod:`theory.hierarchy.toy` can be run on the same draws (:func:`train_toy_on`), scored with
the same signed measure, for the model ablation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, replace
from statistics import mean
from typing import Any

import numpy as np

from ..errors import InvalidArgument
from .combination import CombinationHierarchy, build_combination
from .posterior import alignment_ceiling
from .toy import ToyConfig, _init, forward_backward
from .transformer import Data, TransformerConfig, TransformerRun, _draw, ncorr, train_transformer
from .tree import build_tree

__all__ = [
    "ABLATIONS",
    "PAPER_DATA",
    "PAPER_RANGES",
    "make_data",
    "render_ablation",
    "render_section",
    "run_ablation",
    "summarise_runs",
    "train_toy_on",
    "transformer_section",
]

#: the paper's Table 1 ranges of NCorr at layer 0 and layer 1
PAPER_RANGES = ((0.94, 1.00), (0.55, 0.81))
#: the JoMA code's data in its Table 1 grid (99 tokens + a pad, 10 and 20 latents, fan-in 3)
PAPER_DATA: dict = {"kind": "combination", "n_tokens": 99, "sizes": [10, 20, 10], "fan_in": [3, 3, 3], "rho": 1.0}
_HBLT_GATED: dict = {"kind": "hblt", "depth": 3, "branching": 5, "channel": "gated", "rho": 0.8, "classes": 5}
_HBLT_SYMMETRIC: dict = {"kind": "hblt", "depth": 3, "branching": 5, "channel": "symmetric", "rho": 0.8, "classes": 2}

#: (name, what differs from the paper's set-up, data spec, config changes, model)
ABLATIONS: tuple[tuple[str, str, dict, dict, str], ...] = (
    ("paper", "the paper's set-up (combination data, 3 blocks, label, max-pool)", PAPER_DATA, {}, "transformer"),
    ("untrained", "no training (0 steps)", PAPER_DATA, {"steps": 0}, "transformer"),
    ("long", "4x the training steps", PAPER_DATA, {"steps_factor": 4}, "transformer"),
    ("2 blocks", "2 transformer blocks instead of 3", PAPER_DATA, {"layers": 2}, "transformer"),
    ("width 128", "width d = 128 instead of 64 (the paper: 1024)", PAPER_DATA, {"d_model": 128}, "transformer"),
    ("next-token", "next-token objective instead of the label", PAPER_DATA, {"objective": "next-token"}, "transformer"),
    ("mlm", "masked-LM objective, bidirectional attention", PAPER_DATA, {"objective": "mlm"}, "transformer"),
    ("mean-pool", "units mean-pooled over positions for the measure", PAPER_DATA, {"pool": "mean"}, "transformer"),
    (
        "frozen embedding",
        "token embedding kept at its random init",
        PAPER_DATA,
        {"freeze_embedding": True},
        "transformer",
    ),
    (
        "noisy combination",
        "combination data, each member emitted w.p. 0.8",
        {**PAPER_DATA, "rho": 0.8},
        {},
        "transformer",
    ),
    ("HBLT gated", "HBLT data (125 tokens, gated, rho 0.8, D 5)", _HBLT_GATED, {}, "transformer"),
    ("HBLT symmetric", "HBLT data (125 tokens, symmetric, rho 0.8, D 2)", _HBLT_SYMMETRIC, {}, "transformer"),
    ("toy MLP", "the toy MLP on bags of tokens (combination data)", PAPER_DATA, {}, "toy"),
    ("toy MLP, HBLT", "the toy MLP on HBLT data (gated)", _HBLT_GATED, {}, "toy"),
)


def make_data(spec: dict, *, seed: int = 0) -> Data:
    """Build the data of a spec (``kind`` "combination" or "hblt"; the other keys are the builder's)."""
    kw = {k: v for k, v in spec.items() if k != "kind"}
    if spec.get("kind") == "combination":
        return build_combination(
            kw.get("n_tokens", 99), tuple(kw["sizes"]), tuple(kw["fan_in"]), rho=kw.get("rho", 1.0), seed=seed
        )
    if spec.get("kind") == "hblt":
        return build_tree(
            kw["depth"], kw["branching"], rho=kw["rho"], channel=kw.get("channel", "symmetric"), classes=kw["classes"]
        )
    raise InvalidArgument(f"unknown data kind {spec.get('kind')!r}; expected 'combination' or 'hblt'")


def train_toy_on(data: Data, *, seed: int = 0, config: ToyConfig | None = None) -> dict:
    """The toy MLP of :mod:`theory.hierarchy.toy` on draws of ``data``, scored with :func:`ncorr`.

    Layer ``s`` of the MLP is matched with level ``s`` (as for the transformer); the bag of
    tokens replaces the sequence, so there is nothing to pool.
    """
    cfg = config or ToyConfig()
    rng = np.random.default_rng(seed)
    x_test, _, names, y_test = _draw(data, cfg.n_test, rng)
    x_train, labels, _, _ = _draw(data, cfg.n_train, rng)
    x_train, x_test = x_train.astype(np.float64), x_test.astype(np.float64)
    params = _init(rng, [x_train.shape[1], *cfg.hidden, data.classes])
    t0 = time.perf_counter()

    def scores() -> list[float | None]:
        hidden = forward_backward(params, x_test, np.zeros(len(x_test), dtype=int))[2]
        return [ncorr(h, y_test[s]) if s < len(y_test) else None for s, h in enumerate(hidden)]

    init = scores()
    ceiling = alignment_ceiling(data, x_test, y_test)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for step in range(1, cfg.steps + 1):  # Adam as in train_toy
        rows = rng.integers(0, cfg.n_train, size=cfg.batch)
        _, grads, _, _ = forward_backward(params, x_train[rows], labels[rows])
        for i, g in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            params[i] = params[i] - cfg.lr * (m[i] / (1 - 0.9**step)) / (np.sqrt(v[i] / (1 - 0.999**step)) + 1e-8)
    return {
        "seed": seed,
        "levels": names,
        "score_init": init,
        "score_trained": scores(),
        "ceiling": ceiling[: len(cfg.hidden)],
        "seconds": time.perf_counter() - t0,
    }


def _stats(values: list[float | None]) -> dict | None:
    vals = [v for v in values if v is not None]
    return {"mean": mean(vals), "min": min(vals), "max": max(vals)} if vals else None


def summarise_runs(runs: list[dict]) -> dict:
    """Mean/min/max over seeds of the layer-0 and layer-1 scores, the gaps, the verdict.

    ``runs`` are :meth:`TransformerRun.as_dict` or :func:`train_toy_on` results.
    """
    out: dict[str, Any] = {"levels": runs[0]["levels"][:2]}
    for key in ("score_trained", "score_init", "score_shuffled", "score_cosine", "ceiling", "token_baseline"):
        if key in runs[0]:
            out[key] = [_stats([r[key][s] if s < len(r[key]) else None for r in runs]) for s in range(2)]
    if all(len(r["score_trained"]) >= 2 for r in runs):
        gaps = [r["score_trained"][0] - r["score_trained"][1] for r in runs]
        gaps_init = [r["score_init"][0] - r["score_init"][1] for r in runs]
        out["gap"], out["gap_init"] = _stats(gaps), _stats(gaps_init)
        out["reproduced"] = all(g > 0 for g in gaps)
        out["reproduced_untrained"] = all(g > 0 for g in gaps_init)
        tr = out["score_trained"]
        out["in_paper_ranges"] = all(lo <= tr[s]["mean"] <= hi for s, (lo, hi) in enumerate(PAPER_RANGES))
    else:  # one block: nothing to compare
        out.update(gap=None, gap_init=None, reproduced=None, reproduced_untrained=None, in_paper_ranges=None)
    out["seconds"] = sum(r["seconds"] for r in runs)
    acc = [r.get("accuracy_test") for r in runs]
    out["accuracy_test"] = _stats(acc)
    return out


def run_ablation(
    seeds: tuple[int, ...] = (0, 1),
    base: TransformerConfig | None = None,
    *,
    names: tuple[str, ...] | None = None,
    toy: ToyConfig | None = None,
    progress: bool = False,
) -> dict:
    """Run the rows of :data:`ABLATIONS` (or those in ``names``) over ``seeds``.

    ``base`` is the paper row's configuration; the ``long`` row multiplies its steps by 4.
    The combination structure is drawn with each run's seed (as the paper's code seeds both).

    Returns
    -------
    dict
        ``base`` (the configuration), ``seeds`` and ``rows`` (name, change, data, model,
        :func:`summarise_runs` fields, ``runs``).
    """
    base = base or TransformerConfig()
    toy = toy or ToyConfig()
    if base.layers < 2:
        raise InvalidArgument(
            f"the ablation compares layer 0 with layer 1: needs layers >= 2, got layers={base.layers}"
        )
    known = [row[0] for row in ABLATIONS]
    for name in names or ():
        if name not in known:
            raise InvalidArgument(f"unknown ablation {name!r}; expected some of: {', '.join(known)}")
    rows = []
    for name, change, spec, changes, model in ABLATIONS:
        if names is not None and name not in names:
            continue
        if "steps_factor" in changes:
            changes = {"steps": base.steps * changes["steps_factor"]}
        cfg = replace(base, **changes)
        runs: list[dict] = []
        for seed in seeds:
            data = make_data(spec, seed=seed)
            if model == "toy":
                runs.append(train_toy_on(data, seed=seed, config=toy))
            else:
                run: TransformerRun = train_transformer(data, seed=seed, config=cfg, progress=progress)
                runs.append(run.as_dict())
        rows.append(
            {"name": name, "change": change, "data": spec, "model": model, **summarise_runs(runs), "runs": runs}
        )
    return {"base": asdict(base), "toy": asdict(toy), "seeds": list(seeds), "rows": rows}


def transformer_section(
    data_for_seed: Callable[[int], Data],
    seeds: tuple[int, ...],
    config: TransformerConfig | None = None,
    *,
    progress: bool = False,
) -> dict:
    """Train over ``seeds`` and summarise (the ``transformer`` part of the report).

    ``data_for_seed(seed)`` gives each run's data: the same tree for every seed, or a
    combination structure drawn with the run's seed (as the paper's code seeds both).
    """
    cfg = config or TransformerConfig()
    runs, summaries = [], []
    for s in seeds:
        data = data_for_seed(s)
        summaries.append(
            data.summary() if isinstance(data, CombinationHierarchy) else {"kind": "hblt", **data.summary()}
        )
        runs.append(train_transformer(data, seed=s, config=cfg, progress=progress).as_dict())
    return {
        "note": "JoMA Table 1 measure: best signed Pearson correlation of a max-pooled MLP unit of "
        "block s with each latent of level s, averaged over the level",
        "data": summaries[0],
        "paper_ranges": [list(r) for r in PAPER_RANGES],
        **summarise_runs(runs),
        "runs": runs,
    }


def _fmt(stats: dict | None) -> str:
    return "-" if stats is None else f"{stats['mean']:.3f} [{stats['min']:.3f}, {stats['max']:.3f}]"


def render_section(section: dict) -> list[str]:
    """Text lines of :func:`transformer_section`."""
    runs = section["runs"]
    cfg = runs[0]["config"]
    lines = [
        f"transformer ({len(runs)} seeds; {cfg['layers']} blocks, d={cfg['d_model']}, {cfg['objective']} "
        f"objective, {cfg['steps']} Adam steps, {section['seconds']:.0f} s):"
    ]
    for s in range(min(2, cfg["layers"])):
        lo, hi = PAPER_RANGES[s]
        lines.append(
            f"  NCorr layer {s} vs {section['levels'][s]}: trained {_fmt(section['score_trained'][s])}, "
            f"untrained {_fmt(section['score_init'][s])}, shuffled {_fmt(section['score_shuffled'][s])}, "
            f"ceiling {_fmt(section['ceiling'][s])}, tokens as units {_fmt(section['token_baseline'][s])} "
            f"(paper {lo:.2f}-{hi:.2f})"
        )
    if section["reproduced"] is None:
        return [*lines, "  one block: no layer 1 to compare"]
    verdict = "layer 0 > layer 1 (the paper's finding)" if section["reproduced"] else "NOT layer 0 > layer 1"
    lines.append(
        f"  gap layer 0 - layer 1: trained {_fmt(section['gap'])}, untrained {_fmt(section['gap_init'])}: {verdict}"
        + (f"; label accuracy {_fmt(section['accuracy_test'])}" if section["accuracy_test"] else "")
    )
    return lines


def render_ablation(ablation: dict) -> list[str]:
    """Text table of :func:`run_ablation`."""
    lines = [
        f"ablation ({len(ablation['seeds'])} seeds; NCorr mean over seeds; gap = layer 0 - layer 1):",
        f"  {'variant':<18} {'layer 0':>7} {'layer 1':>7} {'gap':>7} {'gap@init':>8} {'ceiling 0/1':>11}  "
        "finding trained/untrained  seconds",
    ]
    for row in ablation["rows"]:
        tr, gap, gi, ce = row["score_trained"], row["gap"], row["gap_init"], row["ceiling"]
        ceil = "-" if ce[0] is None or ce[1] is None else f"{ce[0]['mean']:.2f}/{ce[1]['mean']:.2f}"
        lines.append(
            f"  {row['name']:<18} {tr[0]['mean']:>7.3f} {tr[1]['mean']:>7.3f} {gap['mean']:>+7.3f} "
            f"{gi['mean']:>+8.3f} {ceil:>11}  "
            f"{('yes' if row['reproduced'] else 'NO') + '/' + ('yes' if row['reproduced_untrained'] else 'no'):<25}"
            f"{row['seconds']:>8.0f}"
        )
    return lines
