"""CLI sub-command ``reproduce``: the main job, a thin wrapper over :func:`theory.reproduce.reproduce`."""

from __future__ import annotations

import argparse
import sys

from .. import reproduce as _reproduce
from ._output import Result, add_json_flag

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Register ``reproduce``."""
    p = sub.add_parser("reproduce", help="the main job: proofs, LaTeX, numeric checks, figures, into one directory")
    p.add_argument("--out", default="results", help="output directory (default: results)")
    p.add_argument("--only", nargs="+", choices=[s.name for s in _reproduce.STEPS], help="run only these steps")
    p.add_argument("--sst", metavar="DIR", help="SST data directory (default: ../shared/data/sst)")
    add_json_flag(p)
    p.set_defaults(run=_run)


def _progress(record: _reproduce.StepRecord) -> None:
    sys.stderr.write(record.line() + "\n" + "".join(f"  note: {n}\n" for n in record.notes))
    sys.stderr.flush()


def _run(args: argparse.Namespace) -> Result:
    summary = _reproduce.reproduce(args.out, sst=args.sst, steps=args.only, progress=_progress)
    lines = [record.line() for record in summary.steps]
    lines.append(f"results in {summary.out} (summary.json)")
    return Result(summary.as_dict(), "\n".join(lines), ok=summary.ok)
