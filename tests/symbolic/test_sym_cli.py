"""The CLI contract of list / prove / show: JSON shape, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from theory.cli import main

KEYS = {"name", "verdict", "expected", "statement", "residual", "counterexample", "method", "sizes", "seconds"}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json(capsys) -> None:
    code, out, _ = run(capsys, "list", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) >= 13
    assert {"name", "summary", "expected"} <= set(rows[0])


def test_prove_named_json(capsys) -> None:
    code, out, _ = run(capsys, "prove", "joma-exp", "joma-two-query", "--json")
    rows = json.loads(out)
    assert code == 0
    assert [r["verdict"] for r in rows] == ["proved", "refuted"]
    assert all(KEYS <= set(r) for r in rows)
    assert rows[1]["counterexample"]["point"]


def test_prove_user_quantity_and_expect(capsys) -> None:
    code, out, _ = run(capsys, "prove", "--model", "joma-linear", "--quantity", "z1^2 - r*v1_1^2", "--json")
    assert code == 0 and json.loads(out)[0]["verdict"] == "proved"
    code, out, _ = run(capsys, "prove", "--model", "joma-linear", "--quantity", "z1 - v1_1", "--expect", "proved")
    assert code == 1  # ran, verdict refuted, not as expected


def test_show_json(capsys) -> None:
    code, out, _ = run(capsys, "show", "joma-softmax", "--sizes", "M=3", "--json")
    data = json.loads(out)
    assert code == 0 and data["sizes"]["M"] == 3
    assert "z3" in data["parameters"][1]["symbols"]


LU_IDENTITY = "qnorm2*wnorm2 - 2*s_t - (2/m)*exp(s_t - s_0)"  # the paper's identity, typed with show's names


@pytest.mark.parametrize("sizes", [None, "d_e=3,d_k=3,m=4", "N=2"])
def test_lu_identity_typed_with_the_aliases_is_proved(capsys, sizes: str | None) -> None:
    extra = [] if sizes is None else ["--sizes", sizes]
    code, out, _ = run(capsys, "prove", "--model", "lu", "--quantity", LU_IDENTITY, *extra, "--expect", "proved")
    assert code == 0 and "proved" in out


def test_lu_identity_negative_controls(capsys) -> None:
    wrong = LU_IDENTITY.replace("(2/m)", "(3/m)")
    code, out, _ = run(capsys, "prove", "--model", "lu", "--quantity", wrong, "--expect", "proved")
    assert code == 1 and "refuted" in out
    code, _, _ = run(capsys, "prove", "--model", "lu-trained-query", "--quantity", LU_IDENTITY, "--expect", "proved")
    assert code == 1
    # the old alias spelling: q2 is the query's second component, w2 is no name at all
    code, out, err = run(capsys, "prove", "--model", "lu", "--quantity", "q2*w2 - 2*s_t", "--expect", "proved")
    assert code == 2 and out == "" and "unknown name 'w2'" in err


def test_show_json_lists_quantity_names(capsys) -> None:
    code, out, _ = run(capsys, "show", "lu", "--json")
    names = json.loads(out)["quantity_names"]
    assert code == 0
    assert {"q1", "q2", "qnorm2", "wnorm2", "s_t", "m"} <= set(names["symbols"])
    assert names["constants"] == ["E", "pi"] and "exp" in names["functions"]


def test_latex_output(tmp_path: Path, capsys) -> None:
    code, _, _ = run(capsys, "prove", "joma-local-rate", "--latex", str(tmp_path / "tex"))
    assert code == 0 and (tmp_path / "tex" / "joma-local-rate.tex").read_text().startswith(r"\documentclass")


BAD = [
    ["prove"],
    ["prove", "nope"],
    ["prove", "--all", "joma-exp"],
    ["prove", "--model", "joma-exp"],
    ["prove", "--quantity", "z1"],
    ["prove", "--model", "nope", "--quantity", "z1"],
    ["prove", "--model", "joma-exp", "--quantity", "z9"],
    ["prove", "--model", "joma-exp", "--quantity", "__import__('os').system('echo hi')"],
    ["prove", "--model", "joma-exp", "--quantity", "z1", "--sizes", "M=x"],
    ["prove", "--model", "joma-exp", "--quantity", "z1", "--sizes", "Q=2"],
    ["prove", "--model", "joma-exp", "--quantity", "z1", "--sizes", "M=0"],
    ["prove", "joma-exp", "--sizes", "M=2"],
    ["show", "nope"],
    ["show", "joma-exp", "--sizes", "M"],
    ["frobnicate"],
    ["prove", "--bogus-flag"],
]


@pytest.mark.parametrize("argv", BAD, ids=[" ".join(a) for a in BAD])
def test_bad_input_exit_2_one_line(capsys, argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_latex_into_a_file_path_fails_cleanly(tmp_path: Path, capsys) -> None:
    target = tmp_path / "occupied"
    target.write_text("keep me")
    code, _, err = run(capsys, "prove", "joma-local-rate", "--latex", str(target))
    assert code == 2 and "not a directory" in err
    assert target.read_text() == "keep me"


def test_python_dash_m_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "theory", "list", "--json"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and json.loads(proc.stdout)
