"""Public Hypothesis strategies for property tests of attention dynamics.

Role: let users (and our own tests) draw valid inputs: token frequencies on the simplex,
orthonormal or almost-orthogonal embeddings, logits that cannot overflow ``exp``, whole
JoMA configurations with a ready referee model (:mod:`theory.numeric.referee`), and values
for *any* model spec (:func:`parameters`, :func:`states`) respecting its assumptions.
:func:`register_profiles` registers the project's Hypothesis profiles (``ci``, ``thorough``)
for your own test suite.  Needs the ``test`` extra (``pip install 'theory[test]'``).

Example (a user's own property test; the same code runs in ``docs/numerics.md``)::

    import numpy as np
    from hypothesis import given
    from theory.strategies import referee_models

    @given(referee_models(attention="exp", layernorm=False))
    def test_exp_invariant_changes_by_squared_increments(case):
        model, theta = case
        step = theta + 1e-3 * model.velocity(theta)  # one gradient-descent step
        (z0,), v0, _ = model.projections(theta)
        (z1,), v1, _ = model.projections(step)
        c = model.eta_z / model.eta_w / (2 * model.T)
        q = lambda z, v: z - c * (v**2).sum(axis=0)
        predicted = -c * ((v1 - v0) ** 2).sum(axis=0)
        assert np.allclose(q(z1, v1) - q(z0, v0), predicted, rtol=0, atol=1e-9)
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import sympy as sp

from .errors import require

require("hypothesis", "test")

from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from .models.spec import ModelSpec  # noqa: E402
from .numeric.embeddings import almost_orthogonal_embeddings as _almost  # noqa: E402
from .numeric.embeddings import orthonormal_embeddings as _ortho  # noqa: E402
from .numeric.referee import ACTIVATIONS, JomaReferee, RefereeConfig, joma_referee  # noqa: E402
from .numeric.values import simplex_groups, symbol_range  # noqa: E402

__all__ = [
    "almost_orthogonal_embeddings",
    "joma_configs",
    "logits",
    "orthonormal_embeddings",
    "parameters",
    "referee_models",
    "register_profiles",
    "simplex_frequencies",
    "states",
]

#: Environment variable that selects the Hypothesis profile (see :func:`register_profiles`).
PROFILE_VARIABLE = "THEORY_PROFILE"


def register_profiles(*, load: bool = True) -> str:
    """Register the project's Hypothesis profiles and (by default) load the selected one.

    ``ci`` (the default): 25 examples, derandomized, no deadline; ``thorough``: 500 examples.
    The profile is chosen by the environment variable ``THEORY_PROFILE``.

    Returns
    -------
    str
        The selected profile name.
    """
    settings.register_profile(
        "ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
    )
    settings.register_profile("thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    name = os.environ.get(PROFILE_VARIABLE, "ci")
    if load:
        settings.load_profile(name)
    return name


#: |z / T| stays below this: exp(40) ~ 2e17 leaves 290 orders of magnitude before overflow
#: even after products of a few such factors.
MAX_EXPONENT = 40.0


def _seeds() -> st.SearchStrategy[int]:
    return st.integers(0, 2**32 - 1)


def simplex_frequencies(M: int, N: int | None = None, *, min_frequency: float = 1e-3) -> st.SearchStrategy:
    """Rows on the simplex interior: :math:`x_l \\ge` ``min_frequency``, :math:`\\sum_l x_l = 1`.

    Returns arrays of shape (M,) (``N=None``) or (N, M).
    """
    rows = 1 if N is None else N
    if M * min_frequency >= 1:
        raise ValueError(f"min_frequency={min_frequency} too large for M={M}: need M * min_frequency < 1")

    def build(weights: list[float]) -> np.ndarray:
        w = np.array(weights, dtype=float).reshape(rows, M)
        x = min_frequency + (1 - M * min_frequency) * w / w.sum(axis=1, keepdims=True)
        return x[0] if N is None else x

    return st.lists(st.floats(0.01, 1.0), min_size=rows * M, max_size=rows * M).map(build)


def orthonormal_embeddings(n: int, d: int | None = None) -> st.SearchStrategy[np.ndarray]:
    """``(d, n)`` matrices with orthonormal columns (``d = n`` by default)."""
    return _seeds().map(lambda s: _ortho(n, d, rng=np.random.default_rng(s)))


def almost_orthogonal_embeddings(n: int, d: int, eps: float) -> st.SearchStrategy[np.ndarray]:
    """``(d, n)`` unit columns with pairwise overlaps at most ``eps`` (``d >= n``)."""
    return _seeds().map(lambda s: _almost(n, d, rng=np.random.default_rng(s), eps=eps))


def logits(M: int, *, T: float = 1.0, scale: float = 3.0) -> st.SearchStrategy[np.ndarray]:
    """Attention logits (M,) with :math:`|z_l| \\le` ``min(scale, MAX_EXPONENT * T)``: no exp overflow."""
    bound = min(scale, MAX_EXPONENT * T)
    return st.lists(st.floats(-bound, bound), min_size=M, max_size=M).map(np.array)


def joma_configs(
    *,
    attention: str | None = None,
    activation: str | None = None,
    activations: tuple[str, ...] = ACTIVATIONS,
    layernorm: bool | None = None,
    max_tokens: int = 8,
    max_hidden: int = 3,
    max_samples: int = 4,
) -> st.SearchStrategy[dict[str, Any]]:
    """Sizes ``M``, ``K``, ``N``, ``seed``, ``init_scale`` and fields of :class:`~theory.numeric.referee.RefereeConfig`.

    Sizes, temperature :math:`T \\in [0.3, 3]`, learning-rate ratio :math:`r = \\eta_z/\\eta_w
    \\in [0.2, 5]`, activations (ReLU included: draws with a pre-activation within 1e-6 of its
    kink are rejected by :func:`referee_models`), squared or cross-entropy loss, LayerNorm
    (``layernorm=None``: both; pass ``False`` for statements that assume no LayerNorm, such as
    the JoMA invariants, which LayerNorm breaks).
    """
    return st.fixed_dictionaries(
        {
            "M": st.integers(1, max_tokens),
            "K": st.integers(1, max_hidden),
            "N": st.integers(1, max_samples),
            "attention": st.just(attention) if attention else st.sampled_from(["linear", "exp", "softmax"]),
            "activation": st.just(activation) if activation else st.sampled_from(activations),
            "T": st.floats(0.3, 3.0),
            "eta_z": st.floats(0.2, 5.0),
            "loss": st.sampled_from(["squared", "cross-entropy"]),
            "layernorm": st.booleans() if layernorm is None else st.just(layernorm),
            "seed": _seeds(),
            "init_scale": st.floats(0.05, 1.0),
        }
    )


def referee_models(**config_kwargs: Any) -> st.SearchStrategy[tuple[JomaReferee, np.ndarray]]:
    """``(model, theta)``: a referee JoMA block and a random start drawn from :func:`joma_configs`."""

    def build(cfg: dict[str, Any]) -> tuple[JomaReferee, np.ndarray]:
        cfg = dict(cfg)
        scale, seed = cfg.pop("init_scale"), cfg.pop("seed")
        M, K, N = cfg.pop("M"), cfg.pop("K"), cfg.pop("N")
        model = joma_referee(M, K, N, RefereeConfig(**cfg), seed=seed)
        return model, model.init(scale=scale, z_scale=scale, seed=seed + 1)

    def away_from_kink(case: tuple[JomaReferee, np.ndarray]) -> bool:
        model, theta = case
        return model.activation != "relu" or bool(np.abs(model._forward(theta)["pre"]).min() > 1e-6)

    return joma_configs(**config_kwargs).map(build).filter(away_from_kink)


def _symbol_values(symbol: sp.Symbol, scale: float) -> st.SearchStrategy[float]:
    """Values of one symbol per :func:`theory.numeric.values.symbol_range` (finite, away from 0)."""
    kind, lo, hi = symbol_range(symbol, scale)
    if kind == "integer":
        return st.integers(int(lo), int(hi)).map(float)
    magnitude = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if kind == "real":
        return st.tuples(st.sampled_from([-1.0, 1.0]), magnitude).map(lambda t: t[0] * t[1])
    return magnitude


def _values(spec: ModelSpec, symbols: tuple[sp.Symbol, ...], scale: float) -> st.SearchStrategy[dict[str, float]]:
    names = [s.name for s in symbols]
    groups = [[s.name for s in g] for g in simplex_groups(spec) if all(s.name in names for s in g)]

    def normalise(values: dict[str, float]) -> dict[str, float]:
        out = dict(values)
        for group in groups:
            total = sum(out[n] for n in group)
            for n in group:
                out[n] /= total
        return out

    return st.fixed_dictionaries({s.name: _symbol_values(s, scale) for s in symbols}).map(normalise)


def parameters(spec: ModelSpec, *, scale: float = 1.0) -> st.SearchStrategy[dict[str, float]]:
    """Values ``{name: float}`` of the data symbols and constants of any ``spec``.

    (The ``p`` of a compiled flow; the trained parameters are :func:`states`.)  Positive
    symbols in [0.5, 1.5], real ones of magnitude ``scale`` * [0.2, 1] with either sign,
    positive integers in 1..3, groups of ``spec.extra["simplex"]`` normalised to sum 1:
    the ranges of :func:`theory.numeric.values.symbol_range`.
    """
    return _values(spec, (*spec.data, *spec.constants), scale)


def states(spec: ModelSpec, *, scale: float = 1.0) -> st.SearchStrategy[np.ndarray]:
    """States of any ``spec``: arrays of shape (n,) in ``spec.state`` order (ranges as :func:`parameters`)."""
    order = [s.name for s in spec.state]
    return _values(spec, tuple(spec.state), scale).map(lambda v: np.array([v[n] for n in order], dtype=float))
