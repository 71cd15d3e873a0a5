"""The compiled-flow cache: memory and disk hits give the same numbers, a corrupt or foreign
record is recomputed, the key follows the content, ``simulate`` stores only its snapshots."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from theory.cli import main
from theory.models import joma_block
from theory.numeric import flow_cache
from theory.numeric.compile import compile_spec_flow
from theory.numeric.simulate import _compiled, simulate_joma


def _spec():
    return joma_block(2, 1, 1, attention="exp", activation="tanh")


def test_indexed_flow_from_disk_computes_what_the_fresh_one_does(cache_dir) -> None:
    fresh, how = _compiled("softmax", "tanh")
    assert how == "computed" and len(list(cache_dir.glob("*.json"))) == 1
    assert _compiled("softmax", "tanh")[1] == "memory"
    flow_cache.clear_memory()
    again, how = _compiled("softmax", "tanh")
    assert how == "disk"
    rng = np.random.default_rng(0)
    M, K, N = 7, 3, 5
    y = 0.3 * rng.standard_normal(fresh.size(M, K))
    x, tg = rng.dirichlet(np.ones(M), size=N), rng.standard_normal((K, N))
    assert np.array_equal(fresh.rhs(y, x, tg, 0.7, 1.0, 1.5), again.rhs(y, x, tg, 0.7, 1.0, 1.5))
    assert fresh.loss(y, x, tg, 0.7) == again.loss(y, x, tg, 0.7)
    assert again.split(y, M, K)[0].shape == (K, M)


def test_spec_flow_from_disk_matches_and_keeps_the_jacobian(cache_dir) -> None:
    spec = _spec()
    fresh, how = compile_spec_flow(spec, invariants={"q": spec.symbols["z1"]})
    assert how == "computed"
    flow_cache.clear_memory()
    again, how = compile_spec_flow(_spec(), invariants={"q": spec.symbols["z1"]})
    assert how == "disk"
    assert [s.name for s in again.state] == [s.name for s in fresh.state]
    rng = np.random.default_rng(1)
    y, p = rng.standard_normal(len(fresh.state)), rng.uniform(0.5, 1.5, len(fresh.params))
    assert np.array_equal(fresh.rhs(y, p), again.rhs(y, p))
    assert np.allclose(fresh.jacobian(y, p), again.jacobian(y, p), rtol=1e-14)
    assert np.array_equal(fresh.invariants(y, p)["q"], again.invariants(y, p)["q"])


def test_key_follows_the_content(cache_dir) -> None:
    compile_spec_flow(_spec())
    _other, how = compile_spec_flow(joma_block(2, 1, 1, attention="linear", activation="tanh"))
    assert how == "computed"  # another model is never served the first one's code
    assert len(list(cache_dir.glob("*.json"))) == 2


@pytest.mark.parametrize(
    "damage",
    [
        lambda rec: "{not json",
        lambda rec: json.dumps({**rec, "version": rec["version"] + 1}),
        lambda rec: json.dumps({**rec, "payload": {**rec["payload"], "rhs": "def f(:"}}),  # digest mismatch
        lambda rec: json.dumps({**rec, "key": "0" * 64}),
    ],
)
def test_corrupt_record_is_recomputed_and_replaced(cache_dir, damage) -> None:
    compile_spec_flow(_spec())
    (path,) = cache_dir.glob("*.json")
    record = json.loads(path.read_text())
    path.write_text(damage(record))
    flow_cache.clear_memory()
    flow, how = compile_spec_flow(_spec())
    assert how == "computed"
    y = np.zeros(len(flow.state))
    assert np.all(np.isfinite(flow.rhs(y, np.ones(len(flow.params)))))
    flow_cache.clear_memory()
    assert compile_spec_flow(_spec())[1] == "disk"  # the damaged file was replaced by a valid one


def test_valid_record_is_used_negative_control(cache_dir) -> None:
    # the same untouched record is served from disk: the corruption test above is not vacuous
    compile_spec_flow(_spec())
    flow_cache.clear_memory()
    assert compile_spec_flow(_spec())[1] == "disk"


def test_world_writable_directory_is_not_read(cache_dir) -> None:
    compile_spec_flow(_spec())
    os.chmod(cache_dir, 0o777)
    flow_cache.clear_memory()
    assert compile_spec_flow(_spec())[1] == "computed"


def test_disk_level_off_and_unwritable(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("THEORY_CACHE_DIR", "off")
    flow_cache.clear_memory()
    assert flow_cache.cache_dir() is None
    assert compile_spec_flow(_spec())[1] == "computed"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("THEORY_CACHE_DIR", str(blocker / "sub"))  # cannot be created
    flow_cache.clear_memory()
    assert compile_spec_flow(_spec())[1] == "computed"  # no error: only the disk level is lost
    flow_cache.clear_memory()


def test_default_location_follows_xdg(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("THEORY_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert flow_cache.cache_dir() == tmp_path / "theory"


def test_simulate_stores_only_the_requested_snapshots(cache_dir) -> None:
    sim = simulate_joma("joma-exp", tokens=50, t_end=1.0, n_points=3)
    mem = sim.summary["memory"]
    assert sim.trajectory.y.shape[0] == mem["snapshots"] == 3
    assert mem["stored_mb"] == pytest.approx((sim.trajectory.y.nbytes + sim.quantity.nbytes) / 1e6)
    more = simulate_joma("joma-exp", tokens=50, t_end=1.0, n_points=30)
    assert more.summary["memory"]["stored_mb"] > 9 * mem["stored_mb"]  # grows with the snapshots
    assert more.summary["compile_cache"] == "memory"


def test_simulate_cli_second_run_reads_the_disk_cache(cache_dir, capsys) -> None:
    assert main(["simulate", "joma-linear", "--t-end", "0.5", "--snapshots", "4", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    flow_cache.clear_memory()  # a new process: only the disk level is left
    assert main(["simulate", "joma-linear", "--t-end", "0.5", "--snapshots", "4", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert (first["compile_cache"], second["compile_cache"]) == ("computed", "disk")
    assert first["loss"] == second["loss"] and first["memory"]["snapshots"] == 4
    assert main(["simulate", "joma-linear", "--snapshots", "0"]) == 2
