"""A user's own model: any SymPy loss with parameter groups and learning rates."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import sympy as sp

from ..errors import ModelError
from .spec import ModelSpec, ParamGroup

__all__ = ["custom_model"]


def _rate(group: str, rate: object) -> sp.Expr:
    """A learning rate as a finite SymPy number or expression; strings are refused, never evaluated."""
    if isinstance(rate, str):
        raise ModelError(
            f"rate of group {group!r} is a string; strings are never evaluated: pass a number or SymPy expression"
        )
    if isinstance(rate, bool) or not isinstance(rate, (int, float, sp.Expr)):
        raise ModelError(f"rate of group {group!r} must be a number or SymPy expression, got {rate!r}")
    if isinstance(rate, float) and not math.isfinite(rate):
        raise ModelError(f"rate of group {group!r} must be finite, got {rate!r}")
    value = sp.Float(rate) if isinstance(rate, float) else sp.sympify(rate)  # not a string: nothing is parsed
    if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise ModelError(f"rate of group {group!r} = {value} is not finite")
    if value.is_number and not value.is_positive:
        raise ModelError(f"rate of group {group!r} = {value} must be positive")
    return value


def custom_model(
    loss: sp.Expr,
    groups: Mapping[str, tuple[Sequence[sp.Symbol], sp.Expr | float]],
    *,
    data: Iterable[sp.Symbol] = (),
    name: str = "custom",
    assumptions: Sequence[str] = (),
) -> ModelSpec:
    """Wrap a user's loss so the flow, prover and derivation machinery apply to it.

    Parameters
    ----------
    loss : sympy.Expr
        The training loss :math:`\\mathcal L(\\theta)`.
    groups : mapping of name to (symbols, learning rate)
        Parameter groups; each flows as :math:`\\dot\\theta_g = -\\eta_g\\nabla_{\\theta_g}\\mathcal L`.
    data : iterable of sympy.Symbol
        Symbols held fixed (data).  Every other free symbol of the loss that is not a
        parameter is treated as a constant.
    name : str
        Model name.
    assumptions : sequence of str
        Assumptions in words.

    Returns
    -------
    ModelSpec

    Examples
    --------
    >>> import sympy as sp
    >>> from theory.symbolic import derive_flow, prove
    >>> a, b, eta = sp.symbols("a b eta", positive=True)
    >>> spec = custom_model((a * b - 1) ** 2 / 2, {"a": ([a], eta), "b": ([b], eta)})
    >>> prove(derive_flow(spec), a**2 - b**2).verdict   # balancedness of a 2-layer linear net
    'proved'
    """
    if isinstance(loss, str) or not isinstance(loss, sp.Expr):
        if isinstance(loss, str):
            raise ModelError(
                "loss is a string; strings are never evaluated: build the loss from SymPy symbols, e.g. (a*b - 1)**2/2"
            )
        raise ModelError(f"loss must be a SymPy expression, got {type(loss).__name__}")
    if loss.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise ModelError(f"loss {loss} is not finite (contains nan, zoo or oo)")
    if not groups:
        raise ModelError("a model needs at least one parameter group; pass groups={'name': ([symbols], rate)}")
    params = []
    for gname, (symbols, rate) in groups.items():
        syms = tuple(symbols)
        for s in syms:
            if not isinstance(s, sp.Symbol):
                raise ModelError(f"group {gname!r}: parameters must be SymPy symbols, got {s!r}")
        params.append(ParamGroup(gname, syms, _rate(gname, rate)))
    state = {s for g in params for s in g.symbols}
    data_t = tuple(data)
    constants = tuple(
        sorted(
            (loss.free_symbols | {s for g in params for s in sp.sympify(g.rate).free_symbols}) - state - set(data_t),
            key=sp.default_sort_key,
        )
    )
    return ModelSpec(
        name=name,
        loss=loss,
        params=tuple(params),
        data=data_t,
        constants=constants,  # type: ignore[arg-type]
        sizes={},
        assumptions=tuple(assumptions),
        description=f"user model with groups {', '.join(groups)}",
    )
