"""Hierarchical binary latent trees (HBLT) of Tian et al., "JoMA", ICLR 2024 (arXiv 2310.00535).

Role: the public surface of the sub-package, one module per concept:

* :mod:`~theory.hierarchy.tree` - build and validate trees (networkx), edge laws;
* :mod:`~theory.hierarchy.cooccurrence` - exact :math:`P(y_l = 1 \\mid y_m = 1)` from paths;
* :mod:`~theory.hierarchy.closed_form` - the same derived in closed form with SymPy;
* :mod:`~theory.hierarchy.sampling` - Monte Carlo token sets and estimates;
* :mod:`~theory.hierarchy.order` - predicted order in which associations are learned;
* :mod:`~theory.hierarchy.toy` - a two-layer NumPy toy model and its per-layer scores;
* :mod:`~theory.hierarchy.combination` - the JoMA code's own data (deterministic random combinations);
* :mod:`~theory.hierarchy.transformer` - a multilayer transformer scored as in JoMA's Table 1 (torch extra);
* :mod:`~theory.hierarchy.transformer_study` - seeds, summaries and the ablation of that experiment;
* :mod:`~theory.hierarchy.posterior` - exact latent posteriors and the alignment ceiling they set;
* :mod:`~theory.hierarchy.report` - one study end to end (what ``theory hierarchy`` prints);
* :mod:`~theory.hierarchy.figure` - the hierarchy-score figure (optional matplotlib).
"""

from .closed_form import cooccurrence_closed_form, general_closed_form
from .combination import CombinationHierarchy, build_combination
from .cooccurrence import PairTable, exact_cooccurrence, pair_table
from .order import AssociationGroup, lca_monotonicity, predicted_order
from .posterior import alignment_ceiling, posteriors
from .report import HierarchyConfig, hierarchy_report
from .sampling import Samples, cooccurrence_estimate, max_z_score, sample
from .toy import ToyConfig, ToyRun, train_toy
from .transformer import TransformerConfig, TransformerRun, train_transformer
from .transformer_study import run_ablation
from .tree import (
    CycleError,
    HierarchyError,
    InvalidRhoError,
    LatentTree,
    NotATreeError,
    UnreachableNodeError,
    build_tree,
    tree_from_graph,
)

__all__ = [
    "AssociationGroup",
    "CombinationHierarchy",
    "CycleError",
    "HierarchyConfig",
    "HierarchyError",
    "InvalidRhoError",
    "LatentTree",
    "NotATreeError",
    "PairTable",
    "Samples",
    "ToyConfig",
    "ToyRun",
    "TransformerConfig",
    "TransformerRun",
    "UnreachableNodeError",
    "alignment_ceiling",
    "build_combination",
    "build_tree",
    "cooccurrence_closed_form",
    "cooccurrence_estimate",
    "exact_cooccurrence",
    "general_closed_form",
    "hierarchy_report",
    "lca_monotonicity",
    "max_z_score",
    "pair_table",
    "posteriors",
    "predicted_order",
    "run_ablation",
    "sample",
    "train_toy",
    "train_transformer",
    "tree_from_graph",
]
