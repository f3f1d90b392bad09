"""Which of two variables causes the other, from observational data alone: three classic methods.

Each function takes two 1-d arrays and returns the evidence for ``x -> y``: positive means
``x`` causes ``y``, negative ``y`` causes ``x``, and zero that the method cannot tell. They are
the peers the learners are measured against on real cause-effect pairs (``benchmarks/real.py``),
written from their papers:

- :func:`anm_direction`: additive noise models (Hoyer et al. 2008; the ANM-HSIC variant of
  Mooij et al. 2016). Regress each variable on the other with a Gaussian-kernel ridge
  regression; in the causal direction the residual is independent of the input. The evidence is
  ``HSIC(y, residual of x on y) - HSIC(x, residual of y on x)``.
- :func:`reci_direction`: regression error based causal inference (Blöbaum et al. 2018). After
  scaling both variables to [0, 1], the regression of the effect on the cause has the smaller
  mean squared error; a cubic polynomial regression, as in the paper's experiments.
- :func:`igci_direction`: information-geometric causal inference with the slope estimator and
  the uniform reference measure (Daniusis et al. 2010; Janzing et al. 2012): with both
  variables scaled to [0, 1], the mean log slope from cause to effect is the smaller.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.uniform(-2, 2, 500)
>>> y = x ** 3 + rng.uniform(-1, 1, 500)
>>> anm_direction(x, y) > 0, reci_direction(x, y) > 0
(True, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from causalworld.errors import InsufficientDataError, NonFiniteError, ShapeError

__all__ = ["anm_direction", "reci_direction", "igci_direction"]


def _pair(x: Any, y: Any, min_rows: int = 10) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or y.shape != x.shape:
        raise ShapeError(f"x and y must be 1-d arrays of the same length, got shapes {x.shape} and {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise NonFiniteError("x and y must be finite; drop the rows with NaN or inf first")
    if len(x) < min_rows:
        raise InsufficientDataError(f"a pair needs at least {min_rows} rows, got {len(x)}")
    return x, y


def _unit(v: np.ndarray) -> np.ndarray:
    span = v.max() - v.min()
    return (v - v.min()) / span if span > 0 else np.zeros_like(v)


def _standard(v: np.ndarray) -> np.ndarray:
    sd = v.std()
    return (v - v.mean()) / sd if sd > 0 else v - v.mean()


def _gram(v: np.ndarray) -> np.ndarray:
    """Gaussian kernel matrix with the median heuristic's bandwidth."""
    sq = (v[:, None] - v[None, :]) ** 2
    med = np.median(sq[np.triu_indices(len(v), 1)])
    return np.exp(-sq / (med if med > 0 else 1.0))


def _hsic(a: np.ndarray, b: np.ndarray) -> float:
    """The biased HSIC statistic ``tr(K H L H) / n^2`` with Gaussian kernels."""
    n = len(a)
    k = _gram(a)
    l = _gram(b)
    kc = k - k.mean(0, keepdims=True) - k.mean(1, keepdims=True) + k.mean()
    return float((kc * l).sum() / n**2)


def _kernel_residual(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Residuals of a Gaussian-kernel ridge regression of ``y`` on ``x``, ridge by leave-one-out."""
    w, u = (t.numpy() for t in torch.linalg.eigh(torch.from_numpy(_gram(x))))  # torch's thread setting applies
    uy = u.T @ y
    best, best_res = np.inf, y - y.mean()
    for lam in (1e-3, 1e-2, 1e-1, 1.0):
        shrink = w / (w + lam)
        fitted = u @ (shrink * uy)
        hat = (u**2) @ shrink
        loo = np.mean(((y - fitted) / np.maximum(1.0 - hat, 1e-6)) ** 2)
        if loo < best:
            best, best_res = loo, y - fitted
    return best_res


def anm_direction(x: Any, y: Any, *, max_rows: int = 500, seed: int = 0) -> float:
    """Additive-noise-model evidence for ``x -> y`` (positive) against ``y -> x`` (negative).

    Both variables are standardised; at most ``max_rows`` rows (drawn from ``seed``) are used,
    since the kernel regression and HSIC cost ``O(n^2)`` memory and ``O(n^3)`` time.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=400)
    >>> y = np.tanh(2 * x) + 0.2 * rng.uniform(-1, 1, 400)
    >>> anm_direction(x, y) > 0 > anm_direction(y, x)
    True
    """
    x, y = _pair(x, y)
    if len(x) > max_rows:
        keep = np.random.default_rng(seed).choice(len(x), max_rows, replace=False)
        x, y = x[keep], y[keep]
    x, y = _standard(x), _standard(y)
    forward = _hsic(x, _kernel_residual(x, y))
    backward = _hsic(y, _kernel_residual(y, x))
    return backward - forward


def _cubic_mse(x: np.ndarray, y: np.ndarray) -> float:
    design = np.vander(x, 4)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(np.mean((y - design @ coef) ** 2))


def reci_direction(x: Any, y: Any) -> float:
    """RECI evidence for ``x -> y``: ``MSE(x | y) - MSE(y | x)`` after scaling both to [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> x = rng.uniform(0, 1, 1000)
    >>> y = np.sqrt(x) + 0.05 * rng.normal(size=1000)
    >>> reci_direction(x, y) > 0
    True
    """
    x, y = _pair(x, y)
    x, y = _unit(x), _unit(y)
    return _cubic_mse(y, x) - _cubic_mse(x, y)


def _mean_log_slope(x: np.ndarray, y: np.ndarray) -> float:
    order = np.argsort(x, kind="stable")
    dx = np.diff(x[order])
    dy = np.diff(y[order])
    ok = (dx != 0) & (dy != 0)
    if not ok.any():
        return 0.0
    return float(np.mean(np.log(np.abs(dy[ok] / dx[ok]))))


def igci_direction(x: Any, y: Any) -> float:
    """IGCI evidence for ``x -> y``: ``C(y -> x) - C(x -> y)`` with the slope estimator.

    ``C(x -> y)`` is the mean of ``log |dy / dx|`` over neighbouring values of ``x`` (rows with a
    zero difference in either variable are skipped), both variables scaled to [0, 1]: the
    uniform reference measure. It assumes a deterministic (or nearly) relation.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(3).uniform(0, 1, 1000)
    >>> igci_direction(x, x ** 3) > 0
    True
    """
    x, y = _pair(x, y)
    x, y = _unit(x), _unit(y)
    return _mean_log_slope(y, x) - _mean_log_slope(x, y)
