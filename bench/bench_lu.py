"""Benchmark: the Lu et al. synthetic experiment and the SST2 run on this CPU.

Run:  python bench/bench_lu.py [--quick] [--epochs 5000] [--sst DIR] [--json]

Measures full-batch gradient descent on the paper's synthetic set (5000 sentences, 80/1/19
split -> 4000 training sentences, 4 topics x 2 topic words, 5000 non-topic words, m = 20,
d_e = d_k = 10, FC, lr 0.1, all words trainable) for ``--epochs`` epochs: wall time, CPU time
and epochs per second, and the per-epoch cost (loss and gradients) of the baseline measured
in the same run:

* baseline -- ``torch autograd``: the model as the reference code runs it (PyTorch, the whole
  training set as one padded batch, embedding look-ups, attention over each sentence, the
  fixed classifier, cross-entropy, ``backward()``), on CPU with PyTorch's default threads.
  Why a user would pick it: it is the published implementation's framework, and autograd
  needs no hand-written gradient.  Skipped (and said so) without the ``torch`` extra.

Internal comparisons, labelled as such (not baselines a user would pick):

* ``exact-shift path`` - the model's own per-sentence exponent shift (per-entry work and a
  sparse matrix rebuilt every call) instead of the constant count-matrix products: what the
  fast path saves inside the toolkit;
* ``per-sentence loop`` - a plain Python loop over sentences, kept only to show the cost of
  not vectorising (a straw man as a baseline).

``--quick``: 200 epochs and no SST run.

Then the SST2 run of ``theory lu sst`` (TC, 1000 epochs, lr 10) end to end.  On a shared
machine the CPU time is the stabler figure; both are printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import theory.lu.model as lu_model  # noqa: E402
from theory.lu.data import make_synthetic  # noqa: E402
from theory.lu.model import Batch, init_params, loss_and_grad  # noqa: E402
from theory.lu.train import TrainConfig, train_classifier  # noqa: E402


def _loop_step(p: dict, corpus) -> float:
    """Per-sentence loop (FC): loss and the W/K gradients, one sentence at a time."""
    gw, gk = np.zeros_like(p["W"]), np.zeros_like(p["K"])
    s_all = p["K"] @ p["q"]
    loss = 0.0
    n = corpus.n_sentences
    for i in range(n):
        sl = slice(corpus.indptr[i], corpus.indptr[i + 1])
        words, cnt = corpus.words[sl], corpus.counts[sl]
        s = s_all[words]
        e = cnt * np.exp(s - s.max())
        a = e / e.sum()
        c = a @ p["W"][words]
        z = p["U"] @ c
        pr = np.exp(z - z.max())
        pr /= pr.sum()
        loss -= np.log(pr[corpus.labels[i]]) / n
        pr[corpus.labels[i]] -= 1.0
        g = p["U"].T @ pr / n
        gw[words] += a[:, None] * g
        gs = a * ((p["W"][words] - c) @ g)
        gk[words] += np.outer(gs, p["q"])
    return loss


def _torch_epoch(p: dict, corpus):
    """The reference code's way: one autograd forward + backward over the padded training set."""
    import torch

    n = corpus.n_sentences
    lengths = np.diff(corpus.indptr)
    L = int(lengths.max())
    idx = np.zeros((n, L), dtype=np.int64)
    cnt = np.zeros((n, L))
    for i in range(n):
        sl = slice(corpus.indptr[i], corpus.indptr[i + 1])
        idx[i, : lengths[i]] = corpus.words[sl]
        cnt[i, : lengths[i]] = corpus.counts[sl]
    t_idx, t_cnt = torch.from_numpy(idx), torch.from_numpy(cnt)
    labels = torch.from_numpy(np.asarray(corpus.labels, dtype=np.int64))
    W = torch.tensor(p["W"], requires_grad=True)
    K = torch.tensor(p["K"], requires_grad=True)
    q, U = torch.tensor(p["q"]), torch.tensor(p["U"])

    def step() -> float:
        W.grad, K.grad = None, None
        s = K[t_idx] @ q  # (n, L) scores
        e = t_cnt * torch.exp(s - s.max(dim=1, keepdim=True).values)
        a = e / e.sum(dim=1, keepdim=True)
        c = (a[..., None] * W[t_idx]).sum(dim=1)
        loss = torch.nn.functional.cross_entropy(c @ U.T, labels)
        loss.backward()
        return float(loss.detach())

    return step


def _per_epoch(fn, reps: int) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - w0) / reps, (time.process_time() - c0) / reps


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="200 epochs, no SST run")
    ap.add_argument("--epochs", type=int, default=5000, help="training epochs timed (default 5000)")
    ap.add_argument("--sst", default=str(ROOT / ".." / "shared" / "data" / "sst"), help="SST data directory")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = ap.parse_args()
    if args.quick:
        args.epochs, args.sst = 200, ""

    data = make_synthetic()
    batch = Batch(data.train)
    p0 = init_params("FC", vocab_size=batch.v, n_classes=4, seed=0)
    cfg = TrainConfig("FC", epochs=args.epochs, lr=0.1, record_every=10)
    w0, c0 = time.perf_counter(), time.process_time()
    _, hist = train_classifier(p0, batch, cfg, track=data.topic_words)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    fast_w, fast_c = _per_epoch(lambda: loss_and_grad("FC", p0, batch), 50)
    spread = lu_model._SPREAD
    lu_model._SPREAD = -1.0
    try:
        exact_w, exact_c = _per_epoch(lambda: loss_and_grad("FC", p0, batch), 20)
    finally:
        lu_model._SPREAD = spread
    loop_w, loop_c = _per_epoch(lambda: _loop_step(p0, data.train), 2)
    try:
        torch_step = _torch_epoch(p0, data.train)
    except ImportError:
        torch_w = torch_c = None
    else:
        torch_step()  # warm-up
        torch_w, torch_c = _per_epoch(torch_step, 10)
    out = {
        "synthetic": {
            "train_sentences": batch.n,
            "vocab": batch.v,
            "epochs": args.epochs,
            "wall_seconds": wall,
            "cpu_seconds": cpu,
            "epochs_per_second_wall": args.epochs / wall,
            "epochs_per_second_cpu": args.epochs / cpu,
            "final_loss": float(hist.loss[-1]),
        },
        "per_epoch_ms": {
            "vectorised": {"wall": 1e3 * fast_w, "cpu": 1e3 * fast_c},
            "exact_shift_path (internal)": {"wall": 1e3 * exact_w, "cpu": 1e3 * exact_c},
            "per_sentence_loop (internal)": {"wall": 1e3 * loop_w, "cpu": 1e3 * loop_c},
        },
        "speedup_cpu": {
            "vs_exact_shift_path": exact_c / fast_c,
            "vs_per_sentence_loop": loop_c / fast_c,
        },
    }
    if torch_w is not None and torch_c is not None:
        out["per_epoch_ms"]["torch_autograd (baseline)"] = {"wall": 1e3 * torch_w, "cpu": 1e3 * torch_c}
        out["speedup_wall_vs_torch_autograd"] = torch_w / fast_w
        out["speedup_cpu"]["vs_torch_autograd"] = torch_c / fast_c
    sst = Path(args.sst)
    if args.sst and sst.is_dir():
        from theory.lu.report import sst_report

        w0, c0 = time.perf_counter(), time.process_time()
        rep = sst_report(sst, task="sst2", classifier="TC", epochs=1000)
        out["sst2_tc_1000_epochs"] = {
            "wall_seconds": time.perf_counter() - w0,
            "cpu_seconds": time.process_time() - c0,
            "train_seconds": rep.data["seconds"],
            "test_accuracy": rep.data["accuracy"]["test"],
        }
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    s, pe, sp = out["synthetic"], out["per_epoch_ms"], out["speedup_cpu"]
    print(
        f"synthetic FC, {s['train_sentences']} sentences x {s['epochs']} epochs: "
        f"{s['wall_seconds']:.1f} s wall ({s['epochs_per_second_wall']:.0f} epochs/s), "
        f"{s['cpu_seconds']:.1f} s CPU ({s['epochs_per_second_cpu']:.0f} epochs/s)"
    )
    for k, v in pe.items():
        print(f"  per epoch {k:30s} {v['cpu']:8.2f} ms CPU  {v['wall']:8.2f} ms wall")
    if "speedup_wall_vs_torch_autograd" in out:
        print(
            f"  BASELINE torch autograd (the reference code's framework): "
            f"{out['speedup_wall_vs_torch_autograd']:.1f}x wall, {sp['vs_torch_autograd']:.1f}x CPU"
        )
    else:
        print("  BASELINE torch autograd: skipped (install the torch extra)")
    print(
        f"  internal: {sp['vs_exact_shift_path']:.1f}x vs exact-shift path, "
        f"{sp['vs_per_sentence_loop']:.0f}x vs per-sentence loop (CPU)"
    )
    if "sst2_tc_1000_epochs" in out:
        r = out["sst2_tc_1000_epochs"]
        print(
            f"SST2 TC 1000 epochs end to end: {r['wall_seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s "
            f"CPU (training {r['train_seconds']:.1f} s), test accuracy {r['test_accuracy']:.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
