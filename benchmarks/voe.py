"""Violation of expectation, IntPhys-style: is the encoder more surprised by impossible videos?

Quadruplets are drawn with the worlds' own renderers from two possible histories, so the
impossible videos are made of the same kinds of frames as the possible ones and pixel change alone
cannot tell them apart:

* continuity (``billiards``, one ball): possible A and B are two rollouts; impossible C follows A
  then jumps to B's path halfway, D follows B then jumps to A's.
* permanence (``billiards``): A the ball stays; B the table is empty throughout; C the ball
  vanishes halfway; D a ball appears halfway (positions off the table draw nothing).
* support (``falling``): A the shelf holds the pen up; B no shelf and the pen falls; C the shelf
  is drawn but the pen falls through it; D no shelf and the pen stays up in the air.

Surprise is :meth:`VideoEncoder.surprise` (the predictor's error from frame 0 to each later
frame), averaged over frames. Pairwise accuracy: the share of quadruplets where the impossible
pair's total surprise exceeds the possible pair's (IntPhys' relative score); AUROC: max surprise
of single videos, impossible against possible. Beside the trained encoder: the same network with
random weights (chance is 0.5).

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

FRAMES = 8


def _auroc(bad: np.ndarray, good: np.ndarray) -> float:
    """P(a random impossible video scores above a random possible one), ties counting half."""
    diff = bad[:, None] - good[None, :]
    return float((diff > 0).mean() + 0.5 * (diff == 0).mean())


def continuity(n: int, seed: int) -> tuple[object, list[torch.Tensor]]:
    world = cw.make("billiards", image_size=32, n_balls=1, frames=FRAMES, seed=seed)
    a, b = world.rollout(n, seed=seed + 1), world.rollout(n, seed=seed + 2)
    half = FRAMES // 2

    def spliced(first, second):
        return {k: torch.cat([first.values[k][:, :half], second.values[k][:, half:]], 1) for k in world.depicted}

    videos = [a.frames, b.frames, world.render(spliced(a, b)), world.render(spliced(b, a))]
    return world, videos


def permanence(n: int, seed: int) -> tuple[object, list[torch.Tensor]]:
    world = cw.make("billiards", image_size=32, n_balls=1, frames=FRAMES, seed=seed)
    a = world.rollout(n, seed=seed + 3)
    half = FRAMES // 2
    gone = {k: t.clone() for k, t in a.values.items() if k in world.depicted}
    gone["x_0"] = torch.full_like(gone["x_0"], -5.0)  # off the table: nothing drawn

    def mixed(first, second):
        return {k: torch.cat([first[k][:, :half], second[k][:, half:]], 1) for k in world.depicted}

    here = {k: a.values[k] for k in world.depicted}
    videos = [a.frames, world.render(gone), world.render(mixed(here, gone)), world.render(mixed(gone, here))]
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
    pairwise = float(((mean[2] + mean[3]) > (mean[0] + mean[1])).mean())
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
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default="benchmarks/results/voe.json")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args(argv)
    if a.quick:
        a.steps, a.n = 10, 16
    torch.set_num_threads(1 if a.device == "cpu" else torch.get_num_threads())
    encoders: dict[str, VideoEncoder] = {}
    rows = []
    for name in a.properties:
        build = PROPERTIES[name]
        world, videos = build(a.n, a.seed + 100)
        if world.name not in encoders:
            start = time.perf_counter()
            train_world = cw.make(world.name, image_size=32, frames=FRAMES, seed=a.seed, **world.config)
            encoders[world.name] = VideoEncoder(16, steps=a.steps, batch_size=32, lr=2e-3, device=a.device,
                                                seed=a.seed, progress=False).fit(train_world)
            print(f"trained on {world.name} ({a.steps} steps) in {time.perf_counter() - start:.0f} s", flush=True)
        enc = encoders[world.name]
        for label, model in (("trained", enc), ("random weights", random_weights(enc, a.seed))):
            rows.append({"property": name, "world": world.name, "encoder": label, **scores(model, videos)})
    print(f"\nmachine: {platform.processor() or platform.machine()}, torch {torch.__version__}, device {a.device}")
    print(f"{a.n} quadruplets per property, {FRAMES} frames, encoder {a.steps} steps")
    print(f"{'property':<12} {'encoder':<15} {'pairwise':>8} {'AUROC':>6}")
    for r in rows:
        print(f"{r['property']:<12} {r['encoder']:<15} {r['pairwise']:>8.2f} {r['auroc']:>6.2f}")
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps({"settings": vars(a), "machine": platform.platform(), "rows": rows}, indent=1) + "\n")
    return rows


if __name__ == "__main__":
    main()
