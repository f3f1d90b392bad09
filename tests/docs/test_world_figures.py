"""The World pages' strips show what their captions say, checked on the world's own values."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

import causalworld as cw

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "docs" / "_scripts"))
import world_figures  # noqa: E402


def test_falling_strip_is_knocked_held_missed():
    world = cw.make("falling", image_size=16)
    v = world.rollout(3, seed=0, do=world_figures.FALLING_EPISODES).values
    # knocked: the pen lands on the block (block top 0.2) and pushes it right; the ball drops
    assert v["block_shift"][0, -1] > 0.15 and abs(v["pen_y"][0, -1] - 0.2) < 0.02
    assert v["ball_y"][0, -1] < v["ball_y"][0, 0] - 0.3
    # held: shelf and string hold, nothing moves
    for name in ("pen_y", "ball_y"):
        assert (v[name][1] - v[name][1, 0]).abs().max() < 0.01
    # missed: the pen falls to the floor beside the block, which stays put
    assert v["pen_y"][2, -1].abs() < 0.02 and v["block_shift"][2].abs().max() < 0.02


def test_lights_counterfactual_turns_the_green_lamp_off_and_keeps_the_noise():
    world = cw.make("lights", image_size=16)
    eps = world.rollout(3, seed=0)
    cf = world.counterfactual_rollout(eps, world_figures.LIGHTS_COUNTERFACTUAL)
    assert eps.values["switch_green"][0] == 1 and eps.values["lamp_green"][0] > 0.2
    assert cf.values["lamp_green"][0].abs() < 0.05
    on = [c for c in ("red", "blue") if eps.values[f"switch_{c}"][0] == 1]
    assert on and all(cf.values[f"lamp_{c}"][0] < eps.values[f"lamp_{c}"][0] for c in on)  # a brighter day
    for name in ("dimmer_red", "dimmer_green", "dimmer_blue", "spin", "angle"):
        assert torch.equal(cf.values[name][0], eps.values[name][0])  # the same exogenous noise
