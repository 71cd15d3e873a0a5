"""Attention-entropy utilities: softmax, Shannon entropy, and the shape of an entropy curve.

Role: the attention-entropy tools of the JoMA experiments (the entropy itself is
:func:`theory.numeric.entropy.entropy`, re-exported here)
(reduced dynamics, full one-block model, real text), so that every experiment measures the
same quantity.  Natural logarithms throughout (entropy in nats).

References
----------
Tian, Wang, Zhang, Chen, Du, "JoMA: Demystifying Multilayer Transformers via JOint Dynamics
of MLP and Attention", ICLR 2024 (arXiv 2310.00535), Sec. 5 ("sparse then dense") and
Fig. 4 / Fig. 6 (entropy drops, then rises; uniform causal attention over 35 positions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidArgument
from ..numeric.entropy import entropy  # the one definition, re-exported for the experiments

__all__ = [
    "EntropyShape",
    "entropy",
    "entropy_shape",
    "softmax",
    "uniform_causal_mean_entropy",
]


def softmax(logits: np.ndarray, *, axis: int = -1, weights: np.ndarray | None = None) -> np.ndarray:
    r"""Numerically stable (weighted) softmax along ``axis``.

    .. math:: p_l = \frac{x_l e^{a_l}}{\sum_j x_j e^{a_j}}

    Parameters
    ----------
    logits : ndarray
        The exponents :math:`a`.
    axis : int
        Axis to normalise over.
    weights : ndarray, optional
        Non-negative token frequencies :math:`x` (broadcast against ``logits``); uniform if omitted.
    """
    a = np.asarray(logits, dtype=float)
    shifted = np.exp(a - np.max(a, axis=axis, keepdims=True))
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        if np.any(w < 0):
            raise InvalidArgument("softmax weights must be non-negative token frequencies")
        shifted = shifted * w
    total = np.sum(shifted, axis=axis, keepdims=True)
    if np.any(total <= 0):
        raise InvalidArgument("softmax weights sum to zero; give at least one positive frequency")
    return shifted / total


def uniform_causal_mean_entropy(n: int) -> float:
    r"""Mean entropy of uniform causal attention over ``n`` positions.

    Position :math:`i` attends uniformly to :math:`i` positions, entropy :math:`\ln i`, so

    .. math:: \bar H_n = \frac{1}{n} \sum_{i=1}^{n} \ln i = \frac{\ln n!}{n}.

    For :math:`n = 35` (the JoMA paper's reference line) this is about 2.63 nats.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise InvalidArgument(f"expected a positive number of positions, got n={n!r}")
    return float(np.mean(np.log(np.arange(1, int(n) + 1, dtype=float))))


@dataclass(frozen=True)
class EntropyShape:
    """The shape of an entropy curve :math:`H(t)`.

    Attributes
    ----------
    h0, h_min, h_end : float
        Entropy at the start, at its minimum, and at the end.
    t_min : float
        Time (or step) of the minimum.
    drop, rise : float
        ``h0 - h_min`` and ``h_end - h_min`` (both >= 0).
    drop_then_rise : bool
        ``drop > tol`` and ``rise > tol`` and the minimum lies strictly inside.
    only_falls : bool
        The curve never rises by more than ``tol`` above its running minimum.
    tol : float
        Tolerance used for the two verdicts.
    """

    h0: float
    h_min: float
    h_end: float
    t_min: float
    drop: float
    rise: float
    drop_then_rise: bool
    only_falls: bool
    tol: float

    def as_dict(self) -> dict[str, float | bool]:
        """JSON-able form."""
        return dict(self.__dict__)


def entropy_shape(t: np.ndarray, h: np.ndarray, *, tol: float = 1e-3) -> EntropyShape:
    """Classify an entropy trajectory: drop then rise, or only falling.

    Parameters
    ----------
    t, h : ndarray, shape (n,)
        Times and entropies (n >= 3).
    tol : float
        A rise or drop smaller than this (nats) counts as none; choose it above the noise level
        of ``h`` (for an ODE solution, a few times the solver tolerance; for SGD, the step noise).
    """
    t = np.asarray(t, dtype=float)
    h = np.asarray(h, dtype=float)
    if t.ndim != 1 or t.shape != h.shape or t.size < 3:
        raise InvalidArgument(f"expected matching 1-d t and h with >= 3 points, got {t.shape}, {h.shape}")
    if not np.all(np.isfinite(h)):
        raise InvalidArgument("entropy curve contains non-finite values")
    i = int(np.argmin(h))
    drop = float(h[0] - h[i])
    rise = float(h[-1] - h[i])
    excursion = float(np.max(h - np.minimum.accumulate(h)))
    return EntropyShape(
        h0=float(h[0]),
        h_min=float(h[i]),
        h_end=float(h[-1]),
        t_min=float(t[i]),
        drop=drop,
        rise=rise,
        drop_then_rise=bool(drop > tol and rise > tol and 0 < i < h.size - 1),
        only_falls=bool(excursion <= tol),
        tol=float(tol),
    )
