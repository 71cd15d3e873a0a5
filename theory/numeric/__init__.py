"""Numerics: the compile bridge (the only ``lambdify`` site), ODE solving, gradient descent,
finite differences and the independent NumPy referee (the oracle behind ``theory check`` is
in :mod:`theory.checks`).

The public names below are re-exported lazily (importing :mod:`theory.numeric.compile` alone
does not pull in SciPy's integrators).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "CompiledFlow",
    "CompiledIndexedFlow",
    "Descent",
    "JomaReferee",
    "RefereeConfig",
    "SolverConfig",
    "Trajectory",
    "central_error_bound",
    "central_gradient",
    "compile_expression",
    "compile_flow",
    "compile_indexed",
    "complex_step_gradient",
    "descend",
    "joma_referee",
    "solve_compiled",
    "solve_flow",
]

_WHERE = {
    "CompiledFlow": "compile",
    "compile_expression": "compile",
    "compile_flow": "compile",
    "CompiledIndexedFlow": "indexed_flow",
    "compile_indexed": "indexed_flow",
    "Descent": "descent",
    "descend": "descent",
    "JomaReferee": "referee",
    "joma_referee": "referee",
    "RefereeConfig": "referee",
    "Trajectory": "ode",
    "SolverConfig": "ode",
    "solve_flow": "ode",
    "solve_compiled": "ode",
    "central_error_bound": "finite_diff",
    "central_gradient": "finite_diff",
    "complex_step_gradient": "finite_diff",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
