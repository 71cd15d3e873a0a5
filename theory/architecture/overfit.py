"""Overfitting risk from tokens per parameter and the data-constrained law's excess (issue 15 item 5).

Role: one verdict per model that can be trusted, with every threshold cited:

* **Tokens per parameter** ``D / N`` against about 20, the compute-optimal ratio of
  Hoffmann et al. (2022, Chinchilla: 1.4T tokens for 70B parameters); below it the model
  is larger than its data justifies, above it smaller.
* **Unique tokens per parameter** ``U_D / N``: with fewer unique tokens than parameters a
  network can memorise its training set (Zhang et al. 2017, "Understanding deep learning
  requires rethinking generalization"), so repeated passes can open a train/validation gap.
* **Repetition** ``R_D = D / U_D - 1`` and **excess parameters** ``R_N = N / U_N - 1``
  (``U_N`` the compute-optimal size for the unique data) of Muennighoff et al. (2023),
  with their decay constants ``R*_D ~ 15.4`` and ``R*_N ~ 5.3``
  (:data:`~.scaling.LAWS` ``muennighoff2023``).  In their law a repeated epoch (an excess
  parameter) is worth, on average over the ``R`` repeats,

  .. math:: w(R; R^*) = \\frac{R^* (1 - e^{-R / R^*})}{R}, \\qquad w(0) = 1,

  of a fresh one.  Their finding "up to ~4 epochs are almost as good as new data" is
  :math:`w(3; R^*_D) = 0.908`; "returns vanish after ~16 epochs" is :math:`R_D > R^*_D`,
  where :math:`w < 1 - 1/e = 0.63`.

Levels (each reason is printed):

* ``low`` - a single pass (every token seen once: each step is a fresh sample, the
  training loss estimates the validation loss), or both worths at least ``w(3; R*_D)``
  (the value of 4 epochs) with at least one unique token per parameter;
* ``high`` - repeated data with ``R_D > R*_D``, or ``R_N > R*_N``, or fewer unique tokens
  than parameters;
* ``moderate`` - repeated data in between.
"""

from __future__ import annotations

import math

from .scaling import effective_data, get_law

__all__ = ["CHINCHILLA_TOKENS_PER_PARAM", "LOW_WORTH", "overfitting_risk", "repeat_worth", "sig"]

#: Compute-optimal tokens per parameter, Hoffmann et al. (2022).
CHINCHILLA_TOKENS_PER_PARAM = 20.0


def repeat_worth(r: float, r_star: float) -> float:
    """Average worth :math:`R^*(1 - e^{-R/R^*}) / R` of ``r`` repeats (1 at ``r = 0``)."""
    if r <= 0:
        return 1.0
    return r_star * -math.expm1(-r / r_star) / r


_LAW = get_law("muennighoff2023")
R_STAR_D = float(_LAW.r_star_d or 0.0)
R_STAR_N = float(_LAW.r_star_n or 0.0)
#: The worth of 4 epochs (3 repeats), Muennighoff et al.'s "almost as good as new data".
LOW_WORTH = repeat_worth(3.0, R_STAR_D)


def sig(x: float, n: int = 3) -> str:
    """``x`` to ``n`` significant figures, never rounded to 0 (0.351, 156, 4.2e-05)."""
    if x == 0 or not math.isfinite(x):
        return str(x)
    mag = math.floor(math.log10(abs(x)))
    if -3 <= mag < 6:
        return f"{x:,.{max(0, n - 1 - mag)}f}"
    return f"{x:.{n - 1}e}"


def overfitting_risk(n_params: float, tokens: float, unique_tokens: float | None) -> dict:
    """Risk level, reasons and the quantities behind them (module docstring)."""
    u = tokens if unique_tokens is None else min(unique_tokens, tokens)
    _, _, r_n, r_d = effective_data(_LAW, n_params, tokens, u)
    u_n = _LAW.G * (_LAW.G * u) ** (_LAW.beta / _LAW.alpha)  # compute-optimal N for D = U_D (scaling.py)
    epochs = tokens / u
    w_d, w_n = repeat_worth(r_d, R_STAR_D), repeat_worth(r_n, R_STAR_N)
    tpp, upp = tokens / n_params, u / n_params
    reasons: list[str] = []
    if epochs <= 1.0 + 1e-9:
        level = "low"
        reasons.append("a single pass: every token is seen once, so no train/validation gap can open")
        if r_n > R_STAR_N:
            reasons.append(
                f"but the model is over-sized for the data: R_N = {sig(r_n)} > R*_N = {R_STAR_N:.1f}, its "
                f"excess parameters are worth {100 * w_n:.2g}% of useful ones (wasted capacity, not overfitting)"
            )
    else:
        high = []
        if r_d > R_STAR_D:
            high.append(
                f"{sig(epochs)} epochs: R_D = {sig(r_d)} > R*_D = {R_STAR_D:.1f}, repeated tokens are worth "
                f"{100 * w_d:.2g}% of fresh ones (Muennighoff et al. 2023: returns vanish beyond ~16 epochs)"
            )
        if r_n > R_STAR_N:
            high.append(
                f"R_N = {sig(r_n)} > R*_N = {R_STAR_N:.1f}: {sig(n_params)} parameters against a "
                f"compute-optimal {sig(u_n)} for the unique data, the excess worth {100 * w_n:.2g}%"
            )
        if upp < 1.0:
            high.append(
                f"{sig(upp)} unique tokens per parameter: fewer unique tokens than parameters, so the "
                "model can memorise them (Zhang et al. 2017)"
            )
        if high:
            level = "high"
            reasons.extend(high)
        elif w_d >= LOW_WORTH and w_n >= LOW_WORTH:
            level = "low"
            reasons.append(
                f"{sig(epochs)} epochs and R_N = {sig(r_n)}: repeated tokens and excess parameters are worth at "
                f"least {100 * LOW_WORTH:.0f}% of fresh ones, as 4 epochs are (Muennighoff et al. 2023)"
            )
        else:
            level = "moderate"
            reasons.append(
                f"{sig(epochs)} epochs (R_D = {sig(r_d)}, worth {100 * w_d:.2g}%) and R_N = {sig(r_n)} "
                f"(worth {100 * w_n:.2g}%): beyond the ~4 epochs that are almost as good as new data, "
                "below the ~16 where returns vanish"
            )
    return {
        "level": level,
        "reasons": reasons,
        "tokens_per_param": tpp,
        "unique_tokens_per_param": upp,
        "epochs": epochs,
        "R_D": r_d,
        "R_N": r_n,
        "worth_repeated_tokens": w_d,
        "worth_excess_params": w_n,
        "compute_optimal_params_for_unique_data": u_n,
        "epochs_for_chinchilla_ratio": CHINCHILLA_TOKENS_PER_PARAM * n_params / u,
    }
