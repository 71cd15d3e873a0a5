"""A warm ``theory check`` / ``theory simulate`` does no symbolic work: SymPy is never imported.

Each CLI run is a fresh process (``python -m theory``) with its own ``THEORY_CACHE_DIR``; it
reports whether ``sympy`` ended up in ``sys.modules``.  Positive: the second run (plans and
flows on disk) does not import it.  Negative controls: the cold run, and any run with
``THEORY_CACHE_DIR=off``, do.  The numbers of a warm run are those of a cold one (the JSON
without ``seconds`` and ``compile_cache``), also at a seed the cold run did not use (nothing
seed-dependent is cached).  A damaged record (bad JSON, or a valid record whose generated code
does not run) gives the correct result, recomputed, and says so in ``compile_cache``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from theory.checks.catalogue_oracle import check_names
from theory.numeric import flow_cache
from theory.numeric.plan import CompilePlan, load_plan

ROOT = Path(__file__).resolve().parents[2]
#: a referee-checked invariant (compiled flow + invariants) and a closed form (compiled expressions)
NAMES = ["joma-linear", "joma-first-integral"]

_PROBE = (
    "import json, sys\n"
    "from theory.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print(json.dumps({'sympy': 'sympy' in sys.modules, 'code': code}), file=sys.stderr)\n"
)


def _run(args: list[str], cache: str) -> tuple[dict, bool]:
    env = {**os.environ, "THEORY_CACHE_DIR": cache, "PYTHONPATH": str(ROOT), "THEORY_QUIET": "1"}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *args, "--json"], env=env, capture_output=True, text=True, timeout=300
    )
    probe = json.loads(out.stderr.strip().splitlines()[-1])
    assert probe["code"] == 0, out.stderr[-2000:]
    return json.loads(out.stdout), probe["sympy"]


def _numbers(data: dict) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in ("seconds", "compile_cache")} for r in data["entries"]]


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("warm-cache")
    os.chmod(folder, 0o700)
    return str(folder)


@pytest.fixture(scope="module")
def cold(cache) -> tuple[dict, bool]:
    return _run(["check", *NAMES], cache)


def test_warm_check_imports_no_sympy_and_gives_the_cold_numbers(cache, cold) -> None:
    cold_data, cold_sympy = cold
    warm_data, warm_sympy = _run(["check", *NAMES], cache)
    assert cold_sympy, "negative control: the cold run derives and compiles with SymPy"
    assert not warm_sympy
    assert [r["compile_cache"] for r in cold_data["entries"]] == ["computed", "computed"]
    assert [r["compile_cache"] for r in warm_data["entries"]] == ["disk", "disk"]
    assert _numbers(warm_data) == _numbers(cold_data) and warm_data["ok"]


def test_cache_off_always_imports_sympy_negative_control(cache, cold) -> None:
    data, imported = _run(["check", *NAMES], "off")
    assert imported
    assert _numbers(data) == _numbers(cold[0])


def test_warm_plan_serves_another_seed(cache, cold, monkeypatch) -> None:
    # the plan holds nothing seed-dependent: a warm run at seed 3 equals a cache-less one at seed 3
    warm, imported = _run(["check", "joma-linear", "--seed", "3"], cache)
    monkeypatch.setenv("THEORY_CACHE_DIR", "off")
    flow_cache.clear_memory()
    fresh = {"entries": [r.as_dict() for r in check_names(["joma-linear"], seed=3)]}
    flow_cache.clear_memory()
    assert not imported
    assert _numbers(warm) == _numbers(fresh) and _numbers(warm) != _numbers(cold[0])[:1]


def test_warm_simulate_imports_no_sympy(tmp_path) -> None:
    folder = tmp_path / "c"
    folder.mkdir(mode=0o700)
    args = ["simulate", "joma-linear", "--t-end", "0.5", "--snapshots", "3"]
    first, first_sympy = _run(args, str(folder))
    second, second_sympy = _run(args, str(folder))
    assert (first["compile_cache"], second["compile_cache"]) == ("computed", "disk")
    assert first_sympy and not second_sympy  # cold (control) vs warm
    assert first["loss"] == second["loss"] and first["quantity_drift"] == second["quantity_drift"]


# ---------------------------------------------------------------------------------- damage


def _plan_file(folder: Path, name: str) -> Path:
    return folder / f"{flow_cache.content_key('plan:check', name)}.json"


def test_corrupt_plan_file_gives_the_right_result_and_a_note(cache_dir) -> None:
    (good,) = check_names(["joma-first-integral"])
    path = _plan_file(cache_dir, "joma-first-integral")
    assert path.is_file()
    path.write_text('{"version": 2, "payload": {')  # truncated
    flow_cache.clear_memory()
    (again,) = check_names(["joma-first-integral"])
    assert again.details == good.details and again.ok
    assert again.compile_cache.startswith("computed") and "not valid JSON" in again.compile_cache
    from theory.checks.catalogue_run import format_checks

    text = format_checks({"entries": [again.as_dict()]})
    assert "compile cache: computed; cache record is not valid JSON" in text
    assert "compile cache" not in format_checks({"entries": [good.as_dict()]})  # control: no note, no line
    flow_cache.clear_memory()
    assert check_names(["joma-first-integral"])[0].compile_cache == "disk"  # rewritten whole


def test_record_with_broken_code_is_recomputed(cache_dir) -> None:
    # a record that passes its digest but whose generated code fails to run (e.g. written by a
    # buggy version): the item is rebuilt, the note names it, the result is right
    (good,) = check_names(["joma-first-integral"])
    path = _plan_file(cache_dir, "joma-first-integral")
    payload = json.loads(path.read_text())["payload"]
    payload["items"]["rhs"]["data"]["source"] = "def broken(:\n"
    flow_cache.store_record(flow_cache.content_key("plan:check", "joma-first-integral"), payload)
    flow_cache.clear_memory()
    (again,) = check_names(["joma-first-integral"])
    assert again.details == good.details and again.ok
    assert "cached 'rhs' not usable" in again.compile_cache


def test_untouched_plan_is_served_negative_control(cache_dir) -> None:
    check_names(["joma-first-integral"])
    flow_cache.clear_memory()
    assert check_names(["joma-first-integral"])[0].compile_cache == "disk"


# ---------------------------------------------------------------------------------- plan rules
def test_plan_key_follows_source_and_name(cache_dir, monkeypatch) -> None:
    plan = load_plan("check", "a")
    plan.value("x", lambda: 1)
    plan.save()
    flow_cache.clear_memory()
    assert load_plan("check", "a").source == "disk"
    assert load_plan("check", "b").source == "computed"  # another entry
    monkeypatch.setattr(flow_cache, "_FINGERPRINT", ["edited source"])
    flow_cache.clear_memory()
    assert load_plan("check", "a").source == "computed"  # any source edit invalidates


def test_transient_plan_and_unrecordable_items(cache_dir) -> None:
    calls = []
    transient = CompilePlan(None)
    transient.value("x", lambda: calls.append(1) or 1.0)
    transient.save()
    assert not list(cache_dir.glob("*.json")) if cache_dir.exists() else True
    plan = load_plan("test", "unrecordable")
    nan = plan.value("nan", lambda: calls.append(2) or float("nan"))  # JSON holds no NaN: not recorded
    closure = plan.function("f", lambda: lambda y: os.getpid() + y)  # a global outside the allowed modules
    plan.save()
    flow_cache.clear_memory()
    again = load_plan("test", "unrecordable")
    assert nan != nan and again.value("nan", lambda: calls.append(3) or 0.0) == 0.0
    again.function("f", lambda: closure)
    assert again.built == ["nan", "f"]  # both rebuilt on every run, nothing wrong served


def test_malformed_items_are_rebuilt(cache_dir) -> None:
    plan = load_plan("test", "malformed")
    plan.value("a", lambda: 1)
    plan.value("b", lambda: 2)
    plan.save()
    key = flow_cache.content_key("plan:test", "malformed")
    payload, _ = flow_cache.load_record(key)
    assert payload is not None
    payload["items"]["a"] = ["not", "an", "item"]  # valid digest, wrong shape
    payload["items"]["b"] = {"kind": "function", "data": 2}  # another kind under the name
    flow_cache.store_record(key, payload)
    flow_cache.clear_memory()
    again = load_plan("test", "malformed")
    assert (again.value("a", lambda: 1), again.value("b", lambda: 2)) == (1, 2)
    assert again.built == ["a", "b"]


def test_values_are_the_same_objects_cold_and_warm(cache_dir) -> None:
    cold = load_plan("test", "values").value("v", lambda: {"sizes": (1, 2), 3: None})
    load_plan("test", "values").save()
    flow_cache.clear_memory()
    warm = load_plan("test", "values").value("v", lambda: None)
    assert cold == warm == {"sizes": [1, 2], "3": None}


def test_cached_flow_keeps_its_jacobian(cache_dir) -> None:
    import numpy as np

    from theory.models import joma_block
    from theory.numeric.compile import compile_spec_flow

    def build():
        return compile_spec_flow(joma_block(2, 1, 1, attention="exp", activation="tanh"))[0]

    fresh = load_plan("test", "jacobian").flow("flow", build)
    load_plan("test", "jacobian").save()
    flow_cache.clear_memory()
    plan = load_plan("test", "jacobian")
    again = plan.flow("flow", build)
    assert plan.built == [] and [s.name for s in again.state] == [s.name for s in fresh.state]
    rng = np.random.default_rng(0)
    y, p = rng.standard_normal(len(fresh.state)), rng.uniform(0.5, 1.5, len(fresh.params))
    assert np.array_equal(again.rhs(y, p), fresh.rhs(y, p))
    assert np.allclose(again.jacobian(y, p), fresh.jacobian(y, p), rtol=1e-14, atol=0)
    assert not np.allclose(again.jacobian(y, p), 0)  # the comparison is not between two zeros
