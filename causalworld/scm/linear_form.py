"""The matrix form of a linear-Gaussian SCM: the fast path of its queries.

For ``x = x W + b + u`` (``W`` strictly upper triangular in topological order) sampling is
``x = (b + u)(I - W)^-1`` and a counterfactual under hard interventions folds abduction, action and
prediction into one affine map of the observed rows, ``x'^T = A x^T + r`` (:meth:`LinearForm.folded`).
:class:`causalworld.SCM` builds one :class:`LinearForm` per model when every mechanism is linear and
Gaussian, and shares its cached solves with every model ``do`` makes from it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

__all__ = ["LinearForm", "affine_columns", "keep_vector", "CACHE_ROWS"]

CACHE_ROWS = 16384  # rows per block of the affine map: a block's [d, rows] stays in cache


def affine_columns(A: Tensor, r: Tensor, columns: list[Tensor]) -> Tensor:
    """``A @ stack(columns) + r`` as a ``[d, n]`` tensor, in cache-sized blocks of rows for large
    tables (one pass over memory instead of a [d, n] copy followed by a large matmul).

    Examples
    --------
    >>> A, r = torch.tensor([[1.0, 0.0], [2.0, 1.0]]), torch.tensor([[0.0], [1.0]])
    >>> affine_columns(A, r, [torch.tensor([1.0, 2.0]), torch.tensor([0.0, 1.0])])
    tensor([[1., 2.],
            [3., 6.]])
    """
    n = columns[0].shape[0]
    if n <= 2 * CACHE_ROWS:
        return torch.addmm(r, A, torch.stack(columns, 0))
    out = torch.empty((A.shape[0], n), dtype=A.dtype, device=A.device)
    for start in range(0, n, CACHE_ROWS):
        stop = min(n, start + CACHE_ROWS)
        torch.addmm(r, A, torch.stack([c[start:stop] for c in columns], 0), out=out[:, start:stop])
    return out


def keep_vector(like: Tensor, cut: frozenset[int]) -> Tensor:
    """Ones, with zeros at the ``cut`` positions.

    Examples
    --------
    >>> keep_vector(torch.zeros(4), frozenset({1, 3}))
    tensor([1., 0., 1., 0.])
    """
    keep = torch.ones_like(like)
    if cut:
        keep[sorted(cut)] = 0.0
    return keep


class LinearForm:
    """``x = x @ W + b + u`` for a linear-Gaussian SCM, with the solved forms ``(I - W')^-1`` cached per
    set of intervened columns (``W'`` has those columns cut), shared by every model made by ``do``.

    Examples
    --------
    >>> form = LinearForm(torch.tensor([[0.0, 2.0], [0.0, 0.0]]), torch.tensor([0.0, 1.0]))  # y = 2x + 1 + u
    >>> A, r = form.folded({0: 3.0})  # had x been 3: y' = y + 2 (3 - x)
    >>> (A @ torch.tensor([[1.0], [4.0]]) + r).squeeze(1)  # observed x = 1, y = 4
    tensor([3., 8.])
    """

    def __init__(self, W: Tensor, b: Tensor) -> None:
        d = W.shape[0]
        self.W, self.b = W, b
        self.eye = torch.eye(d, dtype=W.dtype, device=W.device)
        self.eye_minus_W = self.eye - W
        self.minus_b = -b.unsqueeze(0)
        self._cache: dict[Any, Any] = {}

    def folded(self, values: dict[int, float]) -> tuple[Tensor, Tensor]:
        """``(A, r)`` with ``X'^T = A X^T + r`` for hard ``do`` of column ``j`` to ``values[j]``.

        Abduct ``U^T = (I - W)^T X^T - b``, act ``U'^T = P U^T + v`` (``P`` zeroes the set rows,
        ``v`` holds the set values), predict ``X'^T = M^T U'^T + (b' M)^T``: so
        ``A = M^T P (I - W)^T`` and ``r = r0 + M^T[:, set] v[set]`` with ``r0 = (b' M)^T - M^T P b``;
        ``A``, ``r0`` and ``M^T[:, set]`` are cached per set of columns, only the last product is
        computed per call.

        Examples
        --------
        >>> form = LinearForm(torch.tensor([[0.0, 2.0], [0.0, 0.0]]), torch.tensor([0.0, 1.0]))
        >>> A, r = form.folded({})  # nothing set: every row is its own counterfactual
        >>> torch.equal(A, torch.eye(2)), r.squeeze(1).tolist()
        (True, [0.0, 0.0])
        """
        cols = sorted(values)
        key = ("folded", tuple(cols))
        hit = self._cache.get(key)
        if hit is None:
            cut = frozenset(cols)
            bM, M = self.solved(cut)
            keep = keep_vector(self.b, cut)
            A = M.T @ (keep.unsqueeze(1) * self.eye_minus_W.T)
            r0 = (bM.squeeze(0) - M.T @ (keep * self.b)).unsqueeze(1)
            hit = (A, r0, M.T[:, cols].contiguous() if cols else None)
            if len(self._cache) < 512:
                self._cache[key] = hit
        A, r0, Mcols = hit
        if Mcols is None:
            return A, r0
        vals = torch.tensor([values[j] for j in cols], dtype=A.dtype, device=A.device)
        return A, torch.addmv(r0.squeeze(1), Mcols, vals).unsqueeze(1)

    def solved(self, cut: frozenset[int]) -> tuple[Tensor, Tensor]:
        """``(b' M, M)`` with ``M = (I - W')^-1``, ``W'`` and ``b'`` zero on the ``cut`` columns.

        Examples
        --------
        >>> form = LinearForm(torch.tensor([[0.0, 2.0], [0.0, 0.0]]), torch.tensor([0.0, 1.0]))
        >>> bM, M = form.solved(frozenset())
        >>> M.tolist(), bM.tolist()  # x = u_x, y = 2 u_x + u_y + 1
        ([[1.0, 2.0], [0.0, 1.0]], [[0.0, 1.0]])
        """
        hit = self._cache.get(cut)
        if hit is None:
            W, b = self.W, self.b
            if cut:
                idx = torch.tensor(sorted(cut), device=W.device)
                W, b = W.clone(), b.clone()
                W[:, idx] = 0.0
                b[idx] = 0.0
            # I - W' is unit upper triangular in topological order: its inverse is exact and cheap.
            M = torch.linalg.solve_triangular(self.eye - W, self.eye, upper=True)
            hit = ((b.unsqueeze(0) @ M), M)
            if len(self._cache) < 256:
                self._cache[cut] = hit
        return hit
