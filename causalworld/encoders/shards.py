"""Training steps whose arithmetic does not depend on the thread count: a batch in fixed shards.

A CPU kernel splits its sums over the threads it runs on, so float32 results differ in their last
bits between thread counts, and training carries those differences forward until runs part ways.
Here every operation runs on one intra-op thread, and the parallelism comes from the batch instead:
the network reads a fixed number of contiguous shards of it, one worker thread each, and the
shards' weight gradients are summed in shard order. The numbers then depend on the number of
shards and not on how many threads the machine gives (one thread runs the shards one after
another and gets the same bits). On the 2-core CPU two shards train as fast as the whole batch
on two intra-op threads when the convolutions dominate a step (small convolutions split poorly
over threads), and somewhat slower when they do not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["Shards"]


class Shards:
    """Run a network over ``n`` contiguous shards of a batch, one thread each, with every torch
    operation on one intra-op thread; sum the shards' gradients in a fixed order.

    A context manager: inside it ``torch.get_num_threads()`` is 1 and ``min(n, threads)`` worker
    threads share the shards (``threads`` defaults to the thread count it found). :meth:`forward`
    gives the network's output with a gradient that stops there; after the loss's own
    ``backward()``, :meth:`backward` carries each shard's share of it through the network and
    writes the sums into the parameters' ``.grad``.

    Parameters
    ----------
    n : int
        Shards per batch (the arithmetic depends on it).
    threads : int, optional
        Worker threads (the arithmetic does not depend on it).

    Examples
    --------
    The same gradients whether one thread or two run the shards:

    >>> net = nn.Linear(3, 2)
    >>> x = torch.randn(8, 3, generator=torch.Generator().manual_seed(0))
    >>> grads = []
    >>> for threads in (1, 2):
    ...     with Shards(2, threads=threads) as shards:
    ...         y = shards.forward(net, x)
    ...         (y ** 2).sum().backward()
    ...         shards.backward(list(net.parameters()))
    ...     grads.append([p.grad.clone() for p in net.parameters()])
    ...     net.zero_grad(set_to_none=True)
    >>> all(torch.equal(a, b) for a, b in zip(*grads))
    True
    """

    def __init__(self, n: int, *, threads: int | None = None) -> None:
        self.n = int(n)
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._before = 0
        self._pending: list[tuple[Tensor, Tensor]] = []

    def __enter__(self) -> "Shards":
        self._before = torch.get_num_threads()
        workers = max(1, min(self.n, self.threads or self._before))
        torch.set_num_threads(1)
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="shard") if workers > 1 else None
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self._pending = []
        torch.set_num_threads(self._before)

    def _map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        if self._pool is None:
            return [fn(item) for item in items]
        return list(self._pool.map(fn, items))

    def forward(self, net: nn.Module | Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
        """``net(x)``, computed shard by shard; the gradient stops at the output until :meth:`backward`."""
        outs = self._map(net, x.chunk(self.n))
        leaves = [o.detach().requires_grad_() for o in outs]
        self._pending = list(zip(outs, leaves))
        return torch.cat(leaves)

    def no_grad(self, net: nn.Module | Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
        """``net(x)`` without gradients, shard by shard (grad mode is per thread, so each worker sets it)."""

        def run(chunk: Tensor) -> Tensor:
            with torch.no_grad():
                return net(chunk)

        return torch.cat(self._map(run, x.chunk(self.n)))

    def backward(self, params: list[nn.Parameter]) -> None:
        """Carry the gradient that reached :meth:`forward`'s output through each shard's graph and
        add the shards' sums, in shard order, to ``params``' ``.grad``."""
        pending, self._pending = self._pending, []

        def grads(pair: tuple[Tensor, Tensor]) -> tuple[Tensor | None, ...]:
            out, leaf = pair
            g = leaf.grad if leaf.grad is not None else torch.zeros_like(leaf)
            return torch.autograd.grad(out, params, g, allow_unused=True)

        per_shard = self._map(grads, pending)
        for i, p in enumerate(params):
            total: Tensor | None = None
            for shard in per_shard:
                if shard[i] is not None:
                    total = shard[i] if total is None else total + shard[i]
            if total is not None:
                p.grad = total if p.grad is None else p.grad + total
