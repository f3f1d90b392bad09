"""End to end: pixels -> latent variables -> graph -> counterfactuals, against the same loop on true values.

One experiment on a small world (by default ``sprites`` with one object: hue -> x -> y -> size,
all drawn): round 0 watches, then each round runs one random intervention per episode; after the
first interventional round a :class:`~causalworld.encoders.VideoEncoder` is fitted on every
episode seen and names the latents it can tie to a variable; the learner (``ExactLearner``) works
on those latents. Beside it, the same experiment reading the true values (the ceiling). Records
wall time, which variables were identified, the encoder's held-out R² per variable, SHD over the
world's variables, SHD restricted to the identified ones, and the counterfactual error where the
model holds every variable.

    python benchmarks/end_to_end.py                 # 1,500 encoder steps (a few minutes on 2 cores)
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
from causalworld.encoders import VideoEncoder
from causalworld.metrics import shd
from interventions import Experiment, RandomPolicy


def run(world_id: str, config: dict, *, pixels: bool, steps: int, rounds: int, episodes: int, seed: int,
        device: str, targets: int = 1, latent_dim: int = 8) -> dict:
    world = cw.make(world_id, image_size=32, seed=seed, **config)
    encoder = VideoEncoder(latent_dim, steps=steps, batch_size=32, lr=2e-3, device=device, seed=seed, progress=False) if pixels else None
    start = time.perf_counter()
    result = Experiment(world, policy=RandomPolicy(n_targets=targets), rounds=rounds, episodes_per_round=episodes,
                        interventions_per_round=episodes, encoder=encoder, seed=seed, progress=False).run()
    seconds = time.perf_counter() - start
    named = [c for c in result.data.columns if c in world.variables]
    sub_truth = nx.DiGraph(world.graph.subgraph(named))
    sub_learned = nx.DiGraph([e for e in result.graph.directed if e[0] in named and e[1] in named])
    sub_learned.add_nodes_from(named)
    last = result.history.iloc[-1]
    return {
        "source": "pixels" if pixels else "true values", "seconds": seconds, "identified": named,
        "r2": {} if encoder is None else {k: round(float(v), 3) for k, v in encoder.calibration_r2_.items()},
        "shd": float(last["shd"]), "shd_identified": int(shd(sub_truth, sub_learned)),
        "counterfactual_error": float(last["counterfactual_error"]),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", default="sprites")
    p.add_argument("--config", default='{"n_objects": 1}', help="the world's settings, as JSON")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--episodes", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--latent-dim", type=int, default=8)
    p.add_argument("--targets", type=int, default=1, help="variables each random intervention sets, independently")
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default="benchmarks/results/end_to_end.json")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args(argv)
    if a.quick:
        a.steps, a.rounds, a.episodes = 30, 1, 80
    torch.set_num_threads(1 if a.device == "cpu" else torch.get_num_threads())
    config = json.loads(a.config)
    rows = [run(a.world, config, pixels=px, steps=a.steps, rounds=a.rounds, episodes=a.episodes, seed=a.seed,
                device=a.device, targets=a.targets, latent_dim=a.latent_dim) for px in (True, False)]
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
