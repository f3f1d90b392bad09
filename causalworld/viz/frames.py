"""Frame strips and animations of episodes: what a world showed, and what an intervention changed.

A strip is a grid of frames, one row per episode (or per labelled video, e.g. factual beside
counterfactual) and one column per time step; an animation plays the same grid over time and is
saved as a GIF (Pillow, always available with matplotlib) or an MP4 (when ffmpeg is installed).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.animation import FFMpegWriter, PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from causalworld.errors import ArgumentError, DTypeError, ShapeError

__all__ = ["frame_strip", "animate", "as_video_rows"]


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "frames") and not isinstance(x, np.ndarray):  # Episodes
        x = x.frames
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.dtype != np.uint8:
        raise DTypeError(f"frames must be uint8, got {arr.dtype}; convert floats with (x * 255).round().astype(np.uint8)")
    return arr


def as_video_rows(frames: Any, *, episodes: Sequence[int] | None = None) -> tuple[list[str], np.ndarray]:
    """Labels and a ``uint8 [rows, T, H, W, C]`` array from Episodes, a ``[n, T, C, H, W]`` tensor,
    or a mapping ``{label: [T, C, H, W] or [1, T, C, H, W]}`` (rows shown in its order)."""
    if isinstance(frames, Mapping):
        labels, rows = [], []
        for label, video in frames.items():
            arr = _to_numpy(video)
            if arr.ndim == 5 and arr.shape[0] == 1:
                arr = arr[0]
            if arr.ndim != 4:
                raise ShapeError(f"video {label!r} must be [T, C, H, W], got shape {arr.shape}")
            labels.append(str(label))
            rows.append(arr)
        if not rows:
            raise ArgumentError("no videos to draw")
        if len({r.shape for r in rows}) != 1:
            raise ShapeError(f"videos differ in shape: {[r.shape for r in rows]}")
        stack = np.stack(rows)
    else:
        stack = _to_numpy(frames)
        if stack.ndim != 5:
            raise ShapeError(f"frames must be [n, T, C, H, W], got shape {stack.shape}")
        idx = list(range(stack.shape[0])) if episodes is None else [int(i) for i in episodes]
        for i in idx:
            if not -stack.shape[0] <= i < stack.shape[0]:
                raise ArgumentError(f"episode {i} is out of range for {stack.shape[0]} episodes")
        stack = stack[idx]
        labels = [f"episode {i}" for i in idx]
    if stack.shape[2] not in (1, 3):
        raise ShapeError(f"frames must have 1 or 3 channels, got {stack.shape[2]}")
    return labels, stack.transpose(0, 1, 3, 4, 2)


def _show(ax: Any, image: np.ndarray) -> None:
    if image.shape[-1] == 1:
        ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    else:
        ax.imshow(image, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def frame_strip(
    frames: Any,
    *,
    episodes: Sequence[int] | None = None,
    max_frames: int = 8,
    title: str | None = None,
    path: str | os.PathLike | None = None,
    scale: float = 1.2,
) -> Figure:
    """A grid of frames: one row per episode (or labelled video), one column per time step.

    Parameters
    ----------
    frames
        :class:`~causalworld.Episodes`, ``uint8 [n, T, C, H, W]``, or ``{label: [T, C, H, W]}``
        (e.g. ``{"factual": eps.frames[0], "counterfactual": cf.frames[0]}``).
    episodes
        Which episodes to show (default: all).
    max_frames
        At most this many time steps, evenly spaced.
    path
        Where to save the figure (PNG, SVG, PDF by suffix).

    Examples
    --------
    >>> import causalworld as cw
    >>> eps = cw.make("lights", image_size=16, frames=3).rollout(2, seed=0)
    >>> fig = frame_strip(eps)
    >>> len(fig.axes)
    6
    """
    labels, video = as_video_rows(frames, episodes=episodes)
    rows, T = video.shape[:2]
    cols = np.unique(np.linspace(0, T - 1, num=min(T, max(1, max_frames))).round().astype(int))
    fig = Figure(figsize=(scale * len(cols) + 0.8, scale * rows + (0.4 if title else 0.1)))
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, len(cols), squeeze=False)
    for r in range(rows):
        for c, t in enumerate(cols):
            ax = axes[r, c]
            _show(ax, video[r, t])
            if r == 0:
                ax.set_title(f"t={t}", fontsize=8)
            if c == 0:
                ax.set_ylabel(labels[r], fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def animate(
    frames: Any,
    path: str | os.PathLike,
    *,
    episodes: Sequence[int] | None = None,
    fps: int = 4,
    scale: float = 2.0,
) -> Path:
    """Play episodes side by side over time and save as ``.gif`` (Pillow) or ``.mp4`` (ffmpeg).

    Examples
    --------
    >>> import tempfile, os
    >>> import causalworld as cw
    >>> eps = cw.make("lights", image_size=16, frames=3).rollout(2, seed=0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = animate(eps, os.path.join(d, "lights.gif"))
    ...     out.stat().st_size > 0
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gif":
        writer: Any = PillowWriter(fps=fps)
    elif suffix == ".mp4":
        if shutil.which("ffmpeg") is None:
            raise ArgumentError(f"saving {path.name} needs ffmpeg, which is not installed; save a .gif instead")
        writer = FFMpegWriter(fps=fps)
    else:
        raise ArgumentError(f"animate saves .gif or .mp4, got {path.name!r}")
    labels, video = as_video_rows(frames, episodes=episodes)
    rows, T = video.shape[:2]
    fig = Figure(figsize=(scale * rows, scale + 0.3))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, rows, squeeze=False)[0]
    images = []
    for r, ax in enumerate(axes):
        _show(ax, video[r, 0])
        ax.set_title(labels[r], fontsize=8)
        images.append(ax.images[0])
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with writer.saving(fig, str(path), dpi=80):
        for t in range(T):
            for r, im in enumerate(images):
                frame = video[r, t]
                im.set_data(frame[..., 0] if frame.shape[-1] == 1 else frame)
            writer.grab_frame()
    return path
