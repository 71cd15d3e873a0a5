"""Shared building blocks of the catalogue modules (chains every theorem uses)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from theory.models import ModelSpec
from theory.symbolic._readable import conservation_chain, dot_symbols, flow_rows, joma_short, velocity_ratio
from theory.symbolic.derivation import Derivation, StepError
from theory.symbolic.index_proof import IndexClaim
from theory.theorem import Outcome, Theorem

#: Notation paragraph of the JoMA derivations (LaTeX).
JOMA_NOTATION = (
    r"$\phi'$ is the derivative of the activation, $v_{k,l} = u_l^\top w_k$, $v_{m,k} = u_m^\top w_k$, "
    r"$x_{n,l}$ the frequency of token $l$ in sample $n$, $g_{k,n} = -\partial\ell_n/\partial h_{k,n}$; "
    r"dotted symbols are time derivatives."
)
#: Notation paragraph of the Lu et al. derivations (LaTeX).
LU_NOTATION = (
    r"$k_{t,i}$, $w_{t,i}$: coordinates of the topic word's key and embedding; $q_i$: the query; "
    r"$G_{n,i} = \partial\ell_n/\partial c_{n,i}$, the loss gradient at sentence $n$'s context; "
    r"dotted symbols are time derivatives."
)

__all__ = [
    "add_general_section",
    "conservation_chain",
    "discovered_chain",
    "discovered_components",
    "discovered_on_grid",
    "dot_symbols",
    "flow_rows",
    "joma_short",
    "joma_sizes",
    "outcome_of_derivation",
    "theorem",
    "velocity_ratio",
]

#: Size grid of the JoMA invariant proofs (M tokens, K hidden nodes, N samples).
JOMA_SIZES = (
    {"M": 1, "K": 1, "N": 1},
    {"M": 2, "K": 1, "N": 2},
    {"M": 3, "K": 2, "N": 2},
)


#: Per-symbol cross-check sizes of the softmax entries (their index-form proof covers every size).
SOFTMAX_SIZES = (
    {"M": 1, "K": 1, "N": 1},
    {"M": 2, "K": 2, "N": 2},
)


_DISCOVERED: dict[tuple, list] = {}


def discovered_components(spec: ModelSpec, targets: list, degree: int = 2) -> list:
    r"""The conservation laws of ``spec`` found by the ansatz, one per target monomial.

    Every polynomial law of degree :math:`\le` ``degree`` is computed from the derived flow
    (:func:`theory.symbolic.laws.polynomial_laws`, exact linear algebra; nothing typed in), then
    the combination of them whose coefficient is 1 on ``targets[l]`` and 0 on the other
    targets is returned for each ``l``.  Raises :class:`StepError` when no such combination
    exists (the theorem would then be false at these sizes).
    """
    import sympy as sp

    from theory.symbolic import derive_flow
    from theory.symbolic.laws import polynomial_laws

    key = (spec.name, tuple(sorted(spec.sizes.items())), tuple(map(str, targets)), degree)
    if key not in _DISCOVERED:
        flow = derive_flow(spec)
        laws = polynomial_laws(flow, degree).laws
        if not laws:
            raise StepError(f"{spec.name}: the degree-{degree} ansatz has no conservation law")
        C = sp.Matrix([[sp.Poly(q, *flow.state).coeff_monomial(t) for t in targets] for q in laws])
        out = []
        for l in range(len(targets)):
            e = sp.Matrix([1 if m == l else 0 for m in range(len(targets))])
            try:
                a, free = C.T.gauss_jordan_solve(e)
            except ValueError as exc:
                raise StepError(f"{spec.name}: no law has coefficient 1 on {targets[l]} alone") from exc
            a = a.xreplace({p: 0 for p in free})
            out.append(sp.expand(sp.Add(*(sp.together(c) * q for c, q in zip(a, laws, strict=True)))))
        _DISCOVERED[key] = out
    return list(_DISCOVERED[key])


def discovered_on_grid(
    spec: ModelSpec,
    model: Any,
    grid: tuple[dict, ...],
    statement: Any,
    target: Any,
) -> list:
    """The theorem's laws for ``spec``, discovered on the theorem's own model at the proof-grid sizes.

    ``target(symbols, l)`` is the monomial whose coefficient is 1 in component ``l``.  The ansatz
    runs on ``model(**sizes)`` (arbitrary activation: the laws hold for every one) and the laws
    are mapped into ``spec``'s symbols by name.  Beyond the grid (the numeric checks run larger
    blocks) ``statement(spec)`` is returned: the index-form proof proves it at every size, and the
    derivation shows it equal to the discovered law on the grid.
    """
    sizes = {k: spec.sizes[k] for k in ("M", "K", "N")}
    if any(sizes[k] > max(size[k] for size in grid) for k in sizes):
        return list(statement(spec))
    base = model(**sizes)
    laws = discovered_components(base, [target(base.symbols, l) for l in range(1, sizes["M"] + 1)])
    return [q.xreplace({x: spec.symbols[x.name] for x in q.free_symbols if x.name in spec.symbols}) for q in laws]


def discovered_chain(d: Derivation, found: object, statement: object, target: str) -> None:
    """The derivation step "the ansatz finds this law; it is the theorem's statement"."""
    import sympy as sp

    chain = d.chain(
        "Without a chosen observable: every conserved polynomial of degree at most 2 (exact linear "
        f"algebra on the flow), normalised to coefficient 1 on ${target}$:",
        r"Q_1",
        found,
        "the law found by the degree-2 ansatz",
        value=found,
    )
    if sp.expand(found - statement) == 0:  # type: ignore[operator]
        chain.remark("This is the theorem's statement, term for term.")
    else:
        chain.then(statement, "the theorem's statement")


def joma_sizes() -> tuple[dict, ...]:
    """The JoMA size grid."""
    return JOMA_SIZES


def point_latex(point: dict[str, str], spec: ModelSpec) -> str:
    """A counterexample point ``{name: value}`` as LaTeX maths, one ``$name = value$`` each."""
    from theory.symbolic.explain import point_latex as _point

    return _point(point, spec)


def add_general_section(d: Derivation, claim: IndexClaim) -> None:
    """The section "All sizes": the index-form proof of ``claim`` for symbolic M, K, N.

    See :mod:`theory.symbolic.allsizes`.
    """
    from theory.symbolic.allsizes import add_all_sizes

    add_all_sizes(d, claim)


def outcome_of_derivation(module: ModuleType, *, sizes: str) -> Outcome:
    """Build the module's derivation; every step verified symbolically means ``proved``.

    A derivation with a step checked only at random points is ``unproven`` (evidence).

    A step that does not hold gives ``refuted`` with the failing step as the counterexample.
    """
    t0 = time.perf_counter()
    try:
        d = module.derivation()
    except StepError as exc:
        return Outcome(
            module.NAME,
            "refuted",
            module.EXPECTED,
            module.STATEMENT,
            None,
            {"step": str(exc)},
            "symbolic",
            sizes,
            time.perf_counter() - t0,
        )
    # a derivation with a sampled step is evidence, not a proof
    sampled = "sampled" in d.methods
    return Outcome(
        module.NAME,
        "unproven" if sampled else "proved",
        module.EXPECTED,
        module.STATEMENT,
        None,
        None,
        "sampled" if sampled else "symbolic",
        sizes,
        time.perf_counter() - t0,
    )


def theorem(namespace: Mapping[str, Any], **fields: Any) -> Theorem:
    """The module's :class:`~theory.theorem.Theorem` record.

    The identity of the theorem is read from the module's constants (``NAME``, ``TITLE``,
    ``SUMMARY``, ``STATEMENT``, ``EXPECTED``, ``KIND``, ``CITATION``) and its ``derivation``
    function, so each module states them once; ``fields`` are the record's other fields.
    """
    return Theorem(
        name=namespace["NAME"],
        title=namespace["TITLE"],
        summary=namespace["SUMMARY"],
        statement=namespace["STATEMENT"],
        expected=namespace["EXPECTED"],
        kind=namespace["KIND"],
        citation=namespace["CITATION"],
        derivation=namespace["derivation"],
        **fields,
    )
