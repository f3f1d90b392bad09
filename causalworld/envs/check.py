"""``check_world``: the one checker every World passes, built of small ``check_*`` functions.

Like Gymnasium's ``env_checker``, each check tests one promise of the World contract against
what the world itself knows (its truth, its noise, its drawing): seeds, shapes and dtypes, the
meaning of ``do``, counterfactual consistency, rendering, and the depicted-sensitivity promise.
A broken promise raises :class:`~causalworld.errors.WorldCheckError` naming the check.
"""

from __future__ import annotations

import networkx as nx
import torch
from torch import Tensor

from causalworld.episodes import Episodes
from causalworld.envs.world import World
from causalworld.errors import WorldCheckError

__all__ = [
    "check_world",
    "check_structure",
    "check_seed_determinism",
    "check_shapes_and_dtypes",
    "check_do_semantics",
    "check_per_episode_do",
    "check_counterfactual_consistency",
    "check_render_agrees",
    "check_depicted_sensitivity",
]


def _fail(check: str, message: str) -> None:
    raise WorldCheckError(f"{check}: {message}")


def _same(a: Episodes, b: Episodes, rows: Tensor | None = None) -> tuple[bool, str]:
    """Whether two batches hold the same frames and values (on ``rows`` if given), and where not."""
    sel = (lambda t: t) if rows is None else (lambda t: t[rows])
    if not torch.equal(sel(a.frames), sel(b.frames)):
        return False, "frames differ"
    for v in a.values:
        if not torch.equal(sel(a.values[v]), sel(b.values[v])):
            return False, f"values[{v!r}] differ"
    return True, ""


def check_structure(world: World) -> None:
    """Names, graph, ranges and tolerances are consistent with the truth.

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=2)
    >>> check_structure(world)  # passes silently
    """
    name = "check_structure"
    if tuple(world.graph.nodes) != world.variables:
        _fail(name, "graph nodes are not world.variables in order")
    if not world.time_varying and not nx.is_directed_acyclic_graph(world.graph):  # lags may close summary cycles
        _fail(name, "the summary graph has a cycle")
    unrolled = {u for v in world.variables for u in world.unrolled(v)}
    if unrolled != set(world.truth.variables):
        _fail(name, "world.variables unrolled do not cover the truth's variables exactly")
    for v in (*world.intervenable, *world.depicted, *world.time_varying):
        if v not in world.variables:
            _fail(name, f"{v!r} is not one of world.variables")
    for a, b in world.truth.graph.edges:
        sa, sb = (x.split("[")[0] if x.endswith("]") else x for x in (a, b))
        if sa != sb and not world.graph.has_edge(sa, sb):
            _fail(name, f"truth edge {a} -> {b} is missing from the summary graph")


def check_seed_determinism(world: World, *, n: int = 4, seed: int = 0) -> None:
    """The same seed gives the same video and values; another seed gives another.

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=2)
    >>> check_seed_determinism(world)
    >>> class Noisy(type(world)):  # draws from global random state, not from the noise it is given
    ...     def draw(self, values, noise, out):
    ...         out[:] = torch.randint(0, 256, out.shape, dtype=torch.uint8)
    >>> check_seed_determinism(Noisy(image_size=8, frames=2))
    Traceback (most recent call last):
    ...
    causalworld.errors.WorldCheckError: check_seed_determinism: two rollouts with seed=0: frames differ
    """
    name = "check_seed_determinism"
    a, b = world.rollout(n, seed=seed), world.rollout(n, seed=seed)
    ok, where = _same(a, b)
    if not ok:
        _fail(name, f"two rollouts with seed={seed}: {where}")
    c = world.rollout(n, seed=seed + 1)
    if torch.equal(a.frames, c.frames):
        _fail(name, f"seeds {seed} and {seed + 1} gave the same frames")


def check_shapes_and_dtypes(world: World, *, n: int = 3, seed: int = 0) -> None:
    """Frames ``uint8 [n, T, C, H, W]`` contiguous on the world's device; values, targets, noise shaped.

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=2)
    >>> check_shapes_and_dtypes(world, n=2)
    """
    name = "check_shapes_and_dtypes"
    eps = world.rollout(n, seed=seed)
    if not isinstance(eps, Episodes):
        _fail(name, f"rollout returned {type(eps).__name__}, not Episodes")
    if eps.frames.dtype != torch.uint8 or tuple(eps.frames.shape) != (n, *world.frame_shape):
        _fail(name, f"frames are {eps.frames.dtype} {tuple(eps.frames.shape)}, expected uint8 {(n, *world.frame_shape)}")
    if not eps.frames.is_contiguous() or eps.frames.device.type != world.device.type:
        _fail(name, "frames are not contiguous on the world's device")
    if eps.names != world.variables or set(eps.values) != set(world.variables):
        _fail(name, "episodes' names/values do not match world.variables")
    discrete = world.discrete
    for v, t in eps.values.items():
        want = (n, world.frames) if v in world.time_varying else (n,)
        if tuple(t.shape) != want:
            _fail(name, f"values[{v!r}] has shape {tuple(t.shape)}, expected {want}")
        if (v in discrete) != (t.dtype == torch.int64):
            _fail(name, f"values[{v!r}] has dtype {t.dtype}; discrete variables are int64, others float")
    if eps.targets.dtype != torch.bool or tuple(eps.targets.shape) != (n, len(world.variables)) or bool(eps.targets.any()):
        _fail(name, "an observational rollout must have an all-False boolean targets [n, d]")
    for v in world.truth.variables:
        if v not in eps.noise:
            _fail(name, f"noise lacks {v!r}")


def _probe_value(world: World, v: str) -> float | int:
    """A value inside ``v``'s intervenable range, away from the middle of its natural range."""
    dom = world.intervenable[v]
    if isinstance(dom, range):
        return dom[-1]
    lo, hi = dom
    return lo + 0.8 * (hi - lo)


def check_do_semantics(world: World, *, n: int = 4, seed: int = 0) -> None:
    """``do={v: x}`` sets ``v`` (its first step) to ``x``, marks only ``v`` in targets, and leaves
    every non-descendant equal to the observational rollout with the same s

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=2)
    >>> check_do_semantics(world, n=2)
    """
    name = "check_do_semantics"
    obs = world.rollout(n, seed=seed)
    base = world.unroll(obs.values)
    for v in world.intervenable:
        x = _probe_value(world, v)
        eps = world.rollout(n, seed=seed, do={v: x})
        got = eps.values[v][:, 0] if v in world.time_varying else eps.values[v]
        if not torch.allclose(got.double(), torch.full_like(got, x, dtype=torch.float64), atol=1e-6):
            _fail(name, f"do({v}={x}) gave {got.tolist()}")
        j = world.variables.index(v)
        if not bool(eps.targets[:, j].all()) or int(eps.targets.sum()) != n:
            _fail(name, f"do({v}={x}) marked targets {eps.targets.int().tolist()}")
        first = world.first(v)
        affected = nx.descendants(world.truth.graph, first) | {first}
        now = world.unroll(eps.values)
        for u in world.truth.variables:
            if u not in affected and not torch.equal(now[u], base[u]):
                _fail(name, f"do({v}={x}) changed the non-descendant {u!r}")


def check_per_episode_do(world: World, *, n: int = 4, seed: int = 0) -> None:
    """A list of per-episode interventions equals, row by row, the whole-batch rollouts it mixes.

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=2)
    >>> check_per_episode_do(world)
    """
    name = "check_per_episode_do"
    if not world.intervenable:
        return
    v = next(iter(world.intervenable))
    x = _probe_value(world, v)
    mixed = world.rollout(n, seed=seed, do=[{v: x} if i % 2 == 0 else {} for i in range(n)])
    obs = world.rollout(n, seed=seed)
    exp = world.rollout(n, seed=seed, do={v: x})
    even = torch.arange(n, device=world.device) % 2 == 0
    for rows, ref, what in ((even, exp, f"do({v}={x})"), (~even, obs, "no intervention")):
        ok, where = _same(mixed, ref, rows)
        if not ok:
            _fail(name, f"episodes given {what} in a mixed batch differ from the whole-batch rollout: {where}")
    if not torch.equal(mixed.targets, exp.targets & even[:, None]):
        _fail(name, "targets of a mixed batch do not mark exactly the intervened episodes")


def check_counterfactual_consistency(world: World, *, n: int = 4, seed: int = 0) -> None:
    """``counterfactual_rollout(eps, {})`` reproduces ``eps`` frame for frame (observational and
    interventional); with ``do`` it equals the rollout under ``do`` with the same s

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=2)
    >>> check_counterfactual_consistency(world, n=2)
    """
    name = "check_counterfactual_consistency"
    obs = world.rollout(n, seed=seed)
    ok, where = _same(world.counterfactual_rollout(obs, {}), obs)
    if not ok:
        _fail(name, f"counterfactual_rollout(eps, {{}}) of an observational batch: {where}")
    for v in list(world.intervenable)[:3]:
        x = _probe_value(world, v)
        exp = world.rollout(n, seed=seed, do={v: x})
        ok, where = _same(world.counterfactual_rollout(exp, {}), exp)
        if not ok:
            _fail(name, f"counterfactual_rollout(eps, {{}}) of a batch under do({v}): {where}")
        ok, where = _same(world.counterfactual_rollout(obs, {v: x}), exp)
        if not ok:
            _fail(name, f"the counterfactual under do({v}={x}) differs from the rollout under it with the same seed: {where}")


def check_render_agrees(world: World, *, n: int = 4, seed: int = 0) -> None:
    """``render(values, noise)`` draws exactly the rollout's frames, for the batch and a slice of it.

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=2)
    >>> check_render_agrees(world)
    """
    name = "check_render_agrees"
    eps = world.rollout(n, seed=seed)
    if not torch.equal(world.render(eps.values, eps.noise), eps.frames):
        _fail(name, "render(eps.values, eps.noise) differs from eps.frames")
    part = eps[1:]
    if not torch.equal(world.render(part.values, part.noise), part.frames):
        _fail(name, "render of a slice of the episodes differs from the slice of their frames")


def check_depicted_sensitivity(world: World, *, n: int = 4, seed: int = 0) -> None:
    """Changing a depicted value by its tolerance step (inside its range) changes the frames of
    every episode; changing only variables that are not depicted changes no fr

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=2)
    >>> check_depicted_sensitivity(world, n=2)
    >>> class Blank(type(world)):  # promises to depict its variables but draws none of them
    ...     def draw(self, values, noise, out):
    ...         out.zero_()
    >>> check_depicted_sensitivity(Blank(image_size=8, frames=2), n=2)
    Traceback (most recent call last):
    ...
    causalworld.errors.WorldCheckError: check_depicted_sensitivity: changing 'ambient' by 0.01 (its stated step) left frame 0 of episode 0 unchanged
    """
    name = "check_depicted_sensitivity"
    eps = world.rollout(n, seed=seed)
    tol = world.tolerances
    for v, (step, low, high) in tol.items():
        t = eps.values[v]
        if t.dtype == torch.int64:
            base = t.clamp(int(low), int(high))
            moved = torch.where(base + 1 <= high, base + 1, base - 1)
        else:
            base = t.clamp(low, high - step)
            moved = base + step
        values = dict(eps.values)
        values[v] = base
        a = world.render(values, eps.noise)
        values[v] = moved
        b = world.render(values, eps.noise)
        same = (a == b).flatten(2).all(-1)  # [n, T]: frames left unchanged
        if bool(same.any()):
            i, f = (int(k) for k in same.nonzero()[0])
            _fail(name, f"changing {v!r} by {step:g} (its stated step) left frame {f} of episode {i} unchanged")
    shuffled = dict(eps.values)
    perm = torch.roll(torch.arange(n, device=world.device), 1)
    for v in world.variables:
        if v not in tol:
            shuffled[v] = eps.values[v][perm]
    if not torch.equal(world.render(shuffled, eps.noise), eps.frames):
        _fail(name, "changing variables that are not depicted changed the frames")


_CHECKS = (
    check_structure,
    check_shapes_and_dtypes,
    check_seed_determinism,
    check_do_semantics,
    check_per_episode_do,
    check_counterfactual_consistency,
    check_render_agrees,
    check_depicted_sensitivity,
)


def check_world(world: World, *, n: int = 4, seed: int = 0) -> None:
    """Run every ``check_*`` on ``world``; raise :class:`~causalworld.errors.WorldCheckError` at the first broken promise.

    Examples
    --------
    >>> import causalworld as cw
    >>> from causalworld.envs import check_world
    >>> check_world(cw.make("lights", image_size=16, frames=3))
    """
    for check in _CHECKS:
        if check is check_structure:
            check(world)
        else:
            check(world, n=n, seed=seed)
