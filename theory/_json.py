"""The one JSON encoder: strict JSON, never ``NaN`` or ``Infinity``.

Python's :func:`json.dumps` writes ``NaN``/``Infinity`` by default, which strict parsers
(JavaScript's ``JSON.parse``, ``jq``, most databases) reject.  Every JSON the toolkit writes
(``--json`` on stdout, files through :mod:`theory._io`) goes through :func:`dumps` here: a
non-finite number is replaced by a *status with a reason*,
``{"status": "non-finite", "value": "NaN", "reason": "undefined (0/0, log of a negative, ...)"}``,
the places where it happened are returned so the caller can say so on stderr, and the final
encoding runs with ``allow_nan=False`` so nothing non-finite can slip through.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from pathlib import Path
from typing import Any

__all__ = ["dumps", "finite_copy", "non_finite_status"]

_REASONS = {
    "NaN": "undefined (0/0, inf-inf, log of a negative number, or an empty average)",
    "Infinity": "overflowed to +infinity (a value beyond 1.8e308 or a division by zero)",
    "-Infinity": "overflowed to -infinity (a value beyond -1.8e308 or log(0))",
}


def non_finite_status(value: float) -> dict[str, str]:
    """The JSON stand-in for a non-finite float: its status, its spelling and why."""
    spelled = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return {"status": "non-finite", "value": spelled, "reason": _REASONS[spelled]}


def finite_copy(data: Any, *, where: str = "$") -> tuple[Any, list[str]]:
    """A JSON-ready copy of ``data`` with every non-finite float replaced by its status.

    Parameters
    ----------
    data : Any
        Nested dicts, lists, tuples, numbers, strings, NumPy scalars/arrays, paths, dataclasses.
    where : str
        JSONPath-like name of ``data`` used in the returned places.

    Returns
    -------
    (copy, places)
        ``places`` lists where a non-finite value was replaced, e.g. ``["$.steps[3].slope"]``.

    Examples
    --------
    >>> finite_copy({"a": float("nan"), "b": [1.0, float("inf")]})[1]
    ['$.a', '$.b[1]']
    """
    places: list[str] = []
    return _walk(data, where, places), places


def _walk(obj: Any, where: str, places: list[str]) -> Any:
    if isinstance(obj, bool) or obj is None or isinstance(obj, (str, int)):
        return obj
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        places.append(where)
        return non_finite_status(obj)
    if isinstance(obj, dict):
        return {str(k): _walk(v, f"{where}.{k}", places) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_walk(v, f"{where}[{i}]", places) for i, v in enumerate(obj)]
    np = sys.modules.get("numpy")  # not imported for start-up speed: a NumPy value means NumPy is loaded
    if np is not None:
        if isinstance(obj, np.ndarray):
            return _walk(obj.tolist(), where, places)
        if isinstance(obj, np.generic):
            return _walk(obj.item(), where, places)
    if isinstance(obj, Path):
        return str(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _walk(dataclasses.asdict(obj), where, places)
    if isinstance(obj, (set, frozenset)):
        return _walk(sorted(obj, key=str), where, places)
    if isinstance(obj, complex):
        places.append(where)
        return {"status": "non-real", "value": str(obj), "reason": "a complex number where a real was expected"}
    try:  # SymPy numbers and other numeric scalars
        value = float(obj)
    except (TypeError, ValueError, OverflowError):
        return str(obj)
    return _walk(value, where, places) if not isinstance(obj, str) else obj


def dumps(data: Any, *, indent: int | None = 2) -> tuple[str, list[str]]:
    """Strict JSON text of ``data`` and the places where a non-finite value became a status."""
    clean, places = finite_copy(data)
    return json.dumps(clean, indent=indent, allow_nan=False), places
