"""``theory figure``: files, JSON, exit codes, and the no-matplotlib path."""

from __future__ import annotations

import json

import pytest

import theory._plotting
from theory.cli import main
from theory.dynamics import figure_registry
from theory.errors import OptionalDependencyError


def test_figure_writes_json_png_pdf(tmp_path, capsys) -> None:
    pytest.importorskip("matplotlib")
    assert main(["figure", "joma-linear", "--out", str(tmp_path), "--quick", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["salient_first"]
    for ext in ("json", "png", "pdf"):
        assert (tmp_path / f"joma-linear.{ext}").stat().st_size > 0
    saved = json.loads((tmp_path / "joma-linear.json").read_text())
    assert saved["max_rel_error"] == out["max_rel_error"]
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporaries


def test_without_matplotlib_json_is_still_written(tmp_path, capsys, monkeypatch) -> None:
    def missing(module: str, extra: str):
        raise OptionalDependencyError(f"{module} is not installed; install it with: pip install 'theory[{extra}]'")

    monkeypatch.setattr(theory._plotting, "require", missing)
    assert main(["figure", "joma-entropy", "--out", str(tmp_path), "--quick"]) == 0
    captured = capsys.readouterr()
    assert "pip install 'theory[plot]'" in captured.err
    assert (tmp_path / "joma-entropy.json").exists()
    assert not (tmp_path / "joma-entropy.png").exists()
    data = json.loads((tmp_path / "joma-entropy.json").read_text())
    assert data["iteration"]["shape"]["drop_then_rise"]
    assert data["linear_control"]["shape"]["only_falls"]


def test_unknown_figure_and_bad_out_exit_2(tmp_path, capsys) -> None:
    assert main(["figure", "joma-nope", "--out", str(tmp_path)]) == 2
    assert "unknown figure" in capsys.readouterr().err
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["figure", "joma-linear", "--out", str(f), "--quick"]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_every_joma_figure_is_registered() -> None:
    from theory.dynamics import figures  # noqa: F401

    assert {"joma-invariant", "joma-components", "joma-entropy", "joma-linear", "joma-full"} <= set(
        figure_registry.FIGURES
    )
