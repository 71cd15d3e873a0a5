"""Hypothesis strategies for hostile command lines, built by introspecting the argparse parser.

Every sub-command (nested ones such as ``lu sst`` too) and every option it declares is reached:
option values come from pools chosen by the option's type (``int``, ``float``, choices) or name
(paths, sizes, quantities, specs), mixing valid values (so the command gets past parsing and
does real work) with hostile ones (negative, zero, huge, non-finite, malformed, unwritable).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from hypothesis import strategies as st

INTS = ["-1", "0", "1", "2", "3", "-7", "100000", "1e308", "abc", "99999999999999999999"]
FLOATS = ["nan", "inf", "-inf", "0", "-1", "1e-300", "5e-324", "1e308", "0.5", "2", "abc", "1e-12"]
GENERIC = ["", "x", "nan", "1e308", "-1", "__import__('os').system('true')", "a" * 300]
PATHS = [
    "out",
    "out.npz",
    "sub/dir/out.npz",
    "readonly/out.npz",
    "readonly",
    "a_directory.npz",
    "/proc/version/x.npz",
    "nope/out.npz",
    "x" * 300 + ".npz",
    "out.txt",
]
NPZ = [
    "empty.npz",
    "corrupt.npz",
    "renamed.npz",
    "huge_header.npz",
    "zip_bomb.npz",
    "nan_maps.npz",
    "rank2.npz",
    "strings.npz",
    "missing.npz",
    "a_directory.npz",
]
SST = ["sst1", "sst2", "sst_oneclass", "sst_same", "missing_dir", "empty.npz"]
MODELS = ["joma-exp", "joma-linear", "joma-softmax", "lu", "nope", "joma-exp-almost-orthogonal"]
THEOREMS = ["joma-linear", "joma-exp", "lu-identity", "joma-softmax-conditional", "nope"]
QUANTITIES = [
    "z1",
    "((((z1+z2)**64)**64)**64)",
    "exp(exp(exp(exp(exp(exp(exp(exp(z1))))))))",
    "(z1+z2+z3+z4+z5+z6+z7+z8+z9+z10+z11)**64",
    "sqrt(-1)*z1",
    "erfinv(2)*z1",
    "((2**64)**64)**64",
    "__import__('os')",
    "z1 +",
    "1e308*z1",
    "nan*z1",
    "9" * 5000,
    "z1**-1",
    "1/0",
]
SIZES = ["M=2", "M=2,K=1,N=1", "M=64,K=16,N=16", "M=-1", "M=1e308", "garbage", "M=0", "M=100000"]
SPECS = [
    "layers=2,heads=2,d_head=8",
    "layers=1e308,heads=2,d_head=8",
    "layers=2,heads=2,d_head=8,ffn=inf",
    "layers=2,heads=2,d_head=8,mask=window:1e308",
    "garbage",
    "layers=-1,heads=1,d_head=1",
    "layers=100000,heads=1000,d_head=1000",
]
MASKS = [
    "causal",
    "full",
    "window:4",
    "window:1e308",
    "chunked:2",
    "dilated:window=2,d=3",
    "mix:causal|window:2",
    "garbage",
    "window:-1",
    "global:0",
]
SYNTH = ["full", "causal", "window:3", "chunked:2", "garbage", "window:1e308"]

BY_NAME: dict[str, list[str]] = {
    "--out": PATHS,
    "--latex": PATHS,
    "--plot": PATHS,
    "--save": PATHS,
    "--outputs": PATHS,
    "--data": SST,
    "--sst": SST,
    "--sst-dir": SST,
    "path": NPZ,
    "--quantity": QUANTITIES,
    "--sizes": SIZES,
    "specs": SPECS,
    "--mask": MASKS,
    "--synthetic": SYNTH,
    "--model": MODELS,
    "model": MODELS,
    "names": THEOREMS,
    "name": ["joma-invariant", "joma-entropy", "nope"],
    "--method": ["DOP853", "RK45", "Radau", "nope", "auto", "interval", "sparse"],
    "--activation": ["tanh", "relu", "linear", "nope"],
    "--channel": ["symmetric", "gated", "nope"],
    "--arch": SPECS,
    "--law": ["chinchilla", "kaplan", "nope"],
    "--lrs": ["0.1", "nan,inf", "", "1e308", "a,b"],
    "--pad-to": ["max", "none", "1e20", "100000000", "-1", "0", "8"],
}


def subcommands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every leaf sub-command as (its words, its parser)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from subcommands(sub, (*prefix, name))
            return
    yield prefix, parser


def _pool(action: argparse.Action) -> list[str]:
    key = action.option_strings[0] if action.option_strings else action.dest
    if key in BY_NAME:
        return BY_NAME[key]
    if action.choices is not None:
        return [str(c) for c in action.choices] + ["bogus"]
    type_name = getattr(action.type, "__name__", "")
    if type_name == "int" or "int" in type_name:
        return INTS
    if type_name == "float" or "float" in type_name:
        return FLOATS
    return GENERIC


def argv_for(words: tuple[str, ...], parser: argparse.ArgumentParser) -> st.SearchStrategy[list[str]]:
    """Command lines for one sub-command: its words, required positionals, a subset of options."""
    positionals = [a for a in parser._actions if not a.option_strings and not isinstance(a, argparse._HelpAction)]
    options = [a for a in parser._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]

    @st.composite
    def build(draw: st.DrawFn) -> list[str]:
        argv = list(words)
        for action in options:
            if not action.required and not draw(st.booleans()):
                continue
            argv.append(action.option_strings[0])
            if action.nargs == 0:
                continue
            argv.append(draw(st.sampled_from(_pool(action))))
        for action in positionals:
            if action.nargs in ("?", "*") and not draw(st.booleans()):
                continue
            argv.append(draw(st.sampled_from(_pool(action))))
        return argv

    return build()


def all_argv(parser: argparse.ArgumentParser) -> st.SearchStrategy[list[str]]:
    """Command lines over every sub-command of ``parser``."""
    return st.one_of([argv_for(words, sub) for words, sub in subcommands(parser)])
