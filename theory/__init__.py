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
    found = theory.discover(spec, degree=2)     # every law of the ansatz, proved, counted
    theory.count_laws(spec).count               # D - dim Lie(V): how many laws there are

``check`` and ``simulate`` (and their config classes) are imported on first use, so
``import theory`` does not load SciPy.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

from . import _source_tree
from .errors import (
    ExpressionError,
    InvalidArgument,
    ModelError,
    NotConservedError,
    SolverError,
    TheoryError,
    UnknownNameError,
)

if TYPE_CHECKING:
    from . import models
    from .checks.discovery import count_laws, discover
    from .checks.generic import CheckConfig, CheckReport, check
    from .models import ModelSpec, ParamGroup, custom_model, joma_block, lu_classifier
    from .numeric.simulate import SimulateConfig, simulate
    from .symbolic import Derivation, Flow, Verdict, derive_flow, integrate_ratio, prove, render_latex
    from .symbolic.parse import parse_quantity
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
    "count_laws",
    "custom_model",
    "derive_flow",
    "discover",
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

#: Lazily imported public names: name -> module.  ``check`` and ``simulate`` pull in SciPy, the
#: models and the symbolic core SymPy; ``import theory`` (and so ``theory --help``) loads neither.
_LAZY = {
    "ModelSpec": "theory.models",
    "ParamGroup": "theory.models",
    "custom_model": "theory.models",
    "joma_block": "theory.models",
    "lu_classifier": "theory.models",
    "Derivation": "theory.symbolic",
    "Flow": "theory.symbolic",
    "Verdict": "theory.symbolic",
    "derive_flow": "theory.symbolic",
    "integrate_ratio": "theory.symbolic",
    "prove": "theory.symbolic",
    "render_latex": "theory.symbolic",
    "parse_quantity": "theory.symbolic.parse",
    "check": "theory.checks.generic",
    "CheckConfig": "theory.checks.generic",
    "CheckReport": "theory.checks.generic",
    "simulate": "theory.numeric.simulate",
    "discover": "theory.checks.discovery",
    "count_laws": "theory.checks.discovery",
    "SimulateConfig": "theory.numeric.simulate",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if not name.startswith("__") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")  # a sub-package, e.g. theory.models
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
