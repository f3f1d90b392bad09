"""Where the encoder's training batches come from: fresh episodes of a World, or recorded Episodes.

Each batch is a pure function of ``(seed, step)``, so a resumed run draws exactly the batches an
uninterrupted one would, and a batch can be split by rows across processes. From a World the
encoder acts as an agent: in every episode it sets each intervenable variable with probability
``p_set`` to a value drawn uniformly from its range, and knows only what it set. The values of
variables it did not set never reach training (:meth:`Episodes.set_values` is all it reads).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from causalworld.episodes import Episodes

__all__ = ["Batch", "WorldBatches", "EpisodeBatches", "step_generator"]


def step_generator(seed: int, step: int, stream: int = 0) -> torch.Generator:
    """The CPU generator of one training step: independent streams for every ``(seed, step, stream)``.

    Examples
    --------
    >>> a = torch.rand(2, generator=step_generator(0, 5))
    >>> bool(torch.equal(a, torch.rand(2, generator=step_generator(0, 5))))
    True
    """
    state = np.random.SeedSequence([int(seed), int(step), int(stream)]).generate_state(2, dtype=np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


@dataclass
class Batch:
    """One training batch: ``frames uint8 [B, T, C, H, W]``, what was set (``mask bool [B, m]``,
    ``values [B, m]`` standardised, 0 where unset) and, optionally, the same episodes replayed
    under another intervention (``cf_*``)."""

    frames: Tensor
    mask: Tensor
    values: Tensor
    cf_frames: Tensor | None = None
    cf_mask: Tensor | None = None
    cf_values: Tensor | None = None


def standardised(set_values: Tensor, mean: Tensor, std: Tensor) -> tuple[Tensor, Tensor]:
    """``(mask, values)`` from set values with NaN where unset: values standardised, 0 where unset."""
    mask = ~torch.isnan(set_values)
    values = torch.where(mask, (set_values - mean) / std, torch.zeros_like(set_values))
    return mask, values


class WorldBatches:
    """Fresh episodes of ``world`` at every step, each with its own random intervention."""

    def __init__(self, world, actions: tuple[str, ...], *, batch_size: int, seed: int, p_set: float,
                 counterfactual: bool) -> None:
        self.world, self.actions, self.batch_size, self.seed = world, actions, batch_size, seed
        self.p_set, self.counterfactual = p_set, counterfactual
        ranges = [world.intervenable[v] for v in actions]
        self.discrete = torch.tensor([isinstance(r, range) for r in ranges])
        self.low = torch.tensor([float(r.start) if isinstance(r, range) else float(r[0]) for r in ranges])
        self.high = torch.tensor([float(r.stop - 1) if isinstance(r, range) else float(r[1]) for r in ranges])
        # the moments of the uniform draws below: what the latents are calibrated against
        k = self.high - self.low + 1.0
        self.mean = (self.low + self.high) / 2
        self.std = torch.where(self.discrete, torch.sqrt((k * k - 1.0) / 12.0), (self.high - self.low) / math.sqrt(12.0))
        self.std = self.std.clamp_min(1e-6)

    def draw_do(self, g: torch.Generator, n: int) -> tuple[list[dict[str, float]], Tensor]:
        m = len(self.actions)
        mask = torch.rand(n, m, generator=g) < self.p_set
        u = torch.rand(n, m, generator=g)
        cont = self.low + u * (self.high - self.low)
        disc = torch.floor(self.low + u * (self.high - self.low + 1.0)).clamp(max=self.high)
        vals = torch.where(self.discrete, disc, cont)
        set_values = torch.where(mask, vals, torch.full_like(vals, float("nan")))
        rows = mask.tolist()
        do = [{v: (int(vals[i, j]) if self.discrete[j] else float(vals[i, j])) for j, v in enumerate(self.actions) if rows[i][j]}
              for i in range(n)]
        return do, set_values

    def __call__(self, step: int, rows: slice | None = None) -> Batch:
        g = step_generator(self.seed, step)
        do, set_values = self.draw_do(g, self.batch_size)
        world_seed = int(torch.randint(0, 2**62, (1,), generator=g))
        eps = self.world.rollout(self.batch_size, do=do, seed=world_seed)
        mask, values = standardised(set_values, self.mean, self.std)
        batch = Batch(eps.frames, mask, values)
        if self.counterfactual:
            cf_do, cf_set = self.draw_do(g, self.batch_size)
            batch.cf_frames = self.world.counterfactual_rollout(eps, cf_do).frames
            batch.cf_mask, batch.cf_values = standardised(cf_set, self.mean, self.std)
        if rows is not None:
            batch = Batch(*(None if t is None else t[rows] for t in vars(batch).values()))
        return batch


class EpisodeBatches:
    """Batches of recorded episodes, reshuffled every epoch (an epoch's order is a function of its seed)."""

    def __init__(self, episodes: Episodes, actions: tuple[str, ...], rows: Tensor, *, batch_size: int, seed: int) -> None:
        self.episodes, self.rows, self.batch_size, self.seed = episodes, rows, batch_size, seed
        cols = [episodes.names.index(v) for v in actions]
        sv = episodes.set_values()[:, cols].cpu() if cols else torch.zeros(len(episodes), 0)
        self.set_values = sv
        valid = ~torch.isnan(sv[rows])
        filled = torch.where(valid, sv[rows], torch.zeros_like(sv[rows]))
        count = valid.sum(0).clamp_min(1)
        self.mean = filled.sum(0) / count
        var = (torch.where(valid, sv[rows] - self.mean, torch.zeros_like(filled)) ** 2).sum(0) / (count - 1).clamp_min(1)
        self.std = var.sqrt().clamp_min(1e-6)
        self.steps_per_epoch = max(1, len(rows) // batch_size)

    def __call__(self, step: int, rows: slice | None = None) -> Batch:
        epoch, k = divmod(step, self.steps_per_epoch)
        order = self.rows[torch.randperm(len(self.rows), generator=step_generator(self.seed, epoch, stream=1))]
        idx = order[k * self.batch_size:(k + 1) * self.batch_size]
        if rows is not None:
            idx = idx[rows]
        mask, values = standardised(self.set_values[idx], self.mean, self.std)
        return Batch(self.episodes.frames[idx.to(self.episodes.device)].cpu(), mask, values)
