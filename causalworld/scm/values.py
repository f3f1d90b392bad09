"""Batches of values crossing into and out of the SCM core: ``dict[str, Tensor[N]]`` or a DataFrame.

Everything a user hands to a query passes through :func:`to_tensors`, which checks names,
shapes, dtypes, devices and finiteness once, so the numerical code can trust its inputs.
Discrete variables travel as int64 codes in tensors and as pandas categoricals in DataFrames.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from causalworld.errors import (
    DeviceError,
    DTypeError,
    MissingVariableError,
    NonFiniteError,
    OutOfRangeError,
    ShapeError,
    UnknownVariableError,
)
from causalworld.scm.labels import categorical, default_labels, encode

__all__ = ["to_tensors", "to_frame", "column_to_tensor", "check_finite", "check_magnitude", "batch_length", "check_count",
           "missing_hint"]


def check_count(n: Any, what: str) -> int:
    """A positive number of rows or draws as a Python int (numpy integers too), else ShapeError.

    Examples
    --------
    >>> check_count(np.int64(5), "n")
    5
    """
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ShapeError(f"{what} must be a positive int, got {n!r}")
    return int(n)


def missing_hint(missing: Sequence[str], others: Sequence[Any]) -> str:
    """`` (is 'ligth' meant to be 'light'?)`` when a column that is not a variable looks like a
    missing one, else ``""``.

    Examples
    --------
    >>> missing_hint(["light"], ["ligth", "note"])
    " (is 'ligth' meant to be 'light'?)"
    """
    import difflib

    names = [str(o) for o in others]
    for m in missing:
        close = difflib.get_close_matches(str(m), names, n=1, cutoff=0.6)
        if close:
            return f" (is {close[0]!r} meant to be {str(m)!r}?)"
    return ""


def _same_device(a: torch.device, b: torch.device) -> bool:
    return a.type == b.type and (a.index is None or b.index is None or a.index == b.index)


def check_magnitude(name: str, y: Tensor) -> None:
    """Refuse a continuous column whose values a fit cannot work with in its dtype: so large that
    their squares (variances, least squares) overflow, or so small (yet not all zero) that they
    underflow, which would otherwise surface as an infinite noise scale or a "constant" column.

    Examples
    --------
    >>> check_magnitude("a", torch.tensor([1.0, 2e300], dtype=torch.float64))
    Traceback (most recent call last):
    ...
    causalworld.errors.OutOfRangeError: 'a' has values up to 2e+300: their squares overflow torch.float64 ...
    """
    info = torch.finfo(y.dtype)
    big, small = info.max ** 0.5 / 1e3, info.tiny ** 0.5 * 1e3
    top = float(y.abs().max()) if y.numel() else 0.0
    if top > big:
        raise OutOfRangeError(
            f"{name!r} has values up to {top:.3g}: their squares overflow {y.dtype} (largest {info.max:.3g}), so "
            f"no fit can use them; rescale the column (divide it by {10 ** round(math.log10(top)):.0e}, say) before "
            "fitting")
    if 0.0 < top < small:
        raise OutOfRangeError(
            f"{name!r} has values no larger than {top:.3g}: their squares underflow {y.dtype}, so it would look "
            f"constant; rescale the column (multiply it by {10 ** -round(math.log10(top)):.0e}, say) before fitting")


def column_to_tensor(
    name: str,
    col: Any,
    *,
    dtype: torch.dtype,
    device: torch.device,
    cardinality: int | None = None,
    allow_2d: bool = False,
    check_finite: bool = True,
    labels: Sequence[Any] | None = None,
) -> Tensor:
    """Check one column and return it as a tensor: float ``dtype`` for continuous variables,
    int64 codes for discrete ones (``cardinality`` given), read from the column's labels (see
    :mod:`causalworld.scm.labels`; default ``0..cardinality-1``) unless it is a tensor of codes.

    Examples
    --------
    >>> column_to_tensor("x", [1, 2], dtype=torch.float32, device=torch.device("cpu"))
    tensor([1., 2.])
    >>> column_to_tensor("light", [0, 1, 1], dtype=torch.float32, device=torch.device("cpu"), cardinality=2)
    tensor([0, 1, 1])
    """
    if cardinality is not None and not isinstance(col, Tensor):
        arr = col if isinstance(col, (pd.Series, pd.Categorical)) else np.asarray(
            col.detach().cpu() if hasattr(col, "detach") else col)
        if not isinstance(arr, (pd.Series, pd.Categorical)) and arr.ndim != 1:
            raise ShapeError(f"{name!r} has shape {tuple(arr.shape)}; every variable is one scalar per row, shape [N]")
        codes = encode(name, arr, labels if labels is not None else default_labels(cardinality))
        return torch.from_numpy(codes).to(device)
    if isinstance(col, Tensor):
        if not _same_device(col.device, device):
            raise DeviceError(
                f"{name!r} is on {col.device} but the model is on {device}; move the data with "
                f".to('{device}') or the model with scm.to('{col.device}')"
            )
        t = col
    elif isinstance(col, pd.Series):
        if isinstance(col.dtype, pd.CategoricalDtype):
            raise DTypeError(
                f"{name!r} is continuous but got a pandas categorical; give its numbers (a float column)"
            )
        else:
            arr = col.to_numpy()
            if arr.dtype == object:
                raise DTypeError(
                    f"{name!r} holds Python objects (dtype object); give numbers, or a pandas categorical "
                    "for a discrete variable"
                )
            _check_kind(name, arr.dtype)
            t = torch.from_numpy(np.array(arr, copy=True) if not arr.flags.writeable else np.ascontiguousarray(arr))
    else:
        arr = np.asarray(col.detach().cpu() if hasattr(col, "detach") else col)
        if arr.dtype == object or arr.dtype.kind in "USV":
            raise DTypeError(f"{name!r} holds {arr.dtype} values; give numbers (int64 codes for discrete variables)")
        _check_kind(name, arr.dtype)
        if arr.ndim == 0:  # np.ascontiguousarray would make it 1-d and let a single number pass as a row
            raise ShapeError(f"{name!r} is a single number; every variable is one scalar per row, shape [N]: give a list or array")
        arr = np.ascontiguousarray(arr)
        t = torch.from_numpy(arr if arr.flags.writeable else arr.copy())
    if t.dtype == torch.bool:
        t = t.long()
    if not (t.dtype.is_floating_point or t.dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8)):
        raise DTypeError(f"{name!r} has dtype {t.dtype}; give a real-valued or integer tensor")
    if t.dim() != 1 and not (allow_2d and t.dim() == 2):
        raise ShapeError(
            f"{name!r} has shape {tuple(t.shape)}; every variable is one scalar per row, shape [N]"
        )
    if check_finite and t.dtype.is_floating_point:
        _raise_if_not_finite(name, t)
    if cardinality is not None:
        if t.dtype.is_floating_point:
            if not bool((t == t.round()).all()):
                raise DTypeError(f"{name!r} is discrete ({cardinality} categories) but got non-integer values; give int64 codes")
        t = t.long()
        if t.numel() and (int(t.min()) < 0 or int(t.max()) >= cardinality):
            raise OutOfRangeError(
                f"{name!r} is discrete with codes 0..{cardinality - 1} but got {int(t.min())}..{int(t.max())}"
            )
        return t.to(device)
    out = t.to(device=device, dtype=dtype)
    if out.dtype != t.dtype and out.numel() and not bool(torch.isfinite(out.sum())):
        # finite values beyond the model's dtype would become inf here and then read as "missing"
        grew = torch.isfinite(t.to(device)) & ~torch.isfinite(out)
        if bool(grew.any()):
            big = float(t.to(device)[grew].abs().max())
            raise OutOfRangeError(
                f"{name!r} holds {big:.4g}, beyond the largest {dtype} ({torch.finfo(dtype).max:.4g}); "
                "use a float64 model (scm.to(dtype=torch.float64)) or rescale the data"
            )
    return out


def _check_kind(name: str, dt: np.dtype) -> None:
    """Refuse numpy dtypes that are not real numbers (dates, durations, complex) by name."""
    if dt.kind in "mM":
        raise DTypeError(
            f"{name!r} holds {dt} dates or durations; convert it to numbers first (for example "
            "seconds since a start: (col - col.min()) / np.timedelta64(1, 's'))"
        )
    if dt.kind == "c":
        raise DTypeError(f"{name!r} holds complex numbers ({dt}); give its real part or its magnitude as a real column")
    if dt.kind not in "biuf":
        raise DTypeError(f"{name!r} has dtype {dt}; give real numbers (int64 codes for discrete variables)")


def _raise_if_not_finite(name: str, t: Tensor) -> None:
    finite = torch.isfinite(t)
    if not bool(finite.all()):
        bad = int((~finite).sum())
        raise NonFiniteError(f"{name!r} has {bad} NaN or infinite value(s); drop or impute those rows first")


def check_finite(values: Mapping[str, Tensor]) -> None:
    """Raise :class:`NonFiniteError` naming the first float column with NaN or infinity.

    Small batches are checked in one op on the stacked columns (per-call overhead matters for
    single-row queries); large ones column by column, to avoid a copy.

    Examples
    --------
    >>> check_finite({"x": torch.tensor([1.0, 2.0])})
    >>> check_finite({"x": torch.tensor([1.0, float("nan")])})
    Traceback (most recent call last):
    ...
    causalworld.errors.NonFiniteError: 'x' has 1 NaN or infinite value(s); drop or impute those rows first
    """
    floats = [(k, t) for k, t in values.items() if t.dtype.is_floating_point]
    if not floats:
        return
    if floats[0][1].numel() * len(floats) <= 4096 and len({t.dtype for _, t in floats}) == 1:
        if bool(torch.isfinite(torch.stack([t for _, t in floats]).sum())):
            return
    for k, t in floats:
        # a sum is finite when every term is (a reduction, no mask); an overflowing sum falls
        # through to the exact check
        if not bool(torch.isfinite(t.sum())):
            _raise_if_not_finite(k, t)


def batch_length(data: Mapping[str, Tensor]) -> int:
    """The number of rows in a batch of columns (0 for an empty batch).

    Examples
    --------
    >>> batch_length({"x": torch.zeros(3), "y": torch.ones(3)})
    3
    >>> batch_length({})
    0
    """
    return next(iter(data.values())).shape[0] if data else 0


def to_tensors(
    data: Any,
    variables: Sequence[str],
    *,
    dtype: torch.dtype,
    device: torch.device,
    cardinalities: Mapping[str, int | None],
    require: Sequence[str] | None = None,
    what: str = "data",
    labels: Mapping[str, Sequence[Any]] | None = None,
    extra: str = "raise",
) -> dict[str, Tensor]:
    """Validate ``data`` (dict of columns or DataFrame) and return ``{name: Tensor[N]}``.

    Names outside ``variables`` raise :class:`UnknownVariableError`; names in ``require`` that are
    missing raise :class:`MissingVariableError`; columns of unequal length or an empty table raise
    :class:`ShapeError`. With ``extra="ignore"`` names outside ``variables`` are left out instead
    (DoWhy's verbs pass such columns through). Discrete columns are read by ``labels``.

    Examples
    --------
    >>> t = to_tensors(pd.DataFrame({"x": [0.5, 1.5], "on": [1, 0]}), ["x", "on"], dtype=torch.float32,
    ...                device=torch.device("cpu"), cardinalities={"on": 2})
    >>> t["x"], t["on"]
    (tensor([0.5000, 1.5000]), tensor([1, 0]))
    >>> to_tensors({"z": [1.0]}, ["x"], dtype=torch.float32, device=torch.device("cpu"), cardinalities={})
    Traceback (most recent call last):
    ...
    causalworld.errors.UnknownVariableError: ...
    """
    if isinstance(data, pd.DataFrame):
        if not data.columns.is_unique:
            dup = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
            raise ShapeError(f"{what} has the column(s) {dup} more than once; give each variable one column")
        columns = {str(c): data[c] for c in data.columns}
    elif isinstance(data, Mapping):
        columns = dict(data)
    else:
        raise DTypeError(
            f"{what} must be a dict of columns or a pandas DataFrame, got {type(data).__name__}"
        )
    known = set(variables)
    if extra == "raise":
        for name in columns:
            if name not in known:
                raise UnknownVariableError.of(name, variables)
    if require is not None:
        missing = [v for v in require if v not in columns]
        if missing:
            hint = missing_hint(missing, [c for c in columns if c not in known])
            raise MissingVariableError(
                f"{what} lacks {missing}{hint}; it needs a column for every one of {list(require)}"
            )
    out: dict[str, Tensor] = {}
    n: int | None = None
    for name in variables:
        if name not in columns:
            continue
        t = column_to_tensor(name, columns[name], dtype=dtype, device=device, cardinality=cardinalities.get(name),
                             check_finite=False, labels=(labels or {}).get(name))
        if n is None:
            n = t.shape[0]
        elif t.shape[0] != n:
            raise ShapeError(f"{what}: {name!r} has {t.shape[0]} rows but others have {n}; give columns of equal length")
        out[name] = t
    if n == 0:
        raise ShapeError(f"{what} has no rows; give at least one")
    check_finite(out)
    return out


def to_frame(values: Mapping[str, Tensor], cardinalities: Mapping[str, int | None],
             labels: Mapping[str, Sequence[Any]] | None = None, index: Any = None) -> pd.DataFrame:
    """A DataFrame of ``values``: float columns, and pandas categoricals for discrete variables
    (categories: the variable's ``labels``, default ``0..K-1``).

    Examples
    --------
    >>> df = to_frame({"x": torch.tensor([0.5, 1.5]), "on": torch.tensor([1, 0])}, {"on": 2},
    ...               labels={"on": ["off", "on"]})
    >>> df["on"].tolist(), str(df["x"].dtype)
    (['on', 'off'], 'float32')
    """
    cols: dict[str, Any] = {}
    for name, t in values.items():
        arr = t.detach().cpu().numpy()
        k = cardinalities.get(name)
        if k is not None:
            cols[name] = categorical(arr, (labels or {}).get(name) or default_labels(k))
        else:
            cols[name] = arr
    return pd.DataFrame(cols, index=index)
