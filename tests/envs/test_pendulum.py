"""The pendulum world: its shadow geometry against a brute-force projection, the do semantics
of CausalVAE's graph, and the frames against the values they depict."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import causalworld as cw
from causalworld.envs.pendulum import (
    BOB_RADIUS,
    GROUND,
    LIGHT_HEIGHT,
    PIVOT,
    ROD,
    PointLightShadow,
    shadow_interval,
)
from causalworld.errors import ArgumentError, OutOfRangeError


@pytest.fixture(scope="module")
def pendulum():
    return cw.make("pendulum", image_size=64, seed=0)


def test_shadow_is_the_projection_of_the_bob_from_the_lamp():
    # Independent of the tangent-line formula: project 20,000 points of the bob's outline from the
    # lamp onto the ground and take the extremes.
    rng = np.random.default_rng(0)
    angle, light = rng.uniform(-0.5, 0.5, 50), rng.uniform(0.3, 0.7, 50)
    lo, hi = shadow_interval(torch.tensor(angle, dtype=torch.float64), torch.tensor(light, dtype=torch.float64))
    t = np.linspace(0, 2 * np.pi, 20_000)
    bx = PIVOT[0] + ROD * np.sin(angle)[:, None] + BOB_RADIUS * np.cos(t)
    by = PIVOT[1] - ROD * np.cos(angle)[:, None] + BOB_RADIUS * np.sin(t)
    x = light[:, None] + (bx - light[:, None]) * (LIGHT_HEIGHT - GROUND) / (LIGHT_HEIGHT - by)
    assert np.allclose(lo.numpy(), x.min(1), atol=1e-6) and np.allclose(hi.numpy(), x.max(1), atol=1e-6)


def test_graph_and_do_semantics_follow_causalvae(pendulum):
    assert set(pendulum.graph.edges) == {(a, s) for a in ("pendulum_angle", "light_x")
                                         for s in ("shadow_position", "shadow_length")}
    base = pendulum.rollout(512, seed=1)
    moved = pendulum.rollout(512, seed=1, do={"light_x": 0.7})
    assert torch.equal(base.values["pendulum_angle"], moved.values["pendulum_angle"])  # not a descendant
    lo, hi = shadow_interval(moved.values["pendulum_angle"], moved.values["light_x"])
    resid = moved.values["shadow_length"] - (hi - lo)
    assert abs(float(resid.std()) - 0.003) < 0.0005 and abs(float(resid.mean())) < 0.0005
    # a lamp right of the bob throws its shadow to the left of it (the bob stays left of
    # x = 0.7 on all but the widest swings)
    bob_x = PIVOT[0] + ROD * torch.sin(moved.values["pendulum_angle"])
    left = bob_x < 0.69
    assert int(left.sum()) > 400 and bool((moved.values["shadow_position"][left] < bob_x[left]).all())
    cut = pendulum.rollout(512, seed=1, do={"shadow_length": 0.3})
    assert bool((cut.values["shadow_length"] == 0.3).all())
    assert torch.equal(cut.values["shadow_position"], base.values["shadow_position"])  # a sibling, untouched


def test_frames_show_the_shadow_and_the_lamp_where_the_values_say(pendulum):
    S = pendulum.image_size
    eps = pendulum.rollout(64, seed=2)
    img = eps.frames[:, 0].float()  # [n, C, H, W]
    row = int((1 - (GROUND - 0.025)) * S)  # a pixel row through the middle of the shadow band
    ground_red = img[:, 0, row].max(1).values
    dark = (1 - img[:, 0, row] / ground_red[:, None]).clamp(0, 1) / (1 - 0.45)  # shadow cover per pixel
    length_px = dark.sum(1)
    centre_px = (dark * (torch.arange(S) + 0.5)).sum(1) / length_px
    assert torch.allclose(length_px / S, eps.values["shadow_length"], atol=1.0 / S)
    assert torch.allclose(centre_px / S, eps.values["shadow_position"], atol=0.5 / S)
    # the lamp's marker (yellow: much more red than blue) sits at light_x on the top rows
    top = img[:, :, : int(0.06 * S)]
    yellow = ((top[:, 0] - top[:, 2]).clamp(min=0) / 230.0).sum(1)  # [n, W]
    marker = (yellow * (torch.arange(S) + 0.5)).sum(1) / yellow.sum(1)
    assert torch.allclose(marker / S, eps.values["light_x"], atol=0.5 / S)


def test_truth_saves_and_answers_counterfactuals_exactly(pendulum, tmp_path):
    eps = pendulum.rollout(32, seed=3)
    cf = pendulum.counterfactual_rollout(eps, {"pendulum_angle": 0.4})
    path = tmp_path / "truth"
    pendulum.truth.save(path)
    again = cw.SCM.load(path)
    answer = again.counterfactual({v: eps.values[v] for v in pendulum.truth.variables}, {"pendulum_angle": 0.4})
    for v in ("shadow_position", "shadow_length"):
        assert torch.allclose(answer[v], cf.values[v], atol=1e-6)


def test_bad_settings_raise():
    with pytest.raises(OutOfRangeError, match="noise_std"):
        cw.make("pendulum", noise_std=0.5)
    with pytest.raises(OutOfRangeError, match="image_size"):
        cw.make("pendulum", image_size=8)
    with pytest.raises(ArgumentError, match="quantity"):
        PointLightShadow(2, quantity="area")
    with pytest.raises(OutOfRangeError):
        cw.make("pendulum").rollout(2, do={"light_x": 0.95})
    assert math.isclose(PointLightShadow.from_config(PointLightShadow(2, quantity="length").get_config()).noise_std, 0.003,
                        rel_tol=1e-6)
