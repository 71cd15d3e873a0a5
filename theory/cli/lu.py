"""CLI: ``theory lu synthetic`` and ``theory lu sst`` (Lu, Mao & Nayak 2021 experiments).

No logic here: arguments are parsed and handed to :mod:`theory.lu.report`; figures come from
:func:`theory.lu.report.with_figures` when ``--plot DIR`` is given and matplotlib is installed.
"""

from __future__ import annotations

import argparse

from ..errors import InvalidArgument
from ._output import Result, add_json_flag


def _floats(text: str) -> tuple[float, ...]:
    try:
        vals = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise InvalidArgument(f"expected comma-separated numbers, got {text!r}") from None
    return vals


def _pad(text: str) -> int | str | None:
    if text in ("max", "none"):
        return None if text == "none" else "max"
    try:
        return int(text)
    except ValueError:
        raise InvalidArgument(f"expected --pad-to max, none or an integer, got {text!r}") from None


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


def _synthetic(args: argparse.Namespace) -> Result:
    from ..lu.report import SyntheticConfig, synthetic_report, with_figures

    rep = synthetic_report(SyntheticConfig.from_namespace(args))
    if args.plot:
        rep = with_figures(rep, "synthetic", args.plot)
    return Result(data=rep.data, text=rep.text, ok=rep.ok, notes=rep.notes)


def _sst(args: argparse.Namespace) -> Result:
    from ..lu.report import sst_report, with_figures

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
