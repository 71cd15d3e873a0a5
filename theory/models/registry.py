"""Named models for the CLI and examples: ``theory show NAME``, ``theory prove --model NAME``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..errors import InvalidArgument, UnknownNameError
from . import blocks
from .joma import joma_block
from .lu import lu_classifier
from .spec import ModelSpec

__all__ = ["MODELS", "NamedModel", "build_model", "parse_sizes"]


@dataclass(frozen=True)
class NamedModel:
    """A model builder with default sizes and the size names it accepts."""

    name: str
    description: str
    builder: Callable[..., ModelSpec]
    defaults: Mapping[str, int]


def _joma(attention: str, **fixed: object) -> Callable[..., ModelSpec]:
    return lambda **sizes: joma_block(attention=attention, **fixed, **sizes)  # type: ignore[arg-type]


MODELS: dict[str, NamedModel] = {
    m.name: m
    for m in (
        NamedModel("joma-linear", "JoMA block, linear attention b = x o z", _joma("linear"), {"M": 2, "K": 1, "N": 1}),
        NamedModel("joma-exp", "JoMA block, exp attention b = x o exp(z/T)", _joma("exp"), {"M": 2, "K": 1, "N": 1}),
        NamedModel("joma-softmax", "JoMA block, softmax attention", _joma("softmax"), {"M": 2, "K": 1, "N": 1}),
        NamedModel(
            "joma-exp-2q",
            "JoMA block, exp attention, two queries sharing w_k",
            _joma("exp", queries=2),
            {"M": 2, "K": 1, "N": 1},
        ),
        NamedModel(
            "joma-exp-almost-orthogonal",
            "JoMA block, exp attention, U^T U = I + E",
            _joma("exp", embeddings="almost-orthogonal"),
            {"M": 2, "K": 1, "N": 1},
        ),
        NamedModel(
            "joma-exp-layernorm",
            "JoMA block, exp attention, LayerNorm on the residual",
            _joma("exp", layernorm=True),
            {"M": 2, "K": 1, "N": 1},
        ),
        NamedModel(
            "lu",
            "Lu et al. classifier, arbitrary classifier and loss, q fixed",
            lu_classifier,
            {"N": 1, "m": 2, "d_e": 2, "d_k": 2},
        ),
        NamedModel(
            "lu-trained-query",
            "Lu et al. classifier with q trained",
            lambda **s: lu_classifier(trainable_query=True, **s),
            {"N": 1, "m": 2, "d_e": 2, "d_k": 2},
        ),
        NamedModel(
            "lu-trainable-nontopic",
            "Lu et al. classifier with non-topic words trained",
            lambda **s: lu_classifier(frozen_nontopic=False, **s),
            {"N": 1, "m": 2, "d_e": 2, "d_k": 2},
        ),
        NamedModel(
            "attention",
            "softmax attention head(s), g = sum_h softmax(X Q^T K X^T) X V^T O",
            blocks.attention,
            {"tokens": 2, "dim": 2, "head_dim": 1, "heads": 1},
        ),
        NamedModel(
            "attention-causal",
            "causal softmax attention",
            lambda **s: blocks.attention(causal=True, **s),
            {"tokens": 2, "dim": 2, "head_dim": 1, "heads": 1},
        ),
        NamedModel(
            "attention-scaled",
            "softmax attention with logits divided by tau (sqrt(d) in the standard block)",
            lambda **s: blocks.attention(scaled=True, **s),
            {"tokens": 2, "dim": 2, "head_dim": 1, "heads": 1},
        ),
        NamedModel(
            "attention-rotary",
            "softmax attention with rotary position encoding",
            lambda **s: blocks.attention(rotary=True, **s),
            {"tokens": 2, "dim": 2, "head_dim": 2, "heads": 1},
        ),
        *(
            NamedModel(
                f"ffn-{act}",
                f"feed-forward layer W2 {act}(W1 x)" if act != "swiglu" else "SwiGLU layer W2 (W1 x * SiLU(W3 x))",
                (lambda a: lambda **s: blocks.feedforward(activation=a, **s))(act),
                {"dim": 2, "hidden": 2},
            )
            for act in blocks.FFN_ACTIVATIONS
        ),
        NamedModel(
            "transformer-block",
            "attention then a ReLU feed-forward layer, each with a skip connection",
            blocks.transformer_block,
            {"tokens": 2, "dim": 2, "head_dim": 1, "hidden": 1},
        ),
        NamedModel("moe", "softmax-gated linear experts", blocks.mixture_of_experts, {"dim": 2, "experts": 2}),
        NamedModel(
            "classifier", "softmax classifier, outputs log softmax(W x)", blocks.classifier, {"dim": 2, "classes": 2}
        ),
        NamedModel("linear-net", "two-layer linear network U V^T x", blocks.linear_network, {"n": 2, "r": 2, "m": 2}),
    )
}


def parse_sizes(text: str | None, allowed: Mapping[str, int]) -> dict[str, int]:
    """Parse ``"M=3,K=2"`` into sizes, defaulting the rest; names must be in ``allowed``."""
    sizes = dict(allowed)
    if not text:
        return sizes
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in allowed:
            raise InvalidArgument(
                f"bad size {part.strip()!r}; expected NAME=INTEGER with NAME in {', '.join(allowed)} (e.g. M=3,K=2)"
            )
        try:
            sizes[key] = int(value)
        except ValueError:
            raise InvalidArgument(f"size {key} must be an integer, got {value.strip()!r}") from None
    return sizes


def build_model(name: str, sizes: str | None = None) -> ModelSpec:
    """Build the named model at ``sizes`` (``"M=3,K=2"``; defaults otherwise)."""
    if name not in MODELS:
        raise UnknownNameError(f"unknown model {name!r}; expected one of: {', '.join(MODELS)}")
    model = MODELS[name]
    chosen = parse_sizes(sizes, model.defaults)
    _size_budget(name, chosen)
    return model.builder(**chosen)


#: Seconds per scalar term of a symbolic model (the product of its sizes) to build it and derive
#: its flow, measured: joma-exp at M*K*N = 1024 takes ~3 s; proofs and Lie brackets cost more.
SECONDS_PER_TERM = 3e-3


def _size_budget(name: str, sizes: Mapping[str, int]) -> None:
    """Refuse sizes that are not positive, or whose product would not fit the time budget."""
    from .._budget import check as check_budget

    for key, value in sizes.items():
        if value < 1:
            raise InvalidArgument(f"size {key} must be a positive integer, got {key}={value}")
    product = 1
    for value in sizes.values():
        product *= value
    check_budget(
        f"the symbolic model {name}",
        seconds=SECONDS_PER_TERM * product,
        detail=f"{'*'.join(sizes)} = {product} scalar terms, about {SECONDS_PER_TERM * 1e3:g} ms each",
        reduce="--sizes",
    )
