"""Saving and loading SCMs: round trips give the same numbers (here and in a new process), damaged
or foreign folders give typed errors, classes come from the registry only and nothing is unpickled."""

import json
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import load_file, save_file
from torch import nn

import causalworld as cw
from causalworld.errors import ConversionError, DTypeError, ExtrapolationWarning, ModelFileError, UnknownMechanismError
from causalworld import store
from causalworld.scm import io
from causalworld.scm.mechanisms import LinearGaussian, Mechanism, register_mechanism
from causalworld.scm.mechanisms import base as mechanism_base


@register_mechanism
class IoTestSaturating(Mechanism):
    """``x = gain * tanh(w . parents) + u``, ``u ~ N(0, noise_std^2)``: a user's own mechanism."""

    invertible = True

    def __init__(self, n_parents: int, gain: float = 1.0, noise_std: float = 1.0) -> None:
        super().__init__(n_parents)
        self.gain = float(gain)
        self.weight = nn.Parameter(torch.linspace(-1.0, 1.0, n_parents))
        self.register_buffer("noise_std", torch.tensor(float(noise_std)))

    def forward(self, parents, noise):
        return self.gain * torch.tanh(parents @ self.weight) + noise

    def sample_noise(self, n, generator=None):
        return self.noise_std * self._randn((n,), generator)

    def abduct(self, parents, value, *, num_samples=1, generator=None):
        return self._repeat(value - self.gain * torch.tanh(parents @ self.weight), num_samples)

    def log_prob(self, value, parents):
        return mechanism_base.normal_log_prob(value - self.gain * torch.tanh(parents @ self.weight), self.noise_std)

    def get_config(self) -> dict[str, Any]:
        return {"n_parents": self.n_parents, "gain": self.gain, "noise_std": float(self.noise_std)}


def assert_same_values(a, b, variables):
    for v in variables:
        assert a[v].dtype == b[v].dtype and torch.equal(a[v], b[v]), v


def round_trip(scm, folder):
    scm.save(folder)
    return cw.SCM.load(folder)


KINDS = [("linear", 2), ("mlp", 2), ("pnl", 2), ("discrete", 2), ("discrete", 4)]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("mechanism,card", KINDS)
def test_round_trip_gives_identical_samples_and_counterfactuals(tmp_path, mechanism, card, dtype):
    scm = cw.random_scm(9, mechanism=mechanism, cardinality=card, edges_per_node=1.5, seed=card + 10, dtype=dtype)
    loaded = round_trip(scm, tmp_path / "model")
    assert loaded.variables == scm.variables and loaded.dtype == dtype
    assert sorted(loaded.graph.edges) == sorted(scm.graph.edges)
    assert loaded.describe() == scm.describe()
    for v in scm.variables:
        assert type(loaded.mechanisms[v]) is type(scm.mechanisms[v])
        assert loaded.parents(v) == scm.parents(v)
    assert_same_values(loaded.sample(300, seed=3), scm.sample(300, seed=3), scm.variables)
    obs = scm.sample(100, seed=4)
    target = scm.variables[0]
    do = {target: 1 if mechanism == "discrete" else 0.5}
    k = 3 if mechanism == "discrete" else 1
    assert_same_values(loaded.counterfactual(obs, do, num_samples=k, seed=6),
                       scm.counterfactual(obs, do, num_samples=k, seed=6), scm.variables)
    # the tensors file holds every mechanism's state under "<var>/<key>"
    stored = load_file(_tensors(tmp_path / "model"))
    assert set(stored) == {f"{v}/{k}" for v, m in scm.mechanisms.items() for k in m.state_dict()}
    doc = json.loads((tmp_path / "model" / io.JSON_FILE).read_text())
    assert doc["format"] == "causalworld.scm" and doc["format_version"] == io.FORMAT_VERSION
    assert doc["library_version"] == cw.__version__ and doc["variables"] == list(scm.variables)


def test_fitted_scm_keeps_summary_ranges_and_still_warns_when_extrapolating(tmp_path):
    truth = cw.SCM.linear([("x", "y"), ("y", "z")], {("x", "y"): 1.5, ("y", "z"): -0.5}, 0.5, dtype=torch.float64)
    data = truth.to_frame(truth.sample(800, seed=0))
    fitted = cw.SCM.fit(truth.graph, data, "linear", progress=False)
    loaded = round_trip(fitted, tmp_path)
    pd.testing.assert_frame_equal(loaded.fit_summary, fitted.fit_summary)
    assert loaded.fit_summary["r2"].isna().tolist() == [True, False, False]  # NaN kept through strict JSON
    assert loaded.fitted_ranges == fitted.fitted_ranges
    assert loaded.weights().equals(fitted.weights())
    hi = fitted.fitted_ranges["x"][1]
    with pytest.warns(ExtrapolationWarning, match="outside the range"):
        loaded.do({"x": hi + 10.0})


def test_custom_registered_mechanism_round_trips_and_unregistered_ones_are_refused(tmp_path, monkeypatch):
    scm = cw.SCM([("a", "b"), ("a", "c"), ("b", "c")],
                 {"a": cw.GaussianRoot(0.0, 2.0), "b": IoTestSaturating(1, gain=3.0, noise_std=0.1),
                  "c": IoTestSaturating(2, gain=-1.5, noise_std=0.2)}, dtype=torch.float64)
    with torch.no_grad():
        scm.mechanisms["c"].weight.copy_(torch.tensor([0.3, -2.0]))
    loaded = round_trip(scm, tmp_path / "m")
    assert isinstance(loaded.mechanisms["c"], IoTestSaturating) and loaded.mechanisms["c"].gain == -1.5
    assert torch.equal(loaded.mechanisms["c"].weight, scm.mechanisms["c"].weight)
    assert_same_values(loaded.sample(50, seed=1), scm.sample(50, seed=1), scm.variables)

    # loading needs the class in the registry: never code from the file
    monkeypatch.delitem(mechanism_base._REGISTRY, "IoTestSaturating")
    with pytest.raises(UnknownMechanismError, match="register_mechanism"):
        cw.SCM.load(tmp_path / "m")

    class Unregistered(LinearGaussian):
        pass

    bad = cw.SCM([("a", "b")], {"a": cw.GaussianRoot(), "b": Unregistered(1, weight=[1.0])})
    with pytest.raises(ConversionError, match="register_mechanism"):
        bad.save(tmp_path / "bad")


def test_hard_interventions_are_saved_and_callables_refused(tmp_path):
    scm = cw.random_scm(6, mechanism="mlp", seed=1, dtype=torch.float64)
    a, b = scm.variables[0], scm.variables[3]
    per_row = torch.linspace(-1, 1, 40, dtype=torch.float64)
    acted = scm.do({a: 0.25, b: per_row})
    loaded = round_trip(acted, tmp_path / "m")
    assert set(loaded.interventions) == {a, b}
    assert_same_values(loaded.sample(40, seed=2), acted.sample(40, seed=2), scm.variables)
    assert torch.equal(loaded.sample(40, seed=2)[b], per_row)

    disc = cw.random_scm(4, mechanism="discrete", cardinality=3, seed=0).do({"x1": 2})
    again = round_trip(disc, tmp_path / "d")
    assert torch.all(again.sample(20, seed=0)["x1"] == 2)

    with pytest.raises(ConversionError, match="callable"):
        scm.do({a: lambda t: t + 1}).save(tmp_path / "soft")


# -- damaged, tampered and foreign folders ----------------------------------------------------
def _tensors(folder):
    return store.tensors_path(folder, io.JSON_FILE)


def _rewrite_json(folder, edit):
    path = folder / io.JSON_FILE
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip_last_byte(path):
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))


def _resave_changed_weight(path):
    tensors = load_file(path)
    key = next(k for k in tensors if k.endswith("/weight"))
    tensors[key] = tensors[key] + 1.0
    save_file(tensors, path)


def _first_mechanism_with(doc, key):
    return next(spec for spec in doc["mechanisms"].values() if key in spec["config"])


CORRUPTIONS = {
    "truncated tensors": (lambda f: _truncate(_tensors(f)), "checksum"),
    "flipped byte in tensors": (lambda f: _flip_last_byte(_tensors(f)), "checksum"),
    "valid tensors file with a changed weight": (lambda f: _resave_changed_weight(_tensors(f)), "checksum"),
    "edited config in json": (lambda f: _rewrite_json(f, lambda d: _first_mechanism_with(d, "noise_std")["config"].update(noise_std=9.0)), "checksum"),
    "edited fitted range": (lambda f: _rewrite_json(f, lambda d: d["fitted_ranges"].update(x=[-1e9, 1e9])), "checksum"),
    "truncated json": (lambda f: _truncate(f / io.JSON_FILE), "not valid JSON"),
    "foreign format name": (lambda f: _rewrite_json(f, lambda d: d.update(format="dowhy.gcm")), "not a saved causalworld SCM"),
    "foreign json file": (lambda f: (f / io.JSON_FILE).write_text(json.dumps({"name": "something else"})), "not a saved causalworld SCM"),
    "newer format version": (lambda f: _rewrite_json(f, lambda d: d.update(format_version=io.FORMAT_VERSION + 1)), "upgrade causalworld"),
    "missing json": (lambda f: os.remove(f / io.JSON_FILE), "scm.json is missing"),
    "missing tensors": (lambda f: os.remove(_tensors(f)), r"scm-\w+\.safetensors is missing"),
    "tensors file of another save": (lambda f: _rewrite_json(f, lambda d: d.update(tensors_file="scm-" + "0" * 32 + ".safetensors")), "missing"),
    "missing checksum": (lambda f: _rewrite_json(f, lambda d: d.pop("checksum")), "checksum"),
}


@pytest.fixture
def saved_fitted(tmp_path):
    truth = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 1.0, dtype=torch.float64)
    fitted = cw.SCM.fit(truth.graph, truth.sample(200, seed=0), "linear", progress=False)
    folder = tmp_path / "model"
    fitted.save(folder)
    return folder


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_damaged_or_foreign_folders_raise_model_file_error(saved_fitted, case):
    damage, message = CORRUPTIONS[case]
    damage(saved_fitted)
    with pytest.raises(ModelFileError, match=message) as err:
        cw.SCM.load(saved_fitted)
    assert any(word in str(err.value) for word in ("save the model again", "upgrade", "give the folder")), str(err.value)


def test_a_consistent_checksum_does_not_hide_missing_tensors(saved_fitted):
    """A file whose checksum was recomputed after an edit still fails the strict state-dict check."""
    doc = json.loads((saved_fitted / io.JSON_FILE).read_text())
    doc["mechanisms"]["y"]["tensors"].remove("weight")
    doc["checksum"]["value"] = store.checksum(doc, _tensors(saved_fitted).read_bytes())
    (saved_fitted / io.JSON_FILE).write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="do not fit a LinearGaussian"):
        cw.SCM.load(saved_fitted)


def test_not_a_folder(tmp_path):
    with pytest.raises(ModelFileError, match="not a folder"):
        cw.SCM.load(tmp_path / "nowhere")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ModelFileError, match="is a file"):
        cw.random_scm(2, seed=0).save(tmp_path / "file")


def test_loading_unpickles_nothing(saved_fitted, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("something tried to unpickle while loading an SCM")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(np, "load", refuse)
    loaded = cw.SCM.load(saved_fitted)
    assert loaded.fit_summary is not None and float(loaded.weights().iloc[0, 1]) == pytest.approx(2.0, abs=0.3)


def test_saving_is_atomic_and_replaces_an_earlier_save(tmp_path, monkeypatch):
    folder = tmp_path / "m"
    first = cw.random_scm(4, mechanism="linear", seed=0, dtype=torch.float64)
    second = cw.random_scm(4, mechanism="linear", seed=1, dtype=torch.float64)
    first.save(folder)

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        second.save(folder)
    monkeypatch.undo()
    assert sorted(p.name for p in folder.iterdir()) == sorted([io.JSON_FILE, _tensors(folder).name])  # no temp files left
    assert cw.SCM.load(folder).weights().equals(first.weights())  # the old save is intact

    second.save(folder)  # into an existing folder
    assert cw.SCM.load(folder).weights().equals(second.weights())


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_load_onto_cuda(tmp_path):
    scm = cw.random_scm(5, mechanism="mlp", seed=0, dtype=torch.float64)
    scm.save(tmp_path)
    loaded = cw.SCM.load(tmp_path, device="cuda")
    assert loaded.device.type == "cuda"
    obs = scm.sample(64, seed=1)
    cf = loaded.counterfactual({v: t.cuda() for v, t in obs.items()}, {scm.variables[0]: 0.3})
    ref = scm.counterfactual(obs, {scm.variables[0]: 0.3})
    for v in scm.variables:
        assert torch.allclose(cf[v].cpu(), ref[v], atol=1e-10)


# -- the same seed gives the same numbers in a new process ------------------------------------
DIGEST = """
import hashlib
def digest(values, variables):
    h = hashlib.sha256()
    for v in variables:
        h.update(v.encode())
        h.update(values[v].detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()
"""

QUERY = DIGEST + """
import sys
from causalworld import SCM
for folder in sys.argv[1:]:
    scm = SCM.load(folder)
    obs = scm.sample(64, seed=1)
    cf = scm.counterfactual(obs, {scm.variables[0]: 1}, num_samples=25, seed=5) if scm.discrete else \\
        scm.counterfactual(obs, {scm.variables[0]: 0.5})
    print(digest(scm.sample(500, seed=7), scm.variables), digest(cf, scm.variables))
"""


def test_same_seed_gives_same_numbers_in_a_new_process(tmp_path):
    models = [cw.random_scm(8, mechanism="discrete", cardinality=3, seed=21),
              cw.random_scm(8, mechanism="mlp", seed=22, dtype=torch.float64)]
    namespace: dict[str, Any] = {}
    exec(DIGEST, namespace)
    expected = []
    for i, scm in enumerate(models):
        scm.save(tmp_path / str(i))
        obs = scm.sample(64, seed=1)
        cf = (scm.counterfactual(obs, {scm.variables[0]: 1}, num_samples=25, seed=5) if scm.discrete
              else scm.counterfactual(obs, {scm.variables[0]: 0.5}))
        expected.append(f"{namespace['digest'](scm.sample(500, seed=7), scm.variables)} "
                        f"{namespace['digest'](cf, scm.variables)}")
    out = subprocess.run([sys.executable, "-c", QUERY, *(str(tmp_path / str(i)) for i in range(len(models)))],
                         capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split("\n")[: len(models)] == expected


# -- property: any damage to either file loads the same model or raises ModelFileError -----------
_PRISTINE: dict[str, tuple[str, bytes]] = {}


def _pristine_files() -> dict[str, tuple[str, bytes]]:
    if not _PRISTINE:
        with tempfile.TemporaryDirectory() as d:
            cw.random_scm(5, mechanism="discrete", cardinality=3, seed=8).do({"x2": 1}).save(d)
            for path in Path(d).iterdir():
                _PRISTINE[path.suffix] = (path.name, path.read_bytes())
    return _PRISTINE


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from([".json", ".safetensors"]), where=st.floats(0, 1, exclude_max=True),
       how=st.sampled_from(["flip", "truncate", "insert"]), byte=st.integers(1, 255))
def test_any_damage_loads_the_same_model_or_raises_model_file_error(which, where, how, byte):
    files = _pristine_files()
    data = bytearray(files[which][1])
    i = int(where * len(data))
    if how == "flip":
        data[i] ^= byte
    elif how == "truncate":
        data = data[:i]
    else:
        data[i:i] = bytes([byte])
    with tempfile.TemporaryDirectory() as d:
        for suffix, (name, content) in files.items():
            (Path(d) / name).write_bytes(bytes(data) if suffix == which else content)
        try:
            loaded = cw.SCM.load(d)
        except ModelFileError:
            return
    # only changes that leave the content the same (JSON whitespace) may load, and then identically
    reference = cw.random_scm(5, mechanism="discrete", cardinality=3, seed=8).do({"x2": 1})
    assert_same_values(loaded.sample(30, seed=0), reference.sample(30, seed=0), reference.variables)


def test_a_folder_in_the_first_layout_still_loads_and_is_replaced_by_the_next_save(saved_fitted):
    """Format 1 kept the tensors under a fixed name; its checksum was taken the same way."""
    doc = json.loads((saved_fitted / io.JSON_FILE).read_text())
    _tensors(saved_fitted).rename(saved_fitted / "tensors.safetensors")
    del doc["tensors_file"]
    doc["format_version"] = 1
    doc["checksum"]["value"] = store.checksum(doc, (saved_fitted / "tensors.safetensors").read_bytes())
    (saved_fitted / io.JSON_FILE).write_text(json.dumps(doc))
    old = cw.SCM.load(saved_fitted)
    old.save(saved_fitted)
    assert sorted(p.name for p in saved_fitted.iterdir()) == sorted([io.JSON_FILE, _tensors(saved_fitted).name])
    assert cw.SCM.load(saved_fitted).weights().equals(old.weights())


# -- a correctly signed file with values no model can have ---------------------------------------
def _signed_with(tmp_path, key, value):
    """A saved linear model whose tensor ``key`` was set to ``value`` and the folder signed
    again, as someone re-signing an edited file would: the checksum is right, the values are not."""
    folder = cw.SCM.linear([("a", "b")], {("a", "b"): 1.0}, 0.5).save(tmp_path / "m")
    doc, tensors = store.load_folder(folder, manifest=io.JSON_FILE, format=io.FORMAT, max_version=io.FORMAT_VERSION)
    tensors[key] = torch.full_like(tensors[key], value)
    store.save_folder(folder, manifest=io.JSON_FILE, doc=doc, tensors=tensors)
    return folder


@pytest.mark.parametrize("bad", [float("nan"), -1.0, 0.0, float("inf")])
def test_a_signed_file_with_a_bad_noise_std_is_refused(tmp_path, bad):
    folder = _signed_with(tmp_path, "b/noise_std", bad)
    with pytest.raises(ModelFileError, match=r"'b'.*noise_std"):
        cw.SCM.load(folder)


def test_a_signed_file_with_a_nan_weight_is_refused(tmp_path):
    folder = _signed_with(tmp_path, "b/weight", float("nan"))
    with pytest.raises(ModelFileError, match=r"'b'.*'weight' holds NaN"):
        cw.SCM.load(folder)


def test_a_half_precision_file_is_refused_with_the_fix(tmp_path):
    folder = cw.SCM.linear([("a", "b")], {("a", "b"): 1.0}).save(tmp_path / "m")
    doc, tensors = store.load_folder(folder, manifest=io.JSON_FILE, format=io.FORMAT, max_version=io.FORMAT_VERSION)
    store.save_folder(folder, manifest=io.JSON_FILE, doc={**doc, "dtype": "float16"},  # re-signed in float16
                      tensors={k: t.half() for k, t in tensors.items()})
    with pytest.raises(ModelFileError, match="float16.*float32 or float64"):
        cw.SCM.load(folder)


@pytest.mark.parametrize("folder", [None, 3, ""])
def test_load_refuses_a_folder_that_is_not_a_path(folder):
    with pytest.raises(DTypeError, match="folder must be a path"):
        cw.SCM.load(folder)
