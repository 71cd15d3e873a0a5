"""Shannon entropy of probability vectors: the one definition of "attention entropy".

Role: every entropy in the project (the referee's attention, the JoMA dynamics experiments, the
rollout of real attention maps, the simulator's report) is computed here, in nats, with
:math:`0 \\ln 0 = 0`.  NumPy only, so modules that import it do not pay SciPy's import time.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgument

__all__ = ["PROBABILITY_ATOL", "entropy"]

#: Default tolerance on each slice summing to 1: far above the rounding of a float64 softmax
#: (~1e-16 per entry), far below any real normalisation mistake.
PROBABILITY_ATOL: float = 1e-8


def entropy(p: np.ndarray, *, axis: int = -1, atol: float | None = PROBABILITY_ATOL) -> np.ndarray:
    r"""Shannon entropy in nats along ``axis``: :math:`H(p) = -\sum_l p_l \ln p_l`, with :math:`0 \ln 0 = 0`.

    Parameters
    ----------
    p : ndarray
        Probabilities along ``axis``: finite and non-negative.
    axis : int
        The axis that holds each distribution.
    atol : float or None
        Each slice must sum to 1 within ``atol``; ``None`` skips that check (e.g. float32
        attention maps, whose rows sum to 1 only to ~1e-7).  The input is never renormalised.

    Returns
    -------
    ndarray
        ``p`` with ``axis`` removed (a 0-d array for a single vector).

    Raises
    ------
    InvalidArgument
        A negative or non-finite entry, or a slice whose sum is not 1 within ``atol``.

    Examples
    --------
    >>> float(entropy(np.full(4, 0.25))) == float(np.log(4))
    True
    >>> entropy(np.array([[1.0, 0.0], [0.5, 0.5]])).round(6).tolist()
    [0.0, 0.693147]
    """
    q = np.asarray(p, dtype=float)
    if not np.all(np.isfinite(q)) or np.any(q < 0):
        raise InvalidArgument("entropy needs probability vectors: got a negative or non-finite entry")
    if atol is not None and not np.allclose(np.sum(q, axis=axis), 1.0, rtol=0.0, atol=atol):
        raise InvalidArgument(f"entropy needs probability vectors: a slice does not sum to 1 within atol={atol}")
    logs = np.log(np.where(q > 0, q, 1.0))  # 0 ln 0 = 0 without a warning
    return 0.0 - np.sum(q * logs, axis=axis)  # 0.0 - x, not -x: a certain outcome gives +0.0
