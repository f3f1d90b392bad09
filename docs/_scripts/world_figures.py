"""The figures of the World pages (``docs/worlds/*.md``): each world's graph, a frame strip and a
true counterfactual, drawn from the simulator itself with ``causalworld.viz`` when the docs build.

Every function returns ``{path under docs/: matplotlib Figure}``; small images and few episodes
keep the whole set to a few seconds on one core.
"""

from __future__ import annotations

from matplotlib.figure import Figure

import causalworld as cw
from causalworld.viz import draw_graph, frame_strip

__all__ = ["WORLD_FIGURES", "FALLING_EPISODES", "LIGHTS_COUNTERFACTUAL"]


def _counterfactual(world, eps, do: dict, title: str, episode: int = 0) -> Figure:
    """One episode beside the world's own answer under ``do``, from the same exogenous noise."""
    cf = world.counterfactual_rollout(eps, do)
    label = ", ".join(f"{k}={v}" for k, v in do.items())
    return frame_strip({"factual": eps.frames[episode], "counterfactual": cf.frames[episode]},
                       title=f"{title}: do({label})")


def lights() -> dict[str, Figure]:
    world = cw.make("lights", image_size=32)
    eps = world.rollout(3, seed=0)
    return {
        "worlds/img/lights_strip.png": frame_strip(eps, title="lights-v0: three episodes"),
        "worlds/img/lights_counterfactual.png": _counterfactual(
            world, eps, LIGHTS_COUNTERFACTUAL, "lights-v0"),
        "worlds/img/lights_graph.png": draw_graph(world),
    }


def sprites() -> dict[str, Figure]:
    world = cw.make("sprites", image_size=32, frames=4)
    eps = world.rollout(4, seed=0)
    return {
        "worlds/img/sprites_strip.png": frame_strip(eps, title="sprites-v0: four episodes"),
        "worlds/img/sprites_graph.png": draw_graph(world),
    }


# The three episodes of the falling strip: knocked (the pen over the block, the string cut), held
# (shelf and string hold), missed (the pen far from the block).
FALLING_EPISODES = [
    {"support_pen": 0, "release": 1, "pen_x": 0.4, "block_x": 0.42, "pen_mass": 2.5, "block_mass": 0.3},
    {"support_pen": 1, "release": 0},
    {"support_pen": 0, "release": 0, "pen_x": 0.12, "block_x": 0.5},
]
LIGHTS_COUNTERFACTUAL = {"switch_green": 0, "ambient": 0.9}


def falling() -> dict[str, Figure]:
    world = cw.make("falling", image_size=48)
    eps = world.rollout(3, seed=0, do=FALLING_EPISODES)
    return {
        "worlds/img/falling_strip.png": frame_strip(eps, title="falling-v0: knocked / held / missed"),
        "worlds/img/falling_counterfactual.png": _counterfactual(
            world, world.rollout(1, seed=1, do={"support_pen": 1, "pen_x": 0.4, "block_x": 0.42}),
            {"support_pen": 0}, "falling-v0"),
        "worlds/img/falling_graph.png": draw_graph(world),
    }


def billiards() -> dict[str, Figure]:
    world = cw.make("billiards", image_size=32)
    eps = world.rollout(3, seed=0)
    two = cw.make("billiards", image_size=16, n_balls=2, frames=2)
    return {
        "worlds/img/billiards_strip.png": frame_strip(eps, title="billiards-v0: three episodes"),
        "worlds/img/billiards_graph.png": draw_graph(two.truth, title="billiards-v0 truth, 2 balls, frames 0 -> 1"),
    }


def pendulum() -> dict[str, Figure]:
    world = cw.make("pendulum", image_size=32)
    eps = world.rollout(3, seed=0)
    one = world.rollout(1, seed=1)
    rows = {"factual": one.frames[0]}
    for do in ({"light_x": 0.7}, {"pendulum_angle": 0.5}, {"shadow_length": 0.3}):
        (k, v), = do.items()
        rows[f"{k}={v}"] = world.counterfactual_rollout(one, do).frames[0]
    return {
        "worlds/img/pendulum_strip.png": frame_strip(eps, title="pendulum-v0", scale=2.0),
        "worlds/img/pendulum_counterfactual.png": frame_strip(rows, title="counterfactuals", scale=2.2),
        "worlds/img/pendulum_graph.png": draw_graph(world),
    }


WORLD_FIGURES = {"lights": lights, "sprites": sprites, "falling": falling, "billiards": billiards, "pendulum": pendulum}
