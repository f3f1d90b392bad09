"""``billiards``: K balls in a box with elastic bounces and collisions, a time-unrolled SCM.

Each ball ``k`` starts at ``(x_k, y_k)`` with velocity ``(vx_k, vy_k)`` (the roots); every frame,
balls about to touch exchange momentum along their line of centres, then all move and bounce off
the walls (:func:`~causalworld.envs.newtonian.billiard_step`). In the truth, every ball's state at
frame ``t`` is a function of *every* ball's state at ``t - 1`` (plus a small additive noise), so
the summary graph links every ball to every ball, whether or not two balls meet in an episode.

Variables (summary names, all with one value per frame; box ``[0, 1]^2``, ``y`` up, speeds in
box units per frame)
------------------------------------------------------------------------------------------------
===============  ==================================================  ==========  ==================
variable         mechanism                                           depicted    intervenable
===============  ==================================================  ==========  ==================
``x_k`` [T]      x_k[0] ~ Uniform(r, 1 - r);                         disc        [r, 1 - r]
                 x_k[t] = step(all balls at t-1).x_k + u
``y_k`` [T]      likewise                                            disc        [r, 1 - r]
``vx_k`` [T]     vx_k[0] ~ Uniform(-speed, speed);                   no          [-2 speed, 2 speed]
                 vx_k[t] = step(all balls at t-1).vx_k + u
``vy_k`` [T]     likewise                                            no          [-2 speed, 2 speed]
===============  ==================================================  ==========  ==================

for ``k = 0 .. n_balls - 1``, with ``r`` the balls' radius. Velocities act on the frames only
through later positions. ``do={"x_0": v}`` sets ball 0's starting position; later frames follow
the dynamics. Balls are drawn as coloured discs that add up where they overlap.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import networkx as nx
import torch
from torch import Tensor

from causalworld.envs.newtonian import BilliardStep, stamp_discs
from causalworld.envs.registry import register_world
from causalworld.envs.world import Tolerance, World, WorldSpec, unrolled_name
from causalworld.errors import ArgumentError, OutOfRangeError
from causalworld.scm import SCM, UniformRoot
from causalworld.scm.graph import topological_order

__all__ = ["BilliardsWorld", "PALETTE"]

PALETTE = (
    (1.0, 0.15, 0.1),  # red
    (0.15, 1.0, 0.2),  # green
    (0.2, 0.35, 1.0),  # blue
    (1.0, 0.9, 0.1),  # yellow
    (0.9, 0.2, 1.0),  # magenta
    (0.1, 0.95, 0.95),  # cyan
    (1.0, 0.55, 0.1),  # orange
    (0.9, 0.9, 0.9),  # white
)
"""The balls' colours (RGB fractions), ball ``k`` taking ``PALETTE[k]``."""
_TABLE_RGB = (10.0, 40.0, 22.0)
_STATE = ("x", "y", "vx", "vy")


@register_world
class BilliardsWorld(World):
    """``n_balls`` balls bouncing in a box, colliding elastically. See the module docstring.

    Config
    ------
    n_balls : int, default 3
        Between 1 and 8.
    radius : float, default 0.07
        Radius of every ball, in box units.
    masses : list of float or None, default None
        One mass per ball; ``None`` gives equal masses.
    speed : float, default 0.05
        Starting velocity components are Uniform(-speed, speed), in box units per frame.
    noise_std : float, default 0.001
        Std of the additive noise on every position and velocity after each frame (0 makes the
        dynamics deterministic: momentum and energy are then exactly kept in collisions).

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("billiards", image_size=32, frames=8, n_balls=2)
    >>> world.variables
    ('x_0', 'y_0', 'vx_0', 'vy_0', 'x_1', 'y_1', 'vx_1', 'vy_1')
    >>> sorted(world.graph.predecessors("x_0"))  # every ball acts on every ball at the next frame
    ['vx_0', 'vx_1', 'vy_0', 'vy_1', 'x_1', 'y_0', 'y_1']
    >>> world.rollout(3, seed=0, do={"x_0": 0.5}).values["x_0"][:, 0]
    tensor([0.5000, 0.5000, 0.5000])
    """

    name: ClassVar[str] = "billiards"
    version: ClassVar[int] = 0
    default_frames: ClassVar[int] = 16
    config_defaults: ClassVar[dict[str, Any]] = {
        "n_balls": 3,
        "radius": 0.07,
        "masses": None,
        "speed": 0.05,
        "noise_std": 0.001,
    }

    def _number(self, key: str, low: float, high: float, *, closed_low: bool = False) -> float:
        value = self.config[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ArgumentError(f"{key} must be a number, got {value!r}")
        if not ((low <= value if closed_low else low < value) and value < high):
            raise OutOfRangeError(f"{key} must lie in {'[' if closed_low else '('}{low}, {high}), got {value}")
        return float(value)

    def build(self) -> WorldSpec:
        K = self.config["n_balls"]
        if not isinstance(K, int) or isinstance(K, bool) or not 1 <= K <= len(PALETTE):
            raise OutOfRangeError(f"n_balls must be an int in 1..{len(PALETTE)}, got {K!r}")
        r = self._number("radius", 0.0, 0.25)
        speed = self._number("speed", 0.0, r)  # slower than a radius per frame: no ball skips past another
        noise = self._number("noise_std", 0.0, 0.05, closed_low=True)
        masses = self.config["masses"]
        if masses is None:
            masses = [1.0] * K
        elif (isinstance(masses, (str, bytes)) or not hasattr(masses, "__len__") or len(masses) != K
              or not all(isinstance(m, (int, float)) and not isinstance(m, bool) and math.isfinite(m) and m > 0 for m in masses)):
            raise ArgumentError(f"masses must be None or a list of {K} positive numbers (one per ball), got {masses!r}")
        masses = [float(m) for m in masses]
        self._balls, self._radius = K, r
        T = self.frames
        name = [[[unrolled_name(f"{s}_{k}", t) for s in _STATE] for k in range(K)] for t in range(T)]  # [t][k][s]
        g = nx.DiGraph()
        g.add_nodes_from(v for t in range(T) for k in range(K) for v in name[t][k])
        for t in range(1, T):
            before = [v for k in range(K) for v in name[t - 1][k]]
            g.add_edges_from((p, v) for k in range(K) for v in name[t][k] for p in before)
        order = topological_order(g)
        pos = {v: i for i, v in enumerate(order)}
        mechs: dict[str, Any] = {}
        for k in range(K):
            x0, y0, vx0, vy0 = name[0][k]
            mechs[x0], mechs[y0] = UniformRoot(r, 1.0 - r), UniformRoot(r, 1.0 - r)
            mechs[vx0], mechs[vy0] = UniformRoot(-speed, speed), UniformRoot(-speed, speed)
        for t in range(1, T):
            before = sorted((v for k in range(K) for v in name[t - 1][k]), key=pos.__getitem__)
            col = {v: j for j, v in enumerate(before)}
            columns = [[col[v] for v in name[t - 1][k]] for k in range(K)]
            for k in range(K):
                for s, v in zip(_STATE, name[t][k]):
                    mechs[v] = BilliardStep(4 * K, columns=columns, ball=k, component=s, radius=r, masses=masses,
                                            noise_std=noise)
        truth = SCM(g, mechs, dtype=torch.float32, device=self.device)
        S, dev = self.image_size, self.device
        self._radius_px = max(r * S, 1.0)  # at least 2 px wide on tiny images, so that every move shows
        palette = torch.tensor(PALETTE[:K], device=dev)  # (K, C)
        table = torch.tensor(_TABLE_RGB, device=dev)
        # balls add up where they overlap: scale them so that all of them together (each rounded
        # on its own) stay under 256
        level = (255.0 - table - 0.5 * K - 0.5) / palette.sum(0)  # per channel, (C,)
        self._lift = level * palette  # (K, C)
        self._base = table.round().to(torch.uint8)[:, None, None].expand(3, S, S).contiguous()
        px = 0.5 / S  # half a pixel, in box units
        depicted: dict[str, Tolerance] = {}
        intervenable: dict[str, tuple[float, float]] = {}
        for k in range(K):
            for s in ("x", "y"):
                depicted[f"{s}_{k}"] = Tolerance(px, r, 1.0 - r)
                intervenable[f"{s}_{k}"] = (r, 1.0 - r)
            for s in ("vx", "vy"):
                intervenable[f"{s}_{k}"] = (-2.0 * speed, 2.0 * speed)
        return WorldSpec(truth=truth, intervenable=intervenable, depicted=depicted)

    def draw(self, values: dict[str, Tensor], noise: dict[str, Tensor], out: Tensor) -> None:
        n, T, C, H, W = out.shape
        m, S, K = n * T, self.image_size, self._balls
        cx = torch.stack([values[f"x_{k}"].reshape(m) for k in range(K)], dim=1).to(torch.float32) * S  # (m, K)
        cy = (1.0 - torch.stack([values[f"y_{k}"].reshape(m) for k in range(K)], dim=1).to(torch.float32)) * S  # y up
        flat = out.view(m, C, H, W)
        flat.copy_(self._base[None].expand(m, C, H, W))
        P = int(math.ceil(2.0 * self._radius_px)) + 2
        chunk = m if out.device.type != "cpu" else max(1, (1 << 20) // (K * C * P * P))
        for s in range(0, m, chunk):
            e = min(m, s + chunk)
            stamp_discs(flat[s:e], cx[s:e], cy[s:e], self._radius_px, self._lift)
