"""Observed orders: the log-log slope of a drift against the step, and the bands that judge it.

Role: the one place where a drift's order in the learning rate is measured and judged, shared by
the oracle (``theory check``) and the Lu et al. experiments (``theory lu synthetic``).

Gradient descent is the explicit Euler discretisation of gradient flow, so over a fixed horizon
a quantity conserved by the flow drifts by :math:`C\\eta + O(\\eta^2)` under descent with step
:math:`\\eta` (Hairer, Nørsett & Wanner, *Solving ODEs I*, Thm. II.3.4): the least-squares slope
of :math:`\\log d` against :math:`\\log\\eta` is about 1 (accepted in :data:`SLOPE_BAND`).  A
quantity the flow does *not* conserve drifts :math:`O(1)` whatever :math:`\\eta`: slope about 0
(a negative control must stay below :data:`CONTROL_MAX_SLOPE`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InvalidArgument

__all__ = ["CONTROL_MAX_SLOPE", "DRIFT_FLOOR", "SLOPE_BAND", "fit_slope"]

#: Accepted slopes for an :math:`O(\eta)` drift.  At finite :math:`\eta` the :math:`O(\eta^2)`
#: term bends the log-log line slightly (measured 0.98 - 1.02 on the catalogue and on the Lu et al.
#: runs); 0.2 either side still rejects :math:`O(\sqrt\eta)` (0.5) and :math:`O(\eta^2)` (2).
SLOPE_BAND: tuple[float, float] = (0.8, 1.2)

#: A negative control (a quantity that is not conserved) drifts :math:`O(1)`: slope about 0
#: (measured -0.03 to 0.06 on the catalogue's controls and on the Lu et al. trained-query runs).
#: It must stay below this value, which lies between :math:`O(1)` (0) and :math:`O(\sqrt\eta)`
#: (0.5), so a drift that still shrinks like a power of the step is not taken for :math:`O(1)`.
CONTROL_MAX_SLOPE: float = 0.3

#: Exact zeros among the drifts are raised to this value before the logarithm (see :func:`fit_slope`).
DRIFT_FLOOR: float = 1e-300


def fit_slope(etas: Sequence[float] | np.ndarray, drifts: Sequence[float] | np.ndarray) -> float:
    """Observed order: the least-squares slope of :math:`\\log d` against :math:`\\log\\eta`.

    Fits :math:`\\log d_i = p \\log\\eta_i + c` by least squares and returns :math:`p`; a drift
    :math:`d = C\\eta^p` gives exactly :math:`p`.

    Parameters
    ----------
    etas : sequence of float, shape (n,)
        Steps (learning rates), positive and finite, at least two of them.
    drifts : sequence of float, shape (n,)
        Drift measured at each step: finite and non-negative.  An exact zero (a quantity kept
        to the last bit) is raised to :data:`DRIFT_FLOOR` first, so it cannot make the fit
        fail; all zeros then give slope 0, which no invariant check accepts (a check reports
        such a quantity as suspicious rather than conserved at order 1).

    Returns
    -------
    float
        The slope :math:`p`.

    Raises
    ------
    InvalidArgument
        Fewer than two points, mismatched lengths, a step that is not positive and finite, or a
        drift that is negative or not finite (a diverged run has no order).

    Examples
    --------
    >>> round(fit_slope([0.1, 0.2, 0.4], [0.3, 0.6, 1.2]), 12)
    1.0
    >>> round(fit_slope([0.1, 0.2, 0.4], [2.0, 2.0, 2.0]), 12)
    0.0
    """
    x = np.asarray(etas, dtype=float)
    y = np.asarray(drifts, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or x.size < 2:
        raise InvalidArgument(
            f"expected two 1-D sequences of the same length >= 2, got etas={x.tolist()}, drifts={y.tolist()}"
        )
    if not np.all(np.isfinite(x) & (x > 0)):
        raise InvalidArgument(f"expected positive finite steps, got etas={x.tolist()}")
    if not np.all(np.isfinite(y) & (y >= 0)):
        raise InvalidArgument(f"expected finite non-negative drifts, got drifts={y.tolist()}")
    return float(np.polyfit(np.log(x), np.log(np.maximum(y, DRIFT_FLOOR)), 1)[0])
