"""Intervention targets of data rows: which variables were set by an experiment in each row.

Accepted forms (the ones AVICI, DiBS and pgmpy users bring): ``None`` (all observational), an
``[n, d]`` boolean mask whose columns follow ``names``, a list of one set of names per row (an
empty set is an observational row), or a dict / DataFrame of boolean columns by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from causalworld.errors import DTypeError, ShapeError, UnknownVariableError

__all__ = ["targets_mask", "row_patterns"]


def targets_mask(targets: Any, names: Sequence[str], n: int) -> np.ndarray:
    """A boolean ``[n, len(names)]`` mask from any accepted form of ``targets``.

    Examples
    --------
    >>> targets_mask([set(), {"y"}], ["x", "y"], 2)
    array([[False, False],
           [False,  True]])
    """
    names = list(names)
    index = {v: i for i, v in enumerate(names)}
    if targets is None:
        return np.zeros((n, len(names)), dtype=bool)
    if isinstance(targets, (pd.DataFrame, Mapping)):
        mask = np.zeros((n, len(names)), dtype=bool)
        cols = targets.columns if isinstance(targets, pd.DataFrame) else targets.keys()
        for c in cols:
            if c not in index:
                raise UnknownVariableError.of(c, names, where="the data (targets column)")
            col = np.asarray(targets[c])
            if col.shape != (n,):
                raise ShapeError(f"targets column {c!r} has shape {col.shape}; expected ({n},)")
            mask[:, index[c]] = col.astype(bool)
        return mask
    if isinstance(targets, (torch.Tensor, np.ndarray)):
        arr = targets.detach().cpu().numpy() if isinstance(targets, torch.Tensor) else targets
        if arr.shape != (n, len(names)):
            raise ShapeError(
                f"a targets mask must have shape [n, d] = ({n}, {len(names)}) with columns {names}; got {arr.shape}"
            )
        if arr.dtype != bool and not np.isin(arr, (0, 1)).all():
            raise DTypeError("a targets mask must be boolean (or 0/1)")
        return arr.astype(bool)
    if isinstance(targets, Sequence) and not isinstance(targets, str):
        if len(targets) != n:
            raise ShapeError(f"targets has {len(targets)} entries for {n} rows; give one set of names per row")
        mask = np.zeros((n, len(names)), dtype=bool)
        for r, row in enumerate(targets):
            if isinstance(row, str):
                row = {row}
            for v in row or ():
                if v not in index:
                    raise UnknownVariableError.of(v, names, where="the data (targets)")
                mask[r, index[v]] = True
        return mask
    raise DTypeError(
        f"cannot read targets from {type(targets).__name__}; give an [n, d] boolean mask, a list of sets, or None"
    )


def row_patterns(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a boolean ``[n, d]`` mask grouped by their pattern (their set of targets): the
    label of each row's pattern ``[n]`` and the first row of each pattern, in label order.

    Rows are packed to short byte strings first, so this stays fast for many rows and columns.

    Examples
    --------
    >>> labels, first = row_patterns(np.array([[0, 1], [0, 0], [0, 1]], bool))
    >>> labels.tolist(), first.tolist()
    ([1, 0, 1], [1, 0])
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    packed = np.packbits(mask, axis=1)
    _, first, labels = np.unique(packed.view(np.dtype((np.void, packed.shape[1]))).ravel(),
                                 return_index=True, return_inverse=True)
    return labels.ravel(), first
