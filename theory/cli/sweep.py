"""CLI: ``theory sweep SPEC.toml [--status] [--scheduler ADDRESS] [--json]`` (resumable sweeps).

No logic here: parse, call :func:`theory.sweep.run_sweep` or :func:`theory.sweep.sweep_status`,
print.
"""

from __future__ import annotations

import argparse

from ..errors import InvalidArgument
from ._output import Result, add_json_flag

__all__ = ["register"]

_MAX_FAILED_SHOWN = 20


def register(sub: argparse._SubParsersAction) -> None:
    """Register ``sweep``."""
    p = sub.add_parser(
        "sweep",
        help="run a grid of check / simulate / figure / discover jobs, resumably (SQLite store)",
        description="Expand the grids of SPEC.toml into jobs, run those not yet recorded on a local process pool "
        "or a dask.distributed cluster, and append each result to an SQLite store keyed by the job's content "
        "hash. Killed at any point, the same command resumes and recomputes nothing that finished. "
        "See docs/sweeps.md for the spec format.",
    )
    p.add_argument("spec", metavar="SPEC.toml", help="the sweep specification (TOML)")
    p.add_argument("--status", action="store_true", help="report what is done / failed / pending; run nothing")
    p.add_argument(
        "--store", metavar="FILE", help="SQLite store (default: sweep.store of the spec, else SPEC with .sqlite)"
    )
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help="dask.distributed scheduler, e.g. tcp://10.0.0.1:8786 (default: none)"
    )
    p.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        help="seconds to wait for the --scheduler (default: %(default)s)",
    )
    p.add_argument("--workers", type=int, help="local process pool size (default: one per CPU core)")
    p.add_argument(
        "--max-jobs", type=int, default=1000, help="refuse a spec holding more jobs than this (default: %(default)s)"
    )
    p.add_argument("--trace", metavar="FILE", help="append 'time run hash pid' per job start to FILE (default: none)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    add_json_flag(p)
    p.set_defaults(run=_sweep)


def _text(data: dict) -> str:
    lines = [
        f"sweep {data['name']}: {data['total']} jobs, {data['done']} done, {data['failed']} failed, "
        f"{data['pending']} pending (store {data['store']})"
    ]
    if data["not_ok"]:
        lines.append(f"{data['not_ok']} done with a verdict other than the expected one")
    run = data.get("run")
    if run is not None:
        lines.append(
            f"this run: computed {run['computed']}, {run['already_recorded']} already recorded, "
            f"{run['seconds']:.1f} s on {run['executor']}"
        )
    failed = [j for j in data["jobs"] if j["status"] == "failed"]
    for job in failed[:_MAX_FAILED_SHOWN]:
        lines.append(f"  failed: {job['label']} [{job['hash'][:12]}]: {job['error']}")
    if len(failed) > _MAX_FAILED_SHOWN:
        lines.append(f"  ... and {len(failed) - _MAX_FAILED_SHOWN} more (see --status --json)")
    return "\n".join(lines)


def _sweep(args: argparse.Namespace) -> Result:
    from ..sweep import load_spec, run_sweep, sweep_status

    if not 1 <= args.max_jobs <= 10_000_000:
        raise InvalidArgument(f"--max-jobs must be in [1, 10000000], got {args.max_jobs}")
    if args.workers is not None and not 1 <= args.workers <= 1024:
        raise InvalidArgument(f"--workers must be in [1, 1024], got {args.workers}")
    if args.status and (args.scheduler or args.workers or args.trace):
        raise InvalidArgument("--status runs nothing; drop --scheduler / --workers / --trace")
    spec = load_spec(args.spec, max_jobs=args.max_jobs)
    if args.status:
        data = sweep_status(spec, args.store)
        return Result(data=data, text=_text(data), ok=True)
    data = run_sweep(
        spec,
        store=args.store,
        scheduler=args.scheduler,
        workers=args.workers,
        quiet=args.quiet,
        trace=args.trace,
        connect_timeout=args.connect_timeout,
    )
    return Result(data=data, text=_text(data), ok=data["failed"] == 0 and data["pending"] == 0)
