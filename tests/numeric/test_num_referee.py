"""The referee's hand back-propagation against complex-step and central differences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from num_tol import CENTRAL_SAFETY, COMPLEX_STEP_RTOL

from theory.errors import InvalidArgument, UnknownNameError
from theory.numeric.descent import descend
from theory.numeric.embeddings import almost_orthogonal_embeddings, coherence
from theory.numeric.finite_diff import central_error_bound
from theory.numeric.referee import ACTIVATIONS, ATTENTIONS, joma_referee

CONFIGS = [
    dict(attention=a, activation=f, loss=loss, layernorm=ln, queries=q)
    for a, f, (loss, ln, q) in itertools.product(
        ATTENTIONS,
        ACTIVATIONS,
        [("squared", False, 1), ("cross-entropy", True, 2), ("squared", True, 1)],
    )
]


def _model_and_point(cfg: dict, seed: int = 3):
    model = joma_referee(5, 3, 7, T=0.7, seed=seed, eta_z=2.0, **cfg)
    return model, model.init(scale=0.5, z_scale=0.3, seed=seed + 1)


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_backprop_matches_complex_step(cfg: dict) -> None:
    model, theta = _model_and_point(cfg)
    manual = model.gradient(theta)
    cs = model.gradient(theta, method="complex")
    scale = np.abs(cs).max() + 1e-300
    assert np.abs(manual - cs).max() <= COMPLEX_STEP_RTOL * 10 * scale


@pytest.mark.parametrize("cfg", CONFIGS[::4], ids=lambda c: "-".join(str(v) for v in c.values()))
def test_central_difference_within_error_model(cfg: dict) -> None:
    model, theta = _model_and_point(cfg)
    central = model.gradient(theta, method="central")
    bound = central_error_bound(theta, float(abs(model.loss(theta))) + 1.0)
    assert np.all(np.abs(central - model.gradient(theta)) <= CENTRAL_SAFETY * bound)


def test_gradient_check_detects_a_different_model() -> None:
    """Negative control: a temperature off by 1e-5 is visible to the complex-step check."""
    model, theta = _model_and_point(dict(attention="softmax", activation="tanh", loss="squared"))
    other = joma_referee(5, 3, 7, T=0.7 * (1 + 1e-5), seed=3, eta_z=2.0)
    diff = np.abs(model.gradient(theta) - other.gradient(theta, method="complex")).max()
    assert diff > 1e3 * COMPLEX_STEP_RTOL * np.abs(model.gradient(theta)).max()


def test_projections_and_attention() -> None:
    model = joma_referee(6, 2, 5, attention="softmax", seed=0)
    theta = model.init(seed=1, z_scale=1.0)
    z, v, vm = model.projections(theta)
    assert z.shape == (1, 6) and v.shape == (2, 6) and vm.shape == (2, 1)
    np.testing.assert_allclose(model.U.T @ model.U, np.eye(6), atol=1e-13)
    a = model.attention_weights(theta)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-14)
    h = model.attention_entropy(theta)
    assert np.all((h >= 0) & (h <= np.log(6) + 1e-12))
    # uniform logits and uniform frequencies give maximal entropy ln M
    flat = joma_referee(6, 2, 1, x=np.full((1, 6), 1 / 6), seed=0)
    np.testing.assert_allclose(flat.attention_entropy(flat.init()), np.log(6), rtol=1e-14)


def test_descend_is_euler_on_the_velocity() -> None:
    model = joma_referee(4, 2, 6, attention="exp", seed=2)
    theta = model.init(seed=0)
    run = descend(model, theta, eta=0.01, steps=3)
    manual = theta.copy()
    for _ in range(3):
        manual = manual + 0.01 * model.velocity(manual)
    np.testing.assert_array_equal(run.final, manual)
    np.testing.assert_allclose(run.times, [0, 0.01, 0.02, 0.03])
    assert run.status == "ok"


def test_descend_reports_blow_up_without_nans() -> None:
    run = descend(lambda th: th**2, np.array([1.0]), eta=0.5, steps=100)
    assert run.status == "blow-up" and np.all(np.isfinite(run.params))
    assert run.t_stop == run.times[-1] < 50


def test_almost_orthogonal_coherence_bound() -> None:
    u = almost_orthogonal_embeddings(10, 40, rng=np.random.default_rng(0), eps=0.05)
    assert coherence(u) <= 0.05
    np.testing.assert_allclose(np.linalg.norm(u, axis=0), 1.0, rtol=1e-14)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        (dict(attention="sparse"), UnknownNameError),
        (dict(activation="swish"), UnknownNameError),
        (dict(loss="hinge"), UnknownNameError),
        (dict(T=0.0), InvalidArgument),
        (dict(T=float("nan")), InvalidArgument),
        (dict(queries=3), InvalidArgument),
        (dict(x=np.full((2, 3), 0.5)), InvalidArgument),
        (dict(embeddings="orthonormal", d=2), InvalidArgument),
    ],
)
def test_bad_configuration(kwargs: dict, error: type) -> None:
    with pytest.raises(error):
        joma_referee(3, 2, 2, **kwargs)


def test_bad_sizes_and_steps() -> None:
    with pytest.raises(InvalidArgument):
        joma_referee(0, 2, 2)
    model = joma_referee(3, 2, 2)
    with pytest.raises(InvalidArgument):
        model.gradient(np.zeros(5))
    with pytest.raises(InvalidArgument):
        descend(model, model.init(), eta=-1.0, steps=1)
    with pytest.raises(UnknownNameError):
        model.gradient(model.init(), method="adjoint")


def test_central_difference_referee_matches_compiled_symbolic_flow() -> None:
    """Issue 3, item 3: the referee's derivative-free gradient against the compiled symbolic
    gradient, within the finite-difference error model (projected to z, v = U^T w, v_m)."""
    from theory.checks._catalogue_setups import projector, referee_values
    from theory.models import joma_block
    from theory.numeric.compile import compile_flow
    from theory.symbolic import derive_flow

    spec = joma_block(3, 2, 2, attention="softmax", activation="tanh", loss="squared")
    flow = compile_flow(derive_flow(spec))
    model = joma_referee(3, 2, 2, attention="softmax", activation="tanh", T=0.8, eta_z=1.5, seed=4)
    theta = model.init(scale=0.5, z_scale=0.3, seed=5)
    to_state = projector(model, flow)
    p = flow.param_vector(referee_values(model, theta, 1))
    symbolic = flow.rhs(to_state(theta[None])[0], p)
    fd_velocity = -model.rates * model.gradient(theta, method="central")
    projected = to_state(fd_velocity[None])[0]
    # per-parameter FD bound, scaled by the rates, summed over the d coordinates a projection mixes
    bound = central_error_bound(theta, float(model.loss(theta)) + 1.0).max() * model.rates.max() * model.d
    assert np.abs(projected - symbolic).max() <= CENTRAL_SAFETY * bound
    # negative control: the projected central gradient of a model with another temperature misses
    other = joma_referee(3, 2, 2, attention="softmax", activation="tanh", T=0.9, eta_z=1.5, seed=4)
    wrong = to_state((-other.rates * other.gradient(theta, method="central"))[None])[0]
    assert np.abs(wrong - symbolic).max() > 1e3 * CENTRAL_SAFETY * bound
