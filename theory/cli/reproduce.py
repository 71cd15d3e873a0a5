"""CLI sub-command ``reproduce``: the main job, a thin wrapper over :func:`theory.reproduce.reproduce`."""

from __future__ import annotations

import argparse

from .. import reproduce as _reproduce
from .._progress import is_quiet, say
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
    """Stream each step to stderr as it finishes (nothing with --quiet)."""
    say(record.line() + "".join(f"\n  note: {n}" for n in record.notes))


def _run(args: argparse.Namespace) -> Result:
    summary = _reproduce.reproduce(args.out, sst=args.sst, steps=args.only, progress=_progress)
    counts: dict[str, int] = {}
    for record in summary.steps:
        counts[record.status] = counts.get(record.status, 0) + 1
    # the step lines were streamed to stderr as each step finished; stdout repeats them only
    # when they were not shown (--quiet), so a terminal never shows them twice
    lines = [] if not is_quiet() else [record.line() for record in summary.steps]
    tally = ", ".join(f"{n} {status}" for status, n in counts.items())
    lines.append(f"{len(summary.steps)} steps ({tally}); results in {summary.out} (summary.json)")
    return Result(summary.as_dict(), "\n".join(lines), ok=summary.ok)
