"""Newtonian laws of the ``falling`` and ``billiards`` worlds as SCM mechanisms, and their drawing.

The truth of a physical world is an ordinary :class:`causalworld.SCM` over unrolled per-frame
variables; each mechanism here is one closed-form law (a fall under gravity, a knock, one step of
elastic billiards) plus an optional small additive noise, so abduction is exact and the worlds'
counterfactual rollouts are the truth's own counterfactuals. The last section holds the two
drawing primitives these worlds share: anti-aliased boxes and discs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from causalworld.errors import OutOfRangeError
from causalworld.envs.physical_law import PhysicalLaw
from causalworld.scm.mechanisms.base import register_mechanism

__all__ = [
    "Kinematics",
    "FreeFall",
    "Knock",
    "AtRest",
    "BilliardStep",
    "billiard_step",
    "knock_distance",
    "box_coverage",
    "disc_rows",
    "stamp_discs",
]


class Kinematics(PhysicalLaw):
    """``x = law(parents) + u``, ``u ~ N(0, noise_std^2)``, where ``noise_std = 0`` is allowed.

    The base of the physical laws below. With ``noise_std = 0`` the law is deterministic: noise
    draws are zeros (the generator still advances, so streams stay aligned), abduction gives
    ``value - law(parents)`` (zero on the law's own output) and ``log_prob`` is that of a point
    mass (0 on the law, ``-inf`` elsewhere). Subclasses define ``law`` and extend ``get_config``.

    Examples
    --------
    >>> m = FreeFall(2, hold=0, height=1, step=1, dt=0.1, gravity=10.0, noise_std=0.0)
    >>> pa = torch.tensor([[0.0, 1.0], [1.0, 1.0]])  # unsupported / supported, from height 1
    >>> m(pa, m.sample_noise(2))
    tensor([0.9500, 1.0000])
    >>> m.abduct(pa, m(pa, torch.zeros(2)))
    tensor([0., 0.])
    """

    def __init__(self, n_parents: int, noise_std: float = 0.0) -> None:
        super().__init__(n_parents, noise_std)


def _drops(hold: Tensor, falls_when: int) -> Tensor:
    # codes arrive as floats in the parents matrix; compare with a half-unit margin
    return (hold - float(falls_when)).abs() < 0.5


@register_mechanism
class FreeFall(Kinematics):
    """Height at frame ``step`` of an object released at frame 0: ``max(h0 - g (step dt)^2 / 2, rest)``
    if it falls, ``h0`` if it is held.

    It falls when its ``hold`` parent (a support, a release) equals ``falls_when``. It comes to rest
    on the floor, or on a platform (a block) of top ``platform_top`` when its horizontal position
    ``x`` lies within ``reach`` of the platform's ``platform_x`` (both parents); it never rests
    above where it started. Columns name the parents' positions in the parents matrix.

    Examples
    --------
    >>> m = FreeFall(4, hold=0, x=1, platform_x=2, height=3, step=4, dt=0.1, gravity=10.0,
    ...              floor=0.0, reach=0.2, platform_top=0.3)
    >>> pa = torch.tensor([[0.0, 0.5, 0.6, 0.8],   # over the platform: rests on it
    ...                    [0.0, 0.1, 0.6, 0.8],   # beside it: falls to the floor
    ...                    [1.0, 0.5, 0.6, 0.8]])  # supported: stays
    >>> m.law(pa)
    tensor([0.3000, 0.0000, 0.8000])
    """

    def __init__(self, n_parents: int, *, hold: int, height: int, step: int, dt: float, gravity: float,
                 falls_when: int = 0, floor: float = 0.0, x: int | None = None, platform_x: int | None = None,
                 reach: float = 0.0, platform_top: float = 0.0, noise_std: float = 0.0) -> None:
        super().__init__(n_parents, noise_std)
        if (x is None) != (platform_x is None):
            raise OutOfRangeError("FreeFall needs both x and platform_x columns, or neither")
        self.hold, self.height, self.step = int(hold), int(height), int(step)
        self.x = None if x is None else int(x)
        self.platform_x = None if platform_x is None else int(platform_x)
        self.dt, self.gravity, self.falls_when = float(dt), float(gravity), int(falls_when)
        self.floor, self.reach, self.platform_top = float(floor), float(reach), float(platform_top)

    def law(self, parents: Tensor) -> Tensor:
        h0 = parents[:, self.height]
        rest = torch.full_like(h0, self.floor)
        if self.x is not None:
            over = (parents[:, self.x] - parents[:, self.platform_x]).abs() < self.reach
            rest = torch.where(over, torch.full_like(h0, self.platform_top), rest)
        fallen = torch.maximum(h0 - 0.5 * self.gravity * (self.step * self.dt) ** 2, torch.minimum(rest, h0))
        return torch.where(_drops(parents[:, self.hold], self.falls_when), fallen, h0)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-able: the same law is rebuilt from them.

        Examples
        --------
        >>> m = FreeFall(4, hold=0, x=1, platform_x=2, height=3, step=4, dt=0.1, gravity=10.0, reach=0.2, platform_top=0.3)
        >>> FreeFall(**m.get_config()).get_config() == m.get_config()
        True
        """
        return {**super().get_config(), "hold": self.hold, "height": self.height, "step": self.step,
                "dt": self.dt, "gravity": self.gravity, "falls_when": self.falls_when, "floor": self.floor,
                "x": self.x, "platform_x": self.platform_x, "reach": self.reach, "platform_top": self.platform_top}


def knock_distance(drop: Tensor, mass: Tensor, platform_mass: Tensor, *, restitution: float, friction: float) -> Tensor:
    """How far a platform slides when an object of ``mass`` falls ``drop`` onto it (no wall).

    The impact speed ``sqrt(2 g drop)`` passes the fraction ``restitution * m / (m + M)`` to the
    platform, which then slides against friction ``mu``: ``D = v^2 / (2 mu g)``; gravity cancels.

    Examples
    --------
    >>> knock_distance(torch.tensor(0.5), torch.tensor(1.0), torch.tensor(1.0), restitution=1.0, friction=0.5)
    tensor(0.2500)
    """
    share = restitution * mass / (mass + platform_mass)
    return share * share * drop.clamp(min=0.0) / friction


@register_mechanism
class Knock(Kinematics):
    """Displacement at frame ``step`` of a platform (a block) that a falling object may land on.

    The object (parents ``hold``, ``x``, ``height``, ``mass``) falls when ``hold == falls_when``;
    it lands on the platform (``platform_x``, ``platform_mass``, top ``platform_top``) when
    ``|x - platform_x| < reach`` and it starts above the top. At the impact time
    ``sqrt(2 drop / g)`` the platform is pushed away from the object's centre with speed
    ``v = restitution * m / (m + M) * sqrt(2 g drop)`` and slides against friction
    (``v tau - mu g tau^2 / 2`` until it stops), never past the walls ``room = (low, high)`` of
    its centre. Otherwise it stays: 0.

    Examples
    --------
    >>> m = Knock(6, hold=0, x=1, height=2, mass=3, platform_x=4, platform_mass=5, step=20, dt=0.05,
    ...           gravity=9.81, reach=0.2, platform_top=0.2, friction=0.5, restitution=1.0, room=(0.0, 1.0))
    >>> pa = torch.tensor([[0.0, 0.4, 0.7, 1.0, 0.5, 1.0],    # lands on it: slides right by D
    ...                    [0.0, 0.1, 0.7, 1.0, 0.5, 1.0],    # misses it
    ...                    [1.0, 0.4, 0.7, 1.0, 0.5, 1.0]])   # held: nothing falls
    >>> m.law(pa)
    tensor([0.2500, 0.0000, 0.0000])
    """

    def __init__(self, n_parents: int, *, hold: int, x: int, height: int, mass: int, platform_x: int,
                 platform_mass: int, step: int, dt: float, gravity: float, reach: float, platform_top: float,
                 friction: float, restitution: float, room: Sequence[float], falls_when: int = 0,
                 noise_std: float = 0.0) -> None:
        super().__init__(n_parents, noise_std)
        if not (friction > 0 and gravity > 0 and restitution >= 0):
            raise OutOfRangeError(f"Knock needs friction > 0, gravity > 0, restitution >= 0; got {friction}, {gravity}, {restitution}")
        self.cols = {"hold": int(hold), "x": int(x), "height": int(height), "mass": int(mass),
                     "platform_x": int(platform_x), "platform_mass": int(platform_mass)}
        self.step, self.dt, self.gravity, self.falls_when = int(step), float(dt), float(gravity), int(falls_when)
        self.reach, self.platform_top = float(reach), float(platform_top)
        self.friction, self.restitution = float(friction), float(restitution)
        self.room = (float(room[0]), float(room[1]))

    def law(self, parents: Tensor) -> Tensor:
        c = self.cols
        x, px, h0 = parents[:, c["x"]], parents[:, c["platform_x"]], parents[:, c["height"]]
        g, mu = self.gravity, self.friction
        drop = (h0 - self.platform_top).clamp(min=0.0)
        hit = _drops(parents[:, c["hold"]], self.falls_when) & ((x - px).abs() < self.reach) & (drop > 0)
        share = self.restitution * parents[:, c["mass"]] / (parents[:, c["mass"]] + parents[:, c["platform_mass"]])
        v = share * torch.sqrt(2.0 * g * drop)
        tau = (self.step * self.dt - torch.sqrt(2.0 * drop / g)).clamp(min=0.0)
        tau = torch.minimum(tau, v / (mu * g))
        d = v * tau - 0.5 * mu * g * tau * tau
        right = px >= x
        room = torch.where(right, self.room[1] - px, px - self.room[0]).clamp(min=0.0)
        d = torch.minimum(d, room)
        return torch.where(hit, torch.where(right, d, -d), torch.zeros_like(d))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-able: the same law is rebuilt from them.

        Examples
        --------
        >>> m = Knock(6, hold=0, x=1, height=2, mass=3, platform_x=4, platform_mass=5, step=20, dt=0.05,
        ...           gravity=9.81, reach=0.2, platform_top=0.2, friction=0.5, restitution=1.0, room=(0.0, 1.0))
        >>> Knock(**m.get_config()).get_config() == m.get_config()
        True
        """
        return {**super().get_config(), **self.cols, "step": self.step, "dt": self.dt, "gravity": self.gravity,
                "reach": self.reach, "platform_top": self.platform_top, "friction": self.friction,
                "restitution": self.restitution, "room": list(self.room), "falls_when": self.falls_when}


_STATE = ("x", "y", "vx", "vy")
_STEP_MEMO: dict[str, tuple[Any, Tensor, Tensor]] = {}


def billiard_step(x: Tensor, y: Tensor, vx: Tensor, vy: Tensor, *, radius: float,
                  masses: Sequence[float], size: float = 1.0) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """One frame of elastic billiards for ``K`` balls in the box ``[0, size]^2``, batched.

    ``x, y, vx, vy`` are ``[K, N]`` (velocities in box units per frame). First every pair ``i < j``
    (in order) whose discs would overlap after this frame's move and that approach each other
    exchanges momentum along the line of centres (an elastic collision: momentum and kinetic
    energy are kept); then every ball moves by its velocity and bounces elastically off the
    walls (its position mirrored into the box, that velocity component reversed).

    Examples
    --------
    >>> z = torch.zeros(2, 1)
    >>> x, y, vx, vy = billiard_step(torch.tensor([[0.25], [0.5]]), z + 0.5, torch.tensor([[0.125], [0.0]]), z,
    ...                              radius=0.125, masses=[1.0, 1.0])
    >>> vx.flatten().tolist()  # head-on, equal masses: the velocities are exchanged
    [0.0, 0.125]
    """
    K = x.shape[0]
    vx, vy = vx.clone(), vy.clone()
    reach2 = (2.0 * radius) ** 2
    for i in range(K):
        for j in range(i + 1, K):
            # where the pair would be after this frame, and whether they close in on each other
            dx = (x[j] + vx[j]) - (x[i] + vx[i])
            dy = (y[j] + vy[j]) - (y[i] + vy[i])
            d2 = dx * dx + dy * dy
            closing = (vx[i] - vx[j]) * dx + (vy[i] - vy[j]) * dy
            hit = (d2 < reach2) & (closing > 0) & (d2 > 0)
            k = torch.where(hit, closing / torch.where(d2 > 0, d2, torch.ones_like(d2)), torch.zeros_like(d2))
            mi, mj = float(masses[i]), float(masses[j])
            ki, kj = 2.0 * mj / (mi + mj) * k, 2.0 * mi / (mi + mj) * k
            vx[i], vy[i] = vx[i] - ki * dx, vy[i] - ki * dy
            vx[j], vy[j] = vx[j] + kj * dx, vy[j] + kj * dy
    lo, hi = radius, size - radius
    out = []
    for p, v in ((x + vx, vx), (y + vy, vy)):
        low, high = p < lo, p > hi
        p = torch.where(low, 2 * lo - p, torch.where(high, 2 * hi - p, p)).clamp(lo, hi)
        v = torch.where(low, v.abs(), torch.where(high, -v.abs(), v))
        out += [p, v]
    return out[0], out[2], out[1], out[3]


@register_mechanism
class AtRest(Kinematics):
    """``x = 0 + u``: a displacement that cannot have begun yet (``falling``'s block before any
    pen can have reached it), so nothing is its parent.

    Examples
    --------
    >>> m = AtRest(0, noise_std=0.0)
    >>> m(torch.zeros(3, 0), m.sample_noise(3))
    tensor([0., 0., 0.])
    """

    def law(self, parents: Tensor) -> Tensor:
        return parents.new_zeros(parents.shape[0])


@register_mechanism
class BilliardStep(Kinematics):
    """One component (``x``, ``y``, ``vx`` or ``vy``) of ball ``ball`` after one frame of
    :func:`billiard_step`, from every ball's state at the frame before.

    ``columns[k]`` gives the parent columns of ball ``k``'s ``(x, y, vx, vy)``.

    Examples
    --------
    >>> m = BilliardStep(8, columns=[[0, 1, 2, 3], [4, 5, 6, 7]], ball=1, component="vx", radius=0.125,
    ...                  masses=[1.0, 1.0])
    >>> m.law(torch.tensor([[0.25, 0.5, 0.125, 0.0, 0.5, 0.5, 0.0, 0.0]]))  # hit from the left
    tensor([0.1250])
    """

    def __init__(self, n_parents: int, *, columns: Sequence[Sequence[int]], ball: int, component: str,
                 radius: float, masses: Sequence[float], size: float = 1.0, noise_std: float = 0.0) -> None:
        super().__init__(n_parents, noise_std)
        if component not in _STATE:
            raise OutOfRangeError(f"component must be one of {_STATE}, got {component!r}")
        if len(masses) != len(columns) or not all(m > 0 for m in masses):
            raise OutOfRangeError(f"give one positive mass per ball ({len(columns)}), got {list(masses)}")
        self.columns = [[int(c) for c in cols] for cols in columns]
        self.ball, self.component = int(ball), component
        self.radius, self.masses, self.size = float(radius), [float(m) for m in masses], float(size)

    def law(self, parents: Tensor) -> Tensor:
        # The SCM calls one mechanism per unrolled variable, and the 4K variables of a frame share
        # one step of the whole table: remember the last step, keyed by its inputs' values.
        key = (self.columns, self.radius, tuple(self.masses), self.size)
        hit = _STEP_MEMO.get("last")
        if hit is not None and hit[0] == key and hit[1].shape == parents.shape and hit[1].device == parents.device \
                and hit[1].dtype == parents.dtype and torch.equal(hit[1], parents):
            new = hit[2]
        else:
            idx = torch.tensor(self.columns, device=parents.device)  # (K, 4)
            state = parents[:, idx].permute(2, 1, 0)  # (4, K, N)
            new = torch.stack(billiard_step(*state, radius=self.radius, masses=self.masses, size=self.size))
            _STEP_MEMO["last"] = (key, parents.clone(), new)
        return new[_STATE.index(self.component), self.ball]

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-able: the same law is rebuilt from them.

        Examples
        --------
        >>> m = BilliardStep(8, columns=[[0, 1, 2, 3], [4, 5, 6, 7]], ball=1, component="vx", radius=0.125,
        ...                  masses=[1.0, 1.0])
        >>> BilliardStep(**m.get_config()).get_config() == m.get_config()
        True
        """
        return {**super().get_config(), "columns": self.columns, "ball": self.ball, "component": self.component,
                "radius": self.radius, "masses": self.masses, "size": self.size}


# ---------------------------------------------------------------------- drawing primitives
def box_coverage(low: Tensor, high: Tensor, size: int) -> Tensor:
    """Fraction of each pixel ``[p, p + 1)`` covered by the interval ``[low, high]``: ``[..., size]``.

    Examples
    --------
    >>> box_coverage(torch.tensor([0.5]), torch.tensor([2.25]), 4)
    tensor([[0.5000, 1.0000, 0.2500, 0.0000]])
    """
    pix = torch.arange(size, dtype=low.dtype, device=low.device)
    return (torch.minimum(pix + 1.0, high[..., None]) - torch.maximum(pix, low[..., None])).clamp_(0.0, 1.0)


def disc_rows(cx: Tensor, cy: Tensor, radius: float, rows: int, width: int) -> tuple[Tensor, Tensor]:
    """Anti-aliased discs of ``radius`` pixels centred at ``(cx, cy)`` (pixels, ``[m]``), row by row.

    Returns ``(index [m, P], cover [m, P, W])``: the ``P`` pixel rows a disc can touch (from
    ``floor(cy - radius)``; some may lie outside an image of ``rows`` rows) and each one's
    coverage. Each pixel row is cut at its centre line, where the disc spans
    ``cx +- sqrt(r^2 - dy^2)``, and that span's exact cover of each pixel is the row's value:
    exact sideways, sampled vertically, continuous in the centre, so any motion of the disc
    changes the picture. As a sum of ``P`` rank-one rows it joins a separable drawing.

    Examples
    --------
    >>> index, cover = disc_rows(torch.tensor([2.0]), torch.tensor([2.0]), 1.0, 4, 4)
    >>> index.tolist(), cover[0]
    ([[1, 2, 3, 4]], tensor([[0.0000, 0.8660, 0.8660, 0.0000],
            [0.0000, 0.8660, 0.8660, 0.0000],
            [0.0000, 0.0000, 0.0000, 0.0000],
            [0.0000, 0.0000, 0.0000, 0.0000]]))
    """
    P = int(math.ceil(2.0 * radius)) + 2
    index = torch.floor(cy - radius).long()[:, None] + torch.arange(P, device=cy.device)  # (m, P)
    dy = index.to(cy.dtype) + 0.5 - cy[:, None]
    half = (radius * radius - dy * dy).clamp(min=0.0).sqrt()  # (m, P)
    return index, box_coverage(cx[:, None] - half, cx[:, None] + half, width)


def stamp_discs(out: Tensor, cx: Tensor, cy: Tensor, radius: float, lift: Tensor) -> None:
    """Add anti-aliased discs onto ``uint8`` frames ``out`` ``[m, C, H, W]``, in place.

    ``cx, cy`` are ``[m, K]`` centres in pixels and ``lift[k]`` ``[K, C]`` the value disc ``k``
    adds at full cover; coverage is :func:`disc_rows`'s, computed only on a small patch around
    each disc and added with one scatter. Nothing saturates: the caller keeps the background plus
    ``sum_k lift[k] + K / 2`` under 256 (each disc is rounded on its own).

    Examples
    --------
    >>> out = torch.zeros(1, 1, 4, 4, dtype=torch.uint8)
    >>> stamp_discs(out, torch.tensor([[2.0]]), torch.tensor([[2.0]]), 1.0, torch.tensor([[100.0]]))
    >>> out[0, 0]
    tensor([[ 0,  0,  0,  0],
            [ 0, 87, 87,  0],
            [ 0, 87, 87,  0],
            [ 0,  0,  0,  0]], dtype=torch.uint8)
    """
    m, C, H, W = out.shape
    P = int(math.ceil(2.0 * radius)) + 2  # pixels a disc can touch along each axis
    off = torch.arange(P, device=out.device)
    cols = torch.floor(cx - radius).long()[..., None] + off  # (m, K, P)
    rows = torch.floor(cy - radius).long()[..., None] + off  # (m, K, P)
    dy = rows.to(cy.dtype) + 0.5 - cy[..., None]
    half = (radius * radius - dy * dy).clamp(min=0.0).sqrt()  # (m, K, P rows)
    left, right = (cx[..., None] - half)[..., None], (cx[..., None] + half)[..., None]  # (m, K, P, 1)
    colf = cols.to(cx.dtype)[..., None, :]  # (m, K, 1, P)
    cover = (torch.minimum(colf + 1.0, right) - torch.maximum(colf, left)).clamp_(0.0, 1.0)  # (m, K, P, P)
    inside = ((rows >= 0) & (rows < H))[..., :, None] & ((cols >= 0) & (cols < W))[..., None, :]
    cover = cover * inside
    vals = (lift.to(cover.dtype)[None, :, :, None, None] * cover[:, :, None] + 0.5).to(torch.uint8)  # (m, K, C, P, P)
    pix = rows.clamp(0, H - 1)[..., :, None] * W + cols.clamp(0, W - 1)[..., None, :]  # (m, K, P, P)
    frame = torch.arange(m, device=out.device)[:, None, None, None, None] * (C * H * W)
    chan = torch.arange(C, device=out.device)[None, None, :, None, None] * (H * W)
    index = frame + chan + pix[:, :, None]  # (m, K, C, P, P)
    out.view(-1).index_put_((index.reshape(-1),), vals.reshape(-1), accumulate=True)
