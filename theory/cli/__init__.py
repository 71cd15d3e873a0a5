"""Command-line entry point: ``theory COMMAND ...`` (also ``python -m theory``).

The CLI holds no logic.  Each sub-module registers its sub-commands with
``register(subparsers)``; a sub-command's handler takes the parsed arguments and returns
a :class:`~theory.cli._output.Result` (JSON-able data, a human rendering, and whether
every verdict was the expected one).  This module prints it as text or ``--json``
and maps outcomes to exit codes:

* 0 - ran, every result as expected;
* 1 - ran, some result not as expected (e.g. a proof did not reach its verdict);
* 2 - bad input (unknown name, malformed expression, bad option, over the resource budget,
  unwritable output): one line on stderr naming the culprit and the fix;
* 3 - an internal error (a bug): one line on stderr asking for a report (``THEORY_DEBUG=1``
  shows the traceback).

Options every sub-command gets here, in one place (:mod:`theory.cli._common`): ``--quiet``,
``--max-memory``, ``--max-seconds``; every ``--seed`` is a non-negative 32-bit integer and
every float option finite, checked while parsing; output paths are checked before the work.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .. import __version__
from ._common import add_common_options, check_outputs, guarded
from ._output import Result, emit

__all__ = ["main"]

# Sub-command modules, in the order they appear in ``theory --help``.
_COMMAND_MODULES = (
    "catalogue",
    "check",
    "discover",
    "joma",
    "hierarchy",
    "lu",
    "arch",
    "corpus",
    "reproduce",
    "sweep",
)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered sub-command."""
    parser = _Parser(
        prog="theory",
        description="Derive, prove and check the training dynamics of attention + MLP models.",
    )
    parser.add_argument("--version", action="version", version=f"theory {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(sub)
    add_common_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code (0 ok, 1 unexpected result, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or usage error (2)
        return int(exc.code or 0)
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help()
        return 2
    name = " ".join(w for w in (args.command, getattr(args, "lu_command", None)) if w)
    with guarded(args, name) as outcome:
        check_outputs(args)
        result: Result = run(args)
        emit(result, as_json=bool(getattr(args, "json", False)))
        outcome.code = 0 if result.ok else 1
    return outcome.code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
