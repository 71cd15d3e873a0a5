"""One way to write a figure: ``NAME.json`` (the data) beside ``NAME.png`` / ``NAME.pdf``.

Role: every figure of the package (``theory figure``, ``theory hierarchy --plot``,
``theory lu ... --plot``) goes through :func:`write_figure`, so all of them share

* one naming scheme: ``DIR/NAME.json`` always, ``DIR/NAME.png`` and ``DIR/NAME.pdf`` with
  matplotlib, ``NAME`` lower-case words joined by hyphens (``joma-entropy``,
  ``lu-sst2-purity``); :data:`NAME_PATTERN` is enforced;
* one guarantee that the data file replots the figure: the figure is drawn from the JSON
  *as read back from disk*, by a ``draw(plt, data)`` that sees nothing else;
* one style for a paper column: :data:`COLUMN` (3.4 in) or :data:`PAGE` (7 in) wide, every
  font :data:`FONT_PT` = 8 pt at that size (:data:`STYLE`), PNG at 300 dpi;
* atomic writes (:mod:`theory._io`); matplotlib (the ``plot`` extra) imported lazily through
  :func:`theory.errors.require`, so without it the JSON is still written and the caller gets
  the install hint as a note.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._io import atomic_write_bytes, atomic_write_text, ensure_dir
from ._json import finite_copy
from .errors import OptionalDependencyError, require

__all__ = [
    "COLUMN",
    "FONT_PT",
    "NAME_PATTERN",
    "PAGE",
    "STYLE",
    "pyplot",
    "write_figure",
]

#: Width of a single paper column, inches.
COLUMN = 3.4
#: Width of a two-column (full page) figure, inches.
PAGE = 7.0
#: Smallest font size, points, at the figure's printed size.
FONT_PT = 8
#: Figure names: lower-case words (letters, digits) joined by single hyphens.
NAME_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
#: matplotlib rc settings every figure is drawn and saved under.
STYLE: dict[str, Any] = {
    "font.size": FONT_PT,
    "axes.titlesize": FONT_PT,
    "axes.labelsize": FONT_PT,
    "xtick.labelsize": FONT_PT,
    "ytick.labelsize": FONT_PT,
    "legend.fontsize": FONT_PT,
    "legend.title_fontsize": FONT_PT,
    "figure.titlesize": FONT_PT,
    "legend.frameon": False,
    "lines.linewidth": 1.2,
    "axes.linewidth": 0.6,
    "savefig.dpi": 300,
}
_DPI = 300


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend.

    Raises
    ------
    OptionalDependencyError
        matplotlib is not installed (the message says ``pip install 'theory[plot]'``).
    """
    mpl = require("matplotlib", "plot")
    mpl.use("Agg", force=True)
    return require("matplotlib.pyplot", "plot")


def write_figure(
    out_dir: str | Path, name: str, data: Any, draw: Callable[[Any, Any], Any] | None
) -> tuple[list[str], tuple[str, ...]]:
    """Write ``NAME.json`` (``data``) and, with matplotlib, ``NAME.png`` / ``NAME.pdf``.

    Parameters
    ----------
    out_dir : path
        Output directory, created if missing.
    name : str
        Figure name, matching :data:`NAME_PATTERN`.
    data : JSON-able
        Everything the figure shows (curves, not only summaries).
    draw : callable or None
        ``draw(plt, data) -> matplotlib.figure.Figure``, called under :data:`STYLE` with the
        JSON *read back from* ``NAME.json``; ``None`` for a data-only figure.

    Returns
    -------
    (files, notes)
        Paths written (``NAME.json`` first) and notes for the user (the install hint when
        matplotlib is missing).

    Raises
    ------
    ValueError
        ``name`` does not follow the naming scheme, or ``data`` holds NaN or infinity
        (programming errors, not user input: JSON never holds them).
    """
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"figure name {name!r} does not match {NAME_PATTERN.pattern}")
    directory = ensure_dir(out_dir)
    clean, places = finite_copy(data)
    if places:  # a figure's data must replot: refuse, do not replace by a status
        raise ValueError(f"figure {name!r} data is not finite at {', '.join(places[:3])}")
    text = json.dumps(clean, indent=1, allow_nan=False)
    json_path = atomic_write_text(directory / f"{name}.json", text + "\n")
    files = [str(json_path)]
    if draw is None:
        return files, ()
    try:
        plt = pyplot()
    except OptionalDependencyError as exc:
        return files, (f"{exc}; wrote the numbers to {json_path} only",)
    stored = json.loads(json_path.read_text(encoding="utf-8"))
    with plt.style.context(STYLE):
        fig = draw(plt, stored)
        try:
            for ext in ("png", "pdf"):
                buf = io.BytesIO()
                fig.savefig(buf, format=ext, dpi=_DPI, bbox_inches="tight", pad_inches=0.02)
                files.append(str(atomic_write_bytes(directory / f"{name}.{ext}", buf.getvalue())))
        finally:
            plt.close(fig)
    return files, ()
