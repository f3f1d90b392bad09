"""Simulated worlds: a ground-truth SCM plus a batched torch renderer, made by versioned id.

The first stage of the loop in ``docs/architecture.md``: ``make("lights")`` builds a :class:`World`;
``world.rollout(n, do=...)`` returns :class:`~causalworld.Episodes` (frames, true values,
targets, noise); ``world.counterfactual_rollout`` replays their noise under another intervention;
``check_world`` is the one checker every registered world passes. The Gymnasium wrapper lives in
:mod:`causalworld.envs.gym` (imported on demand, so gymnasium loads only when used).
"""

from causalworld.envs.check import check_world
from causalworld.envs.physical_law import PhysicalLaw
from causalworld.envs.registry import list_worlds, make, register_world, world_class
from causalworld.envs.world import Tolerance, World, WorldSpec

__all__ = [
    "World",
    "WorldSpec",
    "Tolerance",
    "PhysicalLaw",
    "make",
    "list_worlds",
    "register_world",
    "world_class",
    "check_world",
]
