"""compare-arch verdict on the cases of issue 15 (items 5 and 6), each with a negative control.

Reference numbers are computed here from the published constants, not read from the code:
ln 32000 = 10.373 (uniform guess), 15-layer window:128 reach 15 * 127 + 1 = 1906, the
Muennighoff et al. (2023) worth of 4 epochs R*_D (1 - exp(-3 / R*_D)) / 3 with R*_D = 15.387756.
"""

from __future__ import annotations

import json
import math

import pytest

from theory.architecture.compare import compare_architectures, render_comparison
from theory.architecture.overfit import LOW_WORTH, overfitting_risk, sig
from theory.errors import InvalidArgument

M57 = "layers=15,heads=3,d_model=480"  # 56.9M parameters
M98 = "layers=30,heads=5,d_model=480"  # 98.5M parameters


def _text(cmp) -> str:
    return " ".join(cmp.verdict)


def test_57m_98m_on_repeated_2e7_tokens() -> None:
    cmp = compare_architectures([M57, M98], tokens=2e7, unique_tokens=2e6)
    text = _text(cmp)
    small, big = cmp.rows
    assert small["tokens_per_param"] == pytest.approx(2e7 / 56_926_560)
    # significant figures, never "0 tokens/parameter"
    assert "0.351 tokens per parameter" in text and "0.203 tokens per parameter" in text
    assert " 0 tokens per parameter" not in text
    assert small["overfitting_risk"] == big["overfitting_risk"] == "high"
    uniform = math.log(32000)
    for r in cmp.rows:
        mu = r["losses"]["muennighoff2023"]
        assert mu["loss"] > uniform and mu["loss"] == pytest.approx(10.85, abs=0.01) and not mu["valid"]
    assert "outside the law's validity" in text and f"{uniform:.2f}" in text
    assert "under every law" not in text and "Lower predicted loss" not in text
    assert "hoffmann2022, hoffmann2022-precise and besiroglu2024 do not model repeated data" in text
    assert "(> ln V: invalid)" in render_comparison(cmp)
    json.dumps(cmp.to_dict(), allow_nan=False)


def test_negative_control_plenty_of_fresh_data_is_valid_and_low_risk() -> None:
    cmp = compare_architectures([M57, M98], tokens=2e10)
    text = _text(cmp)
    assert all(r["losses"][law]["valid"] for r in cmp.rows for law in r["losses"])
    assert "outside the law's validity" not in text and "under every law" in text
    assert {r["overfitting_risk"] for r in cmp.rows} == {"low"}


def test_besiroglu_alone_at_97_7_epochs_says_it_ignores_repetition() -> None:
    specs = ["layers=15,heads=3,d_head=64", "layers=30,heads=5,d_head=64"]
    cmp = compare_architectures(specs, tokens=2e9, unique_tokens=2e9 / 97.7, laws=["besiroglu2024"])
    text = _text(cmp)
    assert cmp.rows[0]["epochs"] == pytest.approx(97.7)
    assert "Lower predicted loss" not in text and "under every law" not in text
    assert "besiroglu2024 does not model repeated data: at 97.7 epochs" in text
    assert "add --law muennighoff2023" in text
    assert {r["overfitting_risk"] for r in cmp.rows} == {"high"}
    # negative control: fresh data, the same law ranks the models
    fresh = compare_architectures(specs, tokens=2e9, laws=["besiroglu2024"])
    assert "Lower predicted loss: L30-H5x64-d320 under every law" in _text(fresh)


def test_window_128_the_15_layer_model_does_not_cover_2048() -> None:
    specs = ["layers=15,heads=3,mask=window:128", "layers=30,heads=5,mask=window:128"]
    cmp = compare_architectures(specs, context=2048, laws=["hoffmann2022"])
    small, big = cmp.rows
    assert small["theoretical_rf_last_position"] == 15 * 127 + 1 == 1906
    assert not small["covers_context"] and big["covers_context"]
    text = _text(cmp)
    assert f"{small['name']} (15 layers of window:128) does NOT cover it: its last position reaches 1,906" in text
    assert f"{big['name']} (30 layers of window:128) covers it" in text
    # width assumed when only heads and layers are given, and said in the verdict
    assert "assumed d_head = 64 (d_model = 192)" in text and "assumed d_head = 64 (d_model = 320)" in text
    for line in cmp.verdict:  # prose, no Python reprs
        assert not any(ch in line for ch in "{}[]'\"")
    # negative control: a window wide enough covers the context for both
    wide = compare_architectures([s.replace(":128", ":4096") for s in specs], context=2048, laws=["hoffmann2022"])
    assert "does NOT cover" not in _text(wide) and all(r["covers_context"] for r in wide.rows)


def test_heads_at_fixed_width_change_neither_reach_nor_count() -> None:
    cmp = compare_architectures(["layers=4,heads=2,d_model=64", "layers=4,heads=8,d_model=64"], laws=["hoffmann2022"])
    a, b = cmp.rows
    assert a["params_total"] == b["params_total"]
    assert a["theoretical_rf_last_position"] == b["theoretical_rf_last_position"]
    assert "heads changes neither the reach" in _text(cmp) and "differ only in their heads" in _text(cmp)
    wider = compare_architectures(["layers=4,heads=2,d_model=64", "layers=4,heads=2,d_model=128"])
    assert wider.rows[0]["params_total"] != wider.rows[1]["params_total"]  # negative control: width does


def test_dependency_range_beside_the_reach() -> None:
    specs = ["layers=15,heads=3,mask=window:128", "layers=30,heads=5,mask=window:128"]
    far = {"dependency": {"range": 2000, "range_interval": [1900, 2040], "measured_up_to": 2048, "at_least": False}}
    text = _text(compare_architectures(specs, laws=["hoffmann2022"], data=far))
    assert "reaches 2000 tokens back (95% interval 1900-2040" in text
    assert "the reach of L15-H3x64-d192 falls short of it" in text
    near = {"dependency": {"range": 7, "range_interval": [6, 28], "measured_up_to": 40, "at_least": False}}
    assert "every model's reach covers it" in _text(compare_architectures(specs, laws=["hoffmann2022"], data=near))


def test_risk_thresholds() -> None:
    r_star_d = 15.387756
    assert LOW_WORTH == pytest.approx(r_star_d * (1 - math.exp(-3 / r_star_d)) / 3, rel=1e-12)
    assert LOW_WORTH == pytest.approx(0.908, abs=1e-3)
    n, u = 1e6, 1e9  # far below the compute-optimal size for 1e9 tokens: R_N = 0, 1000 unique tokens/param
    assert overfitting_risk(n, 1 * u, u)["level"] == "low"
    assert overfitting_risk(n, 4 * u, u)["level"] == "low"  # Muennighoff: ~4 epochs nearly as good as new
    assert overfitting_risk(n, 5 * u, u)["level"] == "moderate"
    assert overfitting_risk(n, 16 * u, u)["level"] == "moderate"
    assert overfitting_risk(n, 17 * u, u)["level"] == "high"  # R_D = 16 > R*_D
    assert overfitting_risk(2e9, 2 * u, u)["level"] == "high"  # more parameters than unique tokens


def test_significant_figures() -> None:
    assert sig(2e7 / 56_926_560) == "0.351"
    assert sig(156.04) == "156" and sig(42.34) == "42.3" and sig(4.2e-5) == "4.20e-05"
    assert sig(0.0351) == "0.0351"


def test_absurd_context_and_tokens_are_refused() -> None:
    with pytest.raises(InvalidArgument, match="context"):
        compare_architectures([M57], context=10**15)
    with pytest.raises(InvalidArgument, match="tokens"):
        compare_architectures([M57], tokens=1e30)


def test_measured_effective_rf_from_an_npz(tmp_path) -> None:
    # one layer of uniform causal attention over n = 10 tokens: rollout 0.5 A + 0.5 I gives the
    # last position 0.5 + 0.5/10 at distance 0 and 0.05 at each other distance, so half of the
    # mass lies at distance 0 and 90% within 7 (0.55 + 0.05 k >= 0.9 first at k = 7)
    import numpy as np

    from theory.architecture import AttentionStack, save_attention_npz

    attn = np.tril(np.ones((10, 10)))
    attn /= attn.sum(axis=1, keepdims=True)
    path = tmp_path / "maps.npz"
    save_attention_npz(path, AttentionStack(attn[None, None]))
    cmp = compare_architectures(
        ["layers=1,heads=2,d_model=64", "layers=2,heads=2,d_model=64"], laws=["hoffmann2022"], attention=str(path)
    )
    one, two = cmp.rows
    assert one["measured_rf"]["q50"] == 0 and one["measured_rf"]["q90"] == 7
    assert two["measured_rf"] is None  # negative control: a different depth gets no measured row
    assert "it applies to L1-H2x32-d64 (same depth)" in _text(cmp)
    assert "measured RF q50/q90" in render_comparison(cmp)
