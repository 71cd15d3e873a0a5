"""Every CLI option documents itself: help text, and its default when it has one (issue 13 item 2)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import theory
from theory.cli import build_parser, main


def _parsers(parser: argparse.ArgumentParser, prog: str = "theory") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, f"{prog} {name}")


def _problems(parser: argparse.ArgumentParser) -> list[str]:
    """Options (and positionals) with no help text, or a non-None default their help does not state."""
    found = []
    for prog, p in _parsers(parser, parser.prog):
        for action in p._actions:
            if isinstance(action, (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)):
                continue
            label = f"{prog} {'/'.join(action.option_strings) or action.dest}"
            if not action.help or action.help == argparse.SUPPRESS:
                found.append(f"{label}: no help text")
                continue
            default = action.default
            if default is None or default == argparse.SUPPRESS or isinstance(action, argparse._StoreTrueAction):
                continue  # store_true defaults to False: the flag's presence is the documentation
            if isinstance(action, argparse._StoreFalseAction):
                continue
            if "%(default)" in action.help or "default" in action.help.lower():
                continue
            found.append(f"{label}: default {default!r} not stated in its help")
    return found


def test_every_option_has_help_with_its_default() -> None:
    problems = _problems(build_parser())
    assert not problems, "\n".join(problems)


def test_checker_catches_missing_help_and_default() -> None:
    """Negative control: a fake parser with the two faults is reported, a clean one is not."""
    fake = argparse.ArgumentParser(prog="fake")
    sub = fake.add_subparsers()
    p = sub.add_parser("cmd")
    p.add_argument("--bare")
    p.add_argument("--tau", type=float, default=0.5, help="temperature")
    p.add_argument("--ok", type=int, default=3, help="count (default: %(default)s)")
    p.add_argument("--flag", action="store_true", help="a switch")
    assert _problems(fake) == [
        "fake cmd --bare: no help text",
        "fake cmd --tau: default 0.5 not stated in its help",
    ]


def test_help_renders_for_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    """%(default)s and friends must format: argparse only expands them when --help prints."""
    for prog, p in _parsers(build_parser()):
        p.format_help()
        assert prog


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"theory {theory.__version__}"
    assert theory.__version__ == "0.1.0"


def _modules_loaded_by(argv: list[str]) -> set[str]:
    code = (
        "import sys, contextlib, io\n"
        "from theory.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()): main({argv!r})\n"
        "print(' '.join(m for m in ('numpy', 'scipy', 'sympy') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(root))
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_start_up_stays_lazy() -> None:
    """`theory --help` and `theory list` load none of NumPy/SciPy/SymPy (bench/bench_startup.py times them)."""
    assert _modules_loaded_by(["--help"]) == set()
    assert _modules_loaded_by(["list"]) == set()  # the index is read from the modules' source
    assert "sympy" in _modules_loaded_by(["show", "joma-exp"])  # control: a command that needs SymPy loads it
