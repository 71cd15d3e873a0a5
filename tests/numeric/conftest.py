"""Fixtures shared by the numeric tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from theory.numeric import flow_cache


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private disk cache (``THEORY_CACHE_DIR``) and an empty memory level, before and after."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("THEORY_CACHE_DIR", str(folder))
    flow_cache.clear_memory()
    yield folder
    flow_cache.clear_memory()
