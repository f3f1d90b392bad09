"""Intervention targets of data rows: which variables were set by an experiment in each row.

Accepted forms (the ones AVICI, DiBS and pgmpy users bring, and the one a CSV has):

- ``None``: every row is observational;
- an ``[n, d]`` boolean (or 0/1) mask whose columns follow ``names``;
- a list (or pandas Series) of one entry per row: a set or list of names, one name, or several
  names joined by :data:`SEPARATOR` (``"x|y"``); an empty set, ``""``, ``None`` or NaN is an
  observational row. This is the column a CSV carries: ``fit(X, targets=df["intervened"])``;
- a dict or DataFrame of boolean columns by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from causalworld.errors import DTypeError, ShapeError, UnknownVariableError

__all__ = ["targets_mask", "row_patterns", "SEPARATOR"]

SEPARATOR = "|"
"""Joins several intervened variables in one entry of a targets column: ``"x|y"``."""


def _row_targets(row: Any) -> list[str]:
    """The names one entry of a list or Series of targets names (see the module docstring)."""
    if row is None or (isinstance(row, float) and np.isnan(row)) or row is pd.NA or row is pd.NaT:
        return []
    if isinstance(row, (str, np.str_)):
        return [part.strip() for part in str(row).split(SEPARATOR) if part.strip()]
    if isinstance(row, (set, frozenset, list, tuple, np.ndarray)):
        return [str(v) if isinstance(v, np.str_) else v for v in row if not (isinstance(v, str) and not v.strip())]
    raise DTypeError(
        f"a targets entry is a {type(row).__name__} ({row!r}); give a variable name, names joined by "
        f"{SEPARATOR!r}, a set of names, or None/'' for an observational row"
    )


def targets_mask(targets: Any, names: Sequence[str], n: int) -> np.ndarray:
    """A boolean ``[n, len(names)]`` mask from any accepted form of ``targets``.

    Examples
    --------
    >>> targets_mask([set(), {"y"}], ["x", "y"], 2)
    array([[False, False],
           [False,  True]])
    >>> targets_mask(pd.Series(["", "y", None, "x|y"]), ["x", "y"], 4)  # a CSV's column
    array([[False, False],
           [False,  True],
           [False, False],
           [ True,  True]])
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
    if isinstance(targets, pd.Series) or (isinstance(targets, Sequence) and not isinstance(targets, str)):
        if len(targets) != n:
            raise ShapeError(f"targets has {len(targets)} entries for {n} rows; give one entry (names) per row")
        entries = targets.tolist() if isinstance(targets, pd.Series) else targets
        mask = np.zeros((n, len(names)), dtype=bool)
        for r, row in enumerate(entries):
            for v in _row_targets(row):
                if v not in index:
                    raise UnknownVariableError.of(v, names, where="the data (targets)")
                mask[r, index[v]] = True
        return mask
    raise DTypeError(
        f"cannot read targets from {type(targets).__name__}; give an [n, d] boolean mask, a list or Series of "
        f"names per row (several joined by {SEPARATOR!r}), a dict of boolean columns, or None"
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
