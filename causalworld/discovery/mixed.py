"""A local score for data that mix discrete columns (switches, labels' codes) with continuous ones.

The Gaussian scores treat a binary column as a continuous one, and that misreads the commonest
pattern in the worlds: a binary cause whose effect separates its two values (``lamp = switch *
dimmer + u``). The lamp predicts the switch almost perfectly, and a single Gaussian over the
lamp's two clusters cannot show that the switch explains them, so the score prefers ``lamp ->
switch``. :class:`MixedScore` scores each kind of column with a likelihood of its own kind:

* a **continuous** node is a conditional Gaussian (Lauritzen & Wermuth 1989): a separate
  regression on its continuous parents, with its own noise variance, for each combination of
  its discrete parents' values (a switch that turns a lamp off leaves it nearly constant, and
  that tight cluster is what gives the direction away);
* a **discrete** node is a multinomial logistic regression on its parents: an intercept per
  combination of its discrete parents' values and a slope per continuous parent (standardised),
  fitted by Newton's method with a small ridge, batched over parent sets.

Both are log-likelihoods of the same rows (a log-probability for a discrete node, a log-density
for a continuous one), so a graph's score is a joint log-likelihood whatever the edges' directions,
minus BIC's ``penalty / 2 * log n`` per parameter. With ``basis="quadratic"`` the continuous
parents enter both models through their squares and pairwise products too (as in
:class:`~causalworld.discovery.scores.QuadraticBICScore`), which sees a ``cos^2`` of an angle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from torch import Tensor

from causalworld.discovery.score_choice import _MIN_DISTINCT
from causalworld.discovery.scores import SCORES, LocalScore, _numpy, _squares
from causalworld.errors import ArgumentError, InsufficientDataError, OutOfRangeError
from causalworld.memory import check_memory
from causalworld.scm.fit import MAX_INTEGER_CATEGORIES

__all__ = ["MixedScore", "discrete_columns", "MAX_LEVELS"]

MAX_LEVELS = _MIN_DISTINCT - 1  # integers with at most this many distinct values are discrete (choose_score's rule)
_VAR_FLOOR = 1e-8  # a group's noise variance is at least this share of the node's (a constant group is not infinitely likely)
_RIDGE = 1e-2  # the logistic regressions' L2 penalty on their slopes and intercepts (standardised inputs)
_NEWTON_STEPS = 50
_CELLS = 1 << 22  # numbers per batch of logistic designs (32 MB of float64)


def discrete_columns(X: Any, max_levels: int = MAX_LEVELS) -> np.ndarray:
    """``[p]`` bool: the columns that hold integers only, with 2 to ``max_levels`` distinct values.

    Examples
    --------
    >>> import numpy as np
    >>> discrete_columns(np.c_[[0, 1, 1, 0], [0.5, 1.5, 2.0, 0.1], [2, 0, 1, 1], [3, 3, 3, 3]])
    array([ True, False,  True, False])
    """
    X = _numpy(X, "X").astype(np.float64)
    out = np.zeros(X.shape[1], dtype=bool)
    for j in range(X.shape[1]):
        col = X[:, j]
        if np.all(np.isfinite(col)) and np.all(col == np.round(col)):
            out[j] = 2 <= len(np.unique(col)) <= max_levels
    return out


class MixedScore(LocalScore):
    """BIC of a mixed model: a conditional Gaussian for each continuous node, a multinomial
    logistic regression for each discrete one (see the module docstring).

    Parameters
    ----------
    X, mask, soft, context, min_explained
        As for :class:`~causalworld.discovery.scores.LocalScore`.
    discrete
        The discrete columns: a sequence of column indices, a ``[p]`` bool mask, or ``None``
        (default) for :func:`discrete_columns` (integer-valued columns with 2 to 9 distinct
        values). Their values are read as category labels.
    basis
        ``"linear"`` (default): continuous parents enter as they are; ``"quadratic"``: also their
        squares and pairwise products.
    penalty
        BIC's penalty multiplier.

    A continuous node's regressions are fitted per combination of its discrete parents' values
    seen in at least ``c + 3`` rows (``c`` regression columns); the rows of rarer combinations
    are fitted together, and joined to the commonest combination if they are still too few. Its
    parameters are each fitted regression's columns, an intercept and a noise variance. A
    discrete node with ``L`` values has ``L - 1`` coefficients per combination seen and per
    regression column. Not score-equivalent.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> switch = (rng.random(1000) < 0.6).astype(float)
    >>> lamp = switch * rng.uniform(0.2, 1.0, 1000) + 0.02 * rng.normal(size=1000)
    >>> X = np.c_[switch, lamp]
    >>> s = MixedScore(X)
    >>> s.discrete.tolist()
    [True, False]
    >>> forward = s.graph_score([[0, 1], [0, 0]])  # switch -> lamp
    >>> backward = s.graph_score([[0, 0], [1, 0]])  # lamp -> switch
    >>> bool(forward > backward + 100)
    True
    """

    name = "mixed"

    def __init__(self, X: Tensor | np.ndarray, mask: Tensor | np.ndarray | None = None, *, discrete: Any = None,
                 basis: str = "linear", penalty: float = 1.0, soft: bool = False, context: int = 0,
                 min_explained: float = 0.0) -> None:
        super().__init__(X, mask, soft=soft, context=context, min_explained=min_explained)
        if isinstance(penalty, bool) or not isinstance(penalty, (int, float, np.integer, np.floating)) or not 0 <= penalty < math.inf:
            raise OutOfRangeError(f"penalty must be a finite number >= 0 (1.0 is BIC's), got {penalty!r}")
        if basis not in ("linear", "quadratic"):
            raise ArgumentError(f"basis must be 'linear' or 'quadratic', got {basis!r}")
        self.penalty, self.basis = float(penalty), basis
        n, p = self.X.shape
        self.discrete = discrete_columns(self.X) if discrete is None else self._read_discrete(discrete, p)
        # each discrete column's values as codes 0..L-1
        self.codes = np.zeros((n, p), dtype=np.int64)
        self.levels = np.ones(p, dtype=np.int64)
        for j in np.flatnonzero(self.discrete):
            values, self.codes[:, j] = np.unique(self.X[:, j], return_inverse=True)
            if len(values) > MAX_INTEGER_CATEGORIES:
                raise ArgumentError(f"column {j} has {len(values)} distinct values; a discrete column may have at most "
                                    f"{MAX_INTEGER_CATEGORIES}: leave it out of discrete (it is then scored as continuous)")
            self.levels[j] = len(values)
        cont = np.flatnonzero(~self.discrete)
        self._kept = np.ones(p, dtype=np.int64)
        self._pair = np.full((p, p), -1, dtype=np.int64)
        if basis == "quadratic":
            m = p + len(cont) + len(cont) * (len(cont) - 1) // 2
            check_memory(8 * (2 * n * m + (p + 1) * m * m), what=f"MixedScore(basis='quadratic') over {p} variables",
                         fix="use basis='linear', or learn over fewer variables")
            spread = self.X[:, cont].std(0)
            U = (self.X[:, cont] - self.X[:, cont].mean(0)) / np.where(spread > 0, spread, 1.0)
            squares, kept = _squares(U)
            a, b = np.triu_indices(len(cont), 1)
            # the regressions' columns: the variables [0, p), the continuous ones' squares, their products
            self._set_design(np.concatenate([self.X, squares, U[:, a] * U[:, b]], 1))
            self._square = np.full(p, -1, dtype=np.int64)
            self._square[cont] = p + np.arange(len(cont))
            self._kept[cont] = kept
            self._pair[cont[a], cont[b]] = self._pair[cont[b], cont[a]] = p + len(cont) + np.arange(len(a))
        self._groups: dict[tuple, list[np.ndarray]] = {}
        self._scatter: dict[tuple, tuple[int, np.ndarray]] = {}
        self._standard: dict[tuple, np.ndarray] = {}

    @staticmethod
    def _read_discrete(discrete: Any, p: int) -> np.ndarray:
        arr = np.asarray(discrete)
        if arr.dtype == bool:
            if arr.shape != (p,):
                raise ArgumentError(f"discrete as a mask must have shape ({p},), got {arr.shape}")
            return arr.copy()
        if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu") or (arr.size and not ((arr >= 0) & (arr < p)).all()):
            raise ArgumentError(f"discrete must be column indices in [0, {p}) or a [{p}] bool mask, got {discrete!r}")
        out = np.zeros(p, dtype=bool)
        out[arr.astype(np.int64)] = True
        return out

    # ------------------------------------------------------------------ rows and regimes
    def _regimes(self, node: int) -> list[np.ndarray]:
        """The row sets that score ``node``, each with parameters of its own: its unintervened rows,
        then (with ``soft``) each soft regime's."""
        free = np.flatnonzero(~self.mask[:, node])
        if len(free) < 2:
            raise InsufficientDataError(
                f"variable {node} has {len(free)} row(s) where it was not intervened; a score needs at least 2")
        return [free, *self.soft_groups(node)]

    def _columns(self, cont: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The design columns of ``[b, kc]`` continuous parent sets, ``[b, c]``, and how many of
        them count as parameters (a dropped square does not), ``[b]``."""
        if self.basis == "linear" or cont.shape[1] == 0:
            return cont, np.full(len(cont), cont.shape[1], dtype=np.int64)
        i, j = np.triu_indices(cont.shape[1], 1)
        cols = np.concatenate([cont, self._square[cont], self._pair[cont[:, i], cont[:, j]]], 1)
        return cols, cont.shape[1] + self._kept[cont].sum(1) + len(i)

    def _combos(self, rows: np.ndarray, disc: tuple[int, ...]) -> np.ndarray:
        """Each row's combination of the discrete columns ``disc``, as one code."""
        code = np.zeros(len(rows), dtype=np.int64)
        for j in disc:
            code = code * self.levels[j] + self.codes[rows, j]
        return code

    def _row_groups(self, node: int, g: int, rows: np.ndarray, disc: tuple[int, ...], need: int) -> list[np.ndarray]:
        """``rows`` split by the combination of ``disc``'s values; combinations with fewer than
        ``need`` rows pooled, and the pool joined to the largest group if it is still too small."""
        key = (node, g, disc, need)
        if key not in self._groups:
            _, label = np.unique(self._combos(rows, disc), return_inverse=True)
            groups = [rows[label == c] for c in range(int(label.max()) + 1)] if len(rows) else []
            big = [r for r in groups if len(r) >= need]
            small = [r for r in groups if len(r) < need]
            if small:
                pool = np.sort(np.concatenate(small))
                if len(pool) >= need or not big:
                    big.append(pool)
                else:
                    top = int(np.argmax([len(r) for r in big]))
                    big[top] = np.sort(np.concatenate([big[top], pool]))
            self._groups[key] = big
        return self._groups[key]

    def _centred(self, key: tuple, rows: np.ndarray) -> tuple[int, np.ndarray]:
        if key not in self._scatter:
            D = self._design[rows]
            D = D - D.mean(0)
            self._scatter[key] = (len(rows), D.T @ D)
        return self._scatter[key]

    # ------------------------------------------------------------------ local scores
    def local(self, node: int, parents: Any) -> np.ndarray:
        idx = self._parent_sets(node, parents)
        B, k = idx.shape
        out = np.zeros(B)
        is_disc = self.discrete[idx] if k else np.zeros((B, 0), dtype=bool)
        # parent sets with the same discrete parents are scored together
        keys = np.sort(np.where(is_disc, idx, -1), axis=1)
        distinct, group = np.unique(keys, axis=0, return_inverse=True)
        group = np.asarray(group).reshape(-1)
        by_key = {tuple(int(j) for j in row if j >= 0): np.flatnonzero(group == i) for i, row in enumerate(distinct)}
        n_rows = 0
        for g, rows in enumerate(self._regimes(node)):
            n_rows += len(rows)
            log_n = math.log(len(rows))
            for disc, sel in by_key.items():
                cont = idx[sel][~is_disc[sel]].reshape(len(sel), k - len(disc))
                cols, n_cols = self._columns(cont)
                if self.discrete[node]:
                    ll, n_par = self._logistic(node, rows, disc, cols, n_cols)
                    # a fit with fewer rows left than coefficients is not scored (LocalScore._saturated)
                    ll = np.where(self._saturated(len(rows), n_par), -np.inf, ll)
                else:
                    ll, n_par = self._gaussian(node, g, rows, disc, cols, n_cols)
                out[sel] += ll - self.penalty * 0.5 * n_par * log_n
        return out - self._row_cost * k * n_rows

    def _gaussian(self, node: int, g: int, rows: np.ndarray, disc: tuple[int, ...], cols: np.ndarray,
                  n_cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log-likelihood and parameter count, ``[b]`` each, of the conditional Gaussian."""
        need = cols.shape[1] + 3
        groups = self._row_groups(node, g, rows, disc, need)
        floor = _VAR_FLOOR * max(float(self.X[rows, node].var()), 1e-300)
        ll = np.zeros(len(cols))
        if any(self._saturated(len(r), cols.shape[1]) for r in groups):  # a group with fewer rows left than coefficients
            return np.full(len(cols), -np.inf), len(groups) * (n_cols + 2)
        for r in groups:
            n_g, S = self._centred((node, g, disc, need, int(r[0]), len(r)), r)
            _, schur = self._schur_of(S, node, cols)
            var = np.maximum(schur / n_g, floor)
            ll += -0.5 * n_g * (np.log(2 * math.pi * var) + 1.0)
        return ll, len(groups) * (n_cols + 2)

    def _logistic(self, node: int, rows: np.ndarray, disc: tuple[int, ...], cols: np.ndarray,
                  n_cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log-likelihood and parameter count, ``[b]`` each, of the multinomial logistic regression."""
        y = self.codes[rows, node]
        L = int(self.levels[node])
        if L < 2:  # a constant column: probability 1, nothing to fit
            return np.zeros(len(cols)), np.zeros(len(cols), dtype=np.int64)
        _, combo = np.unique(self._combos(rows, disc), return_inverse=True)
        n_combo = int(combo.max()) + 1
        onehot = np.zeros((len(rows), n_combo))
        onehot[np.arange(len(rows)), combo] = 1.0
        key = (node, int(rows[0]), len(rows))
        if key not in self._standard:
            D = self._design[rows]
            spread = D.std(0)
            self._standard = {key: (D - D.mean(0)) / np.where(spread > 0, spread, 1.0)}  # the last regime's only
        D = self._standard[key]
        # the designs [b, n, m] in chunks of about _CELLS numbers each
        m = n_combo + cols.shape[1]
        step = max(1, _CELLS // max(1, len(rows) * m * (L - 1)))
        ll = np.concatenate([
            logistic_loglik(np.concatenate([np.broadcast_to(onehot, (len(part), *onehot.shape)),
                                            np.moveaxis(D[:, part], 0, 1)], 2), y, L)
            for part in (cols[s:s + step] for s in range(0, len(cols), step))])
        return ll, (L - 1) * (n_combo + n_cols)


def logistic_loglik(F: np.ndarray, y: np.ndarray, levels: int, *, ridge: float = _RIDGE,
                    steps: int = _NEWTON_STEPS) -> np.ndarray:
    """The log-likelihood ``[b]`` of a multinomial logistic regression of ``y`` (codes
    ``0..levels-1``, ``[n]``) on each of ``b`` designs ``F`` (``[b, n, m]``, no intercept column
    added), at the fit that maximises it minus ``ridge / 2`` times the squared coefficients:
    damped Newton steps, batched over the designs.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=2000)
    >>> y = (rng.random(2000) < 1 / (1 + np.exp(-2 * x))).astype(np.int64)
    >>> F = np.stack([np.c_[np.ones(2000), 0 * x], np.c_[np.ones(2000), x]])  # x left out; x in
    >>> ll = logistic_loglik(F, y, 2)
    >>> bool(ll[1] > ll[0] + 300), round(float(ll[0] / 2000), 2)  # x tells y; alone, about -log 2
    (True, -0.69)
    """
    b, n, m = F.shape
    K = levels - 1
    Y = np.zeros((n, K))
    hit = y > 0
    Y[np.flatnonzero(hit), y[hit] - 1] = 1.0
    W = np.zeros((b, m, K))

    def objective(W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        eta = F @ W  # (b, n, K)
        top = np.maximum(eta.max(-1, keepdims=True), 0.0)
        log_z = top[..., 0] + np.log(np.exp(-top[..., 0]) + np.exp(eta - top).sum(-1))  # log(1 + sum exp)
        ll = (Y * eta).sum(-1).sum(-1) - log_z.sum(-1)
        return ll, ll - 0.5 * ridge * (W * W).sum((1, 2))

    ll, obj = objective(W)
    eye = np.eye(m * K)
    for _ in range(steps):
        eta = F @ W
        top = np.maximum(eta.max(-1, keepdims=True), 0.0)
        P = np.exp(eta - top) / (np.exp(-top) + np.exp(eta - top).sum(-1, keepdims=True))  # (b, n, K)
        Ft = F.transpose(0, 2, 1)  # batched products through BLAS (einsum is several times slower here)
        grad = Ft @ (Y - P) - ridge * W
        if K == 1:
            H = (Ft * (P[..., 0] * (1.0 - P[..., 0]))[:, None, :]) @ F
        else:
            C = P[..., :, None] * (np.eye(K) - P[..., None, :])  # (b, n, K, K)
            H = np.einsum("bna,bnkl,bnc->bakcl", F, C, F, optimize=True).reshape(b, m * K, m * K)
        step = np.linalg.solve(H + ridge * eye, grad.reshape(b, m * K, 1)).reshape(b, m, K)
        # halve the step where the objective would not rise (batched)
        scale = np.ones(b)
        new_ll, new_obj = objective(W + step)
        for _ in range(20):
            worse = new_obj < obj - 1e-12
            if not worse.any():
                break
            scale = np.where(worse, scale * 0.5, scale)
            trial_ll, trial_obj = objective(W + scale[:, None, None] * step)
            new_ll = np.where(worse, trial_ll, new_ll)
            new_obj = np.where(worse, trial_obj, new_obj)
        W = W + scale[:, None, None] * step
        gain = new_obj - obj
        ll, obj = new_ll, new_obj
        if float(np.max(np.abs(gain))) < 1e-9:
            break
    return ll


SCORES["mixed"] = MixedScore
