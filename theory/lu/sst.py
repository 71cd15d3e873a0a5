"""Stanford Sentiment Treebank loaders (SST2 / SST5) as bag-of-words corpora.

Role: read ``stsa.binary.{train,dev,test}`` (labels 0/1) or ``stsa.fine.{train,dev,test}``
(labels 0-4): one sentence per line, the label first, tokens separated by spaces.
Punctuation is stripped from both ends of every token and tokens that were only
punctuation are dropped.  The vocabulary is built from the training split; id 0 is the
trainable padding token ``<pad>`` and id 1 the unknown-word token ``<unk>`` (dev/test words
not seen in training).  With ``pad_to`` every sentence is filled up to that length with
``<pad>`` (a single corpus entry with count ``pad_to - length``: padding costs nothing).

A malformed line (no label, a non-integer label, no word left), a label outside the task's
set, or an empty file raises :class:`SSTFormatError` naming the file and the line.

References
----------
R. Socher et al., "Recursive Deep Models for Semantic Compositionality Over a Sentiment
Treebank", EMNLP 2013; the ``stsa`` sentence-level split as used by H. Lu, Y. Mao,
A. Nayak, ICLR 2021, section 6.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InvalidArgument, UnknownNameError
from .data import BagCorpus, from_token_lists

__all__ = ["PAD", "TASKS", "UNK", "SSTData", "SSTFormatError", "load_sst", "read_sst_file"]

PAD, UNK = "<pad>", "<unk>"
TASKS = {"sst2": ("stsa.binary", 2), "sst5": ("stsa.fine", 5)}
_PUNCT = string.punctuation + "\u2018\u2019\u201c\u201d\u2013\u2014\u2026"


class SSTFormatError(InvalidArgument):
    """An SST file is empty, has a malformed line, or a label outside the task's set."""


def read_sst_file(path: str | Path, n_classes: int) -> tuple[list[list[str]], list[int]]:
    """Read one SST file: token lists (punctuation stripped) and integer labels.

    Raises
    ------
    SSTFormatError
        ``<file>:<line>: ...`` for a malformed line or unknown label; ``<file>: empty``.
    """
    p = Path(path)
    if not p.is_file():
        raise SSTFormatError(f"SST file {str(p)!r} not found; pass the directory holding it")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SSTFormatError(f"{p}: not UTF-8 text ({exc.reason}); re-encode the file") from exc
    sentences: list[list[str]] = []
    labels: list[int] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            raise SSTFormatError(f"{p}:{lineno}: blank line; expected '<label> <words...>'")
        try:
            label = int(parts[0])
        except ValueError:
            raise SSTFormatError(
                f"{p}:{lineno}: label {parts[0]!r} is not an integer; expected '<label> <words...>'"
            ) from None
        if not 0 <= label < n_classes:
            raise SSTFormatError(f"{p}:{lineno}: unknown label {label}; this task's labels are 0..{n_classes - 1}")
        words = [w for w in (t.strip(_PUNCT).lower() for t in parts[1:]) if w]
        if not words:
            raise SSTFormatError(f"{p}:{lineno}: no word after the label (punctuation stripped)")
        sentences.append(words)
        labels.append(label)
    if not sentences:
        raise SSTFormatError(f"{p}: empty file; expected one '<label> <words...>' line per sentence")
    return sentences, labels


@dataclass(frozen=True)
class SSTData:
    """The three SST splits over one vocabulary (built from the training split).

    Attributes
    ----------
    train, dev, test : BagCorpus
    task : str
    vocab : tuple of str
        ``vocab[0] == "<pad>"``, ``vocab[1] == "<unk>"``.
    lengths : dict
        Split name -> unpadded sentence lengths (ndarray), used for the identity's m.
    pad_to : int or None
    """

    train: BagCorpus
    dev: BagCorpus
    test: BagCorpus
    task: str
    vocab: tuple[str, ...]
    lengths: dict
    pad_to: int | None

    @property
    def n_classes(self) -> int:
        """Number of classes (2 or 5)."""
        return self.train.n_classes


def load_sst(
    path: str | Path,
    task: str = "sst2",
    *,
    pad_to: int | str | None = "max",
    max_train: int | None = None,
) -> SSTData:
    """Load SST2 or SST5 from the directory ``path``.

    Parameters
    ----------
    path : str or Path
        Directory with ``stsa.binary.*`` (sst2) or ``stsa.fine.*`` (sst5).
    task : {"sst2", "sst5"}
    pad_to : int, "max" or None
        Pad every sentence to this length with the trainable ``<pad>`` token; ``"max"``
        uses the longest training sentence (longer dev/test sentences stay unpadded);
        ``None`` disables padding.
    max_train : int, optional
        Keep only the first ``max_train`` training sentences (quick runs, tests).
    """
    key = str(task).lower()
    if key not in TASKS:
        raise UnknownNameError(f"unknown SST task {task!r}; expected one of: {', '.join(TASKS)}")
    stem, n_classes = TASKS[key]
    root = Path(path)
    if not root.is_dir():
        raise InvalidArgument(f"SST directory {str(root)!r} not found; pass --data DIR")
    raw = {s: read_sst_file(root / f"{stem}.{s}", n_classes) for s in ("train", "dev", "test")}
    if max_train is not None:
        if int(max_train) < 1:
            raise InvalidArgument(f"expected max_train >= 1, got max_train={max_train}")
        raw["train"] = (raw["train"][0][: int(max_train)], raw["train"][1][: int(max_train)])
    classes = sorted({int(y) for y in raw["train"][1]})
    if len(classes) < 2:
        raise InvalidArgument(
            f"SST training split in {str(root)!r} has {len(raw['train'][1])} sentence(s) of class(es) {classes} only; "
            "the classifier needs sentences of at least two classes"
        )
    vocab = [PAD, UNK, *sorted({w for sent in raw["train"][0] for w in sent})]
    index = {w: i for i, w in enumerate(vocab)}
    lengths = {s: np.array([len(x) for x in raw[s][0]]) for s in raw}
    if pad_to == "max":
        target: int | None = int(lengths["train"].max())
    elif pad_to is None:
        target = None
    else:
        if isinstance(pad_to, bool) or not isinstance(pad_to, int | np.integer) or pad_to < 1:
            raise InvalidArgument(f"expected pad_to to be a positive int, 'max' or None, got {pad_to!r}")
        target = int(pad_to)
    splits = {}
    for s, (sents, labels) in raw.items():
        ids = []
        for sent in sents:
            tok = [index.get(w, 1) for w in sent]
            if target is not None and len(tok) < target:
                tok += [0] * (target - len(tok))
            ids.append(tok)
        splits[s] = from_token_lists(ids, labels, vocab_size=len(vocab), n_classes=n_classes, vocab=tuple(vocab))
    return SSTData(
        train=splits["train"],
        dev=splits["dev"],
        test=splits["test"],
        task=key,
        vocab=tuple(vocab),
        lengths=lengths,
        pad_to=target,
    )
