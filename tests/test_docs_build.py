"""The documentation site builds with warnings as errors, as CI builds it.

Runs ``python3 -m sphinx -W --keep-going -b html docs OUT``: autodoc imports the package and
renders every public docstring, the theorem page is generated from ``theory.theorems()`` and the
figures page computes the JoMA figures (docs/conf.py).  Sphinx comes from the ``docs`` extra;
without it the test fails with the install command (nothing a user runs is skipped in CI).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_docs_build_with_warnings_as_errors(tmp_path: Path) -> None:
    missing = [m for m in ("sphinx", "numpydoc", "myst_parser", "furo") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: install the docs extra, pip install '.[docs]'")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "docs", str(tmp_path / "html")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"sphinx failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"
    html = tmp_path / "html"
    for page in ("contents.html", "tutorial.html", "_generated/theorems.html", "api/theory.html"):
        assert (html / page).exists(), f"{page} was not built"
    theorems = (html / "_generated" / "theorems.html").read_text(encoding="utf-8")
    assert "joma-exp" in theorems and "lu-identity" in theorems
