"""The FC classifier starts as in the published code; its training matches the reference run.

Reference (measured with the published code, issue 14): after 500 full-batch epochs at lr 0.1
on the paper's synthetic set the loss is 1.19 (with the toolkit's earlier N(0, 1/d_e) start: 1.38).
"""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import UnknownNameError
from theory.lu.classifiers import init_classifier
from theory.lu.data import make_synthetic
from theory.lu.synthetic import convergence_study

REFERENCE_LOSS_500 = 1.19
SCALED_LOSS_500 = 1.38
#: Our data and start are other draws of the same distributions: over seeds 0-2 the code start
#: gave 1.199-1.238 at 500 epochs, so the band is the reference +- 0.05 (that spread).
LOSS_TOL = 0.05


def test_code_init_is_standard_normal_with_unit_diagonal() -> None:
    U = init_classifier("FC", 10, 4, np.random.default_rng(0))["U"]
    assert U.shape == (4, 10)
    assert np.all(np.diag(U) == 1.0)
    off = U[~np.eye(4, 10, dtype=bool)]
    assert 0.6 < off.std() < 1.4  # standard normal, not N(0, 1/10) (std 0.32)
    scaled = init_classifier("FC", 10, 4, np.random.default_rng(0), fc_init="scaled")["U"]
    assert scaled.std() < 0.6 and not np.any(np.diag(scaled) == 1.0)


def test_unknown_fc_init_is_refused() -> None:
    with pytest.raises(UnknownNameError, match="FC initialisation"):
        init_classifier("FC", 10, 4, np.random.default_rng(0), fc_init="xavier")


@pytest.fixture(scope="module")
def data():
    return make_synthetic(n_sentences=5000, n_nontopic=5000, m=20, seed=0)


def test_fc_training_matches_the_reference_loss_at_500_epochs(data) -> None:
    out, _ = convergence_study(data, "FC", None, epochs=500, record_every=100)
    assert abs(out["loss"][1] - REFERENCE_LOSS_500) < LOSS_TOL


def test_scaled_init_is_the_other_curve(data) -> None:
    # negative control: the toolkit's earlier start lands on its own measured value, outside the band
    out, _ = convergence_study(data, "FC", None, epochs=500, record_every=100, fc_init="scaled")
    assert abs(out["loss"][1] - REFERENCE_LOSS_500) > LOSS_TOL
    assert abs(out["loss"][1] - SCALED_LOSS_500) < LOSS_TOL


#: Reference after 5000 epochs (published code, issue 14): loss 0.0019, topic scores 3.7-4.3; the
#: toolkit's earlier N(0, 1/d_e) start gave 0.101 (scores 5.1-5.5).  With the code's start this
#: toolkit measured 0.00241, 0.00233, 0.00237 over seeds 0-2 (scores 2.8-4.4 across seeds: they
#: follow the random readout U).  The loss decays roughly like 1/t here, so a different draw of
#: data and U shifts it by a factor, not an offset: the band is a factor 1.5 around the reference,
#: which the earlier start (53x off) misses by far.
REFERENCE_LOSS_5000 = 0.0019
SCALED_LOSS_5000 = 0.101
LOSS_FACTOR_5000 = 1.5


@pytest.mark.parametrize(("fc_init", "inside"), [("code", True), ("scaled", False)])
def test_fc_training_matches_the_reference_loss_at_5000_epochs(data, fc_init: str, inside: bool) -> None:
    out, _ = convergence_study(data, "FC", None, epochs=5000, record_every=1000, fc_init=fc_init)
    ratio = out["loss"][-1] / REFERENCE_LOSS_5000
    assert (1 / LOSS_FACTOR_5000 < ratio < LOSS_FACTOR_5000) is inside, out["loss"]
    if not inside:  # the control lands on its own measured value
        assert abs(out["loss"][-1] - SCALED_LOSS_5000) < 0.1 * SCALED_LOSS_5000
