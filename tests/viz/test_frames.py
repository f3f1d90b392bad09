"""Frame strips and animations show exactly the episodes' pixels and values, and refuse bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import causalworld as cw
from causalworld.errors import ArgumentError, DTypeError, OutOfRangeError, ShapeError, UnknownVariableError
from causalworld.viz import MissingFFmpegError, animate, frame_strip
from causalworld.viz import frames as frames_module


@pytest.fixture(scope="module")
def world():
    return cw.make("lights", image_size=16, frames=4)


@pytest.fixture(scope="module")
def episodes(world):
    torch.set_num_threads(1)
    return world.rollout(3, seed=0)


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
    # each panel holds exactly the frame of its row and column (t = 0, 2, 3 of 4, evenly spaced)
    for k, (e, t) in enumerate([(0, 0), (0, 2), (0, 3), (2, 0), (2, 2), (2, 3)]):
        assert np.array_equal(fig.axes[k].images[0].get_array(), episodes.frames[e, t].permute(1, 2, 0).numpy())


def test_frame_strip_of_labelled_videos(tmp_path, episodes, world):
    cf = world.counterfactual_rollout(episodes, {"ambient": 1.0})
    fig = frame_strip({"factual": episodes.frames[0], "do(ambient=1)": cf.frames[:1]}, max_frames=2, path=tmp_path / "cf.png")
    assert [ax.get_ylabel() for ax in fig.axes[::2]] == ["factual", "do(ambient=1)"]
    assert (tmp_path / "cf.png").stat().st_size > 2000


def test_a_list_of_episodes_is_one_row_per_episode(episodes, world):
    cf = world.counterfactual_rollout(episodes[:2], {"ambient": 1.0})
    fig = frame_strip([episodes[:1], cf], max_frames=1)
    assert [ax.get_ylabel() for ax in fig.axes] == ["video 0", "video 1 [0]", "video 1 [1]"]
    assert np.array_equal(fig.axes[2].images[0].get_array(), cf.frames[1, 0].permute(1, 2, 0).numpy())
    assert len(frame_strip([episodes.frames[1]], max_frames=2).axes) == 2  # one [T, C, H, W] video: one row


def test_values_written_under_frames(episodes):
    fig = frame_strip(episodes, episodes=[1], show=["ambient", "sensor"], max_frames=2)
    for t, ax in zip([0, 3], fig.axes):  # the first and last of 4 frames
        ambient = float(episodes.values["ambient"][1])
        sensor = float(episodes.values["sensor"][1, t])  # one value per frame
        assert ax.get_xlabel() == f"ambient={ambient:.3g}\nsensor={sensor:.3g}"


def test_animation_gif_has_one_image_per_frame(tmp_path, episodes):
    path = animate(episodes, tmp_path / "a.gif", fps=2)
    with Image.open(path) as gif:
        assert gif.n_frames == 4
        first = np.asarray(gif.convert("RGB"))
        gif.seek(3)
        last = np.asarray(gif.convert("RGB"))
    assert first.std() > 20 and not np.array_equal(first, last)  # the polarizer turns


def test_animate_a_list_side_by_side(tmp_path, episodes, world):
    cf = world.counterfactual_rollout(episodes[:1], {"ambient": 1.0})
    one = animate(episodes[:1], tmp_path / "one.gif")
    two = animate([episodes[:1], cf], tmp_path / "two.gif")
    with Image.open(one) as a, Image.open(two) as b:
        assert b.n_frames == a.n_frames == 4
        assert b.size[0] == 2 * a.size[0]  # two panels side by side


def test_mp4_without_ffmpeg_is_a_typed_error_saying_how_to_get_it(tmp_path, episodes, monkeypatch):
    monkeypatch.setattr(frames_module, "find_ffmpeg", lambda: None)
    with pytest.raises(MissingFFmpegError, match="apt-get install ffmpeg") as err:
        animate(episodes, tmp_path / "a.mp4")
    assert isinstance(err.value, ArgumentError) and ".gif" in str(err.value)
    assert not (tmp_path / "a.mp4").exists()


def test_mp4_where_ffmpeg_is_installed(tmp_path, episodes):
    if frames_module.find_ffmpeg() is None:
        with pytest.raises(MissingFFmpegError):
            animate(episodes, tmp_path / "a.mp4")
    else:
        out = animate(episodes, tmp_path / "a.mp4")
        assert out.read_bytes()[4:8] == b"ftyp" and out.stat().st_size > 1000  # an MP4 container


def test_bad_input(tmp_path, episodes):
    with pytest.raises(ArgumentError, match=".gif or .mp4"):
        animate(episodes, tmp_path / "a.avi")
    with pytest.raises(DTypeError, match="uint8"):
        frame_strip(episodes.frames.float())
    with pytest.raises(ShapeError, match="shape"):
        frame_strip(episodes.frames[0, 0])
    with pytest.raises(ShapeError, match="channels"):
        frame_strip(episodes.frames.permute(0, 1, 3, 4, 2))
    with pytest.raises(ShapeError, match="empty"):
        frame_strip(episodes.frames[:, :0])
    with pytest.raises(ShapeError, match="differ"):
        frame_strip([episodes.frames[0], episodes.frames[0, :2]])
    with pytest.raises(ArgumentError, match="out of range"):
        frame_strip(episodes, episodes=[7])
    with pytest.raises(ArgumentError, match="no videos"):
        animate([], tmp_path / "a.gif")
    with pytest.raises(ArgumentError, match="no videos"):
        frame_strip({})
    with pytest.raises(UnknownVariableError, match="did you mean 'sensor'"):
        frame_strip(episodes, show=["sensr"])
    with pytest.raises(ArgumentError, match="bare frames"):
        frame_strip(episodes.frames, show=["sensor"])
    with pytest.raises(OutOfRangeError):
        animate(episodes, tmp_path / "a.gif", fps=0)
    with pytest.raises(OutOfRangeError):
        frame_strip(episodes, max_frames=0)
    with pytest.raises(DTypeError):
        frame_strip(["not frames"])
