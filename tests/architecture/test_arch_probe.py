"""compare-arch --probe: reduced-width training with a measured train/validation gap (torch extra)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from theory.architecture.probe import ProbeConfig, render_probe, run_probe

pytestmark = pytest.mark.torch
FAST = ProbeConfig(seconds=1.0, width=32, context=16, lr=1e-2, eval_every=10)


@pytest.fixture(scope="module", autouse=True)
def _torch() -> None:
    pytest.importorskip("torch")


def test_memorising_three_random_documents_opens_a_gap(tmp_path) -> None:
    # 2 training documents of 64 uniform random tokens (vocab 32): a model can memorise them, but
    # the held-out document is unpredictable (best possible loss ln 33 = 3.50): the gap must be large
    rng = np.random.default_rng(0)
    docs = [rng.integers(0, 32, 64) for _ in range(3)]
    plot = tmp_path / "curves.png"
    res = run_probe(["layers=1,heads=1,d_model=16", "layers=2,heads=2,d_model=16"], docs, 32, FAST, plot=str(plot))
    for m in res["models"]:
        assert m["steps"] > 0 and len(m["curve"]["train"]) >= 2
        assert m["gap"] == pytest.approx(m["val_loss"] - m["train_loss"])
        assert m["curve"]["train"][-1] < m["curve"]["train"][0]  # it learned
        assert m["gap"] > 1.0 and m["gap"] > 2 * m["gap_stderr"]  # memorised train vs unpredictable validation
        assert m["epochs_seen"] > 1  # the 130 training tokens were repeated
    # the comparison at the same data seen uses the last evaluation both models reached
    common = min(m["steps"] for m in res["models"])
    for m in res["models"]:
        at = m["at_common_step"]
        assert at["step"] <= common and at["step"] in m["curve"]["step"]
        k = m["curve"]["step"].index(at["step"])
        assert at["gap"] == pytest.approx(m["curve"]["val"][k] - m["curve"]["train"][k])
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "gap" in render_probe(res)
    json.dumps(res, allow_nan=False)


def test_negative_control_identical_documents_no_gap() -> None:
    # every document the same: validation text = training text, so the gap must stay near 0; the
    # 0.3-nat tolerance covers the spread between the two sets of 16 random windows of the same text
    doc = np.random.default_rng(0).integers(0, 32, 64)
    res = run_probe(["layers=1,heads=1,d_model=16"], [doc.copy() for _ in range(6)], 32, FAST)
    assert abs(res["models"][0]["gap"]) < 0.3
