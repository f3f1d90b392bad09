"""check_world: every registered world passes it, and it catches worlds that break the contract."""

from __future__ import annotations

import pytest
import torch

import causalworld as cw
from causalworld.envs import check_world, register_world
from causalworld.envs.check import (
    check_counterfactual_consistency,
    check_depicted_sensitivity,
    check_render_agrees,
    check_seed_determinism,
)
from causalworld.errors import CausalWorldError, WorldCheckError
from tests.envs.toyworld import Toy

# Small frames keep this fast; every registered world, built-in or added later, is checked.
_SIZES = {"sprites": 32}


@pytest.mark.parametrize("world_id", cw.list_worlds())
def test_every_registered_world_passes_check_world(world_id):
    name = world_id.split("-v")[0]
    world = cw.make(world_id, image_size=_SIZES.get(name, 16), frames=3)
    check_world(world, n=6, seed=1)


def test_sprites_passes_check_world_in_its_variants():
    for kw in (dict(image_size=16, n_objects=6, mechanism="mlp"), dict(image_size=24, frames=3, mechanism="pnl"),
               dict(image_size=64, n_objects=2, edges_per_node=0.0)):
        check_world(cw.make("sprites", **kw), n=8, seed=2)


def test_a_users_world_passes_check_world():
    check_world(Toy(image_size=16), n=5)


class _Noisy(Toy):
    """Draws with fresh randomness: not a pure function of values and noise."""

    name = "noisy"

    def draw(self, values, noise, out):
        super().draw(values, noise, out)
        out.add_(torch.randint(0, 2, out.shape, dtype=torch.uint8))


class _Blind(Toy):
    """Claims to depict 'pos' but draws a constant frame."""

    name = "blind"

    def draw(self, values, noise, out):
        out.fill_(7)


class _ForgetsNoise(Toy):
    """Uses its render noise in rollouts but a different one when asked to render."""

    name = "forgetful"
    calls = 0

    def draw(self, values, noise, out):
        type(self).calls += 1
        super().draw(values, {"grain": noise["grain"] * (type(self).calls % 2)}, out)


def test_check_world_catches_an_impure_renderer():
    with pytest.raises(WorldCheckError, match="check_seed_determinism"):
        check_seed_determinism(_Noisy(image_size=16))
    with pytest.raises(WorldCheckError, match="check_render_agrees"):
        check_render_agrees(_ForgetsNoise(image_size=16))


def test_check_world_catches_a_renderer_blind_to_a_depicted_variable():
    with pytest.raises(WorldCheckError, match="changing 'pos'") as err:
        check_depicted_sensitivity(_Blind(image_size=16))
    assert isinstance(err.value, CausalWorldError) and isinstance(err.value, AssertionError)


def test_check_world_catches_counterfactuals_that_do_not_replay_the_noise(clean_registry):
    @register_world
    class Amnesic(Toy):
        name = "amnesic"

        def counterfactual_rollout(self, episodes, do):  # redraws the noise: not a counterfactual
            return self.rollout(len(episodes), do=do, seed=12345)

    with pytest.raises(WorldCheckError, match="check_counterfactual_consistency"):
        check_counterfactual_consistency(cw.make("amnesic", image_size=16))
