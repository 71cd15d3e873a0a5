"""Reports for ``theory lu synthetic`` and ``theory lu sst``: JSON data, text, verdict.

Role: run the studies of :mod:`theory.lu.synthetic` / :mod:`theory.lu.sst_experiment`, apply
the expectations (identity slope about 1 with the query fixed; negative control broken;
FC convergence and mutual promotion) and render one human summary.  The CLI only parses
arguments and calls :func:`synthetic_report` / :func:`sst_report` (and :func:`with_figures` for
``--plot DIR``).

Verdict thresholds: the slope band and the negative-control slope of
:mod:`theory.numeric.slopes` (shared with ``theory check``), and :data:`theory.lu.synthetic.CONTROL_MIN_RATIO`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from .._config import configure
from ..numeric.slopes import CONTROL_MAX_SLOPE, SLOPE_BAND
from .data import make_synthetic
from .identity import core_identity
from .sst import load_sst
from .sst_experiment import SSTConfig, run_sst
from .synthetic import (
    CONTROL_MIN_RATIO,
    ConvergenceStudyConfig,
    IdentityStudyConfig,
    ablation_study,
    convergence_study,
    identity_study,
    side_condition_sweep,
)

__all__ = ["Report", "SSTConfig", "SyntheticConfig", "sst_report", "synthetic_report", "with_figures"]


@dataclass(frozen=True)
class Report:
    """Data (JSON-able), text, verdict, the arrays the plots need and notes for the user."""

    data: dict
    text: str
    ok: bool
    arrays: dict
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SyntheticConfig:
    """Settings of ``theory lu synthetic`` (defaults: the paper's synthetic set-up).

    Attributes
    ----------
    classifier : {"FC", "TC", "TL"}
    epochs, lr : int, float
        Convergence run: full-batch epochs and learning rate (paper: 0.1).
    d : int
        Embedding and key dimension.
    seed : int
        Data and initialisation seed.
    n_sentences, n_nontopic, m : int
        Synthetic data: sentences, non-topic words, words per sentence.
    lrs : tuple of float
        Learning rates of the identity study (at least two: the slope is fitted over them).
    horizon : float
        Fixed horizon :math:`T = \\eta \\cdot` epochs of the identity study.
    ablation_epochs : int
        Epochs of each ablation run (FC only).
    sweep : bool
        Also run the side-condition sweep, with ``sweep_epochs`` and ``sweep_sentences``.
    fc_init : {"code", "scaled"}
        The fixed classifier's start: the published code's (standard normal, diagonal 1;
        default) or :math:`\\mathcal N(0, 1/d_e)` (:func:`theory.lu.classifiers.init_classifier`).
    """

    classifier: str = "FC"
    epochs: int = 5000
    lr: float = 0.1
    d: int = 10
    seed: int = 0
    n_sentences: int = 5000
    n_nontopic: int = 5000
    m: int = 20
    lrs: tuple[float, ...] = (0.8, 0.4, 0.2)
    horizon: float = 500.0
    ablation_epochs: int = 2000
    sweep: bool = False
    sweep_epochs: int = 1000
    sweep_sentences: int = 5000
    fc_init: str = "code"

    def __post_init__(self) -> None:
        object.__setattr__(self, "lrs", tuple(float(x) for x in self.lrs))

    @classmethod
    def from_namespace(cls, ns: object) -> SyntheticConfig:
        """The fields present as attributes of ``ns`` (e.g. parsed CLI arguments); defaults for the rest."""
        return cls(**{f.name: getattr(ns, f.name) for f in fields(cls) if hasattr(ns, f.name)})


def synthetic_report(config: SyntheticConfig | None = None, /, **changes: Any) -> Report:
    """Identity (+ negative control), convergence, ablations (FC) and optionally the sweep.

    Parameters
    ----------
    config : SyntheticConfig, optional
        The settings (default: ``SyntheticConfig()``).
    **changes
        Fields of :class:`SyntheticConfig` to override, e.g. ``synthetic_report(epochs=100)``.

    Returns
    -------
    Report
        Verdict: identity slope in :data:`theory.numeric.slopes.SLOPE_BAND`, negative control
        below :data:`theory.numeric.slopes.CONTROL_MAX_SLOPE` and at least
        :data:`theory.lu.synthetic.CONTROL_MIN_RATIO` times the fixed-query drift, and (FC)
        monotone scores, rising topic attention and mutual promotion.
    """
    cfg = configure(SyntheticConfig, config, changes)
    classifier, epochs, lr, d, seed = cfg.classifier, cfg.epochs, cfg.lr, cfg.d, cfg.seed
    n_sentences, n_nontopic, m, lrs, horizon = cfg.n_sentences, cfg.n_nontopic, cfg.m, cfg.lrs, cfg.horizon
    ablation_epochs, sweep, sweep_epochs, sweep_sentences = (
        cfg.ablation_epochs,
        cfg.sweep,
        cfg.sweep_epochs,
        cfg.sweep_sentences,
    )
    ident = core_identity()
    data = make_synthetic(n_sentences=n_sentences, n_nontopic=n_nontopic, m=m, seed=seed)
    study = IdentityStudyConfig(lrs=lrs, horizon=horizon, d=d, seed=seed, fc_init=cfg.fc_init)
    ident_q_fixed, hist_exact = identity_study(data, classifier, ident, study)
    ident_q_trained, hist_ctrl = identity_study(data, classifier, ident, replace(study, train_query=True))
    conv_config = ConvergenceStudyConfig(epochs=epochs, lr=lr, d=d, seed=seed, fc_init=cfg.fc_init)
    conv, hist_conv = convergence_study(data, classifier, ident, conv_config)
    slope_ok = SLOPE_BAND[0] <= ident_q_fixed["slope"] <= SLOPE_BAND[1]
    ratio = ident_q_trained["max_rel_drift"][-1] / max(ident_q_fixed["max_rel_drift"][-1], 1e-300)
    broken = ident_q_trained["slope"] < CONTROL_MAX_SLOPE and ratio > CONTROL_MIN_RATIO
    checks = {
        "identity_slope_in_range": slope_ok,
        "negative_control_broken": broken,
    }
    out = {
        "classifier": classifier,
        "data": {
            "n_sentences": n_sentences,
            "n_nontopic": n_nontopic,
            "m": m,
            "n_topics": data.n_topics,
            "words_per_topic": data.words_per_topic,
            "split": [data.train.n_sentences, data.dev.n_sentences, data.test.n_sentences],
            "seed": seed,
        },
        "core": ident.as_json(),
        "identity": ident_q_fixed,
        "negative_control": {**ident_q_trained, "rel_drift_ratio_vs_fixed_q": ratio, "flag": broken},
        "convergence": conv,
        "slope_range": list(SLOPE_BAND),
    }
    if classifier == "FC":
        checks["scores_monotone"] = conv["scores_monotone"]
        checks["topic_attention_rises"] = conv["topic_attention"][1] > conv["topic_attention"][0]
        abl = ablation_study(data, epochs=ablation_epochs, lr=lr, d=d, seed=seed, fc_init=cfg.fc_init)
        out["ablations"] = abl
        checks["mutual_promotion"] = abl["mutual_promotion"]
    if sweep:
        out["side_condition_sweep"] = side_condition_sweep(
            ident, classifier=classifier, epochs=sweep_epochs, lr=lr, seed=seed, n_sentences=sweep_sentences
        )
    out["checks"] = checks
    ok = all(checks.values())
    return Report(
        out, _synthetic_text(out), ok, {"exact": hist_exact, "control": hist_ctrl, "convergence": hist_conv, "m": m}
    )


def _fmt(xs: list[float]) -> str:
    return ", ".join(f"{x:.3g}" for x in xs)


class _NotAvailable:
    """Stands for a value a short run could not measure (``None``): formats as ``n/a`` under any spec."""

    def __format__(self, spec: str) -> str:
        return "n/a"

    def __str__(self) -> str:
        return "n/a"


def _printable(obj: Any) -> Any:
    """``obj`` with every ``None`` replaced by :class:`_NotAvailable`, for the text rendering."""
    if obj is None:
        return _NotAvailable()
    if isinstance(obj, dict):
        return {k: _printable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_printable(v) for v in obj]
    return obj


def _synthetic_text(o: dict) -> str:
    o = _printable(o)  # a short run leaves some fits undefined (None): shown as n/a, never a crash
    i, c, v = o["identity"], o["negative_control"], o["convergence"]
    lines = [
        f"Lu et al. synthetic topics, classifier {o['classifier']} "
        f"(N={o['data']['n_sentences']}, V_nontopic={o['data']['n_nontopic']}, m={o['data']['m']})",
        f"identity (core: {o['core']['invariant']})",
        f"  q fixed, non-topic frozen, horizon eta*epochs={i['horizon']:g}: lr {_fmt(i['lrs'])}",
        f"    max |I(t)-I(0)| = {_fmt(i['max_abs_drift'])}  (relative {_fmt(i['max_rel_drift'])})",
        f"    slope d log drift / d log lr = {i['slope']:.3f}  (expected ~1, range {o['slope_range']})",
        f"  NEGATIVE CONTROL q trained: drift {_fmt(c['max_abs_drift'])}, slope {c['slope']:.3f}, "
        f"{c['rel_drift_ratio_vs_fixed_q']:.0f}x the fixed-q drift -> "
        f"{'identity broken (as expected)' if c['flag'] else 'NOT broken (unexpected)'}",
        f"convergence (all words trainable, lr={v['lr']:g}, {v['epochs']} epochs, "
        f"{v['seconds']:.1f} s, {v['epochs_per_second']:.0f} epochs/s)",
        f"  loss {v['loss'][0]:.4f} -> {v['loss'][1]:.4g}; topic attention "
        f"{v['topic_attention'][0]:.3f} -> {v['topic_attention'][1]:.3f}; "
        f"scores monotone: {v['scores_monotone']}; test accuracy {v['test_accuracy']:.3f}",
        f"  growth: ds_t/dlog(epoch) = {v['score_per_log_epoch']:.3f}, "
        f"dlog(loss)/dlog(epoch) = {v['loss_log_slope']:.3f} (late half)",
    ]
    if "identity_approx" in v:
        a = v["identity_approx"]
        lines.append(
            f"  identity with trainable non-topic words (approximate): relative drift "
            f"{a['max_rel_drift']:.3g}, curve residual {a['curve_rel_residual']:.3g}; "
            f"non-topic max |s| {v['nontopic_max_abs_score']:.3g}, max |w| {v['nontopic_max_norm']:.3g}"
        )
    if "ablations" in o:
        a = o["ablations"]
        lines.append(
            f"ablations at {o['ablations']['full']['seconds']:.1f} s/run: full s_t={a['full']['mean_score']:.3f} "
            f"|q||w|={a['full']['mean_qw']:.3f}; keys frozen |q||w|={a['keys_frozen']['mean_qw']:.3f}; "
            f"embeddings frozen s_t={a['embeddings_frozen']['mean_score']:.3g} -> mutual promotion: "
            f"{a['mutual_promotion']}"
        )
    if "side_condition_sweep" in o:
        lines.append(
            "side-condition sweep (non-topic words trainable vs frozen, same lr and epochs): "
            "rel drift, frozen rel drift, excess ratio, final topic score"
        )
        for r in o["side_condition_sweep"]["rows"]:
            lines.append(
                f"  V={r['vocab']:5d} m={r['m']:3d}: {r['max_rel_drift']:.3g}, "
                f"{r['frozen_max_rel_drift']:.3g}, {r['excess']:.2f}x, s_t={r['mean_topic_score']:.3g}"
            )
    lines.append("checks: " + ", ".join(f"{k}={v}" for k, v in o["checks"].items()))
    return "\n".join(lines)


def sst_report(path: str | Path, config: SSTConfig | None = None, **changes: Any) -> Report:
    """Train on SST and report accuracy, identity residuals for the top words, purity shift.

    Parameters
    ----------
    path : str or Path
        Folder of the SST files.
    config : SSTConfig, optional
        The settings (default: ``SSTConfig()``: SST2, TC, 1000 epochs; ``lr=None`` picks the
        measured stable default, :meth:`SSTConfig.learning_rate`).
    **changes
        Fields of :class:`SSTConfig` to override, e.g. ``sst_report(path, classifier="FC")``.

    Returns
    -------
    Report
        Verdict: the purity of the most-attended words rises.
    """
    cfg = configure(SSTConfig, config, changes)
    data = load_sst(path, cfg.task, pad_to=cfg.pad_to, max_train=cfg.max_train)  # input errors first
    rep, arrays = run_sst(data, core_identity(), cfg)
    top = cfg.top
    pur = rep["purity"]
    rep["checks"] = {"purity_rises": pur["shift"] > 0}
    idn = rep["identity"]
    acc = rep["accuracy"]
    text = "\n".join(
        [
            f"Lu et al. on {rep['task'].upper()}, classifier {rep['classifier']}: {rep['epochs']} "
            f"epochs of full-batch GD, lr={rep['lr']:g}, d={rep['d']}, {rep['seconds']:.1f} s",
            f"  accuracy train {acc['train']:.3f}  dev {acc['dev']:.3f}  test {acc['test']:.3f}; "
            f"loss {rep['loss'][0]:.3f} -> {rep['loss'][1]:.4g}",
            f"  identity curve, top {len(idn['scores'])} words by score (m_u from sentence lengths): "
            f"median |qw-F|/F = {idn['median_rel_residual']:.3f}, max {idn['max_rel_residual']:.3f}, "
            f"{100 * idn['fraction_within_25pct']:.0f}% within 25%",
            f"    top words: {', '.join(idn['words'][:10])}",
            f"  purity of the {top} most-attended words: epoch {pur['early_epoch']} "
            f"{pur['early']['mean_purity']:.3f} -> end {pur['late']['mean_purity']:.3f} "
            f"(shift {pur['shift']:+.3f}; {top} most frequent words: "
            f"{pur['most_frequent_mean_purity']:.3f})",
            f"    early: {', '.join(pur['early']['words'])}",
            f"    late:  {', '.join(pur['late']['words'])}",
        ]
    )
    return Report(rep, text, all(rep["checks"].values()), arrays)


def with_figures(report: Report, kind: Literal["synthetic", "sst"], out_dir: str | Path) -> Report:
    """Draw the figures of ``report`` into ``out_dir`` and record them in its data and text.

    Parameters
    ----------
    report : Report
        From :func:`synthetic_report` (``kind="synthetic"``) or :func:`sst_report` (``kind="sst"``).
    kind : {"synthetic", "sst"}
        Which figures to draw (:mod:`theory.lu.plots`).
    out_dir : path
        Created if missing; PNG and PDF files are written atomically.

    Returns
    -------
    Report
        ``report`` with ``data["plots"] = {"written": [paths]}`` (``lu-NAME.json`` beside each
        ``lu-NAME.png`` / ``.pdf``) and a ``figure:`` line per file; without matplotlib only the
        JSON files are written, ``data["plots"]["skipped"]`` says why and a note says how to
        install it.
    """
    from .plots import sst_figures, synthetic_figures  # matplotlib itself is imported only when drawing

    draw = synthetic_figures if kind == "synthetic" else sst_figures
    files, notes = draw(report.data, report.arrays, core_identity(), out_dir)
    text = report.text + "".join(f"\nfigure: {f}" for f in files)
    if notes:
        plots = {"written": files, "skipped": notes[0]}
        return replace(report, data={**report.data, "plots": plots}, text=text, notes=(*report.notes, *notes))
    return replace(report, data={**report.data, "plots": {"written": files}}, text=text)
