"""End to end: pixels -> latent variables -> graph -> counterfactuals, against the same loop on true values.

One experiment on a small world (by default ``sprites`` with one object: hue -> x -> y -> size,
all drawn). With ``--source world`` (the default) a :class:`~causalworld.encoders.VideoEncoder`
first learns to see by playing: batches of 64 fresh episodes in which it sets every variable at
random (it never sees a mechanism at work) and names the latents it can tie to what it set.
The experiment then watches one round, runs one random intervention per episode in the next
rounds, reads every episode with that encoder (``encoder_rounds=()``) and learns with the
experiment's default learner. With ``--source experiment`` the encoder is fitted on the
experiment's own episodes after its first interventional round instead. Beside it, the same
experiment reading the true values (the ceiling). Records wall time (the encoder's training
included), which variables were identified, the encoder's held-out R² per variable, SHD over
the world's variables, SHD restricted to the identified ones, and the counterfactual error
where the model holds every variable.

    python benchmarks/end_to_end.py                 # the target run: 2,200 encoder steps, 4 rounds of 500 (about 4 min on 2 cores)
    python benchmarks/end_to_end.py --quick         # a smoke run
    python benchmarks/end_to_end.py --device cuda   # the encoder on a GPU
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import networkx as nx
import numpy as np
import torch

import causalworld as cw
from causalworld.discovery import ExactLearner
from causalworld.encoders import VideoEncoder
from causalworld.metrics import shd
from interventions import Experiment, RandomPolicy


def run(world_id: str, config: dict, *, pixels: bool, steps: int, rounds: int, episodes: int, seed: int,
        device: str, targets: int = 1, latent_dim: int = 8, source: str = "experiment", min_explained: float | None = None) -> dict:
    world = cw.make(world_id, image_size=32, seed=seed, **config)
    start = time.perf_counter()
    encoder, encoder_rounds, encoder_episodes = None, (1,), 0
    if pixels and source == "world":
        # the encoder learns to see first, by playing: fresh episodes at every step, every variable
        # set at random (so it sees no mechanism at work); the experiment then reads with it
        encoder = VideoEncoder(latent_dim, steps=steps, batch_size=64, device=device, seed=seed, progress=False).fit(world)
        encoder_rounds, encoder_episodes = (), steps * 64
    elif pixels:  # the encoder learns from the experiment's own episodes, after its first round
        encoder = VideoEncoder(latent_dim, steps=steps, batch_size=32, lr=2e-3, device=device, seed=seed, progress=False)
    # None: the experiment's own default (min_explained 0.05 over an encoder's readings, 0.01 over true values)
    learner = None if min_explained is None else ExactLearner(score_func="linear-quadratic", min_explained=min_explained,
                                                               progress=False, seed=seed)
    result = Experiment(world, policy=RandomPolicy(n_targets=targets), rounds=rounds, episodes_per_round=episodes,
                        interventions_per_round=episodes, encoder=encoder, encoder_rounds=encoder_rounds, learner=learner,
                        seed=seed, threads=torch.get_num_threads(), progress=False).run()
    seconds = time.perf_counter() - start
    named = [c for c in result.data.columns if c in world.variables]
    sub_truth = nx.DiGraph(world.graph.subgraph(named))
    sub_learned = nx.DiGraph([e for e in result.graph.directed if e[0] in named and e[1] in named])
    sub_learned.add_nodes_from(named)
    last = result.history.iloc[-1]
    return {
        "source": "pixels" if pixels else "true values", "seconds": seconds, "identified": named,
        "r2": {} if encoder is None else {k: round(float(v), 3) for k, v in encoder.calibration_r2_.items()},
        "encoder_episodes": encoder_episodes, "redundant": sorted(getattr(encoder, "redundant_", {})),
        "shd": float(last["shd"]), "shd_identified": int(shd(sub_truth, sub_learned)),
        "counterfactual_error": float(last["counterfactual_error"]),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", default="sprites")
    p.add_argument("--config", default='{"n_objects": 1}', help="the world's settings, as JSON")
    p.add_argument("--steps", type=int, default=2200, help="encoder steps (batches of 64 with --source world)")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--episodes", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--latent-dim", type=int, default=8)
    p.add_argument("--targets", type=int, default=1, help="variables each random intervention sets, independently")
    p.add_argument("--source", choices=["world", "experiment"], default="world",
                   help="where the encoder learns to see: by playing in the world first, or on the experiment's episodes")
    p.add_argument("--min-explained", type=float, default=None,
                   help="the learner's least partial R² per parent (default: the experiment's)")
    p.add_argument("--threads", type=int, default=2, help="torch threads (the 2-core machine's both cores)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default="benchmarks/results/end_to_end.json")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args(argv)
    if a.quick:
        a.steps, a.rounds, a.episodes = 30, 1, 80
    torch.set_num_threads(a.threads)
    config = json.loads(a.config)
    rows = [run(a.world, config, pixels=px, steps=a.steps, rounds=a.rounds, episodes=a.episodes, seed=a.seed,
                device=a.device, targets=a.targets, latent_dim=a.latent_dim, source=a.source,
                min_explained=a.min_explained) for px in (True, False)]
    print(f"machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, device {a.device}")
    print(f"{a.world} {config}: {a.rounds} interventional rounds of {a.episodes} episodes setting {a.targets} "
          f"variable(s) each, encoder {a.steps} steps")
    print(f"{'source':<12} {'seconds':>8} {'SHD':>5} {'SHD named':>9} {'cf error':>9}  identified (held-out R2)")
    for r in rows:
        named = ", ".join(f"{v} ({r['r2'][v]:.2f})" if v in r["r2"] else v for v in r["identified"])
        cf = "-" if not np.isfinite(r["counterfactual_error"]) else f"{r['counterfactual_error']:.3f}"
        print(f"{r['source']:<12} {r['seconds']:>8.1f} {r['shd']:>5.0f} {r['shd_identified']:>9} {cf:>9}  {named}")
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps({"settings": vars(a), "machine": platform.platform(), "rows": rows},
                                          indent=1) + "\n")
    return rows


if __name__ == "__main__":
    main()
