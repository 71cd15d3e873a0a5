"""CLI `theory corpus` and `compare-arch --corpus` (issue 15 items 1, 2 and 5): JSON, text, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from theory.cli import main

WORDS = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta"]


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    for k in range(60):
        (tmp_path / f"d{k}.txt").write_text(" ".join(WORDS[i] for i in rng.integers(0, 8, 40)))
    return tmp_path


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_corpus_json_and_reach(folder: Path, capsys) -> None:
    code, out, _ = run(
        ["corpus", str(folder), "--context", "32", "--bootstrap", "10", "--arch", "layers=2,heads=2,mask=window:4",
         "--json"],
        capsys,
    )  # fmt: skip
    assert code == 0
    d = json.loads(out)
    assert d["documents"] == 60 and d["tokens"] == 60 * 40  # one token a word (8 word types, vocabulary 512)
    assert d["lengths"]["longer_than_context"] == 60
    assert d["dependency"]["range"] == 0  # i.i.d. words: nothing beyond the baseline
    assert d["architectures"][0]["reach"] == 2 * 3 + 1


def test_corpus_text(folder: Path, capsys) -> None:
    code, out, _ = run(["corpus", str(folder), "--no-dependency"], capsys)
    assert code == 0 and "documents" in out and "length histogram" in out and "Dependency" not in out


def test_compare_arch_with_corpus(folder: Path, capsys) -> None:
    code, out, _ = run(
        ["compare-arch", "layers=2,heads=2,d_model=32", "layers=4,heads=4,d_model=32", "--corpus", str(folder),
         "--no-dependency", "--epochs", "10", "--json"],
        capsys,
    )  # fmt: skip
    assert code == 0
    d = json.loads(out)
    assert d["corpus"]["unique_tokens"] == 2400
    row = d["architectures"][0]
    assert row["epochs"] == pytest.approx(10.0)
    assert row["spec"]["vocab"] == d["corpus"]["tokenizer"]["vocab_size"]  # the corpus's vocabulary
    assert row["tokens_per_param"] == pytest.approx(24000 / row["params_total"])


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["corpus", "{empty}"], "no files matching"),
        (["corpus", "{binary}"], "binary"),
        (["corpus", "{jsonl}"], "no field 'text'"),
        (["corpus", "{folder}", "--context", "1e15"], "--context"),
        (["compare-arch", "layers=2,heads=2", "--context", "1e15"], "context"),
        (["compare-arch", "layers=2,heads=2", "--probe"], "--corpus"),
        (["compare-arch", "layers=2,heads=2", "--corpus", "{folder}", "--unique-tokens", "5"], "not both"),
    ],
)
def test_bad_input_one_line_exit_2(argv, needle, tmp_path: Path, folder: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "a.txt").write_bytes(bytes(range(256)))
    (tmp_path / "x.jsonl").write_text('{"body": "alpha"}\n')
    paths = {"empty": tmp_path / "empty", "binary": tmp_path / "bin", "jsonl": tmp_path / "x.jsonl", "folder": folder}
    code, _, err = run([a.format(**{k: str(v) for k, v in paths.items()}) for a in argv], capsys)
    assert code == 2
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
