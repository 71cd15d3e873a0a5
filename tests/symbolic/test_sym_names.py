"""Names in quantities: aliases never shadow symbols, reserved names are refused at build time,
and ``theory show`` lists exactly the names ``--quantity`` accepts."""

from __future__ import annotations

import pytest
import sympy as sp

from theory.commands import describe_model, format_model
from theory.errors import ExpressionError, ModelError
from theory.models import ModelSpec, ParamGroup, lu_classifier
from theory.models.registry import MODELS, build_model
from theory.symbolic.parse import parse_quantity
from theory.vocabulary import RESERVED

A, B = sp.symbols("a b", real=True)
ETA = sp.Symbol("eta", positive=True)


def _spec(aliases: dict | None = None, *, data: tuple = (), constants: tuple = (ETA,)) -> ModelSpec:
    return ModelSpec(
        "toy",
        (A * B - 1) ** 2 / 2,
        (ParamGroup("a", (A,), ETA), ParamGroup("b", (B,), ETA)),
        data=data,
        constants=constants,
        extra={} if aliases is None else {"aliases": aliases},
    )


def test_alias_colliding_with_a_parameter_is_refused() -> None:
    with pytest.raises(ModelError, match=r"alias 'a' has the name of the parameter a .*give the alias a name"):
        _spec({"a": A**2})


@pytest.mark.parametrize("name", ["eta", "c"])
def test_alias_colliding_with_a_constant_or_data_is_refused(name: str) -> None:
    c = sp.Symbol("c", real=True)
    with pytest.raises(ModelError, match=f"alias '{name}' has the name of the (constant|data symbol) {name}"):
        _spec({name: A + B}, data=(c,))


def test_aliases_that_do_not_collide_build_and_parse() -> None:
    spec = _spec({"anorm2": A**2, "ab": A * B})
    assert spec.symbols["anorm2"] == A**2
    assert parse_quantity("anorm2 - ab", spec.symbols) == A**2 - A * B


@pytest.mark.parametrize("name", sorted(RESERVED))
def test_reserved_names_refused_as_symbols_and_aliases(name: str) -> None:
    with pytest.raises(ModelError, match="reserved by the quantity parser"):
        _spec(constants=(ETA, sp.Symbol(name, positive=True)))
    with pytest.raises(ModelError, match="reserved by the quantity parser"):
        _spec({name: A})


@pytest.mark.parametrize("name", ["lambda", "a b", "q'", ""])
def test_untypable_alias_name_refused(name: str) -> None:
    with pytest.raises(ModelError, match="cannot be typed"):
        _spec({name: A})


def test_two_symbols_with_one_name_refused() -> None:
    with pytest.raises(ModelError, match="two different symbols named 'b'"):
        _spec(constants=(ETA, sp.Symbol("b", positive=True)))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"d_e": 1, "d_k": 1},
        {"N": 2, "d_e": 10, "d_k": 16},
        {"m": None, "d_e": 16, "d_k": 12},
        {"classifier": "TL", "classes": 3, "d_e": 3, "d_k": 3},
        {"trainable_query": True, "d_k": 16},
        {"frozen_nontopic": False, "N": 2, "m": 3, "d_e": 2, "d_k": 2},
    ],
)
def test_lu_aliases_do_not_collide_at_any_size(kwargs: dict) -> None:
    spec = lu_classifier(**kwargs)  # a collision would raise ModelError here
    aliases = spec.extra["aliases"]
    assert {"s_t", "qnorm2", "wnorm2"} <= set(aliases)
    d_k = kwargs.get("d_k", 2)
    assert spec.symbols["qnorm2"] == sum(sp.Symbol(f"q{i}", real=True) ** 2 for i in range(1, d_k + 1))
    # m is an alias for a concrete m and the model's own constant for a symbolic m, never both
    assert ("m" in aliases) == (kwargs.get("m", 2) is not None)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_show_lists_exactly_what_quantity_accepts(model: str) -> None:
    shown = describe_model(model)
    names = shown["quantity_names"]
    spec = build_model(model, None)
    symbols = spec.symbols
    text = format_model(shown)
    for name in names["symbols"]:
        assert parse_quantity(name, symbols) == symbols[name]
        assert f" {name}" in text
    for name in names["constants"]:
        assert parse_quantity(name, symbols).is_number
    x = names["symbols"][0]
    for f in names["functions"]:
        parse_quantity(f"{f}({x})", symbols)
        with pytest.raises(ExpressionError):  # a function is a call, never a bare name
            parse_quantity(f, symbols)
    assert names["symbols"] == sorted(symbols)  # every spec name is typable (the registry's all are)
    # negative controls: names not listed are refused
    unlisted = [x + "_x", "undefined_name", *(["q2x", "w2"] if model.startswith("lu") else ["r2"])]
    listed = {*names["symbols"], *names["constants"]}
    for name in unlisted:
        assert name not in listed
        with pytest.raises(ExpressionError, match=f"unknown name '{name}'"):
            parse_quantity(name, symbols)
