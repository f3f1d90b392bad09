"""Which score suits the data: the linear-Gaussian BIC, or the nonlinear RFF score.

``ExactLearner(score_func="auto")`` (its default) asks :func:`choose_score`. The check is a
held-out comparison of two regressions of every variable on every other variable alone: a
straight line, and the RFF score's regression (the line plus random Fourier features of the one
input, ridge picked by leave-one-out). Both are scored by their exact leave-one-out residuals on
the rows where the variable was not intervened, so extra flexibility that does not predict held-out
rows earns nothing. When the best pair's curve leaves at least ``1 - exp(-2 * threshold)`` (about
10 % at the default 0.05) less held-out residual variance than its line, a linear score would
misread that relation, and the RFF score is chosen. Few rows make the comparison noisy, so the
bar is raised by ``10 / n`` nats per row on ``n`` rows, and a variable with under 50 rows does
not count, nor does one with fewer than 10 distinct values as the regressed variable (see
:func:`choose_score`). The check regresses on at most 600 rows per variable (a fixed random subset) with 50
random features: about 1 s at 10 variables, 3-4 s at 20.

Measured (seeds 0-3 each; see ``docs/discovery.md``): the largest gain is 0.004-0.032 nats per
row on random linear-Gaussian SCMs with 200 to 5,000 rows, with or without interventions, hard or
soft (8 and 20 variables; 0.034-0.066 on 100 observational rows, under the raised bar there;
0.14 on 40 rows of 20 independent columns),
0.036-0.10 on random 6-variable MLP SCMs and 0.05-0.21 on 20-variable ones (the weakest of each
stay with the BIC), and 0.65 on the Sachs cytometry data.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=1000)
>>> choose_score(np.c_[x, 2 * x + rng.normal(size=1000)])[0]
'bic'
>>> choose_score(np.c_[x, np.sin(2 * x) + 0.3 * rng.normal(size=1000)])[0]
'rff'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from causalworld.discovery.scores import RFFScore, _numpy

__all__ = ["nonlinear_gain", "choose_score", "NONLINEAR_THRESHOLD"]

NONLINEAR_THRESHOLD = 0.05  # nats per row: the curve's held-out residual variance ~10 % below the line's
_ROWS = 600  # rows per variable the check regresses on (a fixed random subset beyond that)
_MIN_DISTINCT = 10  # a column with fewer distinct values is an input of the check, never its target


def nonlinear_gain(X: Any, mask: Any = None, *, max_rows: int = _ROWS, n_features: int = 50, seed: int = 0,
                   targets: Sequence[int] | None = None) -> np.ndarray:
    """``[p, p]``: entry ``[i, j]`` is how many nats per row the RFF regression of column ``j`` on
    column ``i`` alone gains over the straight line, both by leave-one-out residuals on the rows
    where ``j`` was not intervened (at most ``max_rows`` of them, a fixed random subset). Only
    the columns ``targets`` (default: all) are regressed; the others' columns stay 0.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(1).normal(size=500)
    >>> g = nonlinear_gain(np.c_[x, x ** 2])
    >>> bool(g[0, 1] > 1.0), float(g[0, 0])
    (True, 0.0)
    """
    score = RFFScore(X, mask, max_rows=max_rows, n_features=n_features, seed=seed)
    p = score.n_vars
    gain = np.zeros((p, p))
    for j in range(p) if targets is None else targets:
        rows = score._scored_rows(j)
        n = len(rows)
        others = np.array([i for i in range(p) if i != j], dtype=np.int64)
        if n < 10 or not len(others):
            continue
        # The RFF score's penalised leave-one-out log-likelihood of j on each other column alone.
        curve = score.local(j, others[:, None])
        # The line's, on the same standardised rows, with the same penalty: closed-form leverages.
        Z = score.Z[rows]
        y = Z[:, j] - Z[:, j].mean()
        x = Z[:, others] - Z[:, others].mean(0)
        sxx = np.maximum((x * x).sum(0), 1e-12)
        beta = (x * y[:, None]).sum(0) / sxx
        resid = y[:, None] - x * beta
        lev = 1.0 / n + x * x / sxx
        e2 = np.maximum((resid / np.maximum(1.0 - lev, 1e-9)) ** 2, 0).mean(0)
        line = -0.5 * n * (np.log(2 * math.pi * np.maximum(e2, 1e-300)) + 1.0) - 0.5 * math.log(n)
        gain[others, j] = (curve - line) / n
    return gain


def choose_score(X: Any, mask: Any = None, *, threshold: float = NONLINEAR_THRESHOLD,
                 seed: int = 0) -> tuple[str, str]:
    """``("rff", why)`` when some variable's relation to another is clearly nonlinear (a
    :func:`nonlinear_gain` of at least ``threshold + 10 / n`` nats per row, for the ``n >= 50``
    rows, at most 600, it was measured on), else ``("bic", why)``. A variable with fewer than 10
    distinct values (a switch, a label's codes) is never judged as the regressed one: predicting a
    binary cause from an effect that separates its two values looks like an almost noise-free
    nonlinear relation, the wrong way round.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(2).uniform(-2, 2, 800)
    >>> name, why = choose_score(np.c_[x, np.abs(x)])
    >>> name, why.startswith("a variable on one other")
    ('rff', True)
    """
    X = _numpy(X, "X").astype(np.float64)
    free = np.ones(X.shape, bool) if mask is None else ~_numpy(mask, "mask").astype(bool)
    rows = np.minimum(free.sum(0), _ROWS)
    # Few rows make the held-out gain noisy (up to 0.066 nats per row on 100 rows of linear data,
    # 0.14 on 40 rows of independent noise): the bar is raised by 10 nats spread over the node's
    # rows, and a node with fewer than 50 rows does not count.
    # A column with few distinct values (a switch, a label's codes) is not judged as a target: a
    # Gaussian score of a near-discrete column rewards predicting it from its effects (a binary
    # cause whose effect separates its two values is an almost noise-free step the wrong way).
    # Columns that do not count are not regressed at all.
    counted = (rows >= 50) & np.array([len(np.unique(X[:, j])) >= _MIN_DISTINCT for j in range(X.shape[1])])
    gain = nonlinear_gain(X, mask, max_rows=_ROWS, seed=seed, targets=np.flatnonzero(counted).tolist())
    margin = np.where(counted[None, :], gain - 10.0 / np.maximum(rows, 1)[None, :], -np.inf)
    i, j = np.unravel_index(int(np.argmax(margin)), margin.shape)
    best = float(gain[i, j])
    if margin[i, j] >= threshold:
        return "rff", (f"a variable on one other is clearly nonlinear (columns {i} -> {j}: the curve gains "
                       f"{best:.3f} nats per held-out row over the line, threshold {threshold})")
    return "bic", (f"every variable on every other is close to linear (largest gain of a curve over the "
                   f"line {best:.3f} nats per held-out row, threshold {threshold})")
