"""CLI: ``theory lu synthetic`` and ``theory lu sst`` (Lu, Mao & Nayak 2021 experiments).

No logic here: arguments are parsed and handed to :mod:`theory.lu.report`; figures come from
:func:`theory.lu.report.with_figures` when ``--plot DIR`` is given and matplotlib is installed.
"""

from __future__ import annotations

import argparse
import math

from ..errors import InvalidArgument
from ._output import Result, add_json_flag


def _floats(text: str) -> tuple[float, ...]:
    try:
        vals = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise InvalidArgument(f"expected comma-separated numbers, got {text!r}") from None
    if not vals or not all(math.isfinite(v) and v > 0 for v in vals):
        raise InvalidArgument(f"expected comma-separated positive finite numbers, got {text!r}")
    return vals


def _pad(text: str) -> int | str | None:
    if text in ("max", "none"):
        return None if text == "none" else "max"
    try:
        value = int(text)
    except ValueError:
        raise InvalidArgument(f"expected --pad-to max, none or a positive integer, got {text!r}") from None
    if value < 1:
        raise InvalidArgument(f"expected --pad-to max, none or a positive integer, got {text!r}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    """Register ``lu synthetic`` and ``lu sst``."""
    lu = sub.add_parser("lu", help="Lu et al. (2021): score / embedding-norm identity experiments")
    lsub = lu.add_subparsers(dest="lu_command", metavar="SUBCOMMAND", parser_class=type(lu))
    lu.set_defaults(run=_no_subcommand)

    p = lsub.add_parser("synthetic", help="identity, negative control, convergence, ablations")
    p.add_argument(
        "--classifier",
        default="FC",
        choices=["FC", "TC", "TL"],
        help="FC fixed linear, TC trainable linear, TL two-layer ReLU (default: %(default)s)",
    )
    p.add_argument(
        "--epochs", type=int, default=5000, help="convergence run length (default: %(default)s, as the paper)"
    )
    p.add_argument(
        "--lr", type=float, default=0.1, help="convergence learning rate (default: %(default)s, as the paper)"
    )
    p.add_argument("--lrs", type=_floats, default=(0.8, 0.4, 0.2), help="identity rates (default: 0.8,0.4,0.2)")
    p.add_argument("--horizon", type=float, default=500.0, help="identity horizon lr*epochs (default: %(default)s)")
    p.add_argument("--d", type=int, default=10, help="embedding size d_e = d_k (default: %(default)s)")
    p.add_argument("--n-sentences", type=int, default=5000, help="synthetic sentences (default: %(default)s)")
    p.add_argument("--n-nontopic", type=int, default=5000, help="non-topic vocabulary size (default: %(default)s)")
    p.add_argument("--m", type=int, default=20, help="non-topic words per sentence (default: %(default)s)")
    p.add_argument("--ablation-epochs", type=int, default=2000, help="ablation run length (default: %(default)s)")
    p.add_argument("--sweep", action="store_true", help="also sweep vocabulary size and m")
    p.add_argument("--sweep-epochs", type=int, default=1000, help="with --sweep: run length (default: %(default)s)")
    p.add_argument(
        "--sweep-sentences", type=int, default=5000, help="with --sweep: sentences per run (default: %(default)s)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument(
        "--fc-init",
        default="code",
        choices=["code", "scaled"],
        help="FC classifier start: 'code' = the published code's (standard normal, diagonal 1), "
        "'scaled' = N(0, 1/d_e) (default: %(default)s)",
    )
    p.add_argument("--plot", metavar="DIR", help="write PNG+PDF figures into DIR")
    add_json_flag(p)
    p.set_defaults(run=_synthetic)

    s = lsub.add_parser("sst", help="SST2/SST5: accuracy, identity for top words, purity shift")
    s.add_argument("--data", required=True, metavar="DIR", help="directory with stsa.* files")
    s.add_argument("--task", default="sst2", choices=["sst2", "sst5"], help="binary or 5-class (default: %(default)s)")
    s.add_argument(
        "--classifier",
        default="TC",
        choices=["FC", "TC", "TL"],
        help="FC fixed linear, TC trainable linear, TL two-layer ReLU (default: %(default)s)",
    )
    s.add_argument("--epochs", type=int, default=1000, help="training epochs (default: %(default)s)")
    s.add_argument("--lr", type=float, default=None, help="default: 50 for FC, 10 for TC/TL")
    s.add_argument("--d", type=int, default=10, help="embedding size d_e = d_k (default: %(default)s)")
    s.add_argument("--pad-to", type=_pad, default="max", help="max (default), none or a length")
    s.add_argument("--max-train", type=int, default=None, help="use the first N training lines")
    s.add_argument("--top", type=int, default=100, help="words in the identity / purity sets (default: %(default)s)")
    s.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    s.add_argument(
        "--fc-init",
        default="code",
        choices=["code", "scaled"],
        help="FC classifier start: 'code' = the published code's (standard normal, diagonal 1), "
        "'scaled' = N(0, 1/d_e) (default: %(default)s)",
    )
    s.add_argument("--plot", metavar="DIR", help="write PNG+PDF figures into DIR")
    add_json_flag(s)
    s.set_defaults(run=_sst)


def _no_subcommand(args: argparse.Namespace) -> Result:
    raise InvalidArgument("choose a sub-command: `theory lu synthetic` or `theory lu sst`")


def _synthetic_budget(args: argparse.Namespace) -> None:
    """Memory and time of ``lu synthetic`` from all its sizes together (:mod:`theory._budget`).

    Every run holds the one-hot batch ``n_sentences x (m + 1)`` tokens of dimension ``d``
    (forward and backward: ~6 arrays) and the embeddings; an epoch costs ~2 passes of
    :data:`theory._budget.FLOPS` over it (calibrated: the defaults take ~3.5 min, ``--sweep`` ~20).
    Runs: identity + control at each rate (``horizon / lr`` epochs each), convergence,
    ablations (3), and with ``--sweep`` 2 per (vocabulary, m) point of the sweep.
    """
    from .. import _budget

    sizes = {
        "--epochs": args.epochs,
        "--n-sentences": args.n_sentences,
        "--n-nontopic": args.n_nontopic,
        "--m": args.m,
        "--d": args.d,
        "--ablation-epochs": args.ablation_epochs,
    }
    for name, value in sizes.items():
        if value < 1:
            raise InvalidArgument(f"{name} must be a positive integer, got {value}")
    if not args.horizon > 0:
        raise InvalidArgument(f"--horizon must be positive, got {args.horizon}")
    per_epoch = args.n_sentences * (args.m + 1) * args.d
    epochs = 2 * sum(args.horizon / lr for lr in args.lrs) + args.epochs + 3 * args.ablation_epochs
    if args.sweep:
        epochs += 2 * 27 * args.sweep_epochs * max(args.sweep_sentences / args.n_sentences, 1.0)
    memory = 8.0 * (6 * per_epoch + 4 * (args.n_nontopic + 2) * args.d)
    _budget.check(
        "lu synthetic",
        memory=memory,
        seconds=2.0 * per_epoch * epochs / _budget.FLOPS,
        detail=f"{epochs:.3g} epochs over {args.n_sentences} sentences x {args.m + 1} tokens x d={args.d}",
        reduce="--epochs, --n-sentences, --m or --d",
    )


def _sst_budget(args: argparse.Namespace) -> None:
    """Memory and time of ``lu sst``: padded length x training sentences x ``d`` (see above)."""
    from pathlib import Path

    from .. import _budget

    for name, value in {"--epochs": args.epochs, "--d": args.d, "--top": args.top}.items():
        if value < 1:
            raise InvalidArgument(f"{name} must be a positive integer, got {value}")
    stem = "stsa.binary" if args.task == "sst2" else "stsa.fine"
    train = Path(args.data) / f"{stem}.train"
    try:
        with train.open("rb") as fh:
            lines = sum(1 for _ in fh)
    except OSError:
        return  # the loader names the missing file
    if args.max_train is not None:
        lines = min(lines, max(args.max_train, 1))
    length = args.pad_to if isinstance(args.pad_to, int) else 64  # SST sentences are at most ~60 words
    vocab = min(lines * length, 30_000)
    per_epoch = lines * length * args.d
    _budget.check(
        "lu sst",
        memory=8.0 * (6 * per_epoch + 4 * vocab * args.d),
        seconds=2.0 * per_epoch * args.epochs / _budget.FLOPS,
        detail=f"{lines} sentences x length {length} x d={args.d}, {args.epochs} epochs",
        reduce="--pad-to, --d, --epochs or --max-train",
    )


def _synthetic(args: argparse.Namespace) -> Result:
    from ..lu.report import SyntheticConfig, synthetic_report, with_figures

    _synthetic_budget(args)
    rep = synthetic_report(SyntheticConfig.from_namespace(args))
    if args.plot:
        rep = with_figures(rep, "synthetic", args.plot)
    return Result(data=rep.data, text=rep.text, ok=rep.ok, notes=rep.notes)


def _sst(args: argparse.Namespace) -> Result:
    from ..lu.report import sst_report, with_figures

    _sst_budget(args)
    rep = sst_report(
        args.data,
        task=args.task,
        classifier=args.classifier,
        epochs=args.epochs,
        lr=args.lr,
        d=args.d,
        seed=args.seed,
        pad_to=args.pad_to,
        max_train=args.max_train,
        top=args.top,
        fc_init=args.fc_init,
    )
    if args.plot:
        rep = with_figures(rep, "sst", args.plot)
    return Result(data=rep.data, text=rep.text, ok=rep.ok, notes=rep.notes)
