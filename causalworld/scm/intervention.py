"""Interventions as data: ``{variable: value | tensor | callable}`` turned into checked objects.

A number, or a 0-d tensor, is a hard intervention ``do(x := v)``; a tensor of N values is a hard
intervention per row; a callable is soft: it maps the value the variable would have taken to a
new one (``lambda x: x + 1`` is a shift). DoWhy's verbs pass every intervention as a callable and
call it with numpy arrays; :func:`apply_callable` serves both.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from causalworld.errors import (
    DeviceError,
    DTypeError,
    InterventionError,
    NonFiniteError,
    OutOfRangeError,
    ShapeError,
)
from causalworld.scm.labels import decode, default_labels, encode

__all__ = ["Intervention", "apply_callable"]


@dataclass(frozen=True)
class Intervention:
    """One variable's intervention: ``kind`` is ``"value"``, ``"tensor"`` or ``"callable"``.

    Examples
    --------
    >>> cpu = torch.device("cpu")
    >>> iv = Intervention.parse("x", 2.0, cardinality=None, dtype=torch.float32, device=cpu)
    >>> iv.kind, iv.value, iv.hard
    ('value', 2.0, True)
    """

    variable: str
    kind: str
    value: Any
    numpy_callable: bool = False

    @property
    def hard(self) -> bool:
        """True for ``do(x := v)`` (a value or a per-row tensor), False for a callable (soft).

        Examples
        --------
        >>> cpu = torch.device("cpu")
        >>> Intervention.parse("x", lambda x: x + 1, cardinality=None, dtype=torch.float32, device=cpu).hard
        False
        """
        return self.kind != "callable"

    @classmethod
    def parse(cls, variable: str, spec: Any, *, cardinality: int | None, dtype: torch.dtype,
              device: torch.device, numpy_callable: bool = False,
              labels: Sequence[Any] | None = None) -> "Intervention":
        """Check ``spec`` and hold it as a value, a per-row tensor or a callable.

        A discrete variable's values are read by its ``labels`` (``do({"smoker": True})``,
        ``do({"x": "lo"})``; see :mod:`causalworld.scm.labels`) and held as codes; a pandas
        Series is one value per row, like an array.

        Examples
        --------
        >>> cpu = torch.device("cpu")
        >>> Intervention.parse("x", [1, 2], cardinality=None, dtype=torch.float32, device=cpu).value
        tensor([1., 2.])
        >>> Intervention.parse("light", "on", cardinality=2, dtype=torch.float32, device=cpu,
        ...                    labels=["off", "on"]).value
        1
        >>> Intervention.parse("x", float("nan"), cardinality=None, dtype=torch.float32, device=cpu)
        Traceback (most recent call last):
        ...
        causalworld.errors.NonFiniteError: do(x=nan): intervention values must be finite
        """
        if callable(spec) and not isinstance(spec, Tensor):
            return cls(variable, "callable", spec, numpy_callable)
        if isinstance(spec, (pd.Series, pd.Index)):
            spec = spec.to_numpy(copy=True)
        if cardinality is not None and not isinstance(spec, Tensor):
            return cls._parse_discrete(variable, spec, labels or default_labels(cardinality), device)
        if isinstance(spec, (bool, np.bool_)):
            spec = int(spec)
        if isinstance(spec, numbers.Number) and not isinstance(spec, numbers.Real):
            raise DTypeError(f"do({variable}={spec!r}): intervention values must be real numbers, not {type(spec).__name__}")
        if isinstance(spec, (np.ndarray, Tensor)) and (spec.dtype.is_complex if isinstance(spec, Tensor) else spec.dtype.kind == "c"):
            raise DTypeError(f"do({variable}=...): intervention values must be real numbers, got dtype {spec.dtype}")
        if isinstance(spec, numbers.Number) or (isinstance(spec, (np.ndarray, Tensor)) and spec.ndim == 0):
            v = float(spec) if not isinstance(spec, Tensor) else float(spec.item())
            if not np.isfinite(v):
                raise NonFiniteError(f"do({variable}={v}): intervention values must be finite")
            if abs(v) > torch.finfo(dtype).max:
                raise OutOfRangeError(f"do({variable}={v}): the value does not fit in the model's {dtype}; use float64")
            if cardinality is not None:
                if v != round(v) or not 0 <= v < cardinality:
                    raise OutOfRangeError(
                        f"do({variable}={v}): {variable!r} is discrete, so its value must be a code 0..{cardinality - 1}"
                    )
                return cls(variable, "value", int(v))
            return cls(variable, "value", v)
        if isinstance(spec, (np.ndarray, list, tuple)):
            try:
                arr = np.asarray(spec)
            except (TypeError, ValueError) as e:  # ragged lists
                raise ShapeError(f"do({variable}=...): cannot read {type(spec).__name__} as one value per row ({e})") from None
            if arr.dtype.kind not in "biuf":
                raise DTypeError(
                    f"do({variable}=...): got an array of {arr.dtype} values; give real numbers, "
                    "one per row (int codes for a discrete variable)"
                )
            spec = torch.as_tensor(arr)
        if isinstance(spec, Tensor):
            if spec.device.type != device.type:
                raise DeviceError(
                    f"do({variable}=...): the tensor is on {spec.device} but the model is on {device}; "
                    f"move it with .to('{device}')"
                )
            if spec.dim() == 1 and spec.numel() == 0:
                raise ShapeError(f"do({variable}=...): the tensor is empty; give one value per row")
            if spec.dim() != 1:
                raise ShapeError(
                    f"do({variable}=...): a tensor intervention has one value per row, shape [N]; got {tuple(spec.shape)}"
                )
            if spec.dtype.is_floating_point and not bool(torch.isfinite(spec).all()):
                raise NonFiniteError(f"do({variable}=...): the tensor has NaN or infinite values")
            if cardinality is not None:
                if spec.dtype.is_floating_point and not bool((spec == spec.round()).all()):
                    raise OutOfRangeError(f"do({variable}=...): {variable!r} is discrete; give int64 codes")
                spec = spec.long()
                if spec.numel() and (int(spec.min()) < 0 or int(spec.max()) >= cardinality):
                    raise OutOfRangeError(f"do({variable}=...): codes must lie in 0..{cardinality - 1}")
                return cls(variable, "tensor", spec)
            out = spec.to(dtype)
            if not bool(torch.isfinite(out).all()):
                raise OutOfRangeError(f"do({variable}=...): values do not fit in the model's {dtype}; use float64")
            return cls(variable, "tensor", out)
        raise DTypeError(
            f"do({variable}=...): got {type(spec).__name__}; give a number, a tensor of one value per row, "
            "or a callable of the value the variable would have taken"
        )

    @classmethod
    def _parse_discrete(cls, variable: str, spec: Any, labels: Sequence[Any], device: torch.device) -> "Intervention":
        scalar = np.ndim(spec) == 0
        if not scalar and isinstance(spec, (list, tuple)) and not spec:
            raise ShapeError(f"do({variable}=...): the list is empty; give one value per row")
        try:
            arr = np.asarray([spec] if scalar else spec, dtype=object if scalar else None)
        except (TypeError, ValueError) as e:  # ragged lists
            raise ShapeError(f"do({variable}=...): cannot read {type(spec).__name__} as one value per row ({e})") from None
        if arr.ndim != 1:
            raise ShapeError(f"do({variable}=...): give one value per row, shape [N]; got {arr.shape}")
        if arr.size == 0:
            raise ShapeError(f"do({variable}=...): the array is empty; give one value per row")
        if scalar and isinstance(spec, numbers.Number) and not isinstance(spec, numbers.Real):
            raise DTypeError(f"do({variable}={spec!r}): intervention values must be real numbers or labels")
        if scalar:  # one value: read it with the dtype numpy gives it, not as an object
            arr = np.asarray([spec])
        try:
            codes = encode(variable, arr, labels)
        except (OutOfRangeError, DTypeError, NonFiniteError) as e:
            raise type(e)(f"do({variable}=...): {e}") from None
        if scalar:
            return cls(variable, "value", int(codes[0]))
        return cls(variable, "tensor", torch.from_numpy(codes).to(device))

    def materialize(self, n: int, *, dtype: torch.dtype, device: torch.device, repeat: int = 1) -> Tensor:
        """The hard values for ``n`` rows (a per-row tensor of N values is tiled ``repeat`` times).

        Examples
        --------
        >>> cpu = torch.device("cpu")
        >>> iv = Intervention.parse("x", 0.5, cardinality=None, dtype=torch.float32, device=cpu)
        >>> iv.materialize(3, dtype=torch.float32, device=cpu)
        tensor([0.5000, 0.5000, 0.5000])
        >>> per_row = Intervention.parse("x", [1, 2], cardinality=None, dtype=torch.float32, device=cpu)
        >>> per_row.materialize(4, dtype=torch.float32, device=cpu, repeat=2)
        tensor([1., 2., 1., 2.])
        """
        if self.kind == "value":
            return torch.full((n,), self.value, dtype=torch.long if isinstance(self.value, int) and dtype == torch.long
                              else dtype, device=device)
        t = self.value
        if t.shape[0] * repeat != n:
            raise ShapeError(
                f"do({self.variable}=...) has {t.shape[0]} values but the batch has {n // max(repeat, 1)} rows; "
                "give one value per row or a single number"
            )
        return t.repeat(repeat) if repeat > 1 else t


_INTS = (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8)


def _is_scalar(out: Any) -> bool:
    return isinstance(out, numbers.Number) or (isinstance(out, (np.ndarray, np.generic, Tensor)) and np.ndim(out) == 0)


def apply_callable(iv: Intervention, would_be: Tensor, *, labels: Sequence[Any] | None = None) -> Tensor:
    """Apply a soft intervention to a whole column, with DoWhy's per-value semantics as fallback.

    The callable is first called on the whole column (a tensor, or a numpy array for DoWhy's
    verbs). A scalar result is broadcast; an ``[N]`` result is used as is. Any other result makes
    us call it once per value, as DoWhy does; then only a non-scalar result per value raises.

    For a discrete variable (``labels`` given) the callable may answer with labels or codes, and
    a numpy callable (DoWhy's verbs) receives the labels, as DoWhy hands over its class names;
    the result is int64 codes.

    Examples
    --------
    >>> cpu = torch.device("cpu")
    >>> shift = Intervention.parse("x", lambda x: x + 1, cardinality=None, dtype=torch.float32, device=cpu)
    >>> apply_callable(shift, torch.tensor([0.0, 1.0]))
    tensor([1., 2.])
    >>> only_scalars = Intervention.parse("x", lambda v: 2.0 if float(v) > 0 else 0.0, cardinality=None,
    ...                                   dtype=torch.float32, device=cpu)
    >>> apply_callable(only_scalars, torch.tensor([-1.0, 1.0]))  # called once per value
    tensor([0., 2.], dtype=torch.float64)
    """
    if labels is not None:
        return _apply_labelled(iv, would_be, labels)
    f: Callable = iv.value
    n = would_be.shape[0]
    arg: Any = would_be.detach().cpu().numpy() if iv.numpy_callable else would_be
    try:
        out = f(arg)
    except Exception:  # noqa: BLE001 - some callables only take single values; try those below
        out = None
    result: Tensor | None = None
    finite = False
    try:
        if out is not None and _is_scalar(out):
            finite = math.isfinite(float(out))  # one number: no pass over the broadcast column
            result = torch.full((n,), float(out), dtype=would_be.dtype if would_be.dtype.is_floating_point else torch.float64,
                                device=would_be.device)
        elif out is not None and np.shape(out) == (n,):
            result = torch.as_tensor(np.asarray(out) if not isinstance(out, Tensor) else out, device=would_be.device)
            if not (result.dtype.is_floating_point or result.dtype == torch.bool or result.dtype in _INTS):
                raise TypeError(f"dtype {result.dtype}")
    except (TypeError, ValueError, RuntimeError) as e:
        raise InterventionError(
            f"the intervention on {iv.variable!r} returned {type(out).__name__} values that are not real numbers ({e}); "
            "return a number or an array of numbers"
        ) from None
    if result is None:
        values = []
        for i, x in enumerate(would_be.detach().cpu().numpy() if iv.numpy_callable else would_be.unbind(0)):
            try:
                y = f(x)
            except Exception as e:  # noqa: BLE001 - the user's code; report which variable and value
                raise InterventionError(
                    f"the intervention on {iv.variable!r} raised {type(e).__name__}: {e} (at row {i}, value {float(x)}); "
                    "fix the callable so it accepts the value the variable would have taken"
                ) from e
            if not _is_scalar(y):
                raise InterventionError(
                    f"the intervention on {iv.variable!r} returned shape {np.shape(y)} for one value; "
                    "it must return one number per value (or an array of the column's shape)"
                )
            try:
                values.append(float(y))
            except (TypeError, ValueError) as e:
                raise InterventionError(
                    f"the intervention on {iv.variable!r} returned {y!r}, not a real number ({e})"
                ) from None
        result = torch.tensor(values, dtype=torch.float64, device=would_be.device)
    if result.dtype.is_floating_point and not finite and not bool(torch.isfinite(result).all()):
        raise InterventionError(f"the intervention on {iv.variable!r} returned NaN or infinite values")
    return result


def _apply_labelled(iv: Intervention, would_be: Tensor, labels: Sequence[Any]) -> Tensor:
    """:func:`apply_callable` for a discrete variable: labels in (numpy callables), codes out."""
    f: Callable = iv.value
    n = would_be.shape[0]
    arg: Any = decode(would_be.detach().cpu().numpy(), labels) if iv.numpy_callable else would_be

    def codes(x: Any) -> np.ndarray:
        x = x.detach().cpu().numpy() if isinstance(x, Tensor) else x
        try:
            return encode(iv.variable, np.asarray(x), labels)
        except (OutOfRangeError, DTypeError, NonFiniteError) as e:
            raise InterventionError(
                f"the intervention on {iv.variable!r} returned a value that is not one of its categories: {e}"
            ) from None

    try:
        out = f(arg)
    except Exception:  # noqa: BLE001 - some callables only take single values; try those below
        out = None
    if out is not None and np.ndim(out) == 0 and not isinstance(out, (list, tuple)):
        result = np.full(n, codes([out.item() if isinstance(out, (Tensor, np.ndarray)) else out])[0])
    elif out is not None and np.shape(out) == (n,):
        result = codes(out)
    else:
        result = np.empty(n, dtype=np.int64)
        values = arg if iv.numpy_callable else would_be.unbind(0)
        for i, x in enumerate(values):
            try:
                y = f(x)
            except Exception as e:  # noqa: BLE001 - the user's code; report which variable and value
                raise InterventionError(
                    f"the intervention on {iv.variable!r} raised {type(e).__name__}: {e} (at row {i}, value {x!r}); "
                    "fix the callable so it accepts the value the variable would have taken"
                ) from e
            if np.ndim(y) != 0:
                raise InterventionError(
                    f"the intervention on {iv.variable!r} returned shape {np.shape(y)} for one value; "
                    "it must return one label or code per value (or an array of the column's shape)"
                )
            result[i] = codes([y.item() if isinstance(y, (Tensor, np.ndarray)) else y])[0]
    return torch.from_numpy(result).to(would_be.device)
