"""The one save mechanism: a save killed at any point leaves the previous one loadable, the
checksum covers the whole folder, and two processes saving to one folder do not mix their files."""

import json
import multiprocessing
import os
import random
import signal
import time

import pytest
import torch

from causalworld import atomic, store
from causalworld.errors import ModelFileError

DOC = {"format": "test.thing", "format_version": 1}


def _save(folder, value: float, n: int = 1000):
    return store.save_folder(folder, manifest="thing.json", doc=DOC | {"value": value},
                             tensors={"w": torch.full((n,), value)})


def _load(folder):
    doc, tensors = store.load_folder(folder, manifest="thing.json", format="test.thing", max_version=1)
    assert torch.equal(tensors["w"], torch.full_like(tensors["w"], doc["value"])), "manifest and tensors of two saves"
    return doc["value"]


def test_round_trip_and_only_the_named_files_stay(tmp_path):
    _save(tmp_path, 1.0)
    _save(tmp_path, 2.0)
    assert _load(tmp_path) == 2.0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["thing.json", store.tensors_path(tmp_path, "thing.json").name])


def test_tensors_that_share_memory_are_saved_apart(tmp_path):
    base = torch.arange(6.0)
    store.save_folder(tmp_path, manifest="x.json", doc={"format": "f", "format_version": 1},
                      tensors={"a": base, "b": base, "c": base[:3]})
    _, t = store.load_folder(tmp_path, manifest="x.json", format="f", max_version=1)
    assert torch.equal(t["a"], base) and torch.equal(t["b"], base) and torch.equal(t["c"], base[:3])


@pytest.mark.parametrize("fail_at", [0, 1])  # 0: while writing the tensors, 1: while writing the manifest
def test_a_save_that_dies_between_writes_leaves_the_previous_save(tmp_path, monkeypatch, fail_at):
    _save(tmp_path, 1.0)
    calls = []
    real = atomic.write_atomic

    def dying(path, data):
        calls.append(path)
        if len(calls) - 1 == fail_at:
            raise KeyboardInterrupt("killed")
        real(path, data)

    monkeypatch.setattr(store, "write_atomic", dying)
    with pytest.raises(KeyboardInterrupt):
        _save(tmp_path, 2.0)
    monkeypatch.undo()
    assert _load(tmp_path) == 1.0
    _save(tmp_path, 3.0)  # the next save clears what the dead one left
    assert _load(tmp_path) == 3.0 and len(list(tmp_path.iterdir())) == 2


def test_the_checksum_covers_every_field(tmp_path):
    _save(tmp_path, 1.0)
    path = tmp_path / "thing.json"
    doc = json.loads(path.read_text())
    for edit in ({"value": 5.0}, {"extra": 1}, {"tensors_file": "thing-" + "0" * 32 + ".safetensors"}):
        path.write_text(json.dumps(doc | edit))
        with pytest.raises(ModelFileError):
            _load(tmp_path)
    path.write_text(json.dumps(doc))
    assert _load(tmp_path) == 1.0


def test_refuses_newer_versions_and_foreign_manifests(tmp_path):
    _save(tmp_path, 1.0)
    with pytest.raises(ModelFileError, match="upgrade causalworld"):
        store.load_folder(tmp_path, manifest="thing.json", format="test.thing", max_version=0)
    with pytest.raises(ModelFileError, match="format 'test.thing', expected 'other'"):
        store.load_folder(tmp_path, manifest="thing.json", format="other", max_version=1)


# -- real processes killed mid-save, and two savers at once ---------------------------------------
# Forked rather than started afresh: a new interpreter spends seconds importing the package.
FORK = multiprocessing.get_context("fork")


def _saver(folder, start: int, n: int, saves: int, ready) -> None:
    torch.set_num_threads(1)
    for i in range(start, start + saves):
        _save(folder, float(i), n=n)
        if i == start:
            ready.set()
    os._exit(0)


def test_saves_killed_at_seeded_points_leave_a_loadable_folder(tmp_path):
    rng = random.Random(0)
    for kill in range(5):
        ready = FORK.Event()
        child = FORK.Process(target=_saver, args=(tmp_path, 1000 * kill, 400_000, 999, ready))
        child.start()
        assert ready.wait(timeout=60)
        time.sleep(rng.uniform(0.0, 0.2))
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        assert child.exitcode == -signal.SIGKILL, "the saver finished before it was killed"
        value = _load(tmp_path)  # raises if the folder is broken or holds two saves' files
        assert 1000 * kill <= value < 1000 * (kill + 1)
    _save(tmp_path, -1.0, n=10)  # stray temporaries of the killed saves go with the next save
    assert sorted(os.listdir(tmp_path)) == sorted(["thing.json", store.tensors_path(tmp_path, "thing.json").name])


def test_two_processes_saving_to_one_folder_do_not_mix_their_files(tmp_path):
    children = [FORK.Process(target=_saver, args=(tmp_path, start, 20_000, 30, FORK.Event())) for start in (0, 10**5)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
        assert child.exitcode == 0
    assert _load(tmp_path) in (29.0, 10**5 + 29.0)
    assert len(os.listdir(tmp_path)) == 2


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_saved_files_get_the_umasks_permissions(tmp_path, umask):
    """Like any new file: 0o666 less the umask (0o644 under the usual 022), not mkstemp's 0o600."""
    old = os.umask(umask)
    try:
        _save(tmp_path, 1.0)
    finally:
        os.umask(old)
    files = [p for p in tmp_path.iterdir()]
    assert len(files) == 2
    for p in files:
        assert p.stat().st_mode & 0o777 == 0o666 & ~umask, p.name


def test_saved_models_and_episodes_are_readable_by_the_group_under_umask_022(tmp_path):
    import causalworld as cw

    old = os.umask(0o022)
    try:
        cw.random_scm(3, seed=0).save(tmp_path / "model")
        cw.make("lights", image_size=16, seed=0).rollout(2, seed=0).save(tmp_path / "episodes")
    finally:
        os.umask(old)
    modes = {p.relative_to(tmp_path).as_posix(): p.stat().st_mode & 0o777 for p in tmp_path.rglob("*") if p.is_file()}
    assert len(modes) == 4 and set(modes.values()) == {0o644}, modes
