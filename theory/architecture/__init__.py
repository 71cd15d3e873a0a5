"""Receptive field and architecture choice (REFERENCE.md section 3, issue 6).

Stages, one module each:

* :mod:`.masks` - attention masks as graphs; :mod:`.mask_spec` - their spec strings;
* :mod:`.reach` - exact reach sets (interval / residue / sparse / networkx);
* :mod:`.coverage` - receptive-field report, closed forms, layers to cover a context;
* :mod:`.attention` - attention maps: validation, ``.npz`` layout, synthetic maps;
* :mod:`.rollout` - attention rollout, entropy, distance quantiles;
* :mod:`.attention_flow` - attention flow (Abnar & Zuidema; per-pair max-flow), fast and certified;
* :mod:`.params` - architecture specs and parameter counting;
* :mod:`.scaling` - scaling laws with versioned, cited constants;
* :mod:`.corpus` - the user's documents: offline BPE, token counts, length distribution;
* :mod:`.dependency` - the data's dependency range (mutual information by distance);
* :mod:`.overfit` - overfitting risk from tokens per parameter and R_N, R_D;
* :mod:`.verdict` - the compare-arch verdict in prose;
* :mod:`.probe` - reduced-width training of the shapes, measured gap (optional extra ``torch``);
* :mod:`.compare` - side-by-side comparison and verdict;
* :mod:`.real_maps` - real attention: the packaged MiniLM or a local Hugging Face model (extra ``minilm``);
* :mod:`.flow_solver` - the certified per-pair max-flow on the layered graph.
"""

from __future__ import annotations

from .attention import (
    AttentionMapError,
    AttentionStack,
    load_attention_npz,
    merge_heads,
    save_attention_npz,
    synthetic_attention,
    validate_attention,
)
from .attention_flow import FlowResult, attention_flow, flow_capacity_graph
from .compare import Comparison, compare_architectures, measured_effective_rf, render_comparison
from .corpus import CorpusConfig, CorpusStats, load_corpus
from .coverage import ReachReport, closed_form_span, layers_to_cover, receptive_field
from .dependency import DependencyConfig, DependencyReport, dependency_range
from .mask_spec import MaskSpecError, parse_mask
from .masks import Mask
from .overfit import overfitting_risk
from .params import ArchSpec, ArchSpecError, count_parameters, parse_arch
from .probe import ProbeConfig, run_probe
from .reach import reach_intervals, reach_networkx, reach_residues, reach_sparse, stack
from .real_maps import load_sst_sentences, minilm_attention, model_attention, read_text_file
from .rollout import attention_entropy, distance_quantiles, residual_mix, rollout, rollout_row
from .scaling import (
    LAWS,
    ExtrapolationWarning,
    ScalingLaw,
    compute_optimal,
    compute_optimal_numeric,
    get_law,
    predict_loss,
)

__all__ = [
    "LAWS",
    "ArchSpec",
    "ArchSpecError",
    "AttentionMapError",
    "AttentionStack",
    "Comparison",
    "CorpusConfig",
    "CorpusStats",
    "DependencyConfig",
    "DependencyReport",
    "ExtrapolationWarning",
    "FlowResult",
    "Mask",
    "MaskSpecError",
    "ProbeConfig",
    "ReachReport",
    "ScalingLaw",
    "attention_entropy",
    "attention_flow",
    "closed_form_span",
    "compare_architectures",
    "compute_optimal",
    "compute_optimal_numeric",
    "count_parameters",
    "dependency_range",
    "distance_quantiles",
    "flow_capacity_graph",
    "get_law",
    "layers_to_cover",
    "load_attention_npz",
    "load_corpus",
    "load_sst_sentences",
    "measured_effective_rf",
    "merge_heads",
    "minilm_attention",
    "model_attention",
    "overfitting_risk",
    "parse_arch",
    "parse_mask",
    "predict_loss",
    "reach_intervals",
    "reach_networkx",
    "reach_residues",
    "reach_sparse",
    "read_text_file",
    "receptive_field",
    "render_comparison",
    "residual_mix",
    "rollout",
    "rollout_row",
    "run_probe",
    "save_attention_npz",
    "stack",
    "synthetic_attention",
    "validate_attention",
]
