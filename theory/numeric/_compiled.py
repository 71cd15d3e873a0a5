"""The SymPy-free half of the compile bridge: generated source back into NumPy functions.

Role: a warm ``theory check`` or ``theory simulate`` (one whose compiled code is in the cache,
:mod:`theory.numeric.flow_cache`) must not import SymPy at all: importing it alone costs
about 0.8 s.  :mod:`theory.numeric.compile` turns expressions into code (``lambdify``, the
project's index-form printer); this module executes such code again from its stored source
and holds the compiled-flow record, with no SymPy import at module level:

* :func:`compile_source` executes generated source (this package's printers' output only,
  never user input) and returns the named function;
* :func:`reload_lambdified` re-executes a ``lambdify``-generated function whose global names
  were recorded by :func:`lambdified_record` as ``name -> module`` (``numpy``,
  ``scipy.special``, ``math``, ``functools``, ``builtins`` only): the namespace is rebuilt
  from those modules instead of from SymPy's printer tables;
* :class:`CompiledFlow` (re-exported by :mod:`theory.numeric.compile`): a compiled gradient
  flow whose ``state`` / ``params`` may be SymPy symbols (fresh compile) or :class:`Name`
  stand-ins (from the cache); everything but the Jacobian only reads ``.name``.
"""

from __future__ import annotations

import builtins
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from ..errors import InvalidArgument

__all__ = [
    "CompiledFlow",
    "Name",
    "compile_source",
    "flow_from_record",
    "lambdified_record",
    "reload_lambdified",
]

#: Modules a cached lambdified function may take its global names from (in search order).
GLOBAL_SOURCES = ("numpy", "scipy.special", "math", "functools", "builtins")


def _module(name: str) -> ModuleType:
    """One of :data:`GLOBAL_SOURCES` (imported on first use: SciPy's special functions only if named)."""
    if name == "numpy":
        return np
    if name == "scipy.special":
        import scipy.special

        return scipy.special
    if name == "math":
        import math

        return math
    if name == "functools":
        import functools

        return functools
    if name == "builtins":
        return builtins
    raise LookupError(f"cached code names module {name!r}")


@dataclass(frozen=True)
class Name:
    """A symbol known by its name only (a cached flow's state and parameter entries)."""

    name: str

    def __str__(self) -> str:
        return self.name


def compile_source(source: str, name: str, namespace: Mapping[str, Any] | None = None) -> Callable:
    """Execute generated Python ``source`` and return the function called ``name``.

    The source must come from this package's printers (never from user input); the
    namespace holds ``np`` (NumPy) plus ``namespace``.
    """
    scope: dict[str, Any] = {"np": np, **(namespace or {})}
    exec(compile(source, f"<theory-generated {name}>", "exec"), scope)
    fn = scope[name]
    fn.__source__ = source
    return fn


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, float) and isinstance(b, float):  # nan, pi, e: the values, not the objects
        return a == b or (a != a and b != b)
    return False


def lambdified_record(fn: Callable) -> dict:
    """``{"source", "globals"}`` of a ``lambdify``-generated function, for the cache.

    Raises
    ------
    LookupError
        A global name of the code is not found, as the same object, in
        :data:`GLOBAL_SOURCES` (then the function is not cached).
    """
    source = getattr(fn, "__source__", None) or inspect.getsource(fn)
    where: dict[str, str] = {}
    for name in fn.__code__.co_names:
        if name not in fn.__globals__:
            if hasattr(builtins, name):
                continue
            raise LookupError(f"generated code reads {name!r}, which its namespace does not hold")
        value = fn.__globals__[name]
        for module in GLOBAL_SOURCES:
            if _same(getattr(_module(module), name, object()), value):
                where[name] = module
                break
        else:
            raise LookupError(f"generated code reads {name!r}, found in none of {GLOBAL_SOURCES}")
    return {"source": source, "globals": where}


def reload_lambdified(record: Mapping[str, Any]) -> Callable:
    """The function of :func:`lambdified_record` again (its globals from the recorded modules).

    Raises
    ------
    LookupError
        A recorded module is not one of :data:`GLOBAL_SOURCES`, or lacks the name.
    """
    ns: dict[str, Any] = {}
    for name, module in dict(record["globals"]).items():
        ns[str(name)] = getattr(_module(str(module)), str(name))
    source = str(record["source"])
    fname = source.split("def ", 1)[1].split("(", 1)[0].strip()
    return compile_source(source, fname, ns)


def _stack(values: Sequence[Any], like: np.ndarray) -> np.ndarray:
    """Stack compiled outputs (scalars for constant entries) along a new first axis."""
    shape = like.shape[1:]
    if not shape:  # one point: every output is a scalar (the common case, called per ODE/GD step)
        return np.array(values, dtype=float)
    return np.stack([np.broadcast_to(np.asarray(v, dtype=float), shape) for v in values])


@dataclass(frozen=True)
class CompiledFlow:
    """A gradient flow compiled to NumPy: ``dy/dt = rhs(y, p)``.

    Attributes
    ----------
    state : tuple of sympy.Symbol or Name
        ``y[i]`` is ``state[i]``.
    params : tuple of sympy.Symbol or Name
        ``p[j]`` is ``params[j]`` (data, then constants, sorted by name within each).
    layout : str
        The generated description of both layouts (also each function's ``__doc__``).
    invariant_names : tuple of str
        Names of the compiled invariants (see :meth:`invariants`).
    """

    state: tuple[Any, ...]
    params: tuple[Any, ...]
    layout: str
    _rhs: Callable = field(repr=False)
    _jacobian: Callable[[], tuple[Callable, np.ndarray]] = field(repr=False)
    _invariants: dict[str, tuple[Callable, int]] = field(default_factory=dict, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def invariant_names(self) -> tuple[str, ...]:
        return tuple(self._invariants)

    def param_vector(self, values: Mapping[str, float]) -> np.ndarray:
        """``p`` from a name -> value mapping; every parameter must be given and finite."""
        missing = [s.name for s in self.params if s.name not in values]
        if missing:
            raise InvalidArgument(f"missing values for {', '.join(missing[:8])}; give every data symbol and constant")
        p = np.array([float(values[s.name]) for s in self.params])
        if not np.all(np.isfinite(p)):
            bad = [s.name for s, v in zip(self.params, p, strict=True) if not np.isfinite(v)]
            raise InvalidArgument(f"non-finite values for {', '.join(bad[:8])}")
        return p

    def rhs(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """:math:`\\dot y`; ``y`` of shape (n,) or (n, S) (S states at once)."""
        y = np.asarray(y, dtype=float)
        return _stack(self._rhs(y, p), y)

    def jacobian(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """:math:`\\partial \\dot y / \\partial y`, shape (n, n) (derived and compiled on first use)."""
        if "jac" not in self._cache:  # derived and compiled by the SymPy side (compile.compile_jacobian)
            self._cache["jac"], self._cache["sparsity"] = self._jacobian()
        y = np.asarray(y, dtype=float)
        n = len(self.state)
        return _stack(self._cache["jac"](y, p), y[:1]).reshape(n, n, *y.shape[1:])

    def sparsity(self) -> np.ndarray:
        """Structural non-zero pattern of the Jacobian, shape (n, n), bool."""
        if "sparsity" not in self._cache:
            self.jacobian(np.zeros(len(self.state)), np.zeros(len(self.params)))
        return self._cache["sparsity"]

    def invariants(self, y: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
        """Every compiled invariant at ``y``: name -> components (shape (c,) or (c, S))."""
        y = np.asarray(y, dtype=float)
        return {name: _stack(fn(y, p), y[:1])[:c] for name, (fn, c) in self._invariants.items()}

    def as_record(self) -> dict:
        """Plain-data form for the compiled-flow cache: names and the generated sources."""
        return {
            "state": [s.name for s in self.state],
            "params": [s.name for s in self.params],
            "layout": self.layout,
            "rhs": lambdified_record(self._rhs),
            "invariants": {name: [lambdified_record(fn), c] for name, (fn, c) in self._invariants.items()},
        }


def flow_from_record(
    record: Mapping[str, Any],
    jacobian: Callable[[], tuple[Callable, np.ndarray]],
    symbols: Mapping[str, Any] | None = None,
) -> CompiledFlow:
    """Rebuild a :class:`CompiledFlow` from :meth:`CompiledFlow.as_record` with no SymPy import.

    Parameters
    ----------
    record : mapping
    jacobian : callable
        Returns the compiled Jacobian and its sparsity pattern
        (:func:`theory.numeric.compile.compile_jacobian`); called only by :meth:`CompiledFlow.jacobian`.
    symbols : mapping, optional
        ``name -> symbol`` to use for the state and parameters (a spec's own symbols);
        names not in it become :class:`Name`.
    """
    known = dict(symbols or {})
    state = tuple(known.get(str(n)) or Name(str(n)) for n in record["state"])
    params = tuple(known.get(str(n)) or Name(str(n)) for n in record["params"])
    layout = str(record["layout"])
    fn = reload_lambdified(record["rhs"])
    fn.__doc__ = layout
    invariants = {str(name): (reload_lambdified(src), int(c)) for name, (src, c) in record["invariants"].items()}
    return CompiledFlow(state, params, layout, fn, jacobian, invariants)
