"""CLI: ``theory check`` (the numerical oracle) and ``theory simulate`` (the JoMA flow at any M)."""

from __future__ import annotations

import argparse
import math

from ..errors import InvalidArgument
from ._output import Result, add_json_flag


def register(sub: argparse._SubParsersAction) -> None:
    """Register ``check`` and ``simulate``."""
    p = sub.add_parser(
        "check",
        help="check catalogue invariants numerically (GD drift slope in eta, ODE drift)",
        description="Gradient descent from a random start on an independent NumPy model: the drift of a "
        "conserved quantity over a fixed horizon must shrink linearly in eta (slope in [0.8, 1.2]); "
        "negative controls drift O(1) (slope near 0).",
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="catalogue entries (see `theory list`)")
    p.add_argument("--all", action="store_true", help="check every catalogue entry")
    p.add_argument("--seed", type=int, default=0, help="seed of data and start (default 0)")
    p.add_argument("--starts", type=int, default=2, help="random starts per invariant (default 2)")
    add_json_flag(p)
    p.set_defaults(run=_check)

    s = sub.add_parser(
        "simulate",
        help="integrate the JoMA gradient flow (index-form, any number of tokens)",
        description="Solve the gradient flow of a JoMA block with squared loss on random simplex data.",
    )
    from ..numeric.choices import METHODS, SIM_MODELS

    s.add_argument("model", metavar="MODEL", help=f"one of: {', '.join(SIM_MODELS)}")
    s.add_argument("--tokens", type=int, default=20, help="contextual tokens M (default 20)")
    s.add_argument("--hidden", type=int, default=4, help="hidden nodes K (default 4)")
    s.add_argument("--samples", type=int, default=16, help="samples N (default 16)")
    s.add_argument("--t-end", type=float, default=10.0, help="horizon (default 10)")
    s.add_argument("--method", default="DOP853", help=f"ODE method: {', '.join(METHODS)} (default DOP853)")
    s.add_argument("--temperature", type=float, default=1.0, help="attention temperature T (default 1)")
    s.add_argument("--eta-w", type=float, default=1.0, help="learning rate of w (default 1)")
    s.add_argument("--eta-z", type=float, default=1.0, help="learning rate of z (default 1)")
    s.add_argument("--activation", default="tanh", help="hidden activation (default tanh)")
    s.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    s.add_argument(
        "--snapshots",
        type=int,
        default=11,
        help="states stored, evenly spaced on [0, t_end] with both ends (default 11); memory is reported",
    )
    s.add_argument("--out", metavar="FILE.npz", help="write t, y, quantity, x, targets (atomic)")
    add_json_flag(s)
    s.set_defaults(run=_simulate)


def _fmt(v: float | None, spec: str = ".3g") -> str:
    return "-" if v is None else format(v, spec)


def _check(args: argparse.Namespace) -> Result:
    from ..checks.catalogue_run import check_entries, format_checks

    if args.all == bool(args.names):
        raise InvalidArgument("give catalogue names or --all (not both, not neither); see `theory list`")
    data = check_entries(None if args.all else args.names, seed=args.seed, starts=args.starts)
    return Result(data=data, text=format_checks(data), ok=data["ok"])


def _simulate(args: argparse.Namespace) -> Result:
    from .._io import atomic_savez
    from ..numeric.simulate import JomaSimulationConfig, simulate_joma

    for name in ("t_end", "temperature", "eta_w", "eta_z"):
        if not math.isfinite(getattr(args, name)):
            raise InvalidArgument(f"expected a finite --{name.replace('_', '-')}, got {getattr(args, name)!r}")
    if args.out is not None:
        from pathlib import Path

        if not args.out.endswith(".npz"):
            raise InvalidArgument(f"output file {args.out!r} must end in .npz")
        parent = Path(args.out).parent
        if not parent.is_dir():  # fail before the (possibly long) simulation, not after
            raise InvalidArgument(f"directory {str(parent)!r} for output {args.out!r} does not exist; create it first")
    config = JomaSimulationConfig(
        tokens=args.tokens,
        hidden=args.hidden,
        samples=args.samples,
        t_end=args.t_end,
        method=args.method,
        seed=args.seed,
        temperature=args.temperature,
        eta_w=args.eta_w,
        eta_z=args.eta_z,
        activation=args.activation,
        n_points=args.snapshots,
    )
    sim = simulate_joma(args.model, config)
    data = dict(sim.summary)
    if args.out:
        atomic_savez(args.out, sim.arrays())
        data["out"] = args.out
    s = data
    text = "\n".join(
        [
            f"{s['model']}: M={s['sizes']['M']} K={s['sizes']['K']} N={s['sizes']['N']}, "
            f"state size {s['state_size']}, {s['method']} rtol={s['rtol']:g}",
            f"status: {s['status']} at t = {s['t_stop']:.6g} ({s['message']}), {s['nfev']} rhs evaluations, "
            f"{s['seconds']['solve']:.2f} s",
            f"loss: {s['loss']['start']:.6g} -> {s['loss']['end']:.6g}",
            f"attention entropy: {s['attention_entropy']['start']:.4f} -> {s['attention_entropy']['end']:.4f} "
            f"(max ln M = {s['attention_entropy']['max']:.4f})",
            f"{s['quantity']} quantity drift: {_fmt(s['quantity_drift'], '.3e')} ({s['quantity_expected']})",
            f"compiled flow: {s['compile_cache']} ({s['seconds']['compile']:.3f} s); "
            f"{s['memory']['snapshots']} snapshots stored, {s['memory']['stored_mb']:.1f} MB"
            + (f", peak RSS {s['memory']['peak_rss_mb']:.0f} MB" if "peak_rss_mb" in s["memory"] else ""),
            *([f"wrote {args.out}"] if args.out else []),
        ]
    )
    return Result(data=data, text=text, ok=s["status"] != "failed")
