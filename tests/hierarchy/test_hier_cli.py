"""`theory hierarchy`: JSON contract, exit codes, one-line errors, the figure files."""

from __future__ import annotations

import json

import pytest

from theory.cli import main

FAST = ["--samples", "4000", "--toy-runs", "1", "--toy-steps", "40"]


def _run(capsys, argv):
    code = main(["hierarchy", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_contract(capsys):
    code, out, err = _run(capsys, ["--depth", "3", "--branching", "2", "--rho", "0.8", "--json", *FAST])
    assert code == 0, err
    data = json.loads(out)
    assert data["ok"] is True and all(data["checks"].values())
    assert data["tree"]["n_leaves"] == 8 and data["tree"]["channel"] == "symmetric"
    assert data["monte_carlo"]["pass"] and data["monte_carlo"]["pairs_compared"] == 56
    assert data["closed_form"]["quoted"] == "(rho**H_l*rho**H_m + 1)/2"
    order = data["order"]
    assert [g["lca_depth"] for g in order] == [2, 1, 0]
    assert order[0]["cooccurrence"] == pytest.approx((1 + 0.8**2) / 2, abs=1e-12)
    toy = data["toy"]
    assert len(toy["runs"]) == 1 and toy["levels"] == [2, 1]
    assert set(toy["score_trained"][0]) == {"mean", "min", "max"}
    assoc = toy["association"]
    assert assoc["lca_depths"] == [0, 1, 2] and assoc["predicted_order"] == [2, 1, 0]
    assert isinstance(assoc["matches_prediction"], bool)


def test_gated_text_output(capsys):
    code, out, _ = _run(capsys, ["--channel", "gated", "--classes", "3", *FAST])
    assert code == 0
    assert "rho**H_l" in out and "verdict: all checks pass" in out


@pytest.mark.parametrize(
    ("argv", "culprit"),
    [
        (["--rho", "1.5"], "rho=1.5"),
        (["--rho", "-0.2"], "rho=-0.2"),
        (["--depth", "0"], "depth=0"),
        (["--branching", "0"], "branching=0"),
        (["--classes", "1"], "classes=1"),
        (["--samples", "0"], "samples"),
        (["--toy-runs", "-1"], "toy_runs"),
        (["--depth", "30"], "nodes"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, argv, culprit):
    code, out, err = _run(capsys, [*argv, "--json"])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and culprit in err and "Traceback" not in err


def test_unknown_channel_is_a_usage_error(capsys):
    code, _, err = _run(capsys, ["--channel", "erasure"])
    assert code == 2 and "erasure" in err and err.count("\n") == 1


def test_plot_writes_json_png_pdf(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    code, out, _ = _run(capsys, ["--plot", str(tmp_path / "figs"), "--json", *FAST])
    assert code == 0
    figure = json.loads(out)["figure"]
    for key in ("json", "png", "pdf"):
        assert figure[key] and (tmp_path / "figs" / f"hierarchy-scores.{key}").stat().st_size > 1000
    assert json.loads((tmp_path / "figs" / "hierarchy-scores.json").read_text())["ok"] is True
    assert not [p for p in (tmp_path / "figs").iterdir() if p.name.startswith(".")]  # no temp files


def test_plot_without_matplotlib_still_writes_json(capsys, tmp_path, monkeypatch):
    import theory._plotting as plotting
    from theory.errors import OptionalDependencyError

    def missing(module, extra):
        raise OptionalDependencyError(f"{module} is not installed; install it with: pip install 'theory[{extra}]'")

    monkeypatch.setattr(plotting, "require", missing)
    code, _out, err = _run(capsys, ["--plot", str(tmp_path), *FAST])
    assert code == 0
    assert "pip install 'theory[plot]'" in err and "hierarchy-scores.json" in err
    assert (tmp_path / "hierarchy-scores.json").exists()
    assert not (tmp_path / "hierarchy-scores.png").exists()


def test_a_check_that_compares_nothing_does_not_pass(capsys):
    """Gated with rho = 0: no token ever occurs, so Monte Carlo has nothing to compare."""
    code, out, _ = _run(capsys, ["--channel", "gated", "--rho", "0", "--toy-runs", "0", "--json"])
    data = json.loads(out)
    assert code == 1 and data["monte_carlo"]["pairs_compared"] == 0
    assert data["monte_carlo"]["pass"] is False and data["ok"] is False
