"""Lint, format and types are part of the test run: ``ruff check``, ``ruff format --check``, ``mypy``.

CI runs only the README's command (``pip install '.[test]' && pytest``); the ``test`` extra
installs ruff and mypy, so these tests are how CI enforces them.  Each tool runs as a
subprocess from the repository root (its settings are in ``pyproject.toml``) and a failure
shows the tool's own output.  The negative controls prove that a violation does fail.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _run(tool: str, *args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(tool) is None:
        pytest.fail(f"{tool} is not installed: install the test extra, pip install '.[test]'")
    return subprocess.run(
        [sys.executable, "-m", tool, *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )


def _report(proc: subprocess.CompletedProcess[str]) -> str:
    return f"$ {' '.join(proc.args)}\n{proc.stdout}{proc.stderr}"


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("ruff", ("check", ".")),
        ("ruff", ("format", "--check", ".")),
        ("mypy", ("theory",)),
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_tool_is_clean(tool: str, args: tuple[str, ...]) -> None:
    proc = _run(tool, *args)
    assert proc.returncode == 0, _report(proc)


def test_negative_control_ruff_flags_an_unused_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n")
    proc = _run("ruff", "check", "--isolated", "--no-cache", "--select", "F401", str(bad), cwd=tmp_path)
    assert proc.returncode != 0 and "F401" in proc.stdout, _report(proc)


def test_negative_control_mypy_flags_a_type_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('x: int = "not an int"\n')
    proc = _run("mypy", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(bad), cwd=tmp_path)
    assert proc.returncode != 0 and "Incompatible types" in proc.stdout, _report(proc)
