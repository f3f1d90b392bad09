"""The one seed-to-generator rule: every seed a user gives becomes a ``torch.Generator`` here.

Queries on an SCM, the worlds' rollouts and the DoWhy-style verbs all call :func:`as_generator`,
so a seed means the same stream everywhere. Seeds are the non-negative 64-bit ints: torch reads a
negative seed modulo 2**64 (``-1`` and ``2**64 - 1`` gave one stream), so negatives are refused
instead of silently aliasing another seed.
"""

from __future__ import annotations

import numpy as np
import torch

from causalworld.errors import DTypeError, OutOfRangeError

__all__ = ["as_generator", "check_seed", "SEED_MAX"]

SEED_MAX = 2**64 - 1
"""The largest seed: torch generators hold 64 unsigned bits."""


def check_seed(seed: object, *, name: str = "seed", allow_none: bool = True) -> int | None:
    """``seed`` as a plain int in ``0..SEED_MAX`` (or ``None`` when allowed), else a typed error.

    Raises
    ------
    DTypeError
        ``seed`` is not an int (a bool, float or string is refused, not rounded or parsed).
    OutOfRangeError
        ``seed`` is negative or above ``SEED_MAX``.

    Examples
    --------
    >>> check_seed(7), check_seed(None)
    (7, None)
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    causalworld.errors.OutOfRangeError: seed must be an int in 0..18446744073709551615, got -1; ...
    """
    if seed is None and allow_none:
        return None
    if isinstance(seed, np.integer):
        seed = int(seed)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise DTypeError(f"{name} must be an int{' or None' if allow_none else ''}, got {type(seed).__name__} {seed!r}")
    if not 0 <= seed <= SEED_MAX:
        raise OutOfRangeError(
            f"{name} must be an int in 0..{SEED_MAX}, got {seed}; negative seeds would alias "
            "large ones (torch reads them modulo 2**64), so give a non-negative one"
        )
    return seed


def as_generator(seed: int | torch.Generator | None, device: torch.device | str) -> torch.Generator:
    """A ``torch.Generator`` on ``device`` from a seed (``None`` draws a fresh seed); a generator
    passes through unchanged.

    Examples
    --------
    >>> a = torch.rand(2, generator=as_generator(3, "cpu"))
    >>> torch.equal(a, torch.rand(2, generator=as_generator(3, "cpu")))
    True
    """
    if isinstance(seed, torch.Generator):
        return seed
    try:
        seed = check_seed(seed)
    except DTypeError:
        raise DTypeError(f"seed must be an int, a torch.Generator or None; got {type(seed).__name__} {seed!r}") from None
    g = torch.Generator(device=device)
    if seed is None:
        g.seed()
    else:
        g.manual_seed(seed)
    return g

