"""What every sub-command shares, in one place: common options, argument checks, the error guard.

* :func:`add_common_options` walks the finished parser: every leaf sub-command gets
  ``--quiet``, ``--max-memory`` and ``--max-seconds``; every ``--seed`` becomes a
  non-negative 32-bit integer (NumPy's seed range) and every ``float`` option finite,
  both checked by argparse (one line, exit 2) instead of deep inside NumPy.
* :func:`check_outputs` checks output paths (``--out``, ``--save``, ``--plot``, ``--latex``,
  ``--outputs``) before any work starts.
* :func:`guarded` runs a command under its budget and quiet flag and turns every failure
  into one line on stderr: :class:`~theory.errors.TheoryError` and ``OSError`` (exit 2),
  ``MemoryError`` (exit 2, with the option that bounds memory), anything else (exit 3, a bug:
  ``THEORY_DEBUG=1`` shows the traceback).  SIGTERM is turned into an exit that runs the
  clean-up of temporary files.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import _budget, _progress
from ..errors import TheoryError

__all__ = ["add_common_options", "check_outputs", "finite_float", "guarded", "seed"]

_SEED_MAX = 2**32 - 1
_FILE_OPTIONS = ("save",)  #: options that always name a file
_DIR_OPTIONS = ("plot", "latex")  #: options that always name a directory


def seed(text: str) -> int:
    """A seed: an integer in [0, 2**32 - 1] (what NumPy accepts)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a seed (an integer from 0 to {_SEED_MAX}), got {text!r}") from None
    if not 0 <= value <= _SEED_MAX:
        raise argparse.ArgumentTypeError(f"seed must be from 0 to {_SEED_MAX}, got {text}; pass e.g. --seed 0")
    return value


def finite_float(text: str) -> float:
    """A finite float (``nan``, ``inf`` and overflowing literals such as ``1e400`` refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _leaves(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from _leaves(sub)
            return
    yield parser


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """Give every leaf sub-command the common options and the central argument types."""
    for leaf in _leaves(parser):
        if leaf is parser:
            continue
        for action in leaf._actions:
            if action.dest == "seed" and action.type is int:
                action.type = seed
            elif action.type is float:
                action.type = finite_float
        options = {s for a in leaf._actions for s in a.option_strings}
        group = leaf.add_argument_group("resources and output")
        if "--quiet" not in options:
            group.add_argument("--quiet", action="store_true", help="no progress lines on stderr (default: off)")
        group.add_argument(
            "--max-memory",
            type=_budget.parse_bytes,
            metavar="SIZE",
            help="memory budget, e.g. 8G; work estimated beyond it is refused before it starts "
            f"(default: env THEORY_MAX_MEMORY or {_budget.format_bytes(_budget.DEFAULT_MAX_MEMORY)})",
        )
        group.add_argument(
            "--max-seconds",
            type=_budget.parse_seconds,
            metavar="TIME",
            help="time budget, e.g. 600 or 2h; work estimated beyond it is refused, proofs past it stop "
            f"as 'timeout' (default: env THEORY_MAX_SECONDS or {_budget.format_seconds(_budget.DEFAULT_MAX_SECONDS)})",
        )


def check_outputs(args: argparse.Namespace) -> None:
    """Check every output path of ``args`` before any work starts."""
    files = [getattr(args, name, None) for name in _FILE_OPTIONS]
    dirs = [getattr(args, name, None) for name in _DIR_OPTIONS]
    out = getattr(args, "out", None)
    if out:
        (files if str(out).endswith((".npz", ".json")) else dirs).append(out)
    if not any(files) and not any(dirs):
        return
    from .._io import check_output_dir, check_writable  # loads NumPy: only when there is an output

    for value in files:
        if value:
            check_writable(value)
    for value in dirs:
        if value:
            check_output_dir(value)


@dataclass
class _Outcome:
    code: int = 2


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def guarded(args: argparse.Namespace, name: str) -> Iterator[_Outcome]:
    """Run a command's body under its limits; map every failure to one line and an exit code."""
    outcome = _Outcome()
    prog = f"theory {name}"
    old_term = None
    with contextlib.suppress(ValueError):  # not the main thread: leave SIGTERM alone
        old_term = signal.signal(signal.SIGTERM, _sigterm)
    caught: list[warnings.WarningMessage] = []
    try:
        with (
            warnings.catch_warnings(record=True) as caught_now,
            _budget.limits_set(getattr(args, "max_memory", None), getattr(args, "max_seconds", None)),
            _progress.quiet(True) if getattr(args, "quiet", False) else contextlib.nullcontext(),
            _budget.quiet_expiry_reports(),
            _budget.time_limit(None, prog),
            _progress.heartbeat(prog),
        ):
            warnings.simplefilter("default")
            caught = caught_now
            yield outcome
    except TheoryError as exc:
        sys.stderr.write(f"{prog}: error: {_one_line(exc)}\n")
        outcome.code = 2
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted\n")
        outcome.code = 130
    except MemoryError:
        limit = _budget.format_bytes(_budget.current().max_memory)
        sys.stderr.write(
            f"{prog}: error: ran out of memory; use smaller sizes (the budget check allowed up to {limit}: "
            "lower it with --max-memory to be refused before the work starts)\n"
        )
        outcome.code = 2
    except RecursionError:
        sys.stderr.write(f"{prog}: error: an input is nested too deeply to process; simplify it\n")
        outcome.code = 2
    except OSError as exc:
        where = f" {Path(exc.filename).name[:80]!r}" if getattr(exc, "filename", None) else ""
        sys.stderr.write(f"{prog}: error: cannot access{where}: {_one_line(exc)}; check the path and its permissions\n")
        outcome.code = 2
    except Exception as exc:
        if os.environ.get("THEORY_DEBUG"):
            traceback.print_exc()
        sys.stderr.write(
            f"{prog}: internal error: {type(exc).__name__}: {_one_line(exc)[:300]} "
            "(a bug: please report it with the command line; THEORY_DEBUG=1 shows the traceback)\n"
        )
        outcome.code = 3
    finally:
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
    if caught and outcome.code in (0, 1):  # one note, not a wall of NumPy warnings; an error line stays alone
        first = " ".join(str(caught[0].message).split())[:120]
        more = f" and {len(caught) - 1} more" if len(caught) > 1 else ""
        sys.stderr.write(f"note: {caught[0].category.__name__}: {first}{more} (results are reported as they are)\n")
