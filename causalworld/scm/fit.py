"""``SCM.fit``: bring your graph and your data, get every mechanism fitted (DoWhy gcm's main path).

Each variable is fitted on its own from its parents, on the rows where it was not intervened
(``targets``), so the learners can reuse this on interventional data. Continuous variables get a
Gaussian root, a linear-Gaussian or an additive-noise MLP mechanism (``"auto"`` keeps the MLP
only when it beats the linear fit on held-out rows); discrete ones (integer, boolean or
categorical columns) get a Gumbel-max logistic mechanism. A per-variable summary (R², noise
scale) is kept on ``scm.fit_summary``; a continuous mechanism whose parents explain less than
:data:`POOR_FIT_R2` of its variance warns (:class:`~causalworld.errors.PoorFitWarning`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from causalworld.errors import (
    ArgumentError,
    DTypeError,
    InsufficientDataError,
    IntegerColumnWarning,
    NonFiniteError,
    OutOfRangeError,
    PoorFitWarning,
    UnknownVariableError,
)
from causalworld.scm import graph as graphs
from causalworld.scm.values import check_magnitude, column_to_tensor
from causalworld.scm.devices import as_device
from causalworld.scm.labels import check_labels
from causalworld.scm.mechanisms import (
    AdditiveNoiseMLP,
    Binary,
    Categorical,
    GaussianRoot,
    LinearGaussian,
    Mechanism,
    QuadraticGaussian,
    quadratic_terms,
)
from causalworld.scm.model import SCM
from causalworld.scm.seeding import SEED_MAX, check_seed
from causalworld.scm.stacked_training import StackedFit, train_stacked
from causalworld.scm.targets import targets_mask

__all__ = ["fit_scm", "fit_linear", "fit_mlp", "fit_mlps", "fit_discrete", "POOR_FIT_R2", "MAX_INTEGER_CATEGORIES"]

_CHOICES = ("auto", "linear", "quadratic", "mlp")

# An integer data column (numpy or pandas) with at most this many distinct values is a category;
# with more it is a measurement (a year, a count) and is fitted as continuous, with a warning.
MAX_INTEGER_CATEGORIES = 32

# A mechanism with parents whose fit explains less than this share of the variance (in-sample R²)
# has learned nothing from them: a linear fit of a nonlinear dependence (x = pa² gives R² ~ 0), or
# parents that are not causes. Chance alone gives about k / n with k parents and n rows, so with
# the few hundred rows a fit needs this flags fits that explain nothing, not weak effects.
POOR_FIT_R2 = 0.01


def _columns(data: Any) -> dict[str, Any]:
    if isinstance(data, pd.DataFrame):
        return {str(c): data[c] for c in data.columns}
    if isinstance(data, Mapping):
        return dict(data)
    raise DTypeError(f"data must be a DataFrame or a dict of columns, got {type(data).__name__}")


def _is_discrete(col: Any, name: str = "a column") -> tuple[bool, int | None, tuple[Any, ...] | None]:
    """``(discrete, cardinality, labels)`` of a data column: a pandas categorical keeps its
    categories as labels, booleans are ``(False, True)``, strings (or other labels in an object
    column) their sorted distinct values; integers are codes ``0..K-1`` (labels ``None``)."""
    if isinstance(col, (pd.Series, pd.Categorical)) and isinstance(col.dtype, pd.CategoricalDtype):
        cats = list(pd.Categorical(col).categories)
        if len(cats) < 2:
            raise InsufficientDataError(f"{name!r} is a categorical with {len(cats)} category; a discrete variable needs two or more")
        return True, len(cats), check_labels(name, cats, len(cats))
    if not isinstance(col, (torch.Tensor, pd.Series)) and not hasattr(col, "dtype"):
        col = np.asarray(col)
    dt = col.dtype
    if not isinstance(dt, torch.dtype) and (pd.api.types.is_string_dtype(dt) or pd.api.types.is_object_dtype(dt)):
        return _labelled(col, name)
    if isinstance(dt, torch.dtype):
        discrete = not dt.is_floating_point
    elif pd.api.types.is_bool_dtype(dt) and not pd.api.types.is_integer_dtype(dt):
        if isinstance(col, pd.Series) and col.isna().any():
            raise NonFiniteError(f"{name!r} is discrete and has missing values; drop or impute those rows first")
        return True, 2, (False, True)
    elif pd.api.types.is_integer_dtype(dt):
        discrete = True
    elif pd.api.types.is_float_dtype(dt):
        discrete = False
    else:
        raise DTypeError(
            f"{name!r} has dtype {dt}, which is neither numeric nor categorical; give floats, integer codes, "
            "labels (strings, booleans) or a pandas categorical"
        )
    if discrete and isinstance(col, pd.Series) and col.isna().any():
        raise NonFiniteError(f"{name!r} is a discrete column with missing values; drop or impute those rows first")
    if not discrete:
        return False, None, None
    if isinstance(dt, torch.dtype):  # int64 tensors are category codes 0..K-1 (as the SCM core's values are)
        arr = col.detach().cpu().numpy()
        if arr.size and arr.min() < 0:
            raise DTypeError(f"{name!r} is an integer tensor, read as category codes, which must be >= 0; "
                             "give a float tensor if it is continuous")
        return True, int(max(2, arr.max() + 1)) if arr.size else 2, None
    return _integer_column(col, name)


def _integer_column(col: Any, name: str) -> tuple[bool, int | None, tuple[Any, ...] | None]:
    """An integer numpy/pandas column is categorical only when it has at most
    :data:`MAX_INTEGER_CATEGORIES` distinct values: codes ``0..K-1`` when they are such codes,
    else its distinct values as labels. With more (a year, a count, an identifier) it is
    continuous, with a :class:`~causalworld.errors.IntegerColumnWarning` saying how to override."""
    arr = np.asarray(col.to_numpy() if isinstance(col, pd.Series) else col)
    if arr.dtype.kind not in "iu":  # a complex or other column that slipped past the dtype checks
        raise DTypeError(f"{name!r} has dtype {arr.dtype}; give floats, integer codes, labels or a pandas categorical")
    distinct = np.unique(arr)
    if len(distinct) > MAX_INTEGER_CATEGORIES:
        warnings.warn(
            f"{name!r} is an integer column with {len(distinct)} distinct values (more than "
            f"MAX_INTEGER_CATEGORIES = {MAX_INTEGER_CATEGORIES}): fitted as continuous. If it is a category, give it "
            f"as a pandas categorical or pass discrete={{{name!r}: True}}; cast it to float to silence this",
            IntegerColumnWarning, stacklevel=4)
        return False, None, None
    return _integer_categories(distinct, name, codes=bool(len(distinct)) and distinct[0] >= 0
                               and distinct[-1] < MAX_INTEGER_CATEGORIES)


def _integer_categories(distinct: np.ndarray, name: str, *, codes: bool) -> tuple[bool, int, tuple[Any, ...] | None]:
    """The categories of an integer column with these sorted ``distinct`` values: codes
    ``0..K-1`` (``K - 1`` the largest seen) when ``codes``, else the values as labels."""
    if codes:
        return True, int(max(2, distinct[-1] + 1)), None
    if len(distinct) < 2:
        raise InsufficientDataError(f"{name!r} takes the one value {distinct[0] if len(distinct) else None!r}; "
                                    "a discrete variable needs two or more (or cast it to float)")
    labels = tuple(int(x) for x in distinct)
    return True, len(labels), check_labels(name, labels, len(labels))


def _kind(col: Any, name: str, override: bool | None) -> tuple[bool, int | None, tuple[Any, ...] | None]:
    """:func:`_is_discrete`, or what ``discrete={name: override}`` asks for: ``False`` fits a numeric
    column as continuous, ``True`` makes a numeric column a category (its distinct values are the labels)."""
    if override is None:
        return _is_discrete(col, name)
    override = bool(override)
    kind = _is_discrete(col, name) if not _is_integer(col) else (True, None, None)
    if not override:
        if kind[2] is not None and not all(isinstance(x, (int, float, bool, np.number)) for x in kind[2]):
            raise DTypeError(f"discrete={{{name!r}: False}} but {name!r} holds labels {list(kind[2])[:5]}; "
                             "only a numeric column can be fitted as continuous")
        return False, None, None
    values = np.asarray(col.detach().cpu() if isinstance(col, torch.Tensor) else col)
    if isinstance(col, torch.Tensor) and not col.dtype.is_floating_point:
        return _is_discrete(col, name)  # int64 tensors already are codes
    if values.dtype.kind in "iuf":
        if values.dtype.kind == "f" and not bool((np.isfinite(values) & (values == np.round(values))).all()):
            raise DTypeError(f"discrete={{{name!r}: True}} but {name!r} has non-integer or missing values; "
                             "give integer codes, labels or a pandas categorical")
        distinct = np.unique(values.astype(np.int64))
        return _integer_categories(distinct, name, codes=bool(len(distinct)) and distinct[0] >= 0
                                   and distinct[-1] == len(distinct) - 1)
    return _is_discrete(col, name)


def _is_integer(col: Any) -> bool:
    dt = getattr(col, "dtype", None)
    if dt is None or isinstance(dt, torch.dtype):
        return False
    return pd.api.types.is_integer_dtype(dt) and not pd.api.types.is_bool_dtype(dt)


def _labelled(col: Any, name: str) -> tuple[bool, int, tuple[Any, ...]]:
    """A column of labels (strings, or booleans and numbers in an object column): its categories
    are its distinct values, sorted (as scikit-learn's ``classes_`` and DoWhy's class names are)."""
    values = pd.Series(np.asarray(col, dtype=object))
    if values.isna().any():
        raise NonFiniteError(f"{name!r} is discrete and has missing values; drop or impute those rows first")
    distinct = list(pd.unique(values))
    try:
        labels = tuple(sorted(distinct))
    except TypeError:
        kinds = sorted({type(x).__name__ for x in distinct})
        raise DTypeError(
            f"{name!r} mixes labels of kinds {kinds}; give one kind (all strings, say) or a pandas categorical"
        ) from None
    if len(labels) < 2:
        raise InsufficientDataError(
            f"{name!r} takes the one value {labels[0]!r} in the data; a discrete variable needs two or more "
            "(give a pandas categorical with every category to keep unseen ones)" if labels else f"{name!r} is empty"
        )
    return True, len(labels), check_labels(name, labels, len(labels))


def fit_linear(X: torch.Tensor, y: torch.Tensor) -> tuple[LinearGaussian, float]:
    """Least squares ``y ~ X w + b``; returns the mechanism (noise std = residual RMS) and R².

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(200, 1, generator=g, dtype=torch.float64)
    >>> y = 2 * X[:, 0] + 1 + 0.1 * torch.randn(200, generator=g, dtype=torch.float64)
    >>> m, r2 = fit_linear(X, y)
    >>> round(m.weight.detach()[0].item(), 1), round(m.bias.detach().item(), 1), r2 > 0.99
    (2.0, 1.0, True)
    """
    n, p = X.shape
    A = torch.cat([X, torch.ones(n, 1, dtype=X.dtype, device=X.device)], dim=1)
    sol = torch.linalg.lstsq(A.cpu(), y.unsqueeze(1).cpu()).solution.squeeze(1).to(X.device)
    resid = y - A @ sol
    std = float(resid.pow(2).mean().sqrt())
    r2 = 1.0 - float(resid.pow(2).sum() / (y - y.mean()).pow(2).sum().clamp_min(1e-300))
    # the parameters are built in the data's dtype: a float64 bias of 1e5 must not round through float32
    m = LinearGaussian(p, weight=sol[:p].detach().cpu(), bias=sol[p].detach().cpu(), noise_std=max(std, 1e-12), dtype=X.dtype)
    return m.to(device=X.device), r2


def fit_quadratic(X: torch.Tensor, y: torch.Tensor) -> tuple[QuadraticGaussian, float]:
    """Least squares of ``y`` on a second-order polynomial of ``X`` (each standardised column, its
    square, each pair's product: :class:`~causalworld.scm.mechanisms.QuadraticGaussian`); returns
    the mechanism (noise std = residual RMS) and R². A square or product that adds nothing (the
    square of a binary column) gets weight 0.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(300, 2, generator=g, dtype=torch.float64)
    >>> y = X[:, 0] * X[:, 1] + X[:, 0] ** 2 + 0.1 * torch.randn(300, generator=g, dtype=torch.float64)
    >>> m, r2 = fit_quadratic(X, y)
    >>> r2 > 0.99, bool(torch.allclose(m.predict(X), X[:, 0] * X[:, 1] + X[:, 0] ** 2, atol=0.05))
    (True, True)
    """
    n, p = X.shape
    center = X.mean(0)
    spread = X.std(0, unbiased=False)
    scale = torch.where(spread > 0, spread, torch.ones_like(spread))
    A = quadratic_terms((X - center) / scale)
    A = torch.cat([A, torch.ones(n, 1, dtype=X.dtype, device=X.device)], dim=1).cpu()
    # 'gelsd' (SVD): a rank-deficient design (a binary column equals its own square) gets the
    # least-norm solution instead of an error or huge weights
    sol = torch.linalg.lstsq(A, y.unsqueeze(1).cpu(), driver="gelsd").solution.squeeze(1)
    resid = y.cpu() - A @ sol
    std = float(resid.pow(2).mean().sqrt())
    r2 = 1.0 - float(resid.pow(2).sum() / (y - y.mean()).pow(2).sum().clamp_min(1e-300))
    m = QuadraticGaussian(p, weight=sol[:-1], bias=sol[-1], noise_std=max(std, 1e-12), center=center.cpu(),
                          scale=scale.cpu(), dtype=X.dtype)
    return m.to(device=X.device), r2


def fit_mlp(X: torch.Tensor, y: torch.Tensor, *, hidden: tuple[int, ...] = (32, 32), steps: int = 1200,
            lr: float = 1e-2, weight_decay: float = 1e-4, seed: int = 0, val_fraction: float = 0.2,
            check_every: int = 20, patience: int = 5, refit: bool = False, members: int = 1,
            batch_size: int | None = 512) -> tuple[AdditiveNoiseMLP, float]:
    """An additive-noise MLP fitted by Adam on the mean squared error, with early stopping on
    held-out rows; returns the mechanism and its in-sample R².

    A ``val_fraction`` of the rows (when there are at least 100) is held out; every
    ``check_every`` steps the held-out error is measured and training stops after ``patience``
    checks without improvement. Over-trained MLPs fit noise, and a counterfactual reads the noise
    off the residual, so this matters more here than for prediction. Each step uses a mini-batch
    of ``batch_size`` rows (``None``: all rows), and what counts (held-out error and the result)
    is the running average of the weights over the last ~50 steps, which takes out the
    mini-batch noise; the result is that average at the best held-out error. With ``refit`` the
    network is instead trained again from the same initialisation on *all* rows for the number of
    steps held-out error picked (twice the cost; with mini-batches and averaging it no longer
    helps: on the 20-node random MLP SCMs of the discovery tests, counterfactual error 0.0811
    with it and 0.0794 without, seeds 0-4). The network trains in float32 on standardised data
    and is returned in the data's dtype.

    With ``members > 1`` that many networks are trained (seeds ``seed``, ``seed + 1009``, ...), each
    as it would be alone, and their mean is returned as one wider MLP of the same class (hidden
    widths times ``members``, block-diagonal hidden-to-hidden weights, output weights divided by
    ``members``), so saving, batched queries and the DoWhy export treat it as any MLP. Averaging
    removes the part of the error that comes from the random initialisation (see
    :func:`fit_scm`). Several variables' MLPs are trained side by side by :func:`fit_mlps`.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(400, 2, generator=g, dtype=torch.float64)
    >>> y = torch.tanh(2 * X[:, 0]) * X[:, 1] + 0.1 * torch.randn(400, generator=g, dtype=torch.float64)
    >>> m, r2 = fit_mlp(X, y, hidden=(8, 8), members=2)
    >>> m.hidden, r2 > 0.9
    ((16, 16), True)
    """
    (m, r2), = fit_mlps([(X, y)], [seed], hidden=hidden, steps=steps, lr=lr, weight_decay=weight_decay,
                        val_fraction=val_fraction, check_every=check_every, patience=patience, refit=refit,
                        members=members, batch_size=batch_size)
    return m, r2  # type: ignore[return-value]


def fit_mlps(tasks: Sequence[tuple[torch.Tensor, torch.Tensor]], seeds: Sequence[int], *,
             auto: bool | Sequence[bool] = False, members: int = 1, hidden: tuple[int, ...] = (32, 32),
             steps: int = 1200, lr: float = 1e-2, weight_decay: float = 1e-4, val_fraction: float = 0.2,
             check_every: int = 20, patience: int = 5, refit: bool = False, batch_size: int | None = 512,
             progress: bool = False) -> list[tuple[Mechanism, float]]:
    """:func:`fit_mlp` for several regressions ``(X, y)`` at once: every member of every task is
    one slice of a stacked network (:func:`causalworld.scm.stacked_training.train_stacked`), so one
    optimiser step serves them all; each result is the one :func:`fit_mlp` gives for that task
    alone.

    With ``auto`` (for every task, or one flag per task), a task keeps its MLP only when its
    members predict their held-out rows clearly better (5 % lower squared error) than least
    squares fitted on the same training rows; otherwise, and with fewer than 100 rows, it gets
    :func:`fit_linear`'s mechanism and is not trained further.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(500, 2, generator=g, dtype=torch.float64)
    >>> noise = 0.1 * torch.randn(500, generator=g, dtype=torch.float64)
    >>> tasks = [(X[:, :1], X[:, 0].sin() + noise), (X, X[:, 0] - X[:, 1] + noise)]
    >>> [type(m).__name__ for m, _ in fit_mlps(tasks, [0, 1], auto=True)]
    ['AdditiveNoiseMLP', 'LinearGaussian']
    """
    if isinstance(members, bool) or not isinstance(members, int) or members < 1:
        raise OutOfRangeError(f"members must be a positive int, got {members!r}")
    autos = [bool(auto)] * len(tasks) if isinstance(auto, bool) else [bool(a) for a in auto]
    linear = [a and int(X.shape[0]) < 100 for a, (X, _) in zip(autos, tasks)]
    stacked = [i for i in range(len(tasks)) if not linear[i]]
    m_tasks = [tasks[i] for i in stacked for _ in range(members)]
    m_seeds = [(seeds[i] + 1009 * e) & SEED_MAX for i in stacked for e in range(members)]  # seeds wrap at 2**64

    def beats_linear(fits: list[StackedFit]) -> list[bool]:
        keep = []
        for j, i in enumerate(stacked):
            mine = fits[j * members:(j + 1) * members]
            if autos[i]:
                X, y = tasks[i]
                e_mlp = sum(f.val_mse for f in mine) / members
                e_lin = sum(_linear_val_mse(X, y, f.train_rows, f.val_rows) for f in mine) / members
                linear[i] = not e_mlp < 0.95 * e_lin
            keep += [not linear[i]] * members
        return keep

    fits = train_stacked(m_tasks, m_seeds, hidden=hidden, steps=steps, lr=lr, weight_decay=weight_decay,
                         batch_size=batch_size, val_fraction=val_fraction, check_every=check_every,
                         patience=patience, refit=refit, select=beats_linear if any(autos) else None,
                         progress=progress)
    out: list[tuple[Mechanism, float]] = []
    for i, (X, y) in enumerate(tasks):
        if linear[i]:
            out.append(fit_linear(X, y))
        else:
            j = stacked.index(i)
            out.append(_mean_of([f.net for f in fits[j * members:(j + 1) * members]], X, y))
    return out


def _linear_val_mse(X: torch.Tensor, y: torch.Tensor, train_rows: torch.Tensor, val_rows: torch.Tensor) -> float:
    """Held-out mean squared error of least squares fitted on ``train_rows``, in the units
    :func:`train_stacked` reports (the target standardised over all rows)."""
    lin, _ = fit_linear(X[train_rows.to(X.device)], y[train_rows.to(X.device)])
    va = val_rows.to(X.device)
    with torch.no_grad():
        err = float((y[va] - lin.predict(X[va])).pow(2).mean())
    return err / float(y.std().clamp_min(1e-8)) ** 2


def _mean_of(nets: list[AdditiveNoiseMLP], X: torch.Tensor, y: torch.Tensor) -> tuple[AdditiveNoiseMLP, float]:
    """One MLP computing the mean of ``nets`` (same architecture and scalings, as :func:`fit_mlp`
    makes them): first layers stacked, hidden-to-hidden block-diagonal, last layer averaged."""
    ref, k = nets[0], len(nets)
    with torch.random.fork_rng(devices=[]):  # its initial weights are overwritten: keep the user's stream
        merged = AdditiveNoiseMLP(ref.n_parents, hidden=[h * k for h in ref.hidden], activation=ref.activation)
    merged = merged.to(dtype=X.dtype, device=X.device)
    layers = [m._linears for m in nets]
    last = len(ref._linears) - 1
    with torch.no_grad():
        for li, lin in enumerate(merged._linears):
            ws = [ls[li].weight for ls in layers]
            bs = [ls[li].bias for ls in layers]
            if li == last:  # the output: the mean of the members' outputs
                lin.weight.copy_(torch.cat(ws, 1) / k if li else torch.stack(ws).mean(0))
                lin.bias.copy_(torch.stack(bs).mean(0))
            else:  # every member's units side by side, each layer seeing its own member's only
                lin.weight.copy_(torch.cat(ws, 0) if li == 0 else torch.block_diag(*ws))
                lin.bias.copy_(torch.cat(bs, 0))
        for name in ("in_shift", "in_scale", "out_shift", "out_scale"):
            getattr(merged, name).copy_(getattr(ref, name))
        resid = y - merged.predict(X)
        merged.noise_std.fill_(max(float(resid.pow(2).mean().sqrt()), 1e-12))
        r2 = 1.0 - float(resid.pow(2).sum() / (y - y.mean()).pow(2).sum().clamp_min(1e-300))
    return merged, r2


def fit_discrete(X: torch.Tensor, y: torch.Tensor, k: int, *, l2: float = 1e-4, steps: int = 100) -> tuple[Mechanism, float]:
    """Multinomial logistic regression by L-BFGS; a :class:`Binary` for two categories, else a
    :class:`Categorical`. Returns the mechanism and the training accuracy.

    Examples
    --------
    >>> X = torch.randn(200, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    >>> y = (torch.rand(200, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    ...      < torch.sigmoid(3 * X[:, 0])).long()  # P(y = 1) = sigmoid(3 x)
    >>> m, acc = fit_discrete(X, y, 2)
    >>> type(m).__name__, round(m.weight.detach()[0].item(), 1), acc > 0.75
    ('Binary', 2.7, True)
    >>> three = torch.bucketize(X[:, 0], torch.tensor([-0.5, 0.5], dtype=torch.float64))
    >>> m, acc = fit_discrete(X, three, 3)
    >>> type(m).__name__, acc > 0.95
    ('Categorical', True)
    """
    n, p = X.shape
    m: Mechanism = Binary(p) if k == 2 else Categorical(p, k)
    m = m.to(dtype=X.dtype, device=X.device)
    params = [m.weight, m.bias]
    opt = torch.optim.LBFGS(params, lr=1.0, max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad(set_to_none=True)
        loss = -m.log_prob(y, X).mean() + l2 * m.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        if k == 2:
            pred = (m.logit(X) > 0).long()  # type: ignore[union-attr]
        else:
            pred = m.logits(X).argmax(-1)  # type: ignore[union-attr]
        acc = float((pred == y).double().mean())
    return m, acc


def fit_scm(
    graph: Any,
    data: Any,
    mechanisms: str | Mapping[str, Any] = "auto",
    *,
    targets: Any = None,
    progress: bool = True,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    device: str | torch.device | None = None,
    hidden: tuple[int, ...] = (32, 32),
    mlp_steps: int = 1200,
    mlp_members: int = 3,
    mlp_batch_size: int | None = 512,
    min_rows: int = 2,
    discrete: Mapping[str, bool] | None = None,
) -> SCM:
    """Fit every mechanism of ``graph`` from ``data`` and return the SCM.

    Parameters
    ----------
    graph
        The causal DAG (anything :func:`causalworld.scm.graph.as_dag` reads).
    data
        A DataFrame or dict of columns, one per variable. Float columns are continuous. Discrete
        columns are labels: strings (their sorted distinct values are the categories), booleans, a
        pandas categorical (its categories, in their order), or an integer column with at most
        :data:`MAX_INTEGER_CATEGORIES` (32) distinct values (codes ``0..K-1`` when every value lies
        in ``0..31``, else its distinct values are the labels); int64 tensors are always codes. An integer column
        with more distinct values (a year, a count) is continuous, with a warning. The model
        answers with the labels and reads them back (``scm.labels``).
    mechanisms
        ``"auto"``, ``"linear"``, ``"quadratic"`` (a second-order polynomial of the parents in
        closed form, :class:`~causalworld.scm.mechanisms.QuadraticGaussian`), ``"mlp"``, or a dict
        ``{variable: "linear" | "quadratic" | "mlp" | Mechanism}`` (a Mechanism instance is used
        as given, unfitted). Discrete variables always get a
        logistic Gumbel-max mechanism; continuous roots a Gaussian.
    targets
        Which variables were intervened in each row; a variable is fitted only on rows where it
        was not. Any form :func:`causalworld.scm.targets.targets_mask` reads: ``None`` (all
        observational); a column of one entry per row, as a CSV has it (``targets=df["intervened"]``:
        a variable name, several joined by ``"|"``, and ``""``, ``None`` or NaN for an
        observational row; a data column of that name is not a variable and is left out of the
        data); a list of sets of names; an ``[n, d]`` boolean mask (columns in the data's column
        order); or a dict / DataFrame of boolean columns by name.
    progress
        Show a progress bar over variables.
    discrete
        ``{variable: True | False}`` overrides that rule: ``False`` fits a numeric column as
        continuous, ``True`` makes an integer (or integer-valued float) column a category.
    hidden, mlp_steps, mlp_members, mlp_batch_size
        The MLP mechanisms' hidden widths, most training steps, how many MLPs are trained
        (different seeds) and averaged into each (:func:`fit_mlp`), and the rows per training
        step. Every MLP of every variable trains side by side in one stacked network
        (:func:`fit_mlps`), each as it would alone. Three members by default: ~3x the MLP fit
        time and the batched query time of those mechanisms, ~8 % lower counterfactual error on
        random MLP SCMs; 1 for a single MLP. ``"auto"`` decides from the same members' held-out
        error, so it costs what ``"mlp"`` does.

    Returns
    -------
    SCM
        With ``fit_summary``: one row per variable (mechanism, rows used, in-sample R² or
        accuracy, noise scale).

    Raises
    ------
    UnknownVariableError
        A data column or a ``mechanisms`` key that is not a variable of ``graph``.
    InsufficientDataError
        A missing column, columns of unequal length, a constant variable or too few rows.
    ArgumentError
        An unknown mechanism choice.

    Warns
    -----
    PoorFitWarning
        A continuous variable with parents whose fitted mechanism has an in-sample R² below
        :data:`POOR_FIT_R2` (0.01): its parents explain nothing of it. With a linear mechanism the
        dependence may be nonlinear (fit with ``"mlp"`` or ``"auto"``); otherwise check the graph.

    Examples
    --------
    >>> from causalworld import SCM
    >>> truth = SCM.linear([("x", "y")], {("x", "y"): 1.5}, 0.5)
    >>> data = truth.to_frame(truth.sample(5000, seed=0))
    >>> fitted = SCM.fit(truth.graph, data, "linear", progress=False)
    >>> round(float(fitted.weights().loc["x", "y"]), 1)
    1.5
    >>> list(fitted.fit_summary.columns)
    ['variable', 'mechanism', 'rows', 'r2', 'noise_std', 'accuracy']

    A CSV with a column naming what was intervened in each row (blank: observational):

    >>> data["intervened"] = np.where(np.arange(5000) < 1000, "y", "")
    >>> data.loc[:999, "y"] = 5.0  # y was set: these rows say nothing about its mechanism
    >>> fitted = SCM.fit(truth.graph, data, "linear", targets=data["intervened"], progress=False)
    >>> fitted.fit_summary["rows"].tolist()
    [5000, 4000]
    """
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise DTypeError(f"dtype must be a floating torch dtype (torch.float32 or torch.float64), got {dtype!r}")
    if isinstance(mlp_members, bool) or not isinstance(mlp_members, int) or mlp_members < 1:
        raise OutOfRangeError(f"mlp_members must be a positive int, got {mlp_members!r}")
    if isinstance(mlp_steps, bool) or not isinstance(mlp_steps, int) or mlp_steps < 1:
        raise OutOfRangeError(f"mlp_steps must be a positive int (optimiser steps), got {mlp_steps!r}")
    if (not isinstance(hidden, (tuple, list)) or not hidden
            or any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in hidden)):
        raise ArgumentError(f"hidden must be a tuple of positive ints (one width per layer), got {hidden!r}")
    hidden = tuple(hidden)
    seed = check_seed(seed, allow_none=False)
    if not isinstance(mechanisms, (str, Mapping)):
        raise ArgumentError(f"mechanisms must be 'linear', 'mlp', 'auto' or a {{variable: choice}} dict, got {mechanisms!r}")
    g = graphs.as_dag(graph)
    cols = _columns(data)
    if isinstance(targets, pd.Series) and targets.name is not None and str(targets.name) in cols \
            and str(targets.name) not in g:
        del cols[str(targets.name)]  # fit(df, targets=df["intervened"]): that column is not a variable
    variables = graphs.topological_order(g)
    for c in cols:
        if c not in g:
            raise UnknownVariableError.of(c, variables, where="the graph (a data column)")
    missing = [v for v in variables if v not in cols]
    if missing:
        raise InsufficientDataError(f"data lacks columns for {missing}; give one column per variable of the graph")
    if isinstance(mechanisms, str):
        if mechanisms not in _CHOICES:
            raise ArgumentError(f"mechanisms must be one of {_CHOICES} or a dict, got {mechanisms!r}")
        spec = {v: mechanisms for v in variables}
    else:
        for v in mechanisms:
            if v not in g:
                raise UnknownVariableError.of(v, variables)
        spec = {v: mechanisms.get(v, "auto") for v in variables}
    device = as_device(device) if device is not None else torch.device("cpu")
    if discrete is not None:
        if not isinstance(discrete, Mapping) or any(not isinstance(b, (bool, np.bool_)) for b in discrete.values()):
            raise ArgumentError(f"discrete must be a dict {{variable: True | False}}, got {discrete!r}")
        for v in discrete:
            if v not in g:
                raise UnknownVariableError.of(v, variables, where="the graph (a key of discrete)")
    kinds = {v: _kind(cols[v], v, None if discrete is None else discrete.get(v)) for v in variables}
    tensors = {
        v: column_to_tensor(v, cols[v], dtype=dtype, device=device, cardinality=kinds[v][1], labels=kinds[v][2])
        for v in variables
    }
    n = tensors[variables[0]].shape[0] if variables else 0
    if n == 0:
        raise InsufficientDataError("the data have no rows; give at least a few rows per variable to fit")
    for v, t in tensors.items():
        if t.shape[0] != n:
            raise InsufficientDataError(f"column {v!r} has {t.shape[0]} rows, others {n}; give columns of equal length")
    mask = targets_mask(targets, list(cols), n)
    col_index = {c: i for i, c in enumerate(cols)}
    pos = {v: i for i, v in enumerate(variables)}
    ranges: dict[str, tuple[float, float]] = {}
    fitted: dict[str, Mechanism] = {}
    scores: dict[str, tuple[float, float]] = {}  # variable -> (R², accuracy)
    parents: dict[str, list[str]] = {}
    deferred: dict[str, tuple[torch.Tensor, torch.Tensor, str]] = {}  # the MLP fits, done side by side below
    for v in tqdm(variables, desc="fitting mechanisms", disable=not progress, leave=False):
        y_all = tensors[v]
        ranges[v] = (float(y_all.min()), float(y_all.max()))
        keep = torch.from_numpy(~mask[:, col_index[v]]).to(device)
        ps = parents[v] = sorted(g.predecessors(v), key=pos.__getitem__)
        X = (torch.stack([tensors[p].to(dtype) for p in ps], dim=1) if ps else torch.empty(n, 0, dtype=dtype, device=device))[keep]
        y = y_all[keep]
        if y.shape[0] < max(min_rows, len(ps) + 2):
            raise InsufficientDataError(
                f"{v!r} has {y.shape[0]} rows where it was not intervened, too few to fit a mechanism with "
                f"{len(ps)} parent(s); give more observational rows"
            )
        choice = spec[v]
        r2 = acc = float("nan")
        if isinstance(choice, Mechanism):
            m = choice
        elif kinds[v][0]:
            m, acc = fit_discrete(X, y, kinds[v][1])  # type: ignore[arg-type]
        else:
            check_magnitude(v, y)
            if float(y.std()) == 0.0:
                raise InsufficientDataError(f"{v!r} is constant on the rows used to fit it; drop it or vary it")
            if not ps:
                m = GaussianRoot(float(y.mean()), float(y.std(unbiased=False)), dtype=dtype)
            elif choice == "linear":
                m, r2 = fit_linear(X, y)
            elif choice == "quadratic":
                m, r2 = fit_quadratic(X, y)
            elif choice in ("mlp", "auto"):
                deferred[v] = (X, y, choice)
                continue
            else:
                raise ArgumentError(f"mechanism for {v!r} must be 'auto', 'linear', 'quadratic', 'mlp' or a Mechanism; got {choice!r}")
        fitted[v], scores[v] = m, (r2, acc)
    if deferred:
        # every MLP mechanism (each member of each variable) trains in one stacked network
        done = fit_mlps([(X, y) for X, y, _ in deferred.values()], [(seed + pos[v]) & SEED_MAX for v in deferred],
                        auto=[c == "auto" for _, _, c in deferred.values()], members=mlp_members,
                        hidden=hidden, steps=mlp_steps, batch_size=mlp_batch_size, progress=progress)
        for v, (m, r2) in zip(deferred, done):
            fitted[v], scores[v] = m, (r2, float("nan"))
    rows: list[dict[str, Any]] = []
    for v in variables:
        m, (r2, acc) = fitted[v], scores[v]
        if parents[v] and r2 < POOR_FIT_R2:  # NaN (discrete, or a Mechanism given as is) compares False
            _warn_poor_fit(v, parents[v], r2, type(m).__name__)
        std = float("nan")
        if hasattr(m, "noise_std"):
            std = float(m.noise_std)
        elif isinstance(m, GaussianRoot):
            std = float(m.std)
        n_rows = int((~mask[:, col_index[v]]).sum())
        rows.append({"variable": v, "mechanism": type(m).__name__, "rows": n_rows, "r2": r2,
                     "noise_std": std, "accuracy": acc})
        fitted[v] = m.requires_grad_(False)
    labels = {v: kinds[v][2] for v in variables if kinds[v][2] is not None}
    scm = SCM(g, fitted, dtype=dtype, device=device, fitted_ranges=ranges, labels=labels)
    scm.fit_summary = pd.DataFrame(rows, columns=["variable", "mechanism", "rows", "r2", "noise_std", "accuracy"])
    return scm


def _warn_poor_fit(variable: str, parents: list[str], r2: float, kind: str) -> None:
    fix = ("the dependence may be nonlinear: fit with mechanisms='mlp' (or 'auto'), or check the graph"
           if kind == "LinearGaussian" else "check the graph: these parents may not be its causes")
    warnings.warn(
        f"the {kind} mechanism of {variable!r} explains almost none of it from its parents {parents}: "
        f"R² = {r2:.4f} < {POOR_FIT_R2}; {fix}",
        PoorFitWarning, stacklevel=3)
