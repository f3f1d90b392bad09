"""Large tables pass through an SCM a block of rows at a time: how many rows per block, and the
loop that runs the blocks and assembles their outputs.

A linear model's matrix path streams large blocks (bounded by :data:`CHUNK_BYTES` of working
set); evaluation mechanism by mechanism keeps each block's intermediates (the hidden layers of
every stacked MLP) in cache (:data:`~causalworld.scm.linear_form.CACHE_ROWS` rows), which is
several times faster. Where a block needs random draws, each block gets a generator of its own,
derived from the caller's, so the answer does not depend on the block size.

Examples
--------
>>> import torch
>>> out = in_row_blocks(lambda a, b, g: {"x": torch.arange(a, b) * 2.0}, 5, 2)
>>> out["x"]
tensor([0., 2., 4., 6., 8.])
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from causalworld.scm.linear_form import CACHE_ROWS
from causalworld.scm.seeding import SEED_MAX

__all__ = ["CHUNK_BYTES", "default_rows", "in_row_blocks"]

CHUNK_BYTES = 1 << 29  # a linear model's block: its working set stays near this many bytes

Values = dict[str, Tensor]


def default_rows(fast_linear: bool, n_variables: int, num_samples: int) -> int:
    """Rows per block for a model with ``n_variables`` variables, ``num_samples`` draws per row.

    Examples
    --------
    >>> default_rows(True, 10, 1), default_rows(False, 10, 1), default_rows(False, 10, 100)
    (838860, 16384, 256)
    """
    if fast_linear:
        return max(1, CHUNK_BYTES // (8 * max(n_variables, 1) * 8 * num_samples))
    return max(256, CACHE_ROWS // num_samples)


def in_row_blocks(run: Callable[[int, int, torch.Generator | None], Values], n: int, rows: int, *,
                  repeat: int = 1, generator: torch.Generator | None = None) -> Values:
    """``run(start, stop, generator)`` on consecutive blocks of ``rows`` of ``n`` rows, its
    outputs (``[repeat * (stop - start), ...]``, sample-major) assembled into ``[repeat * n, ...]``.

    The first block gets ``generator`` itself; once it has run, one number drawn from
    ``generator`` seeds a generator of its own for every later block (``None``: no generators).

    Examples
    --------
    >>> import torch
    >>> def twice(a, b, g):  # two draws per row, sample-major: [0..n) then [0..n) + 100
    ...     r = torch.arange(a, b, dtype=torch.float64)
    ...     return {"x": torch.cat([r, r + 100])}
    >>> in_row_blocks(twice, 3, 2, repeat=2)["x"]
    tensor([  0.,   1.,   2., 100., 101., 102.], dtype=torch.float64)
    """
    out: Values | None = None
    base: int | None = None
    for block, start in enumerate(range(0, n, rows)):
        stop = min(n, start + rows)
        gen = generator
        if generator is not None and block > 0:
            if base is None:  # drawn once the first block (which used the generator itself) is done
                base = int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device))
            gen = torch.Generator(device=generator.device).manual_seed((base + block * 0x9E3779B97F4A7C15) & SEED_MAX)
        part = run(start, stop, gen)
        if out is None:
            out = {v: torch.empty((repeat * n,) + t.shape[1:], dtype=t.dtype, device=t.device) for v, t in part.items()}
        for v, t in part.items():
            out[v].view(repeat, n, *t.shape[1:])[:, start:stop] = t.view(repeat, stop - start, *t.shape[1:])
    assert out is not None, "in_row_blocks needs n >= 1"
    return out
