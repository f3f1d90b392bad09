"""Latents against the true values they stand for: one scatter panel per variable.

Where the encoder named a latent after a variable, its values (in the world's units) against
the true ones lie on the diagonal when the encoder recovered that variable.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from causalworld.errors import DTypeError, ShapeError, UnknownVariableError

__all__ = ["latents_vs_truth"]


def latents_vs_truth(latents: pd.DataFrame, values: Mapping[str, Any], *, columns: Mapping[str, str] | None = None,
                     title: str | None = None, path: str | os.PathLike | None = None) -> Figure:
    """Scatter each named latent against the true value of its variable.

    Parameters
    ----------
    latents : DataFrame
        One row per episode (``enc.latents(episodes)``).
    values : mapping of str to array [n]
        True values (``episodes.values``).
    columns : mapping of str to str, optional
        ``{variable: latent column}``; default: every column named after a variable in ``values``.
    title, path : optional
        Figure title; a file to save the figure to.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> x = np.linspace(0, 1, 50)
    >>> fig = latents_vs_truth(pd.DataFrame({"x": x + 0.01, "z0": x * 0}), {"x": x})
    >>> [ax.get_title() for ax in fig.axes]
    ['x']
    """
    if not isinstance(latents, pd.DataFrame):
        raise DTypeError(f"latents must be a DataFrame (enc.latents(episodes)), got {type(latents).__name__}")
    pairs = dict(columns) if columns is not None else {c: c for c in latents.columns if c in values}
    if not pairs:
        raise UnknownVariableError("no latent column is named after a variable in values; pass columns={variable: column}")
    n = len(pairs)
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(2.6 * cols, 2.4 * rows), layout="constrained")
    FigureCanvasAgg(fig)
    for k, (v, c) in enumerate(pairs.items()):
        if v not in values:
            raise UnknownVariableError.of(v, list(values), where="the true values given")
        if c not in latents.columns:
            raise UnknownVariableError.of(c, list(latents.columns), where="the latents' columns")
        truth = np.asarray(values[v].cpu() if hasattr(values[v], "cpu") else values[v], dtype=float)
        if truth.ndim != 1 or len(truth) != len(latents):
            raise ShapeError(f"values[{v!r}] must be [n={len(latents)}], got shape {truth.shape}")
        ax = fig.add_subplot(rows, cols, k + 1)
        z = latents[c].to_numpy(dtype=float)
        ax.scatter(truth, z, s=4, alpha=0.5)
        lo, hi = float(min(truth.min(), z.min())), float(max(truth.max(), z.max()))
        ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, ls="--")
        ax.set_title(v if c == v else f"{v} ({c})", fontsize=9)
        ax.set_xlabel("true", fontsize=8)
        ax.set_ylabel("latent", fontsize=8)
        ax.tick_params(labelsize=7)
    if title:
        fig.suptitle(title)
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
