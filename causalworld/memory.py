"""Memory estimates checked before a large allocation: a typed error instead of an allocator crash.

Every entry that allocates in proportion to a number a user gives (rows of ``SCM.sample``, draws
of ``counterfactual``, episodes of ``World.rollout``, an ``image_size``, a learner's sample
counts and layer sizes) first estimates the bytes it needs with a few multiplications and calls
:func:`check_memory`. Above the limit it raises :class:`~causalworld.errors.MemoryLimitError`
naming the size, the estimate, the limit and the way under it. The limit is the free memory of
the device (available RAM on the CPU, ``torch.cuda.mem_get_info`` on CUDA), or the number of
bytes in the environment variable ``CAUSALWORLD_MAX_BYTES`` when it is set (raise it to allow
more, lower it to keep a shared machine safe).
"""

from __future__ import annotations

import os
import re
from typing import Any

import torch

from causalworld.errors import ArgumentError, MemoryLimitError

__all__ = ["MAX_BYTES_ENV", "check_memory", "free_bytes", "memory_limit", "format_bytes"]

MAX_BYTES_ENV = "CAUSALWORLD_MAX_BYTES"

# Requests below this many bytes skip the free-memory probe (a file read): every machine that runs
# Python has this much, and the common small calls stay a few multiplications long.
_PROBE_ABOVE = 1 << 26

_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKmMgGtTpP]?)(i?)[bB]?\s*$")


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units, three significant digits.

    Examples
    --------
    >>> format_bytes(512), format_bytes(3 * 2**30), format_bytes(2**44)
    ('512 B', '3 GiB', '16 TiB')
    """
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if unit == "B" and abs(n) < 1024:
            return f"{int(n)} B"
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _parse_bytes(text: str) -> int:
    """``"8e9"``, ``"512M"``, ``"16GiB"`` as a number of bytes (k, M, G, T, P are powers of 1024)."""
    m = _SIZE.match(text)
    if m is None:
        raise ArgumentError(
            f"{MAX_BYTES_ENV}={text!r} is not a number of bytes; set it to e.g. 8e9, 512M or 16GiB (or unset it "
            "to use the free memory of the device)"
        )
    power = "kmgtp".find(m.group(2).lower()) + 1 if m.group(2) else 0
    number = m.group(1)
    if number.isdigit():  # exact, also past float's 2**53
        return int(number) * 1024**power
    return int(float(number) * 1024**power)


def free_bytes(device: Any = "cpu") -> int:
    """Bytes free on ``device`` now: available RAM on the CPU, free memory on a CUDA GPU.

    On the CPU this is ``psutil.virtual_memory().available`` when psutil is installed, else
    ``MemAvailable`` of ``/proc/meminfo``, else free pages times the page size.

    Examples
    --------
    >>> free_bytes("cpu") > 2**20
    True
    """
    dev = torch.device(device)
    if dev.type == "cuda":
        free, _total = torch.cuda.mem_get_info(dev)
        return int(free)
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        return int(psutil.virtual_memory().available)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def memory_limit(device: Any = "cpu", *, max_bytes: int | None = None) -> tuple[int, str]:
    """The byte limit a request on ``device`` is checked against, and where it comes from.

    ``max_bytes`` if given, else the ``CAUSALWORLD_MAX_BYTES`` environment variable if set, else
    :func:`free_bytes`.

    Examples
    --------
    >>> memory_limit("cpu", max_bytes=2**30)
    (1073741824, 'max_bytes=1073741824')
    >>> memory_limit("cpu")[0] > 2**20
    True
    """
    if max_bytes is not None:
        return int(max_bytes), f"max_bytes={int(max_bytes)}"
    env = os.environ.get(MAX_BYTES_ENV)
    if env:
        return _parse_bytes(env), f"{MAX_BYTES_ENV}={env}"
    dev = torch.device(device)
    return free_bytes(dev), f"the free memory of {dev}"


def _fitting(per_item: int, limit: int) -> str:
    """The largest power of ten of items whose bytes stay under half the limit, as ``10**k``."""
    k = 0
    while 10 ** (k + 1) * per_item <= limit // 2:
        k += 1
    return "1" if k == 0 else f"10**{k}"


def check_memory(nbytes: int, *, what: str, fix: str, per_item: int | None = None, device: Any = "cpu",
                 max_bytes: int | None = None) -> int:
    """Raise :class:`~causalworld.errors.MemoryLimitError` if ``nbytes`` is over the limit; else return it.

    Parameters
    ----------
    nbytes : int
        The estimated bytes of the request (working copies included).
    what : str
        The request as the user wrote it, e.g. ``"sample(n=1099511627776)"``.
    fix : str
        How to get under the limit; ``{fit}`` in it becomes the number of items (of ``per_item``
        bytes each) that fit in half the limit, as ``10**k``.
    per_item : int, optional
        Bytes per row, draw or episode, for ``{fit}``.
    device : str or torch.device, default="cpu"
        Where the request would allocate.
    max_bytes : int, optional
        The limit, overriding ``CAUSALWORLD_MAX_BYTES`` and the free memory.

    Returns
    -------
    int
        ``nbytes``.

    Raises
    ------
    MemoryLimitError
        ``nbytes`` is over the limit.
    ArgumentError
        ``CAUSALWORLD_MAX_BYTES`` is set to something that is not a number of bytes.

    Examples
    --------
    >>> check_memory(800, what="sample(n=100)", fix="draw fewer rows")
    800
    >>> check_memory(8 * 2**40, what="sample(n=2**40)", fix="draw {fit} rows at a time", per_item=8,
    ...              max_bytes=2**30)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    causalworld.errors.MemoryLimitError: sample(n=2**40) needs about 8 TiB of memory, more than the limit of 1 GiB ...
    """
    env_set = bool(os.environ.get(MAX_BYTES_ENV))
    if nbytes <= _PROBE_ABOVE and max_bytes is None and not env_set:
        return nbytes
    limit, source = memory_limit(device, max_bytes=max_bytes)
    if nbytes <= limit:
        return nbytes
    hint = fix.replace("{fit}", _fitting(per_item, limit)) if per_item else fix
    if max_bytes is not None:
        how = "pass a larger max_bytes"
    elif env_set:
        how = f"raise {MAX_BYTES_ENV} (bytes, e.g. {MAX_BYTES_ENV}=64GiB) if the machine has the memory"
    else:
        how = f"set {MAX_BYTES_ENV} (bytes, e.g. {MAX_BYTES_ENV}=64GiB) if more memory will be free when it runs"
    raise MemoryLimitError(
        f"{what} needs about {format_bytes(nbytes)} of memory, more than the limit of {format_bytes(limit)} "
        f"({source}); {hint}, or {how}"
    )
