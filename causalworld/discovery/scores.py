"""Decomposable interventional scores of a DAG: BIC and BGe for linear-Gaussian data, and a
nonlinear regression score (random Fourier features) for data from nonlinear mechanisms.

A graph's score is a sum of local scores, one per node given its parents, and a node is scored
only on the rows where it was *not* intervened (perfect interventions cut a node from its
parents). That is also right for soft interventions, which change the mechanism of the node they
target and keep its parents: its other rows follow the unchanged mechanism. With ``soft=True`` a
score also uses the targeted rows, each intervention regime with parameters of its own (a
changed mechanism over the same parents), which gives more evidence about the node's parents.
BIC and BGe come from one batched computation: for many parent sets of one node at once, a
Cholesky factor of the parents' block of the node's scatter matrix gives the residual sum of
squares (BIC) or the Schur complement and log-determinant (BGe). :class:`RFFScore` fits a
kernel-like ridge regression per parent set instead (batched over the sets). Learners search
with these.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from causalworld.errors import ArgumentError, InsufficientDataError, OutOfRangeError, ShapeError
from causalworld.memory import check_memory
from causalworld.scm.targets import row_patterns

__all__ = ["LocalScore", "BICScore", "BGeScore", "QuadraticBICScore", "LinearQuadraticScore", "RFFScore", "SCORES",
           "make_score"]

_CHUNK = 1 << 14  # parent sets per batched Cholesky
_SOFT_MIN_ROWS = 20
# RFFScore's lengthscale="auto": each parent's median heuristic times these (several would be
# picked per parent set by leave-one-out, at one regression each: (1, 2, 4) cost 2x the time of
# (1,) on 6-node MLP designs for no fewer errors), the heuristic on at most _MEDIAN_ROWS rows.
_AUTO_SCALES = (1.0,)
_MEDIAN_ROWS = 500  # a soft regime's rows count only with this many, and 2 per possible parameter
# RFFScore.addition_gains: joint features of the parents and a candidate in its backfitting
# regression of the residuals (what the parents explain is already out of them, so far fewer
# features than the full fit's find what a candidate adds, interactions included).
_SCREEN_FEATURES = 16
_SCREEN_ROWS = 3000  # and its rows: a fixed, evenly spaced subset of the node's scored rows


def check_min_explained(value: Any) -> float:
    """``value`` as a float in ``[0, 1)``, the share of variance of the sparsity prior, else
    :class:`~causalworld.errors.OutOfRangeError`.

    Examples
    --------
    >>> check_min_explained(0.01)
    0.01
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not 0 <= value < 1:
        raise OutOfRangeError(f"min_explained must be a number in [0, 1) (a share of variance; 0 turns it off), "
                              f"got {value!r}")
    return float(value)


class LocalScore:
    """Base class of decomposable interventional scores.

    Parameters
    ----------
    X
        ``[n, p]`` float data, one column per variable (numpy array or tensor; computed in float64
        with numpy on the CPU).
    mask
        ``[n, p]`` boolean: ``mask[r, j]`` is True when variable ``j`` was intervened in row ``r``
        (``None``: all rows observational). Node ``j`` is scored on rows with ``mask[:, j]`` False.
    soft
        The interventions are soft (they change the targeted node's mechanism and keep its
        parents): node ``j`` is also scored on the rows where it was intervened, one term per
        regime with parameters of its own. A regime is the rows with the same targets (two
        different soft interventions on the same variables are one regime: give them apart as
        different target sets if they must be fitted apart); it counts only with at least 20 rows
        and two per possible parameter (``2 (p + 1)``, so no parent set can fit it exactly), and
        where the node is not constant (a hard ``do(x = c)`` among soft ones). With ``False``
        (perfect interventions) those rows are left out, which also suits soft ones, with less
        evidence about the node's parents.
    context
        The first ``context`` columns are lagged copies (``"x[t-1]"``): soft regimes are told
        apart by the targets among the other columns only.
    min_explained
        A sparsity prior that does not vanish as the rows grow: each parent also pays
        ``-n_j / 2 * log(1 - min_explained)`` nats on the ``n_j`` rows it is scored on, so it must
        take at least that share of the node's remaining variance (a partial R²) to be worth
        adding, however many rows there are. ``0`` (the default here) is the plain score; the
        learners default to ``0.01``. Under a misspecified model (heavy tails, pooled regimes,
        a linear score on nonlinear data) every weak dependence gains nats in proportion to the
        rows, while a ``log n`` penalty grows more slowly and keeps it.

    Subclasses implement :meth:`_from_schur` ``(n_j, k, logdet, schur)``: the local score on
    ``n_j`` rows of a node with ``k`` parents, for each parent set, from ``logdet`` of the
    parents' block and the Schur complement of the node given them, of the matrix :meth:`_matrix`
    returns for the node's unintervened rows, or :meth:`_score_matrix` makes of a soft regime's
    scatter matrix (a score with a prior adds it in both).

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(500, generator=g, dtype=torch.float64)
    >>> y = 2 * x + torch.randn(500, generator=g, dtype=torch.float64)
    >>> s = BICScore(torch.stack([x, y], 1))
    >>> bool(s.local_one(1, [0]) > s.local_one(1, []))
    True
    """

    name = "score"

    def __init__(self, X: Tensor | np.ndarray, mask: Tensor | np.ndarray | None = None, *, soft: bool = False,
                 context: int = 0, min_explained: float = 0.0) -> None:
        if not isinstance(soft, (bool, np.bool_)):
            raise ArgumentError(f"soft must be True or False, got {soft!r}")
        self.min_explained = check_min_explained(min_explained)
        self._row_cost = -0.5 * math.log1p(-self.min_explained)  # nats per row and parent
        X = _numpy(X, "X")
        if X.ndim != 2:
            raise ShapeError(f"X must be 2-d [n, p], got shape {X.shape}")
        self.X = X.astype(np.float64)
        n, p = X.shape
        m = np.zeros((n, p), dtype=bool) if mask is None else _numpy(mask, "mask").astype(bool)
        if m.shape != (n, p):
            raise ShapeError(f"mask has shape {m.shape}; expected {(n, p)}")
        self.mask = m
        self.n_vars = p
        self._set_design(self.X)
        self._stats: dict[int, tuple[int, np.ndarray]] = {}
        if isinstance(context, bool) or not isinstance(context, (int, np.integer)) or not 0 <= context <= p:
            raise OutOfRangeError(f"context must be an int in [0, {p}] (the number of lagged columns), got {context!r}")
        self.soft, self.context = bool(soft), int(context)
        self._soft_groups: dict[int, list[np.ndarray]] = {}
        self._soft_stats: dict[int, list[tuple[int, np.ndarray]]] = {}

    def _set_design(self, D: np.ndarray) -> None:
        """The columns the regressions read (the variables themselves here; a basis of them for a
        score that regresses on one), with their raw moments over all rows."""
        self._design = D
        self._gram = D.T @ D  # raw second moments of all rows
        self._sum = D.sum(0)

    def soft_groups(self, node: int) -> list[np.ndarray]:
        """With ``soft``: the row indices of each regime that intervened on ``node`` (rows with
        the same targets) that counts (see the class docstring); each is scored with parameters
        of its own. Empty without ``soft``.

        Examples
        --------
        >>> X = torch.randn(100, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> mask = torch.zeros(100, 2, dtype=torch.bool)
        >>> mask[:30, 0] = True  # 30 rows intervened on column 0
        >>> [len(r) for r in BICScore(X, mask, soft=True).soft_groups(0)], BICScore(X, mask).soft_groups(0)
        ([30], [])
        """
        if not self.soft:
            return []
        if node not in self._soft_groups:
            hit = np.flatnonzero(self.mask[:, node])
            groups: list[np.ndarray] = []
            if len(hit):
                label, first = row_patterns(self.mask[hit][:, self.context:])
                groups = [hit[label == g] for g in range(len(first))]
            # A regime that holds the node constant (a hard do(x = c) among soft ones) says nothing
            # about its mechanism, and its zero variance would make the likelihood infinite.
            spread = 1e-8 * max(float(self.X[:, node].std()), 1e-300)
            least = max(_SOFT_MIN_ROWS, 2 * (self.n_vars + 1))  # intercept + up to p - 1 parents + variance
            self._soft_groups[node] = [g for g in groups if len(g) >= least and float(self.X[g, node].std()) > spread]
        return self._soft_groups[node]

    def soft_stats(self, node: int) -> list[tuple[int, np.ndarray]]:
        """``(n_g, S_g)`` (rows and centred scatter matrix) of each of :meth:`soft_groups`.

        Examples
        --------
        >>> X = torch.randn(100, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> mask = torch.zeros(100, 2, dtype=torch.bool)
        >>> mask[:30, 0] = True  # 30 rows intervened on column 0
        >>> [(n_g, S_g.shape) for n_g, S_g in BICScore(X, mask, soft=True).soft_stats(0)]
        [(30, (2, 2))]
        """
        if node not in self._soft_stats:
            out = []
            for rows in self.soft_groups(node):
                Xg = self._design[rows]
                Xc = Xg - Xg.mean(0)
                out.append((len(rows), Xc.T @ Xc))
            self._soft_stats[node] = out
        return self._soft_stats[node]

    def rows(self, node: int) -> int:
        """Number of rows that score ``node`` (rows where it was not intervened).

        Examples
        --------
        >>> X = torch.randn(100, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> mask = torch.zeros(100, 2, dtype=torch.bool)
        >>> mask[:30, 0] = True  # 30 rows intervened on column 0
        >>> s = BICScore(X, mask)
        >>> s.rows(0), s.rows(1)
        (70, 100)
        """
        return self.stats(node)[0]

    def stats(self, node: int) -> tuple[int, np.ndarray]:
        """``(n_j, S_j)``: the rows where ``node`` was not intervened and their centred scatter
        matrix over the regressions' columns (``[p, p]`` for the linear scores; the quadratic
        score adds squares and products). Computed from all rows' moments minus the intervened rows', so a node
        with few intervened rows costs little.

        Examples
        --------
        >>> X = torch.randn(100, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> mask = torch.zeros(100, 2, dtype=torch.bool)
        >>> mask[:30, 0] = True  # 30 rows intervened on column 0
        >>> n_j, S_j = BICScore(X, mask).stats(0)
        >>> Xc = X[30:].numpy() - X[30:].numpy().mean(0)
        >>> n_j, bool(np.allclose(S_j, Xc.T @ Xc))
        (70, True)
        """
        if node not in self._stats:
            Xi = self._design[self.mask[:, node]]
            n_j = int(self.X.shape[0] - Xi.shape[0])
            if n_j < 2:
                raise InsufficientDataError(
                    f"variable {node} has {n_j} row(s) where it was not intervened; a score needs at least 2"
                )
            gram = self._gram - Xi.T @ Xi
            mean = (self._sum - Xi.sum(0)) / n_j
            self._stats[node] = (n_j, gram - n_j * np.outer(mean, mean))
        return self._stats[node]

    def _matrix(self, node: int) -> tuple[int, np.ndarray]:
        return self.stats(node)

    def schur(self, node: int, parents: Any) -> tuple[np.ndarray, np.ndarray]:
        """For ``B`` parent sets of equal size ``k`` (``parents`` is ``[B, k]`` column indices),
        ``logdet(M[P, P])`` and the Schur complement ``M[j, j] - M[j, P] M[P, P]^-1 M[P, j]``,
        each ``[B]``, of the node's score matrix ``M``.

        Computed with numpy's batched LAPACK Cholesky: for the many small matrices of a search it
        is much faster than torch's, which pays thread start-up per call on a busy CPU.

        Examples
        --------
        >>> X = torch.randn(100, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> mask = torch.zeros(100, 2, dtype=torch.bool)
        >>> mask[:30, 0] = True  # 30 rows intervened on column 0
        >>> logdet, schur = BICScore(X).schur(1, np.array([[0]]))  # node 1 given parent 0
        >>> logdet.shape, schur.shape
        ((1,), (1,))
        """
        return self._schur_of(self._matrix(node)[1], node, parents)

    def _schur_of(self, M: np.ndarray, node: int, parents: Any) -> tuple[np.ndarray, np.ndarray]:
        idx = _numpy(parents, "parents").astype(np.int64)
        B, k = idx.shape
        mjj = float(M[node, node])
        if k == 0:
            return np.zeros(B), np.full(B, mjj)
        logdets, schurs = [], []
        eye = np.eye(k)
        for s in range(0, B, _CHUNK):
            part = idx[s:s + _CHUNK]
            A = M[part[:, :, None], part[:, None, :]]  # (b, k, k)
            b = M[part, node]  # (b, k)
            scale = np.maximum(A.diagonal(axis1=1, axis2=2).mean(-1), 1e-300)
            for rel in (1e-10, 1e-6, 1e-3):
                try:
                    L = np.linalg.cholesky(A + (rel * scale)[:, None, None] * eye)
                    break
                except np.linalg.LinAlgError:  # collinear parents: a larger ridge
                    continue
            else:
                raise InsufficientDataError(
                    f"the covariance of some parent sets of variable {node} is singular; drop duplicated or "
                    "collinear columns"
                )
            z = np.linalg.solve(L, b[:, :, None])[:, :, 0]  # triangular, solved in one batched call
            logdets.append(2.0 * np.log(L.diagonal(axis1=1, axis2=2)).sum(-1))
            schurs.append(np.maximum(mjj - (z * z).sum(-1), 1e-12 * mjj))
        return np.concatenate(logdets), np.concatenate(schurs)

    def local(self, node: int, parents: Any) -> np.ndarray:
        """Local scores ``[B]`` of ``node`` for ``B`` parent sets of equal size (``[B, k]`` ints).

        Examples
        --------
        >>> X = torch.randn(100, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> mask = torch.zeros(100, 2, dtype=torch.bool)
        >>> mask[:30, 0] = True  # 30 rows intervened on column 0
        >>> s = BICScore(X, mask)
        >>> scores = s.local(1, np.array([[0]]))
        >>> scores.shape, bool(scores[0] == s.local_one(1, [0]))
        ((1,), True)
        """
        idx = self._parent_sets(node, parents)
        k = idx.shape[1]
        logdet, schur = self.schur(node, idx)
        n_rows = self.rows(node)
        out = self._from_schur(n_rows, k, logdet, schur)
        if self._saturated(n_rows, k):
            out = np.full_like(out, -np.inf)
        for n_g, S_g in self.soft_stats(node):  # soft regimes: a fit of their own each
            out = out + self._from_schur(n_g, k, *self._schur_of(self._score_matrix(S_g), node, idx))
            n_rows += n_g
        return out - self._row_cost * k * n_rows

    @staticmethod
    def _saturated(n_rows: int, n_coef: Any) -> Any:
        """Whether a least-squares fit of ``n_coef`` coefficients (and an intercept) on ``n_rows``
        rows leaves fewer residual degrees of freedom than it fits: its residual variance is then
        too small to trust (zero once the fit interpolates), BIC's large-sample reckoning does not
        hold, and such a parent set is not scored (``-inf``). On 20 rows of 10 independent
        columns the quadratic score kept 25 edges without this rule and 5 with it, as many as the
        linear BIC (at 40 rows: 23 and 0).

        Examples
        --------
        >>> bool(LocalScore._saturated(20, 9)), bool(LocalScore._saturated(20, 10))  # 9 coefficients leave 10 rows; 10 leave 9
        (False, True)
        """
        return n_rows < 2 * (np.asarray(n_coef) + 1)  # residual rows n - c - 1 fewer than the c + 1 fitted

    def _score_matrix(self, S: np.ndarray) -> np.ndarray:
        """The matrix the score factors, from a centred scatter matrix (BGe adds its prior)."""
        return S

    @staticmethod
    def _parent_sets(node: int, parents: Any) -> np.ndarray:
        """``parents`` as a checked ``[B, k]`` int64 array of column indices."""
        idx = _numpy(parents, "parents")
        if idx.ndim != 2:
            raise ShapeError(f"parents must be [B, k] column indices, got shape {idx.shape}")
        if idx.size and bool((idx == node).any()):
            raise ArgumentError(f"a parent set of node {node} contains the node itself")
        return idx.astype(np.int64)

    def _from_schur(self, n_j: int, k: int, logdet: np.ndarray, schur: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise TypeError(f"{type(self).__name__} must define _from_schur")

    def local_one(self, node: int, parents: Sequence[int]) -> float:
        """The local score of one parent set.

        Examples
        --------
        >>> X = torch.randn(100, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> mask = torch.zeros(100, 2, dtype=torch.bool)
        >>> mask[:30, 0] = True  # 30 rows intervened on column 0
        >>> s = BICScore(X, mask)
        >>> bool(s.local_one(1, []) > s.local_one(1, [0]))  # independent columns: a parent does not pay
        True
        """
        return float(self.local(node, np.asarray(list(parents), dtype=np.int64).reshape(1, len(parents)))[0])

    def addition_gains(self, node: int, parents: Sequence[int], candidates: Sequence[int]) -> np.ndarray:
        """What adding each of ``candidates`` to the parents of ``node`` changes its local score:
        ``local_one(node, parents + [c]) - local_one(node, parents)``, ``[len(candidates)]``.

        Exact here (one batched call); a score whose regressions are costly (:class:`RFFScore`)
        estimates them instead, for a search to rank many candidates and score only the best
        few exactly (:func:`~causalworld.discovery.search.hill_climb`'s ``shortlist``).

        Examples
        --------
        >>> g = torch.Generator().manual_seed(0)
        >>> x = torch.randn(300, 3, generator=g, dtype=torch.float64)
        >>> x[:, 2] += 2 * x[:, 0]
        >>> s = BICScore(x)
        >>> gains = s.addition_gains(2, [], [0, 1])
        >>> bool(gains[0] > 0 > gains[1]), bool(np.isclose(gains[0], s.local_one(2, [0]) - s.local_one(2, [])))
        (True, True)
        """
        ps = [int(i) for i in parents]
        cands = np.asarray(list(candidates), dtype=np.int64)
        if not len(cands):
            return np.zeros(0)
        sets = np.concatenate([np.tile(np.asarray(ps, dtype=np.int64), (len(cands), 1)), cands[:, None]], 1)
        return self.local(node, sets) - self.local_one(node, ps)

    def graph_score(self, adjacency: Any, nodes: Sequence[int] | None = None) -> float:
        """The score of a graph, ``A[i, j] != 0`` meaning ``i -> j``, summed over ``nodes``
        (default: all columns).

        Examples
        --------
        >>> X = torch.randn(100, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> mask = torch.zeros(100, 2, dtype=torch.bool)
        >>> mask[:30, 0] = True  # 30 rows intervened on column 0
        >>> s = BICScore(X, mask)
        >>> s.graph_score([[0, 1], [0, 0]]) == s.local_one(0, []) + s.local_one(1, [0])
        True
        """
        a = np.asarray(adjacency.detach().cpu() if hasattr(adjacency, "detach") else adjacency) != 0
        nodes = range(self.n_vars) if nodes is None else nodes
        return float(sum(self.local_one(j, np.flatnonzero(a[:, j]).tolist()) for j in nodes))


class BICScore(LocalScore):
    """Gaussian BIC: ``log L - penalty * (k + 2) / 2 * log n_j`` for a node with ``k`` parents
    (``k`` weights, an intercept and a noise variance), fitted by least squares on the ``n_j``
    rows where the node was not intervened. Scale-invariant and score-equivalent.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(200, 3, generator=g, dtype=torch.float64)
    >>> s = BICScore(X)
    >>> round(s.local_one(0, []), 1) < 0
    True
    """

    name = "bic"

    def __init__(self, X: Tensor, mask: Any = None, *, penalty: float = 1.0, soft: bool = False, context: int = 0,
                 min_explained: float = 0.0) -> None:
        super().__init__(X, mask, soft=soft, context=context, min_explained=min_explained)
        if not penalty > 0:
            raise OutOfRangeError(f"penalty must be > 0, got {penalty}")
        self.penalty = float(penalty)

    def _from_schur(self, n_j: int, k: int, logdet: np.ndarray, schur: np.ndarray) -> np.ndarray:
        var = schur / n_j
        ll = -0.5 * n_j * (np.log(2 * math.pi * var) + 1.0)
        return ll - self.penalty * 0.5 * (k + 2) * math.log(n_j)


class BGeScore(LocalScore):
    """Bayesian Gaussian equivalent score (Geiger & Heckerman 2002, with the correction of Kuipers,
    Moffa & Heckerman 2014): the log marginal likelihood of a node given its parents under a
    normal-Wishart prior, on the rows where the node was not intervened.

    The columns are standardised (divided by their standard deviation over all rows) first, since
    the prior has a fixed scale; the prior mean is the data mean. ``alpha_mu`` is the prior's
    equivalent sample size for the mean, ``alpha_w`` the Wishart degrees of freedom (default
    ``p + alpha_mu + 1``), and the prior scale matrix is ``t I`` with
    ``t = alpha_mu (alpha_w - p - 1) / (alpha_mu + 1)``.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(300, generator=g, dtype=torch.float64)
    >>> X = torch.stack([x, x + torch.randn(300, generator=g, dtype=torch.float64)], 1)
    >>> s = BGeScore(X)
    >>> s.local_one(1, [0]) + s.local_one(0, []) - s.local_one(0, [1]) - s.local_one(1, []) < 1e-8
    True
    """

    name = "bge"

    def __init__(self, X: Tensor, mask: Any = None, *, alpha_mu: float = 1.0, alpha_w: float | None = None,
                 standardize: bool = True, soft: bool = False, context: int = 0,
                 min_explained: float = 0.0) -> None:
        X = _numpy(X, "X").astype(np.float64)
        if standardize and X.ndim == 2:
            std = X.std(0)
            X = X / np.where(std > 0, std, 1.0)
        super().__init__(X, mask, soft=soft, context=context, min_explained=min_explained)
        p = self.n_vars
        if not alpha_mu > 0:
            raise OutOfRangeError(f"alpha_mu must be > 0, got {alpha_mu}")
        alpha_w = float(p + alpha_mu + 1) if alpha_w is None else float(alpha_w)
        if not alpha_w > p - 1:
            raise OutOfRangeError(f"alpha_w must be > p - 1 = {p - 1}, got {alpha_w}")
        self.alpha_mu, self.alpha_w = float(alpha_mu), alpha_w
        self.t = self.alpha_mu * (alpha_w - p - 1) / (self.alpha_mu + 1) if alpha_w > p + 1 else self.alpha_mu / (self.alpha_mu + 1)
        self._post: dict[int, tuple[int, np.ndarray]] = {}

    def _matrix(self, node: int) -> tuple[int, np.ndarray]:
        if node not in self._post:
            n_j, S = self.stats(node)
            self._post[node] = (n_j, self._score_matrix(S))
        return self._post[node]

    def _score_matrix(self, S: np.ndarray) -> np.ndarray:
        return S + self.t * np.eye(self.n_vars)

    def _from_schur(self, N: int, k: int, logdet: np.ndarray, schur: np.ndarray) -> np.ndarray:
        p, aw, am = self.n_vars, self.alpha_w, self.alpha_mu
        const = (0.5 * math.log(am / (N + am)) + math.lgamma((N + aw - p + k + 1) / 2)
                 - math.lgamma((aw - p + k + 1) / 2) - 0.5 * N * math.log(math.pi)
                 + 0.5 * (aw - p + 2 * k + 1) * math.log(self.t))
        return const - 0.5 * logdet - 0.5 * (N + aw - p + k + 1) * np.log(schur)


class QuadraticBICScore(BICScore):
    """Gaussian BIC of a quadratic regression of a node on its parents: each parent ``x``, its
    square, and the product of every pair of parents (the model of
    :class:`~causalworld.scm.mechanisms.QuadraticGaussian`), fitted by least squares on the rows
    where the node was not intervened.

    A nonlinear score at close to the linear one's cost: the same batched Cholesky, over a scatter
    matrix of ``m = 2 p + p (p - 1) / 2`` columns instead of ``p``. Memory grows as ``p m^2``
    (one scatter matrix per variable: about 20 GB at 100 variables), so it is checked up front
    (:class:`~causalworld.errors.MemoryLimitError`, naming the scores that fit). It sees what a line cannot: a mean
    that moves with a parent yet is uncorrelated with it (``cos^2`` of an angle over
    ``[0, pi]``), and a parent whose effect depends on another (a switch times a dimmer). The
    penalty counts the regression's columns: a square that adds nothing (that of a binary parent)
    is dropped and not counted; ``min_explained`` counts parents. Not score-equivalent.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.rand(500, generator=g, dtype=torch.float64) * math.pi
    >>> y = torch.cos(x) ** 2 + 0.1 * torch.randn(500, generator=g, dtype=torch.float64)
    >>> X = torch.stack([x, y], 1)
    >>> s = QuadraticBICScore(X)
    >>> bool(s.local_one(1, [0]) > s.local_one(1, []))  # the square of the angle sees it
    True
    >>> bool(BICScore(X).local_one(1, [0]) > BICScore(X).local_one(1, []))  # a line does not
    False
    """

    name = "quadratic"

    def __init__(self, X: Tensor, mask: Any = None, *, penalty: float = 1.0, soft: bool = False,
                 context: int = 0, min_explained: float = 0.0) -> None:
        super().__init__(X, mask, penalty=penalty, soft=soft, context=context, min_explained=min_explained)
        p = self.n_vars
        m = 2 * p + p * (p - 1) // 2  # the regressions' columns
        # float64: the design [n, m] (and its products while it is built), the moments of all rows
        # and one centred scatter matrix [m, m] kept per scored variable (the learners score every one)
        check_memory(8 * (2 * self.X.shape[0] * m + (p + 1) * m * m), what=f"QuadraticBICScore over {p} variables",
                     fix="score with 'bic' or 'rff' (their matrices grow with the variables, not with their pairs), "
                         "or learn over fewer variables")
        spread = self.X.std(0)
        U = (self.X - self.X.mean(0)) / np.where(spread > 0, spread, 1.0)
        squares, self._kept = _squares(U)
        a, b = np.triu_indices(p, 1)
        # the regressions' columns, which stats() and soft_stats() read: the variables as they are
        # [0, p), their squares [p, 2p), then each pair's product
        self._set_design(np.concatenate([self.X, squares, U[:, a] * U[:, b]], 1))
        self._pair = np.zeros((p, p), dtype=np.int64)
        self._pair[a, b] = self._pair[b, a] = 2 * p + np.arange(len(a))

    def local(self, node: int, parents: Any) -> np.ndarray:
        idx = self._parent_sets(node, parents)
        B, k = idx.shape
        i, j = np.triu_indices(k, 1)
        cols = np.concatenate([idx, self.n_vars + idx, self._pair[idx[:, i], idx[:, j]]], 1)
        n_params = k + self._kept[idx].sum(1) + len(i)
        n_rows = self.rows(node)
        out = self._from_schur(n_rows, n_params, *self._schur_of(self._matrix(node)[1], node, cols))
        out = np.where(self._saturated(n_rows, n_params), -np.inf, out)
        for n_g, S_g in self.soft_stats(node):
            out = out + self._from_schur(n_g, n_params, *self._schur_of(S_g, node, cols))
            n_rows += n_g
        return out - self._row_cost * k * n_rows


class LinearQuadraticScore(QuadraticBICScore):
    """Bayesian model averaging of two mechanisms per node: the BIC of the linear and of the
    quadratic regression on the same parents (:class:`BICScore`, :class:`QuadraticBICScore`),
    each with prior weight one half, ``log((exp(linear) + exp(quadratic)) / 2)``.

    The quadratic score charges every parent for its square and its products with the others, so
    a weak linear parent beside strong ones pays for terms it does not need and is dropped: on
    3-object ``sprites`` read from pixels (linear mechanisms, latents with reading errors of 0.15
    to 0.56 of a variable's std) that cost about two missing edges per graph. Averaged, a family
    the line explains keeps the line's penalty, and one that needs the curve (Malus's ``cos^2``,
    a switch times a dimmer) gets the quadratic fit, which then outweighs the line by its gain.
    With no parents the two are the same regression. The cost is the quadratic score's (both
    come from the same scatter matrix). Not score-equivalent.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(400, 3, generator=g, dtype=torch.float64)
    >>> y = 3 * x[:, 0] + 3 * x[:, 1] + 0.3 * x[:, 2] + 0.5 * torch.randn(400, generator=g, dtype=torch.float64)
    >>> X = torch.cat([x, y[:, None]], 1)
    >>> avg, quad = LinearQuadraticScore(X), QuadraticBICScore(X)
    >>> gain = lambda s: s.local_one(3, [0, 1, 2]) - s.local_one(3, [0, 1])  # what the weak parent adds
    >>> bool(gain(avg) > 0), bool(gain(avg) > gain(quad))
    (True, True)
    >>> t = torch.rand(500, generator=g, dtype=torch.float64) * math.pi
    >>> c = torch.cos(t) ** 2 + 0.1 * torch.randn(500, generator=g, dtype=torch.float64)
    >>> curve = LinearQuadraticScore(torch.stack([t, c], 1))
    >>> bool(curve.local_one(1, [0]) > curve.local_one(1, []))  # the second-order fit sees cos^2
    True
    """

    name = "linear-quadratic"

    def local(self, node: int, parents: Any) -> np.ndarray:
        # the line is BIC's own local score: the design's first p columns are the variables.
        # Both carry the same min_explained charge, which the average keeps as it is.
        linear = BICScore.local(self, node, parents)
        quadratic = super().local(node, parents)
        return np.logaddexp(linear, quadratic) - math.log(2.0)  # with no parents the two are one regression


def _squares(U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each standardised column's square, orthogonalised on the intercept and the column over all
    rows, ``[n, p]``, and whether it was kept: a square that is a combination of the two (that of
    a binary column) becomes a column of zeros, which the regressions ignore."""
    n = U.shape[0]
    S = U * U
    S = S - S.mean(0)
    norm = np.sqrt((U * U).sum(0))
    unit = U / np.where(norm > 0, norm, 1.0)
    S = S - unit * (unit * S).sum(0)
    size = np.sqrt((S * S).sum(0))
    kept = size > 1e-8 * math.sqrt(n) * np.maximum(1.0, np.abs(U * U).max(0))
    return np.where(kept, S / np.where(size > 0, size, 1.0) * math.sqrt(n), 0.0), kept.astype(np.int64)


class RFFScore(LocalScore):
    """A nonlinear local score: the leave-one-out Gaussian log-likelihood of a ridge regression of
    the node on its parents through random Fourier features, minus ``penalty * k / 2 * log n_j``
    for ``k`` parents.

    The regression's features are an intercept, the parents themselves and ``n_features`` random
    Fourier features ``sqrt(2 / D) cos(sum_i w_i x_i / l_i + b)`` of the parents jointly (Rahimi &
    Recht 2007: an approximation of a Gaussian-kernel ridge regression with length-scale ``l_i``
    along parent ``i``), so interactions between parents count, not only additive effects.
    Each column is first standardised on the rows where it was not intervened. With
    ``lengthscale="auto"`` (the default) each parent's ``l_i`` adapts to its spread on the rows
    that score the node (the median heuristic: the median distance between two of those rows'
    values of the parent), so it does not change when other parents join the set; a number
    ``s`` gives every parent ``l_i = s * sqrt(k)`` for ``k`` parents (a length-scale ``s`` on
    the ``k``-dimensional standardised parents). Without the adaptation, interventions that
    spread a parent over many standard deviations make its one-parent fit underfit, and an
    unrelated second parent, which lengthens the kernel, wins by tens of nats (a spurious parent
    at probability 1 with :class:`~causalworld.discovery.exact.ExactLearner`). The ridge strength
    is picked per parent set from ``ridge`` (multiples of ``n_j / D``), and the length-scale from
    ``lengthscale`` when it gives several, by the exact leave-one-out residuals of the ridge fit
    ``e_i / (1 - h_ii)``; their mean square is the held-out noise variance, so a parent that only
    helps the fit on the rows it was fitted on does not pay. The
    per-parent penalty (BIC's, for the parent's share) keeps chance gains of a few nats out.
    ``w`` and ``b`` are drawn once per variable from ``seed``: every parent set of every node uses
    the same draws for the same parent, so scores are deterministic and comparable.

    Not score-equivalent (a nonlinear model is not the same fit in both directions), which is
    right for nonlinear data; the interventional rows orient edges in any case. Cost: one
    ``[n_j, 1 + k + D]`` least-squares problem per parent set, batched; a node with more than
    ``max_rows`` usable rows is scored on a fixed random subset of that many (drawn from
    ``seed``), which bounds the cost on large designs (100 variables with an intervention on each
    give ~11,000 rows per node); with ``soft`` each soft regime is capped the same way, in a
    regression of its own.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(500, generator=g, dtype=torch.float64)
    >>> y = torch.cos(2 * x) + 0.3 * torch.randn(500, generator=g, dtype=torch.float64)  # uncorrelated with x
    >>> s = RFFScore(torch.stack([x, y], 1))
    >>> bool(s.local_one(1, [0]) > s.local_one(1, []) + 100)
    True
    >>> lin = BICScore(torch.stack([x, y], 1))
    >>> bool(lin.local_one(1, [0]) < lin.local_one(1, []))  # a linear fit sees nothing
    True
    """

    name = "rff"

    def __init__(self, X: Tensor | np.ndarray, mask: Tensor | np.ndarray | None = None, *, n_features: int = 100,
                 lengthscale: float | Sequence[float] | str = "auto", ridge: Sequence[float] = (1e-3, 1e-2, 1e-1, 1.0), penalty: float = 1.0,
                 max_rows: int | None = 5000, seed: int = 0, soft: bool = False, context: int = 0,
                 min_explained: float = 0.0) -> None:
        super().__init__(X, mask, soft=soft, context=context, min_explained=min_explained)
        if isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer)) or n_features < 1:
            raise OutOfRangeError(f"n_features must be a positive int, got {n_features!r}")
        self.auto_lengthscale = isinstance(lengthscale, str) and lengthscale == "auto"
        if self.auto_lengthscale:
            lengthscale = _AUTO_SCALES
        try:
            scales = np.atleast_1d(np.asarray(lengthscale.detach().cpu() if isinstance(lengthscale, Tensor) else lengthscale,
                                              dtype=np.float64))
        except (TypeError, ValueError):
            scales = np.array([np.nan])
        if isinstance(lengthscale, (bool, str)) or scales.ndim != 1 or not scales.size or not np.all((scales > 0) & (scales < math.inf)):
            raise OutOfRangeError(
                f"lengthscale must be 'auto', a number > 0 or a non-empty sequence of them, got {lengthscale!r}")
        self.lengthscales = tuple(float(v) for v in scales)
        ridge = tuple(float(r) for r in ridge)
        if not ridge or not all(r > 0 for r in ridge):
            raise OutOfRangeError(f"ridge must be a non-empty sequence of positive numbers, got {ridge!r}")
        if not penalty >= 0:
            raise OutOfRangeError(f"penalty must be >= 0, got {penalty}")
        if max_rows is not None and (isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer))
                                     or max_rows < 10):
            raise OutOfRangeError(f"max_rows must be None or an int >= 10, got {max_rows!r}")
        self.max_rows, self._seed, self._row_index = max_rows, int(seed), {}
        self._soft_capped: dict[int, list[np.ndarray]] = {}
        self._spread: dict[tuple[int, int], np.ndarray] = {}
        self._fitted: dict[tuple[int, tuple[int, ...]], float] = {}  # a fit addition_gains made, for local
        n, p = self.X.shape
        free = ~self.mask
        cnt = np.maximum(free.sum(0), 1)
        mean = (self.X * free).sum(0) / cnt
        sd = np.sqrt((((self.X - mean) * free) ** 2).sum(0) / cnt)
        self.Z = (self.X - mean) / np.where(sd > 0, sd, 1.0)  # standardised on the rows that score each column
        rng = np.random.default_rng(int(seed))
        self.n_features, self.ridge, self.penalty = int(n_features), ridge, float(penalty)
        self._w = rng.standard_normal((p, self.n_features))  # parent i uses row i; divided by the length-scale
        self._b = rng.uniform(0.0, 2.0 * math.pi, self.n_features)
        self._wt, self._bt = torch.from_numpy(self._w), torch.from_numpy(self._b)

    def _scored_rows(self, node: int) -> np.ndarray:
        """Indices of the rows that score ``node``: where it was not intervened, at most ``max_rows``."""
        if node not in self._row_index:
            free = np.flatnonzero(~self.mask[:, node])
            if len(free) < 3:
                raise InsufficientDataError(
                    f"variable {node} has {len(free)} row(s) where it was not intervened; the score needs at least 3"
                )
            if self.max_rows is not None and len(free) > self.max_rows:
                pick = np.random.default_rng([self._seed, node]).choice(len(free), self.max_rows, replace=False)
                free = free[np.sort(pick)]
            self._row_index[node] = free
        return self._row_index[node]

    def _soft_rows(self, node: int) -> list[np.ndarray]:
        """The rows of each soft regime of ``node``, each capped at ``max_rows`` (a fixed subset)."""
        if node not in self._soft_capped:
            capped = []
            for g, rows in enumerate(self.soft_groups(node)):
                if self.max_rows is not None and len(rows) > self.max_rows:
                    pick = np.random.default_rng([self._seed, node, g + 1]).choice(len(rows), self.max_rows, replace=False)
                    rows = rows[np.sort(pick)]
                capped.append(rows)
            self._soft_capped[node] = capped
        return self._soft_capped[node]

    def local(self, node: int, parents: Any) -> np.ndarray:
        idx = self._parent_sets(node, parents)
        rows = self._scored_rows(node)
        kept = self._fitted.pop((node, tuple(idx[0].tolist())), None) if len(idx) == 1 and not self.soft else None
        out = self._loo(node, rows, idx) if kept is None else np.array([kept])
        n_rows = len(rows)
        for rows in self._soft_rows(node):  # soft regimes: a regression of their own each
            out = out + self._loo(node, rows, idx)
            n_rows += len(rows)
        return out - self._row_cost * idx.shape[1] * n_rows

    def _spreads(self, node: int, rows: np.ndarray) -> np.ndarray:
        """The median heuristic of every column on ``rows`` (those that score ``node``): the
        median distance between two rows' standardised values, on a fixed, evenly spaced subset
        of at most ``_MEDIAN_ROWS`` rows; 1 where a column barely varies. ``[p]``, cached."""
        key = (node, hash(rows.tobytes()))
        if key not in self._spread:
            sub = self.Z[rows[np.linspace(0, len(rows) - 1, min(len(rows), _MEDIAN_ROWS)).astype(np.int64)]]
            i, j = np.triu_indices(len(sub), 1)
            med = np.median(np.abs(sub[i] - sub[j]), axis=0) if len(i) else np.zeros(self.n_vars)
            self._spread[key] = np.where(med > 1e-8, med, 1.0)
        return self._spread[key]

    def _loo(self, node: int, rows: np.ndarray, idx: np.ndarray, residuals: list | None = None) -> np.ndarray:
        """The penalised leave-one-out log-likelihood of ``node`` on ``rows``, per parent set
        (with ``residuals``: also appends each set's leave-one-out residuals ``[n_j]`` there, of
        the best ridge and length-scale)."""
        B, k = idx.shape
        n_j = len(rows)
        y = self.Z[rows, node]
        y = y - y.mean()
        if k == 0:  # the mean alone: its leave-one-out residuals are r * n / (n - 1)
            e2 = max(float(y @ y) / n_j * (n_j / (n_j - 1)) ** 2, 1e-300)  # a constant column: no crash
            if residuals is not None:
                residuals.extend([y * (n_j / (n_j - 1))] * B)
            return np.full(B, -0.5 * n_j * (math.log(2 * math.pi * e2) + 1.0))
        # torch (float64, CPU) builds the features: its cos and bmm are ~2x numpy's here
        Zr = torch.from_numpy(self.Z[rows])
        D = self.n_features
        m = 1 + k + D
        chunk = max(1, (1 << 20) // (n_j * m))  # ~8 MB of features at a time: stays in cache
        out = np.empty(B)
        spread = self._spreads(node, rows) if self.auto_lengthscale else None
        lams = np.asarray(self.ridge) * (n_j / D)  # the ridge strengths, in order
        for s in range(0, B, chunk):
            part = torch.from_numpy(idx[s:s + chunk])
            c = len(part)
            XP = Zr[:, part].permute(1, 0, 2)  # (c, n, k)
            best = np.full(c, -math.inf)
            kept = np.zeros((c, n_j)) if residuals is not None else None
            Phi = torch.empty((c, n_j, m), dtype=torch.float64)
            Phi[:, :, 0] = 1.0
            Phi[:, :, 1:1 + k] = XP  # intercept and parents: the same for every length-scale
            # per parent and set (c, k): its median heuristic ("auto"), or sqrt(k) for all
            unit = (torch.from_numpy(spread[part.numpy()]) if self.auto_lengthscale
                    else torch.full((c, k), math.sqrt(k), dtype=torch.float64))
            for scale in self.lengthscales:
                w = self._wt[part] / (scale * unit)[:, :, None]
                torch.cos(torch.baddbmm(self._bt.expand(c, 1, D), XP, w), out=Phi[:, :, 1 + k:])
                Phi[:, :, 1 + k:] *= math.sqrt(2.0 / D)
                with _blas_threads():
                    best, kept = self._ridge_loo(Phi.numpy(), y, lams, best, kept)
            out[s:s + c] = best
            if kept is not None:
                residuals.extend(kept)
        return out - 0.5 * n_j * (math.log(2 * math.pi) + 1.0) - self.penalty * 0.5 * k * math.log(n_j)

    @staticmethod
    def _ridge_loo(Phi: np.ndarray, y: np.ndarray, lams: np.ndarray, best: np.ndarray,
                   kept: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        """Raise ``best`` ``[c]`` to the leave-one-out log-likelihood (less constants) of the ridge
        regression of ``y`` on each ``Phi[i]`` ``[n, m]``, at each ridge in ``lams`` in turn
        (``kept[i]``: the residuals of the best so far)."""
        n_j = len(y)
        for i, P in enumerate(Phi):
            # numpy's BLAS for the float64 algebra: P'P as one symmetric product, and about twice
            # torch's speed at these shapes on the CPU
            evals, V = np.linalg.eigh(P.T @ P)
            PV = P @ V  # the features in the Gram matrix's eigenbasis (n, m)
            inv = 1.0 / (np.maximum(evals, 0.0)[:, None] + lams)  # (m, ridges)
            fitted = PV @ (inv * (PV.T @ y)[:, None])  # (n, ridges)
            h = np.minimum((PV * PV) @ inv, 1.0 - 1e-9)  # leverages
            e = (y[:, None] - fitted) / (1.0 - h)  # leave-one-out residuals
            ll = -0.5 * n_j * np.log(np.maximum((e * e).mean(0), 1e-300))
            for r in range(len(lams)):  # in order: the first of equal fits is kept
                if ll[r] > best[i]:
                    best[i] = ll[r]
                    if kept is not None:
                        kept[i] = e[:, r]
        return best, kept

    def addition_gains(self, node: int, parents: Sequence[int], candidates: Sequence[int]) -> np.ndarray:
        """Estimated gains of adding each candidate parent, one backfitting step each: the
        leave-one-out residuals of the node's fit on ``parents`` are regressed (the same ridges)
        on the candidate and on the first ``min(n_features, 16 (k + 1))`` random Fourier
        features of the ``k`` parents and the candidate jointly (so an effect that shows only
        with the parents, an interaction, counts too), on at most 3,000 of the node's rows; the
        gain is that regression's held-out log-likelihood over the residuals' own (its error by
        generalized cross-validation, the rotation-invariant form of leave-one-out, which needs
        no leverages: half the work), per row times the node's rows, less the score's cost of
        one more parent.

        One regression of the node's current fit (its score is kept, so the search's next
        :meth:`local` of the same set costs nothing) and a small one per candidate, instead of a
        full regression per candidate. Exact (the base class's) with ``soft`` regimes.

        Examples
        --------
        >>> g = torch.Generator().manual_seed(0)
        >>> x = torch.randn(1000, 4, generator=g, dtype=torch.float64)
        >>> x[:, 3] = torch.sin(2 * x[:, 0]) + torch.tanh(2 * x[:, 0] * x[:, 1]) + 0.3 * x[:, 2]
        >>> s = RFFScore(x)
        >>> est = s.addition_gains(3, [0], [1, 2])  # x1 acts only with x0; x2 weakly, additively
        >>> exact = [s.local_one(3, [0, c]) - s.local_one(3, [0]) for c in (1, 2)]
        >>> bool(est[0] > 100 and exact[0] > 100), bool(est[1] > 10 and exact[1] > 10)
        (True, True)
        """
        ps = sorted(int(i) for i in parents)
        cands = np.asarray(list(candidates), dtype=np.int64)
        if not len(cands):
            return np.zeros(0)
        if self._soft_rows(node):
            return super().addition_gains(node, ps, cands)
        rows = self._scored_rows(node)
        n_j = len(rows)
        resid: list = []
        one = np.asarray(ps, dtype=np.int64).reshape(1, len(ps))
        self._fitted[(node, tuple(ps))] = self._loo(node, rows, one, resid)[0]
        sub = np.linspace(0, n_j - 1, min(n_j, _SCREEN_ROWS)).astype(np.int64)
        e = torch.from_numpy(resid[0][sub])
        ee = float(e @ e)
        before = max(ee / len(sub), 1e-300)
        n_s, k = len(sub), len(ps) + 1
        D = min(self.n_features, _SCREEN_FEATURES * k)
        m = 2 + D
        sets = np.concatenate([np.tile(one, (len(cands), 1)), cands[:, None]], 1)  # (c, k): parents, then candidate
        Zr = torch.from_numpy(self.Z[rows[sub]])
        spread = self._spreads(node, rows) if self.auto_lengthscale else None
        best = torch.full((len(cands),), math.inf, dtype=torch.float64)
        chunk = max(1, (1 << 20) // (n_s * m))
        for s in range(0, len(cands), chunk):
            part = torch.from_numpy(sets[s:s + chunk])
            c = len(part)
            XP = Zr[:, part].permute(1, 0, 2)  # (c, n_s, k)
            Phi = torch.empty((c, n_s, m), dtype=torch.float64)
            Phi[:, :, 0] = 1.0
            Phi[:, :, 1] = XP[:, :, -1]  # the candidate itself (the parents' linear parts are fitted)
            unit = (torch.from_numpy(spread[part.numpy()]) if self.auto_lengthscale
                    else torch.full((c, k), math.sqrt(k), dtype=torch.float64))
            for scale in self.lengthscales:
                w = self._wt[part][:, :, :D] / (scale * unit)[:, :, None]
                torch.cos(torch.baddbmm(self._bt[:D].expand(c, 1, D), XP, w), out=Phi[:, :, 2:])
                Phi[:, :, 2:] *= math.sqrt(2.0 / D)
                evals, V = torch.linalg.eigh(Phi.transpose(1, 2) @ Phi)
                evals = evals.clamp_min(0.0)
                cy2 = ((Phi.transpose(1, 2) @ e)[:, None, :] @ V)[:, 0, :].square()  # (c, m): (v_k . Phi'e)^2
                for r in self.ridge:
                    lam = r * n_s / D
                    # residual sum of squares and trace of the hat matrix from the eigenbasis alone
                    rss = ee - (cy2 * (evals + 2 * lam) / (evals + lam).square()).sum(1)
                    dof = (evals / (evals + lam)).sum(1)
                    gcv = rss.clamp_min(0.0) / n_s / (1.0 - dof / n_s).clamp_min(1e-9).square()
                    best[s:s + c] = torch.minimum(best[s:s + c], gcv)
        gain = -0.5 * n_j * torch.log(best.clamp_min(1e-300) / before)
        return gain.numpy() - self.penalty * 0.5 * math.log(n_j) - self._row_cost * n_j


SCORES: dict[str, type[LocalScore]] = {"bic": BICScore, "bge": BGeScore, "rff": RFFScore,
                                       "quadratic": QuadraticBICScore, "linear-quadratic": LinearQuadraticScore}


@functools.cache
def _blas_controller() -> Any:
    """One threadpoolctl controller, made on first use (it lists the loaded BLAS libraries)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _blas_threads() -> Any:
    """A context in which numpy's BLAS uses as many threads as torch does (``torch.set_num_threads``).

    Two processes each running a two-thread BLAS on a 2-core machine (test workers, Ray tasks)
    slow each other down several times over; torch's thread count is the one the project's
    ``threads`` settings already set.

    Examples
    --------
    >>> with _blas_threads():
    ...     float(np.ones((2, 2)).T @ np.ones(2) @ np.ones(2))
    4.0
    """
    return _blas_controller().limit(limits=torch.get_num_threads(), user_api="blas")


def _numpy(x: Any, what: str) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, np.ndarray):
        return x
    raise ShapeError(f"{what} must be a numpy array or a torch tensor, got {type(x).__name__}")


def make_score(name: str, X: Tensor, mask: Any = None, **options: Any) -> LocalScore:
    """The score called ``name`` (``"bic"``, ``"bge"``, ``"quadratic"``, ``"linear-quadratic"`` or ``"rff"``) on ``X``
    with intervention ``mask``.

    Examples
    --------
    >>> import torch
    >>> make_score("bge", torch.randn(10, 2, dtype=torch.float64)).name
    'bge'
    """
    if name not in SCORES:
        raise ArgumentError(f"score must be one of {sorted(SCORES)}, got {name!r}")
    return SCORES[name](X, mask, **options)
