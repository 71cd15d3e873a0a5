"""CLI: ``theory hierarchy`` - hierarchical binary latent trees (JoMA, Sec. 5).

Parses arguments and prints; the work is in :mod:`theory.hierarchy.report`.
"""

from __future__ import annotations

import argparse
import math

from ._output import Result, add_json_flag

# The hierarchy package (SymPy, SciPy, networkx) is imported when the command runs, so
# that `theory --help` and the other commands do not pay for it.


def register(sub: argparse._SubParsersAction) -> None:
    """Register ``theory hierarchy``."""
    p = sub.add_parser(
        "hierarchy",
        help="hierarchical binary latent trees: exact vs Monte Carlo co-occurrence, "
        "learning order, two-layer toy model or a JoMA-style transformer",
        description="Build a hierarchical binary latent tree, compare the exact "
        "co-occurrence P(y_l=1|y_m=1) with Monte Carlo and the closed forms, print the "
        "predicted learning order and the per-layer scores of a two-layer toy model or "
        "(--model transformer) of a small multilayer transformer, as in JoMA's Table 1.",
    )
    p.add_argument("--depth", type=int, default=3, help="edges from root to tokens (default 3)")
    p.add_argument("--branching", type=int, default=2, help="children per node (default 2)")
    p.add_argument("--rho", type=float, default=0.8, help="channel strength in [0, 1] (default 0.8)")
    p.add_argument("--channel", default="symmetric", help="edge law: symmetric (default) or gated")
    p.add_argument("--classes", type=int, default=2, metavar="D", help="label values (default 2)")
    p.add_argument("--samples", type=int, default=20_000, metavar="N", help="Monte Carlo draws (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument(
        "--toy-runs", type=int, default=3, metavar="R", help="toy seeds S..S+R-1, 0 skips (default: %(default)s)"
    )
    p.add_argument("--toy-steps", type=int, default=800, metavar="K", help="toy Adam steps (default: %(default)s)")
    p.add_argument(
        "--model",
        choices=("toy", "transformer"),
        default="toy",
        help="model scored against the latents: the NumPy toy MLP, or a JoMA-style transformer "
        "(needs the torch extra) (default: %(default)s)",
    )
    p.add_argument(
        "--data",
        choices=("hblt", "combination"),
        default="hblt",
        help="transformer data: the tree above, or the JoMA code's combination data "
        "(99 tokens, 10 and 20 latents, D labels, fan-in 3) (default: %(default)s)",
    )
    p.add_argument(
        "--tf-runs", type=int, default=2, metavar="R", help="transformer seeds S..S+R-1 (default: %(default)s)"
    )
    p.add_argument(
        "--tf-steps", type=int, default=600, metavar="K", help="transformer Adam steps (default: %(default)s)"
    )
    p.add_argument("--tf-layers", type=int, default=3, metavar="N", help="transformer blocks (default: %(default)s)")
    p.add_argument("--tf-width", type=int, default=64, metavar="W", help="transformer width d (default: %(default)s)")
    p.add_argument(
        "--objective",
        choices=("label", "next-token", "mlm"),
        default="label",
        help="transformer objective: the label from the last position (the paper's code), "
        "next-token, or masked-LM (default: %(default)s)",
    )
    p.add_argument(
        "--ablation",
        action="store_true",
        help="also run the transformer ablation table (data, depth, objective, pooling, "
        "training length, embedding, toy vs transformer; slow: about 10 min of CPU per seed) (default: off)",
    )
    p.add_argument("--plot", metavar="DIR", default=None, help="write hierarchy-scores.{json,png,pdf}")
    add_json_flag(p)
    p.set_defaults(run=_run)


def _budget_check(args: argparse.Namespace) -> None:
    """Memory and time of ``hierarchy`` from all its sizes together (:mod:`theory._budget`).

    ``tokens = branching**depth`` leaves; Monte Carlo holds ``samples x tokens`` draws and the
    pair table ``(tokens * classes)**2`` entries; each toy Adam step costs ~2e5 operations per
    token (calibrated: the defaults take ~20 s).
    """
    from .. import _budget

    sizes = (args.depth, args.branching, args.classes, args.samples, args.toy_steps)
    if min(sizes) < 1 or args.toy_runs < 0 or args.depth * math.log2(max(args.branching, 2)) > 20:
        return  # out of range (or over the tree's node limit): the library refuses it with its own message
    tokens = args.branching**args.depth
    memory = 8.0 * (4 * args.samples * tokens + 4 * (tokens * args.classes) ** 2)
    seconds = (20.0 * args.samples * tokens + 2e5 * args.toy_runs * args.toy_steps * tokens) / _budget.FLOPS
    _budget.check(
        "hierarchy",
        memory=memory,
        seconds=seconds,
        detail=f"{tokens} tokens, {args.samples} samples, {args.toy_runs} toy runs x {args.toy_steps} steps",
        reduce="--depth, --branching, --samples, --toy-runs or --toy-steps",
    )


def _run(args: argparse.Namespace) -> Result:
    from ..hierarchy.figure import attach_figure
    from ..hierarchy.report import HierarchyConfig, hierarchy_report, render_text
    from ..hierarchy.toy import ToyConfig
    from ..hierarchy.transformer import TransformerConfig

    _budget_check(args)
    config = HierarchyConfig(
        rho=args.rho,
        channel=args.channel,
        classes=args.classes,
        samples=args.samples,
        seed=args.seed,
        toy_runs=args.toy_runs,
        toy_config=ToyConfig(steps=args.toy_steps),
        model=args.model,
        data=args.data,
        transformer_runs=args.tf_runs,
        transformer_config=TransformerConfig(
            steps=args.tf_steps, layers=args.tf_layers, d_model=args.tf_width, objective=args.objective
        ),
        ablation=args.ablation,
        progress=True,
    )
    report = hierarchy_report(args.depth, args.branching, config)
    notes: tuple[str, ...] = ()
    text = render_text(report)
    if args.plot is not None:
        report, notes = attach_figure(report, args.plot)
        text += "\nfigure: " + ", ".join(v for k, v in report["figure"].items() if k != "note" and v)
    return Result(data=report, text=text, ok=report["ok"], notes=notes)
