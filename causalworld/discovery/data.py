"""Turning a learner's input (data + intervention targets) into checked tensors and masks.

Every learner's ``fit`` starts here: :func:`prepare` validates the table (names, NaN, constant
columns, enough rows), reads the targets in any accepted form (see
:func:`causalworld.scm.targets.targets_mask`) and, for ``lags=1``, stacks consecutive time steps
so lag-1 edges can be learned with instantaneous ones. The result, a :class:`Problem`, is what a
learner's ``_learn`` receives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from causalworld.discovery.knowledge import Knowledge
from causalworld.errors import (
    ArgumentError,
    DTypeError,
    InsufficientDataError,
    ShapeError,
)
from causalworld.scm.values import check_magnitude, column_to_tensor
from causalworld.scm.targets import row_patterns, targets_mask

__all__ = ["Problem", "prepare", "lag_name", "unrolled_name", "read_columns"]


def lag_name(variable: str) -> str:
    """The name of the lag-1 copy of ``variable`` (``"x[t-1]"``), used in knowledge and outputs.

    Examples
    --------
    >>> lag_name("light")
    'light[t-1]'
    """
    return f"{variable}[t-1]"


def unrolled_name(variable: str, t: int) -> str:
    """The name of ``variable`` at time ``t`` in a graph unrolled over time (``"x[3]"``).

    Examples
    --------
    >>> unrolled_name("light", 3)
    'light[3]'
    """
    return f"{variable}[{t}]"


@dataclass
class Problem:
    """A checked structure-learning problem, the input of a learner's ``_learn``.

    Attributes
    ----------
    names
        The variables whose parents are learned (the nodes of ``graph_``), ``d`` of them.
    context
        Extra columns that may be parents but are never children (the lag-1 copies
        ``"x[t-1]"`` when ``lags=1``; empty otherwise), ``c`` of them.
    X
        ``[n, c + d]`` float64 tensor, columns ``context + names``.
    mask
        ``[n, c + d]`` bool tensor, True where the column was intervened in that row.
    knowledge
        Background knowledge over ``columns``, checked; for ``lags=1`` it also holds the tiers
        that forbid edges from time ``t`` back to ``t - 1``.
    regimes
        The distinct intervention target sets among the rows (``frozenset()`` = observational).
    seed, progress, deadline
        The learner's seed, whether to show progress bars, and the ``time.monotonic()`` time at
        which ``max_time`` runs out (``None``: no limit).

    Examples
    --------
    >>> data = {"x": [[0.1, 0.5, 0.2], [1.2, 0.3, 0.9], [-0.3, 0.4, 0.0], [0.8, -0.6, 0.1]],
    ...         "y": [[1.0, 0.1, -0.4], [0.2, 0.7, 0.3], [0.5, -1.0, 0.6], [-1.1, 0.2, 0.8]]}
    >>> p = prepare(data, lags=1)  # 4 episodes of 3 steps: 4 * 2 rows of (step t-1, step t)
    >>> p.columns, (p.n, p.c, p.d), tuple(p.X.shape)
    (('x[t-1]', 'y[t-1]', 'x', 'y'), (8, 2, 2), (8, 4))
    >>> p.allowed().astype(int)  # the lag-1 copies may be parents, never children
    array([[0, 0, 1, 1],
           [0, 0, 1, 1],
           [0, 0, 0, 1],
           [0, 0, 1, 0]])
    """

    names: tuple[str, ...]
    context: tuple[str, ...]
    X: Tensor
    mask: Tensor
    knowledge: Knowledge
    regimes: list[frozenset[str]]
    frame: pd.DataFrame = field(repr=False)
    frame_targets: np.ndarray = field(repr=False)
    lags: int = 0
    n_steps: int = 1
    seed: int = 0
    progress: bool = False
    deadline: float | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """``context + names``: the order of the columns of ``X`` and ``mask``.

        Examples
        --------
        >>> prepare({"x": [0.1, 1.2, -0.3], "y": [1.0, 0.2, 0.5]}).columns
        ('x', 'y')
        """
        return self.context + self.names

    @property
    def d(self) -> int:
        """The number of variables whose parents are learned.

        Examples
        --------
        >>> prepare({"x": [0.1, 1.2, -0.3], "y": [1.0, 0.2, 0.5]}).d
        2
        """
        return len(self.names)

    @property
    def c(self) -> int:
        """The number of context columns (the lag-1 copies with ``lags=1``, else 0).

        Examples
        --------
        >>> prepare({"x": [0.1, 1.2, -0.3], "y": [1.0, 0.2, 0.5]}).c
        0
        """
        return len(self.context)

    @property
    def n(self) -> int:
        """The number of rows of ``X``.

        Examples
        --------
        >>> prepare({"x": [0.1, 1.2, -0.3], "y": [1.0, 0.2, 0.5]}).n
        3
        """
        return int(self.X.shape[0])

    def allowed(self) -> np.ndarray:
        """``[c + d, c + d]`` bool: which edges the knowledge allows (none into context columns).

        Examples
        --------
        >>> from causalworld.discovery.knowledge import Knowledge
        >>> p = prepare({"x": [0.1, 1.2, -0.3], "y": [1.0, 0.2, 0.5]}, knowledge=Knowledge(forbidden=[("y", "x")]))
        >>> p.allowed().tolist()
        [[False, True], [False, False]]
        """
        a = self.knowledge.allowed(self.columns)
        a[:, : self.c] = False
        return a

    def required(self) -> np.ndarray:
        """``[c + d, c + d]`` bool: the required edges.

        Examples
        --------
        >>> from causalworld.discovery.knowledge import Knowledge
        >>> p = prepare({"x": [0.1, 1.2, -0.3], "y": [1.0, 0.2, 0.5]}, knowledge=Knowledge(required=[("x", "y")]))
        >>> p.required().tolist()
        [[False, True], [False, False]]
        """
        return self.knowledge.required_matrix(self.columns)

    def observational(self) -> Tensor:
        """``[n]`` bool: rows where nothing was intervened.

        Examples
        --------
        >>> p = prepare({"x": [0.1, 1.2, -0.3, 0.8], "y": [1.0, 0.2, 0.5, -1.1]}, [set(), {"x"}, set(), set()])
        >>> p.observational().tolist()
        [True, False, True, True]
        """
        return ~self.mask[:, self.c:].any(1)


def read_columns(data: Any, *, allow_2d: bool) -> dict[str, Tensor]:
    """Check a DataFrame or dict of columns and return float64 tensors ``{name: [n] or [n, T]}``.

    Raises a typed error for discrete columns, NaN, unequal lengths, no columns or no rows.

    Examples
    --------
    >>> read_columns({"x": [1.0, 2.0], "y": [0.5, 0.1]}, allow_2d=False)["y"]
    tensor([0.5000, 0.1000], dtype=torch.float64)
    """
    if isinstance(data, pd.DataFrame):
        cols = {c: data[c] for c in data.columns}
    elif isinstance(data, Mapping):
        cols = dict(data)
    else:
        raise DTypeError(f"data must be a pandas DataFrame or a dict of columns, got {type(data).__name__}")
    if not cols:
        raise InsufficientDataError("data has no columns; give one column per variable")
    out: dict[str, Tensor] = {}
    n = None
    for name, col in cols.items():
        if not isinstance(name, str) or not name:
            raise DTypeError(f"column names must be non-empty strings, got {name!r}; rename the column")
        if isinstance(col, pd.Series) and isinstance(col.dtype, pd.CategoricalDtype):
            raise DTypeError(
                f"{name!r} is categorical; the learners score continuous (Gaussian) variables: "
                "encode it as a float column, or drop it"
            )
        dt = getattr(col, "dtype", None)
        if dt is None:
            dt = np.asarray(col).dtype
        kind = "f" if isinstance(dt, torch.dtype) and dt.is_floating_point else (
            "i" if isinstance(dt, torch.dtype) else np.dtype(dt).kind if not isinstance(dt, pd.api.extensions.ExtensionDtype) else "O")
        if kind in "biu":
            raise DTypeError(
                f"{name!r} holds integer or boolean codes; the learners read float columns: cast it to float "
                f"(data[{name!r}].astype(float)), and for codes of a category (a switch, a label) learn with "
                "ExactLearner(score_func='mixed'), which scores columns of 2 to 9 integer values as discrete"
            )
        t = column_to_tensor(name, col, dtype=torch.float64, device=torch.device("cpu"), allow_2d=allow_2d)
        if n is None:
            n = t.shape[0]
        elif t.shape[0] != n:
            raise ShapeError(f"{name!r} has {t.shape[0]} rows but others have {n}; give columns of equal length")
        out[name] = t
    if not n:
        raise InsufficientDataError("data has no rows; give at least a few rows per variable")
    return out


def _regimes(mask: np.ndarray, names: Sequence[str]) -> list[frozenset[str]]:
    if not mask.any():
        return [frozenset()]
    _, first = row_patterns(mask)
    return [frozenset(names[i] for i in np.flatnonzero(mask[r])) for r in sorted(first)]


def prepare(data: Any, targets: Any = None, *, knowledge: Knowledge | None = None, lags: int = 0,
            min_rows: int = 3, seed: int = 0, progress: bool = False, deadline: float | None = None,
            learner: str = "this learner") -> Problem:
    """Validate ``data`` and ``targets`` and build the :class:`Problem` a learner solves.

    Parameters
    ----------
    data
        A DataFrame or dict of float columns, ``[n]`` each (or ``[n, T]`` with ``lags=1``).
    targets
        ``None``, an ``[n, d]`` boolean mask (columns in the data's order), one set of names per
        row, or a dict / DataFrame of boolean columns; with ``lags=1`` also an ``[n, T, d]`` mask
        (per time step; the other forms mean "intervened at every step").
    knowledge
        Background knowledge, checked against the variables (and their ``"x[t-1]"`` copies).
    lags
        0, or 1 to learn lag-1 edges from ``[n, T]`` columns.
    min_rows
        Fewest rows each variable needs where it was not intervened.

    Examples
    --------
    >>> p = prepare({"x": [0.1, 1.2, -0.3, 0.8], "y": [1.0, 0.2, 0.5, -1.1]}, [set(), {"x"}, set(), set()])
    >>> p.names, p.mask[:, 0].tolist(), sorted(map(sorted, p.regimes))
    (('x', 'y'), [False, True, False, False], [[], ['x']])
    """
    if lags not in (0, 1) or isinstance(lags, bool):
        raise ArgumentError(f"lags must be 0 or 1, got {lags!r}")
    cols = read_columns(data, allow_2d=True)
    names = tuple(cols)
    knowledge = knowledge or Knowledge()
    if lags == 0:
        two_d = [v for v, t in cols.items() if t.dim() == 2]
        if two_d:
            raise ShapeError(f"{two_d} have one value per time step ([n, T]); pass lags=1 to learn over time")
        n = next(iter(cols.values())).shape[0]
        X = torch.stack([cols[v] for v in names], 1)
        mask_np = targets_mask(targets, names, n)
        context: tuple[str, ...] = ()
        frame = pd.DataFrame({v: cols[v].numpy() for v in names})
        frame_targets = mask_np
        n_steps = 1
    else:
        flat = [v for v, t in cols.items() if t.dim() != 2]
        if flat:
            raise ShapeError(f"with lags=1 every column must be [n, T] (one value per time step); {flat} are not")
        n, T = next(iter(cols.values())).shape
        if any(t.shape[1] != T for t in cols.values()):
            raise ShapeError("with lags=1 every column must have the same number of time steps T")
        if T < 2:
            raise InsufficientDataError(f"lags=1 needs at least 2 time steps per row; got T={T}")
        V = torch.stack([cols[v] for v in names], 2)  # (n, T, d)
        if isinstance(targets, (np.ndarray, torch.Tensor)) and np.ndim(targets) == 3:
            tm = np.asarray(targets.detach().cpu() if isinstance(targets, torch.Tensor) else targets)
            if tm.shape != (n, T, len(names)):
                raise ShapeError(f"a per-step targets mask must be [n, T, d] = {(n, T, len(names))}; got {tm.shape}")
            tm = tm.astype(bool)
        else:
            tm = np.repeat(targets_mask(targets, names, n)[:, None, :], T, axis=1)  # (n, T, d)
        context = tuple(lag_name(v) for v in names)
        clash = set(context) & set(names)
        if clash:
            raise ArgumentError(f"{sorted(clash)} clash with the names of lagged copies; rename those columns")
        X = torch.cat([V[:, :-1], V[:, 1:]], 2).reshape(n * (T - 1), 2 * len(names))  # rows = (episode, t)
        mask_np = np.concatenate([tm[:, :-1], tm[:, 1:]], 2).reshape(n * (T - 1), 2 * len(names))
        knowledge = knowledge.merge(Knowledge(tiers={**{c: 0 for c in context}, **{v: 1 for v in names}}))
        frame = pd.DataFrame({unrolled_name(v, t): V[:, t, i].numpy() for t in range(T) for i, v in enumerate(names)})
        frame_targets = tm.reshape(n, T * len(names))
        n_steps = T
    columns = context + names
    knowledge.check(columns)
    mask = torch.from_numpy(np.ascontiguousarray(mask_np))
    std_all = X.std(0) if X.shape[0] > 1 else torch.zeros(X.shape[1], dtype=X.dtype)
    for i, v in enumerate(columns):
        free = ~mask[:, i]
        rows = int(free.sum())
        if i >= len(context) and rows < min_rows:
            raise InsufficientDataError(
                f"{v!r} has {rows} row(s) where it was not intervened; {learner} needs at least {min_rows}: "
                "give more rows, or fewer interventions on it"
            )
        col = X[free, i] if i >= len(context) else X[:, i]
        check_magnitude(v, X[:, i])  # values whose squares overflow or underflow: a clear error, not a NaN score
        if float(std_all[i]) == 0.0 or (col.numel() > 1 and float(col.std()) == 0.0):
            raise InsufficientDataError(
                f"{v!r} is constant on the rows where it was not intervened; a constant column has no "
                "causal information: drop it from the data"
            )
    regimes = _regimes(mask_np[:, len(context):], names)
    return Problem(names=names, context=context, X=X, mask=mask, knowledge=knowledge, regimes=regimes,
                   frame=frame, frame_targets=frame_targets, lags=lags, n_steps=n_steps, seed=seed,
                   progress=progress, deadline=deadline)
