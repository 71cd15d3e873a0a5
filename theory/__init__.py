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
"""

from typing import TYPE_CHECKING

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
from .models import ModelSpec, ParamGroup, custom_model, joma_block, lu_classifier
from .symbolic import Derivation, Flow, Verdict, derive_flow, integrate_ratio, prove, render_latex
from .symbolic.parse import parse_quantity

if TYPE_CHECKING:
    from .theorem import Theorem

__version__ = "0.1.0"


def theorems() -> "tuple[Theorem, ...]":
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
    "Derivation",
    "ExpressionError",
    "Flow",
    "InvalidArgument",
    "ModelError",
    "ModelSpec",
    "NotConservedError",
    "ParamGroup",
    "SolverError",
    "TheoryError",
    "UnknownNameError",
    "Verdict",
    "custom_model",
    "derive_flow",
    "integrate_ratio",
    "joma_block",
    "lu_classifier",
    "parse_quantity",
    "prove",
    "render_latex",
    "theorems",
]
