"""``pendulum``: a pendulum, a lamp and the pendulum's shadow, the classic benchmark of causal VAEs.

A pendulum hangs from a pivot; a point lamp slides along a rail above the scene; the bob's shadow
falls on the ground. The shadow's place and length are caused by the pendulum's angle and the
lamp's place (CausalVAE's "pendulum" data, Yang et al. 2021), here with exact 2-D geometry: the
shadow of the bob (a disc) is the stretch of ground between the two lines from the lamp that
touch the disc, so it moves away from the lamp and lengthens as the light falls more obliquely.

Variables (scene units: the frame is the unit square, y up; one value per episode)
------------------------------------------------------------------------------------
====================  ======================================================  ===========  ================
variable              mechanism                                               depicted     intervenable
====================  ======================================================  ===========  ================
``pendulum_angle``    Uniform(-0.5, 0.5) rad, 0 = hanging straight down      rod and bob  [-0.5, 0.5]
``light_x``           Uniform(0.3, 0.7): the lamp's place on its rail          lamp         [0.3, 0.7]
``shadow_position``   centre of the bob's shadow on the ground + u            shadow       [0, 1]
``shadow_length``     length of the bob's shadow + u                          shadow       [0.02, 0.4]
====================  ======================================================  ===========  ================

``u ~ N(0, noise_std^2)`` (default 0.003). The graph is CausalVAE's: ``pendulum_angle ->
shadow_position <- light_x`` and the same into ``shadow_length``. The shadow is drawn from the
``shadow_*`` values, so setting them (as CausalVAE's interventions do) moves or stretches the
drawn shadow and nothing else. The lamp itself hangs above the frame (at height
``LIGHT_HEIGHT``); the frame shows the rail and a marker at ``light_x``.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import networkx as nx
import torch
from torch import Tensor

from causalworld.envs.physical_law import PhysicalLaw
from causalworld.envs.registry import register_world
from causalworld.envs.world import Tolerance, World, WorldSpec
from causalworld.errors import ArgumentError, OutOfRangeError
from causalworld.scm import SCM, UniformRoot, register_mechanism

__all__ = ["PendulumWorld", "PointLightShadow", "shadow_interval", "PIVOT", "ROD", "BOB_RADIUS", "LIGHT_HEIGHT", "GROUND"]

PIVOT = (0.5, 0.9)  # where the pendulum hangs
ROD = 0.42  # pivot to bob centre
BOB_RADIUS = 0.045
LIGHT_HEIGHT = 1.4  # the lamp's rail, above the frame
GROUND = 0.15  # height of the ground line
_ANGLE = (-0.5, 0.5)
_LIGHT = (0.3, 0.7)
_SKY, _GROUND_RGB = (200.0, 215.0, 235.0), (150.0, 125.0, 90.0)
_ROD_RGB, _BOB_RGB, _LAMP_RGB, _RAIL_RGB = (60.0, 60.0, 70.0), (200.0, 40.0, 40.0), (250.0, 200.0, 20.0), (120.0, 120.0, 130.0)
_SHADOW_DEPTH = 0.05  # the shadow is drawn as a band this tall just below the ground line
_SHADOW_DARKEN = 0.45  # the shadow keeps this fraction of the ground's colour


def shadow_interval(angle: Tensor, light_x: Tensor) -> tuple[Tensor, Tensor]:
    """Left and right ends of the bob's shadow on the ground (exact 2-D geometry).

    The bob centre is ``PIVOT + ROD (sin a, -cos a)``. Seen from the lamp at ``(light_x,
    LIGHT_HEIGHT)`` the disc spans the directions ``phi +- beta`` (``phi`` from the downward
    vertical to the bob centre, ``sin beta = BOB_RADIUS / distance``); those lines meet the ground
    at ``light_x + (LIGHT_HEIGHT - GROUND) tan(phi +- beta)``.

    Examples
    --------
    >>> lo, hi = shadow_interval(torch.tensor([0.0]), torch.tensor([0.5]))  # light straight above
    >>> bob_y = PIVOT[1] - ROD
    >>> expected = 2 * BOB_RADIUS * (LIGHT_HEIGHT - GROUND) / (LIGHT_HEIGHT - bob_y)  # similar triangles
    >>> bool(abs(float(hi - lo) - expected) < 2e-3), bool(abs(float(hi + lo) / 2 - 0.5) < 1e-6)
    (True, True)
    """
    bx = PIVOT[0] + ROD * torch.sin(angle)
    by = PIVOT[1] - ROD * torch.cos(angle)
    dx, dy = bx - light_x, LIGHT_HEIGHT - by
    phi = torch.atan2(dx, dy)
    beta = torch.asin((BOB_RADIUS / torch.sqrt(dx * dx + dy * dy)).clamp(max=1.0))
    h = LIGHT_HEIGHT - GROUND
    return light_x + h * torch.tan(phi - beta), light_x + h * torch.tan(phi + beta)


@register_mechanism
class PointLightShadow(PhysicalLaw):
    """The bob's shadow under a point lamp: its ``"position"`` (centre) or ``"length"``, ``+ u``.

    ``angle`` and ``light`` are the columns of ``pendulum_angle`` and ``light_x`` among the parents.

    Examples
    --------
    >>> m = PointLightShadow(2, angle=0, light=1, quantity="position", noise_std=0.0)
    >>> m.law(torch.tensor([[0.0, 0.5], [0.3, 0.5]]))  # straight below the lamp; swung right
    tensor([0.5000, 0.6726])
    """

    def __init__(self, n_parents: int = 2, *, angle: int = 0, light: int = 1, quantity: str = "position",
                 noise_std: float = 0.003) -> None:
        super().__init__(n_parents, noise_std)
        if quantity not in ("position", "length"):
            raise ArgumentError(f"quantity must be 'position' or 'length', got {quantity!r}")
        self.angle, self.light, self.quantity = int(angle), int(light), quantity

    def law(self, parents: Tensor) -> Tensor:
        lo, hi = shadow_interval(parents[:, self.angle], parents[:, self.light])
        return (lo + hi) / 2 if self.quantity == "position" else hi - lo

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-able: the same law is rebuilt from them.

        Examples
        --------
        >>> m = PointLightShadow(2, angle=0, light=1, quantity="position", noise_std=0.0)
        >>> PointLightShadow(**m.get_config()).get_config() == m.get_config()
        True
        """
        return {**super().get_config(), "angle": self.angle, "light": self.light, "quantity": self.quantity}


@register_world
class PendulumWorld(World):
    """A pendulum, a lamp on a rail, and the bob's shadow (see the module docstring).

    Config
    ------
    noise_std : float, default 0.003
        Standard deviation of the shadows' additive noise (scene units).

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("pendulum", image_size=32)
    >>> world.variables
    ('pendulum_angle', 'light_x', 'shadow_position', 'shadow_length')
    >>> sorted(world.graph.predecessors("shadow_length"))
    ['light_x', 'pendulum_angle']
    >>> eps = world.rollout(3, seed=0, do={"light_x": 0.3})
    >>> eps.frames.shape, bool((eps.values["light_x"] == 0.3).all())
    (torch.Size([3, 1, 3, 32, 32]), True)
    """

    name: ClassVar[str] = "pendulum"
    version: ClassVar[int] = 0
    default_frames: ClassVar[int] = 1
    config_defaults: ClassVar[dict[str, Any]] = {"noise_std": 0.003}

    def build(self) -> WorldSpec:
        std = self.config["noise_std"]
        if isinstance(std, bool) or not isinstance(std, (int, float)) or not 0 <= std <= 0.05:
            raise OutOfRangeError(f"noise_std must be a number in [0, 0.05], got {std!r}")
        S = self.image_size
        if S < 16:
            raise OutOfRangeError(f"pendulum needs image_size >= 16 to draw its parts, got {S}")
        g = nx.DiGraph()
        g.add_nodes_from(["pendulum_angle", "light_x", "shadow_position", "shadow_length"])
        for child in ("shadow_position", "shadow_length"):
            g.add_edges_from([("pendulum_angle", child), ("light_x", child)])
        # parents reach a mechanism in the SCM's variable order: pendulum_angle, then light_x
        mechs = {
            "pendulum_angle": UniformRoot(*_ANGLE),
            "light_x": UniformRoot(*_LIGHT),
            "shadow_position": PointLightShadow(2, angle=0, light=1, quantity="position", noise_std=float(std)),
            "shadow_length": PointLightShadow(2, angle=0, light=1, quantity="length", noise_std=float(std)),
        }
        truth = SCM(g, mechs, dtype=torch.float32, device=self.device)
        if truth.parents("shadow_length") != ("pendulum_angle", "light_x"):
            raise ArgumentError("internal: the shadow laws expect (pendulum_angle, light_x) as parents")  # pragma: no cover
        px = 1.0 / S  # one pixel in scene units
        # Each step moves an anti-aliased edge of a part with >= 50 grey levels of contrast by one
        # pixel (half a pixel for each end of the shadow), far above rounding.
        depicted = {
            "pendulum_angle": Tolerance(px / ROD, *_ANGLE),
            "light_x": Tolerance(px, *_LIGHT),
            "shadow_position": Tolerance(px, 0.0, 1.0),
            "shadow_length": Tolerance(px, 0.02, 0.4),
        }
        intervenable = {"pendulum_angle": _ANGLE, "light_x": _LIGHT, "shadow_position": (0.0, 1.0),
                        "shadow_length": (0.02, 0.4)}
        self._pix = (torch.arange(S, dtype=torch.float32, device=self.device) + 0.5) / S  # pixel centres
        return WorldSpec(truth=truth, intervenable=intervenable, depicted=depicted)

    def draw(self, values: dict[str, Tensor], noise: dict[str, Tensor], out: Tensor) -> None:
        n, T, C, H, W = out.shape
        S = self.image_size
        f32 = {"dtype": torch.float32, "device": out.device}
        xs = self._pix.to(out.device)[None, None, :]  # [1, 1, W]
        ys = (1.0 - self._pix.to(out.device))[None, :, None]  # [1, H, 1]: y grows upwards
        colour = {k: torch.tensor(v, **f32)[None, :, None, None]
                  for k, v in (("sky", _SKY), ("ground", _GROUND_RGB), ("rod", _ROD_RGB), ("bob", _BOB_RGB),
                               ("lamp", _LAMP_RGB), ("rail", _RAIL_RGB))}
        half_px = 0.5 / S

        def edge(signed: Tensor) -> Tensor:  # anti-aliased coverage from a signed distance (scene units)
            return (0.5 - signed * S).clamp(0.0, 1.0)

        chunk = max(1, (1 << 18) // (H * W))  # frames per pass: a few MB of float maps
        flat = out.view(n * T, C, H, W)
        v = {k: (t if t.dim() == 2 else t[:, None].expand(n, T)).reshape(n * T).to(torch.float32) for k, t in values.items()}
        for s in range(0, n * T, chunk):
            e = min(n * T, s + chunk)
            ang = v["pendulum_angle"][s:e, None, None]
            lx = v["light_x"][s:e, None, None]
            sp = v["shadow_position"][s:e, None, None]
            sl = v["shadow_length"][s:e, None, None].clamp(min=0.0)
            ground = edge(ys - GROUND)  # 1 below the ground line
            img = colour["sky"] + (colour["ground"] - colour["sky"]) * ground[:, None]
            # the shadow: a band just below the ground line over [sp - sl/2, sp + sl/2]
            band = edge(sp - sl / 2 - xs) * edge(xs - sp - sl / 2) * edge(ys - GROUND) * edge(GROUND - _SHADOW_DEPTH - ys)
            img = img * (1.0 - (1.0 - _SHADOW_DARKEN) * band[:, None])
            # the lamp's rail along the top edge and its marker (the lamp hangs above, out of frame)
            rail = edge(0.97 - ys - half_px) * ground.new_ones(1, 1, W)
            img = img + (colour["rail"] - img) * rail[:, None]
            marker = edge(torch.sqrt((xs - lx) ** 2 + (ys - 0.975) ** 2) - 0.035)
            img = img + (colour["lamp"] - img) * marker[:, None]
            # the rod: distance to the segment from the pivot to the bob centre
            bx, by = PIVOT[0] + ROD * torch.sin(ang), PIVOT[1] - ROD * torch.cos(ang)
            dx, dy = bx - PIVOT[0], by - PIVOT[1]
            tpos = (((xs - PIVOT[0]) * dx + (ys - PIVOT[1]) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0)
            dist = torch.sqrt((xs - PIVOT[0] - tpos * dx) ** 2 + (ys - PIVOT[1] - tpos * dy) ** 2)
            img = img + (colour["rod"] - img) * edge(dist - 0.012)[:, None]
            bob = edge(torch.sqrt((xs - bx) ** 2 + (ys - by) ** 2) - BOB_RADIUS)
            img = img + (colour["bob"] - img) * bob[:, None]
            flat[s:e].copy_(img.add_(0.5).clamp_(0.0, 255.0).to(torch.int32))
