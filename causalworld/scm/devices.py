"""The one device rule: every ``device=`` a user gives becomes a usable ``torch.device`` here.

``torch.device`` accepts names that cannot hold data (``"meta"``) or that this machine lacks
(``"cuda"`` without CUDA, ``"cuda:3"`` on a one-GPU machine); those would fail later with raw
``RuntimeError`` or ``AssertionError`` deep inside a query. :func:`as_device` refuses them at once
with a :class:`~causalworld.errors.DeviceError` naming what this machine has.
"""

from __future__ import annotations

from typing import Any

import torch

from causalworld.errors import DeviceError

__all__ = ["as_device", "available_devices"]


def available_devices() -> list[str]:
    """Device names this machine can compute on, e.g. ``['cpu', 'cuda:0']``.

    Examples
    --------
    >>> names = available_devices()
    >>> names[0], all(as_device(n).type in ("cpu", "cuda", "mps") for n in names)
    ('cpu', True)
    """
    names = ["cpu"]
    if torch.cuda.is_available():
        names += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        names.append("mps")
    return names


def as_device(device: Any) -> torch.device:
    """``device`` as a ``torch.device`` this machine can hold tensors on.

    Raises
    ------
    DeviceError
        Not a device name, the data-less ``"meta"`` device, or a device this machine lacks.

    Examples
    --------
    >>> as_device("cpu")
    device(type='cpu')
    >>> as_device("meta")
    Traceback (most recent call last):
    ...
    causalworld.errors.DeviceError: device 'meta' holds no data, so nothing can be computed on it; ...
    """
    if isinstance(device, torch.device):
        dev = device
    elif isinstance(device, (str, int)) and not isinstance(device, bool):
        try:
            dev = torch.device(device)
        except (RuntimeError, TypeError, ValueError) as e:
            raise DeviceError(f"{device!r} is not a torch device ({e}); use one of {available_devices()}") from None
    else:
        raise DeviceError(f"device must be a name such as 'cpu' or 'cuda', or a torch.device; got {type(device).__name__}")
    here = available_devices()
    if dev.type == "meta":
        raise DeviceError(f"device {str(device)!r} holds no data, so nothing can be computed on it; use one of {here}")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {str(device)!r} asks for CUDA, which this machine (or this torch build) lacks; use one of {here}")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise DeviceError(f"device {str(device)!r} does not exist: this machine has {torch.cuda.device_count()} CUDA device(s); use one of {here}")
    elif dev.type == "mps":
        if "mps" not in here:
            raise DeviceError(f"device {str(device)!r} asks for MPS, which this machine lacks; use one of {here}")
    elif dev.type != "cpu":
        try:
            torch.empty(0, device=dev)
        except (RuntimeError, AssertionError, NotImplementedError) as e:
            raise DeviceError(f"device {str(device)!r} is not usable here ({e}); use one of {here}") from None
    return dev
