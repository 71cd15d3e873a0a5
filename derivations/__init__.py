"""The theorem catalogue: one small module per theorem, each building its :class:`~theory.theorem.Theorem` record.

Installed as ``theory.derivations`` (``pyproject.toml`` maps this folder; from a source
checkout :mod:`theory._source_tree` resolves the same name), never as a top-level package.
``THEOREMS`` lists the records in the order ``theory list`` shows them; :mod:`theory.catalogue`
reads it.  The generated LaTeX of each theorem sits beside its module as ``<name>.tex``; a
test regenerates it and compares (``theory prove NAME --latex DIR`` writes a fresh copy).
"""

from . import (
    joma_exp,
    joma_exp_almost_orthogonal,
    joma_first_integral,
    joma_linear,
    joma_linear_closed_form,
    joma_local_rate,
    joma_softmax_conditional,
    joma_softmax_identity,
    joma_two_query,
    lu_closed_form,
    lu_identity,
    lu_trainable_nontopic,
    lu_trained_query,
)

__all__ = ["MODULES", "THEOREMS"]

#: The theorem modules, in catalogue order.
MODULES = (
    joma_linear,
    joma_exp,
    joma_softmax_identity,
    joma_softmax_conditional,
    joma_exp_almost_orthogonal,
    joma_two_query,
    joma_linear_closed_form,
    joma_first_integral,
    joma_local_rate,
    lu_identity,
    lu_closed_form,
    lu_trained_query,
    lu_trainable_nontopic,
)
#: The catalogue's records, in catalogue order.
THEOREMS = tuple(m.THEOREM for m in MODULES)
