"""Violation of expectation, IntPhys-style: is the encoder more surprised by impossible videos?

Quadruplets are drawn with the worlds' own renderers from two possible histories, so the
impossible videos are made of the same frames as the possible ones and pixel change alone cannot
tell them apart:

* continuity (``billiards``, one ball, a grey occluder across the middle of the table): possible
  A and B move the ball along the same horizontal path at two heights; both are hidden behind the
  occluder at the last frame of the first half. Impossible C follows A, then comes out of the
  occluder on B's path; D the other way round.
* permanence (same world): A the ball crosses behind the occluder; B the table is empty throughout;
  C the ball goes behind the occluder and never comes out; D a ball comes out that never went in.
* support (``falling``): A the shelf holds the pen up; B no shelf and the pen falls; C the shelf
  is drawn but the pen falls through it; D no shelf and the pen stays up in the air.

In continuity and permanence the two videos of a pair are identical at the splice (the ball is
hidden, or absent), so every pair of consecutive frames of C and D is one of A or B: a detector
that looks at a short stretch of video at a time scores the impossible pair exactly as the
possible one. Only a model that remembers what went behind the occluder can tell. And the frames
that stand a window apart are matched too: a ball against an empty table in C and D, two balls'
worth of change in A, none in B, so a measure of raw pixel distance ties as well.

Surprise is :meth:`VideoEncoder.surprise` with a window of half the video (the predictor's
error at each frame, expected from the frame 4 frames earlier), averaged over frames. Pairwise
accuracy: the share of quadruplets where the impossible pair's total surprise exceeds the
possible pair's (IntPhys' relative score, ties counting half); AUROC: max surprise of single
videos, impossible against possible. Beside the trained encoder: the same network with random
weights (chance is 0.5), drawn 10 times: one draw has biases of its own that all 200 quadruplets
share, so untrained networks are scored by the mean over draws, with their spread. The billiards encoder trains on the same occluded table, on rollouts with
the same speeds.

    python benchmarks/voe.py            # 600 encoder steps per world, 200 quadruplets per property
    python benchmarks/voe.py --quick    # a smoke run
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

import causalworld as cw
from causalworld.encoders import VideoEncoder
from causalworld.envs.billiards import BilliardsWorld

FRAMES = 8
SPEED = 0.055  # the billiards ball's speed components, box units per frame (below its radius)
RADIUS = 0.06
OCCLUDER = (0.39, 0.61)  # the occluder's columns, as fractions of the table's width
GREY = 128


class OccludedBilliards(BilliardsWorld):
    """``billiards`` with a grey bar drawn over the middle of the table, in front of the balls."""

    def draw(self, values, noise, out) -> None:
        super().draw(values, noise, out)
        S = self.image_size
        out[..., int(OCCLUDER[0] * S):int(np.ceil(OCCLUDER[1] * S))] = GREY


def _auroc(bad: np.ndarray, good: np.ndarray) -> float:
    """P(a random impossible video scores above a random possible one), ties counting half."""
    diff = bad[:, None] - good[None, :]
    return float((diff > 0).mean() + 0.5 * (diff == 0).mean())


def billiards(seed: int) -> OccludedBilliards:
    return OccludedBilliards(image_size=32, frames=FRAMES, n_balls=1, radius=RADIUS, speed=SPEED, seed=seed)


def _paths(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``x [n, T]`` (one horizontal path per quadruplet, behind the occluder at frame T/2 - 1) and
    two heights ``[n, 1]`` at least 0.25 apart."""
    g = torch.Generator().manual_seed(seed)
    hidden = 0.49 + 0.02 * torch.rand(n, 1, generator=g)  # the ball wholly behind the occluder
    sign = torch.where(torch.rand(n, 1, generator=g) < 0.5, -1.0, 1.0)
    v = sign * (0.045 + 0.01 * torch.rand(n, 1, generator=g))
    x = hidden + v * (torch.arange(FRAMES) - (FRAMES // 2 - 1))
    ya = 0.15 + 0.7 * torch.rand(n, 1, generator=g)
    gap = 0.25 + 0.3 * torch.rand(n, 1, generator=g)
    yb = torch.where(ya + gap <= 0.85, ya + gap, ya - gap)
    return x, ya, yb


def _splice(first: dict, second: dict) -> dict:
    half = FRAMES // 2
    return {k: torch.cat([first[k][:, :half], second[k][:, half:]], 1) for k in first}


def continuity(n: int, seed: int) -> tuple[object, list[torch.Tensor]]:
    world = billiards(seed)
    x, ya, yb = _paths(n, seed)
    a = {"x_0": x, "y_0": ya.expand_as(x)}
    b = {"x_0": x, "y_0": yb.expand_as(x)}
    videos = [world.render(a), world.render(b), world.render(_splice(a, b)), world.render(_splice(b, a))]
    return world, videos


def permanence(n: int, seed: int) -> tuple[object, list[torch.Tensor]]:
    world = billiards(seed)
    x, ya, _ = _paths(n, seed + 1)
    here = {"x_0": x, "y_0": ya.expand_as(x)}
    gone = {"x_0": torch.full_like(x, -5.0), "y_0": ya.expand_as(x)}  # off the table: nothing drawn
    videos = [world.render(here), world.render(gone), world.render(_splice(here, gone)), world.render(_splice(gone, here))]
    return world, videos


def support(n: int, seed: int) -> tuple[object, list[torch.Tensor]]:
    world = cw.make("falling", image_size=32, frames=FRAMES, dt=0.1, seed=seed)
    held = world.rollout(n, do={"support_pen": 1}, seed=seed + 4)
    fell = world.counterfactual_rollout(held, {"support_pen": 0})  # the same pen, the same noise, no shelf
    shelf_but_falls = {k: (held.values[k] if k == "support_pen" else fell.values[k]) for k in world.depicted}
    no_shelf_but_up = {k: (fell.values[k] if k == "support_pen" else held.values[k]) for k in world.depicted}
    videos = [held.frames, fell.frames, world.render(shelf_but_falls, held.noise), world.render(no_shelf_but_up, held.noise)]
    return world, videos


PROPERTIES = {"continuity": continuity, "permanence": permanence, "support": support}


def scores(encoder: VideoEncoder, videos: list[torch.Tensor]) -> dict[str, float]:
    s = [encoder.surprise(v)[:, 1:] for v in videos]  # (n, T-1) each: A, B possible; C, D impossible
    mean = [x.mean(1).numpy() for x in s]
    peak = [x.max(1).values.numpy() for x in s]
    bad, good = mean[2] + mean[3], mean[0] + mean[1]
    pairwise = float((bad > good).mean() + 0.5 * (bad == good).mean())
    auroc = _auroc(np.concatenate(peak[2:]), np.concatenate(peak[:2]))
    return {"pairwise": pairwise, "auroc": auroc}


def random_weights(encoder: VideoEncoder, seed: int) -> VideoEncoder:
    """The same network, its weights drawn afresh (its pixel statistics kept)."""
    twin = copy.deepcopy(encoder)
    torch.manual_seed(seed)
    for net in (twin.nets_.encoder, twin.nets_.target, twin.nets_.predictor):
        for m in net.modules():
            if hasattr(m, "reset_parameters") and m is not net:
                m.reset_parameters()
    twin.nets_.target.load_state_dict(twin.nets_.encoder.state_dict())
    return twin


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--properties", nargs="+", default=list(PROPERTIES), choices=list(PROPERTIES))
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--n", type=int, default=200, help="quadruplets per property")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--random-draws", type=int, default=10, help="networks with random weights, scored by their mean")
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default="benchmarks/results/voe.json")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args(argv)
    if a.quick:
        a.steps, a.n, a.random_draws = 10, 16, 2
    torch.set_num_threads(1 if a.device == "cpu" else torch.get_num_threads())
    encoders: dict[str, VideoEncoder] = {}
    rows = []
    for name in a.properties:
        build = PROPERTIES[name]
        world, videos = build(a.n, a.seed + 100)
        if world.name not in encoders:
            start = time.perf_counter()
            train_world = (billiards(a.seed) if isinstance(world, OccludedBilliards)
                           else cw.make(world.name, image_size=32, frames=FRAMES, seed=a.seed, **world.config))
            encoders[world.name] = VideoEncoder(16, steps=a.steps, batch_size=32, lr=2e-3, device=a.device,
                                                p_set=0.5, narrow=0.0, seed=a.seed,
                                                progress=False).fit(train_world)
            print(f"trained on {world.name} ({a.steps} steps) in {time.perf_counter() - start:.0f} s", flush=True)
        enc = encoders[world.name]
        trained = scores(enc, videos)
        rows.append({"property": name, "world": world.name, "encoder": "trained", **trained,
                     "pairwise_range": [trained["pairwise"]] * 2, "auroc_range": [trained["auroc"]] * 2})
        # one network with random weights has biases of its own that every quadruplet shares:
        # untrained networks are scored by the mean over several draws, with their spread
        draws = [scores(random_weights(enc, a.seed + i), videos) for i in range(a.random_draws)]
        rows.append({"property": name, "world": world.name, "encoder": f"random weights ({a.random_draws} draws)",
                     **{k: float(np.mean([d[k] for d in draws])) for k in ("pairwise", "auroc")},
                     **{f"{k}_range": [min(d[k] for d in draws), max(d[k] for d in draws)] for k in ("pairwise", "auroc")}})
    print(f"\nmachine: {platform.processor() or platform.machine()}, torch {torch.__version__}, device {a.device}")
    print(f"{a.n} quadruplets per property, {FRAMES} frames, encoder {a.steps} steps, surprise window {FRAMES // 2}")
    print(f"{'property':<12} {'encoder':<26} {'pairwise':>8} {'range':>11} {'AUROC':>6} {'range':>11}")
    for r in rows:
        pr, ar = r["pairwise_range"], r["auroc_range"]
        print(f"{r['property']:<12} {r['encoder']:<26} {r['pairwise']:>8.2f} {pr[0]:>5.2f}-{pr[1]:<5.2f} "
              f"{r['auroc']:>6.2f} {ar[0]:>5.2f}-{ar[1]:<5.2f}")
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps({"settings": vars(a), "machine": platform.platform(), "rows": rows}, indent=1) + "\n")
    return rows


if __name__ == "__main__":
    main()
