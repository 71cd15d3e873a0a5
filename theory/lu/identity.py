"""The score / embedding-norm identity of Lu, Mao & Nayak (2021) evaluated on trajectories.

Role: take the identity **from the symbolic core** (``derivations.lu_identity``, which derives
it from the model's gradient flow), compile it with
:func:`theory.numeric.compile.compile_expression`, and measure how well gradient descent
keeps it.  Nothing here types the formula in.

Under the side conditions (query fixed; each sentence with topic word :math:`t` has exactly
:math:`m` non-topic words whose embeddings stay 0 and whose scores stay :math:`s_0`) the
core proves that

.. math::

    I(t) = \\|q\\|^2 \\|w_t\\|^2 - 2 s_t - \\tfrac{2}{m} e^{s_t - s_0}

is constant along gradient flow, and with zero initialisation gives the curve
:math:`\\|q\\|\\,\\|w_t\\| = F(s_t, m)`.  Gradient descent with rate :math:`\\eta` is a
first-order discretisation: run to a fixed time :math:`T = \\eta \\cdot \\text{epochs}`, the
drift :math:`\\max_t |I(t) - I(0)|` is :math:`O(\\eta)`, so its log-log slope against
:math:`\\eta` is about 1 (:func:`theory.numeric.slopes.fit_slope`).  With the query trained the drift is
:math:`O(1)` and does not shrink (slope about 0): the negative control.

References
----------
H. Lu, Y. Mao, A. Nayak, "On the Dynamics of Training Attention Models", ICLR 2021,
Lemma 2 / Theorem 1 (the identity) and Fig. 2 (the curve on SST).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from ..errors import InvalidArgument, TheoryError
from ..numeric.compile import compile_expression
from .train import History

__all__ = [
    "CoreIdentity",
    "CoreIdentityUnavailable",
    "core_identity",
    "identity_residuals",
]

_INVARIANT_ARGS = ("q2", "w2", "s_t", "s_0", "m")
_CURVE_ARGS = ("s_t", "m")


class CoreIdentityUnavailable(TheoryError, RuntimeError):
    """The symbolic core does not (yet) provide the Lu et al. identity."""


@dataclass(frozen=True)
class CoreIdentity:
    """The compiled identity and curve, with the SymPy expressions they came from.

    Attributes
    ----------
    invariant : callable
        ``invariant(q2, w2, s_t, s_0, m)`` - the conserved quantity (NumPy, broadcasting).
    curve : callable
        ``curve(s_t, m)`` - :math:`\\|q\\|\\,\\|w_t\\|` on the zero-initialisation curve.
    invariant_expr, curve_expr : sympy.Expr
    source : str
        Where the expressions came from.
    """

    invariant: Callable[..., np.ndarray]
    curve: Callable[..., np.ndarray]
    invariant_expr: sp.Expr
    curve_expr: sp.Expr
    source: str

    def as_json(self) -> dict:
        """The expressions as strings and LaTeX, for reports."""
        return {
            "source": self.source,
            "invariant": str(self.invariant_expr),
            "invariant_latex": sp.latex(self.invariant_expr),
            "curve": str(self.curve_expr),
            "curve_latex": sp.latex(self.curve_expr),
        }


def _by_name(expr: sp.Expr, names: tuple[str, ...], what: str) -> list[sp.Symbol]:
    found = {s.name: s for s in expr.free_symbols}
    extra = sorted(set(found) - set(names))
    if extra:
        raise CoreIdentityUnavailable(
            f"the core's {what} uses symbols {extra} beyond {list(names)}; update theory.lu.identity"
        )
    return [found.get(n, sp.Symbol(n)) for n in names]


def compile_identity(invariant_expr: sp.Expr, curve_expr: sp.Expr, source: str) -> CoreIdentity:
    """Compile core-supplied expressions (symbols matched by name) into a :class:`CoreIdentity`."""
    inv_args = _by_name(invariant_expr, _INVARIANT_ARGS, "invariant")
    curve_args = _by_name(curve_expr, _CURVE_ARGS, "closed form")
    return CoreIdentity(
        invariant=compile_expression(invariant_expr, inv_args),
        curve=compile_expression(curve_expr, curve_args),
        invariant_expr=invariant_expr,
        curve_expr=curve_expr,
        source=source,
    )


@lru_cache(maxsize=1)
def core_identity() -> CoreIdentity:
    """Load ``derivations.lu_identity`` and compile its invariant and closed form.

    Raises
    ------
    CoreIdentityUnavailable
        If the symbolic core has not landed the identity yet.
    """
    try:
        mod = importlib.import_module("theory.derivations.lu_identity")
    except ImportError as exc:
        raise CoreIdentityUnavailable(
            "the symbolic core has not landed derivations.lu_identity yet, so the identity "
            "curve is not available (not yet); update the checkout"
        ) from exc
    inv = mod.invariant()
    curve_fn = getattr(mod, "closed_form", None)
    source = "derivations.lu_identity.invariant, derivations.lu_identity.closed_form"
    if curve_fn is None:
        source = "derivations.lu_identity.invariant, derivations.lu_closed_form.closed_form"
        try:
            curve_fn = importlib.import_module("theory.derivations.lu_closed_form").closed_form
        except (ImportError, AttributeError) as exc:
            raise CoreIdentityUnavailable(
                "derivations.lu_identity has no closed_form() (nor derivations.lu_closed_form)"
            ) from exc
    return compile_identity(sp.sympify(inv), sp.sympify(curve_fn()), source)


def identity_residuals(hist: History, m: float | np.ndarray, ident: CoreIdentity, *, s0: float = 0.0) -> dict:
    """Invariant drift and curve residual of the tracked words along a recorded run.

    Parameters
    ----------
    hist : History
        A run whose tracked words are the topic words.
    m : float or ndarray (T,)
        Non-topic words per sentence for each tracked word.
    ident : CoreIdentity
    s0 : float
        The non-topic score assumed by the identity (0 with zero keys).

    Returns
    -------
    dict
        ``max_abs_drift`` (:math:`\\max_{t,\\text{word}} |I(t) - I(0)|`),
        ``max_rel_drift`` (divided by :math:`\\max \\|q\\|^2\\|w_t\\|^2`, the size the
        identity's terms reach), ``curve_rel_residual`` (:math:`\\max|\\|q\\|\\|w_t\\|-F|/\\max F`),
        ``drift_per_word``, the final ``scores`` / ``qw`` / ``curve`` values, and
        ``over_training`` (the drift, maximised over words, at ~41 recorded epochs).
    """
    if hist.scores.shape[1] == 0:
        raise InvalidArgument("the run tracked no word; pass track=<topic word ids>")
    m = np.broadcast_to(np.asarray(m, dtype=float), hist.scores.shape[1:])
    if np.any(m <= 0):
        raise InvalidArgument(f"expected m > 0 for every tracked word, got min m={m.min()}")
    q2 = hist.q2[:, None]
    inv = np.asarray(ident.invariant(q2, hist.w2, hist.scores, s0, m[None, :]), dtype=float)
    drift = np.abs(inv - inv[0])
    scale = float(np.max(q2 * hist.w2))
    qw = np.sqrt(q2 * hist.w2)
    with np.errstate(invalid="ignore"):  # the curve is real only for s_t >= 0 (NaN below)
        curve = np.asarray(ident.curve(hist.scores, m[None, :]), dtype=float)
    curve_scale = float(np.nanmax(np.abs(curve)))
    return {
        "max_abs_drift": float(drift.max()),
        "max_rel_drift": float(drift.max() / max(scale, 1e-300)),
        "drift_per_word": drift.max(axis=0).tolist(),
        "curve_rel_residual": float(np.nanmax(np.abs(qw - curve)) / max(curve_scale, 1e-300)),
        "final": {
            "scores": hist.scores[-1].tolist(),
            "qw": qw[-1].tolist(),
            "curve": curve[-1].tolist(),
        },
        "scale_q2w2": scale,
        "over_training": _subsample(hist.epochs, drift.max(axis=1)),
    }


def _subsample(epochs: np.ndarray, values: np.ndarray, points: int = 41) -> dict:
    """About ``points`` evenly spaced records (first and last included) for the JSON."""
    idx = np.unique(np.linspace(0, epochs.size - 1, min(points, epochs.size)).round().astype(int))
    return {"epochs": epochs[idx].tolist(), "max_abs_drift": values[idx].tolist()}
