"""Result container and printing shared by every sub-command (text or ``--json``)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Result", "add_json_flag", "emit"]


@dataclass(frozen=True)
class Result:
    """What a sub-command hands back to the CLI driver.

    Attributes
    ----------
    data : Any
        JSON-serialisable payload printed with ``--json``.
    text : str
        Human-readable rendering printed otherwise.
    ok : bool
        ``False`` makes the command exit 1 (ran, but a verdict was not the expected one).
    """

    data: Any
    text: str
    ok: bool = True
    notes: tuple[str, ...] = field(default=())


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """Add the ``--json`` switch every printing command must offer."""
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def emit(result: Result, *, as_json: bool) -> None:
    """Print ``result`` to stdout as JSON or text; notes go to stderr in text mode."""
    if as_json:
        sys.stdout.write(json.dumps(result.data, indent=2, default=_default) + "\n")
    else:
        sys.stdout.write(result.text.rstrip("\n") + "\n")
        for note in result.notes:
            sys.stderr.write(f"note: {note}\n")


def _default(obj: Any) -> Any:
    np = sys.modules.get("numpy")  # not imported for start-up speed: a NumPy value means NumPy is loaded
    if np is None:
        return str(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)
