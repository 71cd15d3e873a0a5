"""Golden tests of the compile bridge: compiled NumPy against SymPy evaluation at fixed points."""

from __future__ import annotations

import functools
import itertools
import os
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from num_tol import GOLDEN_RTOL

from theory.errors import ExpressionError, InvalidArgument
from theory.models import joma_block
from theory.numeric.compile import compile_flow
from theory.numeric.indexed_flow import compile_indexed, prune, share_products, write_into
from theory.symbolic import derive_flow
from theory.symbolic.indexed import joma_indexed

M, K, N = 3, 2, 2


def _values(flow, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, float]]:
    """Rational-friendly random point: state ~ N(0, 0.5^2), x on the simplex, T, rates."""
    y = np.round(rng.standard_normal(len(flow.state)) * 0.5, 3)
    x = np.round(rng.dirichlet(np.ones(M), size=2 * N), 3)
    vals: dict[str, float] = {"T": 0.7, "eta_w": 1.3, "eta_z": 0.6}
    for s in flow.spec.data:
        m = re.fullmatch(r"xb?(\d+)_(\d+)", s.name)
        vals[s.name] = float(x[int(m[1]) - 1, int(m[2]) - 1]) if m else float(np.round(rng.normal(), 3))
    return y, vals


@pytest.mark.parametrize("attention", ["linear", "exp", "softmax"])
def test_compiled_flow_matches_sympy(attention: str) -> None:
    flow = derive_flow(joma_block(M, K, N, attention=attention, activation="tanh", loss="squared"))
    cf = compile_flow(flow)
    y, vals = _values(flow, np.random.default_rng(1))
    subs = {s: sp.Float(v, 30) for s, v in zip(flow.state, y, strict=True)}
    subs |= {s: sp.Float(vals[s.name], 30) for s in cf.params}
    exact = np.array([float(e.xreplace(subs).evalf(30)) for e in flow.rhs])
    got = cf.rhs(y, cf.param_vector(vals))
    np.testing.assert_allclose(got, exact, rtol=GOLDEN_RTOL, atol=GOLDEN_RTOL * np.abs(exact).max())
    # vectorised over several states at once: columns agree with single evaluations
    many = cf.rhs(np.stack([y, 2 * y], axis=1), cf.param_vector(vals))
    np.testing.assert_allclose(many[:, 0], got, rtol=1e-14, atol=0)


def test_jacobian_matches_finite_differences_and_sparsity() -> None:
    from theory.numeric.finite_diff import central_gradient

    flow = derive_flow(joma_block(2, 2, 1, attention="exp", activation="tanh", loss="squared"))
    cf = compile_flow(flow)
    y, vals = _values(flow, np.random.default_rng(2))
    p = cf.param_vector(vals)
    jac = cf.jacobian(y, p)
    # central differences within their error model: |rhs| and its third derivatives are O(1)
    # here, so the error is ~ eps^(2/3) ~ 4e-11; 1e-8 leaves a wide margin yet catches any
    # wrong entry of the Jacobian (those are O(0.1))
    fd = central_gradient(lambda yy: cf.rhs(yy, p), y)
    np.testing.assert_allclose(jac, fd, atol=1e-8)
    # the structural pattern: vm_k of one hidden node never enters another node's vm row
    pattern = cf.sparsity()
    assert pattern.shape == jac.shape and not pattern.all()
    assert np.all(jac[~pattern] == 0)


CONFIGS = list(itertools.product(["linear", "exp", "softmax"], [False, True], ["squared", None]))
if os.environ.get("THEORY_PROFILE", "ci") == "ci":  # 3 of 12 configurations in the quick profile
    CONFIGS = [("softmax", False, "squared"), ("exp", True, None), ("linear", False, None)]


@pytest.mark.slow
@pytest.mark.parametrize(("attention", "layernorm", "loss"), CONFIGS)
def test_indexed_form_matches_per_symbol_flow(attention: str, layernorm: bool, loss: str | None) -> None:
    """The index-form derivation, vectorised, equals the core's per-symbol flow."""
    spec = joma_block(M, K, N, attention=attention, activation="gelu", loss=loss, layernorm=layernorm)
    flow = derive_flow(spec)
    cf = compile_flow(flow)
    ci = compile_indexed(joma_indexed(attention=attention, activation="gelu", loss=loss, layernorm=layernorm))
    rng = np.random.default_rng(3)
    y, vals = _values(flow, rng)
    x = np.array([[vals[f"x{n}_{l}"] for l in range(1, M + 1)] for n in range(1, N + 1)])
    tag = "y" if loss else "g"
    tg = np.array([[vals[f"{tag}{k}_{n}"] for n in range(1, N + 1)] for k in range(1, K + 1)])
    a = cf.rhs(y, cf.param_vector(vals))
    b = ci.rhs(y, x, tg, vals["T"], vals["eta_w"], vals["eta_z"])
    np.testing.assert_allclose(b, a, rtol=GOLDEN_RTOL, atol=GOLDEN_RTOL * np.abs(a).max())


def test_indexed_negative_control_detects_a_wrong_temperature() -> None:
    """The golden comparison is sensitive: T off by 1e-6 gives a visible difference."""
    spec = joma_block(M, K, N, attention="softmax", activation="tanh", loss="squared")
    flow = derive_flow(spec)
    cf = compile_flow(flow)
    ci = compile_indexed(joma_indexed(attention="softmax", activation="tanh"))
    y, vals = _values(flow, np.random.default_rng(4))
    x = np.array([[vals[f"x{n}_{l}"] for l in range(1, M + 1)] for n in range(1, N + 1)])
    tg = np.array([[vals[f"y{k}_{n}"] for n in range(1, N + 1)] for k in range(1, K + 1)])
    a = cf.rhs(y, cf.param_vector(vals))
    b = ci.rhs(y, x, tg, vals["T"] * (1 + 1e-6), vals["eta_w"], vals["eta_z"])
    assert np.abs(a - b).max() > 1e3 * GOLDEN_RTOL * np.abs(a).max()


def test_layout_docstring_names_every_index() -> None:
    flow = derive_flow(joma_block(2, 1, 1, attention="exp", activation="tanh", loss="squared"))
    cf = compile_flow(flow)
    for i, s in enumerate(cf.state):
        assert f"y[{i}] = {s.name}" in cf.layout
    for j, s in enumerate(cf.params):
        assert f"p[{j}] = {s.name}" in cf.layout


def test_indexed_runs_at_ten_thousand_tokens() -> None:
    ci = compile_indexed(joma_indexed(attention="softmax", activation="tanh"))
    m, k, n = 10_000, 4, 3
    rng = np.random.default_rng(0)
    y = 0.1 * rng.standard_normal(ci.size(m, k))
    out = ci.rhs(y, rng.dirichlet(np.ones(m), size=n), rng.standard_normal((k, n)), 1.0, 1.0, 1.0)
    assert out.shape == y.shape and np.all(np.isfinite(out))


def test_undefined_activation_is_rejected() -> None:
    with pytest.raises(ExpressionError, match="activation"):
        compile_flow(derive_flow(joma_block(2, 1, 1, attention="exp")))


def test_missing_parameter_values_are_named() -> None:
    cf = compile_flow(derive_flow(joma_block(2, 1, 1, attention="exp", activation="tanh", loss="squared")))
    with pytest.raises(InvalidArgument, match="missing values for"):
        cf.param_vector({"T": 1.0})


def test_lambdify_only_in_compile_module() -> None:
    # the compile bridge has two halves: compile.py turns expressions into code (lambdify), its
    # SymPy-free half _compiled.py executes generated code (also when read back from the cache)
    root = Path(__file__).resolve().parents[2] / "theory"
    sites = {
        str(p.relative_to(root)): (bool(re.search(r"\blambdify\s*\(", t)), bool(re.search(r"\bexec\s*\(", t)))
        for p in root.rglob("*.py")
        for t in [p.read_text()]
    }
    assert {name for name, (lam, _) in sites.items() if lam} == {"numeric/compile.py"}
    assert {name for name, (_, ex) in sites.items() if ex} == {"numeric/_compiled.py"}


@pytest.mark.parametrize(
    ("attention", "entry"),
    [("linear", "joma_linear"), ("exp", "joma_exp"), ("softmax", "joma_softmax_conditional")],
)
def test_index_form_quantity_equals_catalogue_quantity(attention: str, entry: str) -> None:
    """Expanded at M=3, K=2 the index-form quantity is the catalogue's, symbolically."""
    import importlib

    from theory.symbolic import indexed as ix

    module = importlib.import_module(f"theory.derivations.{entry}")
    spec = joma_block(3, 2, 1, attention=attention)
    catalogue = module.quantity(spec)
    names = spec.symbols
    form = joma_indexed(attention=attention).quantity.subs({ix.M: 3, ix.K: 2}).doit()

    def component(i: int) -> sp.Expr:
        e = form.xreplace({ix.i: i})
        rep = {}
        for a in e.atoms(sp.Indexed):
            idx = [int(t) for t in a.indices]
            key = {"z": f"z{idx[0]}", "v": f"v{idx[0]}_{idx[-1]}", "bbar": f"bbar{idx[0]}"}[str(a.base)]
            rep[a] = names.get(key, sp.Symbol(key, positive=True))
        return e.xreplace(rep)

    for i in range(1, 4):
        assert sp.simplify(component(i) - catalogue[i - 1]) == 0
    # negative control: component 1 is not the catalogue's component 2
    assert sp.simplify(component(1) - catalogue[1]) != 0


# --- the print-time contraction planner of the index-form printer --------------------------
# Each case: (index-form expression, the same contraction as np.einsum subscripts over the
# named operands).  Letters of the subscripts are written by hand, independently of the
# printer's own axis letters.
_A, _B, _X, _V, _E, _A2 = (sp.IndexedBase(s, real=True) for s in ("A", "B", "x", "v", "e", "a"))


def _planner_cases() -> list[tuple[str, sp.Expr, str, tuple[str, ...]]]:
    from theory.symbolic.indexed import K as sK
    from theory.symbolic.indexed import M as sM
    from theory.symbolic.indexed import N as sN
    from theory.symbolic.indexed import c, i, k, l, n

    T = sp.Symbol("T", positive=True)
    return [
        ("vector", sp.Sum(_X[n, l] * _E[l], (l, 1, sM)), "nl,l->n", ("x", "e")),
        ("three", sp.Sum(_V[c, l] * _X[n, l] * _E[l], (l, 1, sM)), "cl,nl,l->cn", ("v", "x", "e")),
        (
            "pulled",
            sp.Sum(_A[k, n] * _V[k, i] * _X[n, i] * _E[i], (k, 1, sK), (n, 1, sN)),
            "kn,ki,ni,i->i",
            ("A", "v", "x", "e"),
        ),
        ("matmul", sp.Sum(_A[c, n] * _X[n, i], (n, 1, sN)), "cn,ni->ci", ("A", "x")),
        ("batch", sp.Sum(_A[c, n] * _B[c, n], (n, 1, sN)), "cn,cn->c", ("A", "B")),
        ("total", sp.Sum(_A[k, n] ** 2, (k, 1, sK), (n, 1, sN)), "kn,kn->", ("A", "A")),
        ("row", sp.Sum(_A2[n] * _X[n, i], (n, 1, sN)), "n,ni->i", ("a", "x")),
        ("outer", sp.Sum(_V[k, l] * _X[n, l] * _V[c, l], (l, 1, sM)), "kl,nl,cl->ckn", ("v", "x", "v")),
        ("scaled", sp.Sum(2 * T * _A[c, n] * _X[n, i], (n, 1, sN)), "cn,ni->ci", ("A", "x")),
        ("transposed", sp.Sum(_B[n, c] * _X[n, i], (n, 1, sN)), "nc,ni->ci", ("Bt", "x")),
        ("shared", sp.Sum(_A[k, n] * _B[k, n] * _X[n, i], (k, 1, sK), (n, 1, sN)), "kn,kn,ni->i", ("A", "B", "x")),
    ]


@functools.cache
def _compile_case(expr: sp.Expr):
    from theory.numeric.compile import compile_source
    from theory.numeric.indexed_print import IndexedPrinter
    from theory.symbolic import indexed as ix

    T = sp.Symbol("T", positive=True)
    arrays = {"A": "A", "B": "B", "x": "x", "v": "v", "e": "e", "a": "a"}
    classes = {ix.c: "K", ix.k: "K", ix.n: "N", ix.i: "M", ix.l: "M", ix.j: "M"}
    pr = IndexedPrinter(
        [ix.c, ix.k, ix.n, ix.i, ix.l, ix.j], arrays, {ix.M: "M", ix.K: "K", ix.N: "N", T: "T"}, classes, big=("M",)
    )
    name, _ = pr.emit(expr)
    body = "".join(f"    {line}\n" for line in pr.lines)
    src = f"def f(A, B, x, v, e, a, T, K, N, M):\n{body}    return {name}\n"
    return compile_source(src, "f"), src


#: The planner sums in another order than np.einsum: each result is a sum of at most
#: 6 * 6 * 6 products of at most 4 factors, so both roundings are within (216 + 4) eps of the
#: sum of |terms| (Higham, "Accuracy and Stability of Numerical Algorithms", sec. 4.2):
#: 1e-13 > 220 * 2.2e-16 relative to the einsum of absolute values.
PLANNER_RTOL = 1e-13


def _agrees(got: np.ndarray, ref: np.ndarray, scale: np.ndarray) -> bool:
    return got.shape == ref.shape and bool(np.all(np.abs(got - ref) <= PLANNER_RTOL * (scale + 1e-300)))


@pytest.mark.parametrize("case", _planner_cases(), ids=lambda c: c[0])
@given(sizes=st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6)), seed=st.integers(0, 2**16))
def test_print_time_contraction_equals_einsum(case, sizes: tuple[int, int, int], seed: int) -> None:
    """Every planned contraction (matmul, broadcast, reduce, pulled factors) equals np.einsum."""
    _, expr, subscripts, names = case
    fn, src = _compile_case(expr)
    assert "einsum" not in src and "contract" not in src  # planned when printed, not at run time
    k, n, m = sizes
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((k, m + 1))  # v as the flow sees it: a strided view of the state
    data = {"A": rng.standard_normal((k, n)), "B": rng.standard_normal((k, n)), "x": rng.standard_normal((n, m))}
    data |= {"v": w[:, :m], "e": rng.standard_normal(m), "a": rng.standard_normal(n)}
    Bt = rng.standard_normal((n, k))
    got = np.asarray(
        fn(data["A"], Bt if "Bt" in names else data["B"], data["x"], data["v"], data["e"], data["a"], 0.7, k, n, m)
    )
    ops = [Bt if nm == "Bt" else data[nm] for nm in names]
    coeff = 1.4 if case[0] == "scaled" else 1.0
    ref = coeff * np.einsum(subscripts, *ops)
    scale = abs(coeff) * np.einsum(subscripts, *(np.abs(o) for o in ops))
    assert _agrees(got, ref, scale), src
    # negative control: one operand entry off by 1e-6 relative is detected
    ops[0] = ops[0].copy()
    ops[0].flat[0] *= 1 + 1e-6
    assert not _agrees(got, coeff * np.einsum(subscripts, *ops), scale)


def test_pulled_factors_and_common_terms_are_exact_rewrites() -> None:
    """Moving factors out of sums and common factors out of additions changes no value (symbolic)."""
    from theory.numeric.indexed_print import IndexedPrinter
    from theory.symbolic import indexed as ix

    T = sp.Symbol("T", positive=True)
    i, j, n = ix.i, ix.j, ix.n
    e = sp.Sum(T * _E[i] * _X[n, j] * _A2[n], (j, 1, ix.M), (n, 1, ix.N)) * _E[i] + T * _E[i] ** 2
    pr = IndexedPrinter([n, i, j], {}, {}, {n: "N", i: "M", j: "M"}, big=("M",))
    pulled = pr._pull(e)
    assert pulled != e and isinstance(pulled, sp.Mul)  # the rewrite did something
    concrete = {ix.M: 3, ix.N: 2}
    assert sp.expand((pulled - e).subs(concrete).doit()) == 0
    # negative control: dropping the pulled factor T is caught by the same check
    assert sp.expand((pulled.subs(T, 1) - e).subs(concrete).doit()) != 0


def test_shared_sub_products_keep_values() -> None:
    """Products sharing array factors (also a repeated factor) compute the shared part once."""
    from theory.numeric.compile import compile_source
    from theory.numeric.indexed_print import IndexedPrinter
    from theory.symbolic import indexed as ix

    c, n, i = ix.c, ix.n, ix.i
    T = sp.Symbol("T", positive=True)
    exprs = [
        T * _A[c, n] * _B[c, n] * _A2[n] ** 2,
        sp.Sum(_A[c, n] * _B[c, n] * _A2[n] * _X[n, i], (n, 1, ix.N)),
        sp.Sum(_A[c, n] * _B[c, n], (n, 1, ix.N)),
    ]
    pr = IndexedPrinter(
        [c, n, i], {"A": "A", "B": "B", "x": "x", "a": "a"}, {T: "T", ix.N: "N"}, {c: "K", n: "N", i: "M"}
    )
    names = [pr.emit(e)[0] for e in exprs]
    shared, _ = share_products(pr.lines, pr.products)
    assert len(shared) == len(pr.lines) + 1 and any(line.startswith("s0 = ") for line in shared)
    assert sum(line.count("*") for line in shared) < sum(line.count("*") for line in pr.lines)

    def build(lines: list[str]):
        body = "".join(f"    {line}\n" for line in lines)
        return compile_source(f"def f(A, B, x, a, T, N):\n{body}    return {', '.join(names)}\n", "f")

    rng = np.random.default_rng(5)
    args = (
        rng.standard_normal((3, 4)),
        rng.standard_normal((3, 4)),
        rng.standard_normal((4, 5)),
        rng.standard_normal(4),
    )
    plain, fused = build(pr.lines)(*args, 0.7, 4), build(shared)(*args, 0.7, 4)
    ref = (
        0.7 * args[0] * args[1] * args[3] ** 2,
        np.einsum("cn,cn,n,ni->ci", args[0], args[1], args[3], args[2]),
        np.einsum("cn,cn->c", args[0], args[1]),
    )
    for p, f, r in zip(plain, fused, ref, strict=True):
        # reassociated products of <= 5 factors, sums of <= 4 terms: a few ulps of sum |terms|
        np.testing.assert_allclose(f, p, rtol=1e-14, atol=1e-14 * np.abs(r).max())
        np.testing.assert_allclose(f, r, rtol=1e-13, atol=1e-13 * np.abs(r).max())
    # negative control: a factor left out of the shared product is detected by the same check
    broken = [line.replace("s0 * ", "", 1) if line.startswith(names[0]) else line for line in shared]
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(build(broken)(*args, 0.7, 4)[0], ref[0], rtol=1e-13)


def test_products_written_into_the_output_only_when_used_once() -> None:
    from theory.numeric.compile import compile_source
    from theory.numeric.indexed_print import IndexedPrinter
    from theory.symbolic import indexed as ix

    c, n = ix.c, ix.n
    T = sp.Symbol("T", positive=True)
    pr = IndexedPrinter([c, n], {"A": "A", "B": "B"}, {T: "T"}, {c: "K", n: "N"})
    once, _ = pr.emit(T * _A[c, n] * _B[c, n])
    twice, _ = pr.emit(_A[c, n] * _B[c, n] * _B[c, n])
    extra, _ = pr.emit(sp.exp(_A[c, n] * _B[c, n] * _B[c, n]))  # a second use of `twice`
    lines, records = share_products(pr.lines, pr.products)
    assert write_into(lines, records, twice, "o") is None  # used by exp(...): must stay a temporary
    fused = write_into(lines, records, once, "o")
    assert fused is not None and any(line.startswith("np.multiply(") and "out=o" in line for line in fused)
    body = "".join(f"    {line}\n" for line in fused)
    fn = compile_source(f"def f(A, B, T):\n    o = np.empty(A.shape)\n{body}    return o, {extra}\n", "f")
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    o, e = fn(a, b, 0.7)
    # one product of 3 factors, reassociated: within 2 ulps
    np.testing.assert_allclose(o, 0.7 * a * b, rtol=4 * np.finfo(float).eps, atol=0)
    np.testing.assert_allclose(e, np.exp(a * b * b), rtol=8 * np.finfo(float).eps, atol=0)
    # negative control: the output is not the product without T
    assert not np.allclose(o, a * b, rtol=1e-3)


def test_products_covered_by_earlier_products_and_dead_statements_pruned() -> None:
    """``s p^2 q`` after ``s p`` and ``p q``: one multiplication of the two; ``p^2`` dropped."""
    from theory.numeric.compile import compile_source
    from theory.numeric.indexed_print import IndexedPrinter
    from theory.symbolic import indexed as ix

    c, n = ix.c, ix.n
    s_, p_, q_ = _A[c, n], _A2[n], _B[c, n]
    pr = IndexedPrinter([c, n], {"A": "A", "B": "B", "a": "a"}, {}, {c: "K", n: "N"})
    names = [pr.emit(e)[0] for e in (s_ * p_, p_ * q_, sp.exp(s_ * p_**2 * q_))]
    lines, _ = share_products(pr.lines, pr.products)
    pruned = prune(lines, names)
    assert any(
        line.endswith(f"= {names[0]} * {names[1]}") or line.endswith(f"= {names[1]} * {names[0]}") for line in pruned
    )
    assert len(pruned) < len(lines)  # a * a is no longer needed
    body = "".join(f"    {line}\n" for line in pruned)
    fn = compile_source(f"def f(A, B, a):\n{body}    return {', '.join(names)}\n", "f")
    rng = np.random.default_rng(7)
    a_, b_, v_ = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    got = fn(a_, b_, v_)
    # exp of a reassociated 4-factor product: a few ulps of the argument, times exp's growth
    np.testing.assert_allclose(got[2], np.exp(a_ * v_**2 * b_), rtol=32 * np.finfo(float).eps, atol=0)
    np.testing.assert_allclose(got[0], a_ * v_, rtol=0, atol=0)
    # negative control: the covered product is not exp(s p q)
    assert not np.allclose(got[2], np.exp(a_ * v_ * b_), rtol=1e-6)


def test_sums_differing_by_small_factors_merge_into_one_exactly() -> None:
    """a sum_n p_n x_ni + b sum_n q_n x_ni -> one sum (one matmul); big-axis summands stay apart."""
    from theory.numeric.indexed_print import IndexedPrinter
    from theory.symbolic import indexed as ix

    T = sp.Symbol("T", positive=True)
    c, i, n = ix.c, ix.i, ix.n
    e = 3 * sp.Sum(_A[c, n] * _X[n, i], (n, 1, ix.N)) + T * sp.Sum(_B[c, n] * _X[n, i], (n, 1, ix.N))
    pr = IndexedPrinter([c, n, i], {}, {}, {c: "K", n: "N", i: "M"}, big=("M",))
    merged = pr._pull(e)
    assert len(merged.atoms(sp.Sum)) == 1
    concrete = {ix.N: 2}
    assert sp.expand((merged - e).subs(concrete).doit()) == 0
    assert sp.expand((merged.subs(T, 1) - e).subs(concrete).doit()) != 0  # negative control
    # summands differing by a token-size factor (x vs v) are not merged: that would build a
    # (K, N, M) temporary
    big = sp.Sum(_A[c, n] * _X[n, i], (n, 1, ix.N)) + sp.Sum(_A[c, n] * _V[n, i], (n, 1, ix.N))
    assert len(pr._pull(big).atoms(sp.Sum)) == 2
