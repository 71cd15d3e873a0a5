"""``theory reproduce`` is a library function the CLI wraps (issue 10, item 4).

* :mod:`theory.reproduce` imports neither the CLI nor argparse (read with ``ast``; a negative
  control plants each form of import in a fake source);
* the CLI calls :func:`theory.reproduce.reproduce` and prints its summary, exit code from ``ok``;
* a reduced run writes the same step JSON as the step's own command prints with ``--json``;
* failing and unexpected steps are recorded and the run goes on; every step's documented
  command parses.
"""

from __future__ import annotations

import ast
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest

import theory.reproduce as rp
from theory.cli import build_parser, main
from theory.errors import ExpressionError, InvalidArgument

SOURCE = Path(rp.__file__)
FORBIDDEN = ("theory.cli", "argparse")


def forbidden_imports(source: str, package: str = "theory") -> list[str]:
    """Modules in ``FORBIDDEN`` (or below them) that ``source`` imports anywhere (lazy imports too).

    ``source`` is read as a module of ``package`` (relative imports resolve against it);
    ``importlib.import_module("...")`` and ``__import__("...")`` with a string literal count.
    """
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names = [base, *(f"{base}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        found += [n for n in names if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)]
    return found


def test_reproduce_imports_neither_cli_nor_argparse() -> None:
    assert forbidden_imports(SOURCE.read_text()) == []


@pytest.mark.parametrize(
    "planted",
    [
        "from .cli import main",
        "from . import cli",
        "import theory.cli",
        "from theory.cli.reproduce import register",
        "import argparse",
        "from argparse import Namespace",
        "def f():\n    from .cli import build_parser",
        "import importlib\nimportlib.import_module('theory.cli')",
        "__import__('argparse')",
    ],
)
def test_negative_control_detects_planted_import(planted: str) -> None:
    assert forbidden_imports("import json\n" + planted + "\n") != []


def test_negative_control_allows_library_imports() -> None:
    assert forbidden_imports("from .commands import prove_entries\nfrom .clipboard import x\nimport json\n") == []


def _summary(ok: bool) -> rp.ReproduceSummary:
    status = "ok" if ok else "unexpected-result"
    step = rp.StepRecord("check", "numeric checks", status, "theory check --all", 0 if ok else 1, 1.5, ("a.json",))
    return rp.ReproduceSummary("somewhere", (step,))


@pytest.mark.parametrize("ok", [True, False])
def test_cli_wraps_the_library_function(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ok: bool) -> None:
    calls: list[tuple] = []

    def fake(out_dir, *, sst=None, steps=None, progress=None):
        calls.append((out_dir, sst, steps))
        summary = _summary(ok)
        for record in summary.steps:
            progress(record)
        return summary

    monkeypatch.setattr(rp, "reproduce", fake)
    buf = io.StringIO()
    with redirect_stdout(buf):
        code = main(["reproduce", "--out", str(tmp_path), "--only", "check", "--sst", "data", "--json"])
    assert calls == [(str(tmp_path), "data", ["check"])]
    assert code == (0 if ok else 1)
    assert json.loads(buf.getvalue()) == _summary(ok).as_dict()


def test_cli_text_on_stdout_progress_on_stderr(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    def fake(out_dir, **kw):
        kw["progress"](_summary(True).steps[0])
        return _summary(True)

    monkeypatch.setattr(rp, "reproduce", fake)
    assert main(["reproduce", "--out", "x"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("ok ") and "check" in captured.err
    assert "results in somewhere (summary.json)" in captured.out


def test_reduced_run_matches_the_commands(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    seen: list[rp.StepRecord] = []
    names = ["compare-arch", "receptive-field", "lu-sst"]  # run in the order of STEPS
    summary = rp.reproduce(tmp_path / "out", sst=tmp_path / "no-sst", steps=names, progress=seen.append)
    assert [r.name for r in seen] == ["lu-sst", "receptive-field", "compare-arch"] == [r.name for r in summary.steps]
    assert summary.ok and [r.status for r in summary.steps] == ["skipped", "ok", "ok"]
    out = tmp_path / "out"
    assert json.loads((out / "summary.json").read_text()) == summary.as_dict()
    assert sorted(p.name for p in out.iterdir()) == [
        "compare-arch.json",
        "manifest.json",
        "receptive-field.json",
        "summary.json",
    ]
    assert summary.steps[1].files == (str(out / "receptive-field.json"),)
    assert capsys.readouterr().out == ""  # the library prints nothing
    for record in summary.steps[1:]:
        argv = record.command.split()[1:]
        assert main([*argv, "--json"]) == record.exit_code == 0
        printed = json.loads(capsys.readouterr().out)
        saved = json.loads((out / f"{record.name}.json").read_text())
        printed.pop("seconds", None), saved.pop("seconds", None)
        assert saved == printed


def test_failures_are_recorded_and_the_run_goes_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def bad(out: Path, sst: Path) -> rp.StepOutput:
        raise ExpressionError("no such\nthing")

    steps = (
        rp.Step("bad", "raises", ("check", "--all"), bad),
        rp.Step("off", "unexpected", ("check", "--all"), lambda out, sst: rp.StepOutput({"x": 1}, False)),
        rp.Step("good", "fine", ("check", "--all"), lambda out, sst: rp.StepOutput([1, 2], True, ("f",), ("n",))),
    )
    monkeypatch.setattr(rp, "STEPS", steps)
    summary = rp.reproduce(tmp_path)
    assert [(r.status, r.exit_code) for r in summary.steps] == [("error", 2), ("unexpected-result", 1), ("ok", 0)]
    assert summary.steps[0].as_dict()["stderr"] == "theory check: error: no such thing"
    assert not summary.ok and not (tmp_path / "bad.json").exists()
    assert json.loads((tmp_path / "good.json").read_text()) == [1, 2]
    assert summary.steps[2].as_dict()["files"] == [str(tmp_path / "good.json"), "f"]
    assert summary.steps[2].as_dict()["notes"] == ["n"]


def test_unknown_step_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="unknown step"):
        rp.reproduce(tmp_path, steps=["nope"])
    assert not list(tmp_path.iterdir())


def test_every_documented_command_parses() -> None:
    parser = build_parser()
    for step in rp.STEPS:
        argv = [a.replace("{out}", "OUT").replace("{sst}", "SST") for a in step.command]
        assert parser.parse_args(argv).command == step.command[0], step.name
