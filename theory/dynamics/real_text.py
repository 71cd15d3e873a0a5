"""Real text: per-layer attention entropy of a small causal transformer trained on SST.

Role: the optional torch experiment of the JoMA reproduction (Tian et al., ICLR 2024,
Sec. 6 and Fig. 6, where Wikitext2 models show attention entropy dropping in the first
~2k minibatches and rising again at good learning rates, and collapsing at too large ones).
Here: next-token prediction on the SST sentences (``stsa.binary.train``: label then
text), word-level vocabulary, chunks of 35 tokens, a pre-LayerNorm causal transformer
written out by hand so that the attention probabilities are available, trained with Adam
at several learning rates; the entropy of every query position's attention
(:math:`-\\sum_j p_{ij}\\ln p_{ij}`, averaged over heads, positions and a fixed held-out
batch) is logged per layer.  Reference line: uniform causal attention over 35 positions,
:math:`\\frac{1}{35}\\sum_{i=1}^{35}\\ln i \\approx 2.63` nats.

torch is an optional extra (``pip install torch==2.13.0``; unpinned it pulls CUDA builds);
without it :func:`run_real_text` raises :class:`~theory.errors.OptionalDependencyError`.
"""

from __future__ import annotations

import collections
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidArgument, require
from .entropy import entropy_shape, uniform_causal_mean_entropy

__all__ = ["RealTextConfig", "load_sst_tokens", "run_real_text"]

SST_FILE = "stsa.binary.train"


@dataclass(frozen=True)
class RealTextConfig:
    """Sizes and schedule (defaults: a few minutes on a CPU for four learning rates).

    ``threads = 1``: on a shared 2-core machine one intra-op thread is ~10x faster than two
    (measured 0.17 s vs 1.6 s per step under load), so parallelism is left to the caller.
    """

    vocab: int = 2000
    seq_len: int = 35
    d_model: int = 64
    heads: int = 2
    layers: int = 2
    batch: int = 32
    steps: int = 800
    log_every: int = 20
    lrs: tuple[float, ...] = (1e-3, 3e-3, 1e-2, 3e-2)
    seed: int = 0
    threads: int = 1


def load_sst_tokens(path: str | Path, *, vocab: int = 2000) -> tuple[np.ndarray, list[str]]:
    """Token ids of the SST training sentences (``<eos>`` between sentences) and the vocabulary.

    Parameters
    ----------
    path : str or Path
        The SST directory (containing ``stsa.binary.train``) or that file itself.
    vocab : int
        Vocabulary size including ``<unk>`` and ``<eos>`` (most frequent words kept).
    """
    p = Path(path)
    f = p / SST_FILE if p.is_dir() else p
    if not f.is_file():
        raise InvalidArgument(f"SST file not found at {str(f)!r}; pass the directory holding {SST_FILE}")
    if vocab < 3:
        raise InvalidArgument(f"expected vocab >= 3, got vocab={vocab!r}")
    sentences = []
    for line in f.read_text(encoding="utf-8").splitlines():
        parts = line.strip().split()
        if len(parts) > 1:
            sentences.append(parts[1:] if parts[0] in {"0", "1", "2", "3", "4"} else parts)
    if not sentences:
        raise InvalidArgument(f"no sentences in {str(f)!r}; expected lines '<label> <text>'")
    counts = collections.Counter(w for s in sentences for w in s)
    words = ["<unk>", "<eos>"] + [w for w, _ in counts.most_common(vocab - 2)]
    index = {w: i for i, w in enumerate(words)}
    ids = [index.get(w, 0) for s in sentences for w in (*s, "<eos>")]
    return np.asarray(ids, dtype=np.int64), words


def _model(torch: Any, cfg: RealTextConfig, n_vocab: int) -> Any:
    nn = torch.nn
    module: Any = nn.Module  # torch is optional and untyped here: the base class is dynamic

    class Block(module):
        def __init__(self) -> None:
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
            self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
            self.proj = nn.Linear(cfg.d_model, cfg.d_model)
            self.mlp = nn.Sequential(
                nn.Linear(cfg.d_model, 4 * cfg.d_model), nn.GELU(), nn.Linear(4 * cfg.d_model, cfg.d_model)
            )

        def forward(self, x, mask):
            B, L, D = x.shape
            h = cfg.heads
            q, k, v = self.qkv(self.ln1(x)).view(B, L, 3, h, D // h).permute(2, 0, 3, 1, 4)
            scores = (q @ k.transpose(-1, -2)) / (D // h) ** 0.5
            p = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
            x = x + self.proj((p @ v).transpose(1, 2).reshape(B, L, D))
            return x + self.mlp(self.ln2(x)), p

    class LM(module):
        def __init__(self) -> None:
            super().__init__()
            self.tok = nn.Embedding(n_vocab, cfg.d_model)
            self.pos = nn.Embedding(cfg.seq_len, cfg.d_model)
            self.blocks = nn.ModuleList(Block() for _ in range(cfg.layers))
            self.ln = nn.LayerNorm(cfg.d_model)
            mask = torch.triu(torch.ones(cfg.seq_len, cfg.seq_len, dtype=torch.bool), diagonal=1)
            self.register_buffer("mask", mask)
            for mod in self.modules():  # GPT-2 style small init: logits O(1) at the start
                if isinstance(mod, (nn.Linear, nn.Embedding)):
                    nn.init.normal_(mod.weight, std=0.02)
                    if getattr(mod, "bias", None) is not None:
                        nn.init.zeros_(mod.bias)

        def forward(self, idx):
            L = idx.shape[1]
            x = self.tok(idx) + self.pos(torch.arange(L))
            probs = []
            for blk in self.blocks:
                x, p = blk(x, self.mask[:L, :L])
                probs.append(p)
            return self.ln(x) @ self.tok.weight.T, probs

    return LM()


def _entropies(torch: Any, probs: Any) -> list[float]:
    out = []
    for p in probs:
        logp = torch.log(p.clamp_min(1e-30))
        out.append(float(-(p * logp).sum(-1).mean()))
    return out


def run_real_text(path: str | Path, cfg: RealTextConfig | None = None) -> dict:
    """Train one model per learning rate and report per-layer entropy curves and shapes.

    Returns
    -------
    dict
        ``config``, ``uniform_causal_reference``, ``runs`` (per lr: ``steps``, per-layer
        ``entropy`` curves, ``shape`` per layer, ``val_loss`` first/last, ``seconds``), and
        ``summary`` (per lr and layer: drop-then-rise yes/no, minimum step and depth).
    """
    torch = require("torch", "torch")
    cfg = cfg or RealTextConfig()
    torch.set_num_threads(cfg.threads)
    ids, words = load_sst_tokens(path, vocab=cfg.vocab)
    n_chunks = (len(ids) - 1) // cfg.seq_len
    if n_chunks < 2 * cfg.batch:
        raise InvalidArgument(f"only {n_chunks} chunks of {cfg.seq_len} tokens; need at least {2 * cfg.batch}")
    X = torch.as_tensor(ids[: n_chunks * cfg.seq_len].reshape(n_chunks, cfg.seq_len))
    Y = torch.as_tensor(ids[1 : n_chunks * cfg.seq_len + 1].reshape(n_chunks, cfg.seq_len))
    gen = torch.Generator().manual_seed(cfg.seed)
    perm = torch.randperm(n_chunks, generator=gen)
    val, train = perm[: 4 * cfg.batch], perm[4 * cfg.batch :]
    ref = uniform_causal_mean_entropy(cfg.seq_len)
    runs, summary = [], []
    for lr in cfg.lrs:
        torch.manual_seed(cfg.seed)
        model = _model(torch, cfg, len(words))
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        t0 = time.perf_counter()
        steps: list[int] = []
        curves: list[list[float]] = [[] for _ in range(cfg.layers)]
        vloss: list[float] = []
        g = torch.Generator().manual_seed(cfg.seed + 1)
        for step in range(cfg.steps + 1):
            if step % cfg.log_every == 0:
                with torch.no_grad():
                    logits, probs = model(X[val])
                    vloss.append(
                        float(
                            torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y[val].reshape(-1))
                        )
                    )
                for layer, h in enumerate(_entropies(torch, probs)):
                    curves[layer].append(h)
                steps.append(step)
            if step == cfg.steps:
                break
            b = train[torch.randint(len(train), (cfg.batch,), generator=g)]
            logits, _ = model(X[b])
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y[b].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
        shapes = [entropy_shape(np.asarray(steps, float), np.asarray(c), tol=RISE_TOL).as_dict() for c in curves]
        runs.append(
            {
                "lr": lr,
                "steps": steps,
                "entropy": curves,
                "shape": shapes,
                "val_loss_first": vloss[0],
                "val_loss_last": vloss[-1],
                "val_loss_min": min(vloss),
                "val_loss": vloss,
                "seconds": time.perf_counter() - t0,
            }
        )
        for layer, s in enumerate(shapes):
            summary.append(
                {
                    "lr": lr,
                    "layer": layer,
                    "drop_then_rise": s["drop_then_rise"],
                    "h0": s["h0"],
                    "h_min": s["h_min"],
                    "min_step": s["t_min"],
                    "h_end": s["h_end"],
                    "rise": s["rise"],
                    "collapsed": bool(s["h_end"] < COLLAPSE_H),
                }
            )
    return {
        "config": asdict(cfg),
        "n_tokens": len(ids),
        "uniform_causal_reference": ref,
        "rise_tol": RISE_TOL,
        "collapse_threshold": COLLAPSE_H,
        "runs": runs,
        "summary": summary,
    }


#: A rise or drop smaller than this (nats) on the held-out batch counts as none: the entropy
#: of a fixed batch moves by a few 1e-3 nats between logs from minibatch noise alone.
RISE_TOL = 0.02
#: Mean entropy below this (nats) counts as collapsed attention (nearly one key per query).
COLLAPSE_H = 0.3
