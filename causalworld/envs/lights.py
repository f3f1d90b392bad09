"""``lights``: a switchboard and a light tunnel, the small default world (fast at 32x32).

Three coloured lamps, each behind a binary switch and a dimmer, shine through a rotating
polarizer onto a light sensor that follows Malus's law; the ambient light, drawn as the
background, confounds the lamps (they dim themselves in daylight) and the sensor (it also reads
the daylight). Its truth is an SCM with two custom physical laws, :class:`Lamp` and
:class:`MalusSensor`; the polarizer angle and the sensor reading change from frame to frame.

Variables (summary names; ``[T]`` marks one value per frame)
------------------------------------------------------------
========================  =============================================  ==========  ===========
variable                  mechanism                                      depicted    intervenable
========================  =============================================  ==========  ===========
``ambient``               Uniform(0.05, 0.95)                            background  [0, 1]
``switch_{c}``            Binary, P(on) = 0.6                            toggle      {0, 1}
``dimmer_{c}``            Uniform(0.2, 1)                                no          [0, 1]
``lamp_{c}``              switch * dimmer * (1 - 0.5 ambient) + u        disc        no
``spin``                  Uniform(-0.25, 0.25) rad per frame             no          [-0.5, 0.5]
``angle`` [T]             angle[0] ~ Uniform(0, pi);                     bar         [0, pi]
                          angle[t] = angle[t-1] + spin + u
``sensor`` [T]            0.3 ambient + 0.7 cos^2(angle[t]) mean(lamps)  meter       no
                          + u  (Malus's law; the lamps are polarized
                          along angle 0)
========================  =============================================  ==========  ===========

with ``c`` in red, green, blue. ``dimmer_{c}`` and ``spin`` act on the frames only through the
lamps and the polarizer's motion. Setting ``angle`` sets the polarizer's starting angle.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import networkx as nx
import torch
from torch import Tensor

from causalworld.envs.physical_law import PhysicalLaw
from causalworld.envs.registry import register_world
from causalworld.envs.world import Tolerance, World, WorldSpec, unrolled_name
from causalworld.errors import OutOfRangeError
from causalworld.scm import SCM, Binary, LinearGaussian, UniformRoot, register_mechanism
from causalworld.scm.graph import topological_order

__all__ = ["LightsWorld", "Lamp", "MalusSensor", "COLOURS"]

COLOURS = ("red", "green", "blue")
# RGB of each lamp at full brightness, and of everything else, as fractions of 255.
_LAMP_RGB = torch.tensor([[1.0, 0.18, 0.12], [0.15, 1.0, 0.2], [0.2, 0.35, 1.0]])
_BAR_RGB = torch.tensor([0.95, 0.9, 0.45])
_METER_RGB = torch.tensor([0.3, 0.95, 0.95])


@register_mechanism
class Lamp(PhysicalLaw):
    """A lamp's brightness: ``switch * dimmer * (1 - fade * ambient) + u``.

    ``switch``, ``dimmer``, ``ambient`` are the columns of those parents.

    Examples
    --------
    >>> m = Lamp(3, switch=0, dimmer=1, ambient=2, fade=0.5)
    >>> m.law(torch.tensor([[1.0, 0.8, 0.5], [0.0, 0.8, 0.5]]))
    tensor([0.6000, 0.0000])
    """

    def __init__(self, n_parents: int = 3, *, switch: int = 0, dimmer: int = 1, ambient: int = 2,
                 fade: float = 0.5, noise_std: float = 0.02) -> None:
        super().__init__(n_parents, noise_std)
        self.cols = (int(switch), int(dimmer), int(ambient))
        self.fade = float(fade)

    def law(self, parents: Tensor) -> Tensor:
        s, d, a = self.cols
        return parents[:, s] * parents[:, d] * (1.0 - self.fade * parents[:, a])

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-able: the same law is rebuilt from them.

        Examples
        --------
        >>> m = Lamp(3, switch=0, dimmer=1, ambient=2, fade=0.5)
        >>> Lamp(**m.get_config()).get_config() == m.get_config()
        True
        """
        s, d, a = self.cols
        return {**super().get_config(), "switch": s, "dimmer": d, "ambient": a, "fade": self.fade}


@register_mechanism
class MalusSensor(PhysicalLaw):
    """A light sensor behind a polarizer (Malus's law): ``gain * ambient + transmit *
    cos^2(angle - axis) * mean(lamps) + u``. The lamps' light is polarized along ``axis``; the
    daylight is not, so the polarizer does not modulate it.

    Examples
    --------
    >>> m = MalusSensor(3, ambient=0, angle=1, lamps=[2], ambient_gain=0.3, transmit=0.7)
    >>> m.law(torch.tensor([[0.0, 0.0, 1.0], [0.0, math.pi / 2, 1.0], [1.0, math.pi / 3, 1.0]]))
    tensor([0.7000, 0.0000, 0.4750])
    """

    def __init__(self, n_parents: int, *, ambient: int, angle: int, lamps: list[int], ambient_gain: float = 0.3,
                 transmit: float = 0.7, axis: float = 0.0, noise_std: float = 0.02) -> None:
        super().__init__(n_parents, noise_std)
        self.ambient, self.angle, self.lamps = int(ambient), int(angle), [int(i) for i in lamps]
        self.ambient_gain, self.transmit, self.axis = float(ambient_gain), float(transmit), float(axis)

    def law(self, parents: Tensor) -> Tensor:
        light = parents[:, self.lamps].mean(dim=1)
        malus = torch.cos(parents[:, self.angle] - self.axis) ** 2
        return self.ambient_gain * parents[:, self.ambient] + self.transmit * malus * light

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-able: the same law is rebuilt from them.

        Examples
        --------
        >>> m = MalusSensor(3, ambient=0, angle=1, lamps=[2], ambient_gain=0.3, transmit=0.7)
        >>> MalusSensor(**m.get_config()).get_config() == m.get_config()
        True
        """
        return {**super().get_config(), "ambient": self.ambient, "angle": self.angle, "lamps": self.lamps,
                "ambient_gain": self.ambient_gain, "transmit": self.transmit, "axis": self.axis}


def _columns(order: list[str], g: nx.DiGraph, child: str) -> dict[str, int]:
    """Column of each parent of ``child`` in the parents matrix its mechanism receives."""
    pos = {v: i for i, v in enumerate(order)}
    parents = sorted(g.predecessors(child), key=pos.__getitem__)
    return {p: j for j, p in enumerate(parents)}


@register_world
class LightsWorld(World):
    """Switches and dimmers drive coloured lamps; a polarizer and a sensor obey Malus's law;
    the ambient light (the background) confounds lamps and sensor. See the module docstring.

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=32, frames=4)
    >>> world.depicted
    ('ambient', 'switch_red', 'switch_green', 'switch_blue', 'lamp_red', 'lamp_green', 'lamp_blue', 'angle', 'sensor')
    >>> sorted(world.graph.predecessors("sensor"))
    ['ambient', 'angle', 'lamp_blue', 'lamp_green', 'lamp_red']
    """

    name: ClassVar[str] = "lights"
    version: ClassVar[int] = 0
    default_frames: ClassVar[int] = 8
    config_defaults: ClassVar[dict[str, Any]] = {"p_switch_on": 0.6, "fade": 0.5}

    def build(self) -> WorldSpec:
        p_on = float(self.config["p_switch_on"])
        if not 0.0 < p_on < 1.0:
            raise OutOfRangeError(f"p_switch_on must lie in (0, 1), got {p_on}")
        fade = float(self.config["fade"])
        if not 0.0 <= fade <= 1.0:  # a lamp's brightness switch * dimmer * (1 - fade * ambient) stays >= 0
            raise OutOfRangeError(f"fade must lie in [0, 1], got {fade}")
        T = self.frames
        g = nx.DiGraph()
        nodes = ["ambient", *(f"switch_{c}" for c in COLOURS), *(f"dimmer_{c}" for c in COLOURS),
                 *(f"lamp_{c}" for c in COLOURS), "spin"]
        for t in range(T):
            nodes += [unrolled_name("angle", t), unrolled_name("sensor", t)]
        g.add_nodes_from(nodes)
        for c in COLOURS:
            g.add_edges_from([(f"switch_{c}", f"lamp_{c}"), (f"dimmer_{c}", f"lamp_{c}"), ("ambient", f"lamp_{c}")])
        for t in range(T):
            a, s = unrolled_name("angle", t), unrolled_name("sensor", t)
            if t > 0:
                g.add_edges_from([(unrolled_name("angle", t - 1), a), ("spin", a)])
            g.add_edges_from([("ambient", s), (a, s), *((f"lamp_{c}", s) for c in COLOURS)])
        order = topological_order(g)
        bias = math.log(p_on / (1.0 - p_on))
        mechs: dict[str, Any] = {"ambient": UniformRoot(0.05, 0.95), "spin": UniformRoot(-0.25, 0.25)}
        for c in COLOURS:
            mechs[f"switch_{c}"] = Binary(0, bias=bias)
            mechs[f"dimmer_{c}"] = UniformRoot(0.2, 1.0)
            col = _columns(order, g, f"lamp_{c}")
            mechs[f"lamp_{c}"] = Lamp(3, switch=col[f"switch_{c}"], dimmer=col[f"dimmer_{c}"], ambient=col["ambient"],
                                      fade=fade)
        for t in range(T):
            a, s = unrolled_name("angle", t), unrolled_name("sensor", t)
            mechs[a] = UniformRoot(0.0, math.pi) if t == 0 else LinearGaussian(2, weight=[1.0, 1.0], noise_std=0.01)
            col = _columns(order, g, s)
            mechs[s] = MalusSensor(5, ambient=col["ambient"], angle=col[a], lamps=[col[f"lamp_{c}"] for c in COLOURS])
        truth = SCM(g, mechs, dtype=torch.float32, device=self.device)
        self._geometry()
        S = self.image_size
        unit = 1.0 / (0.42 * S)  # sensor units per meter pixel
        depicted = {
            "ambient": Tolerance(0.01, 0.0, 1.0),
            **{f"switch_{c}": Tolerance(1, 0, 1) for c in COLOURS},
            **{f"lamp_{c}": Tolerance(0.01, 0.0, 1.0) for c in COLOURS},
            "angle": Tolerance(0.05, 0.0, math.pi - 0.05),
            "sensor": Tolerance(max(0.01, 0.05 * unit), 0.0, 1.0),
        }
        intervenable = {
            "ambient": (0.0, 1.0),
            **{f"switch_{c}": range(2) for c in COLOURS},
            **{f"dimmer_{c}": (0.0, 1.0) for c in COLOURS},
            "spin": (-0.5, 0.5),
            "angle": (0.0, math.pi),
        }
        return WorldSpec(truth=truth, intervenable=intervenable, depicted=depicted)

    # ------------------------------------------------------------------ drawing
    def _geometry(self) -> None:
        """Pixel masks and boxes of every drawn part (they depend only on the image size)."""
        S, dev = self.image_size, self.device
        ys = torch.arange(S, dtype=torch.float32, device=dev)[:, None] + 0.5
        xs = torch.arange(S, dtype=torch.float32, device=dev)[None, :] + 0.5
        r = 0.12 * S
        self._lamp_masks = torch.stack([((xs - cx * S) ** 2 + (ys - 0.22 * S) ** 2) <= r * r for cx in (0.2, 0.5, 0.8)])
        half = max(1.0, 0.05 * S)
        self._switch_masks = torch.stack([((xs - cx * S).abs() <= half) & ((ys - 0.44 * S).abs() <= half)
                                          for cx in (0.2, 0.5, 0.8)])
        # polarizer: a disc of radius R around (cx, cy), drawn inside its bounding box
        R = 0.2 * S
        cx, cy = 0.32 * S, 0.74 * S
        y0, y1 = max(0, int(cy - R) - 1), min(S, int(math.ceil(cy + R)) + 1)
        x0, x1 = max(0, int(cx - R) - 1), min(S, int(math.ceil(cx + R)) + 1)
        self._pol_box = (y0, y1, x0, x1)
        dy = ys[y0:y1] - cy
        dx = xs[:, x0:x1] - cx
        self._pol_dx, self._pol_dy = dx, dy  # (1, w), (h, 1)
        self._pol_disc = (dx * dx + dy * dy) <= R * R  # (h, w)
        self._pol_halfwidth = max(0.6, 0.035 * S)
        # sensor meter: a vertical bar filling from the bottom, with fractional top pixel
        mx0, mx1 = int(round(0.72 * S)), int(round(0.86 * S))
        my1 = int(round(0.94 * S))
        height = 0.42 * S
        my0 = max(0, int(my1 - math.ceil(height)))
        self._meter_box = (my0, my1, mx0, max(mx1, mx0 + 1))
        self._meter_height = height
        self._meter_rows = torch.arange(my0, my1, dtype=torch.float32, device=dev)  # pixel row tops

    def draw(self, values: dict[str, Tensor], noise: dict[str, Tensor], out: Tensor) -> None:
        n = out.shape[0]
        # on CPU, chunks of ~1M pixel values, so the float intermediates stay in cache
        step = n if out.device.type != "cpu" else max(1, (1 << 20) // out[0].numel())
        for s in range(0, n, step):
            self._draw_chunk({v: t[s:s + step] for v, t in values.items()}, out[s:s + step])

    def _draw_chunk(self, values: dict[str, Tensor], out: Tensor) -> None:
        n, T, C, H, W = out.shape
        dev = out.device
        bg = (20.0 + 200.0 * values["ambient"].clamp(0, 1))  # (n,)
        static = bg[:, None, None, None].expand(n, C, H, W).round().to(torch.uint8)
        lamp_rgb, bar_rgb, meter_rgb = _LAMP_RGB.to(dev), _BAR_RGB.to(dev), _METER_RGB.to(dev)
        for k, c in enumerate(COLOURS):
            level = values[f"lamp_{c}"].clamp(0, 1)
            colour = (25.0 + 225.0 * level[:, None] * lamp_rgb[k]).round().to(torch.uint8)  # (n, C)
            static = torch.where(self._lamp_masks[k], colour[:, :, None, None], static)
            on = values[f"switch_{c}"].bool()
            sw = torch.where(on, torch.tensor(235, dtype=torch.uint8, device=dev), torch.tensor(55, dtype=torch.uint8, device=dev))
            static = torch.where(self._switch_masks[k], sw[:, None, None, None], static)
        out.copy_(static[:, None].expand(n, T, C, H, W))
        # polarizer bar, one per frame: anti-aliased so any rotation shows
        y0, y1, x0, x1 = self._pol_box
        theta = values["angle"]  # (n, T)
        sin, cos = torch.sin(theta)[..., None, None], torch.cos(theta)[..., None, None]
        dist = (cos * self._pol_dy - sin * self._pol_dx).abs()  # distance to the bar's axis, (n, T, h, w)
        alpha = (self._pol_halfwidth + 0.5 - dist).clamp_(0, 1)
        disc_bg = 0.35 * bg[:, None, None, None, None]
        patch = disc_bg + alpha[:, :, None] * (255.0 * bar_rgb[None, None, :, None, None] - disc_bg)
        region = out[:, :, :, y0:y1, x0:x1]
        region.copy_(torch.where(self._pol_disc, patch.round().to(torch.uint8), region))
        # sensor meter, one per frame, with a fractional top pixel so any change of reading shows
        my0, my1, mx0, mx1 = self._meter_box
        top = my1 - values["sensor"].clamp(0, 1) * self._meter_height  # (n, T)
        rows = self._meter_rows
        cover = ((rows + 1.0) - torch.maximum(rows, top[..., None])).clamp_(0, 1)  # (n, T, h)
        base = 0.25 * bg[:, None, None, None]
        meter = base + cover[:, :, None, :] * (255.0 * meter_rgb[None, None, :, None] - base)  # (n, T, C, h)
        out[:, :, :, my0:my1, mx0:mx1] = meter.round().to(torch.uint8)[..., None]
