"""Where a variable changes the frames: the pixels its set values move, found from the data.

A variable that is set but not drawn (``lights``' dimmers) shows only through what it drives (a
lamp). Regressing every pixel of the first frame on the values the agent set, each variable's
coefficients map where setting it changes the picture; the connected blob around the largest
of them is the thing it drives (:func:`effect_regions`). A depicted variable that nobody sets
but that moves over the video (``lights``' sensor) shows as pixels that change within an episode
outside the blobs of the named variables that move (:func:`moving_regions`). Only what the agent
set, and the frames, enter; never a true value it did not set.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage
from torch import Tensor

__all__ = ["effect_regions", "moving_regions", "coefficient_maps"]

THRESHOLD = 0.3
"""A pixel is in a variable's region when its coefficient is at least this share of the largest."""


def effect_regions(frames: Tensor, mask: Tensor, values: Tensor, columns: list[int], *,
                   threshold: float = THRESHOLD) -> Tensor:
    """One mask ``[S, S]`` per column of ``columns``: the pixels that setting that variable changes.

    Parameters
    ----------
    frames : Tensor
        ``float [n, C, S, S]``: the first frame of ``n`` episodes.
    mask, values : Tensor
        ``[n, m]``: which variables each episode set, and the (standardised) values set.
    columns : list of int
        The variables (columns of ``mask``) to map.
    threshold : float
        A pixel belongs to a variable's region when the size of its least-squares coefficient
        (summed over the channels) is at least this share of the largest one; of those pixels,
        the 8-connected blob that holds the largest is kept.

    Returns
    -------
    Tensor
        ``float [len(columns), S, S]`` of zeros and ones.

    Examples
    --------
    A variable that brightens a 4x4 square of the frame, another that does nothing:

    >>> g = torch.Generator().manual_seed(0)
    >>> values = torch.randn(200, 2, generator=g)
    >>> frames = 0.5 + 0.01 * torch.randn(200, 1, 16, 16, generator=g)
    >>> frames[:, :, 2:6, 8:12] += 0.1 * values[:, 0, None, None, None]
    >>> region = effect_regions(frames, torch.ones(200, 2, dtype=torch.bool), values, [0])[0]
    >>> int(region.sum()), bool(region[2:6, 8:12].all())
    (16, True)
    """
    size = coefficient_maps(frames, mask, values)
    out = torch.zeros(len(columns), *frames.shape[2:])
    for i, col in enumerate(columns):
        if float(size[col].max()) > 0:
            out[i] = _blob_at(size[col], threshold, int(size[col].argmax()))
    return out


def coefficient_maps(frames: Tensor, mask: Tensor, values: Tensor) -> Tensor:
    """``[m, S, S]``: the size of each variable's least-squares coefficient in every pixel (summed
    over the channels), from a regression of the pixels of ``frames`` ``float [n, C, S, S]`` on the
    values set (``values * mask``, ``[n, m]``) and an intercept.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> values = torch.randn(100, 2, generator=g)
    >>> frames = 0.1 * values[:, 0, None, None, None] * torch.ones(100, 1, 4, 4)
    >>> maps = coefficient_maps(frames, torch.ones(100, 2, dtype=torch.bool), values)
    >>> maps.shape, round(float(maps[0].mean()), 3), round(float(maps[1].mean()), 3)
    (torch.Size([2, 4, 4]), 0.1, 0.0)
    """
    n = frames.shape[0]
    x = frames.reshape(n, -1).double()
    v = values.double() * mask.double()  # 0 where nothing was set
    design = torch.cat([torch.ones(n, 1, dtype=torch.float64), v], 1)
    coef = torch.linalg.lstsq(design, x).solution[1:]  # (m, C S S)
    return coef.reshape(coef.shape[0], frames.shape[1], -1).abs().sum(1).reshape(-1, *frames.shape[2:]).float()


def moving_regions(frames: Tensor, owned: list[Tensor], *, threshold: float = 0.05) -> list[Tensor]:
    """The blobs of pixels that change within episodes and belong to none of ``owned``.

    Parameters
    ----------
    frames : Tensor
        ``float [n, T, C, S, S]``: whole episodes.
    owned : list of Tensor
        One ``[S, S]`` map per variable that moves and has a latent of its own (its
        :func:`coefficient_maps` entry): the blob that holds its largest value inside the moving
        pixels is that variable's, and is left out.
    threshold : float
        A pixel moves when its variance over an episode's frames (averaged over episodes,
        summed over channels) is at least this share of the largest.

    Returns
    -------
    list of Tensor
        ``[S, S]`` masks of the blobs left, the largest first.

    Examples
    --------
    Two dots that move; the first is a named variable's:

    >>> g = torch.Generator().manual_seed(0)
    >>> frames = torch.zeros(50, 4, 1, 8, 8)
    >>> frames[:, :, 0, 1, 1] = torch.rand(50, 4, generator=g)
    >>> frames[:, :, 0, 6, 6] = torch.rand(50, 4, generator=g)
    >>> own = torch.zeros(8, 8); own[1, 1] = 1.0
    >>> [tuple(m.nonzero()[0].tolist()) for m in moving_regions(frames, [own])]
    [(6, 6)]
    """
    if frames.shape[1] < 2:  # one frame: nothing moves
        return []
    change = frames.double().var(1).mean(0).sum(0).float()  # (S, S)
    top = float(change.max())
    if not top > 0:
        return []
    moving = change >= threshold * top
    labels, k = ndimage.label(moving.numpy(), structure=np.ones((3, 3)))
    taken = set()
    for own in owned:
        inside = torch.where(moving, own, torch.full_like(own, -1.0))
        taken.add(int(labels.reshape(-1)[int(inside.argmax())]))
    blobs = [torch.from_numpy(labels == i).float() for i in range(1, k + 1) if i not in taken]
    return sorted(blobs, key=lambda m: -float(m.sum()))


def _blob_at(score: Tensor, threshold: float, at: int) -> Tensor:
    """The 8-connected blob of ``score >= threshold * max`` that holds flat index ``at``."""
    labels, _ = ndimage.label((score >= threshold * score.max()).numpy(), structure=np.ones((3, 3)))
    return torch.from_numpy(labels == labels.reshape(-1)[at]).float()
