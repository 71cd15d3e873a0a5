"""The blocks of a transformer as network specs, for discovering their conservation laws.

Each constructor returns :func:`theory.models.network` of the block's output
:math:`g(\\theta, X)`, so the laws found hold for every loss and data set (Marcotte, Gribonval &
Peyre, NeurIPS 2023; the attention laws are stated in Marcotte, Gribonval & Peyre, ICML 2025,
"Transformative or Conservative?", arXiv 2506.06194).  Parameters are matrices of real symbols;
the data :math:`X` (``tokens x dim``) are free symbols.

Attention head :math:`h`:

.. math::

    g = \\sum_h \\operatorname{softmax}\\!\\Big(\\frac{X Q_h^\\top K_h X^\\top}{\\tau}\\Big) X V_h^\\top O_h
        \\;(+\\, X \\text{ with a residual}),

softmax over each row (over :math:`j \\le i` with a causal mask), :math:`Q_h, K_h, V_h, O_h` of
shape ``head_dim x dim``.  With ``scaled=True`` the logits are divided by a positive constant
:math:`\\tau` (:math:`\\sqrt{d}` in the standard block): laws are proved for symbolic
:math:`\\tau`, so they hold at :math:`\\tau = \\sqrt d`.  Rotary position encoding (Su et al.,
RoFormer 2021) rotates each pair of query/key coordinates at position :math:`i` by
:math:`R^i`, with the rational rotation :math:`R = \\begin{pmatrix}3/5 & -4/5\\\\ 4/5 & 3/5\\end{pmatrix}`
(angle :math:`\\arctan(4/3)`; rational so that exact arithmetic applies), so the logit depends on
:math:`R^{j-i}` only, as in RoPE.

ReLU: near a generic point each input has a fixed activation pattern, and the gradient fields are
multilinear in the pattern; ``relu(u)`` is therefore written :math:`\\varepsilon u` with the
pattern :math:`\\varepsilon` a free input.  The span of the fields over real :math:`\\varepsilon`
equals their span over :math:`\\{0, 1\\}` patterns when every pattern is realised by some input
(true when ``hidden <= dim``, hyperplanes in general position).
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from ..errors import ModelError
from .network import network
from .spec import ModelSpec

__all__ = [
    "FFN_ACTIVATIONS",
    "attention",
    "classifier",
    "feedforward",
    "linear_network",
    "mixture_of_experts",
    "transformer_block",
]

_ROTATION = sp.Matrix([[sp.Rational(3, 5), -sp.Rational(4, 5)], [sp.Rational(4, 5), sp.Rational(3, 5)]])


def _size(name: str, value: object, low: int = 1, high: int = 16) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ModelError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return value


def _matrix(prefix: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda a, b: sp.Symbol(f"{prefix}{a + 1}_{b + 1}", real=True))


def _softmax_rows(S: sp.Matrix, causal: bool) -> sp.Matrix:
    out = sp.zeros(S.rows, S.cols)
    for i in range(S.rows):
        keep = range(i + 1) if causal else range(S.cols)
        total = sp.Add(*(sp.exp(S[i, j]) for j in keep))
        for j in keep:
            out[i, j] = sp.exp(S[i, j]) / total
    return out


def _rotary(M: sp.Matrix, position: int) -> sp.Matrix:
    """Rotate each consecutive pair of rows of the column ``M`` by ``R**position``."""
    R = _ROTATION**position
    out = sp.Matrix(M)
    for a in range(0, M.rows - 1, 2):
        out[a : a + 2, :] = R * M[a : a + 2, :]
    return out


def attention(
    tokens: int = 2,
    dim: int = 2,
    head_dim: int = 1,
    heads: int = 1,
    *,
    scaled: bool = False,
    causal: bool = False,
    rotary: bool = False,
    residual: bool = False,
) -> ModelSpec:
    """Softmax attention, single- or multi-head, as a network spec.

    Parameters
    ----------
    tokens, dim, head_dim, heads : int
        Sequence length :math:`N`, model width, head width :math:`d_1`, number of heads.
    scaled : bool
        Divide the logits by the positive constant ``tau``.
    causal : bool
        Token :math:`i` attends to :math:`j \\le i` only.
    rotary : bool
        Rotary position encoding on queries and keys (``head_dim`` even).
    residual : bool
        Add :math:`X` to the output.

    Returns
    -------
    ModelSpec

    Examples
    --------
    >>> spec = attention(tokens=2, dim=2, head_dim=1)
    >>> [g.name for g in spec.params]
    ['Q', 'K', 'V', 'O']
    """
    N, d, d1, H = _size("tokens", tokens), _size("dim", dim), _size("head_dim", head_dim), _size("heads", heads, 1, 8)
    if rotary and d1 % 2:
        raise ModelError(f"rotary encoding rotates pairs of coordinates: head_dim must be even, got {d1}")
    X = _matrix("x", N, d)
    tau = sp.Symbol("tau", positive=True)
    params: dict[str, sp.Matrix] = {}
    out = sp.Matrix(X) if residual else sp.zeros(N, d)
    for h in range(H):
        tag = "" if H == 1 else str(h + 1)
        Q, K, V, O = (_matrix(f"{n}{tag}_" if tag else n, d1, d) for n in "QKVO")
        params.update({f"Q{tag}": Q, f"K{tag}": K, f"V{tag}": V, f"O{tag}": O})
        queries = [Q * X[i, :].T for i in range(N)]
        keys = [K * X[j, :].T for j in range(N)]
        if rotary:
            queries = [_rotary(q, i) for i, q in enumerate(queries)]
            keys = [_rotary(k, j) for j, k in enumerate(keys)]
        scale = tau if scaled else sp.Integer(1)
        S = sp.Matrix([[(q.T * k)[0, 0] / scale for k in keys] for q in queries])
        out += _softmax_rows(S, causal) * X * V.T * O
    tags = [t for t, on in (("scaled", scaled), ("causal", causal), ("rotary", rotary), ("residual", residual)) if on]
    name = f"attention N={N} dim={d} head_dim={d1} heads={H}" + (" " + ",".join(tags) if tags else "")
    return network(out, params, list(X), name=name)


def _silu(u: sp.Expr) -> sp.Expr:
    return u / (1 + sp.exp(-u))


def _gelu(u: sp.Expr) -> sp.Expr:
    return u * (1 + sp.erf(u / sp.sqrt(2))) / 2


#: Activations of :func:`feedforward`: name -> elementwise function (``relu`` uses patterns).
FFN_ACTIVATIONS: dict[str, Callable[[sp.Expr], sp.Expr] | None] = {
    "linear": lambda u: u,
    "relu": None,
    "tanh": sp.tanh,
    "silu": _silu,
    "gelu": _gelu,
    "swiglu": None,
}


def feedforward(dim: int = 2, hidden: int = 2, activation: str = "relu", *, residual: bool = False) -> ModelSpec:
    """A feed-forward layer :math:`g = W_2\\,\\sigma(W_1 x)` (SwiGLU: :math:`W_2 (W_1 x \\odot \\mathrm{SiLU}(W_3 x))`).

    Parameters
    ----------
    dim, hidden : int
        Input/output width and hidden width.
    activation : str
        One of :data:`FFN_ACTIVATIONS`.
    residual : bool
        Add :math:`x` to the output.

    Returns
    -------
    ModelSpec
    """
    d, h = _size("dim", dim), _size("hidden", hidden)
    if activation not in FFN_ACTIVATIONS:
        raise ModelError(f"activation must be one of {sorted(FFN_ACTIVATIONS)}, got {activation!r}")
    x = _matrix("x", d, 1)
    W1, W2 = _matrix("W1_", h, d), _matrix("W2_", d, h)
    params = {"W1": W1, "W2": W2}
    inputs = list(x)
    pre = W1 * x
    if activation == "relu":
        eps = [sp.Symbol(f"relu{j + 1}", real=True) for j in range(h)]
        inputs += eps
        hid = sp.Matrix([e * u for e, u in zip(eps, pre, strict=True)])
    elif activation == "swiglu":
        W3 = _matrix("W3_", h, d)
        params = {"W1": W1, "W3": W3, "W2": W2}
        gate = W3 * x
        hid = sp.Matrix([u * _silu(v) for u, v in zip(pre, gate, strict=True)])
    else:
        fn = FFN_ACTIVATIONS[activation]
        assert fn is not None
        hid = pre.applyfunc(fn)
    out = W2 * hid + (x if residual else sp.zeros(d, 1))
    return network(
        out, params, inputs, name=f"feedforward {activation} dim={d} hidden={h}" + (" residual" if residual else "")
    )


def mixture_of_experts(dim: int = 2, experts: int = 2) -> ModelSpec:
    """Softmax-gated linear experts, :math:`g = \\sum_e \\operatorname{softmax}(W_g x)_e\\, A_e x`.

    Returns
    -------
    ModelSpec
    """
    d, E = _size("dim", dim), _size("experts", experts, 1, 8)
    x = _matrix("x", d, 1)
    Wg = _matrix("Wg", E, d)
    gates = _softmax_rows((Wg * x).T, causal=False)
    params: dict[str, sp.Matrix] = {"Wg": Wg}
    out = sp.zeros(d, 1)
    for e in range(E):
        A = _matrix(f"A{e + 1}_", d, d)
        params[f"A{e + 1}"] = A
        out += gates[0, e] * A * x
    return network(out, params, list(x), name=f"mixture of experts dim={d} experts={E}")


def classifier(dim: int = 2, classes: int = 2) -> ModelSpec:
    """A softmax classifier: its outputs are the log-probabilities :math:`\\log\\operatorname{softmax}(W x)`.

    Every loss of the log-probabilities (cross-entropy with any targets among them) is covered.

    Returns
    -------
    ModelSpec
    """
    d, C = _size("dim", dim), _size("classes", classes, 2, 16)
    x = _matrix("x", d, 1)
    W = _matrix("W", C, d)
    logits = W * x
    lse = sp.log(sp.Add(*(sp.exp(z) for z in logits)))
    return network([z - lse for z in logits], {"W": W}, list(x), name=f"softmax classifier dim={d} classes={C}")


def linear_network(n: int = 2, r: int = 2, m: int = 2) -> ModelSpec:
    """The two-layer linear network :math:`g = U V^\\top x` (``U``: n x r, ``V``: m x r).

    Returns
    -------
    ModelSpec

    Examples
    --------
    >>> linear_network(2, 2, 2).sizes["parameters"]
    8
    """
    n, r, m = _size("n", n, 1, 32), _size("r", r, 1, 32), _size("m", m, 1, 32)
    U, V, x = _matrix("U", n, r), _matrix("V", m, r), _matrix("x", m, 1)
    return network(U * V.T * x, {"U": U, "V": V}, list(x), name=f"linear network {n}x{r}x{m}")


def transformer_block(tokens: int = 2, dim: int = 2, head_dim: int = 1, hidden: int = 1) -> ModelSpec:
    """A residual block: softmax attention then a ReLU feed-forward layer, each with a skip.

    .. math::

        Y = X + \\operatorname{softmax}(X Q^\\top K X^\\top) X V^\\top O,\\qquad
        g_i = y_i + W_2\\,\\mathrm{relu}(W_1 y_i)

    (ReLU by activation patterns, one per token and hidden unit, as in :func:`feedforward`).

    Returns
    -------
    ModelSpec
    """
    N, d, d1, h = _size("tokens", tokens), _size("dim", dim), _size("head_dim", head_dim), _size("hidden", hidden)
    X = _matrix("x", N, d)
    Q, K, V, O = (_matrix(n, d1, d) for n in "QKVO")
    W1, W2 = _matrix("W1_", h, d), _matrix("W2_", d, h)
    S = sp.Matrix([[(Q * X[i, :].T).T * (K * X[j, :].T) for j in range(N)] for i in range(N)]).applyfunc(
        lambda e: e[0, 0] if isinstance(e, sp.MatrixBase) else e
    )
    Y = X + _softmax_rows(S, causal=False) * X * V.T * O
    eps = [[sp.Symbol(f"relu{i + 1}_{j + 1}", real=True) for j in range(h)] for i in range(N)]
    out = []
    for i in range(N):
        pre = W1 * Y[i, :].T
        hid = sp.Matrix([eps[i][j] * pre[j] for j in range(h)])
        out += list(Y[i, :].T + W2 * hid)
    params = {"Q": Q, "K": K, "V": V, "O": O, "W1": W1, "W2": W2}
    inputs = [*X, *(e for row in eps for e in row)]
    return network(out, params, inputs, name=f"transformer block N={N} dim={d} head_dim={d1} hidden={h}")
