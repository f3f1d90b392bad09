"""``World``: a ground-truth SCM plus a batched torch renderer, the simulator of ``docs/architecture.md``.

A world is where the agent watches and acts. It owns the causal model that generates its
videos (``world.truth``) so every later stage can be scored against the truth, and it turns
values into frames with a pure, batched function (``world.render``), so a learned model's answer
can be drawn beside the true one. Subclasses only describe their physics and their drawing; the
base class below does interventions, rollouts, counterfactual rollouts and all input checks.

How to implement a world
------------------------
Subclass :class:`World`, set the class attributes, and define :meth:`World.build` and
:meth:`World.draw`::

    @register_world                       # from causalworld.envs.registry; id "mine-v0"
    class MyWorld(World):
        name = "mine"                     # registry name (lower case, no "-v")
        version = 0                       # bump when the world's behaviour changes
        default_frames = 8                # T when make() is given frames=None
        channels = 3                      # C of the frames (3 = RGB)
        config_defaults = {"gravity": 9.81}   # every extra make() keyword, with its default

        def build(self) -> WorldSpec:
            ...                           # read self.frames, self.image_size, self.config, self.device
            return WorldSpec(truth=scm, intervenable={...}, depicted={...})

        def draw(self, values, noise, out) -> None:
            ...                           # write every pixel of out, uint8 [n, T, C, H, W]

``build()`` is called once from ``__init__`` (after ``self.frames``, ``self.image_size``,
``self.device``, ``self.config`` are set) and returns a :class:`WorldSpec`:

``truth``
    A :class:`causalworld.SCM` on ``self.device``. Its mechanisms follow the SCM core's
    mechanism protocol; a custom physical law subclasses :class:`causalworld.Mechanism`, is
    registered with ``@causalworld.register_mechanism`` (so ``world.truth.save()`` can reload it)
    and defines ``abduct`` (so the truth answers counterfactuals).
    **Time-varying variables are unrolled**: a variable ``x`` with one value per frame appears in
    the truth as the scalar variables ``x[0] .. x[T-1]`` (``T = self.frames``, all of them
    present, none other with brackets), with ordinary edges between them (``x[t-1] -> x[t]``,
    ``v[t-1] -> x[t]``, ``mass -> x[t]``...), none from a later frame to an earlier one. Every
    other name is a static variable with one value per episode, which holds from the first frame:
    no variable of a later frame is its parent. The base class derives from the names:
    ``world.variables`` (summary names, in the order of their first unrolled variable in
    ``truth.variables``), ``world.time_varying``,
    and ``world.graph`` (the summary graph: ``a -> b`` when any ``a[..] -> b[..]``; a variable's
    dependence on its own past is not drawn as a self-loop, ``world.truth.graph`` holds it).
``intervenable``
    ``{summary name: (low, high)}`` for continuous variables and ``{name: range(K)}`` (the codes
    allowed) for discrete ones: what an agent may set. ``do={"x": v}`` on a time-varying ``x`` sets
    ``x[0]``; later steps follow the world's dynamics from there.
``depicted``
    ``{summary name: Tolerance(step, low, high)}``: the variables drawn in the frames, with the
    promise that two values inside ``[low, high]`` that differ by at least ``step`` (all else
    equal) give different frames. Variables not listed act on the frames only through depicted
    ones (a mass, a dimmer); the base class passes only depicted values to ``draw``, so that
    promise holds by construction. ``check_world`` tests the sensitivity promise.
``render_noise`` (optional)
    ``{key: shape}`` of extra per-episode noise the drawing uses (texture, camera shake), drawn
    standard normal after the truth's noise from the same generator and stored in
    ``Episodes.noise`` under ``"render:<key>"``. ``render(values)`` without noise uses zeros.

``draw(values, noise, out)`` is **pure and batched**: ``values`` holds every depicted variable
(``[n]`` static, ``[n, T]`` time-varying; floats in the truth's dtype, discrete ones as int64
codes, all on ``self.device``), ``noise`` the render noise ``{key: Tensor[n, *shape]}``, and
``out`` is a preallocated ``uint8 [n, T, C, H, W]`` tensor of undefined content that ``draw``
fills completely. Frame ``t`` may depend on the static values and on step ``t`` of the
time-varying ones only. No randomness, no state, no Python loop over episodes (loops over
objects, frames or cache-sized chunks of episodes are fine).

Examples
--------
>>> import causalworld as cw
>>> world = cw.make("lights", image_size=32, seed=0)
>>> eps = world.rollout(4, do={"switch_red": 1})
>>> eps.frames.shape, eps.frames.dtype
(torch.Size([4, 8, 3, 32, 32]), torch.uint8)
>>> bool((eps.values["switch_red"] == 1).all())
True
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

import networkx as nx
import numpy as np
import torch
from torch import Tensor

from causalworld.episodes import Episodes
from causalworld.errors import (
    ArgumentError,
    DeviceError,
    DTypeError,
    GraphError,
    InterventionError,
    MissingVariableError,
    NonFiniteError,
    OutOfRangeError,
    ShapeError,
    UnknownVariableError,
    suggest,
)
from causalworld.memory import check_memory
from causalworld.scm import SCM
from causalworld.scm.intervention import Intervention as _ScmIntervention
from causalworld.scm.intervention import apply_callable
from causalworld.scm.devices import as_device
from causalworld.scm.seeding import as_generator, check_seed

__all__ = ["World", "WorldSpec", "Tolerance", "SoftColumn", "unrolled_name", "split_unrolled", "runs_backwards"]

_UNROLLED = re.compile(r"^(?P<base>.+)\[(?P<t>\d+)\]$")

Domain = tuple[float, float] | range


def _check_setting(world_id: str, key: str, value: Any, default: Any) -> None:
    """A setting whose default is a number must be a finite real number: NaN or a string would
    otherwise flow into the truth's mechanisms (``fade=nan`` gave NaN brightness, frames and all).
    Ranges particular to a setting are the world's own to check in ``build``."""
    if isinstance(default, bool) or not isinstance(default, (int, float)):
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        # ArgumentError, as the worlds' own setting checks raise for a value of the wrong kind
        raise ArgumentError(f"{world_id} setting {key}={value!r}: give a real number (its default is {default!r})")
    if not math.isfinite(float(value)):
        raise NonFiniteError(f"{world_id} setting {key}={value!r}: give a finite number (its default is {default!r})")


def unrolled_name(variable: str, t: int) -> str:
    """The truth's name of step ``t`` of a time-varying variable: ``"x[3]"``.

    Examples
    --------
    >>> unrolled_name("angle", 0)
    'angle[0]'
    """
    return f"{variable}[{t}]"


def split_unrolled(name: str) -> tuple[str, int | None]:
    """``("x", 3)`` for ``"x[3]"``, ``("m", None)`` for a static ``"m"``.

    Examples
    --------
    >>> split_unrolled("x[12]"), split_unrolled("mass")
    (('x', 12), ('mass', None))
    """
    m = _UNROLLED.match(name)
    if m is None:
        return name, None
    return m.group("base"), int(m.group("t"))


def runs_backwards(parent: str, child: str, static: Container[str] = ()) -> bool:
    """Whether ``parent -> child`` would have an effect precede its cause: from a later frame to an
    earlier one, or from a frame after the first into one of the ``static`` names (a static value
    holds from the first frame on). Names without a frame index are never the later end.

    Examples
    --------
    >>> runs_backwards("x[2]", "y[1]"), runs_backwards("x[1]", "m", static={"m"}), runs_backwards("x[0]", "m", static={"m"})
    (True, True, False)
    """
    step, to = split_unrolled(parent)[1], split_unrolled(child)[1]
    if step is None:
        return False
    return step > to if to is not None else step > 0 and child in static


class Tolerance(NamedTuple):
    """The drawing promise of one depicted variable: two values in ``[low, high]`` that differ by
    at least ``step`` (all else equal) give different frames.

    Examples
    --------
    >>> tol = Tolerance(0.01, 0.0, 1.0)
    >>> tol.step, tol.high
    (0.01, 1.0)
    """

    step: float
    low: float
    high: float


@dataclass
class WorldSpec:
    """What :meth:`World.build` returns: the truth and what of it an agent may set and see.

    Examples
    --------
    >>> import causalworld as cw
    >>> from causalworld.scm.mechanisms import UniformRoot
    >>> truth = cw.SCM({"level": []}, {"level": UniformRoot(0.0, 1.0)})
    >>> spec = WorldSpec(truth, intervenable={"level": (0.0, 1.0)}, depicted={"level": Tolerance(0.01, 0.0, 1.0)})
    >>> spec.truth.variables, spec.render_noise
    (('level',), {})
    """

    truth: SCM
    intervenable: Mapping[str, Domain]
    depicted: Mapping[str, Tolerance]
    render_noise: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


class SoftColumn:
    """One variable's per-episode interventions when some of them are soft.

    A soft intervention is a callable of the value the variable would have taken (``lambda x: x +
    0.2`` shifts its mechanism, ``lambda x: 0.5 * x`` scales it), as in :meth:`causalworld.SCM.do`.
    ``parts`` pairs row indices with either hard values (one per row) or a callable; calling the
    column on the would-be values ``[n]`` gives the set values ``[n]`` (rows no part names keep the
    would-be value). A soft result is clipped to the variable's intervenable ``(low, high)``, as a
    knob stops at its end, so the drawing's promise keeps holding.

    Examples
    --------
    >>> col = SoftColumn("x", [(torch.tensor([0]), lambda x: x + 1.0), (torch.tensor([1]), torch.tensor([0.5]))], (0.0, 2.0))
    >>> col(torch.tensor([0.25, 0.25, 0.25]))
    tensor([1.2500, 0.5000, 0.2500])
    """

    def __init__(self, variable: str, parts: Sequence[tuple[Tensor, Any]], domain: tuple[float, float]) -> None:
        self.variable = variable
        self.parts = list(parts)
        self.domain = domain

    def __call__(self, would_be: Tensor) -> Tensor:
        out = would_be.clone()
        lo, hi = self.domain
        for rows, how in self.parts:
            if isinstance(how, Tensor):
                out[rows] = how.to(out.dtype)
                continue
            got = apply_callable(_ScmIntervention(self.variable, "callable", how), would_be[rows])
            out[rows] = got.to(out.dtype).clamp(lo, hi)
        return out


class World:
    """Base class of every simulated world: a ground-truth SCM and a batched renderer.

    Parameters
    ----------
    image_size
        Height and width of the square frames, in pixels (at least 8).
    frames
        Frames per episode ``T`` (default: the world's ``default_frames``).
    device
        Where the truth computes and frames are drawn (``"cpu"``, ``"cuda"``...).
    seed
        Seeds the stream of rollouts drawn without their own ``seed`` (as ``reset(seed=...)``
        seeds a Gymnasium env); ``None`` seeds it freshly. The world's structure does not depend
        on it (worlds with random structure take their own config key, e.g. ``graph_seed``).
    **config
        The world's own settings; see its ``config_defaults``. Unknown keys are refused.

    Notes
    -----
    See the module docstring for how to write a subclass.

    Examples
    --------
    A world of one dial, drawn as the grey level of every pixel:

    >>> import causalworld as cw
    >>> from causalworld.scm.mechanisms import UniformRoot
    >>> class Dial(World):
    ...     name = "dial"
    ...     def build(self):
    ...         truth = cw.SCM({"level": []}, {"level": UniformRoot(0.0, 1.0)})
    ...         return WorldSpec(truth, intervenable={"level": (0.0, 1.0)},
    ...                          depicted={"level": Tolerance(0.01, 0.0, 1.0)})
    ...     def draw(self, values, noise, out):
    ...         out[:] = (255 * values["level"]).round().to(torch.uint8)[:, None, None, None, None]
    >>> world = Dial(image_size=8)
    >>> world.id, world.variables, world.frame_shape
    ('dial-v0', ('level',), (1, 3, 8, 8))
    >>> world.rollout(2, do={"level": 0.5}, seed=0).frames.amax((1, 2, 3, 4)).tolist()
    [128, 128]
    """

    name: ClassVar[str] = ""
    version: ClassVar[int] = 0
    default_frames: ClassVar[int] = 1
    channels: ClassVar[int] = 3
    config_defaults: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        *,
        image_size: int = 64,
        frames: int | None = None,
        device: str | torch.device = "cpu",
        seed: int | None = None,
        **config: Any,
    ) -> None:
        if not isinstance(image_size, int) or isinstance(image_size, bool) or image_size < 8:
            raise OutOfRangeError(f"image_size must be an int >= 8, got {image_size!r}")
        frames = self.default_frames if frames is None else frames
        if not isinstance(frames, int) or isinstance(frames, bool) or frames < 1:
            raise OutOfRangeError(f"frames must be a positive int, got {frames!r}")
        self.device = as_device(device)  # DeviceError for "meta", "cuda" without CUDA, unknown names
        # one episode's frames and the drawing's pixel grids (a few float planes of S x S): refuse
        # an image_size that cannot be drawn before build() allocates the grids
        check_memory((frames * self.channels + 64) * image_size * image_size, what=f"image_size={image_size}",
                     fix="pass a smaller image_size (64 to 256 pixels are usual)", device=self.device)
        seed = check_seed(seed)
        unknown = [k for k in config if k not in self.config_defaults]
        if unknown:
            raise ArgumentError(
                f"{self.id} has no setting {unknown[0]!r}; {suggest(unknown[0], self.config_defaults) if self.config_defaults else 'it takes no settings'}"
            )
        for key, value in config.items():
            _check_setting(self.id, key, value, self.config_defaults[key])
        self.image_size = image_size
        self.frames = frames
        self.seed = seed
        self.config: dict[str, Any] = {**self.config_defaults, **config}
        self._rng = as_generator(seed, self.device)
        spec = self.build()
        self._set_spec(spec)

    # ------------------------------------------------------------------ the subclass hooks
    def build(self) -> WorldSpec:
        """The world's truth, intervenable ranges and depicted variables (see the module doc).

        Called once by ``__init__``; a subclass defines it (see the class example).

        Examples
        --------
        >>> import causalworld as cw
        >>> spec = cw.make("lights", image_size=8, frames=1).build()
        >>> type(spec).__name__, spec.intervenable["switch_red"]
        ('WorldSpec', range(0, 2))
        """
        raise TypeError(f"{type(self).__name__} must define build() returning a WorldSpec")

    def draw(self, values: dict[str, Tensor], noise: dict[str, Tensor], out: Tensor) -> None:
        """Fill ``out`` (uint8 ``[n, T, C, H, W]``) from depicted ``values`` and render ``noise``.

        A subclass defines it (see the class example); callers use :meth:`render`, which checks
        the values and allocates ``out``.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=1)
        >>> eps = world.rollout(2, seed=0)
        >>> out = torch.empty((2, *world.frame_shape), dtype=torch.uint8)
        >>> world.draw({v: eps.values[v] for v in world.depicted}, {}, out)
        >>> bool(torch.equal(out, eps.frames))
        True
        """
        raise TypeError(f"{type(self).__name__} must define draw(values, noise, out)")

    # ------------------------------------------------------------------ structure
    def _set_spec(self, spec: WorldSpec) -> None:
        if not isinstance(spec, WorldSpec):
            raise TypeError(f"{type(self).__name__}.build() must return a WorldSpec, got {type(spec).__name__}")
        truth = spec.truth
        if not isinstance(truth, SCM):
            raise TypeError(f"WorldSpec.truth must be a causalworld.SCM, got {type(truth).__name__}")
        if truth.device.type != self.device.type:
            raise DeviceError(f"the truth of {self.id} is on {truth.device} but the world is on {self.device}")
        T = self.frames
        order: list[str] = []
        steps: dict[str, list[int]] = {}
        static: set[str] = set()
        for name in truth.variables:
            base, t = split_unrolled(name)
            if base not in steps and base not in static:
                order.append(base)
            if t is None:
                static.add(base)
            else:
                steps.setdefault(base, []).append(t)
        for base, ts in steps.items():
            if base in static:
                raise GraphError(f"{base!r} is both static and unrolled in the truth of {self.id}")
            if sorted(ts) != list(range(T)):
                raise GraphError(
                    f"time-varying {base!r} has steps {sorted(ts)} in the truth of {self.id}; "
                    f"it needs exactly {base}[0] .. {base}[{T - 1}] (one per frame)"
                )
        for a, b in truth.graph.edges:  # time runs forward
            if not runs_backwards(a, b, static):
                continue
            if b in static:
                raise GraphError(f"static {b!r} has the parent {a!r} in the truth of {self.id}: a static value holds from "
                                 f"the first frame, so no later frame can set it; make {b!r} time-varying or drop the edge")
            raise GraphError(f"{a!r} -> {b!r} in the truth of {self.id} runs from a later frame to an earlier one; "
                             f"drop the edge or point it forward in time")
        self._truth = truth
        self._mechanisms = truth.mechanisms
        self._variables = tuple(order)
        self._time_varying = tuple(v for v in order if v in steps)
        self._index = {v: i for i, v in enumerate(order)}
        g = nx.DiGraph()
        g.add_nodes_from(order)
        for a, b in truth.graph.edges:
            sa, sb = split_unrolled(a)[0], split_unrolled(b)[0]
            if sa != sb:
                g.add_edge(sa, sb)
        self._graph = nx.freeze(g)
        self._intervenable: dict[str, Domain] = {}
        for v, dom in spec.intervenable.items():
            self._check_known(v)
            k = truth.cardinality(self.first(v))
            if k is not None:
                if not isinstance(dom, range) or not set(dom) <= set(range(k)) or len(dom) == 0:
                    raise ArgumentError(f"intervenable[{v!r}] must be a non-empty range of codes within 0..{k - 1}, got {dom!r}")
            else:
                if isinstance(dom, range) or len(dom) != 2 or not float(dom[0]) < float(dom[1]):
                    raise ArgumentError(f"intervenable[{v!r}] must be (low, high) with low < high, got {dom!r}")
                dom = (float(dom[0]), float(dom[1]))
            self._intervenable[v] = dom
        self._depicted: dict[str, Tolerance] = {}
        for v, tol in spec.depicted.items():
            self._check_known(v)
            tol = Tolerance(*tol)
            if not (tol.step > 0 and tol.low + tol.step <= tol.high):
                raise ArgumentError(f"depicted[{v!r}] = {tol} needs step > 0 and low + step <= high")
            self._depicted[v] = tol
        self._depicted_order = tuple(v for v in order if v in self._depicted)
        for key, shape in spec.render_noise.items():
            if not all(isinstance(s, int) and s > 0 for s in shape):
                raise ArgumentError(f"render_noise[{key!r}] must be a shape of positive ints, got {shape!r}")
        self._render_noise = {f"render:{k}": tuple(s) for k, s in spec.render_noise.items()}

    @property
    def id(self) -> str:
        """The versioned registry id, e.g. ``"lights-v0"``.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> world.id
        'lights-v0'
        """
        return f"{self.name or type(self).__name__}-v{self.version}"

    @property
    def truth(self) -> SCM:
        """The ground-truth SCM over unrolled scalar variables (``x[0] .. x[T-1]`` for time-varying ``x``).

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> world.truth.variables[-4:]
        ('angle[0]', 'sensor[0]', 'angle[1]', 'sensor[1]')
        >>> sorted(world.truth.parents("angle[1]"))
        ['angle[0]', 'spin']
        """
        return self._truth

    @property
    def variables(self) -> tuple[str, ...]:
        """Summary variable names, in a causal order; the order of ``Episodes.targets`` columns.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> world.variables[:4], len(world.variables)
        (('ambient', 'switch_red', 'switch_green', 'switch_blue'), 13)
        >>> world.rollout(2, seed=0).targets.shape
        torch.Size([2, 13])
        """
        return self._variables

    @property
    def graph(self) -> nx.DiGraph:
        """The summary graph over :attr:`variables` (no self-loops; see ``truth.graph`` for lags).

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> sorted(world.graph.predecessors("sensor"))
        ['ambient', 'angle', 'lamp_blue', 'lamp_green', 'lamp_red']
        >>> world.graph.has_edge("angle", "angle")  # the lag angle[0] -> angle[1] is in truth.graph
        False
        """
        return self._graph

    @property
    def time_varying(self) -> tuple[str, ...]:
        """The variables with one value per frame (``[n, T]`` in ``Episodes.values``).

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> world.time_varying
        ('angle', 'sensor')
        >>> world.rollout(3, seed=0).values["angle"].shape
        torch.Size([3, 2])
        """
        return self._time_varying

    @property
    def intervenable(self) -> dict[str, Domain]:
        """``{variable: (low, high)}`` (continuous) or ``{variable: range(K)}`` (codes) an agent may set.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> world.intervenable["ambient"], world.intervenable["switch_red"]
        ((0.0, 1.0), range(0, 2))
        >>> "lamp_red" in world.intervenable  # a lamp follows its switch, dimmer and the daylight
        False
        """
        return dict(self._intervenable)

    @property
    def depicted(self) -> tuple[str, ...]:
        """The variables drawn in the frames (see :attr:`tolerances` for how finely).

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> world.depicted[:4]
        ('ambient', 'switch_red', 'switch_green', 'switch_blue')
        >>> "dimmer_red" in world.depicted  # seen only through its lamp
        False
        """
        return self._depicted_order

    @property
    def tolerances(self) -> dict[str, Tolerance]:
        """``{depicted variable: Tolerance(step, low, high)}``: the drawing's promised resolution.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> world.tolerances["ambient"]
        Tolerance(step=0.01, low=0.0, high=1.0)
        """
        return dict(self._depicted)

    @property
    def discrete(self) -> dict[str, int]:
        """``{variable: number of codes}`` for the discrete variables.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> world.discrete
        {'switch_red': 2, 'switch_green': 2, 'switch_blue': 2}
        """
        return {v: k for v in self._variables if (k := self._truth.cardinality(self.first(v))) is not None}

    @property
    def frame_shape(self) -> tuple[int, int, int, int]:
        """``(T, C, H, W)`` of one episode's video.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> world.frame_shape
        (2, 3, 8, 8)
        """
        return (self.frames, self.channels, self.image_size, self.image_size)

    def unrolled(self, variable: str) -> tuple[str, ...]:
        """The truth's names of ``variable``: ``("x[0]", ..., "x[T-1]")`` or ``("m",)``.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> world.unrolled("angle"), world.unrolled("ambient")
        (('angle[0]', 'angle[1]'), ('ambient',))
        """
        self._check_known(variable)
        if variable in self._time_varying:
            return tuple(unrolled_name(variable, t) for t in range(self.frames))
        return (variable,)

    def first(self, variable: str) -> str:
        """The truth's name that ``do={variable: v}`` sets: ``x[0]`` or the static name itself.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> world.first("angle"), world.first("ambient")
        ('angle[0]', 'ambient')
        """
        return unrolled_name(variable, 0) if variable in self._time_varying else variable

    def _check_known(self, variable: object) -> None:
        if variable not in self._index:
            raise UnknownVariableError.of(variable, self._variables, where=f"the world {self.id}")

    def __repr__(self) -> str:
        return (f"<World {self.id}: {len(self._variables)} variables, T={self.frames}, "
                f"{self.image_size}x{self.image_size}, {self.device}>")

    # ------------------------------------------------------------------ values in and out
    def summarize(self, unrolled: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """Summary values ``{x: [n, T]}`` from the truth's unrolled ``{x[t]: [n]}`` (static kept).

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> values = world.summarize(world.truth.sample(3, seed=0))
        >>> values["angle"].shape, values["ambient"].shape
        (torch.Size([3, 2]), torch.Size([3]))
        """
        out: dict[str, Tensor] = {}
        for v in self._variables:
            if v in self._time_varying:
                out[v] = torch.stack([unrolled[unrolled_name(v, t)] for t in range(self.frames)], dim=1)
            else:
                out[v] = unrolled[v]
        return out

    def unroll(self, values: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """The truth's unrolled ``{x[t]: [n]}`` from summary values ``{x: [n, T]}``.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> eps = world.rollout(3, seed=0)
        >>> unrolled = world.unroll(eps.values)
        >>> sorted(unrolled) == sorted(world.truth.variables)
        True
        >>> bool(torch.equal(unrolled["angle[1]"], eps.values["angle"][:, 1]))
        True
        """
        out: dict[str, Tensor] = {}
        for v, t in values.items():
            if v in self._time_varying:
                for s in range(self.frames):
                    out[unrolled_name(v, s)] = t[:, s]
            else:
                out[v] = t
        return out

    def _check_values(self, values: Mapping[str, Any], require: Sequence[str], what: str) -> dict[str, Tensor]:
        if not isinstance(values, Mapping):
            raise DTypeError(f"{what} must be a dict of tensors, got {type(values).__name__}")
        for v in values:
            self._check_known(v)
        missing = [v for v in require if v not in values]
        if missing:
            raise MissingVariableError(f"{what} lacks {missing}; {self.id} needs {list(require)}")
        out: dict[str, Tensor] = {}
        n: int | None = None
        for v in require:
            col = values[v]
            if isinstance(col, Tensor):
                if col.device.type != self.device.type:
                    raise DeviceError(f"{what}[{v!r}] is on {col.device} but the world is on {self.device}; move it with .to('{self.device}')")
                t = col
            else:
                arr = np.asarray(col)
                if arr.dtype == object or arr.dtype.kind in "USV":
                    raise DTypeError(f"{what}[{v!r}] holds {arr.dtype} values; give numbers")
                t = torch.as_tensor(arr, device=self.device)
            if t.dtype == torch.bool:
                t = t.long()
            if not (t.dtype.is_floating_point or t.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8)):
                raise DTypeError(f"{what}[{v!r}] has dtype {t.dtype}; give real numbers (int codes for discrete variables)")
            want = 2 if v in self._time_varying else 1
            if t.dim() != want or (want == 2 and t.shape[1] != self.frames):
                shape = "[n, T] with T = %d" % self.frames if want == 2 else "[n]"
                raise ShapeError(f"{what}[{v!r}] has shape {tuple(t.shape)}; {v!r} needs {shape}")
            if n is None:
                n = t.shape[0]
            elif t.shape[0] != n:
                raise ShapeError(f"{what}[{v!r}] has {t.shape[0]} rows but others have {n}; give equal batch sizes")
            if t.dtype.is_floating_point and not bool(torch.isfinite(t).all()):
                raise NonFiniteError(f"{what}[{v!r}] has NaN or infinite values")
            k = self._truth.cardinality(self.first(v))
            if k is not None:
                if t.dtype.is_floating_point and not bool((t == t.round()).all()):
                    raise DTypeError(f"{what}[{v!r}] is discrete; give int codes 0..{k - 1}")
                t = t.long()
                if t.numel() and (int(t.min()) < 0 or int(t.max()) >= k):
                    raise OutOfRangeError(f"{what}[{v!r}] must hold codes 0..{k - 1}, got {int(t.min())}..{int(t.max())}")
            else:
                t = t.to(self._truth.dtype)
            out[v] = t
        if n == 0:
            raise ShapeError(f"{what} has no rows; give at least one")
        return out

    # ------------------------------------------------------------------ interventions
    def _parse_value(self, v: str, value: Any, n: int) -> Tensor | SoftColumn:
        """One variable's asked value(s) as a checked tensor of ``n`` rows (a :class:`SoftColumn`
        for a callable)."""
        if v not in self._intervenable:
            self._check_known(v)
            raise InterventionError(
                f"{v!r} is not intervenable in {self.id}; an agent may set {sorted(self._intervenable)}"
            )
        dom = self._intervenable[v]
        if callable(value) and not isinstance(value, Tensor):
            if isinstance(dom, range):
                raise InterventionError(
                    f"do({v}=...): {v!r} is discrete, so it takes hard codes {list(dom)}, not a callable "
                    "(a soft intervention shifts or scales a continuous mechanism)"
                )
            return SoftColumn(v, [(torch.arange(n, device=self.device), value)], dom)
        if isinstance(value, Tensor):
            if value.device.type != self.device.type:
                raise DeviceError(f"do({v}=...): the tensor is on {value.device} but the world is on {self.device}; move it with .to('{self.device}')")
            t = value.detach()
        elif isinstance(value, (bool, np.bool_, numbers.Number, np.ndarray, list, tuple)):
            arr = np.asarray(value)
            if arr.dtype == object or arr.dtype.kind not in "biuf":
                raise DTypeError(f"do({v}={value!r}): give a number or a sequence of numbers")
            t = torch.as_tensor(arr, device=self.device)
        else:
            raise DTypeError(f"do({v}=...): got {type(value).__name__}; give a number or a tensor of one value per episode")
        if t.dim() == 0:
            t = t.expand(n)
        if t.dim() != 1 or t.shape[0] != n:
            raise ShapeError(f"do({v}=...) holds shape {tuple(t.shape)}; give one number or one value per episode ({n})")
        t = t.to(torch.float64)
        if not bool(torch.isfinite(t).all()):
            raise NonFiniteError(f"do({v}=...): values must be finite")
        if isinstance(dom, range):
            bad = (t != t.round()) | ~torch.isin(t.long(), torch.tensor(list(dom), device=self.device))
            if bool(bad.any()):
                raise OutOfRangeError(f"do({v}={float(t[bad][0]):g}): {v!r} takes the codes {list(dom)}")
            return t.long()
        lo, hi = dom
        bad = (t < lo) | (t > hi)
        if bool(bad.any()):
            raise OutOfRangeError(f"do({v}={float(t[bad][0]):g}) is outside the range [{lo:g}, {hi:g}] of {v!r}; pick a value inside it")
        return t.to(self._truth.dtype)

    def parse_do(self, do: Any, n: int) -> tuple[Tensor, dict[str, Tensor | SoftColumn]]:
        """Check an intervention for a batch of ``n`` and return ``(targets [n, d] bool, {var: values [n]})``.

        ``do`` is ``None``, one dict for the whole batch (a value may be a number or one value per
        episode), or a list of ``n`` dicts (one per episode, possibly empty). A value may also be
        a callable of the value the variable would have taken (a soft intervention, continuous
        variables only, e.g. ``lambda x: x + 0.2``); a variable with any soft row comes back as a
        :class:`SoftColumn` instead of a tensor. Targets mark soft and hard rows alike.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=16, frames=2)
        >>> mask, vals = world.parse_do([{"switch_red": 1}, {}], 2)
        >>> mask[:, world.variables.index("switch_red")].tolist(), vals["switch_red"].tolist()
        ([True, False], [1, 0])
        """
        d = len(self._variables)
        mask = torch.zeros((n, d), dtype=torch.bool, device=self.device)
        vals: dict[str, Tensor] = {}
        if do is None:
            return mask, vals
        if isinstance(do, Mapping):
            for v, value in do.items():
                vals[v] = self._parse_value(v, value, n)
                mask[:, self._index[v]] = True
            return mask, vals
        if isinstance(do, (str, bytes)) or not isinstance(do, Sequence):
            raise DTypeError(f"do must be a dict, a list of {n} dicts, or None; got {type(do).__name__}")
        if len(do) != n:
            raise ShapeError(f"do is a list of {len(do)} interventions but the batch has {n} episodes; give one dict per episode")
        rows: dict[str, tuple[list[int], list[Any]]] = {}
        for i, d_i in enumerate(do):
            if d_i is None:
                continue
            if not isinstance(d_i, Mapping):
                raise DTypeError(f"do[{i}] is a {type(d_i).__name__}; each episode's intervention is a dict (or None)")
            for v, value in d_i.items():
                idx, xs = rows.setdefault(v, ([], []))
                idx.append(i)
                xs.append(value.item() if isinstance(value, Tensor) and value.dim() == 0 else value)
        for v, (idx, xs) in rows.items():
            k = len(idx)
            rows_t = torch.as_tensor(idx, device=self.device)
            if any(callable(x) and not isinstance(x, Tensor) for x in xs):
                mask[rows_t, self._index[v]] = True
                vals[v] = self._soft_rows(v, idx, xs)
                continue
            asked = self._parse_value(v, xs, k) if all(isinstance(x, (numbers.Number, np.number, bool)) for x in xs) else \
                torch.stack([self._parse_value(v, x, 1)[0] for x in xs])
            col = torch.zeros(n, dtype=asked.dtype, device=self.device)
            col[rows_t] = asked
            mask[rows_t, self._index[v]] = True
            vals[v] = col
        return mask, vals

    def _soft_rows(self, v: str, idx: list[int], xs: list[Any]) -> SoftColumn:
        """A :class:`SoftColumn` for episodes ``idx`` asking ``xs`` (callables and hard values mixed)."""
        soft: dict[int, tuple[list[int], Any]] = {}  # episodes that share one callable are applied together
        hard_rows, hard = [], []
        for i, x in zip(idx, xs):
            how = self._parse_value(v, x, 1)
            if isinstance(how, SoftColumn):
                soft.setdefault(id(x), ([], x))[0].append(i)
            else:
                hard_rows.append(i)
                hard.append(how)
        parts: list[tuple[Tensor, Any]] = [(torch.as_tensor(r, device=self.device), f) for r, f in soft.values()]
        if hard_rows:
            parts.append((torch.as_tensor(hard_rows, device=self.device), torch.cat(hard)))
        return SoftColumn(v, parts, self._intervenable[v])  # type: ignore[arg-type]

    @torch.no_grad()
    def propagate(self, noise: Mapping[str, Tensor], mask: Tensor, vals: Mapping[str, Tensor | SoftColumn]) -> dict[str, Tensor]:
        """The predict step: every unrolled variable from its parents and its noise, in the truth's
        topological order, with the per-episode interventions ``(mask, vals)`` of :meth:`parse_do`
        (a :class:`SoftColumn` is applied to the value its variable would have taken).

        This evaluates the truth's own mechanisms, as ``truth.do(...).from_noise(noise)`` does, but
        always one variable at a time with a row mask, so a batch that mixes experiments computes
        every row exactly as a batch that runs one of them would (the SCM's matrix shortcut for
        linear models rounds differently).

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> eps = world.rollout(3, seed=0, do={"switch_red": 0})
        >>> noise = {v: eps.noise[v] for v in world.truth.variables}
        >>> unrolled = world.propagate(noise, *world.parse_do({"switch_red": 0}, 3))
        >>> bool(torch.equal(world.summarize(unrolled)["lamp_red"], eps.values["lamp_red"]))
        True
        """
        truth = self._truth
        mechs = self._mechanisms
        first = {self.first(v): (mask[:, self._index[v]], t) for v, t in vals.items()}
        out: dict[str, Tensor] = {}
        n = mask.shape[0]
        for u in truth.variables:
            ps = truth.parents(u)
            if ps:
                pa = torch.stack([out[p].to(truth.dtype) for p in ps], dim=1)  # (n, p)
            else:
                pa = torch.empty((n, 0), dtype=truth.dtype, device=self.device)
            x = mechs[u](pa, noise[u])
            if u in first:
                rows, value = first[u]
                set_to = value(x) if isinstance(value, SoftColumn) else value
                x = torch.where(rows, set_to.to(x.dtype), x)
            out[u] = x
        return out

    # ------------------------------------------------------------------ the verbs
    def sample_noise(self, n: int, seed: int | torch.Generator | None = None) -> dict[str, Tensor]:
        """Exogenous noise for ``n`` episodes: the truth's (every unrolled variable) then the render noise.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> noise = world.sample_noise(3, seed=0)
        >>> list(noise) == list(world.truth.variables), noise["angle[1]"].shape
        (True, torch.Size([3]))
        """
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ShapeError(f"n must be a positive int, got {n!r}")
        g = self._rng if seed is None else as_generator(seed, self.device)
        noise = self._truth.sample_noise(n, g)
        for key, shape in self._render_noise.items():
            noise[key] = torch.randn((n, *shape), generator=g, dtype=self._truth.dtype, device=self.device)
        return noise

    @torch.no_grad()
    def rollout(self, n: int, *, do: Any = None, seed: int | torch.Generator | None = None) -> Episodes:
        """``n`` episodes of video with their true values, under ``do``.

        Parameters
        ----------
        n
            Number of episodes.
        do
            ``None``; one intervention ``{variable: value}`` for the whole batch (a value may be a
            tensor of ``n``, one per episode); or a list of ``n`` dicts, one per episode (possibly
            empty). ``do={"x": v}`` on a time-varying ``x`` sets ``x[0]``. Values must lie in
            :attr:`intervenable`.
        seed
            The same seed gives the same video. Noise is drawn for every variable whatever ``do``
            is (common random numbers), so variables that are not descendants of the intervened
            ones equal those of the observational rollout with the same seed. ``None`` draws
            from the world's own stream (seeded by ``make(seed=...)``).

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=16, frames=2)
        >>> obs = world.rollout(3, seed=1)
        >>> exp = world.rollout(3, seed=1, do=[{"dimmer_red": 0.0}, {}, {"switch_blue": 0}])
        >>> bool(torch.equal(obs.values["ambient"], exp.values["ambient"]))  # not a descendant
        True
        >>> exp.targets.sum(1).tolist()
        [1, 0, 1]
        """
        if isinstance(n, int) and not isinstance(n, bool) and n > 0:
            self._check_episodes(n, f"rollout(n={n})")
        noise = self.sample_noise(n, seed)
        mask, vals = self.parse_do(do, n)
        return self._run(noise, mask, vals, n)

    def _check_episodes(self, n: int, what: str) -> None:
        """Refuse ``n`` episodes whose frames (uint8, counted twice for the drawing's intermediates)
        and noise would not fit in memory, before drawing any."""
        noise = len(self._truth.variables) + sum(math.prod(s) for s in self._render_noise.values())
        per_episode = 2 * math.prod(self.frame_shape) + 16 * noise
        check_memory(n * per_episode, what=what, per_item=per_episode, device=self.device,
                     fix=f"draw {{fit}} episodes at a time, or use a smaller image_size than {self.image_size}")

    def _run(self, noise: dict[str, Tensor], mask: Tensor, vals: Mapping[str, Tensor], n: int) -> Episodes:
        truth_noise = {v: noise[v] for v in self._truth.variables}
        values = self.summarize(self.propagate(truth_noise, mask, vals))
        frames = self._draw_checked(values, {k: noise[k] for k in self._render_noise}, n)
        return Episodes(frames, values, targets=mask, noise=noise, names=self._variables,
                        meta={"world": self.id, "image_size": self.image_size, "frames": self.frames,
                              "time_varying": list(self._time_varying)})

    @torch.no_grad()
    def counterfactual_rollout(self, episodes: Episodes, do: Any) -> Episodes:
        """The same episodes (same exogenous noise) under another intervention: the true
        counterfactual video and values.

        The episodes' own interventions are kept and ``do`` is applied on top (overriding them
        where both set a variable), so ``counterfactual_rollout(eps, {})`` gives back ``eps``.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=16, frames=2)
        >>> eps = world.rollout(2, seed=0)
        >>> same = world.counterfactual_rollout(eps, {})
        >>> bool(torch.equal(same.frames, eps.frames))
        True
        >>> cf = world.counterfactual_rollout(eps, {"ambient": 0.9})
        >>> cf.values["ambient"].tolist()
        [0.8999999761581421, 0.8999999761581421]
        """
        if not isinstance(episodes, Episodes):
            raise DTypeError(f"counterfactual_rollout takes Episodes, got {type(episodes).__name__}")
        if tuple(episodes.names) != self._variables:
            raise ArgumentError(f"these episodes are over {list(episodes.names)}, not the variables of {self.id}")
        missing = [v for v in (*self._truth.variables, *self._render_noise) if v not in episodes.noise]
        if missing:
            raise MissingVariableError(
                f"the episodes carry no exogenous noise for {missing[:5]}; only episodes from "
                f"{self.id}.rollout() (or saved from it) have the noise a counterfactual needs"
            )
        n = len(episodes)
        noise = {k: t.to(self.device) for k, t in episodes.noise.items() if k in self._truth.variables or k in self._render_noise}
        for k, t in noise.items():  # edited or hand-built episodes: NaN noise would come back as NaN frames
            if t.dtype.is_floating_point and not bool(torch.isfinite(t).all()):
                raise NonFiniteError(
                    f"the episodes' noise {k!r} has {int((~torch.isfinite(t)).sum())} NaN or infinite value(s); "
                    f"a counterfactual replays the noise {self.id}.rollout() drew: use episodes from it unchanged"
                )
        old_mask = episodes.targets.to(self.device)
        new_mask, new_vals = self.parse_do(do, n)
        mask = old_mask | new_mask
        vals: dict[str, Tensor] = {}
        for v in self._variables:
            j = self._index[v]
            if not bool(mask[:, j].any()):
                continue
            old = episodes.values[v].to(self.device)
            old = old[:, 0] if v in self._time_varying else old
            if isinstance(new_vals.get(v), SoftColumn):  # the new soft rows, the episodes' own values elsewhere
                kept = torch.nonzero(old_mask[:, j] & ~new_mask[:, j]).flatten()
                vals[v] = SoftColumn(v, [*new_vals[v].parts, (kept, old[kept])], new_vals[v].domain)
            elif v in new_vals:
                vals[v] = torch.where(new_mask[:, j], new_vals[v], old.to(new_vals[v].dtype))
            else:
                vals[v] = old
        return self._run(noise, mask, vals, n)

    def render(self, values: Mapping[str, Any], noise: Mapping[str, Tensor] | None = None) -> Tensor:
        """Frames ``uint8 [n, T, C, H, W]`` drawn from any values of the depicted variables.

        ``values`` needs every depicted variable (``[n]`` static, ``[n, T]`` time-varying);
        other known variables are ignored, as the drawing does not see them. ``noise`` is the
        episodes' noise (only its ``render:`` entries are used); ``None`` draws without render noise.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=16, frames=2)
        >>> eps = world.rollout(2, seed=0)
        >>> bool(torch.equal(world.render(eps.values, eps.noise), eps.frames))
        True
        """
        vals = self._check_values(values, self._depicted_order, "values")
        n = next(iter(vals.values())).shape[0] if vals else None
        if n is None:
            raise ArgumentError(f"{self.id} depicts no variable; there is nothing to draw")
        self._check_episodes(n, f"render of {n} episode(s)")
        if noise is None:
            rnoise = {k: torch.zeros((n, *s), dtype=self._truth.dtype, device=self.device) for k, s in self._render_noise.items()}
        else:
            rnoise = {}
            for k, s in self._render_noise.items():
                if k not in noise:
                    raise MissingVariableError(f"noise lacks {k!r}; pass the episodes' noise, or None to draw without it")
                t = torch.as_tensor(noise[k])
                if t.device.type != self.device.type:
                    raise DeviceError(f"noise[{k!r}] is on {t.device} but the world is on {self.device}")
                if tuple(t.shape) != (n, *s):
                    raise ShapeError(f"noise[{k!r}] has shape {tuple(t.shape)}; expected {(n, *s)}")
                rnoise[k] = t.to(self._truth.dtype)
        return self._draw_checked(vals, rnoise, n)

    def _draw_checked(self, values: Mapping[str, Tensor], noise: dict[str, Tensor], n: int) -> Tensor:
        out = torch.empty((n, *self.frame_shape), dtype=torch.uint8, device=self.device)
        self.draw({v: values[v] for v in self._depicted_order}, {k[len("render:"):]: t for k, t in noise.items()}, out)
        return out

