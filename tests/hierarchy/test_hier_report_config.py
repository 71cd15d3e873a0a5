"""`hierarchy_report` takes a `HierarchyConfig`; keywords are a shorthand for its fields."""

from __future__ import annotations

import pytest

from theory.errors import InvalidArgument
from theory.hierarchy.report import HierarchyConfig, hierarchy_report
from theory.hierarchy.toy import ToyConfig

CHEAP = {
    "rho": 0.7,
    "samples": 2000,
    "seed": 1,
    "toy_runs": 1,
    "toy_config": ToyConfig(steps=20, n_train=300, n_test=200),
}


def _timeless(x):
    if isinstance(x, dict):
        return {k: _timeless(v) for k, v in x.items() if "second" not in k}
    if isinstance(x, list):
        return [_timeless(v) for v in x]
    return x


def test_config_and_keyword_shorthand_agree() -> None:
    by_config = hierarchy_report(2, 2, HierarchyConfig(**CHEAP))
    by_keywords = hierarchy_report(2, 2, **CHEAP)
    assert _timeless(by_keywords) == _timeless(by_config)
    assert by_config["samples"] == 2000 and by_config["seed"] == 1 and len(by_config["toy"]["runs"]) == 1


def test_unknown_setting_names_the_fields() -> None:
    with pytest.raises(
        InvalidArgument, match="unknown setting toy_steps of HierarchyConfig; expected one of: rho, channel"
    ):
        hierarchy_report(2, 2, toy_steps=40)
