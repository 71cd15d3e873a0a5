"""The user-written models of ``docs/pipeline.md``, shared by the pipeline tests.

Tests import it as ``from pipeline_models import ...`` (pytest puts this directory on
``sys.path``; the name is unique across the repository).
"""

from __future__ import annotations

import sympy as sp

import theory as th


def linear_net() -> tuple[th.ModelSpec, sp.Matrix, sp.Matrix]:
    """Two-layer linear network :math:`f(x) = VUx`, squared loss on one data point; returns (spec, U, V)."""
    U = sp.Matrix(2, 2, sp.symbols("u1:3(1:3)", real=True))
    V = sp.Matrix(2, 2, sp.symbols("w1:3(1:3)", real=True))
    x = sp.Matrix(sp.symbols("x1:3", real=True))
    y = sp.Matrix(sp.symbols("y1:3", real=True))
    eta = sp.Symbol("eta", positive=True)
    r = V * U * x - y
    spec = th.models.custom(
        (r.T * r)[0] / 2, params={"U": U, "V": V}, rates={"U": eta, "V": eta}, data=[*x, *y], name="linear-net"
    )
    return spec, U, V


def softmax_logit() -> th.ModelSpec:
    """Softmax attention over two tokens: query ``q``, keys ``k1, k2``, logits ``q k_l``, value weight ``w``."""
    q, k1, k2, w = sp.symbols("q k1 k2 w", real=True)
    x1, x2, y = sp.symbols("x1 x2 y", real=True)
    eta_q, eta_k, eta_w = sp.symbols("eta_q eta_k eta_w", positive=True)
    e1, e2 = sp.exp(q * k1), sp.exp(q * k2)
    loss = (w * (e1 * x1 + e2 * x2) / (e1 + e2) - y) ** 2 / 2
    return th.models.custom(
        loss,
        params={"q": [q], "k": [k1, k2], "w": [w]},
        rates={"q": eta_q, "k": eta_k, "w": eta_w},
        data=[x1, x2, y],
        name="softmax-logit",
    )
