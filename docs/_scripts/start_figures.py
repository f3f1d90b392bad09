"""The figure of "five minutes from a World" (``docs/getting-started/world.md``): the page's
learned counterfactual drawn by the world's renderer, beside the world's own counterfactual video.

The same world, experiments, learner and question as the page, so the picture is what the
reader's run gives.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import causalworld as cw
from causalworld.discovery import ExactLearner

__all__ = ["START_FIGURES"]


def learned_counterfactual() -> dict[str, Figure]:
    world = cw.make("sprites", image_size=16, n_objects=2, seed=0)
    rng = np.random.default_rng(0)
    plan = [{} for _ in range(300)]
    for variable, (low, high) in world.intervenable.items():
        plan += [{variable: float(v)} for v in rng.uniform(low, high, size=60)]
    episodes = world.rollout(len(plan), do=plan, seed=0)
    data = {v: episodes.values[v] for v in world.variables}
    learner = ExactLearner(progress=False, seed=0).fit(data, targets=episodes.targets)
    fresh = world.rollout(4, seed=1)
    value = world.intervenable["x0"][1]
    answer = learner.scm_.counterfactual({v: fresh.values[v].double() for v in world.variables}, {"x0": value})
    truth = world.counterfactual_rollout(fresh, {"x0": value})
    learned = world.render({v: answer[v].to(fresh.values[v].dtype) for v in world.variables}, noise=fresh.noise)
    # one row per episode, one column per video: a frame strip's rows would be one frame each
    columns = {"factual": fresh.frames, "true counterfactual": truth.frames, "learned counterfactual": learned}
    fig = Figure(figsize=(4.2, 4.4), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(3, len(columns), squeeze=False)
    for c, (label, frames) in enumerate(columns.items()):
        for r in range(3):
            ax = axes[r, c]
            ax.imshow(frames[r, 0].permute(1, 2, 0).numpy(), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(label, fontsize=8)
            if c == 0:
                ax.set_ylabel(f"episode {r}", fontsize=8)
    fig.suptitle(f"do(x0 := {value:.2f})", fontsize=9)
    return {"getting-started/img/world_counterfactual.png": fig}

START_FIGURES = {"learned_counterfactual": learned_counterfactual}
