"""The index-form compiler is general over flows: layouts come from the blocks, not from JoMA.

A least-squares model that is not in the catalogue (weights ``w[i]`` and a per-node bias
``u[c]``, data ``x[n, l]`` and targets ``y[k, n]``) is written in index form, differentiated by
SymPy, compiled, and compared with its gradient written by hand in NumPy (agreement to 1e-12
relative: both are a few dozen double-precision operations on O(1) numbers).  The JoMA layout
(``v`` and ``vm`` interleaved per hidden node, then ``z``) is checked against
``joma_block``'s state order.  Negative controls: a block with three free indices and a size
that no data array has are refused with a ModelError.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theory.errors import ModelError
from theory.numeric._indexed_layout import layout_of
from theory.numeric.indexed_flow import compile_indexed
from theory.symbolic.indexed import SIZE_OF, IndexedFlow, K, M, N, c, collapse, i, joma_indexed, k, l, n

RTOL = 1e-12


def _least_squares() -> IndexedFlow:
    w, u, x, y = (sp.IndexedBase(s, real=True) for s in ("w", "u", "x", "y"))
    eta = sp.Symbol("eta", positive=True)
    pred = sp.Sum(w[l] * x[n, l], (l, 1, M)) + u[k]
    loss = sp.Sum(sp.Sum((pred - y[k, n]) ** 2, (k, 1, K)), (n, 1, N)) / (2 * N)
    blocks = (("w", (i,), -eta * collapse(loss.diff(w[i]))), ("u", (c,), -eta * collapse(loss.diff(u[c]))))
    return IndexedFlow("least-squares", blocks, (("x", (n, l)), ("y", (k, n))), (eta,), loss, {}, w[i] ** 2, "w2")


def test_a_flow_that_is_not_joma_compiles_and_matches_numpy() -> None:
    flow = compile_indexed(_least_squares())
    rng = np.random.default_rng(0)
    Mv, Kv, Nv = 5, 3, 7
    x, tg = rng.standard_normal((Nv, Mv)), rng.standard_normal((Kv, Nv))
    wv, uv = rng.standard_normal(Mv), rng.standard_normal(Kv)
    y = flow.layout.pack({"w": wv, "u": uv}, {"M": Mv, "K": Kv, "N": Nv})
    assert flow.layout.size({"M": Mv, "K": Kv, "N": Nv}) == Mv + Kv
    r = (x @ wv)[None, :] + uv[:, None] - tg  # residual (K, N)
    eta = 0.5  # dL/dw_i = (1/N) sum_{k,n} r_kn x_ni, dL/du_c = (1/N) sum_n r_cn; the flow is -eta * gradient
    expected = -eta * np.concatenate([(r.sum(axis=0) @ x) / Nv, r.sum(axis=1) / Nv])
    got = flow.rhs(y, x, tg, 0.5)
    np.testing.assert_allclose(got, expected, rtol=RTOL)
    assert flow.loss(y, x, tg, 0.5) == pytest.approx(0.5 * (r**2).sum() / Nv, rel=RTOL)
    # negative control: a wrong learning rate changes the right-hand side
    assert not np.allclose(flow.rhs(y, x, tg, 0.25), expected, rtol=RTOL)


def test_joma_layout_is_the_per_symbol_state_order() -> None:
    from theory.models import joma_block

    flow = compile_indexed(joma_indexed(attention="exp", activation="tanh"))
    Mv, Kv = 3, 2
    names = [s.name for s in joma_block(Mv, Kv, 1, attention="exp").state]
    y = np.arange(flow.size(Mv, Kv), dtype=float)
    v, vm, z = flow.split(y, Mv, Kv)
    by_name = {f"v{a + 1}_{b + 1}": v[a, b] for a in range(Kv) for b in range(Mv)}
    by_name |= {f"vm{a + 1}": vm[a] for a in range(Kv)} | {f"z{b + 1}": z[b] for b in range(Mv)}
    assert [by_name[name] for name in names] == list(y)
    np.testing.assert_array_equal(flow.pack(v, vm, z), y)


def test_unsupported_layouts_are_refused() -> None:
    ls = _least_squares()
    a = sp.IndexedBase("a", real=True)
    three = IndexedFlow("bad", (("a", (c, i, k), a[c, i, k]),), ls.data, ls.constants, ls.loss, {}, ls.quantity, "")
    with pytest.raises(ModelError, match="at most 2"):
        layout_of(three, SIZE_OF)
    no_size = IndexedFlow("bad", ls.blocks, (("y", (k, n)),), ls.constants, ls.loss, {}, ls.quantity, "")
    with pytest.raises(ModelError, match="index no data array"):
        layout_of(no_size, SIZE_OF)
