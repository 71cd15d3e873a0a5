"""The single-query attention classifier of Lu, Mao & Nayak (2021), with analytic gradients.

Role: loss and exact gradient of the model on a whole :class:`~theory.lu.data.BagCorpus`,
vectorised over the sparse sentence/word structure (no Python loop over sentences).

Model (word :math:`i`: embedding :math:`w_i \\in \\mathbb R^{d_e}`, key
:math:`k_i \\in \\mathbb R^{d_k}`; one query :math:`q`):

.. math::

    s_i = q^\\top k_i,\\quad
    a_{n,i} = \\frac{x_{n,i} e^{s_i}}{\\sum_j x_{n,j} e^{s_j}},\\quad
    c_n = \\sum_i a_{n,i} w_i,\\quad
    L = \\frac1N \\sum_n \\mathrm{CE}(f(c_n), y_n).

With :math:`G_n = \\partial L / \\partial c_n` (which already carries the :math:`1/N`):

.. math::

    \\frac{\\partial L}{\\partial w_i} = \\sum_n a_{n,i} G_n,\\qquad
    \\frac{\\partial L}{\\partial s_i} = \\sum_n a_{n,i} (w_i - c_n)^\\top G_n,\\qquad
    \\frac{\\partial L}{\\partial k_i} = q\\, \\frac{\\partial L}{\\partial s_i},\\qquad
    \\frac{\\partial L}{\\partial q} = \\sum_i k_i \\frac{\\partial L}{\\partial s_i}.

The sums over sentences are sparse products with the attention matrix
:math:`A_{n,i} = a_{n,i}` (``scipy.sparse`` CSR, structure fixed, data refreshed).

References
----------
H. Lu, Y. Mao, A. Nayak, "On the Dynamics of Training Attention Models", ICLR 2021,
section 3 and Lemma 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sps

from .._config import configure
from ..errors import InvalidArgument
from .classifiers import (
    check_classifier,
    classifier_backward,
    classifier_forward,
    init_classifier,
)
from .data import BagCorpus

__all__ = ["Batch", "Forward", "InitConfig", "forward", "init_params", "loss_and_grad"]


class Batch:
    """A corpus prepared for repeated full-batch evaluation (constant sparse count matrices).

    Holds the count matrix :math:`X_{n,i} = x_{n,i}` (N x V) and its transpose, both CSR
    and built once; every product of the forward and backward pass is one of these two
    matrices times a dense block (see :func:`forward`).

    Parameters
    ----------
    corpus : BagCorpus
    """

    def __init__(self, corpus: BagCorpus) -> None:
        self.corpus = corpus
        self.n = corpus.n_sentences
        self.v = corpus.vocab_size
        self.indptr = corpus.indptr
        self.starts = corpus.indptr[:-1]
        self.words = corpus.words
        self.counts = corpus.counts
        self.rows = corpus.rows
        self.labels = corpus.labels
        self.x = sps.csr_matrix((self.counts, self.words, self.indptr), shape=(self.n, self.v))
        self.xt = self.x.T.tocsr()


@dataclass(frozen=True)
class Forward:
    """Everything the forward pass computes (N sentences, V words).

    The attention of an entry is :math:`a_{n,i} = x_{n,i}\\, e_i / Z_n` with
    :math:`e_i = \\exp(s_i - \\text{shift})` - see :attr:`attention`.
    """

    scores: np.ndarray  # (V,) s_i
    expo: np.ndarray  # (V,) e_i (one global shift) or (nnz,) per entry (per-sentence shift)
    norm: np.ndarray  # (N,) Z_n
    context: np.ndarray  # (N, d_e)
    logits: np.ndarray  # (N, n_classes)
    loss: float
    cache: tuple[Any, np.ndarray]  # (classifier cache, (N,) log-sum-exp of the logits)
    batch: Batch

    @property
    def attention(self) -> np.ndarray:
        """:math:`a_{n,i}` for every entry of the corpus, shape (nnz,)."""
        b = self.batch
        e = self.expo[b.words] if self.expo.shape[0] == b.v else self.expo
        return b.counts * e / self.norm[b.rows]


@dataclass(frozen=True)
class InitConfig:
    """Sizes and scales of :func:`init_params` (defaults: the paper's set-up).

    Attributes
    ----------
    d_e, d_k : int
        Embedding and key dimensions.
    hidden : int
        Hidden width of the TL classifier's MLP.
    emb_std : float
        Standard deviation of the embeddings :math:`w_u` (paper: :math:`10^{-6}`).
    q_std : float
        Standard deviation of the query :math:`q` (paper: 0.3).
    fc_init : {"code", "scaled"}
        The fixed classifier's matrix: the published code's (standard normal, diagonal 1;
        default) or :math:`\\mathcal N(0, 1/d_e)` (see :func:`theory.lu.classifiers.init_classifier`).
    """

    d_e: int = 10
    d_k: int = 10
    hidden: int = 16
    emb_std: float = 1e-6
    q_std: float = 0.3
    fc_init: str = "code"

    def __post_init__(self) -> None:
        for name in ("d_e", "d_k", "hidden"):
            val = getattr(self, name)
            if int(val) < 1:
                raise InvalidArgument(f"expected {name} >= 1, got {name}={val}")


def init_params(
    classifier: str,
    config: InitConfig | None = None,
    *,
    vocab_size: int,
    n_classes: int,
    seed: int = 0,
    **changes: Any,
) -> dict[str, np.ndarray]:
    """The paper's initialisation: keys 0, embeddings :math:`\\mathcal N(0, 10^{-12})`,
    query :math:`\\mathcal N(0, 0.3^2)`, plus the classifier's parameters.

    Parameters
    ----------
    classifier : {"FC", "TC", "TL"}
        Which classifier's parameters to add.
    config : InitConfig, optional
        Dimensions and scales (default: ``InitConfig()``).
    vocab_size, n_classes : int
        Vocabulary size :math:`V` and number of classes.
    seed : int
        Seed of the draws.
    **changes
        Fields of :class:`InitConfig` to override, e.g. ``init_params("TC", d_e=4, ...)``.

    Returns
    -------
    dict of str to ndarray
        ``W`` (V, d_e), ``K`` (V, d_k), ``q`` (d_k,) and the classifier's arrays.
    """
    cfg = configure(InitConfig, config, changes)
    d_e, d_k, hidden = cfg.d_e, cfg.d_k, cfg.hidden
    if int(vocab_size) < 1:
        raise InvalidArgument(f"expected vocab_size >= 1, got vocab_size={vocab_size}")
    rng = np.random.default_rng(seed)
    p = {
        "W": rng.normal(0.0, cfg.emb_std, size=(vocab_size, d_e)),
        "K": np.zeros((vocab_size, d_k)),
        "q": rng.normal(0.0, cfg.q_std, size=d_k),
    }
    p.update(init_classifier(check_classifier(classifier), d_e, n_classes, rng, hidden=hidden, fc_init=cfg.fc_init))
    return p


# Largest score spread for the global-shift path: exp(-SPREAD) stays a normal float
# (>= 1e-260), so no sentence normaliser underflows and every term keeps full precision.
_SPREAD = 600.0


def _weights(p: dict[str, np.ndarray], b: Batch) -> tuple[np.ndarray, np.ndarray, bool]:
    """Scores and exponentials; ``True`` if one global shift is safe (the fast path)."""
    s = p["K"] @ p["q"]
    smax, smin = float(s.max()), float(s.min())
    if smax - smin <= _SPREAD:
        return s, np.exp(s - smax), True
    # per-sentence shift (exact, slower): exponentials per entry
    sv = s[b.words]
    shift = np.maximum.reduceat(sv, b.starts)
    return s, np.exp(sv - shift[b.rows]), False


def _logsumexp_rows(z: np.ndarray) -> np.ndarray:
    # column loop + matmul: NumPy reductions along a short last axis are ~10x slower
    zmax = z[:, 0].copy()
    for k in range(1, z.shape[1]):
        np.maximum(zmax, z[:, k], out=zmax)
    return zmax + np.log(np.exp(z - zmax[:, None]) @ np.ones(z.shape[1]))


def forward(classifier: str, p: dict[str, np.ndarray], b: Batch) -> Forward:
    """Scores, contexts, logits and mean cross-entropy on the batch.

    Fast path: :math:`c_n = \\big(X (e \\odot W)\\big)_n / (X e)_n` - one sparse product
    with a constant matrix, no per-entry work.
    """
    s, e, fast = _weights(p, b)
    w = p["W"]
    if fast:
        block = np.empty((b.v, w.shape[1] + 1))
        block[:, :-1] = e[:, None] * w
        block[:, -1] = e
        prod = b.x @ block
        z_n = prod[:, -1]
        c = prod[:, :-1] / z_n[:, None]
    else:
        z_n = np.add.reduceat(b.counts * e, b.starts)
        a = b.counts * e / z_n[b.rows]
        c = sps.csr_matrix((a, b.words, b.indptr), shape=(b.n, b.v)) @ w
    logits, cache = classifier_forward(classifier, p, c)
    lse = _logsumexp_rows(logits)
    loss = float(np.mean(lse - logits[np.arange(b.n), b.labels]))
    return Forward(
        scores=s,
        expo=e,
        norm=z_n,
        context=c,
        logits=logits,
        loss=loss,
        cache=(cache, lse),
        batch=b,
    )


def loss_and_grad(classifier: str, p: dict[str, np.ndarray], b: Batch) -> tuple[float, dict[str, np.ndarray], Forward]:
    """Mean cross-entropy and its exact gradient with respect to every parameter in ``p``.

    Both sentence sums of the gradient come from one product with :math:`X^\\top`:
    :math:`\\sum_n a_{n,i} G_n = e_i \\big(X^\\top (G / Z)\\big)_i` and
    :math:`\\sum_n a_{n,i} c_n^\\top G_n = e_i \\big(X^\\top (c^\\top G / Z)\\big)_i`.

    Returns
    -------
    loss : float
    grads : dict
        Gradients keyed like ``p`` (``FC``'s fixed ``U`` is omitted) plus ``"s"``,
        :math:`\\partial L / \\partial s_i`.
    fwd : Forward
        The forward pass (reused by the trainer for its records).
    """
    fwd = forward(classifier, p, b)
    cache, lse = fwd.cache
    prob = np.exp(fwd.logits - lse[:, None])
    prob[np.arange(b.n), b.labels] -= 1.0
    dz = prob / b.n
    dc, grads = classifier_backward(classifier, p, fwd.context, dz, cache)
    rhs = np.empty((b.n, dc.shape[1] + 1))
    rhs[:, :-1] = dc
    rhs[:, -1] = np.einsum("ij,ij->i", fwd.context, dc)
    if fwd.expo.shape[0] == b.v:  # fast path
        rhs /= fwd.norm[:, None]
        both = (b.xt @ rhs) * fwd.expo[:, None]
    else:
        at = sps.csr_matrix((fwd.attention, b.words, b.indptr), shape=(b.n, b.v)).T.tocsr()
        both = at @ rhs
    gw = both[:, :-1]  # sum_n a_{n,i} G_n
    gs = np.einsum("ij,ij->i", p["W"], gw) - both[:, -1]
    grads["W"] = gw
    grads["K"] = np.outer(gs, p["q"])
    grads["q"] = p["K"].T @ gs
    grads["s"] = gs
    return fwd.loss, grads, fwd
