"""A measured overfitting probe: both shapes trained briefly at reduced width on the corpus.

Role: ``compare-arch --probe`` (issue 15 item 5).  The scaling-law verdict is a prediction;
this measures.  Each architecture keeps its number of layers, heads and attention mask,
with the width reduced to ``width`` (``d_head = width // heads``, so heads still do not
change the width), and is trained as a next-token language model for the same wall-clock
budget on the corpus's documents (split by document: ``1 - val_fraction`` for training,
the rest for validation).  Learning curves hold the loss on fixed training and validation
windows; the *measured gap* is validation minus training loss at the end (nats/token), with
the standard error from the spread of the per-window losses (windows taken independent).
A gap near 0 means the model generalises from what it has seen; a growing gap is
overfitting.

Model: pre-norm transformer blocks of ``torch.nn.TransformerEncoderLayer`` (GELU, 4x feed
forward, no dropout) with learned token and position embeddings and an untied output
layer; the spec's mask (:mod:`.masks`) is intersected with the causal mask (next-token
prediction may not look ahead); AdamW (Loshchilov & Hutter 2019), learning rate ``lr``.
Written with PyTorch's own layers (the ``torch`` extra) rather than a training library:
nothing else is needed for a few hundred steps on CPU.
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import asdict, dataclass

import numpy as np

from .._io import atomic_write_bytes
from ..errors import InvalidArgument, require
from .mask_spec import parse_mask
from .params import parse_arch

__all__ = ["ProbeConfig", "render_probe", "run_probe"]


@dataclass(frozen=True)
class ProbeConfig:
    """Settings of :func:`run_probe` (module docstring)."""

    seconds: float = 60.0
    width: int = 64
    context: int = 128
    batch: int = 16
    lr: float = 3e-3
    eval_every: int = 20
    eval_windows: int = 16
    val_fraction: float = 0.1
    max_steps: int = 100_000
    seed: int = 0
    threads: int = 1


def _windows(stream: np.ndarray, n: int, count: int, rng: np.random.Generator) -> np.ndarray:
    starts = rng.integers(0, stream.size - n - 1, count) if stream.size > n + 1 else np.zeros(count, dtype=int)
    return np.stack([stream[s : s + n + 1] for s in starts])


def _model(torch, spec: str, vocab: int, cfg: ProbeConfig):
    nn = torch.nn
    a = parse_arch(spec, context=cfg.context)
    d_head = max(1, cfg.width // a.heads)
    d = d_head * a.heads
    allowed = parse_mask(a.mask).keys(cfg.context).toarray().astype(bool) & np.tri(cfg.context, dtype=bool)

    class LM(nn.Module):  # type: ignore[name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.tok = nn.Embedding(vocab, d)
            self.pos = nn.Embedding(cfg.context, d)
            layer = nn.TransformerEncoderLayer(
                d, a.heads, 4 * d, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
            )
            self.blocks = nn.TransformerEncoder(layer, a.layers, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(d)
            self.out = nn.Linear(d, vocab)
            self.register_buffer("mask", torch.from_numpy(~allowed))  # True = may not attend

        def forward(self, x):
            n = x.shape[1]
            h = self.tok(x) + self.pos(torch.arange(n))
            h = self.blocks(h, mask=self.mask[:n, :n])
            return self.out(self.norm(h))

    return a, d, LM()


def _loss(torch, model, windows: np.ndarray) -> tuple[float, float]:
    """Mean loss over the windows and its standard error (the windows taken independent)."""
    x = torch.from_numpy(windows).long()
    with torch.no_grad():
        logits = model(x[:, :-1])
        per = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1), reduction="none"
        )
    w = per.reshape(x.shape[0], -1).mean(dim=1).double().numpy()
    return float(w.mean()), float(w.std(ddof=1) / math.sqrt(w.size)) if w.size > 1 else 0.0


def _train_one(torch, spec: str, vocab: int, cfg: ProbeConfig, train: np.ndarray, evals: tuple, n: int) -> dict:
    eval_train, eval_val = evals
    torch.manual_seed(cfg.seed)
    arch, d, model = _model(torch, spec, vocab + 1, cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    curve: dict[str, list[float]] = {"step": [], "seconds": [], "train": [], "val": [], "gap_stderr": []}
    brng = np.random.default_rng(cfg.seed + 1)
    t0 = time.perf_counter()
    step = 0
    while True:
        elapsed = time.perf_counter() - t0
        done = elapsed >= cfg.seconds or step >= cfg.max_steps
        if step % cfg.eval_every == 0 or done:
            model.eval()
            curve["step"].append(step)
            curve["seconds"].append(elapsed)
            (tr, se_tr), (va, se_va) = _loss(torch, model, eval_train), _loss(torch, model, eval_val)
            curve["train"].append(tr)
            curve["val"].append(va)
            curve["gap_stderr"].append(math.hypot(se_tr, se_va))
            model.train()
        if done:
            break
        x = torch.from_numpy(_windows(train, n, cfg.batch, brng)).long()
        logits = model(x[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
    if not all(math.isfinite(v) for v in curve["train"] + curve["val"] + curve["gap_stderr"]):
        raise InvalidArgument(f"probe of {spec!r} diverged (non-finite loss); lower the learning rate")
    return {
        "name": arch.label(),
        "layers": arch.layers,
        "heads": arch.heads,
        "probe_d_model": d,
        "probe_params": int(sum(p.numel() for p in model.parameters())),
        "steps": step,
        "train_loss": curve["train"][-1],
        "val_loss": curve["val"][-1],
        "gap": curve["val"][-1] - curve["train"][-1],
        "gap_stderr": math.hypot(se_tr, se_va),
        "epochs_seen": step * cfg.batch * n / train.size,
        "curve": curve,
    }  # fmt: skip


def run_probe(
    specs: list[str], docs: list[np.ndarray], vocab: int, config: ProbeConfig | None = None, *, plot: str | None = None
) -> dict:
    """Train every spec at reduced width for ``config.seconds`` and return curves and gaps.

    Parameters
    ----------
    specs : list of str
        Architecture specs (:func:`~.params.parse_arch`).
    docs : list of 1-D integer arrays
        Token ids per document (values below ``vocab``).
    vocab : int
        Vocabulary size of the tokenizer.
    plot : str, optional
        Write the learning curves to this PNG (atomic write; needs matplotlib).
    """
    torch = require("torch", "torch")
    cfg = config or ProbeConfig()
    if len(docs) < 2:
        raise InvalidArgument("the probe needs at least 2 documents (one for validation)")
    if not (0 < cfg.val_fraction < 1 and cfg.seconds > 0 and cfg.width >= 1 and 2 <= cfg.context <= 4096):
        raise InvalidArgument("probe: need 0 < val_fraction < 1, seconds > 0, width >= 1, 2 <= context <= 4096")
    rng = np.random.default_rng(cfg.seed)
    order = rng.permutation(len(docs))
    n_val = max(1, round(cfg.val_fraction * len(docs)))
    eos = vocab  # document separator, one extra embedding
    train = np.concatenate([np.append(docs[i], eos) for i in order[n_val:]]).astype(np.int64)
    val = np.concatenate([np.append(docs[i], eos) for i in order[:n_val]]).astype(np.int64)
    n = min(cfg.context, train.size - 1, val.size - 1)
    if n < 2:
        raise InvalidArgument("the probe needs documents of at least 2 tokens in both splits")
    eval_train = _windows(train, n, cfg.eval_windows, rng)
    eval_val = _windows(val, n, cfg.eval_windows, rng)
    results = []
    threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)  # small models: more threads only contend (measured 17 ms vs 0.3 s a step)
    try:
        for spec in specs:
            results.append(_train_one(torch, spec, vocab, cfg, train, (eval_train, eval_val), n))
    finally:
        torch.set_num_threads(threads)
    out = {
        "config": asdict(cfg),
        "train_tokens": int(train.size),
        "val_tokens": int(val.size),
        "window": n,
        "uniform_guess_loss": math.log(vocab + 1),
        "models": results,
    }
    _common_step(results, cfg.batch * n / train.size)
    if plot:
        out["plot"] = _plot(out, plot)
    return out


def _common_step(models: list[dict], epochs_per_step: float) -> None:
    """Gap of every model at the last evaluation all of them reached (the same data seen)."""
    common = min(m["steps"] for m in models)
    for m in models:
        k = max(i for i, st in enumerate(m["curve"]["step"]) if st <= common)
        c = m["curve"]
        m["at_common_step"] = {
            "step": c["step"][k],
            "epochs": c["step"][k] * epochs_per_step,
            "gap": c["val"][k] - c["train"][k],
            "gap_stderr": c["gap_stderr"][k],
            "val_loss": c["val"][k],
        }


def _plot(res: dict, path: str) -> str:
    require("matplotlib", "plot").use("Agg")
    plt = require("matplotlib.pyplot", "plot")
    fig, ax = plt.subplots(figsize=(7, 4))
    for k, m in enumerate(res["models"]):
        c = f"C{k}"
        ax.plot(m["curve"]["step"], m["curve"]["train"], "--", color=c, label=f"{m['name']} train")
        ax.plot(m["curve"]["step"], m["curve"]["val"], "-", color=c, label=f"{m['name']} validation")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats/token)")
    ax.set_title(f"probe: width {res['config']['width']}, window {res['window']}, {res['config']['seconds']:g} s each")
    ax.legend(fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return str(path)


def render_probe(res: dict) -> str:
    """Plain-text summary of :func:`run_probe`."""
    cfg = res["config"]
    lines = [
        f"Probe (measured): each shape trained at reduced width ~{cfg['width']} for {cfg['seconds']:g} s on "
        f"{res['train_tokens']:,} tokens, validated on {res['val_tokens']:,} held-out tokens (windows of "
        f"{res['window']}); uniform guess {res['uniform_guess_loss']:.2f} nats/token:",
    ]
    for m in res["models"]:
        lines.append(
            f"  {m['name']} (probe d_model {m['probe_d_model']}, {m['probe_params']:,} parameters, {m['steps']} "
            f"steps, {m['epochs_seen']:.2g} epochs): train {m['train_loss']:.3f}, "
            f"validation {m['val_loss']:.3f}, gap {m['gap']:+.3f} "
            f"± {m['gap_stderr']:.3f} nats/token (1 s.e.): "
            + ("overfitting measured" if m["gap"] > 2 * m["gap_stderr"] else "no gap beyond 2 s.e.")
        )
    if any(m["epochs_seen"] < 1 for m in res["models"]):
        lines.append(
            "  under one epoch seen: no token was repeated yet, so no gap could open; give more --probe-seconds "
            "to see overfitting."
        )
    if len(res["models"]) >= 2:
        at = [(m["name"], m["at_common_step"]) for m in res["models"]]
        step, epochs = at[0][1]["step"], at[0][1]["epochs"]
        lines.append(
            f"  at the same data seen (step {step}, {epochs:.2g} epochs; the models run at different speeds): "
            + "; ".join(f"{name} validation {a['val_loss']:.3f}, gap {a['gap']:+.3f} ± {a['gap_stderr']:.3f}"
                        for name, a in at)
        )  # fmt: skip
        ms = sorted(at, key=lambda x: x[1]["gap"])
        (_, lo), (hi_name, hi) = ms[0], ms[-1]
        noise = 2 * math.hypot(lo["gap_stderr"], hi["gap_stderr"])
        best = min(at, key=lambda x: x[1]["val_loss"])[0]
        lines.append(
            f"  at that step: lower validation loss {best}; "
            + (
                f"larger gap (more overfitting): {hi_name}."
                if hi["gap"] - lo["gap"] > noise
                else "the gaps do not differ beyond 2 s.e."
            )
            + " Reduced width and a short budget: a ranking of shapes on your data, not the full models' losses."
        )
    if "plot" in res:
        lines.append(f"  learning curves written to {res['plot']}")
    return "\n".join(lines)
