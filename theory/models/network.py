"""A model given by its output :math:`g(\\theta, x)`: laws that hold for every loss and data set.

Marcotte, Gribonval & Peyre, "Abide by the law and follow the flow", NeurIPS 2023: a
conservation law of :math:`g` is a function :math:`h(\\theta)` with :math:`dh/dt = 0` along the
gradient flow of *every* loss :math:`\\sum_s \\ell(g(\\theta, x_s), y_s)` and data set, that is
:math:`\\nabla h \\perp \\nabla_\\theta g_i(\\theta, x)` for every output :math:`i` and input
:math:`x`.  The flow of the surrogate loss

.. math::

    \\mathcal L(\\theta) = -\\sum_i G_i\\, g_i(\\theta, x)

with free symbols :math:`G_i` (the back-propagated gradient :math:`-\\partial\\ell/\\partial g_i`
of one sample) and free inputs :math:`x` is
:math:`\\dot\\theta = \\eta \\sum_i G_i \\nabla_\\theta g_i(\\theta, x)`; a quantity conserved for
all values of :math:`G` and :math:`x` is conserved for every loss and data set (the flow of a
data set is a sum of such terms), and conversely.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy as sp

from ..errors import ModelError
from .spec import ModelSpec, ParamGroup

__all__ = ["network"]


def _symbols_of(name: str, value: object) -> tuple[sp.Symbol, ...]:
    if isinstance(value, sp.MatrixBase):
        items = list(value)
    elif isinstance(value, (list, tuple)):
        items = [e for row in value for e in (row if isinstance(row, (list, tuple)) else [row])]
    else:
        raise ModelError(f"parameter {name!r} must be a SymPy Matrix or a list of symbols, got {type(value).__name__}")
    for s in items:
        if not isinstance(s, sp.Symbol):
            raise ModelError(f"parameter {name!r} holds {s!r}, which is not a SymPy symbol; use symbols only")
    if not items:
        raise ModelError(f"parameter {name!r} has no entries")
    return tuple(items)


def network(
    output: sp.Expr | sp.MatrixBase | Sequence[sp.Expr],
    params: Mapping[str, object],
    inputs: Sequence[sp.Symbol],
    *,
    name: str = "network",
    assumptions: Sequence[str] = (),
) -> ModelSpec:
    """A model from its output :math:`g(\\theta, x)`, trained with any loss on any data.

    Parameters
    ----------
    output : sympy.Expr, sympy.Matrix or sequence of sympy.Expr
        The network output :math:`g(\\theta, x)` (a scalar, or the entries of a vector/matrix).
    params : mapping of name to sympy.Matrix or list of symbols
        The parameter groups, e.g. ``{"U": U, "V": V}``; all move with one learning rate ``eta``.
    inputs : sequence of sympy.Symbol
        The data symbols :math:`x` (any value).
    name : str
    assumptions : sequence of str

    Returns
    -------
    ModelSpec
        Loss :math:`-\\sum_i G_i g_i`, data ``inputs`` and ``G1, G2, ...``, constant ``eta``.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory.symbolic import derive_flow, prove
    >>> u, v, x = sp.symbols("u v x", real=True)
    >>> spec = network(u * v * x, {"u": [u], "v": [v]}, [x])
    >>> prove(derive_flow(spec), u**2 - v**2).verdict
    'proved'
    """
    if isinstance(output, sp.MatrixBase):
        outs = list(output)
    elif isinstance(output, (list, tuple)):
        outs = list(output)
    else:
        outs = [output]
    outs = [sp.sympify(o) for o in outs]
    if not outs or not all(isinstance(o, sp.Expr) for o in outs):
        raise ModelError("output must be a SymPy expression, Matrix or list of expressions")
    if not params:
        raise ModelError("a network needs at least one parameter; pass params={'W': W}")
    groups = [(str(k), _symbols_of(str(k), v)) for k, v in params.items()]
    shapes = {str(k): tuple(v.shape) if isinstance(v, sp.MatrixBase) else None for k, v in params.items()}
    state = [s for _, syms in groups for s in syms]
    xs = tuple(inputs)
    if not all(isinstance(s, sp.Symbol) for s in xs):
        raise ModelError("inputs must be SymPy symbols")
    clash = set(state) & set(xs)
    if clash:
        raise ModelError(f"symbols {sorted(map(str, clash))} are both parameters and inputs; rename one")
    taken = {s.name for s in (*state, *xs)}
    G = [sp.Symbol(f"G{i + 1}" if f"G{i + 1}" not in taken else f"G_out{i + 1}", real=True) for i in range(len(outs))]
    eta = sp.Symbol("eta", positive=True)
    loss = -sp.Add(*(gi * o for gi, o in zip(G, outs, strict=True)))
    others = loss.free_symbols - set(state) - set(xs) - set(G)
    return ModelSpec(
        name=name,
        loss=loss,
        params=tuple(ParamGroup(n, syms, eta, shape=shapes[n]) for n, syms in groups),
        data=(*xs, *G),
        constants=(eta, *sorted(others, key=sp.default_sort_key)),
        sizes={"parameters": len(state), "outputs": len(outs)},
        assumptions=(
            "any loss and any data: G_i = -dloss/dg_i and the inputs x are free symbols",
            *assumptions,
        ),
        description=f"network output with {len(state)} parameters, {len(outs)} outputs, {len(xs)} inputs",
        extra={"outputs": tuple(outs), "inputs": xs, "G": tuple(G)},
    )
