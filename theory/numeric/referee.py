"""The referee: an independent plain-NumPy JoMA block whose gradients never touch SymPy.

Role: the ground truth the symbolic results are checked against.  It implements the model
of Tian et al., "JoMA", ICLR 2024 (arXiv 2310.00535), sec. 3, *forward only*; gradients
come from central finite differences or the complex step (:mod:`theory.numeric.finite_diff`)
or from hand-written back-propagation (``method="manual"``, itself tested against the
complex step).  Nothing here imports :mod:`theory.symbolic` or :mod:`theory.models`.

Model (per sample :math:`n` with query :math:`q_n`)

.. math::

    b_n = \\begin{cases} x_n \\circ z_q & \\text{linear} \\\\
          x_n \\circ e^{z_q/T} & \\text{exp} \\\\
          x_n \\circ e^{z_q/T} / (x_n^T e^{z_q/T}) & \\text{softmax}\\end{cases},\\qquad
    f_n = U b_n + u_{q}, \\quad (\\text{LayerNorm: } f_n / \\|f_n\\|),\\qquad
    h_{k,n} = \\phi(w_k^T f_n),

loss :math:`L = \\frac1N \\sum_n \\ell_n` with :math:`\\ell_n = \\frac12 \\sum_k (h_{k,n} -
y_{k,n})^2` (``"squared"``) or :math:`\\ell_n = \\log \\sum_k e^{h_{k,n}} - h_{c_n, n}`
(``"cross-entropy"``, hidden nodes read out as class logits).  Gradient flow:
:math:`\\dot z = -\\eta_z \\nabla_z L`, :math:`\\dot W = -\\eta_w \\nabla_W L`.

API
---
``model = joma_referee(M, K, N, RefereeConfig(attention="softmax", T=1.0, activation="tanh",
loss="squared", layernorm=False, queries=1, embeddings="orthonormal"), seed=0)`` builds a
:class:`JomaReferee` (data: frequencies ``x`` (N, M) on the simplex, targets / labels, query
index per sample; embeddings ``U`` (d, M), ``u_query`` (d, Q)).  Parameters are one flat
vector ``theta = concat(z.ravel(), W.ravel())`` with ``z`` (Q, M), ``W`` (K, d):
``model.pack(z, W)``, ``model.unpack(theta)``, ``model.init(scale=..., seed=...)``.

* ``model.loss(theta)`` - scalar; also takes a batch (B, P) -> (B,), complex-safe.
* ``model.gradient(theta, method="manual"|"complex"|"central")``.
* ``model.velocity(theta)`` = :math:`-R \\nabla L` (the gradient-flow right-hand side).
* ``model.projections(theta)`` -> ``(z, v, vm)``: ``v = W U`` (K, M) (:math:`v_{k,l} =
  u_l^T w_k`), ``vm = W u_query`` (K, Q).
* ``model.attention(theta)`` -> (N, M) normalised attention per sample;
  ``model.attention_entropy(theta)`` -> (N,) entropies.
* ``descend(model, theta0, eta=..., steps=...)`` (:mod:`theory.numeric.descent`) runs
  :math:`\\theta \\leftarrow \\theta + \\eta\\, \\mathrm{velocity}(\\theta)` (time
  :math:`t = \\text{step} \\cdot \\eta`) and returns a :class:`~theory.numeric.descent.Descent`.

Example
-------
>>> m = joma_referee(4, 2, 8, attention="exp", seed=1)
>>> th = m.init(seed=2)
>>> g = m.gradient(th)
>>> bool(np.allclose(g, m.gradient(th, method="complex"), rtol=1e-12, atol=1e-14))
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._config import configure
from ..errors import InvalidArgument, UnknownNameError
from .embeddings import almost_orthogonal_embeddings, orthonormal_embeddings
from .entropy import entropy
from .finite_diff import central_gradient, complex_step_gradient

__all__ = [
    "ACTIVATIONS",
    "ATTENTIONS",
    "LOSSES",
    "JomaReferee",
    "RefereeConfig",
    "activation",
    "activation_slope",
    "joma_referee",
]

ATTENTIONS = ("linear", "exp", "softmax")
ACTIVATIONS = ("linear", "tanh", "gelu", "softplus", "relu")
LOSSES = ("squared", "cross-entropy")
_GELU_SLOPE = 1.702  # the same sigmoid form of GELU as theory.models.activations


def _phi(name: str, a: np.ndarray) -> np.ndarray:
    if name == "linear":
        return a
    if name == "tanh":
        return np.tanh(a)
    if name == "gelu":  # a * sigmoid(1.702 a) (Hendrycks & Gimpel 2016): smooth, analytic
        return a / (1.0 + np.exp(-_GELU_SLOPE * a))
    if name == "softplus":
        return np.log1p(np.exp(a)) if not np.iscomplexobj(a) else np.log(1.0 + np.exp(a))
    return np.where(np.real(a) > 0, a, 0.0 * a)  # relu, branch on the real part


def _dphi(name: str, a: np.ndarray) -> np.ndarray:
    if name == "linear":
        return np.ones_like(a)
    if name == "tanh":
        return 1.0 - np.tanh(a) ** 2
    if name == "gelu":
        sig = 1.0 / (1.0 + np.exp(-_GELU_SLOPE * a))
        return sig + _GELU_SLOPE * a * sig * (1.0 - sig)
    if name == "softplus":
        return 1.0 / (1.0 + np.exp(-a))
    return (np.real(a) > 0).astype(float)


def activation(name: str, a: np.ndarray) -> np.ndarray:
    """The referee's activation :math:`\\phi(a)` by name (:data:`ACTIVATIONS`); complex-safe."""
    return _phi(_choice(name, ACTIVATIONS, "activation"), a)


def activation_slope(name: str, a: np.ndarray) -> np.ndarray:
    """Its derivative :math:`\\phi'(a)` (ReLU: 0 at 0)."""
    return _dphi(_choice(name, ACTIVATIONS, "activation"), a)


def _choice(value: str, options: tuple[str, ...], what: str) -> str:
    if value not in options:
        raise UnknownNameError(f"unknown {what} {value!r}; expected one of: {', '.join(options)}")
    return value


@dataclass(frozen=True, eq=False)
class JomaReferee:
    """A JoMA block with its data set (build it with :func:`joma_referee`)."""

    U: np.ndarray  # (d, M) contextual embeddings
    u_query: np.ndarray  # (d, Q) query embeddings
    x: np.ndarray  # (N, M) token frequencies (rows on the simplex)
    query: np.ndarray  # (N,) index of each sample's query in 0..Q-1
    targets: np.ndarray  # (N, K) squared-loss targets, or (N,) int labels for cross-entropy
    K: int
    attention: str = "softmax"
    activation: str = "tanh"
    loss_name: str = "squared"
    T: float = 1.0
    layernorm: bool = False
    eta_w: float = 1.0
    eta_z: float = 1.0
    _rates: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _choice(self.attention, ATTENTIONS, "attention")
        _choice(self.activation, ACTIVATIONS, "activation")
        _choice(self.loss_name, LOSSES, "loss")
        for name in ("T", "eta_w", "eta_z"):
            val = getattr(self, name)
            if not (np.isfinite(val) and val > 0):
                raise InvalidArgument(f"expected a positive finite {name}, got {name}={val!r}")
        if self.x.ndim != 2 or self.U.shape[1] != self.x.shape[1]:
            raise InvalidArgument(f"x must be (N, M) with M = U.shape[1], got x {self.x.shape}")
        rates = np.concatenate([np.full(self.Q * self.M, self.eta_z), np.full(self.K * self.d, self.eta_w)])
        object.__setattr__(self, "_rates", rates)

    # sizes ---------------------------------------------------------------------------------
    @property
    def M(self) -> int:
        return int(self.x.shape[1])

    @property
    def N(self) -> int:
        return int(self.x.shape[0])

    @property
    def Q(self) -> int:
        return int(self.u_query.shape[1])

    @property
    def d(self) -> int:
        return int(self.U.shape[0])

    @property
    def n_params(self) -> int:
        return self.Q * self.M + self.K * self.d

    @property
    def rates(self) -> np.ndarray:
        """Per-parameter learning rates: ``eta_z`` for z entries, ``eta_w`` for W entries."""
        return self._rates

    # parameters ----------------------------------------------------------------------------
    def pack(self, z: np.ndarray, W: np.ndarray) -> np.ndarray:
        """Flatten ``z`` (Q, M) and ``W`` (K, d) into ``theta``."""
        z = np.asarray(z).reshape(self.Q, self.M)
        W = np.asarray(W).reshape(self.K, self.d)
        return np.concatenate([z.ravel(), W.ravel()])

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``theta`` of shape (..., P) -> ``z`` (..., Q, M), ``W`` (..., K, d)."""
        theta = np.asarray(theta)
        if theta.shape[-1] != self.n_params:
            raise InvalidArgument(f"expected {self.n_params} parameters, got theta {theta.shape}")
        lead = theta.shape[:-1]
        nz = self.Q * self.M
        return theta[..., :nz].reshape(*lead, self.Q, self.M), theta[..., nz:].reshape(*lead, self.K, self.d)

    def init(self, *, scale: float = 0.1, z_scale: float = 0.0, seed: int = 0) -> np.ndarray:
        """Random start: ``W ~ N(0, scale^2)``, ``z ~ N(0, z_scale^2)``."""
        rng = np.random.default_rng(seed)
        z = z_scale * rng.standard_normal((self.Q, self.M))
        return self.pack(z, scale * rng.standard_normal((self.K, self.d)))

    # forward -------------------------------------------------------------------------------
    def _weights(self, zq: np.ndarray) -> np.ndarray:
        if self.attention == "linear":
            return self.x * zq
        if self.attention == "exp":
            return self.x * np.exp(zq / self.T)
        shift = np.real(zq).max(axis=-1, keepdims=True)  # real shift keeps it complex-safe
        e = self.x * np.exp((zq - shift) / self.T)
        return e / e.sum(axis=-1, keepdims=True)

    def _forward(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        z, W = self.unpack(theta)
        zq = z[..., self.query, :]  # (..., N, M)
        b = self._weights(zq)
        f_raw = b @ self.U.T + self.u_query[:, self.query].T  # (..., N, d)
        norm = np.sqrt((f_raw * f_raw).sum(axis=-1, keepdims=True)) if self.layernorm else None
        f = f_raw / norm if self.layernorm else f_raw
        pre = f @ np.swapaxes(W, -1, -2)  # (..., N, K)
        return {"z": z, "W": W, "b": b, "f": f, "norm": norm, "pre": pre, "h": _phi(self.activation, pre)}

    def _loss_terms(self, h: np.ndarray) -> np.ndarray:
        if self.loss_name == "squared":
            return 0.5 * ((h - self.targets) ** 2).sum(axis=-1)
        shift = np.real(h).max(axis=-1, keepdims=True)
        lse = np.log(np.exp(h - shift).sum(axis=-1)) + shift[..., 0]
        picked = np.take_along_axis(h, np.broadcast_to(self.targets[:, None], (*h.shape[:-1], 1)), -1)
        return lse - picked[..., 0]

    def loss(self, theta: np.ndarray) -> np.ndarray:
        """Mean loss :math:`L(\\theta)`; ``theta`` (P,) -> scalar, (B, P) -> (B,)."""
        return self._loss_terms(self._forward(theta)["h"]).mean(axis=-1)

    def attention_weights(self, theta: np.ndarray) -> np.ndarray:
        """Attention per sample normalised to sum 1 (``b / sum b``), shape (N, M)."""
        b = np.real(self._forward(np.asarray(theta, float))["b"])
        return b / b.sum(axis=-1, keepdims=True)

    def attention_entropy(self, theta: np.ndarray) -> np.ndarray:
        """Shannon entropy :math:`-\\sum_l a_l \\log a_l` of each sample's attention, shape (N,)."""
        return entropy(self.attention_weights(theta))

    def projections(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(z, v, vm)``: logits (Q, M), :math:`v = W U` (K, M), :math:`v_m = W u_q` (K, Q)."""
        z, W = self.unpack(theta)
        return z, W @ self.U, W @ self.u_query

    # gradients -----------------------------------------------------------------------------
    def gradient(self, theta: np.ndarray, *, method: str = "manual") -> np.ndarray:
        """:math:`\\nabla_\\theta L` by hand back-propagation, complex step or central differences."""
        theta = np.asarray(theta, dtype=float)
        method = _choice(method, ("manual", "complex", "central"), "gradient method")
        if method == "complex":
            return complex_step_gradient(self.loss, theta, batched=True)
        if method == "central":
            return central_gradient(self.loss, theta, batched=True)
        return self._backprop(theta)

    def velocity(self, theta: np.ndarray, *, method: str = "manual") -> np.ndarray:
        """The gradient-flow right-hand side :math:`-R \\nabla L`."""
        return -self._rates * self.gradient(theta, method=method)

    def _backprop(self, theta: np.ndarray) -> np.ndarray:
        s = self._forward(theta)
        h, pre, f, b, W = s["h"], s["pre"], s["f"], s["b"], s["W"]
        if self.loss_name == "squared":
            dh = (h - self.targets) / self.N
        else:
            p = np.exp(h - h.max(axis=-1, keepdims=True))
            p /= p.sum(axis=-1, keepdims=True)
            p[np.arange(self.N), self.targets] -= 1.0
            dh = p / self.N
        dpre = dh * _dphi(self.activation, pre)  # (N, K)
        dW = dpre.T @ f
        df = dpre @ W  # (N, d)
        if self.layernorm:
            df = (df - f * (f * df).sum(axis=-1, keepdims=True)) / s["norm"]
        db = df @ self.U  # (N, M)
        if self.attention == "linear":
            dzq = db * self.x
        elif self.attention == "exp":
            dzq = db * b / self.T
        else:
            dzq = (db * b - b * (db * b).sum(axis=-1, keepdims=True)) / self.T
        dz = np.zeros((self.Q, self.M))
        np.add.at(dz, self.query, dzq)
        return self.pack(dz, dW)


@dataclass(frozen=True)
class RefereeConfig:
    """Settings of :func:`joma_referee` (the model; the data are its other arguments).

    Attributes
    ----------
    attention, activation, loss : str
        See :data:`ATTENTIONS`, :data:`ACTIVATIONS`, :data:`LOSSES`.
    T : float
        Attention temperature.
    layernorm : bool
        Normalise :math:`f` to unit length before the MLP.
    queries : int
        1, or 2 (samples alternate between two query tokens that share every :math:`w_k`,
        each with its own logits: the negative control of JoMA's Theorem 1).
    embeddings : str
        ``"orthonormal"`` (``d = M + queries`` by default) or ``"almost-orthogonal"``
        (random unit vectors, ``d = 4 (M + queries)`` by default).
    d : int, optional
        Embedding dimension (default: see ``embeddings``).
    eta_w, eta_z : float
        Learning rates of the MLP weights and of the attention logits.
    """

    attention: str = "softmax"
    T: float = 1.0
    activation: str = "tanh"
    loss: str = "squared"
    layernorm: bool = False
    queries: int = 1
    embeddings: str = "orthonormal"
    d: int | None = None
    eta_w: float = 1.0
    eta_z: float = 1.0

    def __post_init__(self) -> None:
        _choice(self.attention, ATTENTIONS, "attention")
        _choice(self.activation, ACTIVATIONS, "activation")
        _choice(self.loss, LOSSES, "loss")
        _choice(self.embeddings, ("orthonormal", "almost-orthogonal"), "embeddings")
        if self.queries not in (1, 2):
            raise InvalidArgument(f"expected queries in (1, 2), got queries={self.queries!r}")
        for name in ("T", "eta_w", "eta_z"):
            val = getattr(self, name)
            if not (np.isfinite(val) and val > 0):
                raise InvalidArgument(f"expected a positive finite {name}, got {name}={val!r}")


def joma_referee(
    M: int,
    K: int,
    N: int,
    config: RefereeConfig | None = None,
    *,
    x: np.ndarray | None = None,
    seed: int = 0,
    **changes: Any,
) -> JomaReferee:
    """Build a referee JoMA block with random data (Dirichlet frequencies, Gaussian targets).

    Parameters
    ----------
    M, K, N : int
        Contextual tokens, hidden nodes, samples.
    config : RefereeConfig, optional
        Attention, temperature, activation, loss, LayerNorm, queries, embeddings, learning
        rates (default: ``RefereeConfig()``, softmax at :math:`T = 1`, tanh, squared loss).
    x : ndarray, optional
        Frequencies (N, M), each row on the simplex; Dirichlet(1) rows by default.
    seed : int
        Seed of the data, embeddings and targets.
    **changes
        Fields of :class:`RefereeConfig` to override, e.g. ``joma_referee(4, 2, 8, attention="exp")``.

    Returns
    -------
    JomaReferee

    Raises
    ------
    InvalidArgument
        Non-positive sizes, ``x`` off the simplex, an unknown setting or a bad value
        (:class:`~theory.errors.UnknownNameError` for an unknown attention, activation or loss).
    """
    cfg = configure(RefereeConfig, config, changes)
    queries, d = cfg.queries, cfg.d
    for name, val in (("M", M), ("K", K), ("N", N)):
        if not isinstance(val, int | np.integer) or val < 1:
            raise InvalidArgument(f"expected a positive integer {name}, got {name}={val!r}")
    rng = np.random.default_rng(seed)
    n_tok = M + queries
    if cfg.embeddings == "orthonormal":
        emb = orthonormal_embeddings(n_tok, d or n_tok, rng=rng)
    else:
        emb = almost_orthogonal_embeddings(n_tok, d or 4 * n_tok, rng=rng)
    if x is None:
        x = rng.dirichlet(np.ones(M), size=N)
    x = np.asarray(x, dtype=float)
    if x.shape != (N, M) or np.any(x < 0) or not np.allclose(x.sum(axis=1), 1.0):
        raise InvalidArgument(f"x must be (N, M) = ({N}, {M}) with rows on the simplex")
    targets = rng.integers(0, K, size=N) if cfg.loss == "cross-entropy" else rng.standard_normal((N, K))
    return JomaReferee(
        U=emb[:, :M],
        u_query=emb[:, M:],
        x=x,
        query=np.arange(N) % queries,
        targets=targets,
        K=K,
        attention=cfg.attention,
        activation=cfg.activation,
        loss_name=cfg.loss,
        T=float(cfg.T),
        layernorm=cfg.layernorm,
        eta_w=float(cfg.eta_w),
        eta_z=float(cfg.eta_z),
    )
