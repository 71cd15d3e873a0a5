"""Every figure is written, replots from its data file, and reads in a paper column.

Each figure of the package is rendered once at a reduced size (``--quick`` runs, small
reports); then, for each one:

* ``NAME.json``, ``NAME.png`` and ``NAME.pdf`` exist under the one naming scheme, and the PNG
  is at most a page (7 in) wide at its 300 dpi;
* ``NAME.json`` replots it: it loads, every number in it is finite, and the figure's own
  ``draw(plt, data)`` redraws it from that data alone;
* the redrawn figure passes :func:`problems`: fonts >= 8 pt, every axis labelled in maths
  notation, every colour explained by a legend or a colour bar, no legend over data.

:func:`problems` is checked against figures that break one rule each (negative controls),
so it cannot pass everything.  ``joma-realtext`` needs torch and the SST data.
"""

from __future__ import annotations

import json
import math
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import SST_DIR

from theory._plotting import FONT_PT, NAME_PATTERN, PAGE, STYLE, pyplot, write_figure

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

plt = pytest.importorskip("matplotlib.pyplot")
pyplot()  # the Agg backend

JOMA = ("joma-invariant", "joma-entropy", "joma-linear", "joma-components", "joma-full")
LU_SYNTHETIC = ("lu-identity-curve", "lu-drift-vs-lr", "lu-convergence")
LU_SST = ("lu-sst2-identity", "lu-sst2-purity")
ALL = (*JOMA, "hierarchy-scores", *LU_SYNTHETIC, *LU_SST)


# ----------------------------------------------------------------------------- the checker
def _data_points(ax: Any) -> np.ndarray:
    """Display coordinates of what ``ax`` draws: line vertices (densified), markers, bars."""
    pts = []
    for line in ax.get_lines():
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if len(xy) > 1 and line.get_linestyle() not in ("None", "", " "):
            s = np.linspace(0.0, 1.0, 25)[:, None, None]
            xy = (xy[:-1][None] * (1 - s) + xy[1:][None] * s).reshape(-1, 2)
        pts.append(xy)
    for coll in ax.collections:
        offsets = np.asarray(coll.get_offsets(), dtype=float)
        if offsets.size:
            pts.append(coll.get_offset_transform().transform(offsets))
        for seg in getattr(coll, "get_segments", list)():
            pts.append(coll.get_transform().transform(np.asarray(seg, dtype=float)))
    for patch in ax.patches:
        box = patch.get_window_extent()
        xs, ys = np.linspace(box.x0, box.x1, 10), np.linspace(box.y0, box.y1, 10)
        pts.append(np.array([(x, y) for x in xs for y in ys]))
    return np.concatenate(pts) if pts else np.empty((0, 2))


def _colours(ax: Any) -> set[tuple[float, ...]]:
    """Non-grey colours of the lines, markers and bars of ``ax``."""
    from matplotlib.colors import to_rgba

    found: list[Any] = [line.get_color() for line in ax.get_lines()]
    for coll in ax.collections:
        found += list(coll.get_facecolors()) + list(coll.get_edgecolors())
    found += [p.get_facecolor() for p in ax.patches]
    rgba = {tuple(round(c, 3) for c in to_rgba(c)) for c in found}
    return {c for c in rgba if c[3] > 0 and not (c[0] == c[1] == c[2])}


def problems(fig: Any) -> list[str]:
    """What keeps ``fig`` from reading in a paper column (empty: nothing)."""
    out = []
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width = fig.get_size_inches()[0]
    if width > PAGE + 1e-9:
        out.append(f"width {width:.1f} in > {PAGE} in")
    for text in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text")):
        if text.get_visible() and text.get_text().strip() and text.get_fontsize() < FONT_PT - 1e-9:
            out.append(f"font {text.get_fontsize():g} pt < {FONT_PT} pt: {text.get_text()!r}")
    plots = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    has_colorbar = len(plots) < len(fig.axes)
    legends = [ax.get_legend() for ax in plots if ax.get_legend() is not None] + list(fig.legends)
    for ax in plots:
        for axis, shared in (("x", ax.get_shared_x_axes()), ("y", ax.get_shared_y_axes())):
            labels = [getattr(a, f"get_{axis}label")() for a in shared.get_siblings(ax)]
            if not any("$" in label for label in labels):
                out.append(f"{axis} axis not labelled in maths notation: {labels}")
        if len(_colours(ax)) > 1 and ax.get_legend() is None and not fig.legends and not has_colorbar:
            out.append(f"{len(_colours(ax))} colours and no legend or colour bar")
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in plots:
            pts = _data_points(ax)
            inside = (pts[:, 0] > box.x0) & (pts[:, 0] < box.x1) & (pts[:, 1] > box.y0) & (pts[:, 1] < box.y1)
            if inside.any():
                out.append(f"legend over {int(inside.sum())} data points")
    return out


# ----------------------------------------------------------------------------- the figures
def _drawers() -> dict[str, Any]:
    from theory.dynamics.figure_drawings import DRAW as JOMA_DRAW
    from theory.hierarchy.figure import FIGURE_STEM
    from theory.hierarchy.figure import draw as hierarchy_draw
    from theory.lu.plots import DRAW as LU_DRAW

    lu = {name: LU_DRAW[name] for name in LU_SYNTHETIC}
    lu |= {name: LU_DRAW["lu-TASK-" + name.rsplit("-", 1)[1]] for name in LU_SST}
    return {**JOMA_DRAW, FIGURE_STEM: hierarchy_draw, **lu}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, sst_dir_or_none) -> Path:
    """Every figure (but joma-realtext) rendered once, reduced, into one directory."""
    from theory.dynamics import figures  # noqa: F401  (registers the JoMA figures)
    from theory.dynamics.figure_registry import render_figure
    from theory.hierarchy.figure import attach_figure
    from theory.hierarchy.report import HierarchyConfig, hierarchy_report
    from theory.hierarchy.toy import ToyConfig
    from theory.lu.report import sst_report, synthetic_report, with_figures

    out = tmp_path_factory.mktemp("figures")
    for name in JOMA:
        render_figure(name, out, quick=True)
    toy = ToyConfig(steps=60, record_every=20, n_train=1000, n_test=500)
    attach_figure(hierarchy_report(3, 2, HierarchyConfig(samples=4000, toy_runs=2, toy_config=toy)), out)
    synth = synthetic_report(
        n_sentences=400, n_nontopic=150, epochs=200, lrs=(0.8, 0.4), horizon=150, ablation_epochs=100
    )
    with_figures(synth, "synthetic", out)
    if sst_dir_or_none is not None:
        with_figures(sst_report(sst_dir_or_none, task="sst2", classifier="FC", epochs=100, max_train=400), "sst", out)
    return out


@pytest.fixture(scope="module")
def sst_dir_or_none() -> Path | None:
    """The SST directory, or ``None`` outside CI when it is missing (CI must have it)."""
    if not SST_DIR.is_dir() and os.environ.get("CI"):
        pytest.fail(f"SST data not found at {SST_DIR}; CI must have ../shared beside the clone")
    return SST_DIR if SST_DIR.is_dir() else None


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", head[16:24])


def _numbers(obj: Any) -> list[float]:
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in _numbers(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in _numbers(v)]
    return [float(obj)] if isinstance(obj, (int, float)) and not isinstance(obj, bool) else []


def _arrays(obj: Any) -> list[list]:
    """The lists of two or more numbers inside ``obj`` (the curves of a figure's data)."""
    if isinstance(obj, dict):
        return [a for v in obj.values() for a in _arrays(v)]
    if isinstance(obj, list):
        if len(obj) > 1 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in obj):
            return [obj]
        return [a for v in obj for a in _arrays(v)]
    return []


def _check_figure(out: Path, name: str, draw: Any) -> None:
    for ext in ("json", "png", "pdf"):
        assert (out / f"{name}.{ext}").stat().st_size > 100, f"{name}.{ext} missing or empty"
    width_px, _ = _png_size(out / f"{name}.png")
    assert width_px / STYLE["savefig.dpi"] <= PAGE + 0.1, f"{name}.png is {width_px} px wide"
    data = json.loads((out / f"{name}.json").read_text())  # Python's json would accept NaN: checked below
    assert _arrays(data), f"{name}.json holds no array of numbers"
    assert all(math.isfinite(x) for x in _numbers(data))
    with plt.style.context(STYLE):
        fig = draw(plt, data)
        try:
            assert problems(fig) == [], name
        finally:
            plt.close(fig)


@pytest.mark.slow  # the shared fixture runs every experiment at a reduced size (~25 s CPU in all)
@pytest.mark.parametrize("name", ALL)
def test_figure_is_written_and_replots_from_its_data(rendered: Path, sst_dir_or_none, name: str) -> None:
    if name in LU_SST and sst_dir_or_none is None:
        pytest.skip("SST data not found (CI has ../shared beside the clone)")
    _check_figure(rendered, name, _drawers()[name])


@pytest.mark.slow
def test_every_output_follows_the_naming_scheme(rendered: Path) -> None:
    names = {p.name for p in rendered.iterdir()}
    assert not [n for n in names if n.startswith(".")]  # atomic writes leave no temporaries
    for n in names:
        stem, ext = n.rsplit(".", 1)
        assert NAME_PATTERN.fullmatch(stem) and ext in ("json", "png", "pdf"), n
    stems = {n.rsplit(".", 1)[0] for n in names}
    assert {n for n in ALL if n not in LU_SST} <= stems


@pytest.mark.slow
@pytest.mark.torch
def test_joma_realtext_is_written_and_replots(tmp_path: Path, sst_dir_or_none) -> None:
    pytest.importorskip("torch")
    if sst_dir_or_none is None:
        pytest.skip("SST data not found")
    from theory.dynamics import figures  # noqa: F401
    from theory.dynamics.figure_drawings import DRAW
    from theory.dynamics.figure_registry import render_figure

    render_figure("joma-realtext", tmp_path, quick=True, data=str(sst_dir_or_none))
    _check_figure(tmp_path, "joma-realtext", DRAW["joma-realtext"])


# ----------------------------------------------------------------------------- negative controls
def _line_figure(width: float = 3.4, **opts: Any) -> Any:
    with plt.style.context(STYLE):
        fig, ax = plt.subplots(figsize=(width, 2.5), layout="constrained")
        x = np.linspace(0, 1, 50)
        ax.plot(x, x, color="C0", label="a")
        ax.plot(x, 1 - x, color="C3", label="b")
        ax.set(xlabel=opts.get("xlabel", r"$x$"), ylabel=r"$y$")
        if opts.get("legend", "outside") == "outside":
            fig.legend(loc="outside upper center", ncol=2)
        elif opts["legend"] == "centre":
            ax.legend(loc="center")  # the two lines cross under it
        if "tiny" in opts:
            ax.text(0.1, 0.9, "note", fontsize=opts["tiny"])
    return fig


@pytest.mark.parametrize(
    ("opts", "expected"),
    [
        ({}, None),
        ({"width": 9.0}, "width 9.0 in"),
        ({"xlabel": "x"}, "x axis not labelled in maths notation"),
        ({"legend": None}, "2 colours and no legend or colour bar"),
        ({"legend": "centre"}, "legend over"),
        ({"tiny": 6}, "font 6 pt"),
    ],
)
def test_problems_catches_each_broken_rule(opts: dict, expected: str | None) -> None:
    opts = dict(opts)
    fig = _line_figure(opts.pop("width", 3.4), **opts)
    try:
        found = problems(fig)
    finally:
        plt.close(fig)
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].startswith(expected), found


def test_write_figure_refuses_other_names_and_nan(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not match"):
        write_figure(tmp_path, "lu_convergence", {"x": [1.0]}, None)
    with pytest.raises(ValueError, match="not finite"):
        write_figure(tmp_path, "bad", {"x": [1.0, float("nan")]}, None)
    assert list(tmp_path.iterdir()) == []  # nothing half-written
    files, notes = write_figure(tmp_path, "good-name", {"x": [1.0]}, None)
    assert files == [str(tmp_path / "good-name.json")] and notes == ()


def test_a_figure_is_drawn_from_its_json_as_read_back(tmp_path: Path) -> None:
    """The drawing sees the file's content, not the caller's objects (NumPy arrays become lists)."""
    seen = []

    def draw(plt_: Any, data: Any) -> Any:
        seen.append(data)
        fig, ax = plt_.subplots(figsize=(3.4, 2.0))
        ax.plot(data["x"])
        return fig

    write_figure(tmp_path, "probe", {"x": np.arange(3.0)}, draw)
    assert seen == [{"x": [0.0, 1.0, 2.0]}] and type(seen[0]["x"]) is list
    assert (tmp_path / "probe.png").exists() and (tmp_path / "probe.pdf").exists()


def test_reproduce_writes_a_figure_json_once(tmp_path: Path) -> None:
    from theory.reproduce import reproduce

    summary = reproduce(tmp_path, steps=["figure-joma-linear"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "figures",
        "manifest.json",
        "summary.json",
    ]  # no figure-*.json
    (step,) = summary.steps
    assert step.files[0] == str(tmp_path / "figures" / "joma-linear.json")
    assert sorted(Path(f).name for f in step.files) == ["joma-linear.json", "joma-linear.pdf", "joma-linear.png"]
