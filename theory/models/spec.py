"""Model specifications: the first stage of the pipeline.

A :class:`ModelSpec` is a loss written in SymPy together with the parameter groups that
gradient flow moves, their learning rates and (optionally) a metric per group.  It is a
frozen value: later stages (:func:`theory.symbolic.derive_flow`, the prover, the compile
bridge) read it and never mutate it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..errors import ModelError
from ..vocabulary import RESERVED, is_readable_name

__all__ = ["ModelSpec", "ParamGroup"]


@dataclass(frozen=True)
class ParamGroup:
    """A group of parameters that share a learning rate.

    Attributes
    ----------
    name : str
        Group name, e.g. ``"w"`` (MLP weights) or ``"z"`` (attention logits).
    symbols : tuple of sympy.Symbol
        The coordinates of the group, in state order.
    rate : sympy.Expr
        The learning rate :math:`\\eta` of the group.
    metric : sympy.Matrix or None
        Optional symmetric preconditioner :math:`G`: the flow is
        :math:`\\dot\\theta = -\\eta\\, G\\, \\nabla_\\theta \\mathcal L`.  It arises when the
        group's coordinates are projections :math:`a = U^\\top w` of the true weights:
        :math:`\\dot w = -\\eta\\nabla_w\\mathcal L = -\\eta U \\nabla_a \\mathcal L` gives
        :math:`\\dot a = -\\eta\\,U^\\top U\\,\\nabla_a\\mathcal L` (Gram matrix; identity for
        orthonormal embeddings).
    shape : tuple of int or None
        ``(rows, cols)`` when the group is a matrix stored row by row (the symmetry route of
        :mod:`theory.symbolic.symmetries` acts on it by matrix products).
    """

    name: str
    symbols: tuple[sp.Symbol, ...]
    rate: sp.Expr
    metric: sp.Matrix | None = None
    shape: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if not self.symbols:
            raise ModelError(f"parameter group {self.name!r} has no symbols; give at least one")
        if self.metric is not None and self.metric.shape != (len(self.symbols), len(self.symbols)):
            raise ModelError(
                f"metric of group {self.name!r} has shape {self.metric.shape}; "
                f"expected {(len(self.symbols), len(self.symbols))}"
            )
        if self.shape is not None and self.shape[0] * self.shape[1] != len(self.symbols):
            raise ModelError(f"shape {self.shape} of group {self.name!r} does not hold {len(self.symbols)} symbols")


@dataclass(frozen=True)
class ModelSpec:
    """A model: a loss and the parameter groups moved by gradient flow.

    Attributes
    ----------
    name : str
        Short identifier, e.g. ``"joma-exp"``.
    loss : sympy.Expr
        The training loss :math:`\\mathcal L(\\theta)` (for an arbitrary loss above the hidden
        nodes, a surrogate with the same gradient, see :func:`theory.models.joma_block`).
    params : tuple of ParamGroup
        Groups moved by the flow, in state order.
    data : tuple of sympy.Symbol
        Symbols that are data (frequencies, back-propagated gradients, targets): fixed along
        the flow, arbitrary in proofs.
    constants : tuple of sympy.Symbol
        Hyper-parameters (temperature, learning rates, ...): positive constants.
    sizes : Mapping[str, int]
        The sizes the spec was built at, e.g. ``{"M": 3, "K": 2, "N": 2}``.
    assumptions : tuple of str
        Modelling assumptions in words (shown by ``theory show``).
    description : str
        One-line description.
    extra : Mapping[str, object]
        Named sub-expressions useful downstream (attention vectors, pre-activations, ...).
        ``extra["aliases"]`` maps names a quantity may use to sub-expressions (e.g.
        ``r = eta_z/eta_w``); an alias may not share a name with a symbol, nor take a name
        of :data:`theory.vocabulary.RESERVED` (:class:`~theory.errors.ModelError` otherwise).
    """

    name: str
    loss: sp.Expr
    params: tuple[ParamGroup, ...]
    data: tuple[sp.Symbol, ...] = ()
    constants: tuple[sp.Symbol, ...] = ()
    sizes: Mapping[str, Any] = field(default_factory=dict)
    assumptions: tuple[str, ...] = ()
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        seen: set[sp.Symbol] = set()
        for group in self.params:
            for s in group.symbols:
                if s in seen:
                    raise ModelError(f"symbol {s} appears in two parameter groups; each parameter belongs to one")
                seen.add(s)
        clash = seen & (set(self.data) | set(self.constants))
        if clash:
            names = ", ".join(sorted(str(s) for s in clash))
            raise ModelError(f"symbols {names} are both parameters and data/constants; rename one")
        self._check_names()

    def _check_names(self) -> None:
        """Refuse names a quantity could not tell apart (see :attr:`symbols`).

        Raises
        ------
        ModelError
            Two different symbols share a name; a symbol or alias takes a name the quantity
            parser reserves (its functions, ``pi``, ``E``); an alias has the name of a
            parameter, data symbol or constant (it would shadow it); an alias name cannot be
            typed.
        """
        by_name: dict[str, sp.Symbol] = {}
        kind: dict[str, str] = {}
        for role, syms in (("parameter", self.state), ("data symbol", self.data), ("constant", self.constants)):
            for s in syms:
                kind.setdefault(s.name, role)
        for s in (*self.state, *self.data, *self.constants):
            other = by_name.setdefault(s.name, s)
            if other != s:
                raise ModelError(
                    f"model {self.name!r} has two different symbols named {s.name!r} ({other.assumptions0} and "
                    f"{s.assumptions0}); a quantity could not tell them apart, so rename one"
                )
            if s.name in RESERVED:
                raise ModelError(
                    f"model {self.name!r}: symbol name {s.name!r} is reserved by the quantity parser "
                    f"(functions and constants: {', '.join(sorted(RESERVED))}); rename the symbol"
                )
        aliases = self.extra.get("aliases", {})
        if not isinstance(aliases, Mapping):
            raise ModelError(f"model {self.name!r}: extra['aliases'] must map names to expressions")
        for name in aliases:
            if name in by_name:
                raise ModelError(
                    f"model {self.name!r}: alias {name!r} has the name of the {kind[name]} {name} and would shadow "
                    "it in quantities; give the alias a name no symbol uses (e.g. 'qnorm2', not 'q2')"
                )
            if name in RESERVED:
                raise ModelError(
                    f"model {self.name!r}: alias name {name!r} is reserved by the quantity parser "
                    f"(functions and constants: {', '.join(sorted(RESERVED))}); rename the alias"
                )
            if not is_readable_name(name):
                raise ModelError(
                    f"model {self.name!r}: alias name {name!r} cannot be typed in a quantity; "
                    "use a Python identifier such as 'qnorm2'"
                )

    @property
    def state(self) -> tuple[sp.Symbol, ...]:
        """All parameter symbols, concatenated group by group (the ODE state order)."""
        return tuple(s for g in self.params for s in g.symbols)

    @property
    def symbols(self) -> dict[str, sp.Expr]:
        """Every name a user may write in a quantity: parameters, data, constants and aliases.

        Aliases (``extra["aliases"]``) name sub-expressions, e.g. ``r = eta_z/eta_w``.  No alias
        shares a name with a symbol (refused when the spec is built), so none shadows another.
        The exact list the quantity parser accepts is
        :func:`theory.symbolic.parse.accepted_names` of this mapping.
        """
        out: dict[str, sp.Expr] = {}
        for s in (*self.state, *self.data, *self.constants):
            out[s.name] = s
        for name, value in self.extra.get("aliases", {}).items():
            out[name] = value
        return out

    def group(self, name: str) -> ParamGroup:
        """The parameter group called ``name``."""
        for g in self.params:
            if g.name == name:
                return g
        known = ", ".join(g.name for g in self.params)
        raise ModelError(f"model {self.name!r} has no parameter group {name!r}; groups: {known}")
