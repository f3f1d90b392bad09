"""``falling``: a pen on a shelf, a block on the floor and a ball on a string, seen from the side.

Take the shelf away and the pen falls under gravity; if it lands on the block it knocks the block
sideways, farther the heavier the pen is against the block; cut the string and the ball falls to
the floor. The truth is an SCM over per-frame heights with closed-form kinematics
(:class:`~causalworld.envs.newtonian.FreeFall`, :class:`~causalworld.envs.newtonian.Knock`), plus a
small additive observation noise, so its counterfactuals are exact.

Variables (summary names; ``[T]`` marks one value per frame; lengths in scene units, the floor
at height 0, frames ``dt`` seconds apart)
------------------------------------------------------------------------------------------------
===================  ====================================================  =============  ================
variable             mechanism                                             depicted       intervenable
===================  ====================================================  =============  ================
``support_pen``      Binary, P(shelf under the pen) = ``p_support``        shelf          {0, 1}
``release``          Binary, P(string cut) = ``p_release``                 string         {0, 1}
``pen_x``            Uniform(0.12, 0.58): the pen's centre                 pen            [0.1, 0.6]
``block_x``          Uniform(0.3, 0.5): where the block stands             block          [0.25, 0.55]
``ball_x``           Uniform(0.8, 0.9)                                     ball           [0.78, 0.92]
``pen_mass``         Uniform(0.3, 2)                                       no             [0.1, 3]
``block_mass``       Uniform(0.3, 2)                                       no             [0.1, 3]
``pen_y`` [T]        pen_y[0] ~ Uniform(0.5, 0.85) (the pen's underside);  pen            [0.45, 0.9]
                     if unsupported, pen_y[t] = max(pen_y[0] - g (t dt)^2
                     / 2, rest) + u, rest = block top if the pen is over
                     the block, else the floor; supported: pen_y[0] + u
``block_shift`` [T]  0 until the pen lands on the block, then the block    block          no
                     slides away from the pen's centre with speed
                     pen_mass / (pen_mass + block_mass) * impact speed
                     against friction (stopping at the walls) + u
``ball_y`` [T]       ball_y[0] ~ Uniform(0.45, 0.85) (centre); if          ball           [0.3, 0.9]
                     released, max(ball_y[0] - g (t dt)^2 / 2, radius) + u
===================  ====================================================  =============  ================

The truth holds an edge only from the first frame at which it can act: ``pen_x, block_x ->
pen_y[t]`` and the knock's parents appear once the pen can have fallen past the block's top
(from the lowest start an agent may set), so with few or short frames the graph has fewer edges.
The masses are not drawn: they act on the frames only through the knock distance. Once the pen
lies on the block it rides along with it (the drawing places it at ``pen_x + block_shift[t]``).
Setting ``pen_y`` or ``ball_y`` sets the starting height; later frames follow the fall.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import networkx as nx
import torch
from torch import Tensor

from causalworld.envs.newtonian import AtRest, FreeFall, Knock, box_coverage, disc_rows
from causalworld.envs.registry import register_world
from causalworld.envs.world import Tolerance, World, WorldSpec, unrolled_name
from causalworld.errors import ArgumentError, OutOfRangeError
from causalworld.scm import SCM, Binary, UniformRoot
from causalworld.scm.graph import topological_order

__all__ = ["FallingWorld", "PEN_LENGTH", "BLOCK_WIDTH", "BALL_RADIUS"]

PEN_LENGTH = 0.2
PEN_THICKNESS = 0.03
BLOCK_WIDTH = 0.16
BALL_RADIUS = 0.07
_SHELF = (0.03, 0.025)  # how far the shelf sticks out past each end of the pen, and its thickness
_STRING = 0.02  # width of the string
_WALLS = (0.03, 0.62)  # the block's centre stays between these (the ball's corner begins beyond)
# The scene maps to pixels with one scale on both axes: px = (X0 + x) * SCALE, py = FLOOR - y * SCALE.
_SCALE, _X0, _FLOOR = 0.85, 0.075 / 0.85, 0.92
# Colours (0..255): wall, floor, then the layers in drawing order.
_WALL_RGB = (38.0, 42.0, 58.0)
_FLOOR_RGB = (105.0, 78.0, 52.0)
_LAYERS = ("shelf", "string", "block", "pen", "ball")  # the ball must stay last
_LAYER_RGB = {
    "shelf": (150.0, 150.0, 160.0),
    "string": (215.0, 215.0, 215.0),
    "block": (70.0, 140.0, 235.0),
    "pen": (240.0, 200.0, 50.0),
    "ball": (235.0, 70.0, 70.0),
}


def _parent_columns(order: list[str], g: nx.DiGraph, child: str) -> dict[str, int]:
    """Column of each parent of ``child`` in the parents matrix its mechanism receives."""
    pos = {v: i for i, v in enumerate(order)}
    return {p: j for j, p in enumerate(sorted(g.predecessors(child), key=pos.__getitem__))}


@register_world
class FallingWorld(World):
    """A pen on a shelf, a block, a ball on a string: remove a support and watch what falls and
    what it knocks. See the module docstring for the variables.

    Config
    ------
    gravity : float, default 9.81
        In scene units per second squared (the scene is about one unit tall).
    dt : float, default 0.05
        Seconds between frames.
    friction : float, default 0.8
        Sliding friction coefficient of the block on the floor.
    restitution : float, default 1.0
        Scales the speed the landing pen passes to the block.
    noise_std : float, default 0.002
        Std of the additive noise on every per-frame value (0 makes the physics deterministic).
    p_support, p_release : float, defaults 0.6, 0.5
        Observational probabilities of the shelf being there and of the string being cut.
    block_height : float, default 0.2
        Height of the block, where a pen landing on it comes to rest.

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("falling", image_size=32, frames=12)
    >>> eps = world.rollout(2, seed=0, do={"support_pen": 0, "pen_x": 0.1, "block_x": 0.5})
    >>> bool((eps.values["pen_y"][:, -1].abs() < 0.01).all())  # missed the block: on the floor
    True
    >>> sorted(world.graph.predecessors("block_shift"))
    ['block_mass', 'block_x', 'pen_mass', 'pen_x', 'pen_y', 'support_pen']
    """

    name: ClassVar[str] = "falling"
    version: ClassVar[int] = 0
    default_frames: ClassVar[int] = 16
    config_defaults: ClassVar[dict[str, Any]] = {
        "gravity": 9.81,
        "dt": 0.05,
        "friction": 0.8,
        "restitution": 1.0,
        "noise_std": 0.002,
        "p_support": 0.6,
        "p_release": 0.5,
        "block_height": 0.2,
    }

    def _setting(self, key: str, low: float, high: float, *, closed_low: bool = False) -> float:
        value = self.config[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ArgumentError(f"{key} must be a number, got {value!r}")
        ok = (low <= value if closed_low else low < value) and value < high
        if not ok:
            raise OutOfRangeError(f"{key} must lie in {'[' if closed_low else '('}{low}, {high}), got {value}")
        return float(value)

    def build(self) -> WorldSpec:
        g_acc = self._setting("gravity", 0.0, 1e3)
        dt = self._setting("dt", 0.0, 10.0)
        friction = self._setting("friction", 0.0, 1e3)
        restitution = self._setting("restitution", 0.0, 10.0, closed_low=True)
        noise = self._setting("noise_std", 0.0, 0.05, closed_low=True)
        p_support = self._setting("p_support", 0.0, 1.0)
        p_release = self._setting("p_release", 0.0, 1.0)
        top = self._setting("block_height", 0.05, 0.4)
        self._block_top = top
        T = self.frames
        pen_y, shift, ball_y = ([unrolled_name(v, t) for t in range(T)] for v in ("pen_y", "block_shift", "ball_y"))
        static = ["support_pen", "release", "pen_x", "block_x", "ball_x", "pen_mass", "block_mass"]
        g = nx.DiGraph()
        g.add_nodes_from([*static, *pen_y, *shift, *ball_y])
        lowest = top + 0.25  # the lowest starting height of the pen's underside an agent may set
        # per frame: whether a pen dropped from there is past the block's top; before that, where
        # the pen and the block stand cannot matter and the block is never knocked (an edge only
        # where it can act: the truth is minimal)
        may_land = [0.5 * g_acc * (t * dt) ** 2 > lowest - top for t in range(T)]
        for t in range(T):
            if t > 0:
                g.add_edges_from((p, pen_y[t]) for p in ("support_pen", pen_y[0]))
                if may_land[t]:
                    g.add_edges_from((p, pen_y[t]) for p in ("pen_x", "block_x"))
                g.add_edges_from((p, ball_y[t]) for p in ("release", ball_y[0]))
            if may_land[t]:
                g.add_edges_from((p, shift[t]) for p in ("support_pen", "pen_x", "block_x", pen_y[0], "pen_mass", "block_mass"))
        order = topological_order(g)
        reach = 0.5 * (PEN_LENGTH + BLOCK_WIDTH)  # the pen lands on the block where they overlap
        mechs: dict[str, Any] = {
            "support_pen": Binary(0, bias=math.log(p_support / (1 - p_support))),
            "release": Binary(0, bias=math.log(p_release / (1 - p_release))),
            "pen_x": UniformRoot(0.12, 0.58),
            "block_x": UniformRoot(0.3, 0.5),
            "ball_x": UniformRoot(0.8, 0.9),
            "pen_mass": UniformRoot(0.3, 2.0),
            "block_mass": UniformRoot(0.3, 2.0),
            pen_y[0]: UniformRoot(0.5, 0.85),
            ball_y[0]: UniformRoot(0.45, 0.85),
        }
        for t in range(T):
            if t > 0:
                c = _parent_columns(order, g, pen_y[t])
                if may_land[t]:
                    mechs[pen_y[t]] = FreeFall(4, hold=c["support_pen"], height=c[pen_y[0]], x=c["pen_x"],
                                               platform_x=c["block_x"], step=t, dt=dt, gravity=g_acc, floor=0.0,
                                               reach=reach, platform_top=top, noise_std=noise)
                else:  # still above the block's top: no platform to rest on yet
                    mechs[pen_y[t]] = FreeFall(2, hold=c["support_pen"], height=c[pen_y[0]], step=t, dt=dt,
                                               gravity=g_acc, floor=0.0, noise_std=noise)
                c = _parent_columns(order, g, ball_y[t])
                mechs[ball_y[t]] = FreeFall(2, hold=c["release"], falls_when=1, height=c[ball_y[0]], step=t, dt=dt,
                                            gravity=g_acc, floor=BALL_RADIUS, noise_std=noise)
            if not may_land[t]:  # not knocked yet: only the observation noise
                mechs[shift[t]] = AtRest(0, noise_std=noise)
                continue
            c = _parent_columns(order, g, shift[t])
            mechs[shift[t]] = Knock(6, hold=c["support_pen"], x=c["pen_x"], height=c[pen_y[0]], mass=c["pen_mass"],
                                    platform_x=c["block_x"], platform_mass=c["block_mass"], step=t, dt=dt,
                                    gravity=g_acc, reach=reach, platform_top=top, friction=friction,
                                    restitution=restitution, room=_WALLS, noise_std=noise)
        truth = SCM(g, mechs, dtype=torch.float32, device=self.device)
        self._geometry()
        px = 0.5 / (_SCALE * self.image_size)  # half a pixel, in scene units
        depicted = {
            "support_pen": Tolerance(1, 0, 1),
            "release": Tolerance(1, 0, 1),
            "pen_x": Tolerance(px, 0.1, 0.6),
            "block_x": Tolerance(px, 0.25, 0.55),
            "ball_x": Tolerance(px, 0.78, 0.92),
            "pen_y": Tolerance(px, 0.0, 0.95),
            "block_shift": Tolerance(px, -0.3, 0.3),
            "ball_y": Tolerance(px, BALL_RADIUS, 0.95),
        }
        intervenable = {
            "support_pen": range(2),
            "release": range(2),
            "pen_x": (0.1, 0.6),
            "block_x": (0.25, 0.55),
            "ball_x": (0.78, 0.92),
            "pen_mass": (0.1, 3.0),
            "block_mass": (0.1, 3.0),
            "pen_y": (lowest, 0.9),
            "ball_y": (0.3, 0.9),
        }
        return WorldSpec(truth=truth, intervenable=intervenable, depicted=depicted)

    # ------------------------------------------------------------------ drawing
    def _geometry(self) -> None:
        """The background column (wall above, floor below) and the layer colours, for this size."""
        S, dev = self.image_size, self.device
        wall = torch.tensor(_WALL_RGB, device=dev)
        floor = torch.tensor(_FLOOR_RGB, device=dev)
        rows = box_coverage(torch.tensor([_FLOOR * S], device=dev), torch.tensor([float(S)], device=dev), S)[0]  # (H,)
        # +0.5 so that truncation to integers rounds to nearest
        self._base = wall[:, None] + rows[None, :] * (floor - wall)[:, None] + 0.5  # (C, H)
        self._lift = torch.tensor([_LAYER_RGB[k] for k in _LAYERS], device=dev) - wall  # (L, C)
        # on tiny images, thin parts are drawn at least a pixel thick (and the ball 2 px wide) so
        # that any move by the stated step still shows
        self._ball_px = max(BALL_RADIUS * _SCALE * S, 1.0)
        px = 1.0 / (_SCALE * S)
        self._pen_thickness, self._shelf_thickness, self._string = (max(d, px) for d in (PEN_THICKNESS, _SHELF[1], _STRING))

    def draw(self, values: dict[str, Tensor], noise: dict[str, Tensor], out: Tensor) -> None:
        n, T, C, H, W = out.shape
        m, S = n * T, self.image_size

        def per_frame(v: Tensor) -> Tensor:  # [m]
            return (v[:, None].expand(n, T) if v.dim() == 1 else v).reshape(m).to(torch.float32)

        def col(x: Tensor) -> Tensor:
            return (_X0 + x) * (_SCALE * S)

        def row(y: Tensor) -> Tensor:
            return _FLOOR * S - y * (_SCALE * S)

        support, release = per_frame(values["support_pen"]), per_frame(values["release"])
        pen_x, block_x, ball_x = per_frame(values["pen_x"]), per_frame(values["block_x"]), per_frame(values["ball_x"])
        pen_y, shift, ball_y = per_frame(values["pen_y"]), per_frame(values["block_shift"]), per_frame(values["ball_y"])
        # the pen rides on the block once it has fallen onto it (the truth's landing rule)
        on_block = (support < 0.5) & ((pen_x - block_x).abs() < 0.5 * (PEN_LENGTH + BLOCK_WIDTH))
        pen_c = pen_x + torch.where(on_block, shift, torch.zeros_like(shift))
        block_c = block_x + shift
        reach = 0.5 * PEN_LENGTH + _SHELF[0]
        # each rectangle as (left, right, bottom, top) in the scene, times a 0/1 gate
        rects = [
            (pen_x - reach, pen_x + reach, pen_y - self._shelf_thickness, pen_y, support),
            (ball_x - 0.5 * self._string, ball_x + 0.5 * self._string, ball_y + BALL_RADIUS, torch.full_like(ball_y, 2.0),
             1.0 - release),
            (block_c - 0.5 * BLOCK_WIDTH, block_c + 0.5 * BLOCK_WIDTH, torch.zeros_like(block_c),
             torch.full_like(block_c, self._block_top), None),
            (pen_c - 0.5 * PEN_LENGTH, pen_c + 0.5 * PEN_LENGTH, pen_y, pen_y + self._pen_thickness, None),
        ]
        ball_cx, ball_cy = col(ball_x), row(ball_y)
        # Every layer is a sum of rank-one terms (a rectangle is a column profile times a row
        # profile, the ball one term per pixel row), so a frame is A[C*H, R] @ B[R, W]; the last
        # term is the background. Drawn a cache-sized chunk of frames at a time on CPU.
        P = int(math.ceil(2.0 * self._ball_px)) + 2
        R = len(rects) + P + 1
        flat = out.view(m, C * H, W)
        chunk = m if out.device.type != "cpu" else max(1, (1 << 20) // (C * H * W * 4))
        A = torch.empty((min(chunk, m), C, H, R), dtype=torch.float32, device=out.device)
        B = torch.empty((min(chunk, m), R, W), dtype=torch.float32, device=out.device)
        fbuf = torch.empty((min(chunk, m), C * H, W), dtype=torch.float32, device=out.device)
        ibuf = torch.empty((min(chunk, m), C * H, W), dtype=torch.int32, device=out.device)
        lift, pix = self._lift, torch.arange(H, device=out.device)
        A[..., -1] = self._base
        B[:, -1] = 1.0
        for s in range(0, m, chunk):
            e, c = min(m, s + chunk), min(m, s + chunk) - s
            for k, (left, right, bottom, top, gate) in enumerate(rects):
                ys = box_coverage(row(top[s:e]), row(bottom[s:e]), H)  # (c, H)
                if gate is not None:
                    ys = ys * gate[s:e, None]
                A[:c, :, :, k] = lift[k][None, :, None] * ys[:, None, :]
                B[:c, k] = box_coverage(col(left[s:e]), col(right[s:e]), W)
            index, cover = disc_rows(ball_cx[s:e], ball_cy[s:e], self._ball_px, H, W)  # (c, P), (c, P, W)
            onehot = (index[:, None, :] == pix[None, :, None]).to(torch.float32)  # (c, H, P)
            A[:c, :, :, len(rects):-1] = lift[-1][None, :, None, None] * onehot[:, None]
            B[:c, len(rects):-1] = cover
            torch.bmm(A[:c].view(c, C * H, R), B[:c], out=fbuf[:c])
            ibuf[:c].copy_(fbuf[:c].clamp_(0.0, 255.0))
            flat[s:e].copy_(ibuf[:c])
