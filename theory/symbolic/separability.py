"""From finitely many sizes to all sizes: the per-index separability argument.

The JoMA block's flow is linear in the back-propagated gradients :math:`g_{kn}`, so for a
quantity :math:`Q_l` the prover's :math:`\\dot Q_l` has the form
:math:`\\sum_{k,n} g_{kn}\\,\\phi'(a_{kn})\\,C_{kn,l}`.  If every coefficient
:math:`C_{kn,l}` involves only node :math:`k`'s weights, sample :math:`n`'s data and the
shared constants (and, for element-wise attention, only token :math:`l`), then each
coefficient is the *same expression* up to relabelling of indices, so
:math:`C_{kn,l} \\equiv 0` at one size implies it at every size: the proof at small sizes
covers all :math:`K, N` (and all :math:`M`).  This module checks those conditions on the
actual derivative; it never assumes them.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import AppliedUndef

from .flow import Flow

__all__ = ["separability"]

_NAME = re.compile(r"^(v|vm|x|g|z|y)(\d+)(?:_(\d+))?$")


def _indices(s: sp.Symbol) -> tuple[str, int | None, int | None] | None:
    m = _NAME.match(s.name)
    if not m:
        return None
    kind, i, j = m.group(1), int(m.group(2)), (int(m.group(3)) if m.group(3) else None)
    return kind, i, j


def separability(flow: Flow, quantity: sp.Expr, component: int) -> dict[str, bool]:
    """Check the separability conditions for one component :math:`\\dot Q_l`.

    The derivative is examined *before* cancellation: every monomial of every term
    :math:`\\partial_i Q_l\\,\\dot\\theta_i` must contain exactly one :math:`g_{kn}` and
    otherwise only symbols of node :math:`k` and sample :math:`n` (and, for ``tokens``, of
    token :math:`l`); values :math:`\\phi'(a_{kn})` are opaque but their arguments must belong
    to node :math:`k` and sample :math:`n`.

    Parameters
    ----------
    flow : Flow
        Flow of an arbitrary-loss JoMA model (data symbols ``g{k}_{n}``).
    quantity : sympy.Expr
        :math:`Q_l`.
    component : int
        The token index :math:`l` (1-based).

    Returns
    -------
    dict
        ``{"nodes_samples": bool, "tokens": bool}``.
    """
    nodes_ok = tokens_ok = True
    seen_g = False
    for s, rate in zip(flow.state, flow.rhs, strict=True):
        if not quantity.has(s):
            continue
        term = sp.expand_mul(sp.diff(quantity, s) * rate, deep=False)
        for mono in sp.Add.make_args(term):
            powers = mono.as_powers_dict()
            gs = [x for x in powers if isinstance(x, sp.Symbol) and (_indices(x) or ("",))[0] == "g"]
            if len(gs) != 1 or powers[gs[0]] != 1:
                return {"nodes_samples": False, "tokens": False}
            seen_g = True
            _, k_, n_ = _indices(gs[0])  # type: ignore[misc]
            k = int(k_ or 0)
            n = int(n_ or 0)
            for app in mono.atoms(AppliedUndef):
                nodes_ok &= all(_belongs(x, k, n, None) for x in app.free_symbols if _indices(x))
            plain = mono.xreplace({a: sp.Integer(1) for a in mono.atoms(AppliedUndef)})
            for x in plain.free_symbols:
                if _indices(x) is None:
                    continue  # constants (T, eta_w, eta_z)
                nodes_ok &= _belongs(x, k, n, None)
                tokens_ok &= _belongs(x, k, n, component)
    if not seen_g:
        return {"nodes_samples": False, "tokens": False}
    return {"nodes_samples": nodes_ok, "tokens": tokens_ok and nodes_ok}


def _belongs(s: sp.Symbol, k: int, n: int, token: int | None) -> bool:
    """Whether symbol ``s`` belongs to node ``k``, sample ``n`` (and token ``token`` if given)."""
    kind, i, j = _indices(s)  # type: ignore[misc]
    if kind in ("v", "vm") and i != k:
        return False
    if kind == "x" and i != n:
        return False
    if token is not None:
        if kind in ("v", "x") and j != token:
            return False
        if kind == "z" and i != token:
            return False
    return True
