"""The JoMA figures run the published code's settings by default: Fig. 4 and Fig. 2 against
numbers measured with the published code (issue 14), each with a negative control."""

from __future__ import annotations

import numpy as np
import pytest

from theory.dynamics.invariant_check import invariant_check
from theory.dynamics.sparse_dense import PAPER_MU, fig4_setting, run_code_iteration
from theory.errors import UnknownNameError

#: Fig. 4 reference curve, measured with the published code (issue 14): entropy at step 0,
#: its minimum and the step of the minimum, and the last recorded value (step 4999).
FIG4_REFERENCE = {"start": 2.302585, "min": 0.941570, "min_step": 669, "end": 1.549312}
#: The reference runs in float32 and prints 6 decimals: the issue measured the whole curve
#: within 1.2e-5 of a float64 run; 2e-5 allows that plus the rounding of the printed numbers.
FIG4_TOL = 2e-5

#: Fig. 2: the issue gives no numbers, so the published script was run here (unseeded as
#: published, so under torch seeds 0-4 for this measurement): its centred normalised correlation
#: after 2000 steps lay in 0.975-0.995 and the final cross-entropy in 2.514-2.535.  The band below widens each end by
#: the seed-to-seed spread seen here (our draw of the same distributions is a different sample).
FIG2_NC_BAND = (0.97, 0.999)
FIG2_LOSS_BAND = (2.49, 2.56)


def _curve(setting: str) -> dict:
    cfg = fig4_setting(setting)
    it = run_code_iteration(cfg.mu, T=cfg.T, v0=cfg.v0, eta=cfg.eta, steps=cfg.steps)
    h = it.H[: cfg.steps]  # the script records the entropy before each of its updates
    return {"start": h[0], "min": h.min(), "min_step": int(np.argmin(h)), "end": h[-1]}


def test_fig4_paper_setting_reproduces_the_published_curve() -> None:
    got = _curve("paper")
    assert got["min_step"] == FIG4_REFERENCE["min_step"]
    for key in ("start", "min", "end"):
        assert abs(got[key] - FIG4_REFERENCE[key]) < FIG4_TOL, key


def test_fig4_toolkit_setting_does_not_match_the_reference() -> None:
    # negative control: the toolkit's own setting (M = 20, NumPy mu) is a different curve
    got = _curve("toolkit")
    assert got["min_step"] != FIG4_REFERENCE["min_step"]
    assert abs(got["min"] - FIG4_REFERENCE["min"]) > 100 * FIG4_TOL


def test_fig4_perturbed_mu_misses_the_tolerance() -> None:
    # negative control at the tolerance's scale: mu rounded to 3 decimals moves the curve out
    cfg = fig4_setting("paper")
    it = run_code_iteration(np.round(cfg.mu, 3), steps=cfg.steps)
    assert abs(it.H[: cfg.steps].min() - FIG4_REFERENCE["min"]) > FIG4_TOL


def test_paper_mu_is_the_seeded_torch_draw() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    mu, _ = (torch.rand(10) * 3 + 1).sort()
    assert np.array_equal(mu.numpy().astype(np.float64), PAPER_MU)


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(UnknownNameError, match="setting"):
        fig4_setting("nope")
    with pytest.raises(UnknownNameError, match="setting"):
        invariant_check(setting="nope")


@pytest.fixture(scope="module")
def fig2_paper() -> dict:
    return invariant_check()  # the default: the published script's setting


def test_fig2_paper_setting_matches_the_published_script(fig2_paper) -> None:
    assert fig2_paper["setup"]["setting"] == "paper"
    f = fig2_paper["final"]
    assert FIG2_NC_BAND[0] <= f["nc_paper"] <= FIG2_NC_BAND[1]
    assert FIG2_LOSS_BAND[0] <= f["loss"] <= FIG2_LOSS_BAND[1]
    # and what the correlation hides: the absolute error is several times |dz| itself
    assert f["rel_error"] > 1.0


def test_fig2_toolkit_setting_falls_outside_the_band() -> None:
    # negative control: the toolkit's earlier set-up (tanh MLP, 400 samples) is another experiment
    res = invariant_check(setting="toolkit", steps=600, record_every=600)
    assert not FIG2_NC_BAND[0] <= res["final"]["nc_paper"] <= FIG2_NC_BAND[1]


def test_cli_setting_option(tmp_path, capsys) -> None:
    import json

    from theory.cli import main

    assert main(["figure", "joma-entropy", "--quick", "--setting", "toolkit", "--out", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["setting"]["name"] == "toolkit"
    assert main(["figure", "joma-entropy", "--quick", "--setting", "nope", "--out", str(tmp_path)]) == 2
    assert "setting" in capsys.readouterr().err
    assert main(["figure", "joma-linear", "--quick", "--setting", "paper", "--out", str(tmp_path)]) == 2
