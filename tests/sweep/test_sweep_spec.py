"""SPEC.toml: grids expand to their product, hashes name a job's content, bad specs are one line (issue 12 item 6)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.cli import main
from theory.sweep import KINDS, SpecError, load_spec, parse_spec
from theory.sweep.kinds import REQUIRED

SIM = 'kind = "simulate"\nmodel = "joma-exp"\n'


def _load(tmp_path: Path, text: str, **kw: int):
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return load_spec(path, **kw)


def test_grid_is_the_product_of_its_axes(tmp_path: Path) -> None:
    spec = _load(
        tmp_path,
        f"[[jobs]]\n{SIM}grid.seed = [0, 1, 2]\ngrid.eta_w = [0.5, 1.0]\ngrid.temperature = [1, 2]\n"
        '[[jobs]]\nkind = "check"\nname = "joma-exp"\ngrid.seed = [0, 1]\n',
    )
    assert len(spec.jobs) == 3 * 2 * 2 + 2
    assert {(j.params["seed"], j.params["eta_w"], j.params["temperature"]) for j in spec.jobs[:12]} == {
        (s, e, t) for s in (0, 1, 2) for e in (0.5, 1.0) for t in (1.0, 2.0)
    }
    assert spec.store == tmp_path / "spec.sqlite" and spec.name == "spec"
    assert spec.jobs[0].label == "simulate joma-exp seed=0 eta_w=0.5 temperature=1"


def test_hash_is_the_documented_sha256_of_the_canonical_job(tmp_path: Path) -> None:
    """Written out here from the module docstring, not taken from the code: every parameter, defaults filled."""
    job = _load(tmp_path, '[[jobs]]\nkind = "figure"\nname = "joma-linear"\n').jobs[0]
    canonical = {"format": 1, "kind": "figure", "params": {"name": "joma-linear", "quick": True}}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    assert job.hash == hashlib.sha256(text.encode()).hexdigest()


def test_same_content_same_hash(tmp_path: Path) -> None:
    """Defaults written or omitted, 1 or 1.0, sizes in any order or as a table: one job."""
    a = _load(tmp_path, f"[[jobs]]\n{SIM}").jobs[0]
    b = _load(tmp_path, f"[[jobs]]\n{SIM}seed = 0\neta_w = 1\ntokens = 20\n").jobs[0]
    assert a.hash == b.hash
    c = _load(tmp_path, '[[jobs]]\nkind = "discover"\nmodel = "lu"\nsizes = "m=2,N=1"\n').jobs[0]
    d = _load(tmp_path, '[[jobs]]\nkind = "discover"\nmodel = "lu"\nsizes = {N = 1}\n').jobs[0]
    assert c.hash == d.hash and c.params["sizes"] == "N=1,m=2,d_e=2,d_k=2"
    overlapping = _load(tmp_path, f"[[jobs]]\n{SIM}grid.seed = [0, 1]\n[[jobs]]\n{SIM}grid.seed = [1, 2]\n")
    assert len(overlapping.jobs) == 3  # seed 1 once


def test_negative_control_any_parameter_changes_the_hash(tmp_path: Path) -> None:
    base = _load(tmp_path, f"[[jobs]]\n{SIM}").jobs[0]
    for line in ("seed = 1", "eta_w = 0.5", "eta_z = 0.5", "tokens = 21", "temperature = 2", 'method = "RK45"'):
        assert _load(tmp_path, f"[[jobs]]\n{SIM}{line}\n").jobs[0].hash != base.hash, line
    other = _load(tmp_path, '[[jobs]]\nkind = "simulate"\nmodel = "joma-linear"\n').jobs[0]
    assert other.hash != base.hash


def test_every_kind_parses(tmp_path: Path) -> None:
    text = (
        f"[[jobs]]\n{SIM}"
        '[[jobs]]\nkind = "check"\nname = "joma-linear"\n'
        '[[jobs]]\nkind = "check"\nmodel = "joma-exp"\nquantity = "z1"\nsizes = "M=2"\n'
        '[[jobs]]\nkind = "discover"\nmodel = "joma-linear"\ngrid.degree = [1, 2]\n'
        '[[jobs]]\nkind = "figure"\ngrid.name = ["joma-linear", "joma-invariant"]\n'
    )
    spec = _load(tmp_path, text)
    assert [j.kind for j in spec.jobs] == ["simulate", "check", "check", "discover", "discover", "figure", "figure"]
    assert set(KINDS) == {"simulate", "check", "discover", "figure"}


# (spec text, a fragment the one-line message must contain: the key, the fix)
BAD = [
    ("[sweeps]\n", ("unknown key 'sweeps'", "did you mean 'sweep'")),
    ("[sweep]\nstore = 3\n[[jobs]]\n" + SIM, ("sweep.store", "non-empty string")),
    ("[sweep]\nname = 'x'\n", ("no jobs", "[[jobs]]")),
    ("jobs = []\n", ("no jobs", "add a [[jobs]]")),
    ("jobs = 3\n", ("jobs must be an array of tables [[jobs]]",)),
    ('[[jobs]]\nkind = "simulat"\n', ("jobs[0].kind", "unknown job kind 'simulat'", "did you mean 'simulate'")),
    ("[[jobs]]\nmodel = 'joma-exp'\n", ("jobs[0]", "missing kind", 'kind = "simulate"')),
    (f"[[jobs]]\n{SIM}seeds = [1]\n", ("jobs[0].seeds", "unknown key", "did you mean 'seed'")),
    (f"[[jobs]]\n{SIM}grid.sed = [1]\n", ("jobs[0].grid.sed", "unknown key", "did you mean 'seed'")),
    (f"[[jobs]]\n{SIM}grid.seed = []\n", ("jobs[0].grid.seed", "empty grid axis", "at least one value")),
    (f"[[jobs]]\n{SIM}grid.seed = 3\n", ("jobs[0].grid.seed", "expected a list", "grid.seed = [...]")),
    (f"[[jobs]]\n{SIM}grid = 3\n", ("jobs[0].grid", "expected a table")),
    (f"[[jobs]]\n{SIM}seed = 1\ngrid.seed = [1]\n", ("seed is both a plain key and grid.seed", "keep one")),
    (f"[[jobs]]\n{SIM}eta_w = nan\n", ("jobs[0].eta_w", "nan is not a finite number", "give a finite value")),
    (f"[[jobs]]\n{SIM}grid.eta_w = [1.0, inf]\n", ("jobs[0].grid.eta_w[1]", "inf is not a finite number")),
    (f"[[jobs]]\n{SIM}temperature = -inf\n", ("jobs[0].temperature", "-inf is not a finite number")),
    (f"[[jobs]]\n{SIM}t_end = 1e308\n", ("jobs[0].t_end", "out of range")),
    (f"[[jobs]]\n{SIM}eta_w = 0\n", ("jobs[0].eta_w", "out of range", "(0, ")),
    (f"[[jobs]]\n{SIM}eta_w = 100000000000000000000000000000000000000000000000000000000000000000000\n", ("eta_w",)),
    (f"[[jobs]]\n{SIM}eta_w = '1'\n", ("jobs[0].eta_w", "expected a number")),
    (f"[[jobs]]\n{SIM}seed = -1\n", ("jobs[0].seed", "out of range", "[0, ")),
    (f"[[jobs]]\n{SIM}seed = 1.5\n", ("jobs[0].seed", "expected an integer")),
    (f"[[jobs]]\n{SIM}seed = true\n", ("jobs[0].seed", "expected an integer")),
    (f"[[jobs]]\n{SIM}tokens = 100000000000000000000\n", ("jobs[0].tokens", "out of range")),
    ('[[jobs]]\nkind = "simulate"\n', ("a simulate job needs model", "add model =")),
    ('[[jobs]]\nkind = "simulate"\nmodel = "joma-expp"\n', ("jobs[0].model", "did you mean 'joma-exp'")),
    ('[[jobs]]\nkind = "check"\n', ("either name", "model + quantity")),
    ('[[jobs]]\nkind = "check"\nname = "joma-exp"\nmodel = "lu"\n', ("either name",)),
    ('[[jobs]]\nkind = "check"\nmodel = "lu"\n', ("needs quantity", 'quantity = "..."')),
    ('[[jobs]]\nkind = "check"\nname = "joma-exp"\nquantity = "z1"\n', ("quantity goes with model",)),
    ('[[jobs]]\nkind = "discover"\nmodel = "lu"\nsizes = "M=2"\n', ("jobs[0].sizes", "bad size 'M=2'")),
    ('[[jobs]]\nkind = "discover"\nmodel = "lu"\nsizes = {N = 1000}\n', ("jobs[0].sizes.N", "[1, 64]")),
    ('[[jobs]]\nkind = "discover"\nmodel = "lu"\nsizes = "N=1000"\n', ("jobs[0].sizes", "N=1000 is out of range")),
    ('[[jobs]]\nkind = "figure"\nname = "joma-linear"\nquick = 1\n', ("jobs[0].quick", "true or false")),
    (f"[[jobs]]\n{SIM}activation = '{'x' * 3000}'\n", ("jobs[0].activation", "at most 2000")),
    ("[[jobs]\n", ("invalid TOML", "fix the syntax")),
    # hostile sizes inside valid TOML: the message stays short, nothing recurses or converts forever
    (f"[[jobs]]\n{SIM}seed = {'1' * 3000}\n", ("jobs[0].seed: <an integer of 3000 digits> is out of range",)),
    (f"[[jobs]]\n{SIM}seed = {'1' * 5000}\n", ("invalid TOML", "4300 digits")),
    (f"[[jobs]]\n{SIM}grid.seed = {'[' * 100_000}{']' * 100_000}\n", ("nested too deeply",)),
    (f"[[jobs]]\n{SIM}grid.seed = {'{a=' * 30_000}1{'}' * 30_000}\n", ("nested too deeply",)),
    # 8 B x (256 x 1e5 x 1e5 + 1e5 x 1e5 + ...) = 2.06e13 B = 1.92e4 GiB (the 74.5 GiB was x alone)
    (f"[[jobs]]\n{SIM}tokens = 100000\nhidden = 256\nsamples = 100000\n", ("needs about 1.92e+04 GiB", "2 GiB")),
    (f"[[jobs]]\n{SIM}grid.tokens = [10, 100000]\nsamples = 10000\n", ("tokens=100000, hidden=4, samples=10000",)),
    ('[[jobs]]\nkind = ["simulate"]\n', ("jobs[0].kind", "unknown job kind ['simulate']")),
    (f'[[jobs]]\nkind = "{"s" * 100_000}"\n', ("jobs[0].kind", "unknown job kind 'sssss", "...")),
    (f'[[jobs]]\n{SIM}"{"k" * 100_000}" = 1\n', ("jobs[0].kkkk", "...: unknown key for a simulate job")),
    (f'"{"k" * 100_000}" = 1\n', ("unknown key 'kkkk",)),
    (f'[sweep]\n"{"k" * 100_000}" = 1\n', ("sweep.kkkk",)),
    (f"[[jobs]]\n{SIM}grid.seed = {'x' * 100_000!r}\n", ("jobs[0].grid.seed: expected a list of values",)),
    (f"[[jobs]]\n{SIM}grid.seed = [[1], [2]]\n", ("jobs[0].grid.seed[0]", "expected an integer, got [1]")),
]


@pytest.mark.parametrize(("text", "fragments"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_spec_is_one_line_naming_key_and_fix(tmp_path: Path, text: str, fragments: tuple[str, ...]) -> None:
    with pytest.raises(SpecError) as info:
        _load(tmp_path, text)
    message = str(info.value)
    assert len(message) < 400
    assert "\n" not in message and message.startswith(("spec.toml", str(tmp_path)))
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_grid_beyond_the_budget_is_refused_before_expansion(tmp_path: Path) -> None:
    """Ten axes of 100 values: 10^20 jobs, counted as a product and refused at once (no expansion)."""
    axes = "".join(f"grid.{k} = [{', '.join(str(0.01 * (i + 1)) for i in range(100))}]\n" for k in ("eta_w", "eta_z"))
    axes += "grid.seed = [" + ", ".join(map(str, range(100))) + "]\n"
    with pytest.raises(SpecError, match=r"holds 1000000 jobs \(100 x 100 x 100\).*raise --max-jobs"):
        _load(tmp_path, f"[[jobs]]\n{SIM}{axes}")
    ten = "".join(f"grid.{k} = [{', '.join(map(str, range(1, 101)))}]\n" for k in ("tokens", "hidden", "samples"))
    with pytest.raises(SpecError, match="holds 1000000 jobs"):
        _load(tmp_path, f"[[jobs]]\n{SIM}{ten}")
    # the budget counts every block together, and a larger budget admits the grid
    two = f"[[jobs]]\n{SIM}grid.seed = [0, 1, 2]\n[[jobs]]\n{SIM}grid.seed = [3, 4, 5]\n"
    with pytest.raises(SpecError, match=r"jobs\[1\]: the grid holds 3 jobs.*budget of 5"):
        _load(tmp_path, two, max_jobs=5)
    assert len(_load(tmp_path, two, max_jobs=6).jobs) == 6


def test_file_problems_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not found"):
        load_spec(tmp_path / "missing.toml")
    with pytest.raises(SpecError, match="is a directory"):
        load_spec(tmp_path)
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SpecError, match="not UTF-8"):
        load_spec(tmp_path / "bin.toml")
    (tmp_path / "big.toml").write_text("# " + "x" * 1_000_001)
    with pytest.raises(SpecError, match="more than 1000000 bytes"):
        load_spec(tmp_path / "big.toml")
    for special in ("/dev/zero", "/dev/null"):  # endless or sizeless: refused before reading
        with pytest.raises(SpecError, match="not a regular file"):
            load_spec(special)


def test_parse_spec_without_a_file() -> None:
    spec = parse_spec({"jobs": [{"kind": "simulate", "model": "joma-exp", "grid": {"seed": [0, 1]}}]})
    assert len(spec.jobs) == 2
    with pytest.raises(Exception, match="max_jobs"):
        parse_spec({"jobs": []}, max_jobs=0)


@pytest.mark.parametrize("text", [b[0] for b in BAD[:8]] + ["[[jobs]\n"])
def test_cli_bad_spec_exit_2_one_line(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "spec.toml").write_text(text)
    for extra in ([], ["--status"], ["--status", "--json"]):
        assert main(["sweep", str(tmp_path / "spec.toml"), *extra]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.count("\n") == 1 and captured.err.startswith("theory sweep: error: ")
        assert "Traceback" not in captured.err
    assert not (tmp_path / "spec.sqlite").exists()  # nothing written for a bad spec


ROOT = Path(__file__).resolve().parents[2]


def test_the_example_spec_and_the_docs(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/sweep.toml holds the 26 jobs the README says; docs/sweeps.md names every key of every kind."""
    spec = load_spec(ROOT / "examples" / "sweep.toml")
    assert len(spec.jobs) == 3 * 3 * 2 + 2 * 2 + 2 + 2
    assert spec.store == ROOT / "examples" / "sweep.sqlite"
    assert main(["sweep", str(ROOT / "examples" / "sweep.toml"), "--status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 26
    page = (ROOT / "docs" / "sweeps.md").read_text(encoding="utf-8")
    for kind, schema in KINDS.items():
        assert f"| `{kind}` |" in page
        for key in schema:
            assert f"`{key}`" in page, (kind, key)


def test_sweep_layer_sits_above_experiments_beside_architecture() -> None:
    from theory.devtools.layers import allowed, layer_of

    assert layer_of("theory.sweep.run") == "sweep" and layer_of("theory.cli.sweep") == "reports"
    assert allowed("sweep", "experiments") and allowed("sweep", "checks") and allowed("reports", "sweep")
    # negative controls: nothing below imports the sweep, and the sweep does not reach architecture or the CLI
    assert not allowed("experiments", "sweep") and not allowed("sweep", "architecture")
    assert not allowed("sweep", "reports")


# --- any document: a spec or one SpecError, never another exception ---------------------------------------------------


_KEYS = sorted({k for schema in KINDS.values() for k in schema} | {"kind", "grid", "jobs", "sweep", "store", "name"})
_SCALARS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from([*KINDS, "joma-exp", "joma-linear", "lu", "M=2", "M=2,K=1", "x", "", "joma-invariant"]),
    st.text(max_size=8),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=4), inner),
    max_leaves=12,
)


def _plausible(kind: str, key: str) -> st.SearchStrategy:
    """Values a user might write for ``key``: of the right type and near the accepted range, or junk."""
    param = KINDS[kind][key]
    good: st.SearchStrategy = {
        "int": st.integers(min_value=-2, max_value=70),
        "float": st.floats(min_value=-1.0, max_value=100.0) | st.sampled_from([0.0, 1e-300, 1e308, float("nan")]),
        "bool": st.booleans(),
        "sizes": st.sampled_from(["M=2", "M=2,K=1,N=1", "N=1", "m=2", "M=100", "Q=1", "M=x", ""])
        | st.dictionaries(st.sampled_from(["M", "K", "N", "m", "Z"]), st.integers(-1, 70), max_size=2),
    }.get(param.type, st.sampled_from([*param.choices()] if param.choices else ["z1", "z1 - v1_1**2", "+*"]))
    return st.integers(0, 9).flatmap(lambda i: good if i < 8 else _SCALARS)


@st.composite
def _block(draw: st.DrawFn) -> dict:
    """A [[jobs]] table: mostly a real kind with its own keys and plausible values, sometimes junk."""
    kind = draw(st.sampled_from(sorted(KINDS)) if draw(st.integers(0, 9)) < 8 else _SCALARS)
    if not (isinstance(kind, str) and kind in KINDS):
        return {"kind": kind, **draw(st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=3))}
    keys = draw(st.lists(st.sampled_from(sorted(KINDS[kind])), max_size=4, unique=True))
    keys += [k for k, p in KINDS[kind].items() if p.default is REQUIRED and k not in keys]
    if kind == "check" and "model" not in keys and "name" not in keys:
        keys.append(draw(st.sampled_from(["model", "name"])))
    axes = draw(st.lists(st.sampled_from(sorted(KINDS[kind])), max_size=2, unique=True))
    block = {"kind": kind, **{k: draw(_plausible(kind, k)) for k in keys}}
    grid = {k: draw(st.lists(_plausible(kind, k), max_size=3) | _VALUES) for k in axes}
    return block | ({"grid": grid} if grid else {})


_DOC = st.integers(0, 9).flatmap(
    lambda i: (
        st.fixed_dictionaries({"jobs": st.lists(_block(), min_size=1, max_size=3)})
        if i < 8
        else st.fixed_dictionaries(
            {}, optional={"jobs": st.lists(_block(), max_size=2) | _VALUES, "sweep": _VALUES, "other": _VALUES}
        )
    )
)


@settings(deadline=None)  # the first figure or catalogue name loads its module (about a second)
@given(doc=_DOC)
def test_any_document_is_a_spec_or_one_spec_error(doc: dict) -> None:
    try:
        spec = parse_spec(doc, max_jobs=50)
    except SpecError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 600
    else:
        assert 1 <= len(spec.jobs) <= 50
        for job in spec.jobs:
            json.dumps(dict(job.params), allow_nan=False)
