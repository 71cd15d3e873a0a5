"""SST run on the real data (reduced) and the ``theory lu`` command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import theory.errors
from theory.cli import main
from theory.lu.report import sst_report

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SMALL_SYNTH = [
    "--n-sentences", "400", "--n-nontopic", "150", "--epochs", "200", "--lrs", "0.8,0.4",
    "--horizon", "150", "--ablation-epochs", "100",
]  # fmt: skip


@pytest.mark.slow
def test_lu_sst2_fc_reduced_run(sst_dir: Path) -> None:
    """ci: 2000 training sentences, 300 epochs; thorough: the full run.  Better than chance,
    and the purity of the most-attended words rises."""
    full = os.environ.get("THEORY_PROFILE", "ci") == "thorough"
    rep = sst_report(
        sst_dir, task="sst2", classifier="FC", epochs=1000 if full else 300, max_train=None if full else 2000
    )
    d = rep.data
    # majority class of the SST2 test split is 50.1%; a trained bag-of-words model is ~70%+
    assert d["accuracy"]["test"] > 0.6
    assert d["accuracy"]["train"] > d["accuracy"]["test"] - 0.02
    pur = d["purity"]
    assert pur["late"]["mean_purity"] > pur["early"]["mean_purity"] + 0.05
    # early attention is close to the frequency ranking (uniform attention weights)
    assert pur["early"]["mean_doc_freq"] > pur["late"]["mean_doc_freq"]
    idn = d["identity"]
    assert len(idn["scores"]) == 100 and all(m > 0 for m in idn["m"])
    assert 0.0 <= idn["median_rel_residual"] < 1.0  # approximate on real data: reported, loosely bounded
    assert rep.ok


def test_lu_sst_bad_paths_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["lu", "sst", "--data", str(tmp_path / "nope")]) == 2
    (tmp_path / "stsa.binary.train").write_text("1 ok\n9 bad label\n")
    assert main(["lu", "sst", "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "stsa.binary.train:2: unknown label 9" in err


def test_lu_synthetic_cli_json_and_figures(tmp_path: Path, capsys) -> None:
    assert main(["lu", "synthetic", "--json", "--plot", str(tmp_path), *SMALL_SYNTH]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["checks"]["identity_slope_in_range"] and out["checks"]["negative_control_broken"]
    assert out["core"]["source"].startswith("derivations.lu_identity")
    assert set(out) >= {"identity", "negative_control", "convergence", "ablations", "data", "plots"}
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "theory[plot]" in out["plots"]["skipped"]
        return
    names = sorted(p.name for p in tmp_path.iterdir())
    stems = ("lu-identity-curve", "lu-drift-vs-lr", "lu-convergence")
    assert names == sorted(f"{stem}.{ext}" for stem in stems for ext in ("json", "pdf", "png"))
    assert sorted(out["plots"]["written"]) == sorted(str(tmp_path / n) for n in names)
    assert (tmp_path / "lu-identity-curve.png").read_bytes()[:4] == b"\x89PNG"


def test_lu_synthetic_cli_bad_input_exit_2(capsys) -> None:
    assert main(["lu", "synthetic", "--m", "0", *SMALL_SYNTH[:4]]) == 2
    assert main(["lu", "synthetic", "--lrs", "0.1", *SMALL_SYNTH[:4]]) == 2
    assert main(["lu", "synthetic", "--lrs", "a,b"]) == 2
    assert main(["lu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("theory lu") for line in err)


def test_lu_plot_without_matplotlib_still_gives_json(tmp_path: Path, capsys, monkeypatch) -> None:
    def missing(module: str, extra: str):
        raise theory.errors.OptionalDependencyError(f"{module} is not installed; pip install 'theory[{extra}]'")

    monkeypatch.setattr("theory._plotting.require", missing)
    assert main(["lu", "synthetic", "--json", "--plot", str(tmp_path), *SMALL_SYNTH]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "pip install 'theory[plot]'" in out["plots"]["skipped"]
    json_only = sorted(f"{stem}.json" for stem in ("lu-identity-curve", "lu-drift-vs-lr", "lu-convergence"))
    assert sorted(p.name for p in tmp_path.iterdir()) == json_only  # the numbers, no pictures
    assert sorted(out["plots"]["written"]) == [str(tmp_path / n) for n in json_only]
