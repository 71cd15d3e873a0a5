"""Result container and printing shared by every sub-command (text or ``--json``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .._json import dumps

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
    """Print ``result`` to stdout as strict JSON or text; notes go to stderr in text mode.

    JSON goes through the one encoder, :func:`theory._json.dumps`: a non-finite number becomes
    ``{"status": "non-finite", "value": ..., "reason": ...}`` and a note on stderr says where.
    """
    if as_json:
        text, places = dumps(result.data)
        sys.stdout.write(text + "\n")
        if places:
            shown = ", ".join(places[:5]) + (f" and {len(places) - 5} more" if len(places) > 5 else "")
            sys.stderr.write(f"note: non-finite values at {shown} are reported as a status with a reason\n")
    else:
        sys.stdout.write(result.text.rstrip("\n") + "\n")
        for note in result.notes:
            sys.stderr.write(f"note: {note}\n")


def format_table(rows: list[dict], columns: Sequence[str]) -> str:
    """A plain fixed-width table of ``rows``."""
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns[:-1]}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns[:-1]) + "  " + columns[-1]]
    for r in rows:
        lines.append("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns[:-1]) + "  " + str(r[columns[-1]]))
    return "\n".join(lines)
