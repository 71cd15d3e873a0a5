"""Shared test configuration.

* Hypothesis profiles: ``ci`` (default, quick) and ``thorough``, chosen with the
  environment variable ``THEORY_PROFILE`` (``THEORY_PROFILE=thorough pytest``).
* ``slow`` tests always run; under the ``ci`` profile they use reduced sizes
  (read :func:`profile` to scale a test).
* Warnings are errors (``filterwarnings = error`` in pyproject.toml).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from theory.strategies import register_profiles

REPO_ROOT = Path(__file__).resolve().parents[1]
SST_DIR = (REPO_ROOT / ".." / "shared" / "data" / "sst").resolve()

register_profiles()  # the profiles live in theory.strategies, so users' suites can load them too

# The compiled-flow disk cache (theory.numeric.flow_cache) of a test run lives in a fresh
# directory, never in the user's ~/.cache (subprocesses of CLI tests inherit it).
if "THEORY_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["THEORY_CACHE_DIR"] = tempfile.mkdtemp(prefix="theory-test-cache-")


def profile() -> str:
    """The active test profile name: ``"ci"`` (default) or ``"thorough"``."""
    return os.environ.get("THEORY_PROFILE", "ci")


@pytest.fixture
def sst_dir() -> Path:
    """The SST data directory (``../shared/data/sst`` beside the repo root).

    Under CI (``CI`` set) a missing directory is a failure, elsewhere a skip.
    """
    if not SST_DIR.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"SST data not found at {SST_DIR}; CI must have ../shared beside the clone")
        pytest.skip(f"SST data not found at {SST_DIR}")
    return SST_DIR


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A private compiled-flow disk cache (``THEORY_CACHE_DIR``) and an empty memory level, before and after."""
    from theory.numeric import flow_cache

    folder = tmp_path / "cache"
    monkeypatch.setenv("THEORY_CACHE_DIR", str(folder))
    flow_cache.clear_memory()
    yield folder
    flow_cache.clear_memory()
