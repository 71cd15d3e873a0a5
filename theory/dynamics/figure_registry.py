"""The figure registry behind ``theory figure NAME``: names, builders, atomic output.

Role: one place that maps a figure name to the function computing its numbers and drawing
it, so that any module (the JoMA figures here, the hierarchy figures elsewhere) can add a
figure with :func:`register_figure` without touching the CLI.  A builder returns a
:class:`Figure`: JSON-able numbers (everything the figure shows), a human summary, and an
optional ``draw(plt, data)`` that draws from those numbers alone; :func:`render` writes them
through :func:`theory._plotting.write_figure` (``NAME.json`` always, ``NAME.png`` /
``NAME.pdf`` with matplotlib, the picture drawn from the JSON read back from disk);
:func:`render_figure` also returns the JSON record that ``theory figure NAME --json`` prints.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._io import ensure_dir
from .._plotting import write_figure
from ..errors import InvalidArgument, UnknownNameError

__all__ = ["FIGURES", "Figure", "FigureSpec", "RenderedFigure", "register_figure", "render", "render_figure"]


@dataclass(frozen=True)
class Figure:
    """A computed figure.

    Attributes
    ----------
    data : dict
        The key numbers and every curve drawn (written to ``NAME.json``).
    text : str
        Human summary of the key numbers.
    draw : callable or None
        ``draw(plt, data) -> matplotlib.figure.Figure``, drawing from ``data`` (as read back
        from ``NAME.json``) alone; ``None`` for JSON-only figures.
    ok : bool
        Whether every verdict was the expected one.
    """

    data: dict
    text: str
    draw: Callable[[Any, Any], Any] | None = None
    ok: bool = True


@dataclass(frozen=True)
class FigureSpec:
    """A registered figure: its builder ``build(quick: bool) -> Figure`` and a one-line help."""

    name: str
    build: Callable[..., Figure]
    help: str
    options: dict = field(default_factory=dict)


FIGURES: dict[str, FigureSpec] = {}


def register_figure(name: str, build: Callable[..., Figure], help: str) -> None:
    """Add a figure under ``name`` (re-registering the same builder is a no-op)."""
    FIGURES[name] = FigureSpec(name, build, help)


def render(
    name: str, out: str | Path, *, quick: bool = False, **options: Any
) -> tuple[Figure, list[str], tuple[str, ...]]:
    """Build figure ``name`` and write its files into ``out``.

    Returns
    -------
    (figure, files, notes) : the figure, the paths written, and notes (e.g. the install hint
    when matplotlib is missing -- the JSON is written anyway).
    """
    if name not in FIGURES:
        raise UnknownNameError(f"unknown figure {name!r}; expected one of: {', '.join(sorted(FIGURES))}")
    given = {k: v for k, v in options.items() if v is not None}
    accepted = inspect.signature(FIGURES[name].build).parameters
    for key in given:
        if key not in accepted:
            raise InvalidArgument(f"figure {name!r} takes no option --{key}; drop it")
    ensure_dir(out)  # a bad output directory is refused before the (possibly long) run
    fig = FIGURES[name].build(quick=quick, **given)
    files, notes = write_figure(out, name, fig.data, fig.draw)
    return fig, files, notes


@dataclass(frozen=True)
class RenderedFigure:
    """A figure computed and written by :func:`render_figure`.

    Attributes
    ----------
    name : str
        The registered figure name.
    figure : Figure
        The computed numbers, summary and verdict.
    files : tuple of str
        Paths written (``NAME.json``, and ``NAME.png`` / ``NAME.pdf`` with matplotlib).
    notes : tuple of str
        Notes for the user (e.g. the install hint when matplotlib is missing).
    """

    name: str
    figure: Figure
    files: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every verdict of the figure was the expected one."""
        return self.figure.ok

    @property
    def text(self) -> str:
        """Human summary followed by the files written."""
        return self.figure.text + "\nwrote: " + ", ".join(self.files)

    def as_dict(self) -> dict:
        """JSON-ready record: ``figure`` (name), ``files``, ``ok``, then the figure's numbers."""
        return {"figure": self.name, "files": list(self.files), "ok": self.figure.ok, **self.figure.data}


def render_figure(name: str, out: str | Path, *, quick: bool = False, **options: Any) -> RenderedFigure:
    """Build figure ``name``, write its files into ``out`` (see :func:`render`) and return the record.

    Parameters
    ----------
    name : str
        A registered figure name (see :data:`FIGURES`).
    out : path
        Output directory (created if missing).
    quick : bool
        Smaller run (for smoke tests).
    **options
        Builder options (``None`` values are dropped), e.g. ``data`` for figures that read data.

    Returns
    -------
    RenderedFigure
    """
    fig, files, notes = render(name, out, quick=quick, **options)
    return RenderedFigure(name, fig, tuple(files), notes)
