"""The job kinds of a sweep and their parameters: types, defaults, ranges and accepted names.

Role: the schema :mod:`theory.sweep.spec` checks every value of a ``SPEC.toml`` against
(:data:`KINDS`), kept apart from the parsing.  The lists of accepted names (models, methods,
catalogue entries, figures) are read from the modules that define them, on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["KINDS", "REQUIRED", "Param"]

_SEED_MAX = 2**32 - 1
#: The default of a parameter that must be given.
REQUIRED: Any = object()


def _sim_models() -> Sequence[str]:
    from ..numeric.choices import SIM_MODELS

    return SIM_MODELS


def _methods() -> Sequence[str]:
    from ..numeric.choices import METHODS

    return METHODS


def _models() -> Sequence[str]:
    from ..models.registry import MODELS

    return tuple(MODELS)


def _catalogue() -> Sequence[str]:
    from ..catalogue import theorems

    return tuple(t.name for t in theorems())


def _figures() -> Sequence[str]:
    from ..dynamics import figures  # noqa: F401 - registers the JoMA figures
    from ..dynamics.figure_registry import FIGURES

    return tuple(sorted(FIGURES))


def _activations() -> Sequence[str]:
    from ..models import ACTIVATIONS

    return tuple(ACTIVATIONS)


@dataclass(frozen=True)
class Param:
    """One parameter of a job kind.

    Attributes
    ----------
    type : {"int", "float", "str", "bool", "sizes"}
        ``sizes`` is ``"M=2,K=1"`` or a table ``{M = 2, K = 1}`` of a named model's sizes.
    default : object
        The value when the key is absent (``REQUIRED``: the key must be given; ``None``: optional).
    low, high : float, optional
        Bounds (inclusive); a float must also be finite.
    positive : bool
        A float must be strictly above zero.
    choices : callable, optional
        Returns the accepted names (imported lazily).
    """

    type: str
    default: Any = None
    low: float | None = None
    high: float | None = None
    positive: bool = False
    choices: Callable[[], Sequence[str]] | None = None


_SEED = Param("int", 0, 0, _SEED_MAX)

#: The job kinds and their parameters (the public API each kind calls is in :mod:`theory.sweep.jobs`).
KINDS: dict[str, dict[str, Param]] = {
    "simulate": {
        "model": Param("str", REQUIRED, choices=_sim_models),
        "tokens": Param("int", 20, 1, 100_000),
        "hidden": Param("int", 4, 1, 256),
        "samples": Param("int", 16, 1, 100_000),
        "t_end": Param("float", 10.0, high=1e6, positive=True),
        "method": Param("str", "DOP853", choices=_methods),
        "temperature": Param("float", 1.0, high=1e6, positive=True),
        "eta_w": Param("float", 1.0, high=1e6, positive=True),
        "eta_z": Param("float", 1.0, high=1e6, positive=True),
        "activation": Param("str", "tanh", choices=_activations),
        "init_scale": Param("float", 0.1, high=1e3, positive=True),
        "seed": _SEED,
    },
    "check": {  # a catalogue entry (name) or a quantity of a named model (model + quantity)
        "name": Param("str", None, choices=_catalogue),
        "model": Param("str", None, choices=_models),
        "sizes": Param("sizes", None),
        "quantity": Param("str", None),
        "seed": _SEED,
        "starts": Param("int", 2, 1, 16),
        "flow_time": Param("float", 1.0, high=1e3, positive=True),
    },
    "discover": {
        "model": Param("str", REQUIRED, choices=_models),
        "sizes": Param("sizes", None),
        "degree": Param("int", 2, 1, 4),
        "count": Param("bool", True),
        "check": Param("bool", False),
        "seed": _SEED,
    },
    "figure": {
        "name": Param("str", REQUIRED, choices=_figures),
        "quick": Param("bool", True),
    },
}
