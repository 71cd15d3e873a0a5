"""``theory discover`` / ``theory count-laws`` on a user's model file and on named models; bad files exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from theory.cli import main

LINEAR_NET = """
import sympy as sp
import theory

def model():
    U = sp.Matrix(2, 2, sp.symbols("u1:5", real=True))
    V = sp.Matrix(2, 2, sp.symbols("v1:5", real=True))
    x = sp.symbols("x1:3", real=True)
    return theory.models.network(U * V.T * sp.Matrix(x), params={"U": U, "V": V}, inputs=x, name="linear-net")
"""


def test_discover_a_model_file_end_to_end(tmp_path: Path, capsys) -> None:
    f = tmp_path / "my_block.py"
    f.write_text(LINEAR_NET)
    code = main(["discover", str(f), "--check", "--latex", str(tmp_path / "tex"), "--json"])
    d = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (d["independent"], d["count"], d["complete"]) == (3, 3, True)
    for law in d["laws"]:
        assert law["verdict"] == "proved"
        # gradient descent: drift O(eta) for the law (slope ~1), O(1) for the perturbed copy (slope ~0);
        # the bands are the checks layer's (>= 0.7 conserved, <= 0.3 drifts)
        assert law["slope"] >= 0.7 and abs(law["control_slope"]) <= 0.3
    assert len(d["latex_files"]) == 3 and all(
        Path(p).read_text().startswith("\\documentclass") for p in d["latex_files"]
    )


def test_count_laws_named_model(capsys) -> None:
    assert main(["count-laws", "joma-exp", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["count"] == 2 and d["complete"] is True


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n", "defines no function model()"),
        ("def model():\n    return 3\n", "returned int, not a ModelSpec"),
        ("def model():\n    raise ValueError('boom')\n", "model() raised ValueError: boom"),
        ("def model(:\n", "syntax error"),
    ],
)
def test_bad_model_files_exit_2_with_one_line(tmp_path: Path, capsys, source: str, message: str) -> None:
    f = tmp_path / "bad.py"
    f.write_text(source)
    assert main(["discover", str(f)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(f) in err and len(err.strip().splitlines()) == 1


def test_too_large_ansatz_is_refused(capsys) -> None:
    assert main(["discover", "joma-exp", "--sizes", "M=8,K=4,N=1", "--degree", "4"]) == 2
    assert "monomials" in capsys.readouterr().err
