"""Transformer architecture specs and parameter counting with explicit conventions.

Role: turn ``"layers=15,heads=3,d_head=64"`` into an :class:`ArchSpec` and count its
parameters.  Per layer, with model width ``d``, ``H`` heads of size ``d_h``, feed-forward
width ``d_ff = r d``:

.. math::

    P_\\text{attn} = 4\\, d\\, H d_h \\;(+\\; 3 H d_h + d \\text{ biases}), \\qquad
    P_\\text{ffn} = k\\, d\\, d_\\text{ff} \\;(+\\; d_\\text{ff} + d \\text{ biases}),

``k = 2`` (GELU MLP) or ``3`` (gated, SwiGLU), plus two LayerNorms (``2 d`` each).  With
``H d_h = d``, ``r = 4`` and no biases or norms this is Kaplan et al.'s (2020)
:math:`12 L d^2`.  At fixed width the head count does not change the count (only
``H d_h`` does), as REFERENCE.md section 3 notes.

Conventions (both reported, never mixed silently):

* ``non_embedding`` - Kaplan et al. (2020): transformer blocks and final norm only;
* ``total`` - everything, including token (and learned position) embeddings and an
  untied output matrix.  Hoffmann et al. (2022) fit their law on this count, so
  :mod:`~theory.architecture.scaling` is fed ``total``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import ModelError

__all__ = ["DEFAULT_D_HEAD", "ArchSpec", "ArchSpecError", "count_parameters", "parse_arch"]

#: Head size assumed when a spec gives neither ``d_head`` nor ``d_model``: 64, the head size of
#: the original Transformer (Vaswani et al. 2017), GPT-2 and BERT.
DEFAULT_D_HEAD = 64


class ArchSpecError(ModelError):
    """An architecture spec string is malformed or inconsistent; names the field."""


@dataclass(frozen=True)
class ArchSpec:
    """A decoder/encoder transformer's shape (see module docstring for the counts)."""

    layers: int
    heads: int
    d_head: int
    d_model: int
    ffn_ratio: float = 4.0
    vocab: int = 32000
    tied: bool = True
    gated: bool = False
    bias: bool = True
    positional: str = "rotary"
    context: int = 2048
    mask: str = "causal"
    name: str = ""
    assumed: str = ""

    @property
    def d_attn(self) -> int:
        """Total attention width ``H d_h``."""
        return self.heads * self.d_head

    @property
    def d_ff(self) -> int:
        """Feed-forward width ``round(ffn_ratio * d_model)``."""
        return round(self.ffn_ratio * self.d_model)

    def label(self) -> str:
        """Short name for tables."""
        return self.name or f"L{self.layers}-H{self.heads}x{self.d_head}-d{self.d_model}"

    def to_dict(self) -> dict:
        """JSON-able dictionary."""
        return asdict(self)


_INT_FIELDS = ("layers", "heads", "d_head", "d_model", "vocab", "context")
_BOOL_FIELDS = ("tied", "gated", "bias")
_ALL_FIELDS = (*_INT_FIELDS, *_BOOL_FIELDS, "ffn", "ffn_ratio", "positional", "mask", "name")  # not "assumed"
_BOOL = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def parse_arch(spec: str, **defaults: object) -> ArchSpec:
    """Parse ``"layers=15,heads=3,d_head=64[,d_model=..,ffn=4,vocab=..,tied=true,...]"``.

    ``d_model`` defaults to ``heads * d_head``; ``d_head`` defaults to ``d_model / heads``;
    with neither, ``d_head = 64`` (:data:`DEFAULT_D_HEAD`) and ``assumed`` says so.
    ``mask`` takes a mask spec without commas (e.g. ``mask=window:512``).  ``defaults``
    (e.g. ``context=2048``) fill fields the string does not give.

    Examples
    --------
    >>> parse_arch("layers=15,heads=3,d_head=64").d_model
    192
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ArchSpecError("empty architecture spec; expected e.g. layers=15,heads=3,d_head=64")
    vals: dict[str, Any] = {k: v for k, v in defaults.items() if v is not None}
    for item in spec.split(","):
        key, eq, raw = item.partition("=")
        key, raw = key.strip(), raw.strip()
        if not eq or not key or not raw:
            raise ArchSpecError(f"architecture {spec!r}: field {item!r} needs the form key=value")
        if key not in _ALL_FIELDS:
            raise ArchSpecError(f"architecture {spec!r}: unknown field {key!r}; allowed: {', '.join(_ALL_FIELDS)}")
        if key in _INT_FIELDS:
            try:
                num = float(raw)
                if not num.is_integer() or num < 1 or num > 2**53:
                    raise ValueError
            except ValueError:
                raise ArchSpecError(
                    f"architecture {spec!r}: field {key!r} must be a positive integer up to 2**53, got {raw!r}"
                ) from None
            vals[key] = int(num)
        elif key in _BOOL_FIELDS:
            if raw.lower() not in _BOOL:
                raise ArchSpecError(f"architecture {spec!r}: field {key!r} must be true/false")
            vals[key] = _BOOL[raw.lower()]
        elif key in ("ffn", "ffn_ratio"):
            try:
                vals["ffn_ratio"] = float(raw)
                if not 0 < vals["ffn_ratio"] < 1e6:  # also refuses inf and nan
                    raise ValueError
            except ValueError:
                raise ArchSpecError(
                    f"architecture {spec!r}: field 'ffn' must be a positive finite number below 1e6, got {raw!r}"
                ) from None
        elif key == "positional":
            if raw not in ("rotary", "learned", "none"):
                raise ArchSpecError(f"architecture {spec!r}: positional must be rotary, learned or none")
            vals[key] = raw
        else:
            vals[key] = raw
    for key in ("layers", "heads"):
        if key not in vals:
            raise ArchSpecError(f"architecture {spec!r}: missing field {key!r}")
    heads = int(vals["heads"])
    if "d_model" not in vals and "d_head" not in vals:
        vals["d_head"] = DEFAULT_D_HEAD
        vals["assumed"] = (
            f"width not given: assumed d_head = {DEFAULT_D_HEAD} (d_model = {heads * DEFAULT_D_HEAD}); "
            "give d_model or d_head to change it"
        )
    if "d_model" not in vals:
        vals["d_model"] = heads * int(vals["d_head"])
    if "d_head" not in vals:
        d_model = int(vals["d_model"])
        if d_model % heads:
            raise ArchSpecError(
                f"architecture {spec!r}: d_model={d_model} is not divisible by heads={heads}; give d_head explicitly"
            )
        vals["d_head"] = d_model // heads
    return ArchSpec(**vals)


def count_parameters(arch: ArchSpec) -> dict[str, int]:
    """Parameter counts by group and under both conventions.

    Returns
    -------
    dict
        ``attention``, ``ffn``, ``norms`` (all layers), ``embedding`` (token + learned
        positions), ``unembedding`` (0 when tied), ``non_embedding``, ``total``, and
        ``kaplan_12Ld2`` (the :math:`12 L d^2` approximation, for comparison).
    """
    d, da, dff, L = arch.d_model, arch.d_attn, arch.d_ff, arch.layers
    attn = 4 * d * da + (3 * da + d if arch.bias else 0)
    ffn = (3 if arch.gated else 2) * d * dff + (dff + d if arch.bias else 0)
    norm_width = 2 * d  # gain and bias
    blocks = L * (attn + ffn + 2 * norm_width)
    final_norm = norm_width
    emb = arch.vocab * d + (arch.context * d if arch.positional == "learned" else 0)
    unemb = 0 if arch.tied else arch.vocab * d
    non_emb = blocks + final_norm
    return {
        "attention": L * attn,
        "ffn": L * ffn,
        "norms": L * 2 * norm_width + final_norm,
        "embedding": emb,
        "unembedding": unemb,
        "non_embedding": non_emb,
        "total": non_emb + emb + unemb,
        "kaplan_12Ld2": 12 * L * d * d,
    }
