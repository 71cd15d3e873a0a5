"""Exact posteriors of the HBLT latents given the tokens, and the alignment ceiling they set.

Role: the data's own bound on the Table 1 measure of :mod:`theory.hierarchy.transformer`.
For any function :math:`f` of the tokens :math:`x`, the correlation with a latent is bounded
by the correlation ratio,

.. math::

    |\\operatorname{corr}(f(x), y_\\alpha)| \\le \\operatorname{corr}(q_\\alpha(x), y_\\alpha)
    = \\sqrt{\\operatorname{Var} q_\\alpha / \\operatorname{Var} y_\\alpha},
    \\qquad q_\\alpha(x) = P(y_\\alpha = 1 \\mid x)

(Cauchy-Schwarz on :math:`\\operatorname{cov}(f, y) = \\operatorname{cov}(f, q)`), so no
hidden unit can align with a latent better than its posterior does.  On a noisy tree the
ceiling is below 1 and differs between levels; a level-wise comparison of NCorr has to be
read against it.

The posterior is computed by belief propagation (sum-product, Pearl 1988), exact on a tree:
upward messages :math:`\\lambda_\\alpha(s) = \\prod_{\\beta \\in ch(\\alpha)} \\sum_t T_{st}
\\lambda_\\beta(t)` from the observed leaves, downward messages :math:`\\pi` from the label's
uniform prior through the root code, :math:`P(y_\\alpha = s \\mid x) \\propto \\pi_\\alpha(s)
\\lambda_\\alpha(s)`.  Messages are normalised per node (the posterior is scale-free), so
nothing underflows.  Written out rather than taken from a library: pgmpy would add a heavy
dependency for a 60-line recursion, and it is vectorised here over thousands of samples.
"""

from __future__ import annotations

import numpy as np

from .combination import CombinationHierarchy
from .tree import LatentTree, channel_matrix

__all__ = ["alignment_ceiling", "posteriors"]


def _normalise(m: np.ndarray) -> np.ndarray:
    s = m.sum(axis=-1, keepdims=True)
    return m / np.where(s > 0, s, 1.0)


def posteriors(tree: LatentTree, tokens: np.ndarray) -> tuple[dict, np.ndarray]:
    """:math:`P(y_\\alpha = 1 \\mid x)` for every latent and :math:`P(y_0 = k \\mid x)`.

    Parameters
    ----------
    tree : LatentTree
    tokens : numpy.ndarray of bool, shape (N, L)
        Observed token indicators (``tree.leaves`` order).

    Returns
    -------
    latent : dict
        Latent node -> array ``(N,)`` of posterior probabilities.
    label : numpy.ndarray, shape (N, D)
        Posterior of the label.
    """
    T = channel_matrix(tree.channel, tree.rho)
    x = np.asarray(tokens, dtype=bool)
    n = x.shape[0]
    lam: dict = {}
    up: dict = {}  # message child -> parent, over the parent's states
    for leaf, col in zip(tree.leaves, range(x.shape[1]), strict=True):
        lam[leaf] = np.stack([~x[:, col], x[:, col]], axis=1).astype(np.float64)
    for node in reversed(tree.nodes):  # children before parents (breadth-first order reversed)
        children = list(tree.graph.successors(node))
        if not children or node == tree.root:
            continue
        msg = np.ones((n, 2))
        for c in children:
            up[c] = _normalise(lam[c] @ T.T)  # sum_t T[s, t] lam_c(t)
            msg = _normalise(msg * up[c])
        lam[node] = msg
    code = tree.root_code  # (B, D) bit sent to each root child per label
    p_on = T[:, 1]
    root_children = tree.root_children
    # P(child = t | label k), shape (B, D, 2)
    cond = np.stack([1.0 - p_on[code], p_on[code]], axis=-1)
    to_root = [_normalise(np.einsum("kt,nt->nk", cond[i], lam[c])) for i, c in enumerate(root_children)]
    root_msg = np.ones((n, tree.classes))
    for m in to_root:
        root_msg = _normalise(root_msg * m)
    label = _normalise(root_msg)  # uniform prior
    pi: dict = {}
    for i, c in enumerate(root_children):
        others = np.ones((n, tree.classes))
        for j, m in enumerate(to_root):
            if j != i:
                others = _normalise(others * m)
        pi[c] = _normalise(np.einsum("nk,kt->nt", others, cond[i]))
    latent: dict = {}
    for node in tree.nodes:  # parents before children
        if node == tree.root or node not in pi:
            continue
        if node in tree.leaves:
            continue
        latent[node] = _normalise(pi[node] * lam[node])[:, 1]
        children = list(tree.graph.successors(node))
        for c in children:
            excl = pi[node].copy()
            for other in children:
                if other != c:
                    excl = _normalise(excl * up[other])
            pi[c] = _normalise(excl @ T)
    return latent, label


def _combination_posteriors(data: CombinationHierarchy, tokens: np.ndarray) -> list[np.ndarray] | None:
    """Deterministic combination data: the posterior is uniform over the classes whose token
    set is the observed one; every level is a function of the class.  ``None`` for ``rho < 1``."""
    if data.rho < 1.0:
        return None
    onehot = np.eye(data.classes, dtype=bool)
    levels = [onehot]
    active = onehot
    for inc in reversed(data.incidence):
        active = (active.astype(np.int64) @ inc) > 0
        levels.append(active)
    class_tokens = levels.pop()  # (D, n_tokens)
    match = (np.asarray(tokens, dtype=bool)[:, None, :] == class_tokens[None]).all(axis=2)  # (N, D)
    post = _normalise(match.astype(np.float64))
    return [post @ lv.astype(np.float64) for lv in levels[::-1]]  # bottom up, label last


def alignment_ceiling(data: LatentTree | CombinationHierarchy, tokens: np.ndarray, levels: list[np.ndarray]) -> list:
    """Per level: the mean over its latents of :math:`\\operatorname{corr}(q_\alpha(x), y_\alpha)`.

    ``levels`` are the indicators of :func:`theory.hierarchy.transformer.latent_levels`
    (bottom up, the one-hot label last) for the same draws as ``tokens``.  Entries are
    ``None`` where the posterior is not computed (noisy combination data).
    """
    from .toy import normalised_correlation

    if isinstance(data, CombinationHierarchy):
        q_levels = _combination_posteriors(data, tokens)
        if q_levels is None:
            return [None] * len(levels)
    else:
        latent, label = posteriors(data, tokens)
        depths = range(data.height - 1, 0, -1)
        q_levels = [np.stack([latent[v] for v in data.latents if data.depth[v] == d], axis=1) for d in depths]
        q_levels.append(label)
    return [float(np.diag(normalised_correlation(q, y)).mean()) for q, y in zip(q_levels, levels, strict=True)]
