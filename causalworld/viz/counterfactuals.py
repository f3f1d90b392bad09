"""Factual beside counterfactual: the same episode, same noise, under another intervention.

A strip of rows over the same time steps: what the world showed, what it would have shown under
``do(...)`` (the world's own :meth:`~causalworld.envs.World.counterfactual_rollout`, or frames you
bring, e.g. a learned model's answer drawn by the world's renderer), and where the pixels differ.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from causalworld.errors import ArgumentError, DTypeError, ShapeError
from causalworld.viz.frames import Row, is_episodes, draw_rows, video_rows

__all__ = ["counterfactual_strip"]


def _describe(do: Mapping[str, Any]) -> str:
    parts = []
    for k, v in do.items():
        try:
            parts.append(f"{k}={float(v):.3g}")
        except (TypeError, ValueError):  # a tensor of several values, or a soft intervention
            parts.append(f"{k}=...")
    return "do(" + ", ".join(parts) + ")"


def _one(frames: Any, episode: int, what: str) -> Row:
    if not (is_episodes(frames) or hasattr(frames, "shape")):
        raise DTypeError(f"{what} must be Episodes or uint8 [n, T, C, H, W] frames, got {type(frames).__name__}")
    return video_rows(frames, episodes=[episode])[0]


def counterfactual_strip(
    world: Any,
    episodes: Any,
    counterfactual: Any,
    *,
    episode: int = 0,
    learned: Any = None,
    difference: bool = True,
    show: Sequence[str] | None = None,
    max_frames: int = 8,
    title: str | None = None,
    path: str | os.PathLike | None = None,
    scale: float = 1.2,
) -> Figure:
    """One episode as it happened beside what would have happened under another intervention.

    Parameters
    ----------
    world : World
        The world the episodes came from.
    episodes : Episodes
        Episodes from ``world.rollout`` (they carry the exogenous noise a counterfactual replays).
    counterfactual : dict or Episodes
        An intervention ``{variable: value}``, run through ``world.counterfactual_rollout`` (the
        true counterfactual), or counterfactual Episodes already computed for ``episodes``.
    episode : int, default=0
        Which episode to show.
    learned : Episodes or uint8 [n, T, C, H, W], optional
        Another answer for the same episodes (e.g. a learned model's counterfactual values drawn
        with ``world.render``), shown as a third row.
    difference : bool, default=True
        Add a row of ``|factual - counterfactual|`` per pixel (largest channel, times 4, in grey).
    show : sequence of str, optional
        Variables whose values are written under each frame of the factual and counterfactual rows.
    max_frames, title, path, scale
        As for :func:`~causalworld.viz.frame_strip`; the title defaults to the world's id and the
        intervention.

    Returns
    -------
    matplotlib.figure.Figure
        Rows ``factual``, ``do(...)`` (or ``counterfactual``), optionally ``learned`` and
        ``|difference| x4``, one column per shown time step.

    Raises
    ------
    UnknownVariableError
        An intervention on (or a ``show`` of) a variable the world does not have.
    DTypeError
        ``episodes`` that are not Episodes, or a ``counterfactual`` that is neither a dict nor Episodes.
    ShapeError
        Counterfactual or learned frames of another shape than the episodes'.
    ArgumentError
        ``episode`` out of range.

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=16, frames=3)
    >>> eps = world.rollout(2, seed=0)
    >>> fig = counterfactual_strip(world, eps, {"ambient": 1.0}, episode=1, max_frames=1)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['factual', 'do(ambient=1)', '|difference| x4']
    """
    if not is_episodes(episodes):
        raise DTypeError(f"episodes must be Episodes from world.rollout, got {type(episodes).__name__}")
    if isinstance(counterfactual, Mapping):
        name = _describe(counterfactual)
        cf = world.counterfactual_rollout(episodes, dict(counterfactual))
    elif is_episodes(counterfactual):
        name, cf = "counterfactual", counterfactual
        if len(cf) != len(episodes):
            raise ShapeError(f"the counterfactual holds {len(cf)} episodes, the factual {len(episodes)}; "
                             "pass world.counterfactual_rollout(episodes, do) for the same episodes")
    else:
        raise DTypeError(f"counterfactual must be an intervention {{variable: value}} or Episodes, got "
                         f"{type(counterfactual).__name__}")
    if isinstance(episode, bool) or not isinstance(episode, (int, np.integer)):
        raise DTypeError(f"episode must be an int, got {episode!r}")
    if not -len(episodes) <= episode < len(episodes):
        raise ArgumentError(f"episode {episode} is out of range for {len(episodes)} episodes")
    factual = _one(episodes, episode, "episodes")
    factual.label = "factual"
    other = _one(cf, episode, "counterfactual")
    other.label = name
    if other.video.shape != factual.video.shape:
        raise ShapeError(f"counterfactual frames have shape {other.video.shape}, the factual {factual.video.shape}")
    rows = [factual, other]
    if learned is not None:
        row = _one(learned, episode, "learned")
        if row.video.shape != factual.video.shape:
            raise ShapeError(f"learned frames have shape {row.video.shape}, the factual {factual.video.shape}")
        row.label, row.values = "learned", None
        rows.append(row)
    if difference:
        diff = np.abs(factual.video.astype(np.int16) - other.video.astype(np.int16)).max(-1, keepdims=True)
        rows.append(Row("|difference| x4", np.clip(4 * diff, 0, 255).astype(np.uint8), None))
    if title is None:
        title = f"{getattr(world, 'id', '')}: {name}".strip(": ")
    fig = draw_rows(rows, max_frames=max_frames, title=title, scale=scale, show=show)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig
