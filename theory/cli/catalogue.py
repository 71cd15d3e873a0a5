"""CLI sub-commands ``list``, ``prove`` and ``show``: thin wrappers over :mod:`theory.catalogue`."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InvalidArgument
from ._output import Result, add_json_flag, format_table

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Register ``list``, ``prove`` and ``show``."""
    p = sub.add_parser("list", help="the catalogue of theorems, one line each")
    add_json_flag(p)
    p.set_defaults(run=_list)

    p = sub.add_parser("prove", help="prove catalogue theorems, or a quantity of your own")
    p.add_argument("names", nargs="*", metavar="NAME", help="catalogue entries (see `theory list`)")
    p.add_argument("--all", action="store_true", help="every catalogue entry")
    p.add_argument("--latex", metavar="DIR", help="write each derivation as DIR/NAME.tex")
    p.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: one per CPU core)")
    p.add_argument("--model", help="a model (see `theory show`) for --quantity")
    p.add_argument(
        "--quantity",
        action="append",
        metavar="EXPR",
        help="a quantity in the model's symbols; repeat for vector components",
    )
    p.add_argument("--sizes", metavar="M=2,K=1,...", help="model sizes for --model")
    p.add_argument(
        "--expect",
        choices=("proved", "refuted", "conditional", "unproven"),
        help="with --quantity: exit 1 unless this verdict is reached (`unproven` never satisfies `proved`)",
    )
    add_json_flag(p)
    p.set_defaults(run=_prove)

    p = sub.add_parser("show", help="a model's parameters, symbols and assumptions")
    p.add_argument("model", metavar="MODEL", nargs="?", help="model name (omit to list the models)")
    p.add_argument("--sizes", metavar="M=2,K=1,...", help="model sizes")
    add_json_flag(p)
    p.set_defaults(run=_show)


def _list(args: argparse.Namespace) -> Result:
    from ._index import catalogue_index

    rows = catalogue_index()  # read from the modules' source: no SymPy at start-up
    if rows is None:
        from .. import commands

        rows = commands.catalogue_rows()
    return Result(rows, format_table(rows, ("name", "expected", "summary")))


def _prove(args: argparse.Namespace) -> Result:
    from .. import commands

    if args.model or args.quantity:
        if args.names or args.all:
            raise InvalidArgument("--model/--quantity prove your own quantity; do not also name catalogue entries")
        if not (args.model and args.quantity):
            raise InvalidArgument("--quantity needs --model (and --model needs --quantity); see `theory show`")
        row = commands.prove_user_quantity(
            args.model, args.quantity, sizes=args.sizes, latex_dir=Path(args.latex) if args.latex else None
        )
        ok = args.expect is None or row["verdict"] == args.expect
        row["expected"] = args.expect
        return Result([row], commands.format_outcomes([row]), ok=ok)
    if args.sizes or args.expect:
        raise InvalidArgument("--sizes and --expect go with --model/--quantity")
    if args.all and args.names:
        raise InvalidArgument("give catalogue names or --all, not both")
    if not (args.all or args.names):
        raise InvalidArgument("name at least one theorem (see `theory list`) or pass --all")
    if args.jobs is not None and args.jobs < 1:
        raise InvalidArgument(f"--jobs must be a positive integer, got {args.jobs}")
    rows = commands.prove_entries(
        None if args.all else args.names, latex_dir=Path(args.latex) if args.latex else None, jobs=args.jobs
    )
    return Result(rows, commands.format_outcomes(rows), ok=all(r["ok"] for r in rows))


def _show(args: argparse.Namespace) -> Result:
    from .. import commands

    if args.model is None:
        rows = commands.model_rows()
        return Result(rows, commands.format_table(rows, ("name", "sizes", "description")))
    data = commands.describe_model(args.model, args.sizes)
    return Result(data, commands.format_model(data))
