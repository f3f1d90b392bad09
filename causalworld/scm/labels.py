"""Labels of discrete variables: what a user's data calls each category (``"lo"``, ``True``).

Mechanisms compute with codes ``0..K-1``; the data a user brings (a CSV's strings, booleans, a
pandas categorical) and the answers they read back carry labels. This module is the one place
the two meet: :func:`encode` reads labels (or codes) into codes, :func:`decode` and
:func:`categorical` turn codes back into labels. A variable fitted on integer codes has the
default labels ``0..K-1``, for which a label and its code are the same number.

The rules, in one place:

- a pandas categorical is matched by label, whatever its own codes and categories are;
- strings and other objects are labels;
- numbers are labels when the labels are numbers (``0..K-1`` by default), codes otherwise
  (``1`` is code 1 of a variable labelled ``["hi", "lo"]``); booleans are labels of a boolean
  variable and codes otherwise;
- a tensor always holds codes.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from causalworld.errors import DTypeError, NonFiniteError, OutOfRangeError

__all__ = ["check_labels", "default_labels", "is_default", "encode", "decode", "categorical", "numeric_labels"]

Label = str | bool | int | float


def default_labels(k: int) -> tuple[int, ...]:
    """The labels of a variable fitted on codes: ``(0, 1, ..., k - 1)``.

    Examples
    --------
    >>> default_labels(3)
    (0, 1, 2)
    """
    return tuple(range(k))


def is_default(labels: Sequence[Any]) -> bool:
    """Whether ``labels`` are the codes themselves.

    Examples
    --------
    >>> is_default((0, 1, 2)), is_default(("lo", "hi")), is_default((False, True))
    (True, False, False)
    """
    return all(type(x) is int and x == i for i, x in enumerate(labels))


def _plain(x: Any) -> Label:
    """A numpy scalar as the Python scalar JSON and pandas both keep (``np.str_`` -> ``str``)."""
    if isinstance(x, np.generic):
        x = x.item()
    return x


def check_labels(variable: str, labels: Sequence[Any], k: int) -> tuple[Label, ...]:
    """``labels`` as a tuple of ``k`` distinct plain scalars (str, bool, int or finite float).

    Examples
    --------
    >>> check_labels("smoker", [np.False_, np.True_], 2)
    (False, True)
    """
    if isinstance(labels, (str, bytes)) or not isinstance(labels, (Sequence, np.ndarray, pd.Index)):
        raise DTypeError(f"the labels of {variable!r} must be a list of its categories, got {type(labels).__name__}")
    out = tuple(_plain(x) for x in labels)
    if len(out) != k:
        raise OutOfRangeError(f"{variable!r} has {k} categories but {len(out)} labels {list(out)}; give one label per category")
    for x in out:
        if not isinstance(x, (str, bool, int, float)):
            raise DTypeError(
                f"a label of {variable!r} is a {type(x).__name__} ({x!r}); labels are strings, booleans or numbers"
            )
        if isinstance(x, float) and not np.isfinite(x):
            raise NonFiniteError(f"{variable!r} has the label {x}; a label must be a finite number or a string")
    if len(set((type(x) is bool, x) for x in out)) != k:
        raise OutOfRangeError(f"the labels of {variable!r} repeat: {list(out)}; give distinct labels")
    return out


def numeric_labels(labels: Sequence[Any]) -> bool:
    """Whether the labels are numbers (not booleans): then numbers given are read as labels.

    Examples
    --------
    >>> numeric_labels((0.5, 2.0)), numeric_labels(("lo", "hi")), numeric_labels((False, True))
    (True, False, False)
    """
    return all(isinstance(x, numbers.Number) and not isinstance(x, (bool, np.bool_)) for x in labels)


def _is_boolean(labels: Sequence[Any]) -> bool:
    return all(isinstance(x, (bool, np.bool_)) for x in labels)


def encode(name: str, values: Any, labels: Sequence[Any]) -> np.ndarray:
    """Codes ``[N]`` (int64) of ``values``: a Series (categorical or not), an array, a list or a scalar.

    Raises :class:`~causalworld.errors.OutOfRangeError` naming a label that is not a category of
    ``name`` (and the known ones), :class:`~causalworld.errors.NonFiniteError` for missing values.

    Examples
    --------
    >>> encode("x", pd.Categorical(["lo"]), ("hi", "lo")).tolist()  # by label, not by its own code 0
    [1]
    >>> encode("x", np.array([1, 0]), ("hi", "lo")).tolist()  # numbers are codes of string labels
    [1, 0]
    """
    k = len(labels)
    if isinstance(values, (pd.Series, pd.Categorical, pd.Index)) and isinstance(values.dtype, pd.CategoricalDtype):
        cat = pd.Categorical(values)
        if bool((cat.codes < 0).any()):
            raise NonFiniteError(f"{name!r} has missing categories (NaN); drop or impute those rows")
        own = encode(name, np.asarray(cat.categories, dtype=object), labels) if len(cat.categories) else np.zeros(0, np.int64)
        return own[cat.codes].astype(np.int64)
    arr = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else np.asarray(values)
    arr = arr.reshape(-1) if arr.ndim == 0 else arr
    if arr.dtype.kind in "iuf" or (arr.dtype.kind == "b" and not _is_boolean(labels)):
        if arr.dtype.kind != "b" and numeric_labels(labels) and not is_default(labels):
            return _lookup(name, arr, labels)
        if arr.dtype.kind == "f":
            if not bool(np.isfinite(arr).all()):
                raise NonFiniteError(f"{name!r} has NaN or infinite values; drop or impute those rows first")
            if not bool((arr == np.round(arr)).all()):
                raise DTypeError(f"{name!r} is discrete ({k} categories) but got non-integer values; give labels or codes")
        if arr.size and (arr.min() < 0 or arr.max() >= k):  # checked before the cast, which could overflow
            bad = arr[(arr < 0) | (arr >= k)][0]
            raise OutOfRangeError(
                f"{name!r} is discrete with codes 0..{k - 1} (labels {list(labels)}) but got "
                f"{bad.item() if arr.dtype.kind in 'iub' else format(bad, 'g')}"
            )
        return arr.astype(np.int64)
    if arr.dtype.kind in "mMcV":
        raise DTypeError(f"{name!r} holds {arr.dtype} values; give its labels {list(labels)} or codes 0..{k - 1}")
    return _lookup(name, arr, labels)


def _lookup(name: str, arr: np.ndarray, labels: Sequence[Any]) -> np.ndarray:
    flat = np.asarray(arr, dtype=object).reshape(-1)
    if len(flat) and bool(pd.isna(flat).any()):
        raise NonFiniteError(f"{name!r} has missing values (None or NaN); drop or impute those rows first")
    codes = pd.Index(list(labels), dtype=object).get_indexer(pd.Index(flat, dtype=object))
    if codes.size and bool((codes < 0).any()):
        bad = flat[codes < 0][0]
        raise OutOfRangeError(
            f"{bad!r} is not a category of {name!r}; its categories are {list(labels)}"
        )
    return codes.astype(np.int64)


def decode(codes: Any, labels: Sequence[Any]) -> np.ndarray:
    """The labels of ``codes`` as a numpy array (bool for boolean labels, int for the default ones).

    Examples
    --------
    >>> decode(np.array([1, 0]), ("hi", "lo")).tolist()
    ['lo', 'hi']
    """
    codes = np.asarray(codes, dtype=np.int64)
    if is_default(labels):
        return codes
    kind = bool if _is_boolean(labels) else (None if numeric_labels(labels) else object)
    return np.asarray(list(labels), dtype=kind)[codes]


def categorical(codes: Any, labels: Sequence[Any]) -> pd.Categorical:
    """A pandas categorical of ``codes`` with ``labels`` as its categories, in their order.

    Examples
    --------
    >>> categorical([1, 0], ("hi", "lo")).tolist()
    ['lo', 'hi']
    """
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=list(labels))
