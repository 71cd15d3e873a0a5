"""The compile bridge: the one module where SymPy expressions become NumPy functions.

No other module calls :func:`sympy.lambdify` (or executes generated code); a test scans the
package to enforce it.  Two entry points:

* :func:`compile_expression` - any expression(s) of an ordered argument list.
* :func:`compile_loss` - a model's loss alone, as a complex-safe function of
  ``(state, data, constants)``: what the generic gradient-descent referee
  (:mod:`theory.checks.generic`) differentiates numerically, independently of the symbolic
  gradient.
* :func:`compile_flow` - a derived :class:`~theory.symbolic.Flow` becomes a
  :class:`CompiledFlow`: right-hand side, Jacobian (lazily, with its sparsity pattern) and
  invariants as functions of ``(y, p)`` with an explicit state layout ``y[i]`` and parameter
  layout ``p[j]`` (data and constants), written into a generated docstring.  Common
  sub-expressions are eliminated (``cse=True``), as in PyDy's code generators
  (Gede et al., "Constrained multibody dynamics with Python", ASME IDETC 2013).

Vectorised index-form flows (large token counts) are printed by
:mod:`theory.numeric.indexed_print` and executed here by :func:`compile_source`
(see :func:`theory.numeric.indexed_flow.compile_indexed`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from ..errors import ExpressionError, InvalidArgument

__all__ = [
    "CompiledFlow",
    "CompiledLoss",
    "compile_expression",
    "compile_flow",
    "compile_loss",
    "compile_source",
    "compile_spec_flow",
]


def compile_expression(expr: sp.Expr | Sequence[sp.Expr], args: Sequence[sp.Symbol]) -> Callable:
    """Compile ``expr`` into a NumPy function of ``args`` (positional, in that order).

    Parameters
    ----------
    expr : sympy.Expr or sequence of sympy.Expr
        Expression(s) to compile.  A sequence compiles to a function returning a tuple.
    args : sequence of sympy.Symbol
        The argument order of the compiled function.

    Returns
    -------
    callable
        ``f(*arrays)`` evaluating ``expr`` element-wise with NumPy (and SciPy special
        functions such as ``erfinv``), with common sub-expressions eliminated.
    """
    return sp.lambdify(list(args), expr, modules=["numpy", "scipy"], cse=True)


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


def _layout_doc(title: str, state: Sequence[sp.Symbol], params: Sequence[sp.Symbol]) -> str:
    lines = [title, "", "State layout (y):"]
    lines += [f"    y[{i}] = {s.name}" for i, s in enumerate(state)]
    lines += ["", "Parameter layout (p: data and constants):"]
    lines += [f"    p[{j}] = {s.name}" for j, s in enumerate(params)] or ["    (none)"]
    return "\n".join(lines)


def _stack(values: Sequence[Any], like: np.ndarray) -> np.ndarray:
    """Stack compiled outputs (scalars for constant entries) along a new first axis."""
    shape = like.shape[1:]
    return np.stack([np.broadcast_to(np.asarray(v, dtype=float), shape) for v in values])


def _check_compilable(exprs: Sequence[sp.Expr], what: str) -> None:
    undefined = {type(a).__name__ for e in exprs for a in e.atoms(AppliedUndef)}
    if undefined:
        raise ExpressionError(
            f"{what} contains undefined functions {sorted(undefined)}; build the model with a "
            f"concrete activation (e.g. activation='tanh') to compile it"
        )


@dataclass(frozen=True)
class CompiledFlow:
    """A gradient flow compiled to NumPy: ``dy/dt = rhs(y, p)``.

    Attributes
    ----------
    state : tuple of sympy.Symbol
        ``y[i]`` is ``state[i]``.
    params : tuple of sympy.Symbol
        ``p[j]`` is ``params[j]`` (data, then constants, sorted by name within each).
    layout : str
        The generated description of both layouts (also each function's ``__doc__``).
    invariant_names : tuple of str
        Names of the compiled invariants (see :meth:`invariants`).
    """

    state: tuple[sp.Symbol, ...]
    params: tuple[sp.Symbol, ...]
    layout: str
    _rhs: Callable = field(repr=False)
    _rhs_exprs: tuple[sp.Expr, ...] | Callable[[], tuple[sp.Expr, ...]] = field(repr=False)
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
        """:math:`\\partial \\dot y / \\partial y`, shape (n, n) (compiled on first use)."""
        if "jac" not in self._cache:
            n = len(self.state)
            exprs = self._rhs_exprs() if callable(self._rhs_exprs) else self._rhs_exprs
            jac = sp.Matrix(exprs).jacobian(self.state)
            self._cache["jac"] = compile_expression(list(jac), [list(self.state), list(self.params)])
            self._cache["sparsity"] = np.array([e != 0 for e in jac], dtype=bool).reshape(n, n)
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
            "rhs": inspect.getsource(self._rhs),
            "invariants": {name: [inspect.getsource(fn), c] for name, (fn, c) in self._invariants.items()},
        }


_LAMBDIFY_NAMESPACE: dict[str, Any] = {}


def _lambdify_namespace() -> dict[str, Any]:
    """The names ``lambdify(..., modules=["numpy", "scipy"])`` gives its generated code."""
    if not _LAMBDIFY_NAMESPACE:
        import functools

        _LAMBDIFY_NAMESPACE.update(sp.lambdify([], sp.Integer(0), modules=["numpy", "scipy"]).__globals__)
        _LAMBDIFY_NAMESPACE["reduce"] = functools.reduce  # printed for Max/Min (the printer's own import)
    return _LAMBDIFY_NAMESPACE


def _reload(source: str, ns: dict[str, Any]) -> Callable:
    """A lambdify-generated function from its source; every global it reads must resolve."""
    import builtins

    fn = compile_source(source, "_lambdifygenerated", ns)
    missing = [n for n in fn.__code__.co_names if n not in ns and not hasattr(builtins, n)]
    if missing:
        raise NameError(f"cached code needs {missing}; recompiling")
    return fn


def _flow_from_record(record: dict, spec: Any) -> CompiledFlow:
    """Rebuild a :class:`CompiledFlow` of ``spec`` from :meth:`CompiledFlow.as_record`."""
    known = {s.name: s for s in (*spec.state, *spec.data, *spec.constants)}
    state = tuple(known[str(n)] for n in record["state"])
    params = tuple(known.get(str(n)) or sp.Symbol(str(n)) for n in record["params"])
    ns = _lambdify_namespace()
    fn = _reload(str(record["rhs"]), ns)
    fn.__doc__ = str(record["layout"])
    invariants = {str(name): (_reload(str(src), ns), int(c)) for name, (src, c) in record["invariants"].items()}

    def derive() -> tuple[sp.Expr, ...]:  # only the Jacobian needs the expressions
        from ..symbolic.flow import derive_flow

        return tuple(sp.sympify(e) for e in derive_flow(spec).rhs)

    return CompiledFlow(state, params, str(record["layout"]), fn, derive, invariants)


def compile_spec_flow(
    spec: Any,
    *,
    invariants: Mapping[str, sp.Expr | Sequence[sp.Expr]]
    | Callable[[], Mapping[str, sp.Expr | Sequence[sp.Expr]]]
    | None = None,
    invariants_key: str | None = None,
) -> tuple[CompiledFlow, str]:
    """``compile_flow(derive_flow(spec), invariants=...)``, cached (:mod:`theory.numeric.flow_cache`).

    The key is the spec's content (loss, parameter groups with rates and metrics, data,
    constants, as ``sympy.srepr``) and the invariants'; a hit in memory or on disk does no
    symbolic work (the Jacobian, used only by implicit solvers, is derived on first use).

    Parameters
    ----------
    spec : ModelSpec
    invariants : mapping, or a callable returning one, optional
        Quantities to compile with the flow.  A callable is called only on a cache miss (its
        own symbolic work is saved too); then ``invariants_key`` must name what it returns
        (e.g. the catalogue entry): the key holds that name, not the expressions, and the
        source fingerprint covers the code that builds them.
    invariants_key : str, optional
        Required with a callable ``invariants``.

    Returns
    -------
    (flow, source) : the compiled flow and where it came from (``"memory"``, ``"disk"``, ``"computed"``).
    """
    from ..symbolic.flow import derive_flow
    from .flow_cache import cached, content_key

    groups = [(g.symbols, g.rate, g.metric) for g in spec.params]
    parts = [
        str(getattr(spec, "name", "")),
        sp.srepr(spec.loss),
        sp.srepr(groups),
        sp.srepr(tuple(spec.data)),
        sp.srepr(tuple(spec.constants)),
    ]
    make: Callable[[], Mapping[str, sp.Expr | Sequence[sp.Expr]] | None]
    if callable(invariants):
        if not invariants_key:
            raise InvalidArgument("a callable `invariants` needs `invariants_key` naming what it returns")
        parts.append(f"invariants-from:{invariants_key}")
        make = invariants
    else:
        parts += [f"{name}={sp.srepr(q)}" for name, q in sorted((invariants or {}).items())]
        fixed = invariants

        def make() -> Mapping[str, sp.Expr | Sequence[sp.Expr]] | None:
            return fixed

    key = content_key("compiled-flow", *parts)
    return cached(
        key,
        lambda: compile_flow(derive_flow(spec), invariants=make()),
        CompiledFlow.as_record,
        lambda record: _flow_from_record(record, spec),
    )


def compile_flow(
    flow: Any,
    *,
    invariants: Mapping[str, sp.Expr | Sequence[sp.Expr]] | None = None,
) -> CompiledFlow:
    """Compile a derived gradient flow (and its invariants) to NumPy.

    Parameters
    ----------
    flow : theory.symbolic.Flow
        With ``.state`` (symbols) and ``.rhs`` (expressions), e.g. from ``derive_flow``.
    invariants : mapping of name to expression(s), optional
        Quantities to evaluate along trajectories (e.g. a catalogue entry's components).

    Returns
    -------
    CompiledFlow

    Raises
    ------
    ExpressionError
        The flow or an invariant contains undefined functions (arbitrary activation) or
        symbols that are neither state, data nor constants.
    """
    state = tuple(flow.state)
    rhs = tuple(sp.sympify(e) for e in flow.rhs)
    _check_compilable(rhs, "the flow")
    spec = getattr(flow, "spec", None)
    data = tuple(getattr(spec, "data", ()))
    consts = tuple(getattr(spec, "constants", ()))
    free = set().union(*(e.free_symbols for e in rhs)) - set(state)
    inv_exprs = {
        name: [sp.sympify(e) for e in (q if isinstance(q, list | tuple) else [q])]
        for name, q in (invariants or {}).items()
    }
    for name, qs in inv_exprs.items():
        _check_compilable(qs, f"invariant {name!r}")
        free |= set().union(*(q.free_symbols for q in qs)) - set(state)
    known = set(data) | set(consts)
    params = tuple(s for s in (*data, *consts) if s in free) + tuple(sorted(free - known, key=lambda s: s.name))
    layout = _layout_doc(f"Compiled flow of {getattr(spec, 'name', 'a model')}", state, params)
    args = [list(state), list(params)]
    fn = compile_expression(list(rhs), args)
    fn.__doc__ = layout
    compiled_inv = {}
    for name, qs in inv_exprs.items():
        f_inv = compile_expression([*list(qs), sp.Integer(0)], args)  # pad: always a list
        f_inv.__doc__ = layout
        compiled_inv[name] = (f_inv, len(qs))
    return CompiledFlow(state, params, layout, fn, rhs, compiled_inv)


#: SymPy functions that are not complex-analytic: a loss containing one is differentiated by
#: central differences, never by the complex step (which needs an analytic continuation).
NON_ANALYTIC = (sp.Abs, sp.Piecewise, sp.Max, sp.Min, sp.sign, sp.Heaviside, sp.floor, sp.ceiling, sp.re, sp.im)


@dataclass(frozen=True)
class CompiledLoss:
    """A model's loss compiled to NumPy: ``loss(y, d, c)``.

    Attributes
    ----------
    state, data, constants : tuple of sympy.Symbol
        ``y[i]`` is ``state[i]``, ``d[j]`` is ``data[j]``, ``c[k]`` is ``constants[k]``.
    analytic : bool
        No non-analytic function (:data:`NON_ANALYTIC`) occurs in the loss: complex-step
        differentiation applies.
    layout : str
        The generated layout description (also the function's ``__doc__``).
    """

    state: tuple[sp.Symbol, ...]
    data: tuple[sp.Symbol, ...]
    constants: tuple[sp.Symbol, ...]
    analytic: bool
    layout: str
    _fn: Callable = field(repr=False)

    def __call__(self, y: np.ndarray, d: np.ndarray, c: np.ndarray) -> np.ndarray:
        """The loss at ``y`` (shape (n,) or (n, B): B points at once; real or complex)."""
        y = np.asarray(y)
        out = np.asarray(self._fn(y, d, c))
        return np.broadcast_to(out, y.shape[1:]) if out.shape != y.shape[1:] else out


def compile_loss(spec: Any) -> CompiledLoss:
    """Compile ``spec.loss`` alone (no symbolic gradient) to a NumPy function of ``(y, d, c)``.

    Parameters
    ----------
    spec : theory.models.ModelSpec
        With a loss free of undefined functions (instantiate an arbitrary activation first).

    Returns
    -------
    CompiledLoss
        Accepts complex input (NumPy's ``exp``, ``log``, ``tanh``, ... continue analytically),
        so :func:`theory.numeric.finite_diff.complex_step_gradient` applies when
        ``analytic`` is true.

    Raises
    ------
    ExpressionError
        The loss contains undefined functions, or symbols that are neither state, data nor
        constants of the spec.
    """
    loss = sp.sympify(spec.loss)
    _check_compilable([loss], "the loss")
    state, data, consts = tuple(spec.state), tuple(spec.data), tuple(spec.constants)
    stray = loss.free_symbols - set(state) - set(data) - set(consts)
    if stray:
        names = ", ".join(sorted(s.name for s in stray))
        raise ExpressionError(f"the loss uses {names}, which are neither parameters, data nor constants of the spec")
    layout = _layout_doc(f"Compiled loss of {spec.name}", state, (*data, *consts))
    fn = compile_expression(loss, [list(state), list(data), list(consts)])
    fn.__doc__ = layout
    return CompiledLoss(state, data, consts, not loss.has(*NON_ANALYTIC), layout, fn)
