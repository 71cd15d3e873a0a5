"""Index-form flows compiled to vectorised NumPy: right-hand side, loss, quantity.

Role: large-``M`` numerics.  :func:`compile_indexed` prints the blocks of an
:class:`~theory.symbolic.indexed.IndexedFlow` with
:class:`~theory.numeric.indexed_print.IndexedPrinter` into three generated functions and
executes them through :func:`theory.numeric._compiled.compile_source` (the only place
generated code runs).  Cost per call is :math:`O(NKM)`; ``M = 10^4`` is routine.

Between printing and executing, statement-level passes cut the NumPy calls (each costs
~0.5-1.5 us, which dominates at small ``M``): :func:`share_products` (shared sub-products,
products of earlier products), :func:`write_into` (the last product of a block computed into
the output array) and :func:`prune` (unused statements).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np

from ._compiled import compile_source
from ._indexed_layout import Layout, layout_of

if TYPE_CHECKING:
    from .indexed_print import IndexedPrinter

__all__ = ["CompiledIndexedFlow", "compile_indexed", "prune", "share_products", "write_into"]


@dataclass(frozen=True)
class CompiledIndexedFlow:
    """The index-form JoMA flow compiled to vectorised NumPy, for any ``M``.

    State layout (the same as :func:`theory.models.joma_block`): ``y`` has ``K (M + 1) + M``
    entries; ``y[:K (M+1)].reshape(K, M + 1)`` holds row ``k`` = ``(v[k, 0..M-1], vm[k])``
    and ``y[K (M+1):]`` is ``z``.  Data: ``x`` (N, M) frequencies and ``targets`` (K, N)
    (``y`` targets for the squared loss, ``g`` gradients otherwise); constants ``T``,
    ``eta_w``, ``eta_z``; ``bbar`` (M,) for the softmax quantity.

    Attributes
    ----------
    name : str
    quantity_name : str
        Catalogue entry whose quantity :meth:`quantity` evaluates.
    source : str
        The generated NumPy source of all three functions.
    """

    name: str
    quantity_name: str
    source: str
    layout: Layout = field(repr=False)
    _fns: dict[str, Callable] = field(repr=False)
    extras: tuple[str, ...] = ()

    def size(self, M: int, K: int, **sizes: int) -> int:
        """Length of the state vector (JoMA sizes by position; any layout's sizes by name)."""
        return self.layout.size({"M": M, "K": K, "N": 1, **sizes})

    def split(self, y: np.ndarray, M: int, K: int) -> tuple[np.ndarray, ...]:
        """``y`` -> the state blocks in layout order (views); JoMA: ``(v (K, M), vm (K,), z (M,))``."""
        return tuple(self.layout.split(y, {"M": M, "K": K, "N": 1}).values())

    def pack(self, *blocks: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`split`: the blocks in layout order (JoMA: ``v, vm, z``)."""
        names = [b.name for g in self.layout.groups for b in g.blocks]
        arrays = dict(zip(names, (np.asarray(b, dtype=float) for b in blocks), strict=True))
        sizes = {}
        for g in self.layout.groups:
            for b in g.blocks:
                for axis, index in enumerate(b.free):
                    sizes[self.layout.size_of[index].name] = arrays[b.name].shape[axis]
        return self.layout.pack(arrays, {"N": 1, **sizes})

    def rhs(self, y: np.ndarray, *args: Any) -> np.ndarray:
        """:math:`\\dot y` for one state ``y`` (1-D); ``args``: the data arrays, then the constants."""
        return self._fns["rhs"](np.asarray(y, dtype=float), *args)

    def loss(self, y: np.ndarray, *args: Any) -> float:
        """The training loss at ``y`` (missing trailing constants default to 1: they do not enter the loss)."""
        full = list(args) + [1.0] * (len(self.layout.data) + len(self.layout.constants) - len(args))
        return float(self._fns["loss"](np.asarray(y, dtype=float), *full))

    def as_record(self) -> dict:
        """Plain-data form for the compiled-flow cache (:mod:`theory.numeric.flow_cache`):
        the generated source of each function, the layout and the names."""
        return {
            "name": self.name,
            "quantity_name": self.quantity_name,
            "functions": {name: getattr(fn, "__source__") for name, fn in self._fns.items()},  # noqa: B009
            "layout": self.layout.as_json(),
            "extras": list(self.extras),
        }

    @classmethod
    def from_record(cls, record: dict) -> CompiledIndexedFlow:
        """Rebuild from :meth:`as_record` with no symbolic work (the cache checks the record's
        digest before this runs: the source is this package's own printer output)."""
        functions = {str(k): str(v) for k, v in record["functions"].items()}
        fns = {name: compile_source(src, name) for name, src in functions.items()}
        layout = Layout.from_json(record["layout"])
        source = "\n\n".join(functions.values())
        extras = tuple(map(str, record["extras"]))
        return cls(str(record["name"]), str(record["quantity_name"]), source, layout, fns, extras)

    def quantity(self, y: np.ndarray, *args: Any, **extras: Any) -> np.ndarray:
        """The index-form quantity's components at ``y`` (extra arrays such as ``bbar`` by position or name)."""
        limit = len(self.layout.data) + len(self.layout.constants) + len(self.extras)
        if all(a is None for a in args[limit:]):  # an unused extra passed as None (e.g. bbar for exp attention)
            args = args[:limit]
        return self._fns["quantity"](np.asarray(y, dtype=float), *args, **extras)


def _printer(iflow: Any, layout: Layout, extras: Sequence[str]) -> IndexedPrinter:
    from ..symbolic import indexed as ix
    from .indexed_print import IndexedPrinter

    scalars = {size: size.name for size in set(layout.size_of.values())}
    scalars |= {c: str(c) for c in iflow.constants}
    arrays = {b.name: b.name for g in layout.groups for b in g.blocks}
    arrays |= {name: var for (name, _), var in zip(iflow.data, layout.data, strict=True)}
    arrays |= {e: e for e in extras}
    classes = {index: size.name for index, size in layout.size_of.items()}
    order = [ix.c, ix.k, ix.n, ix.i, ix.l, ix.j]
    return IndexedPrinter(order, arrays, scalars, classes, big=("M",))


def _out(name: str, axes: tuple, free: tuple, layout: Layout) -> str:
    shape = ", ".join(layout.size_of[a].name for a in free)
    idx = ", ".join(":" if a in axes else "None" for a in free)
    view = f"{name}[{idx}]" if axes and tuple(axes) != tuple(free) else name
    # assignment into the output slices broadcasts by itself; only a scalar needs np.full
    return view if axes else (f"np.full(({shape},), {name})" if free else name)


_Products = dict[str, tuple[list[str], list[str], str]]


def share_products(lines: list[str], products: _Products) -> tuple[list[str], _Products]:
    """Statements with array sub-products common to several products computed once.

    Greedy, like SymPy's ``cse`` for commutative products (``opt_cse``): while two or more
    products share at least two array factors, the shared set most worth hoisting (saved
    multiplications) becomes one temporary, emitted before its first use.  Then products are
    rewritten as products of earlier ones when that takes fewer factors (:func:`_cover`).
    Products are reassociated, which changes values by rounding only.

    Parameters
    ----------
    lines : list of str
        ``name = code`` statements of an :class:`IndexedPrinter` (single assignment).
    products : dict
        Its ``products`` records: ``name -> (scalar factors, array factors, reduced axes)``.

    Returns
    -------
    (list of str, dict)
        The new statements and records.
    """
    lines, prods = list(lines), dict(products)
    for count in range(len(prods)):
        sets = {n: frozenset(arr) for n, (_, arr, _) in prods.items() if len(arr) >= 2}
        candidates = {sets[p] & sets[q] for p, q in combinations(sets, 2) if len(sets[p] & sets[q]) >= 2}
        best, users = None, []
        for cand in sorted(candidates, key=sorted):
            who = [n for n in sets if cand <= sets[n]]
            if len(who) >= 2 and (
                best is None or (len(who) - 1) * (len(cand) - 1) > (len(users) - 1) * (len(best) - 1)
            ):
                best, users = cand, who
        if best is None:
            break
        pos = {line.split(" = ", 1)[0]: p for p, line in enumerate(lines)}
        first = min(users, key=pos.__getitem__)
        tokens = [t for t in prods[first][1] if t in best]
        name = f"s{count}"
        lines.insert(pos[first], f"{name} = {' * '.join(tokens)}")
        prods[name] = ([], tokens, "")
        for n in users:  # every user comes after the insertion point
            scal, arr, red = prods[n]
            rest = list(arr)
            for t in best:
                rest.remove(t)
            prods[n] = (scal, [name, *rest], red)
            lines[pos[n] + 1] = _assign(n, scal, [name, *rest], red)
    return _cover(lines, prods), prods


def _assign(name: str, scal: list[str], arr: list[str], red: str) -> str:
    code = " * ".join([*scal, *arr])
    return f"{name} = " + (f"np.add.reduce({code}, {red})" if red else code)


def _cover(lines: list[str], prods: _Products) -> list[str]:
    """Rewrite products as products of earlier ones when that takes fewer factors.

    Factors that are themselves plain products are expanded to their base factors (a
    multiset); e.g. :math:`s p^2 q` is :math:`(s p)(p q)` when both were computed before.
    Statements left unused are removed by :func:`prune`.  Updates ``prods`` in place.
    """
    plain = {n: arr for n, (scal, arr, red) in prods.items() if not scal and not red}

    def base(tokens: list[str]) -> Counter:
        out: Counter = Counter()
        for t in tokens:
            out += base(plain[t]) if t in plain else Counter([t])
        return out

    pos = {line.split(" = ", 1)[0]: p for p, line in enumerate(lines)}
    for n, (scal, arr, red) in prods.items():
        parts: list[str] = []
        want = base(arr)
        for m in sorted((m for m in plain if pos[m] < pos[n]), key=lambda m: -sum(base(plain[m]).values())):
            b = base(plain[m])
            if len(plain[m]) > 1 and not b - want:
                want, parts = want - b, [*parts, m]
        new = [*parts, *want.elements()]
        if parts and len(new) < len(arr):
            prods[n] = (scal, new, red)
            lines[pos[n]] = _assign(n, scal, new, red)
    return lines


def prune(lines: list[str], keep: Sequence[str]) -> list[str]:
    """``lines`` without the assignments whose temporaries nothing uses (``keep``: results)."""
    lines, used = list(lines), set(keep)
    for p in range(len(lines) - 1, -1, -1):
        target, sep, code = lines[p].partition(" = ")
        if not sep:  # a call writing into the output, e.g. np.multiply(..., out=...)
            target, code = "", lines[p]
        if re.fullmatch(r"[ts]\d+", target) and target not in used:
            del lines[p]
            continue
        used |= set(re.findall(r"\b[ts]\d+\b", code))
    return lines


def write_into(lines: list[str], products: _Products, name: str, target: str) -> list[str] | None:
    """``lines`` with the product defining ``name`` written into ``target`` in place.

    ``np.multiply(..., out=target)`` saves a temporary and its copy; ``None`` when ``name``
    is not a product of two or more factors or is used by another statement.
    """
    scal, arr, red = products.get(name, ([], [], ""))
    tokens = [*scal, *arr]
    used = re.compile(rf"\b{name}\b")
    if red or not arr or len(tokens) < 2 or any(used.search(line.split(" = ", 1)[-1]) for line in lines):
        return None
    new = [line for line in lines if not line.startswith(f"{name} = ")]
    pos = next(p for p, line in enumerate(lines) if line.startswith(f"{name} = "))
    new.insert(pos, f"np.multiply({' * '.join(tokens[:-1])}, {tokens[-1]}, out={target})")
    return new


def _function(
    fname: str,
    doc: str,
    printer: IndexedPrinter,
    exprs: list,
    tail: Callable[[list], str],
    layout: Layout,
    extras: Sequence[str],
    targets: tuple = (),
) -> str:
    emitted = [(printer.emit(e), free) for e, free in exprs]
    (lines, products), head = share_products(printer.lines, printer.products), ""
    results: list[str | None] = [_out(n, ax, fr, layout) for (n, ax), fr in emitted]
    if targets:  # products computed straight into the output array (no temporary, no copy)
        head = layout.output_head()
        names = [n for (n, _), _ in emitted]
        for k, ((name, axes), free) in enumerate(emitted):
            others = [f"_ = {n}" for m, n in enumerate(names) if m != k]  # other outputs count as uses
            new = write_into(lines + others, products, name, targets[k]) if tuple(axes) == tuple(free) else None
            if new is not None and names.count(name) == 1:
                lines, results[k] = new[: len(new) - len(others)], None
    lines = prune(lines, [n for ((n, _), _), r in zip(emitted, results, strict=True) if r is not None])
    body = "\n".join(f"    {line}" for line in lines)
    signature = layout.signature(extras)
    return f'def {fname}{signature}:\n    """{doc}"""\n{layout.prologue()}{head}{body}\n{tail(results)}'


def _extras(iflow: Any, layout: Layout) -> list[str]:
    """Arrays the quantity reads that are neither state nor data (e.g. ``bbar``): keyword arguments."""
    known = {b.name for g in layout.groups for b in g.blocks} | {name for name, _ in iflow.data}
    quantity = getattr(iflow, "quantity", None)
    import sympy as sp

    found = {str(a.base) for a in quantity.atoms(sp.Indexed)} if quantity is not None else set()
    return sorted(found - known)


def compile_indexed(iflow: Any) -> CompiledIndexedFlow:
    """Compile an :class:`theory.symbolic.indexed.IndexedFlow` to vectorised NumPy.

    Any index-form flow whose state blocks have at most two free indices and whose sizes
    each index some data array: the state layout, signature and output slices come from
    :func:`theory.numeric._indexed_layout.layout_of`, not from a model.

    Why a hand-written printer rather than the library route (shared sub-expressions + one
    cached ``opt_einsum.contract_expression`` per sum): measured side by side by
    ``bench/bench_printer_routes.py`` on the softmax JoMA flow, the printer's straight-line
    NumPy is 15x, 19x, 32x and 5.5x faster at M = 10, 100, 1000, 10^4 (the library route
    pays a dispatch per node and builds broadcast temporaries the printer's planner avoids);
    SymPy's own array-expression printer cannot express these flows (elementwise functions of
    contractions).

    Returns
    -------
    CompiledIndexedFlow
        ``rhs``, ``loss`` and ``quantity`` generated from the index-form expressions;
        the source is kept in ``.source``.
    """
    from ..symbolic import indexed as ix

    layout = layout_of(iflow, ix.SIZE_OF)
    extras = _extras(iflow, layout)
    targets = layout.targets()
    order = [name for name, _, _ in iflow.blocks]
    blocks = {name: (expr, free) for name, free, expr in iflow.blocks}
    rhs = _function(
        "rhs",
        f"Vectorised right-hand side of {iflow.name} (generated from the index form).",
        _printer(iflow, layout, extras),
        [blocks[name] for name in order],
        lambda o: (
            "".join(f"    {targets[t]} = {r}\n" for t, r in zip(order, o, strict=True) if r is not None)
            + "    return out\n"
        ),
        layout,
        extras,
        tuple(targets[name] for name in order),
    )
    loss = _function(
        "loss",
        f"Training loss of {iflow.name}.",
        _printer(iflow, layout, extras),
        [(iflow.loss, ())],
        lambda o: f"    return {o[0]}\n",
        layout,
        extras,
    )
    sources = [("rhs", rhs), ("loss", loss)]
    quantity_expr = getattr(iflow, "quantity", None)
    if quantity_expr is not None:
        free = tuple(sorted((quantity_expr.free_symbols & set(ix.SIZE_OF)), key=str))
        quantity = _function(
            "quantity",
            f"The {getattr(iflow, 'quantity_name', 'index-form')} quantity, one component per free index value.",
            _printer(iflow, layout, extras),
            [(quantity_expr, free)],
            lambda o: f"    return np.array({o[0]})\n",
            layout,
            extras,
        )
        sources.append(("quantity", quantity))
    source = "\n\n".join(src for _, src in sources)
    fns = {name: compile_source(src, name) for name, src in sources}
    return CompiledIndexedFlow(iflow.name, getattr(iflow, "quantity_name", ""), source, layout, fns, tuple(extras))
