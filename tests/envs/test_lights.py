"""The lights world: Malus's law, the ambient confounder, and the drawing promises."""

from __future__ import annotations

import math

import pytest
import torch

import causalworld as cw
from causalworld.envs.lights import Lamp, MalusSensor
from causalworld.errors import OutOfRangeError


def test_sensor_follows_malus_law(lights):
    lamps_on = {f"switch_{c}": 1 for c in ("red", "green", "blue")} | {f"dimmer_{c}": 1.0 for c in ("red", "green", "blue")}
    crossed = lights.rollout(256, seed=0, do={**lamps_on, "angle": math.pi / 2, "spin": 0.0})
    aligned = lights.rollout(256, seed=0, do={**lamps_on, "angle": 0.0, "spin": 0.0})
    amb = crossed.values["ambient"]
    lamps = torch.stack([aligned.values[f"lamp_{c}"] for c in ("red", "green", "blue")]).mean(0)
    # crossed polarizer: cos^2 = 0, only daylight reaches the sensor; aligned: all the lamps' light
    assert (crossed.values["sensor"][:, 0] - 0.3 * amb).abs().mean() < 0.03
    assert (aligned.values["sensor"][:, 0] - (0.3 * amb + 0.7 * lamps)).abs().mean() < 0.03
    resid = aligned.values["sensor"][:, 0] - (0.3 * amb + 0.7 * lamps)
    assert abs(float(resid.std()) - 0.02) < 0.005  # the sensor's own noise, N(0, 0.02^2)


def test_ambient_confounds_lamps_and_sensor(lights):
    assert {"ambient"} <= set(lights.graph.predecessors("lamp_red")) & set(lights.graph.predecessors("sensor"))
    dark = lights.rollout(128, seed=1, do={"ambient": 0.0, "switch_red": 1})
    bright = lights.rollout(128, seed=1, do={"ambient": 1.0, "switch_red": 1})
    assert float((dark.values["lamp_red"] - bright.values["lamp_red"]).mean()) > 0.1  # lamps dim in daylight


def test_depicted_and_hidden_variables_are_documented(lights):
    assert set(lights.depicted) == {"ambient", "angle", "sensor", *(f"{k}_{c}" for k in ("switch", "lamp") for c in ("red", "green", "blue"))}
    hidden = set(lights.variables) - set(lights.depicted)
    assert hidden == {"spin", "dimmer_red", "dimmer_green", "dimmer_blue"}
    assert "sensor" not in lights.intervenable and "lamp_red" not in lights.intervenable


def test_ambient_is_the_background(lights):
    eps = lights.rollout(2, seed=0, do={"ambient": torch.tensor([0.0, 1.0])})
    corner = eps.frames[:, 0, :, 0, 0].float()  # the top-left pixel is background
    assert torch.allclose(corner, torch.tensor([[20.0] * 3, [220.0] * 3]))


def test_the_default_world_draws_32px_episodes_that_vary():
    # (its speed is measured in benchmarks/worlds.py, not here)
    world = cw.make("lights", image_size=32)
    eps = world.rollout(64, seed=0)
    assert eps.frames.shape == (64, 8, 3, 32, 32) and eps.frames.dtype == torch.uint8
    assert len({bytes(f.numpy()) for f in eps.frames[:, 0]}) == 64  # every episode draws its own first frame


def test_laws_round_trip_their_config():
    lamp = Lamp(3, switch=2, dimmer=0, ambient=1, fade=0.4)
    again = Lamp.from_config(lamp.get_config())
    pa = torch.rand(5, 3)
    assert torch.equal(again.law(pa), lamp.law(pa))
    sensor = MalusSensor(4, ambient=3, angle=0, lamps=[1, 2])
    pa = torch.rand(6, 4)
    assert torch.equal(MalusSensor.from_config(sensor.get_config()).law(pa), sensor.law(pa))
    u = sensor.sample_noise(6, torch.Generator().manual_seed(0))
    assert torch.allclose(sensor.abduct(pa, sensor(pa, u)), u, atol=1e-6)


def test_bad_config():
    with pytest.raises(OutOfRangeError):
        cw.make("lights", p_switch_on=1.0)
