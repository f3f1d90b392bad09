"""Goal-directed interventions: how often the learned model's best plan reaches a goal in the world.

For each world and goal: an experiment (true values, round-robin interventions, ``ExactLearner``
with the linear BIC score by default, MLP mechanisms fitted at the end) learns the model;
:class:`~interventions.GoalPolicy` picks the intervention the learned model rates most likely to
reach the goal; the world then runs it on fresh episodes and counts successes. Beside it: random interventions (the same distribution the experiment explored
with) and an oracle, the same policy planning on the world's true SCM. One process, same seeds.

    python benchmarks/goal.py            # lights and falling, 3 seeds (a few minutes)
    python benchmarks/goal.py --quick    # a smoke run
    python benchmarks/goal.py --score linear-quadratic   # the experimenter's default learner instead

The learner is the linear BIC by default (2 s per experiment here), not the experimenter's
default second-order score: on ``falling`` the second-order score (and the mixed one on one
seed) reads the zero-inflated ``block_shift[2]`` (non-zero once the pen has landed on the
block) as a cause of the pen's landing height and leaves ``block_x`` out of its own parents, and
the model it plans on then rates ``do(support_pen=0, pen_x=0.6)`` highest, where the block
stands under the pen in only about half the episodes (``--score linear-quadratic``: 0.64 of the
episodes reach the goal; ``auto``, the RFF score, 1.00 at 55 s per experiment). Each score
writes its own JSON (``goal.json`` for BIC, else ``goal_<score>.json``).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import torch

import causalworld as cw
from causalworld.discovery import ExactLearner
from interventions import Experiment, GoalPolicy, RandomPolicy, RoundRobinPolicy, State

#: world -> (goal in words, predicate over the world's values, world settings)
GOALS: dict[str, tuple[str, Callable[[dict[str, torch.Tensor]], torch.Tensor], dict[str, Any]]] = {
    "lights": ("the red lamp brighter than 0.5", lambda v: v["lamp_red"] > 0.5, {"frames": 1}),
    "falling": ("the pen resting on the block (top at 0.2) in the last frame",
                lambda v: (v["pen_y"][:, -1] - 0.2).abs() < 0.03, {"frames": 3, "dt": 0.2}),
}


@dataclass
class Oracle:
    """A learner stand-in whose model is the world's truth: the plan a perfect model makes."""

    scm_: Any


def run_one(world_id: str, seed: int, *, rounds: int, episodes: int, trials: int, mlp_steps: int,
            score: str = "bic") -> list[dict[str, Any]]:
    words, goal, settings = GOALS[world_id]
    world = cw.make(world_id, image_size=8, seed=seed, **settings)
    start = time.perf_counter()
    result = Experiment(world, policy=RoundRobinPolicy(), rounds=rounds, episodes_per_round=episodes,
                        interventions_per_round=max(1, episodes // 10), seed=seed, progress=False,
                        learner=ExactLearner(score_func=score, progress=False, seed=seed),
                        final_fit={"mechanisms": "mlp", "mlp_members": 1, "mlp_steps": mlp_steps}).run()
    learned = time.perf_counter() - start
    learner = result.learner
    learner.scm_ = result.scm  # plan with the returned (MLP) model
    state = State(world, result.data, result.targets, learner, round=rounds + 1)
    rows = []

    def rate(do: Any) -> float:
        eps = world.rollout(trials, do=do, seed=10_000 + seed)
        return float(torch.as_tensor(goal(eps.values)).float().mean())

    policy = GoalPolicy(goal)
    best, predicted = policy.success(state, np.random.default_rng(seed))[0]
    rows.append({"world": world_id, "seed": seed, "planner": "learned model", "plan": repr(best),
                 "predicted": predicted, "reached": rate(best.to_do()), "seconds": learned})
    truth_state = State(world, result.data, result.targets, Oracle(world.truth), round=rounds + 1)
    best_t, predicted_t = policy.success(truth_state, np.random.default_rng(seed))[0]
    rows.append({"world": world_id, "seed": seed, "planner": "oracle (true SCM)", "plan": repr(best_t),
                 "predicted": predicted_t, "reached": rate(best_t.to_do()), "seconds": 0.0})
    randoms = RandomPolicy().propose(state, trials, np.random.default_rng(seed))
    rows.append({"world": world_id, "seed": seed, "planner": "random interventions", "plan": "-",
                 "predicted": float("nan"), "reached": rate([iv.to_do() for iv in randoms]), "seconds": 0.0})
    print(f"  {world_id} seed {seed}: learned {rows[0]['reached']:.2f} ({best}), oracle {rows[1]['reached']:.2f}, "
          f"random {rows[2]['reached']:.2f}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> pd.DataFrame:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worlds", nargs="+", default=list(GOALS))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--episodes", type=int, default=200)
    p.add_argument("--trials", type=int, default=400)
    p.add_argument("--mlp-steps", type=int, default=600)
    p.add_argument("--score", default="bic", help="the ExactLearner's score_func (default bic; see the module docstring)")
    p.add_argument("--out", default=None,
                   help="the JSON (default benchmarks/results/goal.json with BIC, else goal_<score>.json; \"\" for none)")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args(argv)
    if a.out is None:
        a.out = "benchmarks/results/" + ("goal.json" if a.score == "bic" else f"goal_{a.score.replace('-', '_')}.json")
    if a.quick:
        a.seeds, a.rounds, a.episodes, a.trials, a.mlp_steps, a.worlds = 1, 1, 60, 50, 50, ["lights"]
    torch.set_num_threads(1)
    rows = [r for w in a.worlds for s in range(a.seeds)
            for r in run_one(w, s, rounds=a.rounds, episodes=a.episodes, trials=a.trials, mlp_steps=a.mlp_steps,
                             score=a.score)]
    table = pd.DataFrame(rows)
    summary = table.groupby(["world", "planner"], sort=False)[["predicted", "reached"]].mean()
    print(f"\nmachine: {platform.processor() or platform.machine()}, torch {torch.__version__}, 1 thread")
    for w in a.worlds:
        print(f"\n{w}: goal = {GOALS[w][0]} ({a.seeds} seeds, {a.trials} episodes each)")
        print(summary.loc[w].to_string(float_format=lambda x: f"{x:.2f}"))
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps({"settings": vars(a), "machine": platform.platform(),
                                           "rows": table.to_dict(orient="records")}, indent=1, default=str) + "\n")
    return table


if __name__ == "__main__":
    main()
