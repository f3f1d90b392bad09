"""The matrix form of a linear-Gaussian SCM: the fast path of its queries.

For ``x = x W + b + u`` (``W`` strictly upper triangular in topological order) sampling is
``x = (b + u)(I - W)^-1``, and a counterfactual under hard interventions needs no abduction at all:
holding every noise term fixed, only the set columns' descendants move, each by a fixed multiple of
how far the set columns moved (:meth:`LinearForm.counterfactual`), one pass over memory per column.
:class:`causalworld.SCM` builds one :class:`LinearForm` per model when every mechanism is linear and
Gaussian, and shares its cached solves with every model ``do`` makes from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from causalworld.scm.mechanisms import GaussianRoot, LinearGaussian, Mechanism

__all__ = ["LinearForm", "CACHE_ROWS"]

CACHE_ROWS = 16384  # rows per block of the batched passes: a block's [d, rows] stays in cache


class LinearForm:
    """``x = x @ W + b + u`` for a linear-Gaussian SCM, with the solved forms ``(I - W')^-1`` cached per
    set of intervened columns (``W'`` has those columns cut), shared by every model made by ``do``.

    Examples
    --------
    >>> form = LinearForm(torch.tensor([[0.0, 2.0], [0.0, 0.0]]), torch.tensor([0.0, 1.0]))  # y = 2x + 1 + u
    >>> bM, M = form.solved(frozenset())  # x = u_x, y = 2 u_x + u_y + 1
    >>> M.tolist(), bM.tolist()
    ([[1.0, 2.0], [0.0, 1.0]], [[0.0, 1.0]])
    """

    @classmethod
    def of(cls, variables: Sequence[str], parents: Mapping[str, Sequence[str]], mechanisms: Mapping[str, Mechanism],
           *, dtype: torch.dtype, device: torch.device) -> "LinearForm | None":
        """The matrix form of a model whose every mechanism is linear-Gaussian (columns in
        ``variables`` order, a topological one), else None.

        Examples
        --------
        >>> y = LinearGaussian(1)  # y = w x + b + u
        >>> form = LinearForm.of(["x", "y"], {"x": [], "y": ["x"]}, {"x": GaussianRoot(), "y": y},
        ...                      dtype=torch.float32, device=torch.device("cpu"))
        >>> torch.equal(form.W[0, 1], y.weight.detach()[0])
        True
        """
        if not all(type(m) in (LinearGaussian, GaussianRoot) for m in mechanisms.values()):
            return None
        index = {v: j for j, v in enumerate(variables)}
        d = len(variables)
        W = torch.zeros(d, d, dtype=dtype, device=device)
        b = torch.zeros(d, dtype=dtype, device=device)
        for j, v in enumerate(variables):
            m = mechanisms[v]
            if isinstance(m, LinearGaussian):
                W[[index[p] for p in parents[v]], j] = m.weight.detach()
                b[j] = m.bias.detach()
        return cls(W, b)

    def __init__(self, W: Tensor, b: Tensor) -> None:
        d = W.shape[0]
        self.W, self.b = W, b
        self.eye = torch.eye(d, dtype=W.dtype, device=W.device)
        self.eye_minus_W = self.eye - W
        self.minus_b = -b.unsqueeze(0)
        self._cache: dict[Any, Any] = {}

    def effects(self, cols: tuple[int, ...]) -> tuple[Tensor, list[list[float]], list[int]]:
        """How the columns move when the set columns ``cols`` move, every noise term held fixed.

        Returns ``(K, weights, moved)``: ``moved`` lists the columns (not set) that depend on a set
        column once the set columns' own parents are cut; row ``i`` of ``K`` (``[len(moved),
        len(cols)]``, also as Python floats in ``weights``) holds how much column ``moved[i]`` moves
        per unit each set column moves. ``K`` is ``M'[cols][:, moved]^T`` with
        ``M' = (I - W')^-1``; cached per set of columns.

        Examples
        --------
        >>> form = LinearForm(torch.tensor([[0.0, 2.0, 0.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0]]), torch.zeros(3))
        >>> K, weights, moved = form.effects((1,))  # x -> y -> z: setting y moves z only, 3 per unit
        >>> moved, weights
        ([2], [[3.0]])
        """
        key = ("effects", cols)
        hit = self._cache.get(key)
        if hit is None:
            _, M = self.solved(frozenset(cols))
            rows = M[list(cols)]  # (len(cols), d): row s is the total effect of set column s
            depends = (rows != 0).any(0)
            depends[list(cols)] = False
            moved = depends.nonzero().flatten().tolist()
            K = rows[:, moved].T.contiguous()
            hit = (K, K.tolist(), moved)
            if len(self._cache) < 512:
                self._cache[key] = hit
        return hit

    def counterfactual(self, columns: list[Tensor], values: dict[int, float | Tensor]) -> list[Tensor]:
        """Every column's counterfactual under hard ``do`` of column ``j`` to ``values[j]`` (a number or
        one value per row), each observed row keeping its own noise.

        With every noise term held, ``x' - x`` is zero outside the set columns and their
        descendants, and there it is ``(v - x_S) K`` (:meth:`effects`): abduction, action and
        prediction need no solve per row, only one pass over each column that moves. The result is
        one new tensor per column, row by row the same whatever the number of rows.

        Examples
        --------
        >>> form = LinearForm(torch.tensor([[0.0, 2.0], [0.0, 0.0]]), torch.tensor([0.0, 1.0]))  # y = 2x + 1 + u
        >>> form.counterfactual([torch.tensor([1.0]), torch.tensor([4.0])], {0: 3.0})  # had x been 3: y + 2 (3 - x)
        [tensor([3.]), tensor([8.])]
        """
        cols = tuple(sorted(values))
        if not cols:
            return [c.clone() for c in columns]
        n = columns[0].shape[0]
        K, weights, moved = self.effects(cols)
        shifts = [values[s] - columns[s] for s in cols]  # how far each set column moves, per row
        out = list(columns)
        if len(cols) > 1:
            stacked = torch.stack(shifts, 1)  # (n, len(cols))
        for i, j in enumerate(moved):
            if len(cols) == 1:
                out[j] = torch.add(columns[j], shifts[0], alpha=weights[i][0])
            else:
                out[j] = torch.addmv(columns[j], stacked, K[i])
        for s in cols:
            v = values[s]
            out[s] = v.to(columns[s].dtype).clone() if isinstance(v, Tensor) else torch.full(
                (n,), v, dtype=columns[s].dtype, device=columns[s].device)
        changed = set(moved) | set(cols)
        return [t.clone() if j not in changed else t for j, t in enumerate(out)]

    def abduct(self, Xt: Tensor) -> Tensor:
        """The noise ``U^T = (I - W)^T X^T - b`` of observed rows given as columns ``Xt`` ``[d, N]``.

        Examples
        --------
        >>> form = LinearForm(torch.tensor([[0.0, 2.0], [0.0, 0.0]]), torch.tensor([0.0, 1.0]))
        >>> form.abduct(torch.tensor([[1.0], [4.0]])).squeeze(1)  # u_y = 4 - 2 * 1 - 1
        tensor([1., 1.])
        """
        return torch.addmm(self.minus_b.T, self.eye_minus_W.T, Xt)

    def predict(self, Ut: Tensor, sets: Mapping[int, Tensor]) -> Tensor:
        """Every column from the noise ``Ut`` ``[d, N]`` (overwritten where columns are set) with
        column ``j`` set to ``sets[j]``: ``X'^T = M'^T (U' + b')^T``.

        Examples
        --------
        >>> form = LinearForm(torch.tensor([[0.0, 2.0], [0.0, 0.0]]), torch.tensor([0.0, 1.0]))
        >>> form.predict(torch.tensor([[1.0], [1.0]]), {0: torch.tensor([3.0])}).squeeze(1)  # y = 2 * 3 + 1 + 1
        tensor([3., 8.])
        """
        bM, M = self.solved(frozenset(sets))
        for j, v in sets.items():
            Ut[j] = v
        return torch.addmm(bM.T, M.T, Ut) if Ut.shape[1] else Ut

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
