"""Worlds: frames per second of ``world.rollout`` against the plain way, in one process.

For every registered world, at each image size and batch size, this times ``world.rollout(n)``
end to end (sampling the truth and drawing) and counts only distinct, materialised, contiguous
``uint8`` frames. Beside it run two plain ways, each a Python loop drawing one episode at a time,
frame by frame (the values are sampled in a batch beforehand and not timed, which favours them):

- numpy: each frame vectorised over its pixels with numpy. For ``lights`` and ``sprites`` it
  reproduces our frames (checked before timing); other worlds fall back to calling
  ``world.render`` on one episode at a time.
- matplotlib (``sprites``), two ways. "citris": as CITRIS's Interventional Pong generator draws,
  a new matplotlib figure per frame with one patch per rectangle, saved as PNG (to memory here,
  not to disk) and read back. "mpl": one figure reused, its patches moved and recoloured, the
  pixels read from Agg's buffer: a much faster use of matplotlib than CITRIS's, so a stronger
  plain way. Both draw the same scene as ours (same shapes, places, sizes and colours; overlaps
  are painted over rather than added), checked against our frames before timing.

Prints the table with the ratios and writes JSON.

    python benchmarks/worlds.py            # the full table
    python benchmarks/worlds.py --quick    # a few seconds
    python benchmarks/worlds.py --device cuda   # adds the CUDA column when a GPU is there
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

import causalworld as cw
from causalworld.envs.world import World


@dataclass
class Args:
    worlds: list[str] = field(default_factory=list)  # world ids (default: every registered world)
    sizes: list[int] = field(default_factory=lambda: [32, 64])  # image sizes (square, RGB)
    batches: list[int] = field(default_factory=lambda: [1, 64, 4096])  # episodes per rollout
    min_seconds: float = 0.5  # a timing repeats until it has run this long (at least twice)
    plain_frames: int = 300  # frames drawn by the plain loop per cell (its rate is per frame)
    device: str = "cpu"  # "cuda" adds a CUDA column (skipped, with a note, when CUDA is unavailable)
    threads: int = 0  # torch threads (0: its default)
    seed: int = 0  # seed of the rollouts
    out: str = "benchmarks/results/worlds.json"  # where the JSON goes ("" for nowhere)


def parse_args(argv: list[str] | None = None) -> Args:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    d = Args()
    p.add_argument("--worlds", nargs="+", default=None, help="default: every registered world")
    p.add_argument("--sizes", type=int, nargs="+", default=None, help=f"default {d.sizes}")
    p.add_argument("--batches", type=int, nargs="+", default=None, help=f"default {d.batches}")
    p.add_argument("--min-seconds", type=float, default=d.min_seconds)
    p.add_argument("--plain-frames", type=int, default=d.plain_frames)
    p.add_argument("--device", choices=["cpu", "cuda"], default=d.device)
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--out", default=d.out)
    p.add_argument("--quick", action="store_true", help="tiny settings: a smoke run in a few seconds")
    ns = vars(p.parse_args(argv))
    if ns.pop("quick"):  # tiny defaults; explicit flags still win
        ns["worlds"] = ns["worlds"] or ["lights", "sprites"]
        ns["sizes"] = ns["sizes"] or [32]
        ns["batches"] = ns["batches"] or [1, 16]
        ns["min_seconds"], ns["plain_frames"] = 0.05, 20
    args = Args(**{k: v for k, v in ns.items() if v is not None})
    return args


# ---------------------------------------------------------------------------- the plain way
def _plain_sprites(world: World, values: dict[str, np.ndarray], i: int, t: int) -> np.ndarray:
    """One sprites frame, drawn alone: each object's rectangles as numpy outer products."""
    from causalworld.envs.sprites import _BACKGROUND, _HUE_SPAN, _RECTS, _Z

    S = world.image_size
    img = np.full((3, S, S), _BACKGROUND + 0.5, dtype=np.float32)
    pix = np.arange(S, dtype=np.float32)
    h0, h1 = world._half
    span = S - 2 * world._margin

    def a(name: str) -> float:
        v = values[name][i]
        v = v[t] if np.ndim(v) else v
        return min(max(0.5 + (v - world._mean[name]) / (2 * _Z * world._std[name]), 0.0), 1.0)

    def cover(c: float, h: float) -> np.ndarray:
        return np.clip(np.minimum(pix + 1, c + h) - np.maximum(pix, c - h), 0, 1)

    for k in range(world._objects):
        cx = world._margin + a(f"x{k}") * span
        cy = world._margin + a(f"y{k}") * span
        half = h0 + h1 * a(f"size{k}")
        hue = a(f"hue{k}") * _HUE_SPAN
        tt = np.mod(np.array([5.0, 3.0, 1.0]) + 6 * hue, 6.0)
        rgb = world._level * (1 - np.clip(np.minimum(tt, 4 - tt), 0, 1))
        for fx, fy, sign in _RECTS[world._shapes[k]]:
            img += (sign * rgb.astype(np.float32))[:, None, None] * np.outer(cover(cy, fy * half), cover(cx, fx * half))
    return img.astype(np.uint8)


def _plain_lights(world: World, values: dict[str, np.ndarray], i: int, t: int) -> np.ndarray:
    """One lights frame, drawn alone with numpy (the masks of the layout are reused)."""
    from causalworld.envs.lights import _BAR_RGB, _LAMP_RGB, _METER_RGB, COLOURS

    S = world.image_size
    amb = min(max(float(values["ambient"][i]), 0.0), 1.0)
    bg = 20.0 + 200.0 * amb
    img = np.full((3, S, S), round(bg), dtype=np.float32)
    for k, c in enumerate(COLOURS):
        level = min(max(float(values[f"lamp_{c}"][i]), 0.0), 1.0)
        colour = np.round(25.0 + 225.0 * level * _LAMP_RGB[k].numpy())
        img[:, world._lamp_masks[k].numpy()] = colour[:, None]
        img[:, world._switch_masks[k].numpy()] = 235.0 if values[f"switch_{c}"][i] else 55.0
    y0, y1, x0, x1 = world._pol_box
    th = float(values["angle"][i, t])
    dist = np.abs(np.cos(th) * world._pol_dy.numpy() - np.sin(th) * world._pol_dx.numpy())
    alpha = np.clip(world._pol_halfwidth + 0.5 - dist, 0, 1)
    disc = 0.35 * bg
    patch = disc + alpha[None] * (255.0 * _BAR_RGB.numpy()[:, None, None] - disc)
    box = img[:, y0:y1, x0:x1]
    box[:] = np.where(world._pol_disc.numpy(), np.round(patch), box)
    my0, my1, mx0, mx1 = world._meter_box
    top = my1 - min(max(float(values["sensor"][i, t]), 0.0), 1.0) * world._meter_height
    rows = world._meter_rows.numpy()
    cover = np.clip(rows + 1.0 - np.maximum(rows, top), 0, 1)
    base = 0.25 * bg
    img[:, my0:my1, mx0:mx1] = np.round(base + cover[None, :, None] * (255.0 * _METER_RGB.numpy()[:, None, None] - base))
    return img.astype(np.uint8)


class _MatplotlibSprites:
    """Sprites frames drawn as matplotlib patches (one reused figure, Agg), as CITRIS's Pong does."""

    # Each shape as painted rectangles (half-width, half-height, fill): the object's colour, or the
    # background for the ring's hole; the plus is its two bars painted over each other.
    PARTS = {
        "square": ((1.0, 1.0, True),),
        "ring": ((1.0, 1.0, True), (0.5, 0.5, False)),
        "plus": ((1.0, 1 / 3, True), (1 / 3, 1.0, True)),
        "bar": ((1.0, 0.45, True),),
    }

    def __init__(self, world: World, fresh: bool = False) -> None:
        from causalworld.envs.sprites import _BACKGROUND

        self.world, self.bg, self.fresh = world, _BACKGROUND / 255.0, fresh
        self._build()

    def _build(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Rectangle

        world = self.world
        S = world.image_size
        self.fig = Figure(figsize=(1, 1), dpi=S, facecolor=(self.bg,) * 3)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_axis_off()
        self.ax.set_xlim(0, S)
        self.ax.set_ylim(S, 0)  # image coordinates: y grows downwards
        self.patches = []
        for k in range(world._objects):
            for fx, fy, filled in self.PARTS[world._shapes[k]]:
                r = Rectangle((0, 0), 1, 1, linewidth=0, antialiased=True, snap=False)
                self.ax.add_patch(r)
                self.patches.append((k, fx, fy, filled, r))

    def __call__(self, world: World, values: dict[str, np.ndarray], i: int, t: int) -> np.ndarray:
        from causalworld.envs.sprites import _BACKGROUND, _HUE_SPAN, _Z

        def a(name: str) -> float:
            v = values[name][i]
            v = v[t] if np.ndim(v) else v
            return min(max(0.5 + (v - world._mean[name]) / (2 * _Z * world._std[name]), 0.0), 1.0)

        span = world.image_size - 2 * world._margin
        h0, h1 = world._half
        geometry = {}
        for k in range(world._objects):
            hue = a(f"hue{k}") * _HUE_SPAN
            tt = np.mod(np.array([5.0, 3.0, 1.0]) + 6 * hue, 6.0)
            rgb = (_BACKGROUND + world._level * (1 - np.clip(np.minimum(tt, 4 - tt), 0, 1))) / 255.0
            geometry[k] = (world._margin + a(f"x{k}") * span, world._margin + a(f"y{k}") * span,
                           h0 + h1 * a(f"size{k}"), tuple(rgb))
        for k, fx, fy, filled, r in self.patches:
            cx, cy, half, rgb = geometry[k]
            r.set_xy((cx - fx * half, cy - fy * half))
            r.set_width(2 * fx * half)
            r.set_height(2 * fy * half)
            r.set_facecolor(rgb if filled else (self.bg,) * 3)
        if self.fresh:  # CITRIS's way: the figure saved as PNG, the PNG read back
            import io

            from matplotlib.image import imread

            buf = io.BytesIO()
            self.fig.savefig(buf, format="png", dpi=world.image_size, facecolor=self.fig.get_facecolor())
            buf.seek(0)
            rgb_img = np.round(imread(buf, format="png")[:, :, :3] * 255.0).astype(np.uint8)
            self._build()  # a new figure for the next frame
            return np.ascontiguousarray(rgb_img.transpose(2, 0, 1))
        self.canvas.draw()
        return np.ascontiguousarray(np.asarray(self.canvas.buffer_rgba())[:, :, :3].transpose(2, 0, 1))


PLAIN_MATPLOTLIB: dict[str, Callable[[World, bool], Callable[[World, dict[str, np.ndarray], int, int], np.ndarray]]] = {
    "sprites": _MatplotlibSprites,
}


def matplotlib_frames(world: World, values: dict[str, np.ndarray], frames: int,
                      fresh: bool = False) -> tuple[np.ndarray, float] | None:
    """Up to ``frames`` frames drawn with matplotlib, frame by frame, and their rate in frames per
    second (the figure is built and one frame drawn before the clock starts). None: no such
    drawing for this world."""
    make = PLAIN_MATPLOTLIB.get(world.name)
    if make is None:
        return None
    draw = make(world, fresh)
    draw(world, values, 0, 0)  # warm-up: fonts, caches, the first rasterisation
    n = len(next(iter(values.values())))
    out = []
    t0 = time.perf_counter()
    for i in range(n):
        for t in range(world.frames):
            out.append(draw(world, values, i, t))
            if len(out) >= frames:
                return np.stack(out), len(out) / (time.perf_counter() - t0)
    return np.stack(out), len(out) / (time.perf_counter() - t0)


PLAIN: dict[str, Callable[[World, dict[str, np.ndarray], int, int], np.ndarray]] = {
    "sprites": _plain_sprites,
    "lights": _plain_lights,
}


def plain_frames(world: World, values: dict[str, np.ndarray], frames: int) -> tuple[np.ndarray, str]:
    """Up to ``frames`` frames drawn the plain way (episode by episode, frame by frame)."""
    n = len(next(iter(values.values())))
    T = world.frames
    draw = PLAIN.get(world.name)
    out = []
    if draw is None:  # a world without a plain drawing: our renderer, one episode at a time
        tensors = {v: torch.as_tensor(a) for v, a in values.items()}
        for i in range(n):
            out.append(world.render({v: t[i:i + 1] for v, t in tensors.items()})[0].numpy())
            if len(out) * T >= frames:
                break
        return np.concatenate(out)[:frames], "render, 1 episode at a time"
    for i in range(n):
        for t in range(T):
            out.append(draw(world, values, i, t))
            if len(out) >= frames:
                return np.stack(out), "numpy, 1 frame at a time"
    return np.stack(out), "numpy, 1 frame at a time"


# ---------------------------------------------------------------------------- timing
def distinct_frames(frames: torch.Tensor) -> int:
    """Frames that are materialised, contiguous uint8 and pairwise different."""
    if frames.dtype != torch.uint8 or not frames.is_contiguous():
        raise TypeError("frames must be contiguous uint8")
    flat = frames.reshape(-1, frames[0, 0].numel()).cpu().numpy()
    return len(np.unique(flat.view(np.dtype((np.void, flat.shape[1]))).ravel()))


def time_rollout(world: World, n: int, min_seconds: float, seed: int) -> tuple[float, int]:
    """Seconds per rollout of ``n`` episodes (best of the repeats) and its distinct frames."""
    sync = torch.cuda.synchronize if world.device.type == "cuda" else (lambda: None)
    world.rollout(n, seed=seed)  # warm-up
    sync()
    best, spent, k = math.inf, 0.0, 0
    while k < 2 or spent < min_seconds:
        t0 = time.perf_counter()
        eps = world.rollout(n, seed=seed + k)
        sync()
        dt = time.perf_counter() - t0
        best, spent, k = min(best, dt), spent + dt, k + 1
    return best, distinct_frames(eps.frames)


def machine() -> dict[str, object]:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def main(argv: list[str] | None = None) -> dict[str, object]:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    worlds = args.worlds or cw.list_worlds()
    cuda = args.device == "cuda" and torch.cuda.is_available()
    if args.device == "cuda" and not cuda:
        print("note: CUDA is not available here; the CUDA column is skipped")
    rows = []
    header = (f"{'world':<14}{'size':>6}{'n':>7}{'T':>4}{'ours frames/s':>16}{'numpy loop':>13}{'ratio':>8}"
              f"{'mpl loop':>11}{'ratio':>8}{'citris':>11}{'ratio':>8}")
    header += f"{'cuda frames/s':>16}" if cuda else ""
    print(header)
    print("-" * len(header))
    for wid in worlds:
        for size in args.sizes:
            world = cw.make(wid, image_size=size, seed=args.seed)
            gpu_world = cw.make(wid, image_size=size, seed=args.seed, device="cuda") if cuda else None
            # the plain way: values sampled in a batch (not timed), drawn frame by frame (timed)
            n_plain = max(1, math.ceil(args.plain_frames / world.frames))
            sample = world.rollout(n_plain, seed=args.seed)
            values = {v: t.numpy() for v, t in sample.values.items()}
            t0 = time.perf_counter()
            drawn, how = plain_frames(world, values, args.plain_frames)
            plain_rate = len(drawn) / (time.perf_counter() - t0)
            ours = sample.frames.reshape(-1, *sample.frames.shape[2:])[: len(drawn)].numpy()
            agree = float((np.abs(ours.astype(int) - drawn.astype(int)) <= 1).mean())
            if agree < 0.999:
                raise AssertionError(f"{wid}: the plain drawing differs from ours on {1 - agree:.2%} of pixels")
            mpl_rates: dict[str, float | None] = {"mpl": None, "citris": None}
            mpl_agree: dict[str, float | None] = {"mpl": None, "citris": None}
            for way, fresh, count in (("mpl", False, args.plain_frames), ("citris", True, max(1, args.plain_frames // 5))):
                drawn_mpl = matplotlib_frames(world, values, count, fresh=fresh)
                if drawn_mpl is None:
                    continue
                mpl, mpl_rates[way] = drawn_mpl
                # Same scene, not the same pixels (painted vs added overlaps, Agg's anti-aliasing):
                # most pixels within a few grey levels, and the mean difference small.
                diff = np.abs(ours[: len(mpl)].astype(int) - mpl.astype(int))
                mpl_agree[way] = float((diff <= 8).mean())
                if mpl_agree[way] < 0.95 or diff.mean() > 2.0:
                    raise AssertionError(f"{wid}: the {way} drawing is not the same scene ({mpl_agree[way]:.2%} of "
                                         f"pixels within 8 levels, mean difference {diff.mean():.2f})")
            for n in args.batches:
                sec, distinct = time_rollout(world, n, args.min_seconds, args.seed)
                rate = distinct / sec
                row = {"world": world.id, "size": size, "n": n, "frames": world.frames, "distinct_frames": distinct,
                       "ours": rate, "plain": plain_rate, "ratio": rate / plain_rate, "plain_way": how,
                       "plain_agrees": agree}
                line = f"{world.id:<14}{size:>6}{n:>7}{world.frames:>4}{rate:>16,.0f}{plain_rate:>13,.0f}{rate / plain_rate:>7.1f}x"
                for way in ("mpl", "citris"):
                    r = mpl_rates[way]
                    row[way] = r
                    row[f"ratio_{way}"] = rate / r if r else None
                    row[f"{way}_agrees"] = mpl_agree[way]
                    line += f"{r:>11,.0f}{rate / r:>7.0f}x" if r else f"{'-':>11}{'-':>8}"
                if gpu_world is not None:
                    gsec, gdistinct = time_rollout(gpu_world, n, args.min_seconds, args.seed)
                    row["cuda"] = gdistinct / gsec
                    line += f"{row['cuda']:>16,.0f}"
                rows.append(row)
                print(line)
    result = {"machine": machine(), "args": asdict(args), "rows": rows}
    print(f"\nmachine: {result['machine']}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
