"""make / list_worlds / register_world: versioned ids, the newest for a bare name, clear errors."""

from __future__ import annotations

import pytest

import causalworld as cw
from causalworld.envs import World, register_world
from causalworld.errors import ArgumentError, CausalWorldError, UnknownWorldError
from tests.envs.toyworld import Toy


def test_builtin_worlds_are_listed_with_versions():
    ids = cw.list_worlds()
    assert {"lights-v0", "sprites-v0"} <= set(ids)
    assert ids == sorted(ids) and all("-v" in i for i in ids)


def test_make_passes_the_common_settings_and_the_config():
    world = cw.make("sprites-v0", image_size=24, frames=2, n_objects=2, seed=3)
    assert world.id == "sprites-v0" and world.frame_shape == (2, 3, 24, 24)
    assert world.config["n_objects"] == 2 and len(world.variables) == 8


def test_bare_name_means_the_newest_version(clean_registry):
    register_world(Toy)

    @register_world
    class ToyV2(Toy):
        version = 2

    assert cw.make("toy").id == "toy-v2"
    assert type(cw.make("toy-v0", image_size=16)) is Toy
    assert {"toy-v0", "toy-v2"} <= set(cw.list_worlds())


def test_unknown_world_suggests_the_close_ones():
    with pytest.raises(UnknownWorldError, match="did you mean 'lights-v0'") as err:
        cw.make("ligths")
    assert isinstance(err.value, KeyError) and isinstance(err.value, CausalWorldError)
    with pytest.raises(UnknownWorldError, match="registered: lights-v0"):
        cw.make("lights-v7")
    with pytest.raises(UnknownWorldError, match="not a world id"):
        cw.make("Lights V0!")


def test_unknown_setting_is_refused_with_a_suggestion():
    with pytest.raises(ArgumentError, match="did you mean 'n_objects'"):
        cw.make("sprites", n_object=3)
    with pytest.raises(ArgumentError):
        cw.make("lights", p_switch_on="x", gravity=1)


def test_register_world_refuses_bad_classes_and_duplicates(clean_registry):
    with pytest.raises(ArgumentError, match="World subclass"):
        register_world(int)

    class Unnamed(Toy):
        name = "Bad-v1"

    with pytest.raises(ArgumentError, match="lower-case identifier"):
        register_world(Unnamed)
    register_world(Toy)

    class Other(Toy):
        pass

    with pytest.raises(ArgumentError, match="already registered"):
        register_world(Other)
    register_world(overwrite=True)(Other)
    assert type(cw.make("toy-v0", image_size=16)) is Other


def test_common_settings_are_checked():
    for bad in (dict(image_size=4), dict(frames=0), dict(image_size=16.0)):
        with pytest.raises(CausalWorldError):
            cw.make("lights", **bad)
    with pytest.raises(CausalWorldError):
        cw.make("lights", device="gpu0")


def test_world_without_build_gives_a_clear_type_error():
    class Empty(World):
        name = "empty"

    with pytest.raises(TypeError, match="must define build"):
        Empty()


def test_a_version_of_thousands_of_digits_is_an_unknown_world_not_a_raw_value_error():
    with pytest.raises(UnknownWorldError, match="'lights' has no version 999999999"):
        cw.make("lights-v" + "9" * 5000)


def test_an_image_size_too_large_for_memory_is_refused_before_building(monkeypatch):
    import time

    from causalworld.errors import MemoryLimitError
    from causalworld.memory import MAX_BYTES_ENV

    start = time.perf_counter()
    with pytest.raises(MemoryLimitError, match="image_size=1000000 needs about .*TiB.*smaller image_size"):
        cw.make("lights", image_size=10**6)
    assert time.perf_counter() - start < 1.0
    monkeypatch.setenv(MAX_BYTES_ENV, "100k")  # lights at 64 pixels: 8 frames of 3 x 64 x 64 bytes and its grids
    with pytest.raises(MemoryLimitError, match=f"raise {MAX_BYTES_ENV}"):
        cw.make("lights", image_size=64)
    monkeypatch.setenv(MAX_BYTES_ENV, "1M")
    assert cw.make("lights", image_size=64).frame_shape == (8, 3, 64, 64)
