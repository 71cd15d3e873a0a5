"""The reduced JoMA flow on a data set, computed from reduced quantities only.

Role: the cheap side of JoMA (Tian et al., ICLR 2024, arXiv 2310.00535, Sec. 4): with
orthonormal embeddings (:math:`U^\\top U = I`, :math:`U^\\top u_m = 0`) the MLP weights enter
the model only through their projections :math:`v_k = U^\\top w_k \\in \\mathbb R^M` and
:math:`v_{m,k} = u_m^\\top w_k`, and the attention logits through the proved invariant
:math:`z_l = c_l + \\frac{r}{2T}\\sum_k v_{kl}^2` (:func:`~theory.dynamics.reduced.logit_law`).
So the flow closes on the :math:`K(M + 1)` numbers :math:`(V, v_m)`, whatever the embedding
dimension :math:`d`: per sample :math:`n`

.. math::

    b_n = x_n \\circ e^{z(V)/T}\\ (\\text{exp; softmax: normalised}),\\quad
    a_{n} = V b_n + v_m,\\quad h_n = \\phi(a_n),\\quad
    \\delta_n = \\frac{1}{N}\\frac{\\partial \\ell_n}{\\partial h_n} \\circ \\phi'(a_n),

.. math::

    \\dot V = -\\eta_w \\sum_n \\delta_n b_n^\\top, \\qquad \\dot v_m = -\\eta_w \\sum_n \\delta_n,

which is :math:`\\dot w_k = -\\eta_w \\sum_n \\delta_{n,k} f_n` (:math:`f_n = U b_n + u_m`)
projected on :math:`U` and :math:`u_m`.  A right-hand side costs :math:`O(NMK)`; the full
model's costs :math:`O(N d (M + K))` and carries :math:`Kd + M` numbers, so the saving grows
with :math:`d` (``bench/bench_reduced_vs_full.py`` measures it at three sizes).

For exp attention the invariant is exact, so this flow *is* the full flow seen through the
projections (``tests/joma/test_joma_reduced_flow.py`` checks it, with a wrong :math:`r` as
the negative control).  For softmax attention the same :math:`z(V)` is an approximation
(the conditional invariant's extra term is dropped), as in
:func:`theory.dynamics.full_model.reduced_entropy`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidArgument
from ..numeric.entropy import entropy
from ..numeric.referee import activation, activation_slope
from .reduced import logit_law

__all__ = ["ReducedFlow", "reduced_flow"]


@dataclass(frozen=True, eq=False)
class ReducedFlow:
    """The reduced flow :math:`\\dot y = F(y)`, :math:`y = (V \\text{ row-major}, v_m)`.

    Attributes
    ----------
    x : ndarray (N, M)
        Token frequencies of the samples.
    targets : ndarray
        Class labels (N,) for cross-entropy, targets (N, K) for the squared loss.
    K : int
        Hidden nodes.
    c : ndarray (M,)
        The invariant's constant, :math:`c = z(0) - \\frac{r}{2T}\\sum_k v_k(0)^2`.
    attention, activation_name, loss : str
    T, eta_w, eta_z : float
    """

    x: np.ndarray
    targets: np.ndarray
    K: int
    c: np.ndarray
    attention: str
    activation_name: str
    loss: str
    T: float
    eta_w: float
    eta_z: float

    @property
    def M(self) -> int:
        """Contextual tokens."""
        return int(self.x.shape[1])

    @property
    def size(self) -> int:
        """State length :math:`K(M + 1)`."""
        return self.K * (self.M + 1)

    def split(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``y`` -> ``(V (K, M), v_m (K,))`` (views)."""
        km = self.K * self.M
        return y[:km].reshape(self.K, self.M), y[km:]

    def logits(self, V: np.ndarray) -> np.ndarray:
        """:math:`z(V)` from the proved invariant (:func:`~theory.dynamics.reduced.logit_law`)."""
        return logit_law(self.K)(V, c=self.c, T=self.T, r=self.eta_z / self.eta_w)

    def attention_weights(self, V: np.ndarray) -> np.ndarray:
        """:math:`b_n` per sample, shape (N, M) (exp: unnormalised, as in the model)."""
        z = self.logits(V) / self.T
        if self.attention == "exp":
            return self.x * np.exp(z)
        e = self.x * np.exp(z - z.max())
        return e / e.sum(axis=1, keepdims=True)

    def rhs(self, y: np.ndarray) -> np.ndarray:
        """:math:`F(y)`: the reduced velocity (see the module docstring)."""
        V, vm = self.split(np.asarray(y, dtype=float))
        b = self.attention_weights(V)
        pre = b @ V.T + vm
        h = activation(self.activation_name, pre)
        N = self.x.shape[0]
        if self.loss == "squared":
            dh = (h - self.targets) / N
        else:
            p = np.exp(h - h.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(N), self.targets] -= 1.0
            dh = p / N
        delta = dh * activation_slope(self.activation_name, pre)
        return -self.eta_w * np.concatenate([(delta.T @ b).ravel(), delta.sum(axis=0)])

    def mean_entropy(self, y: np.ndarray) -> float:
        """Mean over samples of the normalised attention's entropy."""
        b = self.attention_weights(self.split(np.asarray(y, dtype=float))[0])
        return float(entropy(b / b.sum(axis=1, keepdims=True)).mean())


def reduced_flow(model, theta0: np.ndarray) -> tuple[ReducedFlow, np.ndarray]:
    """The reduced flow of a referee model (:func:`theory.numeric.referee.joma_referee`) and its start.

    Parameters
    ----------
    model : JomaReferee
        One query, no LayerNorm, orthonormal embeddings, exp or softmax attention.
    theta0 : ndarray
        The full model's start; :math:`c` is fixed from it.

    Returns
    -------
    (flow, y0) : the reduced flow and the projected start :math:`(V(0), v_m(0))`.

    Raises
    ------
    InvalidArgument
        A model the reduction does not cover (the message names the setting).
    """
    if model.Q != 1 or model.layernorm or model.attention not in ("exp", "softmax"):
        raise InvalidArgument(
            "the reduced flow needs one query, no LayerNorm and exp or softmax attention "
            f"(got queries={model.Q}, layernorm={model.layernorm}, attention={model.attention!r})"
        )
    E = np.column_stack([model.U, model.u_query])
    if not np.allclose(E.T @ E, np.eye(E.shape[1]), atol=1e-10):
        raise InvalidArgument("the reduced flow needs orthonormal embeddings (RefereeConfig(embeddings='orthonormal'))")
    z0, v0, vm0 = model.projections(np.asarray(theta0, dtype=float))
    r = model.eta_z / model.eta_w
    c = z0[0] - logit_law(model.K)(v0, c=0.0, T=model.T, r=r)
    flow = ReducedFlow(
        x=model.x,
        targets=model.targets,
        K=model.K,
        c=c,
        attention=model.attention,
        activation_name=model.activation,
        loss=model.loss_name,
        T=model.T,
        eta_w=model.eta_w,
        eta_z=model.eta_z,
    )
    return flow, np.concatenate([v0.ravel(), vm0[:, 0]])
