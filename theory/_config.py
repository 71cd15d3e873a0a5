"""Settings objects: one helper that applies keyword changes to a frozen config dataclass.

Role: the config-object convention (diffrax's style).  A function with many settings takes
one frozen dataclass, ``f(data, config)``; keyword arguments naming its fields are a shorthand
for :func:`dataclasses.replace`, so ``f(data, steps=10)`` equals
``f(data, replace(Config(), steps=10))``.  :func:`configure` resolves the two and names an
unknown keyword (instead of the bare ``TypeError`` of ``replace``).  Every config with a
``seed`` field gets it checked here (:func:`check_seed`), so a bad seed is an
:class:`~theory.errors.InvalidArgument` naming it, never NumPy's bare ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

from .errors import InvalidArgument

__all__ = ["SEED_MAX", "check_seed", "configure"]

SEED_MAX = 2**32 - 1  #: largest seed accepted everywhere (NumPy's legacy range; the CLI's too)


def check_seed(seed: object, name: str = "seed") -> int:
    """``seed`` as an ``int`` in ``[0, SEED_MAX]``, or :class:`InvalidArgument` naming it.

    Examples
    --------
    >>> check_seed(3)
    3
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        try:
            import numpy as np

            if isinstance(seed, np.integer):
                seed = int(seed)
        except ImportError:  # pragma: no cover - NumPy is a dependency
            pass
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        raise InvalidArgument(f"{name} must be an integer from 0 to {SEED_MAX}, got {name}={seed!r}")
    return seed


C = TypeVar("C")


def configure(config_type: type[C], config: C | None, changes: Mapping[str, Any]) -> C:
    """``config`` (default ``config_type()``) with the fields in ``changes`` replaced.

    Parameters
    ----------
    config_type : type
        A frozen dataclass whose fields all have defaults.
    config : config_type, optional
        The settings given by the caller.
    changes : mapping of str to object
        Field overrides (the caller's keyword shorthand).

    Returns
    -------
    config_type
        A new object; ``config`` is never mutated.

    Raises
    ------
    InvalidArgument
        ``config`` is not a ``config_type``, or a key of ``changes`` is not one of its fields.

    Examples
    --------
    >>> from theory.numeric.ode import SolverConfig
    >>> configure(SolverConfig, None, {"n_points": 11}).n_points
    11
    """
    if not is_dataclass(config_type):
        raise TypeError(f"{config_type!r} is not a dataclass")
    if config is None:
        config = config_type()
    elif not isinstance(config, config_type):
        raise InvalidArgument(f"expected a {config_type.__name__}, got config={type(config).__name__}")
    names = [f.name for f in fields(config_type)]
    unknown = sorted(set(changes) - set(names))
    if unknown:
        raise InvalidArgument(
            f"unknown setting {', '.join(unknown)} of {config_type.__name__}; expected one of: {', '.join(names)}"
        )
    result = replace(config, **changes) if changes else config  # type: ignore[type-var]
    if "seed" in names and getattr(result, "seed", None) is not None:
        check_seed(getattr(result, "seed"))  # noqa: B009 - C is any config type
    return result
