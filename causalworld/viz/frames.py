"""Frame strips and animations of episodes: what a world showed, and what an intervention changed.

A strip is a grid of frames, one row per episode (or per labelled video, e.g. factual beside
counterfactual) and one column per time step; an animation plays the same rows side by side over
time and is saved as a GIF (Pillow, always there with matplotlib) or an MP4 (only where the ffmpeg
program is installed: :class:`MissingFFmpegError` otherwise).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.animation import FFMpegWriter, PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from causalworld.errors import ArgumentError, DTypeError, MissingFFmpegError, OutOfRangeError, ShapeError, UnknownVariableError

__all__ = ["frame_strip", "animate", "as_video_rows", "video_rows", "draw_rows", "Row", "is_episodes", "find_ffmpeg",
           "MissingFFmpegError"]


@dataclass
class Row:
    """One row of a strip or animation: a label, ``uint8 [T, H, W, C]`` frames, and the true values
    behind them where the video came from Episodes (``{name: float [T]}``, a value per frame).

    Examples
    --------
    >>> row = Row("noise", np.zeros((3, 4, 4, 1), np.uint8))
    >>> row.label, row.video.shape, row.values is None
    ('noise', (3, 4, 4, 1), True)
    """

    label: str
    video: np.ndarray
    values: dict[str, np.ndarray] | None = None


def is_episodes(x: Any) -> bool:
    """True for :class:`~causalworld.Episodes` (frames with their values), read by its attributes.

    Examples
    --------
    >>> is_episodes(np.zeros((1, 2, 3, 4, 4), np.uint8))
    False
    """
    return hasattr(x, "frames") and hasattr(x, "values") and not isinstance(x, np.ndarray)


def _numpy(x: Any, what: str) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as err:
        raise DTypeError(f"{what} must be uint8 frames (Episodes, a tensor or an array), got {type(x).__name__}") from err
    if arr.dtype != np.uint8:
        raise DTypeError(f"{what} must be uint8, got {arr.dtype}; convert floats in [0, 1] with "
                         "(x * 255).round().astype(np.uint8)")
    return arr


def _item_rows(item: Any, label: str | None, episodes: Sequence[int] | None) -> list[Row]:
    """The rows of one video source: ``[T, C, H, W]`` is one row; ``[n, T, C, H, W]`` or Episodes one per episode."""
    what = "frames" if label is None else f"video {label!r}"
    values = None
    if is_episodes(item):
        values = {k: (v.detach().cpu().double().numpy() if hasattr(v, "detach") else np.asarray(v, dtype=float))
                  for k, v in item.values.items()}
        item = item.frames
    arr = _numpy(item, what)
    single = arr.ndim == 4  # one video: no episodes to choose from
    if single:
        arr = arr[None]
    elif arr.ndim != 5:
        raise ShapeError(f"{what} must be [n, T, C, H, W] or one video [T, C, H, W], got shape {arr.shape}")
    n, T, C, H, W = arr.shape
    if n == 0 or T == 0 or H == 0 or W == 0:
        raise ShapeError(f"{what} is empty (shape {arr.shape}): there are no frames to draw")
    if C not in (1, 3):
        raise ShapeError(f"{what} must have 1 or 3 channels on axis -3 ([.., C, H, W]), got shape {arr.shape}; "
                         "channels-last video needs .permute(0, 1, 4, 2, 3) (or np.moveaxis)")
    idx = list(range(n))
    if episodes is not None and not single:
        idx = []
        for i in episodes:
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
                raise DTypeError(f"episodes must be ints, got {i!r}")
            if not -n <= i < n:
                raise ArgumentError(f"episode {i} is out of range for {n} episodes")
            idx.append(int(i) % n)
        if not idx:
            raise ArgumentError("episodes is empty: choose at least one episode to draw")
    rows = []
    for i in idx:
        row_values = None
        if values is not None:
            row_values = {k: (np.full(T, v[i]) if v.ndim == 1 else v[i]) for k, v in values.items()}
        name = f"episode {i}" if label is None else (label if n == 1 else f"{label} [{i}]")
        rows.append(Row(name, arr[i].transpose(0, 2, 3, 1), row_values))
    return rows


def video_rows(frames: Any, *, episodes: Sequence[int] | None = None) -> list[Row]:
    """The rows to draw, from any of the inputs :func:`frame_strip` takes; all rows share one shape.

    Raises
    ------
    DTypeError, ShapeError, ArgumentError
        As :func:`frame_strip` says.

    Examples
    --------
    >>> import causalworld as cw
    >>> eps = cw.make("lights", image_size=16, frames=2).rollout(2, seed=0)
    >>> rows = video_rows([eps[:1], eps])
    >>> [r.label for r in rows], rows[0].video.shape, rows[0].values["sensor"].shape
    (['video 0', 'video 1 [0]', 'video 1 [1]'], (2, 16, 16, 3), (2,))
    """
    if isinstance(frames, Mapping):
        rows = [r for label, item in frames.items() for r in _item_rows(item, str(label), episodes)]
    elif isinstance(frames, (list, tuple)):
        rows = [r for k, item in enumerate(frames) for r in _item_rows(item, f"video {k}", episodes)]
    else:
        rows = _item_rows(frames, None, episodes)
    if not rows:
        raise ArgumentError("no videos to draw: pass Episodes, a uint8 [n, T, C, H, W] array, a list of them "
                            "or a {label: video} dict")
    shapes = {r.video.shape for r in rows}
    if len(shapes) != 1:
        raise ShapeError(f"videos differ in shape ([T, H, W, C]): {sorted(shapes)}; draw videos of one size and length")
    return rows


def as_video_rows(frames: Any, *, episodes: Sequence[int] | None = None) -> tuple[list[str], np.ndarray]:
    """Labels and a ``uint8 [rows, T, H, W, C]`` array of the rows :func:`frame_strip` would draw.

    Examples
    --------
    >>> labels, video = as_video_rows({"a": np.zeros((2, 3, 4, 4), np.uint8), "b": np.ones((2, 3, 4, 4), np.uint8)})
    >>> labels, video.shape
    (['a', 'b'], (2, 2, 4, 4, 3))
    """
    rows = video_rows(frames, episodes=episodes)
    return [r.label for r in rows], np.stack([r.video for r in rows])


def _show(ax: Any, image: np.ndarray) -> None:
    if image.shape[-1] == 1:
        ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    else:
        ax.imshow(image, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def _check_count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise OutOfRangeError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)


def _check_show(rows: list[Row], show: Sequence[str] | None) -> list[str]:
    if show is None:
        return []
    if isinstance(show, str):
        show = [show]
    if all(r.values is None for r in rows):
        raise ArgumentError("show= writes true values under the frames, but these are bare frames; "
                            "pass Episodes (which carry their values) or leave show out")
    for r in rows:
        for v in show if r.values is not None else ():
            if v not in r.values:
                raise UnknownVariableError.of(v, list(r.values), where=f"the episodes of row {r.label!r}")
    return list(show)


def draw_rows(rows: list[Row], *, max_frames: int = 8, title: str | None = None, scale: float = 1.2,
              show: Sequence[str] | None = None) -> Figure:
    """The strip figure of prepared rows (see :func:`frame_strip`, which adds saving).

    Examples
    --------
    >>> fig = draw_rows([Row("noise", np.zeros((3, 4, 4, 1), np.uint8))], max_frames=2)
    >>> [ax.get_title() for ax in fig.axes]
    ['t=0', 't=2']
    """
    max_frames = _check_count(max_frames, "max_frames")
    if not (isinstance(scale, (int, float)) and not isinstance(scale, bool) and scale > 0):
        raise OutOfRangeError(f"scale must be a positive number (inches per frame), got {scale!r}")
    names = _check_show(rows, show)
    T = rows[0].video.shape[0]
    cols = np.unique(np.linspace(0, T - 1, num=min(T, max_frames)).round().astype(int))
    extra = 0.13 * len(names)
    fig = Figure(figsize=(scale * len(cols) + 0.9, (scale + extra) * len(rows) + (0.4 if title else 0.1)))
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(rows), len(cols), squeeze=False)
    for r, row in enumerate(rows):
        for c, t in enumerate(cols):
            ax = axes[r, c]
            _show(ax, row.video[t])
            if r == 0:
                ax.set_title(f"t={t}", fontsize=8)
            if c == 0:
                ax.set_ylabel(row.label, fontsize=8)
            if names and row.values is not None:
                ax.set_xlabel("\n".join(f"{v}={row.values[v][t]:.3g}" for v in names), fontsize=6)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def frame_strip(
    frames: Any,
    *,
    episodes: Sequence[int] | None = None,
    max_frames: int = 8,
    title: str | None = None,
    path: str | os.PathLike | None = None,
    scale: float = 1.2,
    show: Sequence[str] | None = None,
) -> Figure:
    """A grid of frames: one row per episode (or labelled video), one column per time step.

    Parameters
    ----------
    frames : Episodes, array, list or mapping
        :class:`~causalworld.Episodes`, ``uint8 [n, T, C, H, W]``, a list of those (or of single
        ``[T, C, H, W]`` videos), or ``{label: video}`` (e.g. ``{"factual": eps.frames[0],
        "counterfactual": cf.frames[0]}``); rows in that order.
    episodes : sequence of int, optional
        Which episodes of each source to show (default: all).
    max_frames : int, default=8
        At most this many time steps, evenly spaced.
    title : str, optional
        Written above the grid.
    path : str or PathLike, optional
        Where to save the figure (PNG, SVG, PDF by suffix).
    scale : float, default=1.2
        Inches per frame.
    show : sequence of str, optional
        Variables whose true values are written under each frame of the rows that come from
        Episodes (bare frames carry no values).

    Returns
    -------
    matplotlib.figure.Figure
        ``rows x columns`` axes; row labels on the first column, ``t=...`` above the first row.

    Raises
    ------
    DTypeError
        Frames that are not uint8.
    ShapeError
        Frames of the wrong rank, channel count, or empty; rows of different shapes.
    ArgumentError
        No videos, an episode out of range, or ``show`` on bare frames.
    UnknownVariableError
        A ``show`` name that the episodes do not carry.
    OutOfRangeError
        ``max_frames`` below 1 or a non-positive ``scale``.

    Examples
    --------
    >>> import causalworld as cw
    >>> eps = cw.make("lights", image_size=16, frames=3).rollout(2, seed=0)
    >>> fig = frame_strip(eps, show=["sensor"])
    >>> len(fig.axes), fig.axes[0].get_xlabel()
    (6, 'sensor=0.155')
    """
    fig = draw_rows(video_rows(frames, episodes=episodes), max_frames=max_frames, title=title, scale=scale, show=show)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def find_ffmpeg() -> str | None:
    """The ffmpeg program matplotlib will use to write MP4: ``rcParams["animation.ffmpeg_path"]``
    when it names an existing program, else ``ffmpeg`` on the ``PATH``; None where there is none.

    Examples
    --------
    >>> find_ffmpeg() is None or os.path.exists(find_ffmpeg())
    True
    """
    configured = matplotlib.rcParams["animation.ffmpeg_path"]
    return shutil.which(configured) or shutil.which("ffmpeg")


def animate(
    frames: Any,
    path: str | os.PathLike,
    *,
    episodes: Sequence[int] | None = None,
    fps: int = 4,
    scale: float = 2.0,
) -> Path:
    """Play videos side by side over time and save them as ``.gif`` (Pillow) or ``.mp4`` (ffmpeg).

    Parameters
    ----------
    frames : Episodes, array, list or mapping
        As :func:`frame_strip` takes: each row becomes one panel, all panels play together.
    path : str or PathLike
        The file to write; its suffix picks the format. Folders are created.
    episodes : sequence of int, optional
        Which episodes of each source to play (default: all).
    fps : int, default=4
        Frames per second.
    scale : float, default=2.0
        Inches per panel.

    Returns
    -------
    pathlib.Path
        ``path``, written.

    Raises
    ------
    MissingFFmpegError
        An ``.mp4`` where ffmpeg is not installed (an :class:`~causalworld.errors.ArgumentError`);
        its message says how to get ffmpeg, or to save a ``.gif`` instead.
    ArgumentError
        A suffix other than ``.gif`` or ``.mp4``; no videos; an episode out of range.
    DTypeError, ShapeError
        Frames that are not uint8, or of the wrong shape (see :func:`frame_strip`).
    OutOfRangeError
        ``fps`` below 1 or a non-positive ``scale``.

    Examples
    --------
    >>> import tempfile, os
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=16, frames=3)
    >>> eps = world.rollout(1, seed=0)
    >>> cf = world.counterfactual_rollout(eps, {"ambient": 1.0})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = animate([eps, cf], os.path.join(d, "lights.gif"))
    ...     out.stat().st_size > 0
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    fps = _check_count(fps, "fps")
    if not (isinstance(scale, (int, float)) and not isinstance(scale, bool) and scale > 0):
        raise OutOfRangeError(f"scale must be a positive number (inches per panel), got {scale!r}")
    ffmpeg = matplotlib.rcParams["animation.ffmpeg_path"]
    if suffix == ".gif":
        writer: Any = PillowWriter(fps=fps)
    elif suffix == ".mp4":
        ffmpeg = find_ffmpeg()
        if ffmpeg is None:
            raise MissingFFmpegError(
                f"saving {path.name} needs the ffmpeg program, which is not installed here. Install it "
                "(Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg; conda: conda install -c "
                "conda-forge ffmpeg), or point matplotlib.rcParams['animation.ffmpeg_path'] at one, or save a .gif")
        writer = FFMpegWriter(fps=fps)
    else:
        raise ArgumentError(f"animate saves .gif or .mp4, got {path.name!r}")
    rows = video_rows(frames, episodes=episodes)
    T = rows[0].video.shape[0]
    fig = Figure(figsize=(scale * len(rows), scale + 0.3))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(rows), squeeze=False)[0]
    images = []
    for row, ax in zip(rows, axes):
        _show(ax, row.video[0])
        ax.set_title(row.label, fontsize=8)
        images.append(ax.images[0])
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context({"animation.ffmpeg_path": ffmpeg}), writer.saving(fig, str(path), dpi=80):
        for t in range(T):
            for row, im in zip(rows, images):
                frame = row.video[t]
                im.set_data(frame[..., 0] if frame.shape[-1] == 1 else frame)
            writer.grab_frame()
    return path
