"""The figure of the encoder page (``docs/encoders.md``): a small video encoder trained when the
docs build, its named latents against the true values on held-out episodes.

Small on purpose (16 px frames, one object, 60 steps of 16 episodes: a few seconds on one core),
so the scatter is looser than a full run's; the R² in the title is measured on this run.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure

import causalworld as cw
from causalworld.encoders import VideoEncoder
from causalworld.viz import latents_vs_truth

__all__ = ["ENCODER_FIGURES"]


def latents() -> dict[str, Figure]:
    world = cw.make("sprites", image_size=16, n_objects=1, seed=0)
    enc = VideoEncoder(8, steps=60, batch_size=16, lr=2e-3, progress=False, seed=0).fit(world)
    # held-out episodes with every variable set independently, uniform in its range, so that
    # correlation in the world is not counted as entanglement
    g = torch.Generator().manual_seed(1)
    n = 300
    do = {v: lo + (hi - lo) * torch.rand(n, generator=g, dtype=torch.float64) for v, (lo, hi) in world.intervenable.items()}
    eps = world.rollout(n, seed=1, do=do)
    table = enc.latents(eps)
    truth = {v: np.asarray(x.cpu(), dtype=float).reshape(n, -1)[:, 0] for v, x in eps.values.items()}
    named = [v for v in enc.variables_ if v in truth]
    r2 = {v: 1 - np.mean((table[v].to_numpy() - truth[v]) ** 2) / np.var(truth[v]) for v in named}
    title = "held-out R²: " + ", ".join(f"{v} {r:.2f}" for v, r in r2.items())
    return {"img/encoder_latents.png": latents_vs_truth(table[named], {v: truth[v] for v in named}, title=title)}


ENCODER_FIGURES = {"latents": latents}
