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

__all__ = ["Batch", "WorldBatches", "EpisodeBatches", "step_generator", "NARROWEST"]

NARROWEST = 0.2
"""The narrowest width, as a fraction of a variable's range, that a crowded episode draws from."""


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
    under another intervention (``cf_*``).

    Examples
    --------
    >>> b = Batch(torch.zeros(2, 1, 3, 8, 8, dtype=torch.uint8), torch.tensor([[True], [False]]), torch.tensor([[0.5], [0.0]]))
    >>> b.frames.shape, b.mask.tolist(), b.cf_frames is None
    (torch.Size([2, 1, 3, 8, 8]), [[True], [False]], True)
    """

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
    """Fresh episodes of ``world`` at every step, each with its own random intervention.

    Parameters
    ----------
    world : World
        The world the episodes are rolled out in.
    actions : tuple of str
        The intervenable variables the encoder may set.
    batch_size, seed : int
        Episodes per step, and the seed every batch is a function of (with its step).
    p_set : float
        The probability that an episode sets each action.
    counterfactual : bool
        Also replay each batch's episodes under a second random intervention (``cf_*``).
    narrow : float, default=0.0
        The fraction of episodes whose continuous values are drawn from a narrower interval around
        the middle of each range, its width a uniform fraction in [``NARROWEST``, 1] of the range,
        the same for every variable of the episode (crowded scenes, as the world's own episodes
        often are).

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=1)
    >>> batches = WorldBatches(world, ("ambient", "switch_red"), batch_size=4, seed=0, p_set=1.0, counterfactual=True)
    >>> b = batches(0)  # the batch of step 0
    >>> b.frames.shape, b.values.shape, b.cf_frames.shape
    (torch.Size([4, 1, 3, 8, 8]), torch.Size([4, 2]), torch.Size([4, 1, 3, 8, 8]))
    >>> bool(torch.equal(b.frames, batches(0).frames)), batches(0, rows=slice(0, 2)).frames.shape[0]
    (True, 2)
    """

    def __init__(self, world, actions: tuple[str, ...], *, batch_size: int, seed: int, p_set: float,
                 counterfactual: bool, narrow: float = 0.0) -> None:
        self.world, self.actions, self.batch_size, self.seed = world, actions, batch_size, seed
        self.p_set, self.counterfactual, self.narrow = p_set, counterfactual, narrow
        ranges = [world.intervenable[v] for v in actions]
        self.discrete = torch.tensor([isinstance(r, range) for r in ranges])
        self.low = torch.tensor([float(r.start) if isinstance(r, range) else float(r[0]) for r in ranges])
        self.high = torch.tensor([float(r.stop - 1) if isinstance(r, range) else float(r[1]) for r in ranges])
        # the moments of the uniform draws below: what the latents are calibrated against
        k = self.high - self.low + 1.0
        self.mean = (self.low + self.high) / 2
        # a continuous draw is uniform on a width s * (high - low) around the middle, s = 1, or
        # s ~ U(NARROWEST, 1) in a fraction `narrow` of the episodes: E[s^2] = (1 - a^3) / (3 (1 - a))
        a = NARROWEST
        spread = (1.0 - narrow) + narrow * (1.0 - a**3) / (3.0 * (1.0 - a))
        self.std = torch.where(self.discrete, torch.sqrt((k * k - 1.0) / 12.0),
                               (self.high - self.low) * math.sqrt(spread / 12.0))
        self.std = self.std.clamp_min(1e-6)

    def draw_do(self, g: torch.Generator, n: int) -> tuple[list[dict[str, float]], Tensor]:
        """``n`` random interventions drawn from ``g``: one ``{action: value}`` dict per episode
        (each action set with probability ``p_set``, uniformly in its range) and the set values
        ``[n, m]``, NaN where an action was not set.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=1)
        >>> batches = WorldBatches(world, ("ambient", "switch_red"), batch_size=4, seed=0, p_set=0.5, counterfactual=False)
        >>> do, set_values = batches.draw_do(torch.Generator().manual_seed(0), 3)
        >>> [sorted(d) for d in do]
        [['ambient'], ['ambient', 'switch_red'], ['ambient']]
        >>> torch.isnan(set_values).tolist()
        [[False, True], [False, False], [False, True]]
        """
        m = len(self.actions)
        mask = torch.rand(n, m, generator=g) < self.p_set
        u = torch.rand(n, m, generator=g)
        if self.narrow > 0:  # crowded episodes: every continuous value near the middle of its range
            crowded = torch.rand(n, 1, generator=g) < self.narrow
            width = torch.where(crowded, NARROWEST + (1.0 - NARROWEST) * torch.rand(n, 1, generator=g), torch.ones(n, 1))
            cont = (self.low + self.high) / 2 + (u - 0.5) * width * (self.high - self.low)
        else:
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
    """Batches of recorded episodes, reshuffled every epoch (an epoch's order is a function of its seed).

    Set values are standardised by their mean and standard deviation over the training ``rows``.

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=1)
    >>> eps = world.rollout(6, do=[{"ambient": 0.2}, {}, {"ambient": 0.8}, {}, {}, {"ambient": 0.5}], seed=0)
    >>> batches = EpisodeBatches(eps, ("ambient",), torch.arange(6), batch_size=3, seed=0)
    >>> batches.steps_per_epoch, round(float(batches.mean[0]), 2), round(float(batches.std[0]), 2)
    (2, 0.5, 0.3)
    >>> b = batches(0)
    >>> b.frames.shape, b.mask.squeeze(1).tolist()
    (torch.Size([3, 1, 3, 8, 8]), [True, True, False])
    """

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
