"""Episodes: selection, concatenation, tables, files (safetensors + JSON, checked) and from_arrays."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import causalworld as cw
from causalworld import store
from causalworld.episodes import Episodes
from causalworld.errors import (
    ArgumentError,
    CausalWorldError,
    DeviceError,
    DTypeError,
    ModelFileError,
    NonFiniteError,
    ShapeError,
    UnknownVariableError,
)


def _eps(n: int = 5, T: int = 3) -> Episodes:
    g = torch.Generator().manual_seed(n)
    frames = torch.randint(0, 256, (n, T, 3, 8, 8), dtype=torch.uint8, generator=g)
    values = {"a": torch.arange(n, dtype=torch.float32), "b": torch.rand(n, T, generator=g), "k": torch.arange(n) % 2}
    targets = torch.zeros(n, 3, dtype=torch.bool)
    targets[::2, 0] = True
    noise = {"a": torch.randn(n, generator=g), "b[0]": torch.randn(n, generator=g), "render:g": torch.randn(n, 4, generator=g)}
    return Episodes(frames, values, targets=targets, noise=noise, names=("a", "b", "k"), meta={"world": "toy-v0"})


def _equal(x: Episodes, y: Episodes) -> bool:
    return (torch.equal(x.frames, y.frames) and torch.equal(x.targets, y.targets) and x.names == y.names
            and all(torch.equal(x.values[v], y.values[v]) for v in x.values) and set(x.values) == set(y.values)
            and all(torch.equal(x.noise[k], y.noise[k]) for k in x.noise) and set(x.noise) == set(y.noise))


def test_selection_keeps_every_field_aligned():
    eps = _eps()
    one = eps[2]
    assert len(one) == 1 and float(one.values["a"][0]) == 2.0 and one.frames.shape == (1, 3, 3, 8, 8)
    assert float(eps[-1].values["a"][0]) == 4.0
    assert eps[1:4].values["b"].shape == (3, 3)
    picked = eps[torch.tensor([4, 0])]
    assert picked.values["a"].tolist() == [4.0, 0.0] and picked.targets[:, 0].tolist() == [True, True]
    mask = eps.values["k"] == 1
    assert eps[mask].values["a"].tolist() == [1.0, 3.0]
    assert torch.equal(eps[[0, 2]].noise["render:g"], eps.noise["render:g"][[0, 2]])
    with pytest.raises(IndexError):
        eps[5]
    with pytest.raises(ShapeError):
        eps[torch.tensor([True, False])]
    with pytest.raises(DTypeError):
        eps[torch.tensor([0.5])]


def test_concat_is_the_inverse_of_slicing():
    eps = _eps()
    assert _equal(Episodes.concat([eps[:2], eps[2:3], eps[3:]]), eps)
    with pytest.raises(ArgumentError):
        Episodes.concat([])
    other = Episodes(eps.frames, {"z": eps.values["a"]})
    with pytest.raises(ArgumentError):
        Episodes.concat([eps, other])


def test_to_frame_spreads_time_varying_columns():
    df = _eps().to_frame(targets=True)
    assert list(df.columns) == ["a", "b[0]", "b[1]", "b[2]", "k", "do(a)", "do(b)", "do(k)"]
    assert df["do(a)"].tolist() == [True, False, True, False, True]
    assert df["k"].dtype == np.int64


def test_save_load_round_trip(tmp_path):
    eps = _eps()
    eps.save(tmp_path / "e")
    back = Episodes.load(tmp_path / "e")
    assert _equal(back, eps) and back.meta == {"world": "toy-v0"}
    assert not list((tmp_path / "e").glob("*.tmp"))  # atomic writes leave no temporaries


def test_damaged_folders_raise_model_file_error(tmp_path):
    eps = _eps()
    folder = eps.save(tmp_path / "e")
    blob = store.tensors_path(folder, "episodes.json")
    data = blob.read_bytes()
    blob.write_bytes(data[:-10])
    with pytest.raises(ModelFileError, match="checksum"):
        Episodes.load(folder)
    blob.write_bytes(data)
    meta = json.loads((folder / "episodes.json").read_text())
    (folder / "episodes.json").write_text(json.dumps(meta | {"format": "pickle"}))
    with pytest.raises(ModelFileError, match="format"):
        Episodes.load(folder)
    (folder / "episodes.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="JSON"):
        Episodes.load(folder)
    with pytest.raises(ModelFileError, match="missing"):
        Episodes.load(tmp_path / "nowhere")


@pytest.mark.parametrize("edit", ["reverse names", "drop a value", "drop a noise", "n", "frame_shape", "world id"])
def test_every_field_of_the_json_is_covered_by_the_checksum(tmp_path, edit):
    eps = _eps()
    eps.noise = {"a": torch.zeros(len(eps)), "b": torch.ones(len(eps))}
    folder = eps.save(tmp_path / "e")
    path = folder / "episodes.json"
    doc = json.loads(path.read_text())
    change = {"reverse names": lambda d: d.update(names=d["names"][::-1]),
              "drop a value": lambda d: d["values"].pop(),
              "drop a noise": lambda d: d["noise"].pop(),
              "n": lambda d: d.update(n=d["n"] - 1),
              "frame_shape": lambda d: d.update(frame_shape=[1, 1, 1, 1]),
              "world id": lambda d: d["meta"].update(world="other-v0")}[edit]
    change(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="checksum"):
        Episodes.load(folder)


def test_a_consistent_checksum_does_not_hide_a_mismatched_field(tmp_path):
    folder = _eps().save(tmp_path / "e")
    path = folder / "episodes.json"
    doc = json.loads(path.read_text())
    doc["values"] = doc["values"][:-1]  # a tensor no field names
    doc["checksum"]["value"] = store.checksum(doc, store.tensors_path(folder, "episodes.json").read_bytes())
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="inconsistent"):
        Episodes.load(folder)


@pytest.mark.parametrize("name", ["lights", "sprites", "falling", "pendulum", "billiards"])
def test_episodes_drawn_from_every_world_save_and_load(tmp_path, name):
    eps = cw.make(name, image_size=16, seed=0).rollout(3)
    back = Episodes.load(eps.save(tmp_path / name))
    assert _equal(back, eps)
    for k in eps.noise:
        assert torch.equal(back.noise[k], eps.noise[k])


def test_from_arrays_builds_episodes_from_recordings():
    video = np.random.default_rng(0).integers(0, 256, (4, 2, 3, 8, 8), dtype=np.uint8)
    eps = Episodes.from_arrays(video, values={"x": np.arange(4.0), "y": np.ones((4, 2))}, targets=[["x"], [], ["y"], "x"])
    assert eps.names == ("x", "y") and eps.targets.tolist() == [[True, False], [False, False], [False, True], [True, False]]
    assert eps.values["y"].shape == (4, 2) and torch.equal(eps.frames, torch.from_numpy(video))
    arr = Episodes.from_arrays(video, values=np.zeros((4, 3)), names=["p", "q", "r"], targets=np.eye(4, 3, dtype=bool))
    assert arr.names == ("p", "q", "r") and arr.targets[0, 0] and not arr.targets[3].any()
    only = Episodes.from_arrays(torch.from_numpy(video))
    assert only.names == () and only.targets.shape == (4, 0)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(frames=np.zeros((2, 1, 3, 8, 8), np.float32)), DTypeError, "astype"),
        (dict(frames=np.zeros((2, 3, 8, 8), np.uint8)), ShapeError, "time axis"),
        (dict(frames=np.zeros((2, 1, 8, 8, 3), np.uint8)), ShapeError, "permute"),
        (dict(frames=np.zeros((2, 1, 3, 8, 8), np.uint8), values=np.zeros((2, 2))), ArgumentError, "names"),
        (dict(frames=np.zeros((2, 1, 3, 8, 8), np.uint8), values={"x": np.zeros(3)}), ShapeError, "expected"),
        (dict(frames=np.zeros((2, 1, 3, 8, 8), np.uint8), values={"x": np.array(["a", "b"])}), DTypeError, "numeric"),
        (dict(frames=np.zeros((2, 1, 3, 8, 8), np.uint8), values={"x": np.array([1.0, np.nan])}), CausalWorldError, "NaN"),
        (dict(frames=np.zeros((2, 1, 3, 8, 8), np.uint8), values={"x": np.zeros(2)}, targets=[["y"], []]), UnknownVariableError, "'y'"),
        (dict(frames=np.zeros((2, 1, 3, 8, 8), np.uint8), values={"x": np.zeros(2)}, targets=[[]]), ShapeError, "lists 1"),
        (dict(frames=np.zeros((2, 1, 3, 8, 8), np.uint8), names=["x"], targets=np.ones((2, 2), bool)), ShapeError, "targets"),
        (dict(frames=np.zeros((2, 1, 3, 8, 8), np.uint8), targets=[[], []]), ArgumentError, "names"),
    ],
)
def test_from_arrays_refuses_bad_input_with_the_fix(kwargs, error, match):
    frames = kwargs.pop("frames")
    with pytest.raises(error, match=match):
        Episodes.from_arrays(frames, **kwargs)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), T=st.integers(1, 3), C=st.sampled_from([1, 3]), d=st.integers(0, 3), seed=st.integers(0, 99))
def test_from_arrays_then_save_and_load_keeps_everything(tmp_path_factory, n, T, C, d, seed):
    rng = np.random.default_rng(seed)
    video = rng.integers(0, 256, (n, T, C, 6, 5), dtype=np.uint8)
    names = [f"v{j}" for j in range(d)]
    values = rng.normal(size=(n, d))
    targets = rng.random((n, d)) < 0.5
    eps = Episodes.from_arrays(video, values=values if d else None, names=names if d else None,
                               targets=targets if d else None)
    back = Episodes.load(eps.save(tmp_path_factory.mktemp("e")))
    assert _equal(back, eps)
    assert back.to_frame().shape == (n, d)


def test_a_folder_of_the_first_layout_is_refused_with_the_fix(tmp_path):
    (tmp_path / "episodes.json").write_text(json.dumps({"format": "causalworld.episodes", "version": 1}))
    with pytest.raises(ModelFileError, match="save them again"):
        Episodes.load(tmp_path)


def test_targets_given_as_a_table_are_read_by_column():
    video = np.zeros((2, 1, 3, 8, 8), dtype=np.uint8)
    none_set = pd.DataFrame({"a": [False, False], "b": [False, False]})
    assert Episodes.from_arrays(video, targets=none_set, names=["a", "b"]).targets.tolist() == [[False, False]] * 2
    eps = Episodes.from_arrays(video, targets={"b": [True, False]}, names=["a", "b"])
    assert eps.targets.tolist() == [[False, True], [False, False]]
    with pytest.raises(UnknownVariableError):
        Episodes.from_arrays(video, targets={"c": [True, False]}, names=["a", "b"])


def test_do_values_carry_what_was_set_and_nothing_else(tmp_path):
    video = np.zeros((3, 2, 3, 8, 8), dtype=np.uint8)
    dv = np.array([[0.5, np.nan], [np.nan, np.nan], [np.nan, -1.0]])
    eps = Episodes.from_arrays(video, do_values=dv, names=["a", "b"])
    assert eps.targets.tolist() == [[True, False], [False, False], [False, True]] and not eps.values
    back = Episodes.load(eps[[0, 2]].save(tmp_path / "e"))
    assert torch.allclose(back.set_values(), torch.tensor([[0.5, float("nan")], [float("nan"), -1.0]]), equal_nan=True)
    table = Episodes.from_arrays(video, do_values=pd.DataFrame(dv, columns=["a", "b"]))
    assert table.names == ("a", "b") and torch.equal(table.targets, eps.targets)
    with pytest.raises(ArgumentError, match="did not set"):
        Episodes.from_arrays(video, do_values=dv, names=["a", "b"], targets=np.zeros((3, 2), dtype=bool))
    with pytest.raises(ShapeError, match="do_values has shape"):
        Episodes.from_arrays(video, do_values=dv[:, :1], names=["a", "b"])
    with pytest.raises(NonFiniteError):
        Episodes.from_arrays(video, do_values=np.full((3, 2), np.inf), names=["a", "b"])


def test_set_values_of_world_episodes_are_the_values_set():
    world = cw.make("lights", image_size=16, seed=0)
    eps = world.rollout(4, do=[{"angle": 1.0}, {}, {"switch_red": 0}, {"ambient": 0.25, "angle": 2.0}], seed=0)
    sv = eps.set_values()
    j = {v: i for i, v in enumerate(eps.names)}
    assert sv[0, j["angle"]] == 1.0 and sv[3, j["ambient"]] == 0.25 and sv[2, j["switch_red"]] == 0
    assert int((~torch.isnan(sv)).sum()) == 4


# -- indexing with the wrong kind of index is a typed error -----------------------------------------
@pytest.mark.parametrize("index", [[5], [-6], torch.tensor([0, 7]), 5])
def test_an_index_past_the_end_is_an_index_error_naming_the_episode(index):
    from causalworld.errors import IndexOutOfRangeError

    with pytest.raises(IndexOutOfRangeError, match=r"episode -?\d+ is out of range for 5 episodes"):
        _eps(5)[index]


@pytest.mark.parametrize("index", ["a", ["a"], [1.5], [1 + 1j], {"a": 1}])
def test_an_index_that_is_not_ints_or_a_mask_is_a_dtype_error(index):
    with pytest.raises(DTypeError, match="index episodes with an int, a slice"):
        _eps(5)[index]


def test_list_indexing_keeps_the_selected_episodes():
    eps = _eps(5)
    assert torch.equal(eps[[4, 0]].frames, eps.frames[[4, 0]])


@settings(derandomize=True, database=None, max_examples=40, deadline=None)
@given(index=st.one_of(st.integers(-8, 8), st.lists(st.integers(-8, 8), max_size=3), st.text(max_size=2),
                       st.lists(st.floats(allow_nan=True), min_size=1, max_size=2), st.none()))
def test_any_index_selects_episodes_or_raises_a_typed_error(index):
    eps = _eps(5)
    try:
        out = eps[index]
    except CausalWorldError:
        return
    assert out.frames.shape[1:] == eps.frames.shape[1:]


@pytest.mark.parametrize("device", ["bogus", "meta"] + ([] if torch.cuda.is_available() else ["cuda"]))
def test_loading_onto_a_device_this_machine_lacks_is_a_device_error(tmp_path, device):
    folder = _eps().save(tmp_path / "e")
    with pytest.raises(DeviceError):
        Episodes.load(folder, device=device)
