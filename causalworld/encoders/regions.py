"""Where a variable changes the frames: the pixels its set values move, found from the data.

A variable that is set but not drawn (``lights``' dimmers) shows only through what it drives (a
lamp). Regressing every pixel of the first frame on the values the agent set, each variable's
coefficients map where setting it changes the picture; the connected blob around the largest
of them is the thing it drives. Only what the agent set enters, never a true value it did not set.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage
from torch import Tensor

__all__ = ["effect_regions"]

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
    n = frames.shape[0]
    x = frames.reshape(n, -1).double()
    v = (values.double() * mask.double())  # 0 where nothing was set
    design = torch.cat([torch.ones(n, 1, dtype=torch.float64), v], 1)
    coef = torch.linalg.lstsq(design, x).solution[1:]  # (m, C S S)
    size = coef.reshape(coef.shape[0], frames.shape[1], -1).abs().sum(1).reshape(-1, *frames.shape[2:])  # (m, S, S)
    out = torch.zeros(len(columns), *frames.shape[2:])
    for i, col in enumerate(columns):
        sal = size[col].numpy()
        top = float(sal.max())
        if not top > 0:
            continue
        labels, _ = ndimage.label(sal >= threshold * top, structure=np.ones((3, 3)))
        out[i] = torch.from_numpy(labels == labels[np.unravel_index(sal.argmax(), sal.shape)]).float()
    return out
