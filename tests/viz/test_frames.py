"""Frame strips and animations are written as real, non-trivial image files."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from PIL import Image

import causalworld as cw
from causalworld.errors import ArgumentError, DTypeError, ShapeError
from causalworld.viz import animate, frame_strip


@pytest.fixture(scope="module")
def episodes():
    torch.set_num_threads(1)
    return cw.make("lights", image_size=16, frames=4).rollout(3, seed=0)


def test_frame_strip_png_shows_the_frames(tmp_path, episodes):
    path = tmp_path / "strip.png"
    fig = frame_strip(episodes, episodes=[0, 2], max_frames=3, title="lights", path=path)
    assert len(fig.axes) == 2 * 3 and fig.axes[0].get_ylabel() == "episode 0"
    img = np.asarray(Image.open(path).convert("RGB"))
    assert img.shape[0] > 100 and img.shape[1] > 200
    assert img.std() > 20  # frames, not a blank canvas
    # the drawn pixels are the episode's: the strip holds the ambient grey of episode 0's background
    grey = int(episodes.frames[0, 0, 0, 0, 0])
    assert (np.abs(img.astype(int) - grey).sum(-1) == 0).sum() > 50


def test_frame_strip_of_labelled_videos(tmp_path, episodes):
    world = cw.make("lights", image_size=16, frames=4)
    cf = world.counterfactual_rollout(episodes, {"ambient": 1.0})
    fig = frame_strip({"factual": episodes.frames[0], "do(ambient=1)": cf.frames[:1]}, path=tmp_path / "cf.png")
    assert [ax.get_ylabel() for ax in fig.axes[::4]] == ["factual", "do(ambient=1)"]
    assert (tmp_path / "cf.png").stat().st_size > 2000


def test_animation_gif_has_one_image_per_frame(tmp_path, episodes):
    path = animate(episodes, tmp_path / "a.gif", fps=2)
    with Image.open(path) as gif:
        assert gif.n_frames == 4
        first = np.asarray(gif.convert("RGB"))
        gif.seek(3)
        last = np.asarray(gif.convert("RGB"))
    assert first.std() > 20 and not np.array_equal(first, last)  # the polarizer turns


def test_mp4_needs_ffmpeg(tmp_path, episodes):
    if shutil.which("ffmpeg") is None:
        with pytest.raises(ArgumentError, match="ffmpeg"):
            animate(episodes, tmp_path / "a.mp4")
    else:
        assert animate(episodes, tmp_path / "a.mp4").stat().st_size > 1000


def test_bad_input(tmp_path, episodes):
    with pytest.raises(ArgumentError, match=".gif or .mp4"):
        animate(episodes, tmp_path / "a.avi")
    with pytest.raises(DTypeError):
        frame_strip(episodes.frames.float())
    with pytest.raises(ShapeError):
        frame_strip(episodes.frames[0])
    with pytest.raises(ArgumentError):
        frame_strip(episodes, episodes=[7])
