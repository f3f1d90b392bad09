"""One small encoder trained once for the whole run, and the held-out episodes it is scored on."""

import pytest
import torch

import causalworld as cw
from causalworld.encoders import VideoEncoder
from causalworld.encoders.batches import WorldBatches

SPRITES = {"image_size": 32, "n_objects": 1, "seed": 0}
STEPS = 150


def independent_episodes(world, n: int, seed: int):
    """Episodes where every intervenable variable is set independently at random: correlation in
    the world then cannot pass for entanglement."""
    draw = WorldBatches(world, tuple(world.intervenable), batch_size=1, seed=seed, p_set=1.0, counterfactual=False)
    do, _ = draw.draw_do(torch.Generator().manual_seed(seed), n)
    return world.rollout(n, do=do, seed=seed)


@pytest.fixture(scope="session")
def sprites_world():
    return cw.make("sprites", **SPRITES)


@pytest.fixture(scope="session")
def sprites_encoder(sprites_world):
    return VideoEncoder(8, steps=STEPS, batch_size=32, lr=2e-3, progress=False, seed=0).fit(sprites_world)


@pytest.fixture(scope="session")
def held_out(sprites_world):
    return independent_episodes(sprites_world, 600, seed=7)
