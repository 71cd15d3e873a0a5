"""Every benchmark script answers ``--help`` (fast, exit 0) and offers ``--quick``.

A benchmark that ignores ``--help`` starts its full run instead (``bench_prove.py`` and
``bench_reach.py`` once did), so each is run with ``--help`` in a fresh interpreter; a script
that started working would hit the timeout.  bench/README.md must list every script.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "bench").glob("bench_*.py"))
#: --help only parses arguments; the slowest script imports SymPy + SciPy (~3 s on a loaded
#: 2-core machine).  Any real benchmark run takes far longer than this.
HELP_TIMEOUT = 60


def _help(path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(path), "--help"], capture_output=True, text=True, timeout=HELP_TIMEOUT, env=env
    )


@pytest.fixture(scope="module")
def helps() -> dict[str, subprocess.CompletedProcess]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip([p.name for p in SCRIPTS], pool.map(_help, SCRIPTS), strict=True))


def test_there_are_benchmarks() -> None:
    assert len(SCRIPTS) >= 10


@pytest.mark.parametrize("name", [p.name for p in SCRIPTS])
def test_help_exits_zero_with_a_quick_mode(helps, name) -> None:
    out = helps[name]
    assert out.returncode == 0, out.stderr[-500:]
    assert "usage:" in out.stdout
    assert "--quick" in out.stdout


def test_a_script_without_help_would_fail(tmp_path) -> None:
    # negative control: a script that ignores its arguments does not print a usage line
    fake = tmp_path / "bench_fake.py"
    fake.write_text("print('running the full benchmark')\n")
    out = _help(fake)
    assert out.returncode == 0 and "usage:" not in out.stdout


def test_readme_lists_every_benchmark() -> None:
    readme = (ROOT / "bench" / "README.md").read_text()
    missing = [p.name for p in SCRIPTS if p.name not in readme]
    assert not missing, f"bench/README.md does not list {missing}"
