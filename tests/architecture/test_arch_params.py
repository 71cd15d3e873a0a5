"""Parameter counting: Kaplan's 12 L d^2, conventions, heads at fixed width, spec parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory.architecture.params import ArchSpecError, count_parameters, parse_arch


@given(layers=st.integers(1, 48), heads=st.integers(1, 16), d_head=st.integers(8, 128))
def test_kaplan_12_L_d2_without_biases(layers: int, heads: int, d_head: int) -> None:
    a = parse_arch(f"layers={layers},heads={heads},d_head={d_head},bias=false")
    c = count_parameters(a)
    d = heads * d_head
    assert c["attention"] == 4 * layers * d * d
    assert c["ffn"] == 8 * layers * d * d
    # non-embedding = 12 L d^2 + LayerNorms (2 per layer + final, gain and bias)
    assert c["non_embedding"] == 12 * layers * d * d + (2 * layers + 1) * 2 * d


@given(layers=st.integers(1, 12), d_model=st.sampled_from([96, 192, 384, 768]))
def test_heads_do_not_change_count_at_fixed_width(layers: int, d_model: int) -> None:
    counts = {
        h: count_parameters(parse_arch(f"layers={layers},heads={h},d_model={d_model}"))["total"]
        for h in (1, 2, 3, 4, 6, 12)
        if d_model % h == 0
    }
    assert len(set(counts.values())) == 1


def test_conventions_embedding_tied_untied_learned() -> None:
    base = "layers=2,heads=4,d_head=32,vocab=1000"
    tied = count_parameters(parse_arch(base))
    untied = count_parameters(parse_arch(base + ",tied=false"))
    learned = count_parameters(parse_arch(base + ",positional=learned,context=512"))
    d = 128
    assert tied["embedding"] == 1000 * d and tied["unembedding"] == 0
    assert untied["total"] - tied["total"] == 1000 * d
    assert learned["total"] - tied["total"] == 512 * d
    assert tied["non_embedding"] == untied["non_embedding"] == learned["non_embedding"]
    assert tied["total"] == tied["non_embedding"] + 1000 * d


def test_gated_ffn_has_three_matrices() -> None:
    a = count_parameters(parse_arch("layers=1,heads=1,d_model=64,bias=false,ffn=2"))
    g = count_parameters(parse_arch("layers=1,heads=1,d_model=64,bias=false,ffn=2,gated=true"))
    assert a["ffn"] == 2 * 64 * 128 and g["ffn"] == 3 * 64 * 128


def test_practitioner_shapes_by_hand() -> None:
    # 15 layers, 3 heads x 64: d = 192, d_ff = 768, biases and LayerNorms on, vocab 32000 tied.
    d, L = 192, 15
    per_layer = (4 * d * d + 4 * d) + (2 * d * 4 * d + 4 * d + d) + 4 * d
    hand = L * per_layer + 2 * d + 32000 * d
    assert count_parameters(parse_arch("layers=15,heads=3,d_head=64"))["total"] == hand


def test_torch_reference_count() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    d, L, V = 96, 3, 500

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.attn = nn.MultiheadAttention(d, 3, bias=True)
            self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    model = nn.ModuleList([Block() for _ in range(L)])
    emb, final = nn.Embedding(V, d), nn.LayerNorm(d)
    n_torch = sum(p.numel() for m in (model, emb, final) for p in m.parameters())
    ours = count_parameters(parse_arch(f"layers={L},heads=3,d_model={d},vocab={V}"))["total"]
    assert ours == n_torch


def test_width_assumed_when_only_layers_and_heads() -> None:
    a = parse_arch("layers=15,heads=3")
    assert (a.d_head, a.d_model) == (64, 192) and "assumed d_head = 64" in a.assumed
    assert parse_arch("layers=15,heads=3,d_model=96").assumed == ""  # negative control: width given


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ("layers=15", "'heads'"),
        ("heads=3,d_head=64", "'layers'"),
        ("layers=15,heads=x,d_head=64", "'heads'"),
        ("layers=15,heads=3,d_head=64,ffn=-1", "'ffn'"),
        ("layers=15,heads=3,d_head=64,colour=red", "'colour'"),
        ("layers=15,heads=3,d_head", "'d_head'"),
        ("layers=15,heads=5,d_model=64", "divisible"),
        ("layers=15,heads=3,d_head=64,tied=perhaps", "'tied'"),
        ("", "empty"),
    ],
)
def test_malformed_arch_specs(spec: str, field: str) -> None:
    with pytest.raises(ArchSpecError, match=field):
        parse_arch(spec)
