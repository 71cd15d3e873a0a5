"""theory.architecture.corpus: documents, offline BPE, token counts, bad input (issue 15 item 1)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from theory.architecture.corpus import MAX_CONTEXT, auto_vocab_size, iter_documents, load_corpus
from theory.errors import InvalidArgument

WORDS = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta"]


def _doc(rng: np.random.Generator, n: int) -> str:
    return " ".join(WORDS[i] for i in rng.integers(0, len(WORDS), n))


@pytest.fixture()
def folder(tmp_path: Path) -> tuple[Path, list[int]]:
    rng = np.random.default_rng(0)
    sizes = [5, 12, 40, 7]
    for k, n in enumerate(sizes):
        (tmp_path / f"d{k}.txt").write_text(_doc(rng, n))
    (tmp_path / "ignored.md").write_text("not a txt file")
    return tmp_path, sizes


def test_folder_counts_words_as_tokens(folder) -> None:
    # 8 word types need < 50 merges; the minimum vocabulary (512) makes every word one token,
    # so the token count must equal the word count (counted here independently of the tokenizer)
    path, sizes = folder
    s = load_corpus(path, context=10, progress=False)
    assert s.documents == 4 and s.unique_documents == 4
    assert s.tokens == sum(sizes) and s.unique_tokens == sum(sizes)
    assert s.to_dict()["tokenizer"]["vocab_target"] == 512 and "auto" in s.vocab_rule
    assert 256 + len(WORDS) <= s.vocab_size < 512  # merges run out before the target
    # 2 * len(WORDS) types at most: a word at a document start has no leading-space byte
    assert len(WORDS) <= s.token_types <= 2 * len(WORDS)
    assert s.lengths["max"] == 40 and s.lengths["longer_than_context"] == 2  # 12 and 40 > 10
    assert s.lengths["fraction_of_tokens_beyond_context"] == pytest.approx((2 + 30) / sum(sizes))
    assert s.lengths["context_windows"] == 1 + 2 + 4 + 1
    assert sum(b["documents"] for b in s.lengths["histogram"]) == 4
    json.dumps(s.to_dict(), allow_nan=False)


def test_duplicates_count_once_in_unique_tokens(folder) -> None:
    path, sizes = folder
    (path / "copy.txt").write_text((path / "d2.txt").read_text())
    s = load_corpus(path, progress=False)
    assert s.documents == 5 and s.unique_documents == 4
    assert s.tokens == sum(sizes) + 40 and s.unique_tokens == sum(sizes)
    (path / "copy.txt").write_text("  " + (path / "d2.txt").read_text().replace(" ", "\n") + "\n")
    assert load_corpus(path, progress=False).unique_documents == 4  # equal after whitespace normalisation
    (path / "copy.txt").write_text((path / "d2.txt").read_text() + " alpha")
    assert load_corpus(path, progress=False).unique_documents == 5  # negative control: one word more


def test_jsonl_text_field(tmp_path: Path) -> None:
    f = tmp_path / "c.jsonl"
    f.write_text("\n".join(json.dumps({"body": t, "id": k}) for k, t in enumerate(["alpha beta", "gamma", ""])) + "\n")
    s = load_corpus(f, text_field="body", progress=False)
    assert s.documents == 2 and s.tokens == 3  # the empty record is not a document
    with pytest.raises(InvalidArgument, match=r"line 1 has no field 'text' \(has: body, id\)"):
        load_corpus(f, progress=False)


def test_sst_lines_with_labels_stripped(sst_dir: Path) -> None:
    path = sst_dir / "stsa.binary.dev"
    raw = [ln.split(" ", 1)[1].strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    docs = list(iter_documents(path, _cfg(lines=True, strip_label=True)))
    assert docs == raw
    assert not any(d[:2] in ("0 ", "1 ") for d in docs)
    s = load_corpus(path, lines=True, strip_label=True, progress=False)
    assert s.documents == len(raw)
    assert s.tokens > sum(len(d.split()) for d in raw)  # punctuation and rare words split further


def _cfg(**kw):
    from theory.architecture.corpus import CorpusConfig

    return CorpusConfig(**kw)


def test_vocab_rule() -> None:
    assert auto_vocab_size(10) == 512
    assert auto_vocab_size(14828) == 256 * 15  # ceil(14828 / 1024) = 15
    assert auto_vocab_size(10**7) == 32000


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p, "no files matching"),  # empty folder
        (lambda p: (p / "a.txt").write_bytes(b"\x00\x01binary") and p, "looks binary"),
        (lambda p: (p / "a.txt").write_bytes(b"caf\xe9 au lait " * 10) and p, "not UTF-8"),
        (lambda p: (p / "a.txt").write_text("   \n") and p, "no non-empty document"),
        (lambda p: (p / "x.jsonl").write_text("{not json}\n") and p / "x.jsonl", "not valid JSON"),
        (lambda p: (p / "x.jsonl").write_text('{"text": 3}\n') and p / "x.jsonl", "not a string"),
        (lambda p: p / "missing", "does not exist"),
    ],
)
def test_bad_input_names_the_culprit(tmp_path: Path, make, message: str) -> None:
    path = make(tmp_path)
    with pytest.raises(InvalidArgument, match=message):
        load_corpus(path, progress=False)


def test_context_and_vocab_bounds(folder) -> None:
    path, _ = folder
    with pytest.raises(InvalidArgument, match="context"):
        load_corpus(path, context=MAX_CONTEXT + 1, progress=False)
    with pytest.raises(InvalidArgument, match="vocab size"):
        load_corpus(path, vocab_size=100, progress=False)


def test_sample_is_bounded(folder) -> None:
    path, sizes = folder
    s = load_corpus(path, sample_tokens=20, progress=False)
    assert sum(len(x) for x in s.sample) <= 20
    full = load_corpus(path, progress=False)
    assert sorted(len(x) for x in full.sample) == sorted(sizes)  # negative control: no cap, everything kept
