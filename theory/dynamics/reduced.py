"""Reduced JoMA dynamics: attention integrated out through the proved invariant.

Role: turn the symbolic core's conserved quantity into the ODE in :math:`v` alone that the
JoMA paper analyses (Tian et al., ICLR 2024, arXiv 2310.00535, Sec. 4-5).  Nothing here is
typed in: the logit law :math:`z_l(v)` is the catalogue's ``joma-exp`` invariant
(:func:`derivations.joma_exp.invariant`, discovered from the derived gradient flow of
:func:`theory.models.joma_block`), *proved* conserved by :func:`theory.symbolic.prove` at the
sizes used, solved for :math:`z_l` with SymPy and compiled by
:func:`theory.numeric.compile.compile_expression`.  For exp attention, :math:`K` hidden
nodes and learning-rate ratio :math:`r = \\eta_z/\\eta_w` the core finds

.. math:: z_l - \\frac{r}{2T} \\sum_k v_{kl}^2 = c_l \\quad\\Longrightarrow\\quad
          z_l(v) = c_l + \\frac{r}{2T} \\sum_k v_{kl}^2 ,

so the attention weight of token :math:`l` is :math:`x_l \\exp(z_l(v)/T)`.  Softmax
attention is the same weight normalised; under the conditions of the paper's conditional
softmax invariant with uniform :math:`\\bar b` its extra term is common to every :math:`l`
and cancels in the normalisation (REFERENCE.md sec. 1), so the same :math:`z(v)` is used.

Two reduced right-hand sides (one hidden node, :math:`a = r/(2T^2)`, :math:`c = 0`):

* linear activation, stationary :math:`\\Delta = E[g x]` (exact for this ODE):
  :math:`\\dot v_l = \\eta_w \\Delta_l e^{a v_l^2}` (the symbolic form is
  :func:`linear_rhs_symbolic`, derived from the flow);
* nonlinear activation (the paper's model of :math:`E[g\\phi' x]`, an assumption, not a
  theorem): :math:`\\dot v = s(t)\\,(\\mu - v) \\circ e^{a v^2}`, with :math:`s = 1` (exp)
  or :math:`s = 1/\\sum_j \\bar x_j e^{a v_j^2}` (softmax).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from ..errors import InvalidArgument, NotConservedError, UnknownNameError
from .entropy import softmax

__all__ = [
    "LogitLaw",
    "ReducedJoMA",
    "linear_rhs_symbolic",
    "logit_law",
]

_REDUCED_ATTENTIONS = ("exp", "softmax")
_ACTIVATIONS = ("linear", "nonlinear")


@dataclass(frozen=True)
class LogitLaw:
    """:math:`z_l` as a function of the projected weights, from the proved invariant.

    Attributes
    ----------
    K : int
        Hidden nodes.
    invariant : sympy.Expr
        The conserved quantity (component ``l = 1``), as discovered by the core.
    verdict : str
        The prover's verdict (always ``"proved"``; anything else raises).
    z_of_v : sympy.Expr
        The invariant solved for ``z1`` with the constant named ``c``.
    symbols : tuple of sympy.Symbol
        Argument order of :attr:`fn`: ``v1_1 .. vK_1, c, T, eta_w, eta_z``.
    fn : callable
        Compiled ``z_of_v``; vectorised over tokens.
    """

    K: int
    invariant: sp.Expr
    verdict: str
    z_of_v: sp.Expr
    symbols: tuple[sp.Symbol, ...]
    fn: Callable

    def __call__(self, v: np.ndarray, *, c: np.ndarray | float = 0.0, T: float, r: float) -> np.ndarray:
        """Evaluate :math:`z(v)` for ``v`` of shape (K, M) (or (M,) when K = 1)."""
        v = np.asarray(v, dtype=float)
        if v.ndim == 1:
            v = v[None, :]
        if v.shape[0] != self.K:
            raise InvalidArgument(f"expected v with {self.K} rows (hidden nodes), got shape {v.shape}")
        return np.asarray(self.fn(*v, c, T, 1.0, r), dtype=float) + 0.0 * v[0]


@lru_cache(maxsize=8)
def logit_law(K: int = 1) -> LogitLaw:
    """The catalogue's exp-attention invariant for ``K`` hidden nodes, proved, solved for ``z1``.

    The quantity is :func:`derivations.joma_exp.invariant` (the theorem catalogue's entry
    ``joma-exp``, itself discovered from the derived flow by
    :func:`theory.symbolic.integrate_ratio`); it is proved again here for the sizes used.

    Raises
    ------
    NotConservedError
        If the core does not prove the quantity conserved.
    """
    from ..derivations import joma_exp
    from ..models import joma_block
    from ..numeric.compile import compile_expression
    from ..symbolic import derive_flow, prove

    if not isinstance(K, int) or not 1 <= K <= 8:
        raise InvalidArgument(f"expected an integer K in [1, 8], got K={K!r}")
    spec = joma_block(2, K, 1, attention="exp")
    flow = derive_flow(spec)
    sym = spec.symbols
    vs = [sym[f"v{k}_1"] for k in range(1, K + 1)]
    quantity = joma_exp.invariant(spec)[0]
    verdict = prove(flow, quantity)
    if verdict.verdict != "proved":
        raise NotConservedError(f"the core did not prove {quantity} conserved (verdict {verdict.verdict})")
    c = sp.Symbol("c", real=True)
    solved = sp.solve(sp.Eq(quantity, c), sym["z1"], dict=True)
    if len(solved) != 1:
        raise NotConservedError(f"the invariant does not determine z1 uniquely: {solved}")
    z_of_v = sp.expand(solved[0][sym["z1"]])
    args = (*vs, c, sym["T"], sym["eta_w"], sym["eta_z"])
    return LogitLaw(K, quantity, verdict.verdict, z_of_v, args, compile_expression(z_of_v, args))


@lru_cache(maxsize=2)
def linear_rhs_symbolic() -> tuple[sp.Expr, sp.Symbol, sp.Symbol]:
    """The reduced right-hand side for linear activation, one hidden node, one sample.

    The core's flow for ``v1_1`` with :math:`\\phi(a) = a` is :math:`\\eta_w g x e^{z/T}`; with
    one sample :math:`E[g x_1] = g_{1,1} x_{1,1}`, renamed :math:`\\Delta`, and :math:`z` replaced
    by the logit law (``c = 0``).

    Returns
    -------
    (rhs, v, Delta) : the expression and its two symbols (constants ``T``, ``eta_w``, ``eta_z``
    keep their core names).
    """
    from ..models import joma_block
    from ..symbolic import derive_flow

    spec = joma_block(2, 1, 1, attention="exp", activation="linear")
    flow = derive_flow(spec)
    sym = spec.symbols
    law = logit_law(1)
    delta = sp.Symbol("Delta", real=True)
    rhs = flow["v1_1"].subs(sym["z1"], law.z_of_v.subs(sp.Symbol("c", real=True), 0))
    rhs = rhs.subs({sym["g1_1"]: delta, sym["x1_1"]: 1})
    rhs = sp.powsimp(sp.expand(rhs), combine="exp")
    if rhs.free_symbols - {delta, sym["v1_1"], sym["T"], sym["eta_w"], sym["eta_z"]}:
        raise NotConservedError(f"reduced linear rhs still depends on attention: {rhs}")
    return rhs, sym["v1_1"], delta


@dataclass(frozen=True)
class ReducedJoMA:
    """The reduced ODE :math:`\\dot v = F(v)` for one hidden node (attention integrated out).

    Parameters
    ----------
    target : ndarray, shape (M,)
        :math:`\\Delta` (linear activation) or :math:`\\mu` (nonlinear).
    attention : {"exp", "softmax"}
    activation : {"linear", "nonlinear"}
    T, r : float
        Temperature and learning-rate ratio :math:`\\eta_z/\\eta_w`; the exponent is
        :math:`a v^2` with :math:`a = r/(2T^2)` (the paper's :math:`v^2/2`: ``T = r = 1``).
    xbar : ndarray, optional
        Mean token frequencies weighting the softmax (uniform if omitted).
    """

    target: np.ndarray
    attention: str = "exp"
    activation: str = "nonlinear"
    T: float = 1.0
    r: float = 1.0
    xbar: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.attention not in _REDUCED_ATTENTIONS:
            raise UnknownNameError(
                f"unknown attention {self.attention!r} for the reduced dynamics; expected exp or softmax"
            )
        if self.activation not in _ACTIVATIONS:
            raise UnknownNameError(f"unknown activation {self.activation!r}; expected 'linear' or 'nonlinear'")
        tgt = np.asarray(self.target, dtype=float)
        if tgt.ndim != 1 or tgt.size < 1 or not np.all(np.isfinite(tgt)):
            raise InvalidArgument("target (Delta or mu) must be a finite 1-d array")
        object.__setattr__(self, "target", tgt)
        for name in ("T", "r"):
            val = getattr(self, name)
            if not (np.isfinite(val) and val > 0):
                raise InvalidArgument(f"expected a positive finite {name}, got {name}={val!r}")
        if self.xbar is not None:
            xb = np.asarray(self.xbar, dtype=float)
            if xb.shape != tgt.shape or np.any(xb <= 0):
                raise InvalidArgument("xbar must be positive with the same shape as target")
            object.__setattr__(self, "xbar", xb / xb.sum())

    @property
    def M(self) -> int:
        """Number of tokens."""
        return int(self.target.size)

    @property
    def a(self) -> float:
        """Exponent coefficient :math:`a = r/(2T^2)` of :math:`e^{a v^2}`."""
        return float(self.r / (2.0 * self.T**2))

    def logits(self, v: np.ndarray) -> np.ndarray:
        """Attention logits :math:`z(v)` from the proved invariant (``c = 0``); v (..., M)."""
        v = np.asarray(v, dtype=float)
        return np.asarray(logit_law(1).fn(v, 0.0, self.T, 1.0, self.r), dtype=float) + 0.0 * v

    def weights(self, v: np.ndarray) -> np.ndarray:
        """Attention factor: :math:`e^{z/T}` (exp) or its :math:`\\bar x`-weighted softmax."""
        if self.attention == "exp":
            return np.exp(self.logits(v) / self.T)
        return self.attention_probs(v)

    def attention_probs(self, v: np.ndarray) -> np.ndarray:
        """Normalised attention :math:`\\bar x \\circ e^{z/T} / \\sum` (for its entropy); v (..., M)."""
        return softmax(self.logits(v) / self.T, weights=self.xbar)

    def rhs(self, t: float, v: np.ndarray) -> np.ndarray:
        """:math:`F(v)`; signature ``(t, v)`` for :func:`scipy.integrate.solve_ivp`."""
        if self.activation == "linear":
            return self.target * self.weights(v)
        return (self.target - v) * self.weights(v)
