"""Every docstring example in the package runs and passes (doctests are part of the documentation).

The modules are found by walking ``theory/`` and ``derivations/`` for ``>>>``, so a new example
is collected without registering it anywhere.  A module whose import needs an optional extra
that is not installed (torch, matplotlib, ...) is skipped with the reason, never failed.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

from theory.errors import OptionalDependencyError

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("theory", "derivations")


def _modules_with_examples() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            if ">>>" not in path.read_text(encoding="utf-8"):
                continue
            parts = path.relative_to(REPO_ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = _modules_with_examples()


def test_the_walk_finds_the_examples() -> None:
    """Negative control for the walk: known modules with examples are among those collected."""
    assert {"theory", "theory.numeric.slopes", "theory.symbolic._lemmas", "theory.architecture.mask_spec"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except (ModuleNotFoundError, OptionalDependencyError) as exc:
        if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in PACKAGES:
            raise  # a missing module of this project is a bug, not an optional extra
        pytest.skip(f"{name} needs an optional dependency: {exc}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0, f"{name} mentions '>>>' but holds no runnable example"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name} (output above)"
