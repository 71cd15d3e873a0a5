"""Time estimates of the architecture computations, checked against :mod:`theory._budget`.

Kept apart from the algorithms so the estimates (and their measured constants) live in one place.
"""

from __future__ import annotations

from .._budget import check as check_budget

__all__ = ["SECONDS_PER_PAIR_LAYER", "flow_budget"]

#: Wall time of one (output, input) max-flow per layer of the graph with the "fast" method,
#: measured on synthetic causal maps (n = 64 and 128, 6 layers: 0.4-0.5 ms); hard maps
#: (chunked masks, exact fallbacks) are slower, so this is a lower bound of the cost.
SECONDS_PER_PAIR_LAYER = 4e-4


def flow_budget(layers: int, n: int, outputs: int, inputs: int) -> None:
    """Refuse an attention-flow run whose estimated time is over the budget.

    One max-flow per (output, input) pair on a graph of ``(layers + 1) * n`` nodes:
    ``seconds ~ SECONDS_PER_PAIR_LAYER * layers * outputs * inputs``.
    """
    seconds = SECONDS_PER_PAIR_LAYER * layers * outputs * inputs
    check_budget(
        "attention flow",
        seconds=seconds,
        memory=8.0 * 4 * layers * n * n,
        detail=f"{outputs}x{inputs} max-flows over {layers} layers of n={n}",
        reduce="--outputs (e.g. last), --method rollout,",
    )
