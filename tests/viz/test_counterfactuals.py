"""Factual beside counterfactual: the rows hold the world's own counterfactual frames and their difference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import causalworld as cw
from causalworld.errors import ArgumentError, DTypeError, ShapeError, UnknownVariableError
from causalworld.viz import counterfactual_strip


@pytest.fixture(scope="module")
def world():
    return cw.make("lights", image_size=16, frames=3)


@pytest.fixture(scope="module")
def episodes(world):
    torch.set_num_threads(1)
    return world.rollout(2, seed=0)


def _image(ax):
    return np.asarray(ax.images[0].get_array())


def test_rows_are_factual_true_counterfactual_and_difference(world, episodes, tmp_path):
    fig = counterfactual_strip(world, episodes, {"ambient": 1.0}, episode=1, path=tmp_path / "cf.png")
    truth = world.counterfactual_rollout(episodes, {"ambient": 1.0})
    axes = np.array(fig.axes).reshape(3, 3)
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["factual", "do(ambient=1)", "|difference| x4"]
    assert fig.texts[0].get_text() == "lights-v0: do(ambient=1)"
    for t in range(3):
        f = episodes.frames[1, t].permute(1, 2, 0).numpy()
        c = truth.frames[1, t].permute(1, 2, 0).numpy()
        assert np.array_equal(_image(axes[0, t]), f)
        assert np.array_equal(_image(axes[1, t]), c)
        diff = np.clip(4 * np.abs(f.astype(int) - c.astype(int)).max(-1), 0, 255)
        assert np.array_equal(_image(axes[2, t]), diff)
    assert _image(axes[2, 0]).max() > 0  # ambient light changes the picture
    assert (tmp_path / "cf.png").stat().st_size > 2000


def test_counterfactual_episodes_and_a_learned_answer(world, episodes):
    truth = world.counterfactual_rollout(episodes, {"spin": 0.5})
    fig = counterfactual_strip(world, episodes, truth, learned=truth.frames, difference=False, max_frames=2)
    axes = np.array(fig.axes).reshape(3, 2)
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["factual", "counterfactual", "learned"]
    assert np.array_equal(_image(axes[2, 1]), _image(axes[1, 1]))


def test_values_under_the_frames(world, episodes):
    fig = counterfactual_strip(world, episodes, {"ambient": 1.0}, show=["ambient"], max_frames=1)
    assert fig.axes[0].get_xlabel() == f"ambient={float(episodes.values['ambient'][0]):.3g}"
    assert fig.axes[1].get_xlabel() == "ambient=1"
    assert fig.axes[2].get_xlabel() == ""  # the difference row has no values


def test_bad_input(world, episodes):
    with pytest.raises(UnknownVariableError, match="did you mean 'ambient'"):
        counterfactual_strip(world, episodes, {"ambinet": 1.0})
    with pytest.raises(ArgumentError, match="out of range"):
        counterfactual_strip(world, episodes, {"ambient": 1.0}, episode=5)
    with pytest.raises(DTypeError):
        counterfactual_strip(world, episodes.frames, {"ambient": 1.0})
    with pytest.raises(DTypeError):
        counterfactual_strip(world, episodes, [("ambient", 1.0)])
    with pytest.raises(ShapeError):
        counterfactual_strip(world, episodes, episodes[:1])
    with pytest.raises(ShapeError):
        counterfactual_strip(world, episodes, {"ambient": 1.0}, learned=episodes.frames[:, :2])
