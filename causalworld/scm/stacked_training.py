"""Many small MLP regressions trained at once, as one stacked network.

:meth:`causalworld.SCM.fit` gives every continuous variable with parents an additive-noise MLP
(and averages several *members* per variable). Each network is small (a few inputs, two 32-unit
layers). Here every member of every variable is one slice of a stacked network (weights
``[k, in, out]``, batched matrix products), so each optimiser step serves all of them, and members
whose training is over leave the stack.

Each member keeps what it would have alone: its initial weights (drawn from its seed, as
:class:`~causalworld.scm.mechanisms.AdditiveNoiseMLP` draws them), its rows, its held-out rows,
its mini-batches (from a generator of its own), its loss (the mean over its own rows), its Adam
state (Adam works elementwise) and its early stopping. A variable's mechanism therefore does not
depend on which other variables share the pass. Inputs of members with fewer parents are padded
with zero columns whose first-layer weights start at zero and, with zero gradient, stay there.

Training is by Adam on the mean squared error of standardised targets, on mini-batches of
``batch_size`` rows drawn with replacement (full batch for members with fewer rows), with a cosine
learning rate over ``steps``. What counts is the running average of the weights over the last ~50
steps (it takes out the mini-batch noise): held-out error is measured on it every ``check_every``
steps, training stops after ``patience`` checks without improvement, and the result is the
average at the best held-out error. With ``refit`` the network is instead trained again from the
same initial weights on all rows for the number of steps held-out error picked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor
from tqdm.auto import tqdm

from causalworld.scm.mechanisms import AdditiveNoiseMLP

__all__ = ["StackedFit", "train_stacked"]

# Mini-batch indices are drawn this many steps at a time (one generator call per member per chunk).
_CHUNK = 64
_MASK64 = (1 << 64) - 1
_EMA = 0.98


@dataclass
class StackedFit:
    """One member's result of :func:`train_stacked`.

    Attributes
    ----------
    net
        The trained network with its input and output scalings set, in the task's dtype and on its
        device (its ``noise_std`` is left for the caller to set).
    best_step
        The step count held-out error picked (``steps`` without held-out rows).
    val_mse
        The held-out mean squared error at that step, in standardised target units (NaN without
        held-out rows).
    val_rows, train_rows
        The member's held-out and training row indices (``val_rows`` empty without held-out rows).

    Examples
    --------
    >>> X = torch.randn(300, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    >>> fit = train_stacked([(X, X[:, 0].sin())], [0], hidden=(8,), steps=50)[0]
    >>> type(fit.net).__name__, len(fit.val_rows) + len(fit.train_rows)
    ('AdditiveNoiseMLP', 300)
    """

    net: AdditiveNoiseMLP
    best_step: int
    val_mse: float
    val_rows: Tensor
    train_rows: Tensor


def train_stacked(tasks: Sequence[tuple[Tensor, Tensor]], seeds: Sequence[int], *,
                  hidden: tuple[int, ...] = (32, 32), steps: int = 1200, lr: float = 1e-2,
                  weight_decay: float = 1e-4, batch_size: int | None = 512, val_fraction: float = 0.2,
                  min_val_rows: int = 100, check_every: int = 20, patience: int = 5,
                  refit: bool = False,
                  select: Callable[[list[StackedFit]], Sequence[bool]] | None = None,
                  progress: bool = False) -> list[StackedFit]:
    """Train one tanh MLP ``y ~ net(X)`` per task (``(X [n, p], y [n])``, seed), side by side.

    Parameters
    ----------
    tasks
        The regressions: inputs ``[n_i, p_i]`` and targets ``[n_i]``, any float dtype, one device.
    seeds
        One seed per task: its initial weights, held-out split and mini-batches.
    hidden, steps, lr, weight_decay
        Hidden widths, most optimiser steps, Adam's learning rate and weight decay.
    batch_size
        Rows per step and member (drawn with replacement); ``None`` for full batch.
    val_fraction, min_val_rows, check_every, patience
        With at least ``min_val_rows`` rows a ``val_fraction`` of a task's rows is held out; every
        ``check_every`` steps their error is measured, and a member stops after ``patience``
        checks without improvement.
    refit
        Train again on all rows for the number of steps held-out error picked.
    select
        Called with the fits after the held-out phase (their ``net`` not yet set); returns which
        tasks to go on with. The others are not trained again and keep their best held-out
        weights (``SCM.fit``'s ``"auto"`` drops those that do not beat a linear fit).
    progress
        Show a progress bar over optimiser steps.

    Returns
    -------
    list of StackedFit
        One per task, in order.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(400, 2, generator=g, dtype=torch.float64)
    >>> tasks = [(X[:, :1], X[:, 0].tanh()), (X, X[:, 0] * X[:, 1])]
    >>> fits = train_stacked(tasks, [0, 1], hidden=(16, 16))
    >>> [f.net.n_parents for f in fits], [round(f.val_mse, 1) for f in fits]
    ([1, 2], [0.0, 0.0])
    """
    if len(tasks) != len(seeds):
        raise ValueError(f"{len(tasks)} tasks but {len(seeds)} seeds")
    if not tasks:
        return []
    k = len(tasks)
    X0 = tasks[0][0]
    device, train_dtype = X0.device, torch.float32
    widths = [int(X.shape[1]) for X, _ in tasks]
    ns = [int(X.shape[0]) for X, _ in tasks]
    P, n_max = max(widths), max(ns)
    # standardised inputs and targets, padded to [k, n_max, P] / [k, n_max]
    xs = torch.zeros(k, n_max, P, dtype=train_dtype, device=device)
    ts = torch.zeros(k, n_max, dtype=train_dtype, device=device)
    for i, (X, y) in enumerate(tasks):
        xs[i, :ns[i], :widths[i]] = ((X - X.mean(0)) / X.std(0).clamp_min(1e-8)).to(train_dtype)
        ts[i, :ns[i]] = ((y - y.mean()) / y.std().clamp_min(1e-8)).to(train_dtype)
    n_val = [int(val_fraction * n) if n >= min_val_rows else 0 for n in ns]
    perms = [torch.randperm(n, generator=torch.Generator().manual_seed(s)) for n, s in zip(ns, seeds)]
    val_rows = [q[:v] for q, v in zip(perms, n_val)]
    train_rows = [q[v:] for q, v in zip(perms, n_val)]
    held_out = any(n_val)
    params = _init(widths, P, hidden, seeds, train_dtype, device)
    # every member first trains on its training rows (all rows without held-out ones), stopping
    # early on its held-out rows where it has them
    best_step, val_mse, final = _train(
        params, xs, ts, _Rows(train_rows, device), [steps] * k, _generators(seeds, 1), steps=steps, lr=lr,
        weight_decay=weight_decay, batch_size=batch_size, val=_Rows(val_rows, device) if held_out else None,
        check_every=check_every, patience=patience, keep_best=not refit or select is not None,
        progress=progress, desc=f"training {k} MLPs")
    redo = [True] * k
    if select is not None:
        provisional = [StackedFit(None, int(b), float(e), v, t)  # type: ignore[arg-type]
                       for b, e, v, t in zip(best_step, val_mse, val_rows, train_rows)]
        redo = [bool(r) for r in select(provisional)]
    todo = [i for i in range(k) if refit and redo[i] and n_val[i]]
    if todo:  # then trains again from the same start on all its rows, for the steps held-out error picked
        sub = _init([widths[i] for i in todo], P, hidden, [seeds[i] for i in todo], train_dtype, device)
        every = [torch.arange(ns[i]) for i in todo]
        _, _, again = _train(sub, xs[todo], ts[todo], _Rows(every, device), [best_step[i] for i in todo],
                             _generators([seeds[i] for i in todo], 2), steps=steps, lr=lr,
                             weight_decay=weight_decay, batch_size=batch_size, progress=progress,
                             desc=f"refitting {len(todo)} MLPs on all rows")
        for j, i in enumerate(todo):
            for layer, t in zip(final, again):
                layer[i] = t[j]
    fits = []
    for i, (X, y) in enumerate(tasks):
        with torch.random.fork_rng(devices=[]):  # its initial weights are overwritten: keep the user's stream
            net = AdditiveNoiseMLP(widths[i], hidden=hidden, activation="tanh").to(dtype=X.dtype, device=device)
        with torch.no_grad():
            for li, lin in enumerate(net._linears):
                w = final[2 * li][i]
                lin.weight.copy_((w[:widths[i]] if li == 0 else w).T)
                lin.bias.copy_(final[2 * li + 1][i].squeeze(0))
            net.in_shift.copy_(X.mean(0))
            net.in_scale.copy_(X.std(0).clamp_min(1e-8))
            net.out_shift.copy_(y.mean())
            net.out_scale.copy_(y.std().clamp_min(1e-8))
        fits.append(StackedFit(net, int(best_step[i]), float(val_mse[i]), val_rows[i], train_rows[i]))
    return fits


class _Rows:
    """Each member's rows (indices into its padded data), padded to ``[k, m]``, with counts."""

    def __init__(self, rows: list[Tensor], device: torch.device) -> None:
        self.counts = torch.tensor([len(r) for r in rows], dtype=torch.long)
        m = max(1, int(self.counts.max()))
        self.index = torch.zeros(len(rows), m, dtype=torch.long)
        for i, r in enumerate(rows):
            self.index[i, :len(r)] = r
        self.weight = (torch.arange(m) < self.counts[:, None]).float()
        self.index, self.weight = self.index.to(device), self.weight.to(device)


def _generators(seeds: Sequence[int], stream: int) -> list[torch.Generator]:
    """One mini-batch generator per member, a stream apart from its split and initial weights."""
    return [torch.Generator().manual_seed((s * 1_000_003 + 7919 * stream) & _MASK64) for s in seeds]


def _init(widths: list[int], P: int, hidden: tuple[int, ...], seeds: Sequence[int], dtype: torch.dtype,
          device: torch.device) -> list[Tensor]:
    """Each member's initial weights (as ``AdditiveNoiseMLP`` draws them from its seed), stacked per
    layer as a weight ``[k, in, out]`` (first layer zero-padded to ``P`` inputs) and a bias
    ``[k, 1, out]``: leaves that require grad."""
    layers: list[list[Tensor]] = []
    for p, s in zip(widths, seeds):
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(s)
            net = AdditiveNoiseMLP(p, hidden=hidden, activation="tanh").to(dtype=dtype, device=device)
        mine = []
        for li, lin in enumerate(net._linears):
            w = lin.weight.detach().T
            if li == 0 and p < P:
                w = torch.cat([w, w.new_zeros(P - p, w.shape[1])])
            mine += [w, lin.bias.detach().unsqueeze(0)]
        layers.append(mine)
    return [torch.stack([m[j] for m in layers]).contiguous().requires_grad_(True) for j in range(len(layers[0]))]


class _Tanh(torch.autograd.Function):
    """``tanh`` computed as ``2 sigmoid(2x) - 1``: the same function to float32 rounding (within
    ~1e-7), at less than half the cost of ``torch.tanh`` on CPUs whose vector library lacks a fast
    tanh (340 µs against 150 µs for ``[12, 256, 32]`` on the 2-core machine). Training only: the
    fitted mechanism computes ``torch.tanh``."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:  # type: ignore[override]
        y = torch.sigmoid(x * 2).mul_(2).sub_(1)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:  # type: ignore[override]
        (y,) = ctx.saved_tensors
        return torch.ops.aten.tanh_backward(grad, y)


def _forward(params: list[Tensor], x: Tensor) -> Tensor:
    """``[k, N, P] -> [k, N]``: every member's network on its own rows."""
    h = x
    last = len(params) // 2 - 1
    for li in range(last + 1):
        h = torch.baddbmm(params[2 * li + 1], h, params[2 * li])
        if li < last:
            h = _Tanh.apply(h)
    return h.squeeze(-1)


class _Adam:
    """Adam with L2 weight decay (``torch.optim.Adam``'s ``weight_decay``) over stacked member
    weights, from which finished members can be dropped (:meth:`keep`) so they cost nothing more.

    Written here rather than taken from ``torch.optim`` for that, and because the first
    ``torch.optim`` optimiser of a process imports ``torch._dynamo`` (1.3 s on the 2-core machine,
    more than a whole small fit)."""

    def __init__(self, params: list[Tensor], weight_decay: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.weight_decay, self.betas, self.eps, self.t = weight_decay, betas, eps, 0

    def step(self, params: list[Tensor], grads: list[Tensor], lr: float) -> None:
        self.t += 1
        b1, b2 = self.betas
        grads = torch._foreach_add(grads, params, alpha=self.weight_decay)
        torch._foreach_lerp_(self.m, grads, 1 - b1)
        torch._foreach_mul_(self.v, b2)
        torch._foreach_addcmul_(self.v, grads, grads, value=1 - b2)
        denom = torch._foreach_sqrt(self.v)
        torch._foreach_div_(denom, math.sqrt(1 - b2 ** self.t))
        torch._foreach_add_(denom, self.eps)
        torch._foreach_addcdiv_(params, self.m, denom, value=-lr / (1 - b1 ** self.t))

    def keep(self, which: Tensor) -> None:
        self.m = [t[which] for t in self.m]
        self.v = [t[which] for t in self.v]


def _train(params: list[Tensor], xs: Tensor, ts: Tensor, rows: _Rows, n_steps: list[int],
           gens: list[torch.Generator], *, steps: int, lr: float, weight_decay: float, batch_size: int | None,
           val: _Rows | None = None, check_every: int = 20, patience: int = 5, keep_best: bool = False,
           progress: bool = False, ema: float = _EMA, desc: str = "") -> tuple[list[int], list[float], list[Tensor]]:
    """Train the stacked members, member ``i`` for ``n_steps[i]`` steps or until its held-out error
    stops improving. Returns each member's best step, its held-out error there, and per layer the
    stacked weights each member ended with (with ``keep_best``: at its best held-out error).

    What a member ends with is the running average of its weights over the last ~``1 / (1 - ema)``
    steps (Polyak averaging), which takes out most of the mini-batch noise; held-out error is
    measured on it too. The learning rate follows a cosine from ``lr`` to 0 over ``steps``."""
    k, n_max = xs.shape[0], xs.shape[1]
    device = xs.device
    flat_x, flat_t = xs.reshape(k * n_max, -1), ts.reshape(-1)
    width = rows.index.shape[1]
    B = width if batch_size is None else min(int(batch_size), width)
    full = B >= width  # every member trains on all its rows at every step
    small = rows.counts <= B  # members that do so anyway
    limit = torch.tensor(n_steps)
    best = torch.full((k,), float("inf"))
    best_step = limit.clone()
    stale = torch.zeros(k, dtype=torch.long)
    has_val = val.counts > 0 if val is not None else torch.zeros(k, dtype=torch.bool)
    final = [p.detach().clone() for p in params]
    kept = [p.detach().clone() for p in params] if keep_best else None

    live = torch.arange(k)[limit > 0]  # the members still training (their indices)
    params = [p.detach()[live.to(device)].requires_grad_(True) for p in params]
    avg = [p.detach().clone() for p in params]  # their running average, which is what counts
    opt = _Adam(params, weight_decay)

    def take(index: Tensor) -> tuple[Tensor, Tensor]:
        """Rows ``index [len(live), m]`` of the live members' data: inputs and targets."""
        flat = (index + (live.to(device) * n_max)[:, None]).reshape(-1)
        return (flat_x.index_select(0, flat).view(len(live), index.shape[1], flat_x.shape[1]),
                flat_t.index_select(0, flat).view(len(live), -1))

    def live_data() -> tuple:
        """What the live members train and are checked on (recomputed when members leave)."""
        on = live.to(device)
        w = rows.weight[on][:, :B] if full else torch.where(small[live][:, None], (torch.arange(B) < rows.counts[live][:, None]).float(), 1.0).to(device)
        batch = take(rows.index[on]) if full else None
        checks = (take(val.index[on]), val.weight[on]) if val is not None else None
        return w, w.sum(1).clamp_min(1), batch, checks

    bw, bden, batch, checks = live_data()
    chunk = None
    for step in tqdm(range(int(limit.max()) if len(live) else 0), desc=desc, disable=not progress, leave=False):
        if full:
            bx, bt = batch
        else:
            if step % _CHUNK == 0:  # each live member draws its next _CHUNK mini-batches from its own generator
                pos = _draw([gens[i] for i in live.tolist()], rows.counts[live], small[live], B).to(device)
                chunk = rows.index[live.to(device)].gather(1, pos.view(len(live), -1)).view(len(live), _CHUNK, B)
            bx, bt = take(chunk[:, step % _CHUNK])
        loss = ((_forward(params, bx) - bt).pow(2) * bw).sum(1).div(bden).sum()  # one mean per member
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            opt.step(params, list(grads), lr * 0.5 * (1 + math.cos(math.pi * step / steps)))
            torch._foreach_lerp_(avg, params, max(1.0 - ema, 1.0 / (step + 1)))
            leaving = limit[live] <= step + 1
            if checks is not None and (step + 1) % check_every == 0:
                (vx, vt), vw = checks
                err = (((_forward(avg, vx) - vt).pow(2) * vw).sum(1) / vw.sum(1).clamp_min(1)).cpu()
                judged = has_val[live]
                better = judged & (err < best[live])
                ids = live[better]
                best[ids], best_step[ids] = err[better], step + 1
                stale[ids] = 0
                worse = live[judged & ~better]
                stale[worse] += 1
                if kept is not None and len(ids):
                    for t, p in zip(kept, avg):
                        t[ids.to(device)] = p[better.to(device)]
                leaving |= judged & (stale[live] >= patience)
            if bool(leaving.any()):
                for t, p in zip(final, avg):
                    t[live[leaving].to(device)] = p[leaving.to(device)]
                stay = ~leaving
                live = live[stay]
                on = stay.to(device)
                params = [p.detach()[on].requires_grad_(True) for p in params]
                avg = [p[on] for p in avg]
                opt.keep(on)
                if not len(live):
                    break
                if chunk is not None:
                    chunk = chunk[on]
                bw, bden, batch, checks = live_data()
    if kept is not None:
        improved = torch.isfinite(best).to(device)
        for t, kb in zip(final, kept):
            t[improved] = kb[improved]
    mse = torch.where(torch.isfinite(best), best, float("nan")).tolist()
    return best_step.tolist(), mse, final


def _draw(gens: list[torch.Generator], counts: Tensor, small: Tensor, B: int) -> Tensor:
    """The next ``_CHUNK`` steps' mini-batch positions ``[len(gens), _CHUNK, B]``, drawn with
    replacement from each member's ``counts`` rows (members with at most ``B`` rows: all of them,
    padded, their padding weighted 0)."""
    pos = torch.empty(len(gens), _CHUNK, B, dtype=torch.long)
    for i, g in enumerate(gens):
        c = int(counts[i])
        if small[i]:
            pos[i] = torch.arange(B).clamp_max(max(c - 1, 0))
        else:
            pos[i] = torch.randint(c, (_CHUNK, B), generator=g)
    return pos
