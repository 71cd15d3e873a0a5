"""The user's documents as a corpus: loading, an offline tokenizer, and token statistics.

Role: turn a folder of ``.txt`` files, a ``.jsonl`` file with a text field, or one text
file into token counts the scaling laws and the receptive-field answer need (issue 15):
tokens, unique tokens, documents, the length distribution against the context, and a
bounded sample of token sequences for :mod:`.dependency`.

Tokenizer.  A byte-level BPE trained on the corpus itself with the Hugging Face
``tokenizers`` library (Sennrich et al. 2016; byte-level alphabet as in GPT-2, Radford et
al. 2019).  Chosen over the WordPiece tokenizer shipped in the packaged MiniLM because (i)
it works for any language, code or markup (byte-level: no unknown token), (ii) the
vocabulary is the one a model trained *on these documents* would have, and its size is a
choice the user controls, (iii) it needs only ``tokenizers`` (no torch/transformers).
Vocabulary size, when not given: with :math:`W` distinct whitespace-separated words,

.. math:: V = \\mathrm{clip}\\big(256 \\lceil W / (4 \\cdot 256) \\rceil,\\; 512,\\; 32000\\big),

a quarter of the word types (frequent words stay whole, rare ones split into pieces),
at least 512 (twice the 256-byte alphabet) and at most 32000 (the LLaMA vocabulary and
the default vocabulary of :func:`~.params.parse_arch`).  Counting stops once
:math:`W` exceeds 128000 (the cap is then reached), so memory stays bounded.

Unique tokens.  In the sense of Muennighoff et al. (2023), ``U_D``: the tokens of the
distinct documents (exact duplicates, after whitespace normalisation, are counted once).
The number of distinct token *types* is reported separately (``token_types``).
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InvalidArgument, require

__all__ = [
    "MAX_CONTEXT",
    "CorpusConfig",
    "CorpusStats",
    "auto_vocab_size",
    "iter_documents",
    "load_corpus",
    "train_tokenizer",
]

#: Largest context accepted anywhere (no published model exceeds ~1e7 tokens).
MAX_CONTEXT = 10**8

_SNIFF = 8192
_MAX_DOC_BYTES = 256 * 2**20  # one document above 256 MiB: the user wants --lines
_WORD_CAP = 128_000


@dataclass(frozen=True)
class CorpusConfig:
    """How to read and tokenize a corpus.

    Attributes
    ----------
    text_field : str
        Field holding the text in each ``.jsonl`` record.
    lines : bool
        Every non-empty line of a text file is one document (default: one file, one document).
    strip_label : bool
        Drop the first whitespace-separated field of every line (SST: ``"1 a gorgeous film ."``).
    pattern : str
        Glob for the files of a folder.
    vocab_size : int or None
        BPE vocabulary size; ``None`` applies the rule of the module docstring.
    context : int
        The model's context length, for the length distribution.
    sample_tokens : int
        At most this many tokens (whole documents) are kept for the dependency analysis.
    seed : int
        Seed of the document sample.
    progress : bool
        tqdm progress bars on stderr (shown on a terminal only).
    """

    text_field: str = "text"
    lines: bool = False
    strip_label: bool = False
    pattern: str = "*.txt"
    vocab_size: int | None = None
    context: int = 2048
    sample_tokens: int = 300_000
    seed: int = 0
    progress: bool = True


@dataclass
class CorpusStats:
    """Token statistics of a corpus (see :func:`load_corpus`)."""

    source: str
    documents: int
    unique_documents: int
    tokens: int
    unique_tokens: int
    token_types: int
    vocab_size: int
    vocab_target: int
    vocab_rule: str
    context: int
    lengths: dict
    sample: list[np.ndarray] = field(repr=False, default_factory=list)

    def to_dict(self) -> dict:
        """JSON-able summary (the token sample is left out)."""
        return {
            "source": self.source,
            "documents": self.documents,
            "unique_documents": self.unique_documents,
            "tokens": self.tokens,
            "unique_tokens": self.unique_tokens,
            "token_types": self.token_types,
            "tokenizer": {"kind": "byte-level BPE trained on the corpus (tokenizers)", "vocab_size": self.vocab_size,
                          "vocab_target": self.vocab_target, "vocab_rule": self.vocab_rule},
            "context": self.context,
            "lengths": self.lengths,
            "sampled_documents": len(self.sample),
            "sampled_tokens": int(sum(len(s) for s in self.sample)),
        }  # fmt: skip


def auto_vocab_size(distinct_words: int) -> int:
    """The vocabulary-size rule of the module docstring."""
    v = 256 * math.ceil(max(distinct_words, 1) / (4 * 256))
    return int(min(32000, max(512, v)))


def _check_text_file(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF)
    except OSError as exc:
        raise InvalidArgument(f"cannot read {str(path)!r}: {exc.strerror}") from None
    if b"\x00" in head:
        raise InvalidArgument(f"{str(path)!r} looks binary (NUL bytes); give UTF-8 text files")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the sniff boundary
            raise InvalidArgument(f"{str(path)!r} is not UTF-8 text (byte {exc.start}); convert it to UTF-8") from None


def _files(path: Path, cfg: CorpusConfig) -> list[Path]:
    if not path.exists():
        raise InvalidArgument(f"corpus path {str(path)!r} does not exist")
    if path.is_dir():
        files = sorted(p for p in path.rglob(cfg.pattern) if p.is_file())
        if not files:
            raise InvalidArgument(f"no files matching {cfg.pattern!r} under {str(path)!r}; pass --glob")
    else:
        files = [path]
    for f in files:
        _check_text_file(f)
    return files


def _clean(line: str, cfg: CorpusConfig) -> str:
    text = line.strip()
    if cfg.strip_label:
        text = text.partition(" ")[2].strip() if " " in text else ""
    return text


def iter_documents(path: str | Path, config: CorpusConfig | None = None) -> Iterator[str]:
    """Documents of a corpus, streamed (one file or line at a time).

    Raises
    ------
    InvalidArgument
        Missing path, empty folder, binary or non-UTF-8 file, malformed JSON line, a
        record without the text field, or a single document above 256 MiB.
    """
    cfg = config or CorpusConfig()
    for f in _files(Path(path), cfg):
        if f.suffix == ".jsonl":
            yield from _jsonl(f, cfg)
            continue
        if cfg.lines:
            with f.open(encoding="utf-8", errors="strict") as fh:
                for line in _decoded(fh, f):
                    text = _clean(line, cfg)
                    if text:
                        yield text
            continue
        if f.stat().st_size > _MAX_DOC_BYTES:
            raise InvalidArgument(f"{str(f)!r} is one document of over 256 MiB; pass --lines (a document a line)")
        try:
            text = f.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InvalidArgument(f"{str(f)!r} is not UTF-8 text; convert it to UTF-8") from None
        if cfg.strip_label:
            text = "\n".join(_clean(t, cfg) for t in text.splitlines())
        if text.strip():
            yield text


def _decoded(fh, f: Path) -> Iterator[str]:
    try:
        yield from fh
    except UnicodeDecodeError:
        raise InvalidArgument(f"{str(f)!r} is not UTF-8 text; convert it to UTF-8") from None


def _jsonl(f: Path, cfg: CorpusConfig) -> Iterator[str]:
    with f.open(encoding="utf-8") as fh:
        for k, line in enumerate(_decoded(fh, f), start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                raise InvalidArgument(f"{str(f)!r} line {k} is not valid JSON; give one JSON object a line") from None
            if not isinstance(rec, dict) or cfg.text_field not in rec:
                keys = ", ".join(sorted(rec)) if isinstance(rec, dict) else type(rec).__name__
                raise InvalidArgument(
                    f"{str(f)!r} line {k} has no field {cfg.text_field!r} (has: {keys}); pass --text-field"
                )
            text = rec[cfg.text_field]
            if not isinstance(text, str):
                raise InvalidArgument(f"{str(f)!r} line {k}: field {cfg.text_field!r} is not a string")
            if text.strip():
                yield text


def _scan(path: str | Path, cfg: CorpusConfig) -> tuple[int, int, int]:
    """Documents, distinct words (capped), characters: the first pass."""
    words: set[str] = set()
    n_docs = chars = 0
    for doc in iter_documents(path, cfg):
        n_docs += 1
        chars += len(doc)
        if len(words) <= _WORD_CAP:
            words.update(doc.split())
    if n_docs == 0:
        raise InvalidArgument(f"corpus {str(path)!r} holds no non-empty document")
    return n_docs, len(words), chars


def train_tokenizer(docs: Callable[[], Iterator[str]], vocab_size: int, n_docs: int | None = None):
    """Byte-level BPE of ``vocab_size`` trained on ``docs()`` with Hugging Face ``tokenizers``."""
    tk = require("tokenizers", "corpus")
    tok = tk.Tokenizer(tk.models.BPE())
    tok.pre_tokenizer = tk.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = tk.decoders.ByteLevel()
    trainer = tk.trainers.BpeTrainer(
        vocab_size=vocab_size, initial_alphabet=tk.pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tok.train_from_iterator(docs(), trainer=trainer, length=n_docs)
    return tok


def _length_summary(lengths: np.ndarray, context: int) -> dict:
    edges = [1]
    while edges[-1] < context:
        edges.append(edges[-1] * 2)
    edges[-1] = context
    edges = sorted(set(edges))
    bins: list[dict] = []
    lo = 0
    for hi in edges:
        bins.append({"from": lo + 1, "to": hi, "documents": int(((lengths > lo) & (lengths <= hi)).sum())})
        lo = hi
    bins.append({"from": context + 1, "to": None, "documents": int((lengths > context).sum())})
    over = lengths > context
    q = np.quantile(lengths, [0.5, 0.9, 0.99])
    return {
        "mean": float(lengths.mean()),
        "median": float(q[0]),
        "q90": float(q[1]),
        "q99": float(q[2]),
        "max": int(lengths.max()),
        "longer_than_context": int(over.sum()),
        "fraction_longer_than_context": float(over.mean()),
        "fraction_of_tokens_beyond_context": float(np.maximum(lengths - context, 0).sum() / lengths.sum()),
        "context_windows": int(np.ceil(lengths / context).sum()),
        "histogram": bins,
    }


def load_corpus(path: str | Path, config: CorpusConfig | None = None, **changes: object) -> CorpusStats:
    """Read, tokenize and count a corpus (three streamed passes; memory bounded by the sample).

    Pass 1 counts documents and word types (for the vocabulary rule), pass 2 trains the
    BPE, pass 3 encodes in batches, accumulating lengths, type counts and duplicates, and
    keeps a random sample of whole documents of at most ``sample_tokens`` tokens.
    """
    from .._config import configure

    cfg = configure(CorpusConfig, config, changes)
    if not 1 <= cfg.context <= MAX_CONTEXT:
        raise InvalidArgument(f"context must lie in 1..{MAX_CONTEXT:.0e} tokens, got {cfg.context:g}")
    if cfg.vocab_size is not None and not 260 <= cfg.vocab_size <= 1_000_000:
        raise InvalidArgument(f"vocab size must lie in 260..1000000 (above the 256 bytes), got {cfg.vocab_size}")
    n_docs, n_words, chars = _scan(path, cfg)
    if cfg.vocab_size is None:
        vocab = auto_vocab_size(n_words)
        rule = f"auto: {n_words if n_words <= _WORD_CAP else f'>{_WORD_CAP}'} word types -> clip(W/4, 512, 32000)"
    else:
        vocab, rule = int(cfg.vocab_size), "given (--vocab-size)"
    tok = train_tokenizer(lambda: iter_documents(path, cfg), vocab, n_docs)
    tqdm = require("tqdm", "corpus").tqdm
    rng = np.random.default_rng(cfg.seed)
    keep_p = min(1.0, 1.5 * cfg.sample_tokens * 4.0 / max(chars, 1))  # ~4 characters a token
    lengths = np.zeros(n_docs, dtype=np.int64)
    type_counts = np.zeros(tok.get_vocab_size(), dtype=np.int64)
    seen: set[bytes] = set()
    unique_tokens = 0
    sample: list[np.ndarray] = []
    kept = 0
    k = 0
    bar = tqdm(total=n_docs, desc="tokenizing", unit="doc", file=sys.stderr, disable=None if cfg.progress else True)
    batch: list[str] = []

    def flush() -> None:
        nonlocal k, unique_tokens, kept
        encoded = [np.asarray(e.ids, dtype=np.int32) for e in tok.encode_batch(batch)]
        if encoded:
            type_counts[:] += np.bincount(np.concatenate(encoded), minlength=type_counts.size)[: type_counts.size]
        for doc, ids in zip(batch, encoded, strict=True):
            lengths[k] = len(ids)
            k += 1
            key = hashlib.blake2b(" ".join(doc.split()).encode(), digest_size=12).digest()
            if key in seen:
                continue
            seen.add(key)
            unique_tokens += len(ids)
            if len(ids) >= 2 and kept + len(ids) <= cfg.sample_tokens and rng.random() < keep_p:
                sample.append(ids)
                kept += len(ids)
        bar.update(len(batch))
        batch.clear()

    for doc in iter_documents(path, cfg):
        batch.append(doc)
        if len(batch) == 1024:
            flush()
    flush()
    bar.close()
    return CorpusStats(
        source=str(path),
        documents=n_docs,
        unique_documents=len(seen),
        tokens=int(lengths.sum()),
        unique_tokens=int(unique_tokens),
        token_types=int((type_counts > 0).sum()),
        vocab_size=int(tok.get_vocab_size()),  # below the target when no pair is left to merge
        vocab_target=vocab,
        vocab_rule=rule,
        context=cfg.context,
        lengths=_length_summary(lengths, cfg.context),
        sample=sample,
    )
