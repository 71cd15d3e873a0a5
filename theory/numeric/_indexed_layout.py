"""Where each state block of an index-form flow lives in the flat state vector.

An index-form flow (:class:`theory.symbolic.indexed.IndexedFlow`) has state blocks with free
indices, e.g. ``v[c, i]``, ``vm[c]``, ``z[i]``, data arrays such as ``x[n, l]`` and scalar
constants.  The ODE solver needs one flat vector, so the blocks are laid out in *row groups*:
consecutive blocks whose first free index is the same form one group whose row ``r`` is the
concatenation of each block's row ``r`` (``v[c, :]`` then ``vm[c]``: the order of
:func:`theory.models.joma_block`, where each hidden node's weights come together); any other
block is its own flat group.  Sizes are read from the data arrays' shapes, so every size
symbol must index some data array.

:class:`Layout` turns that into the generated code's prologue (views of the state), its
output slices and its signature, for any index-form flow: nothing here names a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ModelError
from ._compiled import Name

if TYPE_CHECKING:
    import sympy as sp

__all__ = ["Layout", "layout_of"]

#: generated-code names a data array may not take (they hold the state and the output)
_RESERVED = {"y": "tg", "out": "out_data", "np": "np_data"}


def _cols(col: str, width: str, nfree: int) -> str:
    """Column selector of a block inside its row group: one column, or ``col:col + width``."""
    if nfree == 1:
        return col
    return f":{width}" if col == "0" else f"{col}:{col} + {width}"


def _span(start: str, end: str) -> str:
    return f":{end}" if start == "0" else f"{start}:{end}"


@dataclass(frozen=True)
class _Block:
    name: str
    free: tuple[sp.Symbol, ...]


@dataclass(frozen=True)
class _Group:
    row: sp.Symbol | None  # the shared leading index; None: one flat block
    blocks: tuple[_Block, ...]


@dataclass(frozen=True)
class Layout:
    """The flat-vector layout of an index-form flow's state, and the names of its arguments.

    Attributes
    ----------
    groups : tuple
        Row groups in state order.
    sizes : dict
        ``size symbol -> (data variable, axis)`` it is read from.
    size_of : dict
        ``index symbol -> size symbol``.
    data : tuple of str
        Variable names of the data arrays, in argument order.
    constants : tuple of str
        Names of the scalar constants, in argument order.
    """

    groups: tuple[_Group, ...]
    sizes: dict[sp.Symbol, tuple[str, int]]
    size_of: dict[sp.Symbol, sp.Symbol]
    data: tuple[str, ...]
    constants: tuple[str, ...]

    # ------------------------------------------------------------------ code generation

    def _n(self, index: sp.Symbol | None) -> str:
        return "1" if index is None else self.size_of[index].name

    def _width(self, group: _Group) -> list[str]:
        return [self._n(b.free[1] if group.row is not None and len(b.free) > 1 else None) for b in group.blocks]

    def _extent(self, group: _Group) -> str:
        if group.row is None:
            b = group.blocks[0]
            return " * ".join(self._n(a) for a in b.free) or "1"
        widths = self._width(group)
        width = " + ".join(widths)
        return f"{self._n(group.row)} * ({width})" if len(widths) > 1 else f"{self._n(group.row)} * {width}"

    def _spans(self) -> list[tuple[_Group, str, str]]:
        out, offset = [], "0"
        for g in self.groups:
            end = f"{offset} + {self._extent(g)}" if offset != "0" else self._extent(g)
            out.append((g, offset, end))
            offset = f"({end})"
        return out

    def signature(self, extras: Sequence[str] = ()) -> str:
        """``(y, <data>, <constants>, <extra>=None)`` of the generated functions."""
        return "(" + ", ".join(["y", *self.data, *self.constants, *(f"{e}=None" for e in extras)]) + ")"

    def prologue(self) -> str:
        """Sizes from the data shapes, then a view of every state block."""
        lines = [f"{s.name} = {var}.shape[{axis}]" for s, (var, axis) in self.sizes.items()]
        for p, (g, start, end) in enumerate(self._spans()):
            if g.row is None:
                b = g.blocks[0]
                shape = ", ".join(self._n(a) for a in b.free)
                view = f"y[{_span(start, end)}]"
                lines.append(f"{b.name} = {view}.reshape({shape})" if len(b.free) > 1 else f"{b.name} = {view}")
                continue
            width = " + ".join(self._width(g))
            lines.append(f"w{p} = y[{_span(start, end)}].reshape({self._n(g.row)}, {width})")
            col = "0"
            for b, wid in zip(g.blocks, self._width(g), strict=True):
                lines.append(f"{b.name} = w{p}[:, {_cols(col, wid, len(b.free))}]")
                col = f"{col} + {wid}" if col != "0" else wid
        return "".join(f"    {line}\n" for line in lines)

    def output_head(self) -> str:
        """``out`` and one row view per row group, for the right-hand side."""
        lines = ["out = np.empty_like(y)"]
        for p, (g, start, end) in enumerate(self._spans()):
            if g.row is not None:
                lines.append(
                    f"ow{p} = out[{_span(start, end)}].reshape({self._n(g.row)}, {' + '.join(self._width(g))})"
                )
        return "".join(f"    {line}\n" for line in lines)

    def targets(self) -> dict[str, str]:
        """``block name -> output slice`` written by the right-hand side."""
        out: dict[str, str] = {}
        for p, (g, start, end) in enumerate(self._spans()):
            if g.row is None:
                out[g.blocks[0].name] = f"out[{_span(start, end)}]"
                continue
            col = "0"
            for b, wid in zip(g.blocks, self._width(g), strict=True):
                out[b.name] = f"ow{p}[:, {_cols(col, wid, len(b.free))}]"
                col = f"{col} + {wid}" if col != "0" else wid
        return out

    # ------------------------------------------------------------------ run-time helpers

    def as_json(self) -> dict:
        """Plain-data form (symbol names only) for the compiled-flow cache; see :meth:`from_json`."""
        return {
            "groups": [
                [None if g.row is None else g.row.name, [[b.name, [a.name for a in b.free]] for b in g.blocks]]
                for g in self.groups
            ],
            "sizes": [[s.name, var, axis] for s, (var, axis) in self.sizes.items()],
            "size_of": [[a.name, s.name] for a, s in self.size_of.items()],
            "data": list(self.data),
            "constants": list(self.constants),
        }

    @classmethod
    def from_json(cls, record: Mapping) -> Layout:
        """Inverse of :meth:`as_json` (a :class:`~theory.numeric._compiled.Name` per symbol, no SymPy:
        only names are ever compared)."""
        memo: dict[str, Name] = {}

        def sym(name: str) -> Name:
            return memo.setdefault(str(name), Name(str(name)))

        groups = tuple(
            _Group(
                None if row is None else sym(row),
                tuple(_Block(str(n), tuple(sym(a) for a in free)) for n, free in blocks),
            )
            for row, blocks in record["groups"]
        )
        sizes = {sym(s): (str(var), int(axis)) for s, var, axis in record["sizes"]}
        size_of = {sym(a): sym(s) for a, s in record["size_of"]}
        return cls(groups, sizes, size_of, tuple(map(str, record["data"])), tuple(map(str, record["constants"])))

    def _ints(self, sizes: Mapping[str, int]) -> dict[sp.Symbol, int]:
        missing = sorted(s.name for s in self.sizes if s.name not in sizes)
        if missing:
            raise ModelError(f"sizes {missing} are needed for this layout; pass them, e.g. {missing[0]}=10")
        return {s: int(sizes[s.name]) for s in self.sizes}

    def _blocks_at(self, sizes: Mapping[str, int]) -> list[tuple[_Group, int, list[int]]]:
        """``(group, rows, widths)`` with the numbers at ``sizes`` (rows 1 for a flat block)."""
        n = self._ints(sizes)
        size = {a: n[s] for a, s in self.size_of.items()}
        out = []
        for g in self.groups:
            if g.row is None:
                out.append((g, 1, [int(np.prod([size[a] for a in g.blocks[0].free]))]))
            else:
                out.append((g, size[g.row], [size[b.free[1]] if len(b.free) > 1 else 1 for b in g.blocks]))
        return out

    def size(self, sizes: Mapping[str, int]) -> int:
        """Length of the state vector at ``sizes`` (``{"M": 10, "K": 8, "N": 16}``)."""
        return sum(rows * sum(widths) for _, rows, widths in self._blocks_at(sizes))

    def split(self, y: np.ndarray, sizes: Mapping[str, int]) -> dict[str, np.ndarray]:
        """Views of every state block of the flat state ``y``."""
        y = np.asarray(y)
        n = self._ints(sizes)
        size = {a: n[s] for a, s in self.size_of.items()}
        out: dict[str, np.ndarray] = {}
        offset = 0
        for g, rows, widths in self._blocks_at(sizes):
            seg = y[offset : offset + rows * sum(widths)]
            offset += rows * sum(widths)
            if g.row is None:
                b = g.blocks[0]
                out[b.name] = seg.reshape(tuple(size[a] for a in b.free)) if len(b.free) > 1 else seg
                continue
            w = seg.reshape(rows, sum(widths))
            col = 0
            for b, wid in zip(g.blocks, widths, strict=True):
                out[b.name] = w[:, col] if len(b.free) == 1 else w[:, col : col + wid]
                col += wid
        return out

    def pack(self, blocks: Mapping[str, np.ndarray], sizes: Mapping[str, int]) -> np.ndarray:
        """The flat state from every block's array (inverse of :meth:`split`)."""
        y = np.empty(self.size(sizes))
        for name, view in self.split(y, sizes).items():
            view[...] = blocks[name]
        return y


def layout_of(iflow: object, size_of: Mapping[sp.Symbol, sp.Symbol]) -> Layout:
    """The layout of an :class:`~theory.symbolic.indexed.IndexedFlow`'s state, data and constants.

    Raises
    ------
    ModelError
        A block with more than two free indices, or a size no data array has an axis of.
    """
    blocks = [_Block(name, tuple(free)) for name, free, _ in iflow.blocks]  # type: ignore[attr-defined]
    groups: list[_Group] = []
    for b in blocks:
        if len(b.free) > 2:
            raise ModelError(f"state block {b.name!r} has {len(b.free)} free indices; at most 2 are supported")
        if groups and b.free and groups[-1].row is not None and groups[-1].row == b.free[0]:
            groups[-1] = _Group(groups[-1].row, (*groups[-1].blocks, b))
        elif len(b.free) == 2:
            groups.append(_Group(b.free[0], (b,)))
        else:
            groups.append(_Group(None, (b,)))
    data_names = tuple(_RESERVED.get(name, name) for name, _ in iflow.data)  # type: ignore[attr-defined]
    sizes: dict[sp.Symbol, tuple[str, int]] = {}
    for (_name, indices), var in zip(iflow.data, data_names, strict=True):  # type: ignore[attr-defined]
        for axis, index in enumerate(indices):
            sizes.setdefault(size_of[index], (var, axis))
    needed = {size_of[a] for b in blocks for a in b.free}
    missing = sorted(s.name for s in needed if s not in sizes)
    if missing:
        raise ModelError(f"sizes {missing} index no data array, so they cannot be read from the data; add one")
    constants = tuple(str(c) for c in iflow.constants)  # type: ignore[attr-defined]
    return Layout(tuple(groups), sizes, dict(size_of), data_names, constants)
