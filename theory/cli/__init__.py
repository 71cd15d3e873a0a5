"""Command-line entry point: ``theory COMMAND ...`` (also ``python -m theory``).

The CLI holds no logic.  Each sub-module registers its sub-commands with
``register(subparsers)``; a sub-command's handler takes the parsed arguments and returns
a :class:`~theory.cli._output.Result` (JSON-able data, a human rendering, and whether
every verdict was the expected one).  This module prints it as text or ``--json``
and maps outcomes to exit codes:

* 0 - ran, every result as expected;
* 1 - ran, some result not as expected (e.g. a proof did not reach its verdict);
* 2 - bad input (unknown name, malformed expression, bad option): one line on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import TheoryError
from ._output import Result, emit

__all__ = ["main"]

# Sub-command modules, in the order they appear in ``theory --help``.
_COMMAND_MODULES = ("catalogue", "check", "discover", "joma", "hierarchy", "lu", "arch", "reproduce", "sweep")


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
    try:
        result: Result = run(args)
    except TheoryError as exc:
        sys.stderr.write(f"theory {args.command}: error: {_one_line(exc)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("theory: interrupted\n")
        return 130
    emit(result, as_json=bool(getattr(args, "json", False)))
    return 0 if result.ok else 1


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
