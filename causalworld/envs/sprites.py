"""``sprites``: N coloured shapes whose attributes follow a random SCM, the scalable benchmark world.

Each object ``k`` has the attributes ``x{k}``, ``y{k}`` (centre), ``hue{k}`` and ``size{k}``;
together they follow :func:`causalworld.random_scm` with a chosen number of objects, edge
density and mechanism family, so the world grows from a toy to a benchmark of representation
learning and discovery. With ``frames > 1`` the positions drift as a random walk
(``x{k}[t] = x{k}[t-1] + u``), so every frame is distinct.

Drawing. Objects glow on a dark background and add up where they overlap (like lights, no
occlusion), so every attribute of every object stays visible: the frames are a one-to-one
function of the attributes inside their depicted ranges. Object ``k`` has the fixed shape
``SHAPES[k % 4]`` (its identity): a square, a hollow square, a plus, or a wide bar, each a sum of
one to three axis-aligned rectangles. A rectangle's anti-aliased image is the outer product of
a 1-D coverage profile along y and one along x, so a whole frame, all channels, is one small
matrix product ``[C*H, R] @ [R, W]`` (``R`` rectangles plus the background), done for a
cache-sized chunk of frames at a time and written into the preallocated ``uint8`` tensor.
A raw attribute ``v`` maps to the screen through ``a = clip(0.5 + (v - mean) / (2 Z std), 0, 1)``
with the mean and std of its observational distribution (``Z = 2.5``); the depicted and
intervenable range of each attribute is ``mean +- 2.5 std``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import networkx as nx
import torch
from torch import Tensor

from causalworld.envs.registry import register_world
from causalworld.envs.world import Tolerance, World, WorldSpec, unrolled_name
from causalworld.errors import ArgumentError, OutOfRangeError
from causalworld.scm import SCM, LinearGaussian, random_scm

__all__ = ["SpritesWorld", "SHAPES", "ATTRIBUTES"]

ATTRIBUTES = ("x", "y", "hue", "size")
SHAPES = ("square", "ring", "plus", "bar")
# Each shape as rectangles (half-width, half-height as fractions of the object's half-size, sign).
_RECTS = {
    "square": ((1.0, 1.0, 1.0),),
    "ring": ((1.0, 1.0, 1.0), (0.5, 0.5, -1.0)),
    "plus": ((1.0, 1 / 3, 1.0), (1 / 3, 1.0, 1.0), (1 / 3, 1 / 3, -1.0)),
    "bar": ((1.0, 0.45, 1.0),),
}
_BACKGROUND = 20.0  # grey level of the empty screen
_SIZE = (0.05, 0.07)  # half-size = max(_SIZE[0] * S, _MIN_HALF) + _SIZE[1] * S * a pixels
_MIN_HALF = 2.2  # so the thinnest stroke (a third of the half-size) spans more than one pixel
_HUE_SPAN = 5 / 6  # a in [0, 1] maps to hue 0..300 degrees, so the ends differ in colour
_Z = 2.5  # the screen shows mean +- _Z std of each attribute


def _hue_to_rgb(h: Tensor) -> Tensor:
    """HSV (h, 1, 1) to RGB in [0, 1], elementwise over ``h`` in [0, 1): ``[..., 3]``.

    Examples
    --------
    >>> _hue_to_rgb(torch.tensor([0.0, 1 / 3]))
    tensor([[1., 0., 0.],
            [0., 1., 0.]])
    """
    k = torch.tensor([5.0, 3.0, 1.0], dtype=h.dtype, device=h.device)
    t = torch.remainder(k + 6.0 * h[..., None], 6.0)
    return 1.0 - torch.clamp(torch.minimum(t, 4.0 - t), 0.0, 1.0)


def _coverage(centre: Tensor, half: Tensor, size: int) -> Tensor:
    """Fraction of each pixel ``[p, p+1)`` covered by ``[centre - half, centre + half]``: ``[..., size]``."""
    pix = torch.arange(size, dtype=centre.dtype, device=centre.device)
    lo, hi = (centre - half)[..., None], (centre + half)[..., None]
    return (torch.minimum(pix + 1.0, hi) - torch.maximum(pix, lo)).clamp_(0.0, 1.0)


@register_world
class SpritesWorld(World):
    """``n_objects`` shapes with attributes x, y, hue, size from a random SCM (see the module doc).

    Config
    ------
    n_objects : int, default 4
    edges_per_node : float, default 1.0
        Expected parents per attribute in the random graph (``random_scm``'s density).
    graph : {"er", "sf"}
    mechanism : {"linear", "mlp", "pnl"}
    graph_seed : int, default 0
        Seeds the random graph and mechanisms (the world's structure).
    drift : float, default 0.05
        Random-walk step of the positions per frame, in units of their std (``frames > 1``).

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("sprites", image_size=32, n_objects=2)
    >>> world.variables
    ('x0', 'y0', 'hue0', 'size0', 'x1', 'hue1', 'y1', 'size1')
    >>> world.rollout(5, seed=0).frames.shape
    torch.Size([5, 1, 3, 32, 32])
    """

    name: ClassVar[str] = "sprites"
    version: ClassVar[int] = 0
    default_frames: ClassVar[int] = 1
    config_defaults: ClassVar[dict[str, Any]] = {
        "n_objects": 4,
        "edges_per_node": 1.0,
        "graph": "er",
        "mechanism": "linear",
        "graph_seed": 0,
        "drift": 0.05,
    }

    def build(self) -> WorldSpec:
        cfg = self.config
        K = cfg["n_objects"]
        if not isinstance(K, int) or isinstance(K, bool) or not 1 <= K <= 64:
            raise OutOfRangeError(f"n_objects must be an int in 1..64, got {K!r}")
        if cfg["mechanism"] not in ("linear", "mlp", "pnl"):
            raise ArgumentError(f"mechanism must be 'linear', 'mlp' or 'pnl' for sprites, got {cfg['mechanism']!r}")
        if not float(cfg["drift"]) > 0:
            raise OutOfRangeError(f"drift must be > 0, got {cfg['drift']!r}")
        base = random_scm(4 * K, edges_per_node=float(cfg["edges_per_node"]), graph=cfg["graph"],
                          mechanism=cfg["mechanism"], seed=int(cfg["graph_seed"]), dtype=torch.float32)
        names = {f"x{4 * k + a}": f"{attr}{k}" for k in range(K) for a, attr in enumerate(ATTRIBUTES)}
        # Calibrate the screen mapping on the observational distribution, on the CPU with a fixed seed:
        # it is part of the world's structure, the same on every device.
        calib = base.sample(8192, seed=int(cfg["graph_seed"]))
        self._mean = {names[v]: float(t.mean()) for v, t in calib.items()}
        self._std = {names[v]: float(t.std()) for v, t in calib.items()}
        T = self.frames
        moving = {f"{a}{k}" for k in range(K) for a in ("x", "y")} if T > 1 else set()
        full = {old: (unrolled_name(new, 0) if new in moving else new) for old, new in names.items()}
        g = nx.relabel_nodes(nx.DiGraph(base.graph), full, copy=True)
        mechs = {full[v]: m for v, m in base.mechanisms.items()}
        for v in sorted(moving):
            for t in range(1, T):
                g.add_edge(unrolled_name(v, t - 1), unrolled_name(v, t))
                mechs[unrolled_name(v, t)] = LinearGaussian(1, weight=[1.0], noise_std=float(cfg["drift"]) * self._std[v])
        truth = SCM(g, mechs, dtype=torch.float32, device=self.device)
        for v in base.variables:  # relabelling must keep each mechanism's parent order
            if tuple(full[p] for p in base.parents(v)) != truth.parents(full[v]):
                raise ArgumentError(f"internal: parent order of {v} changed while relabelling")  # pragma: no cover
        self._objects = K
        self._rect_index: tuple[Tensor, Tensor, Tensor, Tensor] | None = None  # built on the first draw
        self._screen_stats = {a: (torch.tensor([self._mean[f"{a}{k}"] for k in range(K)]),
                                  torch.tensor([2 * _Z * self._std[f"{a}{k}"] for k in range(K)])) for a in ATTRIBUTES}
        self._shapes = tuple(SHAPES[k % len(SHAPES)] for k in range(K))
        self._level = (255.0 - _BACKGROUND - 1.0) / K  # peak channel of one object: sums never pass 255
        S = self.image_size
        if S < 16:
            raise OutOfRangeError(f"sprites needs image_size >= 16 to draw its shapes, got {S}")
        self._half = (max(_SIZE[0] * S, _MIN_HALF), _SIZE[1] * S)  # half-size = h0 + h1 * a pixels
        self._margin = sum(self._half) + 0.5  # the largest object stays inside the frame
        span = S - 2 * self._margin
        # Every stroke is wider than a pixel, so moving an edge by d pixels changes some pixel by
        # at least d * level * 0.5 (the edge's coverage of its row is >= 0.5 somewhere) and a hue
        # change moves a pixel covered >= 0.25 by slope 6 in one channel: step sizes giving >= 1.5
        # grey levels, which survive rounding.
        px = 1.5 / (self._level * 0.5)
        depicted: dict[str, Tolerance] = {}
        intervenable: dict[str, tuple[float, float]] = {}
        for v in names.values():
            m, s = self._mean[v], self._std[v]
            attr = v.rstrip("0123456789")
            if attr in ("x", "y"):
                step_a = px / span
            elif attr == "size":
                step_a = px / self._half[1]
            else:  # one channel of HSV moves at slope 6 per unit hue
                step_a = 1.5 / (6.0 * _HUE_SPAN * self._level * 0.25)
            depicted[v] = Tolerance(step_a * 2 * _Z * s, m - _Z * s, m + _Z * s)
            intervenable[v] = (m - _Z * s, m + _Z * s)
        return WorldSpec(truth=truth, intervenable=intervenable, depicted=depicted)

    def screen(self, variable: str, value: Tensor) -> Tensor:
        """The attribute in screen units ``a`` in [0, 1] (position/size/hue fraction) of raw values.

        The ends of the variable's intervenable range map to 0 and 1; values beyond them are clipped.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("sprites", image_size=16, n_objects=1, frames=1)
        >>> low, high = world.intervenable["x0"]
        >>> [round(a, 3) for a in world.screen("x0", torch.tensor([low, (low + high) / 2, high, high + 10])).tolist()]
        [0.0, 0.5, 1.0, 1.0]
        """
        return (0.5 + (value - self._mean[variable]) / (2 * _Z * self._std[variable])).clamp(0.0, 1.0)

    def draw(self, values: dict[str, Tensor], noise: dict[str, Tensor], out: Tensor) -> None:
        n, T, C, H, W = out.shape
        K, S = self._objects, self.image_size
        m = n * T

        dev = out.device
        if self._rect_index is None or self._rect_index[0].device != dev:
            obj = [k for k in range(K) for _ in _RECTS[self._shapes[k]]]
            geom = [r for k in range(K) for r in _RECTS[self._shapes[k]]]
            f32 = {"dtype": torch.float32, "device": dev}
            self._rect_index = (torch.tensor(obj, device=dev), torch.tensor([g[0] for g in geom], **f32),
                                torch.tensor([g[1] for g in geom], **f32), torch.tensor([g[2] for g in geom], **f32))
        obj, fx, fy, sign = self._rect_index

        def attr(name: str) -> Tensor:  # screen units of attribute ``name`` of every object: [m, K]
            cols_ = []
            for k in range(K):
                v = values[f"{name}{k}"]
                cols_.append(v if v.dim() == 2 else v[:, None].expand(n, T))
            raw = torch.stack(cols_, dim=-1).reshape(m, K).to(torch.float32)
            mean, width = self._screen_stats[name]  # the screen shows mean +- width / 2
            return (0.5 + (raw - mean.to(dev)) / width.to(dev)).clamp(0.0, 1.0)

        h0, h1 = self._half
        span = S - 2 * self._margin
        cx = (self._margin + attr("x") * span)[:, obj]  # [m, R]: per rectangle
        cy = (self._margin + attr("y") * span)[:, obj]
        half = (h0 + h1 * attr("size"))[:, obj]
        rgb = self._level * _hue_to_rgb(attr("hue") * _HUE_SPAN)  # [m, K, C]
        xs = _coverage(cx, fx * half, W)  # [m, R, W]
        ys = _coverage(cy, fy * half, H)  # [m, R, H]
        cols = sign[:, None] * rgb[:, obj]  # [m, R, C]
        R = cols.shape[1] + 1
        # A[m, C, H, R] = colour_r[c] * ycov_r[y]; B[m, R, W] = xcov_r[x]; frame = A @ B.
        # The last rank-one term is the background, +0.5 so that truncation rounds to nearest.
        A = torch.empty((m, C, H, R), dtype=torch.float32, device=out.device)
        A[..., :-1] = cols.transpose(1, 2)[:, :, None, :] * ys.transpose(1, 2)[:, None, :, :]
        A[..., -1] = _BACKGROUND + 0.5
        B = torch.empty((m, R, W), dtype=torch.float32, device=out.device)
        B[:, :-1] = xs
        B[:, -1] = 1.0
        A = A.view(m, C * H, R)
        flat = out.view(m, C * H, W)
        # Cache-sized chunks on CPU; float -> int32 -> uint8 is ~3x faster than float -> uint8.
        chunk = m if out.device.type != "cpu" else max(1, (1 << 20) // (C * H * W * 4))
        fbuf = torch.empty((min(chunk, m), C * H, W), dtype=torch.float32, device=out.device)
        ibuf = torch.empty((min(chunk, m), C * H, W), dtype=torch.int32, device=out.device)
        for s in range(0, m, chunk):
            e = min(m, s + chunk)
            torch.bmm(A[s:e], B[s:e], out=fbuf[: e - s])
            ibuf[: e - s].copy_(fbuf[: e - s])
            flat[s:e].copy_(ibuf[: e - s])
