"""The JoMA Table 1 transformer: sequences, the measure, the paper's data, training (torch, reduced sizes)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from theory.cli import main
from theory.errors import InvalidArgument, OptionalDependencyError
from theory.hierarchy import transformer as tf
from theory.hierarchy.combination import build_combination
from theory.hierarchy.transformer import TransformerConfig, ncorr, sequences, train_transformer
from theory.hierarchy.transformer_study import run_ablation, summarise_runs
from theory.hierarchy.tree import build_tree

#: reduced profile: 27 tokens, 2 blocks of width 32, 80 Adam steps (a few seconds on one core)
SMALL = TransformerConfig(layers=2, d_model=32, steps=80, batch=32, lr=3e-3, n_test=300, record_every=40)
#: Training must raise the layer-1 score above the untrained model's by this much.  Measured
#: gains on this tree are 0.11-0.14 (seeds 0-2); the null spread of NCorr between two
#: untrained initialisations or two test samples of 300 sequences is ~0.02-0.04 (seeds 0-2 give
#: 0.850, 0.854, 0.868), so 0.05 is above noise and well below the effect.
GAIN_MARGIN = 0.05


def _tree():
    return build_tree(3, 3, rho=0.8, channel="gated", classes=3)


def test_sequences_sorted_and_prepadded():
    tokens = np.array([[0, 1, 0, 1, 1], [1, 0, 0, 0, 0], [0, 0, 0, 0, 0]], dtype=bool)
    ids = sequences(tokens)
    assert ids.tolist() == [[1, 3, 4], [5, 5, 0], [5, 5, 5]]
    # negative control: the ids are the set of tokens that occur, nothing else
    assert sorted(set(ids[0].tolist())) != [0, 1, 2]


def test_ncorr_is_signed_pearson():
    rng = np.random.default_rng(0)
    y = rng.random((400, 3)) < 0.4
    h = np.hstack([y.astype(float), rng.random((400, 2))])
    assert ncorr(h, y) == pytest.approx(1.0, abs=1e-12)
    # negative control: a unit that is the *negated* latent does not count (signed, as the
    # paper's code takes the max of the correlation, not of its absolute value)
    assert ncorr(-y[:, :1].astype(float), y[:, :1]) == pytest.approx(-1.0, abs=1e-12)
    ref = np.corrcoef(np.hstack([h[:, 3:4], y[:, :1]]).T)[0, 1]
    assert ncorr(h[:, 3:4], y[:, :1]) == pytest.approx(ref, abs=1e-12)
    # the cosine variant of the paper's code is not centred
    assert ncorr(h[:, 3:4] + 5.0, y[:, :1], centred=False) > 0.5 > abs(ref)


def test_combination_data_is_a_function_of_the_label():
    h = build_combination(30, (6, 8, 4), (3, 2, 2), seed=1)
    tokens, labels, levels = h.draw(500, np.random.default_rng(0))
    assert [lv.shape[1] for lv in levels] == [6, 8, 4] and tokens.shape == (500, 30)
    for k in range(4):
        rows = tokens[labels == k]
        assert (rows == rows[0]).all()  # deterministic given the label (the paper's data)
    # every token that occurs has an active parent at level 0
    assert ((tokens.astype(int) - (levels[0].astype(int) @ h.incidence[0] > 0)) <= 0).all()
    # negative control: with emission probability 0.8 the same label gives different token sets
    noisy = build_combination(30, (6, 8, 4), (3, 2, 2), rho=0.8, seed=1)
    t2, l2, _ = noisy.draw(500, np.random.default_rng(0))
    assert not (t2[l2 == 0] == t2[l2 == 0][0]).all()


@pytest.mark.parametrize(
    ("kwargs", "culprit"),
    [
        ({"sizes": (5, 3), "fan_in": (3,)}, "same length"),
        ({"n_tokens": 4, "sizes": (10, 3), "fan_in": (3, 2)}, "distinct sets"),
        ({"sizes": (5, 1), "fan_in": (2, 2)}, "classes"),
        ({"rho": 0.0}, "rho=0.0"),
    ],
)
def test_combination_bad_input(kwargs, culprit):
    with pytest.raises(InvalidArgument, match=culprit):
        build_combination(**kwargs)


@pytest.mark.parametrize(
    ("field", "value"),
    [("layers", 0), ("objective", "cloze"), ("pool", "sum"), ("lr", float("nan")), ("d_model", 10**6)],
)
def test_config_rejects_bad_values(field, value):
    with pytest.raises(InvalidArgument, match=field if field != "objective" else "cloze"):
        TransformerConfig(**{field: value})


def test_missing_torch_is_a_clear_error(monkeypatch):
    def missing(module: str, extra: str):
        raise OptionalDependencyError(f"{module} is not installed; install it with: pip install 'theory[{extra}]'")

    monkeypatch.setattr(tf, "require", missing)
    with pytest.raises(OptionalDependencyError, match="theory\\[torch\\]"):
        train_transformer(_tree(), config=SMALL)


@pytest.mark.torch
def test_padding_never_changes_a_real_token():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = tf._model(torch, TransformerConfig(layers=2, d_model=16), n_tokens=10, n_out=3)
    short = torch.tensor([[10, 2, 5, 7]])
    long = torch.tensor([[10, 10, 10, 10, 2, 5, 7]])
    with torch.no_grad():
        out_s, _ = model(short)
        out_l, _ = model(long)
    torch.testing.assert_close(out_s[:, 1:], out_l[:, 4:], rtol=1e-5, atol=1e-6)
    # negative control: changing an earlier real token does change the later outputs
    with torch.no_grad():
        out_c, _ = model(torch.tensor([[10, 3, 5, 7]]))
    assert not torch.allclose(out_s[:, 3], out_c[:, 3], atol=1e-4)


@pytest.mark.torch
def test_training_aligns_layer_one_beyond_the_untrained_model():
    pytest.importorskip("torch")
    run = train_transformer(_tree(), seed=0, config=SMALL)
    assert run.levels == ["depth 2", "depth 1", "label"]
    gain = run.score_trained[1] - run.score_init[1]
    assert gain > GAIN_MARGIN, (run.score_init, run.score_trained)
    # label accuracy: chance is 1/3; the Bayes limit is 0.8 + 0.2/3 (no token when the
    # label's subtree is switched off), so learning shows as accuracy far above chance
    assert run.accuracy_test > 0.7
    # control of the measure: latents of an independent sample stay near the null level
    assert max(run.score_shuffled) < 0.3
    # negative control: the same check on a model that cannot learn (lr 1e-7) fails
    frozen = train_transformer(_tree(), seed=0, config=TransformerConfig(**{**SMALL.__dict__, "lr": 1e-7}))
    assert frozen.score_trained[1] - frozen.score_init[1] < GAIN_MARGIN
    assert frozen.score_init == run.score_init  # same seed, same initialisation


@pytest.mark.torch
def test_runs_are_deterministic_per_seed():
    pytest.importorskip("torch")
    cfg = TransformerConfig(**{**SMALL.__dict__, "steps": 10, "objective": "mlm"})
    a, b = (train_transformer(_tree(), seed=3, config=cfg) for _ in range(2))
    assert a.score_trained == b.score_trained and a.loss_last == b.loss_last
    c = train_transformer(_tree(), seed=4, config=cfg)
    assert c.score_trained != a.score_trained  # negative control: the seed matters


@pytest.mark.torch
def test_ablation_rows_and_verdicts():
    pytest.importorskip("torch")
    base = TransformerConfig(**{**SMALL.__dict__, "steps": 5, "n_test": 200})
    from theory.hierarchy.toy import ToyConfig

    out = run_ablation((0,), base, names=("paper", "untrained", "toy MLP"), toy=ToyConfig(steps=5, n_train=200))
    assert [r["name"] for r in out["rows"]] == ["paper", "untrained", "toy MLP"]
    assert out["rows"][1]["runs"][0]["config"]["steps"] == 0
    json.dumps(out, allow_nan=False)
    with pytest.raises(InvalidArgument, match="unknown ablation"):
        run_ablation((0,), base, names=("deeper",))


def test_summary_verdict_follows_the_gaps():
    run = {"levels": ["a", "b"], "score_trained": [0.9, 0.6], "score_init": [0.5, 0.7], "seconds": 1.0}
    s = summarise_runs([run, {**run, "score_trained": [0.8, 0.7]}])
    assert s["reproduced"] and not s["reproduced_untrained"]
    assert s["gap"]["min"] == pytest.approx(0.1)
    # negative control: one seed with the opposite gap breaks "every seed"
    assert not summarise_runs([run, {**run, "score_trained": [0.6, 0.7]}])["reproduced"]


@pytest.mark.torch
def test_cli_transformer_json(capsys):
    pytest.importorskip("torch")
    argv = ["hierarchy", "--samples", "2000", "--model", "transformer", "--tf-runs", "1", "--tf-steps", "5"]
    code = main([*argv, "--tf-width", "16", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err

    def no_nan(token: str):
        raise AssertionError(f"JSON holds {token}")

    data = json.loads(out, parse_constant=no_nan)
    t = data["transformer"]
    assert t["levels"] == ["depth 2", "depth 1"] and len(t["runs"]) == 1
    assert data["toy"]["runs"] == [] and data["ablation"] is None
    assert all(math.isfinite(v["mean"]) for v in t["score_trained"])


@pytest.mark.parametrize(
    ("argv", "culprit"),
    [
        (["--tf-runs", "0"], "transformer_runs"),
        (["--tf-layers", "0"], "layers"),
        (["--tf-width", "0"], "d_model"),
        (["--depth", "1"], "depth 2"),
    ],
)
def test_cli_bad_transformer_input_is_one_line_exit_2(capsys, argv, culprit):
    code = main(["hierarchy", "--model", "transformer", *argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert culprit in err and len(err.strip().splitlines()) == 1


@pytest.mark.torch
def test_cli_combination_data_text(capsys):
    pytest.importorskip("torch")
    argv = ["hierarchy", "--samples", "2000", "--model", "transformer", "--data", "combination", "--classes", "4"]
    code = main([*argv, "--tf-runs", "1", "--tf-steps", "3", "--tf-width", "16"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "NCorr layer 0 vs level 0" in out and "ceiling" in out and "untrained" in out


@pytest.mark.torch
def test_one_block_has_no_gap_and_no_traceback(capsys):
    pytest.importorskip("torch")
    argv = ["hierarchy", "--samples", "2000", "--model", "transformer", "--tf-layers", "1", "--tf-runs", "1"]
    code = main([*argv, "--tf-steps", "2", "--tf-width", "16", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    t = json.loads(out)["transformer"]
    assert t["gap"] is None and t["reproduced"] is None and t["score_trained"][1] is None
    with pytest.raises(InvalidArgument, match="layers >= 2"):
        run_ablation((0,), TransformerConfig(layers=1))
