"""Mask spec strings: ``kind[:args]`` -> :class:`~theory.architecture.masks.Mask`.

Role: the one parser of the CLI's ``--mask`` (and of ``mask=`` in architecture specs).
Comma-separated ``key=value`` args, the first of which may be given bare:
``full``, ``causal``, ``window:4096``, ``window:W=64,causal=false``,
``dilated:window=512,d=2``, ``global:k=2``, ``sink:4``, ``block:128``,
``block:size=128,causal=true``, ``chunked:128``, ``prefix:16``, ``mix:causal|window:64``.
Malformed specs raise :class:`MaskSpecError`, one line naming the field.
"""

from __future__ import annotations

from ..errors import InvalidArgument
from .masks import Block, Causal, Dilated, Full, Global, Mask, Mix, Prefix, Sink, Window

__all__ = ["MaskSpecError", "parse_mask"]


class MaskSpecError(InvalidArgument):
    """A mask spec string is malformed: names the field and the accepted form."""


_BOOL = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

# kind -> (positional field, {field: type}, required fields)
_KINDS: dict[str, tuple[str | None, dict[str, type], tuple[str, ...]]] = {
    "full": (None, {}, ()),
    "causal": (None, {}, ()),
    "window": ("window", {"window": int, "causal": bool}, ("window",)),
    "dilated": ("window", {"window": int, "d": int, "causal": bool}, ("window", "d")),
    "global": ("k", {"k": int}, ("k",)),
    "sink": ("k", {"k": int}, ("k",)),
    "block": ("size", {"size": int, "causal": bool}, ("size",)),
    "chunked": ("size", {"size": int}, ("size",)),
    "prefix": ("length", {"length": int}, ("length",)),
}
_ALIASES = {"w": "window", "W": "window", "dilation": "d"}
_FORMS = "full, causal, window:W, dilated:window=W,d=D, global:k, sink:k, block:B, prefix:P, mix:A|B"


def _parse_value(kind: str, field: str, raw: str, typ: type, spec: str) -> int | bool:
    if typ is bool:
        v = _BOOL.get(raw.strip().lower())
        if v is None:
            raise MaskSpecError(f"mask {spec!r}: field {field!r} must be true/false, got {raw!r}")
        return v
    try:
        num = float(raw)
        if not num.is_integer():
            raise ValueError
        val = int(num)
    except (ValueError, OverflowError):
        raise MaskSpecError(
            f"mask {spec!r}: field {field!r} of {kind!r} must be a positive integer, got {raw!r}"
        ) from None
    if val < 1:
        raise MaskSpecError(f"mask {spec!r}: field {field!r} must be >= 1, got {val}")
    if val > MAX_SIZE:
        raise MaskSpecError(f"mask {spec!r}: field {field!r} = {raw} is too large; at most {MAX_SIZE:.3g} (2**53)")
    return val


MAX_SIZE = 2**53  #: largest size field: exact as a float, and far beyond any sequence length


def parse_mask(spec: str) -> Mask:
    """Parse a mask spec string such as ``"window:4096"`` or ``"mix:causal|sink:4"``.

    Raises
    ------
    MaskSpecError
        One line naming the offending field and the accepted forms.

    Examples
    --------
    >>> parse_mask("dilated:window=512,d=2").spec
    'dilated:window=512,d=2'
    >>> parse_mask("mix:causal|window:64").spec
    'mix:causal|window:64'
    """
    if not isinstance(spec, str) or not spec.strip():
        raise MaskSpecError(f"empty mask spec; expected one of: {_FORMS}")
    spec = spec.strip()
    kind, _, rest = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "mix":
        parts = [p for p in rest.split("|")]
        if len(parts) < 2 or any(not p.strip() for p in parts):
            raise MaskSpecError(f"mask {spec!r}: mix needs two or more '|'-separated masks")
        if any(p.strip().lower().startswith("mix") for p in parts):
            raise MaskSpecError(f"mask {spec!r}: nested mix is not allowed; flatten it")
        return Mix(tuple(parse_mask(p) for p in parts))
    if kind not in _KINDS:
        raise MaskSpecError(f"mask {spec!r}: unknown kind {kind!r}; expected one of: {_FORMS}")
    positional, fields, required = _KINDS[kind]
    values: dict[str, int | bool] = {}
    items = [x for x in rest.split(",")] if rest else []
    for idx, item in enumerate(items):
        if not item.strip():
            raise MaskSpecError(f"mask {spec!r}: empty field (stray comma?)")
        if "=" in item:
            key, _, raw = item.partition("=")
            key = _ALIASES.get(key.strip(), key.strip())
        elif idx == 0 and positional is not None:
            key, raw = positional, item
        else:
            raise MaskSpecError(f"mask {spec!r}: field {item!r} needs the form key=value")
        if key not in fields:
            allowed = ", ".join(fields) or "none"
            raise MaskSpecError(f"mask {spec!r}: unknown field {key!r} for {kind!r}; allowed: {allowed}")
        if key in values:
            raise MaskSpecError(f"mask {spec!r}: field {key!r} given twice")
        values[key] = _parse_value(kind, key, raw, fields[key], spec)
    for key in required:
        if key not in values:
            raise MaskSpecError(f"mask {spec!r}: missing field {key!r} (e.g. {kind}:{key}=8)")
    return _build(kind, values)


def _build(kind: str, v: dict[str, int | bool]) -> Mask:
    if kind == "full":
        return Full()
    if kind == "causal":
        return Causal()
    if kind == "window":
        return Window(int(v["window"]), bool(v.get("causal", True)))
    if kind == "dilated":
        return Dilated(int(v["window"]), int(v["d"]), bool(v.get("causal", True)))
    if kind == "global":
        return Global(int(v["k"]))
    if kind == "sink":
        return Sink(int(v["k"]))
    if kind == "block":
        return Block(int(v["size"]), bool(v.get("causal", False)))
    if kind == "chunked":
        return Block(int(v["size"]), True)
    return Prefix(int(v["length"]))
