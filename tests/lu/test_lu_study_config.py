"""`identity_study` / `convergence_study` take config objects; keywords are a shorthand."""

from __future__ import annotations

import pytest

from theory.errors import InvalidArgument
from theory.lu.data import make_synthetic
from theory.lu.identity import core_identity
from theory.lu.synthetic import ConvergenceStudyConfig, IdentityStudyConfig, convergence_study, identity_study


@pytest.fixture(scope="module")
def tiny():
    return make_synthetic(n_sentences=60, n_nontopic=30, m=5, seed=4)


def _timeless(x):
    if isinstance(x, dict):
        return {k: _timeless(v) for k, v in x.items() if "second" not in k}
    return x


def test_identity_study_config_and_keywords_agree(tiny) -> None:
    ident = core_identity()
    kw = {"lrs": [0.4, 0.2], "horizon": 2.0, "d": 4, "hidden": 4, "seed": 1, "train_query": True}
    by_config, h1 = identity_study(tiny, "FC", ident, IdentityStudyConfig(**kw))
    by_keywords, h2 = identity_study(tiny, "FC", ident, **kw)
    assert _timeless(by_keywords) == _timeless(by_config)
    assert by_config["lrs"] == [0.4, 0.2] and by_config["epochs"] == [5, 10] and by_config["train_query"] is True
    assert (h1.loss == h2.loss).all()
    with pytest.raises(InvalidArgument, match="unknown setting epochs of IdentityStudyConfig; expected one of: lrs"):
        identity_study(tiny, "FC", ident, epochs=3)


def test_convergence_study_config_and_keywords_agree(tiny) -> None:
    kw = {"epochs": 20, "lr": 0.5, "d": 4, "hidden": 4, "seed": 1, "record_every": 5}
    by_config, h1 = convergence_study(tiny, "FC", None, ConvergenceStudyConfig(**kw))
    by_keywords, h2 = convergence_study(tiny, "FC", None, **kw)
    assert _timeless(by_keywords) == _timeless(by_config)
    assert by_config["epochs"] == 20 and by_config["lr"] == 0.5
    assert (h1.loss == h2.loss).all()
    with pytest.raises(InvalidArgument, match="unknown setting lrs of ConvergenceStudyConfig; expected one of: epochs"):
        convergence_study(tiny, "FC", None, lrs=(0.1, 0.2))
