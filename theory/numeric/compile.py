"""The compile bridge: the one module where SymPy expressions become NumPy functions.

No other module calls :func:`sympy.lambdify`; a test scans the package to enforce it.  Its
SymPy-free half, :mod:`theory.numeric._compiled`, executes generated code
(:func:`compile_source`, :class:`CompiledFlow`, re-exported here), so that code read back from
the cache runs without importing SymPy.  Entry points:

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
* :func:`compile_jacobian` - the Jacobian of a right-hand side and its sparsity pattern (what
  :meth:`CompiledFlow.jacobian` calls on first use, also for a flow read from the cache).
* :func:`compile_spec_flow` - :func:`compile_flow` of a spec, cached by content
  (:mod:`theory.numeric.flow_cache`).

Vectorised index-form flows (large token counts) are printed by
:mod:`theory.numeric.indexed_print` and executed by :func:`compile_source`
(see :func:`theory.numeric.indexed_flow.compile_indexed`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from ..errors import ExpressionError, InvalidArgument
from ._compiled import CompiledFlow, compile_source, flow_from_record

__all__ = [
    "CompiledFlow",
    "CompiledLoss",
    "compile_expression",
    "compile_flow",
    "compile_jacobian",
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


def _layout_doc(title: str, state: Sequence[sp.Symbol], params: Sequence[sp.Symbol]) -> str:
    lines = [title, "", "State layout (y):"]
    lines += [f"    y[{i}] = {s.name}" for i, s in enumerate(state)]
    lines += ["", "Parameter layout (p: data and constants):"]
    lines += [f"    p[{j}] = {s.name}" for j, s in enumerate(params)] or ["    (none)"]
    return "\n".join(lines)


def _check_compilable(exprs: Sequence[sp.Expr], what: str) -> None:
    undefined = {type(a).__name__ for e in exprs for a in e.atoms(AppliedUndef)}
    if undefined:
        raise ExpressionError(
            f"{what} contains undefined functions {sorted(undefined)}; build the model with a "
            f"concrete activation (e.g. activation='tanh') to compile it"
        )


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

    symbols = {s.name: s for s in (*spec.state, *spec.data, *spec.constants)}

    def rebuild(record: dict) -> CompiledFlow:
        state = [symbols[str(n)] for n in record["state"]]
        params = [symbols.get(str(n)) or sp.Symbol(str(n)) for n in record["params"]]

        def jacobian() -> tuple[Callable, np.ndarray]:  # only implicit solvers need the expressions
            return compile_jacobian(derive_flow(spec).rhs, state, params)

        return flow_from_record(record, jacobian, symbols)

    return cached(key, lambda: compile_flow(derive_flow(spec), invariants=make()), CompiledFlow.as_record, rebuild)


def compile_jacobian(
    rhs: Sequence[sp.Expr], state: Sequence[sp.Symbol], params: Sequence[sp.Symbol]
) -> tuple[Callable, np.ndarray]:
    """The Jacobian of ``rhs`` in ``state``, compiled as ``f(y, p)``, and its sparsity pattern.

    Returns
    -------
    (f, sparsity) : ``f(y, p)`` returns the ``n * n`` entries row by row (scalars for
        constant entries); ``sparsity`` is the structural non-zero pattern, shape (n, n), bool.
    """
    n = len(state)
    jac = sp.Matrix([sp.sympify(e) for e in rhs]).jacobian(list(state))
    f = compile_expression(list(jac), [list(state), list(params)])
    return f, np.array([e != 0 for e in jac], dtype=bool).reshape(n, n)


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
    return CompiledFlow(state, params, layout, fn, lambda: compile_jacobian(rhs, state, params), compiled_inv)


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
