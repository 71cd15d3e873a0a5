"""theory: machine-checked training dynamics of small attention + MLP models.

Pipeline (data flows one way): model spec (SymPy) -> derived flow -> proved invariants and
derivations -> compiled numerics (:mod:`theory.numeric.compile`, the only ``lambdify``
site) -> ODE solve and gradient-descent simulation -> reports (LaTeX, JSON, plots, CLI).

Examples
--------
>>> from theory import joma_block, derive_flow, prove
>>> spec = joma_block(2, 1, 1, attention="linear")
>>> s = spec.symbols
>>> q = [s[f"z{l}"] ** 2 - s["eta_z"] / s["eta_w"] * s[f"v1_{l}"] ** 2 for l in (1, 2)]
>>> prove(derive_flow(spec), q).verdict
'proved'

A model of your own goes the whole way (``docs/pipeline.md``)::

    spec = theory.models.custom(loss, params={"a": [a1, a2], "b": [b1, b2]}, rates={"a": eta, "b": eta})
    v = theory.prove(theory.derive_flow(spec), "a1^2 + a2^2 - b1^2 - b2^2")
    r = theory.check(spec, v.quantity)          # gradient descent on the loss alone: drift slope in eta
    run = theory.simulate(spec, t_end=5.0)      # the compiled flow, DOP853

``check`` and ``simulate`` (and their config classes) are imported on first use, so
``import theory`` does not load SciPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import _source_tree, models
from .errors import (
    ExpressionError,
    InvalidArgument,
    ModelError,
    NotConservedError,
    SolverError,
    TheoryError,
    UnknownNameError,
)
from .models import ModelSpec, ParamGroup, custom_model, joma_block, lu_classifier
from .symbolic import Derivation, Flow, Verdict, derive_flow, integrate_ratio, prove, render_latex
from .symbolic.parse import parse_quantity

if TYPE_CHECKING:
    from .theorem import Theorem

__version__ = "0.1.0"


def theorems() -> tuple[Theorem, ...]:
    """The catalogue's theorem records (:class:`theory.theorem.Theorem`), in catalogue order.

    Examples
    --------
    >>> [t.name for t in theorems()][:2]
    ['joma-linear', 'joma-exp']
    """
    from .catalogue import theorems as _theorems

    return _theorems()


_source_tree.install()  # source checkout: theory.derivations is the top-level folder derivations/

__all__ = [
    "CheckConfig",
    "CheckReport",
    "Derivation",
    "ExpressionError",
    "Flow",
    "InvalidArgument",
    "ModelError",
    "ModelSpec",
    "NotConservedError",
    "ParamGroup",
    "SimulateConfig",
    "SolverError",
    "TheoryError",
    "UnknownNameError",
    "Verdict",
    "check",
    "custom_model",
    "derive_flow",
    "integrate_ratio",
    "joma_block",
    "lu_classifier",
    "models",
    "parse_quantity",
    "prove",
    "render_latex",
    "simulate",
    "theorems",
]

#: Lazily imported public names (they pull in SciPy): name -> module.
_LAZY = {
    "check": "theory.checks.generic",
    "CheckConfig": "theory.checks.generic",
    "CheckReport": "theory.checks.generic",
    "simulate": "theory.numeric.simulate",
    "SimulateConfig": "theory.numeric.simulate",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
