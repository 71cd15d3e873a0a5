"""The Lu et al. referee for the oracle: the NumPy model of :mod:`theory.lu` as a flow.

Role: give ``theory check`` an *independent* numerical model for the Lu, Mao & Nayak
invariants (the records whose set-up is ``lu-referee``).  The model is
:func:`theory.lu.model.loss_and_grad` (analytic vectorised gradients, checked against
central differences in ``tests/lu``), which never sees the symbolic derivation.  On small
synthetic topic data (:func:`theory.lu.data.make_synthetic`) it defines the gradient flow

.. math::

    \\dot\\theta = -H\\, \\Pi\\, \\nabla_\\theta L(\\theta),

where :math:`\\Pi` zeroes the frozen coordinates (the side conditions: non-topic words at
:math:`w_j = 0`, :math:`k_j = 0`, so :math:`s_j = s_0 = 0`; the query unless it is the
negative control) and :math:`H` rescales time: the oracle's horizon :math:`t = 1` with step
:math:`\\eta` is full-batch gradient descent with learning rate :math:`H\\eta` for
:math:`1/\\eta` epochs, a fixed horizon :math:`\\mathrm{lr}\\cdot\\mathrm{epochs} = H`.

The conserved quantity is the theorem record's own ``quantity(spec)`` (for the Lu et al.
identity: :func:`theory.derivations.lu_identity.invariant` written in the spec's symbols
:math:`q_i, k_{t,i}, w_{t,i}`), compiled by :func:`theory.numeric.compile.compile_expression`
and evaluated for every topic word: nothing here types the formula.  Which side conditions
hold (query trained, non-topic words frozen) is the record's set-up input (:class:`LuVariant`).

:func:`velocity_gap` is the cross-check between the referee and the compiled symbolic flow:
on a one-sentence corpus mirroring the symbolic model (topic word, :math:`m` non-topic words,
label = class 1, trainable linear classifier without bias) both velocities are evaluated at
the same random point.

References
----------
H. Lu, Y. Mao, A. Nayak, "On the Dynamics of Training Attention Models", ICLR 2021
(arXiv:2011.10036), Lemma 2 / Theorem 1 and section 5 (synthetic topic data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ..lu.data import from_token_lists, make_synthetic
from ..lu.model import Batch, InitConfig, init_params, loss_and_grad
from ..numeric._compiled import CompiledFlow
from ..numeric.plan import CompilePlan
from ._entry import Entry

if TYPE_CHECKING:
    import sympy as sp

    from ..theorem import Theorem

__all__ = [
    "LuReferee",
    "LuRefereeFlow",
    "LuVariant",
    "lu_quantity",
    "lu_referee",
    "symbolic_flow",
    "velocity_gap",
]

#: Referee sizes: topics (one topic word each), non-topic words, m, sentences, d_e = d_k.
TOPICS, NONTOPIC, M_WORDS, SENTENCES, DIM = 3, 12, 3, 24, 3
CLASSIFIER = "TC"
#: Time scale H: learning rates H * eta = 0.4 ... 0.05 for the oracle's eta = 0.02 ... 0.0025,
#: horizon lr * epochs = H = 20 (the topic scores move by O(1) over it; at H = 40 the O(eta^2)
#: term already bends the fitted slope to ~1.03).
TIME_SCALE = 20.0
#: Initial scales: q ~ N(0, 1), topic keys and embeddings ~ N(0, 0.5^2) (a generic start).
Q_STD, TOPIC_STD = 1.0, 0.5


@dataclass(frozen=True)
class LuVariant:
    """Which side conditions hold: query trained (control), non-topic words frozen."""

    train_query: bool
    frozen_nontopic: bool


class LuReferee:
    """The Lu et al. NumPy model on a corpus as a flat-vector gradient flow.

    Parameters
    ----------
    batch : Batch
        Training corpus.
    params : dict
        Parameters from :func:`theory.lu.model.init_params` (copied).
    classifier : {"FC", "TC", "TL"}
    variant : LuVariant
    topic_words : ndarray of int
        Word ids of the topic words (every other word is a non-topic word).
    time_scale : float
        :math:`H` (velocity = :math:`-H\\,\\Pi\\nabla L`).
    """

    def __init__(
        self,
        batch: Batch,
        params: dict[str, np.ndarray],
        classifier: str,
        variant: LuVariant,
        topic_words: np.ndarray,
        *,
        time_scale: float = 1.0,
    ) -> None:
        self.batch, self.classifier, self.variant = batch, classifier, variant
        self.topic_words = np.asarray(topic_words, dtype=np.int64)
        self.time_scale = float(time_scale)
        self.names = list(params)
        self.shapes = {k: np.shape(params[k]) for k in self.names}
        self.sizes = {k: int(np.prod(self.shapes[k], dtype=np.int64)) for k in self.names}
        offsets = np.cumsum([0, *(self.sizes[k] for k in self.names)])
        self.slices = {k: slice(int(offsets[i]), int(offsets[i + 1])) for i, k in enumerate(self.names)}
        self.theta0 = self.pack(params)
        mask = {k: np.ones(self.shapes[k]) for k in self.names}
        if classifier == "FC":
            mask["U"][:] = 0.0  # the fixed classifier
        if not variant.train_query:
            mask["q"][:] = 0.0
        if variant.frozen_nontopic:
            nontopic = np.setdiff1d(np.arange(batch.v), self.topic_words)
            mask["W"][nontopic] = 0.0
            mask["K"][nontopic] = 0.0
        self.mask = self.pack(mask)

    def pack(self, p: dict[str, np.ndarray]) -> np.ndarray:
        """Flatten a parameter dict (missing groups, e.g. FC's fixed ``U`` gradient, are 0)."""
        out = np.zeros(self.slices[self.names[-1]].stop)
        for k in self.names:
            if k in p:
                out[self.slices[k]] = np.ravel(p[k])
        return out

    def unpack(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """Parameter dict of a flat vector ``theta`` (views reshaped)."""
        return {k: theta[self.slices[k]].reshape(self.shapes[k]) for k in self.names}

    def velocity(self, theta: np.ndarray) -> np.ndarray:
        """:math:`-H\\,\\Pi\\,\\nabla L(\\theta)` from the analytic gradients of :mod:`theory.lu.model`."""
        _, grads, _ = loss_and_grad(self.classifier, self.unpack(theta), self.batch)
        return -self.time_scale * self.mask * self.pack(grads)

    def topic_state(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:math:`q` (d_k, ...), topic keys and embeddings (T, d, ...) of ``theta`` (n,) or (n, S)."""
        theta = np.asarray(theta)
        tail = theta.shape[1:]
        q = theta[self.slices["q"]]
        K = theta[self.slices["K"]].reshape(*self.shapes["K"], *tail)[self.topic_words]
        W = theta[self.slices["W"]].reshape(*self.shapes["W"], *tail)[self.topic_words]
        return q, np.moveaxis(K, 1, 0), np.moveaxis(W, 1, 0)


@lru_cache(maxsize=16)
def lu_quantity(theorem: Theorem, d_e: int, d_k: int, m: int) -> tuple[Callable, sp.Expr]:
    """The theorem's quantity at sizes ``d_e, d_k`` (and ``m``), compiled in ``q, kt, wt, s_0, m``.

    Returns ``(f, expr)`` with ``f(q, kt, wt, s_0, m)``: ``q`` of shape (d_k, ...), ``kt``
    (d_k, ...), ``wt`` (d_e, ...), broadcasting over the trailing axes.  Compiled once per
    theorem and sizes.

    Raises
    ------
    ValueError
        If the quantity uses a symbol outside the topic word's state, the query, s_0 and m.
    """
    raw, expr = _raw_quantity(theorem, d_e, d_k, m)
    return _spread(raw), expr


def _spread(raw: Callable) -> Callable:
    def f(q: np.ndarray, kt: np.ndarray, wt: np.ndarray, s_0: float, m_val: float) -> np.ndarray:
        return raw(*q, *kt, *wt, s_0, m_val)

    return f


def _entry_quantity(entry: Entry, d_e: int, d_k: int, m: int) -> Callable:
    """:func:`lu_quantity`'s function through the entry's compile plan (no SymPy when cached)."""
    raw = entry.plan.function(f"lu-quantity-{d_e}-{d_k}-{m}", lambda: _raw_quantity(entry.theorem(), d_e, d_k, m)[0])
    return _spread(raw)


def _raw_quantity(theorem: Theorem, d_e: int, d_k: int, m: int) -> tuple[Callable, sp.Expr]:
    """The lambdified quantity with flat arguments ``(*q, *kt, *wt, s_0, m)`` and its expression."""
    import sympy as sp

    from ..numeric.compile import compile_expression

    if theorem.model is None or theorem.quantity is None:
        raise ValueError(f"{theorem.name} has no model and quantity to follow")
    sizes = dict(theorem.sizes[-1])
    sizes.update({"N": 1, "d_e": d_e, "d_k": d_k})
    if "m" in sizes:
        sizes["m"] = m
    if "classifier" in sizes:
        sizes["classifier"] = None
    spec = theorem.model(**sizes)
    (expr,) = theorem.quantity(spec)
    names = [f"q{i}" for i in range(1, d_k + 1)] + [f"kt{i}" for i in range(1, d_k + 1)]
    names += [f"wt{i}" for i in range(1, d_e + 1)] + ["s_0", "m"]
    found = {s.name: s for s in expr.free_symbols}
    foreign = sorted(set(found) - set(names))
    if foreign:
        raise ValueError(f"the quantity of {theorem.name} uses {foreign}: the Lu referee has no value for them")
    args = [found.get(n, sp.Symbol(n)) for n in names]
    return compile_expression(expr, args), expr


class LuRefereeFlow:
    """The referee as the oracle sees a flow (duck-typed :class:`CompiledFlow`).

    ``rhs(y, p)`` is the referee velocity (``p`` unused), ``invariants(y, p)["quantity"]`` the
    quantity of every topic word, shape (T,) or (T, S), with :math:`s_0 = 0` (the non-topic
    keys start at 0 and, where frozen, stay there).
    """

    def __init__(self, ref: LuReferee, quantity: Callable, m: int) -> None:
        self.ref, self.quantity, self.m = ref, quantity, m
        self.state = [f"theta{i}" for i in range(ref.theta0.size)]

    def rhs(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        if y.ndim == 1:
            return self.ref.velocity(y)
        return np.stack([self.ref.velocity(col) for col in y.T], axis=1)

    def invariants(self, y: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
        q, kt, wt = self.ref.topic_state(y)
        q = q[:, None] if q.ndim > 1 else q  # (d_k, 1, S): broadcast over the topic words
        value = self.quantity(q, kt, wt, 0.0, float(self.m))
        return {"quantity": np.broadcast_to(np.asarray(value, dtype=float), kt.shape[1:]).copy()}


def lu_referee(
    theorem: Theorem | Entry, variant: LuVariant, seed: int, *, quantity_m: int | None = None
) -> tuple[LuRefereeFlow, np.ndarray, dict]:
    """The referee flow, its start and its sizes for ``theorem`` under the side conditions ``variant``.

    Data: :data:`TOPICS` topics with one topic word each, :data:`NONTOPIC` non-topic words,
    :data:`M_WORDS` of them per sentence, :data:`SENTENCES` sentences (all for training);
    a :data:`CLASSIFIER` classifier; seeded by ``seed`` (data), ``seed + 1`` (classifier,
    query) and ``seed + 2`` (topic words).  Non-topic words start at :math:`w = k = 0` (so
    :math:`s_0 = 0`).  ``quantity_m`` evaluates the quantity with a different :math:`m` than
    the data's (a planted error for tests).
    """
    data = make_synthetic(
        n_topics=TOPICS,
        words_per_topic=1,
        n_nontopic=NONTOPIC,
        m=M_WORDS,
        n_sentences=SENTENCES,
        split=(1.0, 0.0, 0.0),
        seed=seed,
    )
    batch = Batch(data.train)
    start = InitConfig(d_e=DIM, d_k=DIM, emb_std=0.0, q_std=Q_STD)
    p0 = init_params(CLASSIFIER, start, vocab_size=batch.v, n_classes=TOPICS, seed=seed + 1)
    rng = np.random.default_rng(seed + 2)
    topic = data.topic_words
    p0["W"][topic] = rng.normal(0.0, TOPIC_STD, size=(topic.size, DIM))
    p0["K"][topic] = rng.normal(0.0, TOPIC_STD, size=(topic.size, DIM))
    ref = LuReferee(batch, p0, CLASSIFIER, variant, topic, time_scale=TIME_SCALE)
    m_q = M_WORDS if quantity_m is None else quantity_m
    if isinstance(theorem, Entry):
        quantity = _entry_quantity(theorem, DIM, DIM, m_q)
    else:
        quantity, _ = lu_quantity(theorem, DIM, DIM, m_q)
    sizes = {
        "topics": TOPICS,
        "nontopic": NONTOPIC,
        "m": M_WORDS,
        "sentences": SENTENCES,
        "d_e": DIM,
        "d_k": DIM,
        "classifier": CLASSIFIER,
    }
    return LuRefereeFlow(ref, quantity, m_q), ref.theta0, sizes


# the cross-check: referee velocity vs the compiled symbolic flow at the same point -------------
#: Velocity cross-check sizes: d_e = d_k, m non-topic words, classes of the referee's classifier.
GAP_DIM, GAP_M, GAP_CLASSES = 2, 2, 3


@lru_cache(maxsize=4)
def _symbolic_flow(variant: LuVariant) -> CompiledFlow:
    """The derived flow with a free loss gradient ``G1_i`` at the context (any classifier)."""
    from ..models import lu_classifier
    from ..numeric.compile import compile_spec_flow

    m = None if variant.frozen_nontopic else GAP_M
    spec = lu_classifier(
        1,
        m,
        GAP_DIM,
        GAP_DIM,
        trainable_query=variant.train_query,
        frozen_nontopic=variant.frozen_nontopic,
    )
    return compile_spec_flow(spec)[0]


def symbolic_flow(variant: LuVariant, plan: CompilePlan | None = None) -> CompiledFlow:
    """The compiled symbolic flow of :func:`velocity_gap`, through ``plan`` when given (no SymPy when cached)."""
    if plan is None:
        return _symbolic_flow(variant)
    name = f"lu-gap-flow-{int(variant.train_query)}{int(variant.frozen_nontopic)}"
    return plan.flow(name, lambda: _symbolic_flow(variant))


def velocity_gap(
    variant: LuVariant, seed: int, *, symbolic_m_offset: int = 0, flow: CompiledFlow | None = None
) -> float:
    """Relative max difference between referee and compiled symbolic velocities at one point.

    One sentence (topic word 0, non-topic words ``1..m``) under a trainable linear classifier
    :math:`z = Uc + b`, every value drawn from ``seed``.  The symbolic model leaves the loss
    gradient at the context free (``G1_i``, any classifier and loss); its value is the
    referee's own :math:`\\partial L/\\partial c = (\\partial L/\\partial b)\\,U` (one sentence),
    so the comparison covers the attention part, where the identity lives: the velocities
    of :math:`k_t, w_t` (and :math:`q`, or the non-topic words, in the controls).
    Frozen non-topic words sit at :math:`w_j = 0`, :math:`k_j = s_0 q/\\|q\\|^2` with a
    random :math:`s_0` (q fixed) or at :math:`k_j = 0`, :math:`s_0 = 0` (q trained: the
    symbolic model holds :math:`s_0` constant while :math:`q` moves, which a real key does
    only at :math:`k_j = 0`, as in the GD runs).  ``symbolic_m_offset`` gives the symbolic
    model a wrong :math:`m` (a planted mismatch for tests); ``flow`` is
    :func:`symbolic_flow` ``(variant)`` when given (a cached one).
    """
    flow = _symbolic_flow(variant) if flow is None else flow
    rng = np.random.default_rng(seed)
    batch = Batch(from_token_lists([list(range(GAP_M + 1))], [0], vocab_size=GAP_M + 1, n_classes=GAP_CLASSES))
    p = init_params("TC", InitConfig(d_e=GAP_DIM, d_k=GAP_DIM), vocab_size=GAP_M + 1, n_classes=GAP_CLASSES, seed=seed)
    p["q"] = rng.normal(size=GAP_DIM)
    p["U"] = rng.normal(size=(GAP_CLASSES, GAP_DIM))
    p["b"] = rng.normal(size=GAP_CLASSES)
    p["W"] = rng.normal(size=p["W"].shape)
    p["K"] = rng.normal(size=p["K"].shape)
    s_0 = 0.0 if variant.train_query else float(rng.normal())
    if variant.frozen_nontopic:
        p["W"][1:] = 0.0
        p["K"][1:] = s_0 * p["q"] / (p["q"] @ p["q"])
    ref = LuReferee(batch, p, "TC", variant, np.array([0]))
    vel = ref.unpack(ref.velocity(ref.theta0))
    _, grads, _ = loss_and_grad("TC", p, batch)
    g_context = grads["b"] @ p["U"]  # dL/dc of the one sentence
    values: dict[str, float] = {"eta": 1.0, "s_0": s_0, "m": float(GAP_M + symbolic_m_offset)}
    velocity: dict[str, float] = {}
    for i in range(GAP_DIM):
        values[f"G1_{i + 1}"] = float(g_context[i])
        for name, group, row in (("q", "q", None), ("kt", "K", 0), ("wt", "W", 0)):
            key = f"{name}{i + 1}"
            values[key] = float(p[group][i] if row is None else p[group][row, i])
            velocity[key] = float(vel[group][i] if row is None else vel[group][row, i])
        for j in range(1, GAP_M + 1):
            for name, group in (("c", "K"), ("u", "W")):
                values[f"{name}1_{j}_{i + 1}"] = float(p[group][j, i])
                velocity[f"{name}1_{j}_{i + 1}"] = float(vel[group][j, i])
    y = np.array([values[s.name] for s in flow.state])
    sym = flow.rhs(y, flow.param_vector({s.name: values[s.name] for s in flow.params}))
    mine = np.array([velocity[s.name] for s in flow.state])
    return float(np.abs(mine - sym).max() / max(np.abs(sym).max(), 1e-300))
