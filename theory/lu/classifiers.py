"""The three classifiers of Lu, Mao & Nayak (2021) on top of the attention context.

Role: map the context vectors :math:`c_n \\in \\mathbb{R}^{d_e}` to logits and back-propagate.

* ``FC`` - fixed linear classifier :math:`z = U c` (``U`` not trained);
* ``TC`` - trainable linear classifier :math:`z = U c + b`;
* ``TL`` - trainable two-layer ReLU network :math:`z = V\\,\\mathrm{relu}(W_1 c + b_1) + b_2`.

Each classifier is a pair of pure functions on a parameter dict: ``forward(p, c) -> (z,
cache)`` and ``backward(p, dz, cache) -> (dc, grads)`` with ``grads`` keyed like ``p``.

References
----------
H. Lu, Y. Mao, A. Nayak, "On the Dynamics of Training Attention Models", ICLR 2021,
section 3 (FC, TC, TL).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UnknownNameError

__all__ = ["CLASSIFIERS", "FC_INITS", "classifier_backward", "classifier_forward", "init_classifier"]

CLASSIFIERS = ("FC", "TC", "TL")
#: Initialisations of the fixed classifier: ``"code"`` (the published code's: a standard-normal
#: matrix with its diagonal set to 1, the default) and ``"scaled"`` (:math:`\mathcal N(0, 1/d_e)`).
FC_INITS = ("code", "scaled")


def check_classifier(name: str) -> str:
    """Return ``name`` upper-cased if it is a known classifier, else raise."""
    key = str(name).upper()
    if key not in CLASSIFIERS:
        raise UnknownNameError(f"unknown classifier {name!r}; expected one of: {', '.join(CLASSIFIERS)}")
    return key


def init_classifier(
    name: str,
    d_e: int,
    n_classes: int,
    rng: np.random.Generator,
    *,
    hidden: int = 16,
    fc_init: str = "code",
) -> dict[str, np.ndarray]:
    """Initial classifier parameters.

    ``FC`` with ``fc_init="code"`` (default): :math:`U_{ij} \\sim \\mathcal N(0, 1)` with
    :math:`U_{ii} = 1` -- what the published code of Lu et al. does (the paper only says the
    classifier is fixed; its code fixes this matrix).  ``fc_init="scaled"``:
    :math:`\\mathcal N(0, 1/d_e)`, the toolkit's earlier choice (the fan-in scaling below).
    The two give different dynamics: measured with the published code (issue 14) the
    reference reaches loss 1.19 after 500 epochs and 0.0019 after 5000 (topic scores 3.7-4.3),
    the scaled start 1.38 and 0.101 (scores 5.1-5.5).

    ``TC`` and ``TL`` weights are :math:`\\mathcal N(0, 1/\\text{fan-in})`; ``TL`` biases
    :math:`b_1 \\sim \\mathcal N(0, 0.1^2)`: with :math:`c \\approx 0` at initialisation the
    units with :math:`b_1 > 0` are active, so gradients flow.
    """
    key = check_classifier(name)
    if fc_init not in FC_INITS:
        raise UnknownNameError(f"unknown FC initialisation {fc_init!r}; expected one of: {', '.join(FC_INITS)}")
    if key == "FC" and fc_init == "code":
        U = rng.standard_normal((n_classes, d_e))
        np.fill_diagonal(U, 1.0)
        return {"U": U}
    if key in ("FC", "TC"):
        p = {"U": rng.normal(0.0, 1.0 / np.sqrt(d_e), size=(n_classes, d_e))}
        if key == "TC":
            p["b"] = np.zeros(n_classes)
        return p
    return {
        "W1": rng.normal(0.0, 1.0 / np.sqrt(d_e), size=(hidden, d_e)),
        "b1": rng.normal(0.0, 0.1, size=hidden),
        "W2": rng.normal(0.0, 1.0 / np.sqrt(hidden), size=(n_classes, hidden)),
        "b2": np.zeros(n_classes),
    }


def classifier_forward(name: str, p: dict[str, np.ndarray], c: np.ndarray) -> tuple[np.ndarray, Any]:
    """Logits ``z`` of shape (N, n_classes) for contexts ``c`` of shape (N, d_e)."""
    if name == "FC":
        return c @ _t(p["U"]), None
    if name == "TC":
        return c @ _t(p["U"]) + p["b"], None
    pre = c @ _t(p["W1"]) + p["b1"]
    h = np.maximum(pre, 0.0)
    return h @ _t(p["W2"]) + p["b2"], (pre, h)


def _t(x: np.ndarray) -> np.ndarray:
    # A contiguous transpose: OpenBLAS is ~10x slower on a tall matrix times a transposed
    # small one than on the contiguous copy (measured in bench/bench_lu.py's profile).
    return np.ascontiguousarray(x.T)


def classifier_backward(
    name: str, p: dict[str, np.ndarray], c: np.ndarray, dz: np.ndarray, cache: Any
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Back-propagate ``dz = dL/dz``: returns ``dL/dc`` and the parameter gradients.

    The ReLU derivative at 0 is taken as 0 (a sub-gradient).
    """
    if name == "FC":
        return dz @ p["U"], {}
    if name == "TC":
        return dz @ p["U"], {"U": dz.T @ c, "b": dz.sum(axis=0)}
    pre, h = cache
    dh = (dz @ p["W2"]) * (pre > 0.0)
    grads = {"W2": dz.T @ h, "b2": dz.sum(axis=0), "W1": dh.T @ c, "b1": dh.sum(axis=0)}
    return dh @ p["W1"], grads
