"""CLI: ``theory discover`` and ``theory count-laws`` (conservation laws of any model)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InvalidArgument
from ._output import Result, add_json_flag

__all__ = ["register"]

_MODEL_HELP = "a named model (see `theory show`) or a Python file defining model() (e.g. my_block.py)"


def register(sub: argparse._SubParsersAction) -> None:
    """Register ``discover`` and ``count-laws``."""
    p = sub.add_parser("discover", help="find, prove and count the conservation laws of a model")
    p.add_argument("model", metavar="MODEL", help=_MODEL_HELP)
    p.add_argument("--sizes", metavar="M=2,K=1,...", help="sizes of a named model (default: its defaults)")
    p.add_argument("--degree", type=int, default=2, help="largest degree of the polynomial ansatz (default: 2)")
    _ansatz_options(p)
    p.add_argument("--no-count", action="store_true", help="skip the Lie-algebra count of independent laws")
    p.add_argument("--check", action="store_true", help="check each law by gradient descent (slope ~1; control ~0)")
    p.add_argument("--latex", metavar="DIR", help="write each independent law's proof as LaTeX into DIR")
    p.add_argument(
        "--symmetries",
        action="store_true",
        help="also find symmetries of the loss (shifts, rescalings, Q -> AQ, K -> A^-T K) and their Noether charges",
    )
    p.add_argument(
        "--momentum",
        action="store_true",
        help="laws of the heavy-ball flow a theta'' + b theta' = -grad L instead, in the family "
        "m(theta, p) + exp(b t/a) n(theta, p), and which gradient-flow laws it loses (default: off, gradient flow)",
    )
    add_json_flag(p)
    p.set_defaults(run=_discover)

    p = sub.add_parser("count-laws", help="the number of independent conservation laws (D - dim Lie(V))")
    p.add_argument("model", metavar="MODEL", help=_MODEL_HELP)
    p.add_argument("--sizes", metavar="M=2,K=1,...", help="sizes of a named model (default: its defaults)")
    p.add_argument("--degree", type=int, default=2, help="degree of the ansatz compared with the count (default: 2)")
    _ansatz_options(p)
    add_json_flag(p)
    p.set_defaults(run=_count)


def _ansatz_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--family",
        default="polynomial",
        metavar="F[,F]",
        help="ansatz families, comma-separated: polynomial (always), exp (exponentials of the model's logits "
        "times monomials), quotient (monomials over the model's denominators) (default: polynomial)",
    )
    p.add_argument("--max-depth", type=int, default=4, help="deepest Lie bracket of the count, 1-8 (default: 4)")


def _spec(args: argparse.Namespace):  # -> ModelSpec
    from ..models.loader import load_model_file
    from ..models.registry import build_model

    if args.model.endswith(".py") or Path(args.model).suffix:
        if args.sizes:
            raise InvalidArgument("--sizes goes with a named model; a model file fixes its own sizes")
        return load_model_file(args.model)
    return build_model(args.model, args.sizes)


def _families(text: str) -> tuple[str, ...]:
    from ..symbolic.families import FAMILIES

    names = tuple(f.strip() for f in text.split(",") if f.strip())
    bad = [f for f in names if f not in FAMILIES]
    if bad or not names:
        raise InvalidArgument(
            f"--family {text!r}: unknown family {bad[0] if bad else '(none)'}; use some of {', '.join(FAMILIES)}"
        )
    return names


def _render(d: dict) -> str:
    kinds = " + ".join(d["families"])
    lines = [f"{d['model']}: {d['parameters']} parameters, laws of degree <= {d['degree']} in the {kinds} ansatz"]
    for i, law in enumerate(d["laws"], start=1):
        tag = "independent" if law["independent"] else "dependent  "
        check = ""
        if law["slope"] is not None:
            check = f"  GD slope {law['slope']:.2f} (control {law['control_slope']:.2f}): {law['numeric']}"
        lines.append(f"  {i:>2}. {law['verdict']} {tag} {law['law']}{check}")
    lines.append(f"independent laws found: {d['independent']}")
    if d["count"] is not None:
        verdict = (
            "complete: the proved laws meet the upper bound, so list and count are exact"
            if d["complete"]
            else "not shown complete: raise --degree (laws outside the ansatz) or the bound is loose"
        )
        lines.append(f"count: {d['count_note']}; list {verdict}")
    elif d["count_note"]:
        lines.append(d["count_note"])
    for sym in d.get("symmetries") or []:
        span = "a function of the laws above" if sym["in_span"] else "NOT among the laws above"
        lines.append(f"symmetry {sym['action']}: charge {sym['charge']} ({sym['verdict']}; {span})")
    return "\n".join(lines)


def _discover(args: argparse.Namespace) -> Result:
    from .._io import atomic_write_text, ensure_dir
    from ..checks.discovery import discover

    if args.momentum:
        return _momentum(args)
    spec = _spec(args)
    directory = ensure_dir(Path(args.latex)) if args.latex else None
    found = discover(
        spec,
        args.degree,
        count=not args.no_count,
        check=args.check,
        latex=directory is not None,
        symmetries=args.symmetries,
        families=_families(args.family),
        max_depth=args.max_depth,
    )
    data = found.as_dict()
    if directory is not None:
        written = []
        for i, law in enumerate(found.laws, start=1):
            if law.document is not None:
                path = directory / f"{spec.name}-law-{i}.tex"
                atomic_write_text(path, law.document)
                written.append(str(path))
        data["latex_files"] = written
    ok = found.complete is not False and all(law.numeric in (None, "conserved") for law in found.laws)
    return Result(data, _render(data), ok=ok)


def _momentum(args: argparse.Namespace) -> Result:
    """``discover --momentum``: :func:`theory.symbolic.momentum.momentum_laws` (a separate verb's worth)."""
    from ..symbolic.momentum import momentum_laws

    clash = [
        flag for flag, on in (("--check", args.check), ("--latex", args.latex), ("--symmetries", args.symmetries)) if on
    ]
    if clash:
        raise InvalidArgument(f"{', '.join(clash)} apply to gradient-flow discovery only, not --momentum; drop them")
    found = momentum_laws(_spec(args), args.degree)
    data = found.as_dict()
    lines = [f"{data['model']}: {data['flow']}, laws of degree <= {data['degree']} in (theta, p) "]
    lines[0] += f"times 1 or exp({found.b}*{found.t}/{found.a})"
    for i, law in enumerate(data["laws"], start=1):
        tag = "independent" if law["independent"] else "dependent  "
        lines.append(f"  {i:>2}. {'proved' if law['proved'] else 'NOT proved'} {tag} {law['law']}")
    lines.append(f"laws found: {len(data['laws'])}, independent: {data['independent']}")
    for lost in data["lost"]:
        state = "kept" if lost["conserved_under_momentum"] else "lost" if lost["certified"] else "undecided"
        lines.append(f"gradient-flow law {lost['law']}: {state} under momentum ({lost['method']})")
    ok = all(law["proved"] for law in data["laws"])
    return Result(data, "\n".join(lines), ok=ok)


def _count(args: argparse.Namespace) -> Result:
    from ..checks.discovery import discover

    found = discover(_spec(args), args.degree, count=True, families=_families(args.family), max_depth=args.max_depth)
    data = {k: v for k, v in found.as_dict().items() if k != "laws"}
    kinds = " + ".join(found.families)
    text = f"{found.model}: {data['count_note']}; the degree-{args.degree} {kinds} ansatz finds {found.independent}"
    text += " (complete)" if found.complete else " (incomplete)" if found.complete is False else ""
    return Result(data, text, ok=found.complete is not False)
