"""The registry of worlds: versioned ids (``"lights-v0"``), ``make``, ``list_worlds``, ``register_world``.

As Gymnasium's registry does for envs, ids carry a version that is bumped whenever a world's
behaviour changes, so a result names exactly the world it came from; the bare name means the
newest version. Built-in worlds live in modules of ``causalworld.envs`` listed in
``BUILTIN_MODULES`` and register themselves with ``@register_world`` when first needed.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from typing import Any

import torch

from causalworld.envs.world import World
from causalworld.errors import ArgumentError, UnknownWorldError, suggest

__all__ = ["make", "list_worlds", "register_world", "world_class", "parse_id", "BUILTIN_MODULES"]

BUILTIN_MODULES = (
    "causalworld.envs.lights",
    "causalworld.envs.sprites",
    "causalworld.envs.falling",
    "causalworld.envs.billiards",
    "causalworld.envs.pendulum",
)
"""Modules holding the built-in worlds; a module that does not exist (yet) is skipped."""

_ID = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)(?:-v(?P<version>\d+))?$")
_WORLDS: dict[str, dict[int, type[World]]] = {}
_loaded = False


def _load_builtins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_MODULES:
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)


def parse_id(world_id: str) -> tuple[str, int | None]:
    """``("lights", 0)`` for ``"lights-v0"``, ``("lights", None)`` for the bare name.

    Examples
    --------
    >>> parse_id("lights-v0"), parse_id("sprites")
    (('lights', 0), ('sprites', None))
    """
    if not isinstance(world_id, str):
        raise ArgumentError(f"a world id is a string such as 'lights-v0', got {type(world_id).__name__}")
    m = _ID.match(world_id)
    if m is None:
        raise UnknownWorldError(
            f"{world_id!r} is not a world id; ids look like 'lights' or 'lights-v0' "
            f"(lower-case name, optional -v<version>). {suggest(world_id, list_worlds())}"
        )
    v = m.group("version")
    if v is not None and len(v) > 9:  # no world has such a version; int() of 5000 digits would fail raw
        raise UnknownWorldError(f"{m.group('name')!r} has no version {v[:9]}... ({len(v)} digits); "
                                f"{suggest(m.group('name'), list_worlds())}")
    return m.group("name"), None if v is None else int(v)


def register_world(cls: type[World] | None = None, *, overwrite: bool = False) -> Any:
    """Register a :class:`World` subclass under ``f"{cls.name}-v{cls.version}"``.

    Use it as a class decorator (``@register_world`` or ``@register_world(overwrite=True)``) or
    call it on a class. Registering an id twice raises unless ``overwrite=True``.

    Examples
    --------
    >>> import causalworld as cw
    >>> from causalworld.envs import World
    >>> @cw.register_world(overwrite=True)
    ... class Mine(type(cw.make("lights"))):
    ...     name = "mylights"
    ...     version = 3
    >>> "mylights-v3" in cw.list_worlds(), cw.make("mylights").id
    (True, 'mylights-v3')
    """
    def wrap(c: type[World]) -> type[World]:
        if not (isinstance(c, type) and issubclass(c, World)):
            raise ArgumentError(f"register_world expects a World subclass, got {c!r}")
        name, version = c.name, c.version
        if not isinstance(name, str) or _ID.match(name) is None or "-v" in name:
            raise ArgumentError(
                f"{c.__name__}.name must be a lower-case identifier such as 'lights' (no '-v'), got {name!r}"
            )
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise ArgumentError(f"{c.__name__}.version must be a non-negative int, got {version!r}")
        versions = _WORLDS.setdefault(name, {})
        if version in versions and versions[version] is not c and not overwrite:
            raise ArgumentError(
                f"{name}-v{version} is already registered (by {versions[version].__name__}); bump "
                "the version or pass overwrite=True"
            )
        versions[version] = c
        return c

    if cls is None:
        return wrap
    return wrap(cls)


def list_worlds() -> list[str]:
    """Every registered world id, versioned, sorted.

    Examples
    --------
    >>> import causalworld as cw
    >>> [w for w in cw.list_worlds() if w.startswith(("lights", "sprites"))]
    ['lights-v0', 'sprites-v0']
    """
    _load_builtins()
    return sorted(f"{name}-v{v}" for name, versions in _WORLDS.items() for v in versions)


def world_class(world_id: str) -> type[World]:
    """The class registered under ``world_id`` (the bare name gives the newest version).

    Raises
    ------
    UnknownWorldError
        No world of that name, or no such version of it.

    Examples
    --------
    >>> cls = world_class("lights-v0")
    >>> cls.__name__, cls is world_class("lights"), cls.config_defaults["fade"]
    ('LightsWorld', True, 0.5)
    """
    name, version = parse_id(world_id)
    module = f"causalworld.envs.{name}"
    if name not in _WORLDS and module in BUILTIN_MODULES and importlib.util.find_spec(module) is not None:
        importlib.import_module(module)  # a built-in world loads alone, without its neighbours
    if name not in _WORLDS:
        _load_builtins()
    versions = _WORLDS.get(name)
    if not versions:
        raise UnknownWorldError(f"no world {world_id!r} is registered; {suggest(world_id, list_worlds())}")
    if version is None:
        return versions[max(versions)]
    if version not in versions:
        known = ", ".join(f"{name}-v{v}" for v in sorted(versions))
        raise UnknownWorldError(f"{name!r} has no version {version}; registered: {known}")
    return versions[version]


def make(
    world_id: str,
    *,
    image_size: int = 64,
    frames: int | None = None,
    device: str | torch.device = "cpu",
    seed: int | None = None,
    **config: Any,
) -> World:
    """Build a registered world.

    Parameters
    ----------
    world_id
        ``"lights-v0"``, or the bare ``"lights"`` for the newest version.
    image_size
        Height and width of the frames in pixels.
    frames
        Frames per episode (default: the world's own).
    device
        Where the truth computes and frames are drawn.
    seed
        Seeds the rollouts drawn without their own seed.
    **config
        The world's own settings (its ``config_defaults``).

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=32, seed=0)
    >>> world.id, world.frame_shape
    ('lights-v0', (8, 3, 32, 32))
    >>> cw.make("ligths")
    Traceback (most recent call last):
    ...
    causalworld.errors.UnknownWorldError: no world 'ligths' is registered; did you mean 'lights-v0'? ...
    """
    cls = world_class(world_id)
    return cls(image_size=image_size, frames=frames, device=device, seed=seed, **config)
