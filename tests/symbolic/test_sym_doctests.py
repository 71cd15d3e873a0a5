"""The docstring examples of the symbolic core run (doctests are part of the documentation)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "theory",
    "theory.models.joma",
    "theory.models.custom",
    "theory.symbolic.flow",
    "theory.symbolic.prove",
    "theory.symbolic.parse",
    "theory.vocabulary",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
