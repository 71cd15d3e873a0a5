"""The JoMA block: one attention layer + one MLP layer (Tian et al., ICLR 2024).

Built from the definitions only (arXiv 2310.00535, Sec. 3): M contextual tokens with
embeddings :math:`u_l`, a query token :math:`u_m`; a sample is summarised by token
frequencies :math:`x \\in \\Delta^{M-1}`; attention logits :math:`z \\in \\mathbb R^M`;

.. math::

    b = x \\circ z \\ (\\text{linear}),\\quad
    b = x \\circ e^{z/T} \\ (\\text{exp}),\\quad
    b = \\frac{x \\circ e^{z/T}}{x^\\top e^{z/T}} \\ (\\text{softmax}),

residual :math:`f = U_C b + u_m` (optionally LayerNorm :math:`f/\\|f\\|`), hidden nodes
:math:`h_k = \\phi(w_k^\\top f)`.  The weights enter only through their projections
:math:`v_{kl} = u_l^\\top w_k` and :math:`v_{km} = u_m^\\top w_k`, so those are the state
(the part of :math:`w_k` orthogonal to :math:`\\mathrm{span}(U)` has zero gradient because
:math:`f \\in \\mathrm{span}(U)`).  With orthonormal embeddings the projected flow has the
identity metric; "almost orthogonal" embeddings give the Gram metric
:math:`G = U^\\top U = I + E`, :math:`E` symmetric with zero diagonal (symbols ``eps_i_j``).

The attention weights and the loss are built by :mod:`theory.models.joma_terms`, the one
definition that the index form (all sizes, vectorised compiler) is built from too.

Arbitrary loss: for sample :math:`n` the back-propagated gradient is
:math:`g_{kn} = -\\partial \\ell_n/\\partial h_{kn}`, so by the chain rule
:math:`\\nabla_\\theta \\mathbb E[\\ell] = -\\mathbb E[\\sum_k g_k \\nabla_\\theta h_k]`: the
surrogate :math:`-\\tfrac1N\\sum_{n,k} g_{kn} h_{kn}` with :math:`g` held fixed has the same
gradient at every point, and a proof for all values of the symbols :math:`g_{kn}` is a proof
for every loss.
"""

from __future__ import annotations

import sympy as sp

from ..errors import InvalidArgument, UnknownNameError
from .activations import activation as _activation
from .joma_terms import ATTENTIONS, attention_numerator, attention_weights, loss_total
from .spec import ModelSpec, ParamGroup

__all__ = ["ATTENTIONS", "joma_block"]

_QUERY_TAGS = ("", "b")  # symbol infix of the first and second query


def _check_size(name: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidArgument(f"expected an integer {name} in [{lo}, {hi}], got {name}={value!r}")
    return value


def joma_block(
    M: int = 2,
    K: int = 1,
    N: int = 1,
    *,
    attention: str = "exp",
    queries: int = 1,
    activation: str | None = None,
    loss: str | None = None,
    layernorm: bool = False,
    embeddings: str = "orthonormal",
) -> ModelSpec:
    """Build the JoMA block at sizes ``M`` (tokens), ``K`` (hidden nodes), ``N`` (samples/query).

    Parameters
    ----------
    M, K, N : int
        Contextual tokens, hidden nodes and samples per query.
    attention : {"linear", "exp", "softmax"}
        Attention map :math:`b(z; x)`.
    queries : {1, 2}
        ``2`` adds a second query token whose samples share the weights :math:`w_k` but have
        their own logits ``zb1..zbM`` (the negative control of Theorem 1).
    activation : str or None
        ``None`` for an arbitrary :math:`\\phi`; else a name in
        :data:`theory.models.activations.ACTIVATIONS`.
    loss : {None, "squared"}
        ``None``: arbitrary loss, back-propagated gradients ``g{k}_{n}`` are free data symbols.
        ``"squared"``: :math:`\\ell_n = \\tfrac12\\sum_k (h_{kn} - y_{kn})^2` with targets ``y{k}_{n}``.
    layernorm : bool
        Normalise the residual stream: :math:`f/\\|f\\|`.
    embeddings : {"orthonormal", "almost-orthogonal"}
        Metric of the projected weight flow: identity, or :math:`I + E`.

    Returns
    -------
    ModelSpec
        Parameter groups ``w`` (``v{k}_{l}``, ``vm{k}``) and ``z`` (``z{l}``); with two
        queries also ``vmb{k}`` and group ``zb``.  ``extra`` holds the attention vectors
        ``b[(query, n)]``, pre-activations ``pre[(k, query, n)]`` and per-sample weights.

    Examples
    --------
    >>> spec = joma_block(2, 1, 1, attention="exp")
    >>> [s.name for s in spec.state]
    ['v1_1', 'v1_2', 'vm1', 'z1', 'z2']
    """
    M = _check_size("M", M, 1, 64)
    K = _check_size("K", K, 1, 16)
    N = _check_size("N", N, 1, 16)
    queries = _check_size("queries", queries, 1, 2)
    if attention not in ATTENTIONS:
        raise UnknownNameError(f"unknown attention {attention!r}; expected one of: {', '.join(ATTENTIONS)}")
    if loss not in (None, "squared"):
        raise UnknownNameError(f"unknown loss {loss!r}; expected 'squared' or none (arbitrary loss)")
    if embeddings not in ("orthonormal", "almost-orthogonal"):
        raise UnknownNameError(f"unknown embeddings {embeddings!r}; expected 'orthonormal' or 'almost-orthogonal'")
    phi = _activation(activation)

    T = sp.Symbol("T", positive=True)
    eta_w = sp.Symbol("eta_w", positive=True)
    eta_z = sp.Symbol("eta_z", positive=True)
    tags = _QUERY_TAGS[:queries]

    v = [[sp.Symbol(f"v{k}_{l}", real=True) for l in range(1, M + 1)] for k in range(1, K + 1)]
    vq = {t: [sp.Symbol(f"vm{t}{k}", real=True) for k in range(1, K + 1)] for t in tags}
    z = {t: [sp.Symbol(f"z{t}{l}", real=True) for l in range(1, M + 1)] for t in tags}
    x = {
        t: [[sp.Symbol(f"x{t}{n}_{l}", positive=True) for l in range(1, M + 1)] for n in range(1, N + 1)] for t in tags
    }

    # Coordinates of one hidden node's weight projection: contextual tokens, then the queries.
    coords_per_k = M + len(tags)
    metric = None
    eps: list[sp.Symbol] = []
    if embeddings == "almost-orthogonal":
        G = sp.eye(coords_per_k)
        for i in range(coords_per_k):
            for j in range(i + 1, coords_per_k):
                e = sp.Symbol(f"eps_{i + 1}_{j + 1}", real=True)
                eps.append(e)
                G[i, j] = G[j, i] = e
        metric = sp.diag(*([G] * K))

    b: dict[tuple[str, int], list[sp.Expr]] = {}
    pre: dict[tuple[int, str, int], sp.Expr] = {}
    h: dict[tuple[int, str, int], sp.Expr] = {}
    gram = metric[:coords_per_k, :coords_per_k] if metric is not None else sp.eye(coords_per_k)
    for t in tags:
        for n in range(N):
            xs, zs = x[t][n], z[t]
            bn = attention_weights(attention, [attention_numerator(attention, xs[l], zs[l], T) for l in range(M)])
            b[(t, n + 1)] = bn
            # residual stream in embedding coordinates: (b, 1 at this sample's query)
            f = [*bn, *(sp.Integer(1) if s == t else sp.Integer(0) for s in tags)]
            fnorm = sp.sqrt(sum(f[i] * gram[i, j] * f[j] for i in range(coords_per_k) for j in range(coords_per_k)))
            for k in range(K):
                a = sum(v[k][l] * bn[l] for l in range(M)) + vq[t][k]
                if layernorm:
                    a = a / fnorm
                pre[(k + 1, t, n + 1)] = a
                h[(k + 1, t, n + 1)] = phi(a)

    n_total = N * len(tags)
    data: list[sp.Symbol] = [s for t in tags for row in x[t] for s in row]
    if loss is None:
        g = {(k, t, n): sp.Symbol(f"g{t}{k}_{n}", real=True) for (k, t, n) in h}
        data += list(g.values())
        total = loss_total(h, g, None, n_total)
    else:
        y = {(k, t, n): sp.Symbol(f"y{t}{k}_{n}", real=True) for (k, t, n) in h}
        g = {key: y[key] - h[key] for key in h}
        data += list(y.values())
        total = loss_total(h, y, loss, n_total)

    w_symbols = tuple(s for k in range(K) for s in (*v[k], *(vq[t][k] for t in tags)))
    groups = [ParamGroup("w", w_symbols, eta_w, metric)]
    groups += [ParamGroup(f"z{t}", tuple(z[t]), eta_z) for t in tags]

    assumptions = [
        "frequencies x lie on the simplex interior (x_l > 0); sums of x need not be 1 for the proofs",
        "embeddings orthonormal (U^T U = I)"
        if metric is None
        else "embeddings unit-norm, U^T U = I + E (E symmetric, zero diagonal)",
        "weights enter only through their projections v = U^T w; components orthogonal to span(U) do not move",
        "arbitrary activation phi and arbitrary loss (g = -dLoss/dh are free symbols)"
        if loss is None and activation is None
        else f"activation={activation or 'arbitrary'}, loss={loss or 'arbitrary'}",
    ]
    if queries == 2:
        assumptions.append("two queries share the weights w_k; each has its own logits (z, zb)")
    name = f"joma-{attention}" + ("-2q" if queries == 2 else "") + ("-ln" if layernorm else "")
    aliases = {"r": eta_z / eta_w}
    return ModelSpec(
        name=name,
        loss=total,
        params=tuple(groups),
        data=tuple(data),
        constants=(T, eta_w, eta_z, *eps),
        sizes={"M": M, "K": K, "N": N, "queries": queries},
        assumptions=tuple(assumptions),
        description=f"JoMA block, {attention} attention, {M} tokens, {K} hidden nodes, {N} samples per query",
        extra={
            "attention": attention,
            "b": b,
            "pre": pre,
            "g": g,
            "v": v,
            "z": z,
            "x": x,
            "T": T,
            "eta_w": eta_w,
            "eta_z": eta_z,
            "n_total": n_total,
            "aliases": aliases,
            "simplex": tuple(tuple(row) for t in tags for row in x[t]),
        },
    )
