"""The encoder's arithmetic: eager float32 steps against ``torch.compile`` (and bf16 autocast on a GPU).

For each world, the same ``VideoEncoder`` run (same seed, batches and steps) is trained eagerly
and then with ``compile=True`` (and, on CUDA, with ``precision="bf16"``; on the CPU also with the
whole batch on the intra-op threads instead of the default two shards, ``shards=0``, and with the
shards at one thread, which must end on the same weights), in one process; the table
gives the time of a step after the first ``warmup`` steps (compiling happens in those), the ratio
to the eager step, the seconds before the first steps were done (compiling included) and the
largest weight gap to the eager run after all the steps (float rounding that training carries
forward).

    python benchmarks/encoder_arithmetic.py                    # sprites and lights, 200 steps, CPU
    python benchmarks/encoder_arithmetic.py --device cuda --image-size 64 --batch-size 256
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import torch

import causalworld as cw
import causalworld.encoders.train as train_module
from causalworld.encoders import VideoEncoder


@dataclass
class Args:
    worlds: list[str] = field(default_factory=lambda: ["sprites", "lights"])  # sprites: one object
    steps: int = 200  # steps of every run
    warmup: int = 50  # steps left out of the per-step time (compiling happens in the first ones)
    batch_size: int = 64
    image_size: int = 32
    latent_dim: int = 8
    device: str = "cpu"
    threads: int = 2  # torch threads (CPU)
    backend: str = "inductor"  # torch.compile's backend ("aot_eager" traces without generating code)
    seed: int = 0
    out: str = "benchmarks/results/encoder_arithmetic.json"  # "" for nowhere
    quick: bool = False  # tiny settings: a smoke run


def parse_args(argv: list[str] | None = None) -> Args:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    d = Args()
    p.add_argument("--worlds", nargs="+", default=d.worlds)
    for name in ("steps", "warmup", "batch_size", "image_size", "latent_dim", "threads", "seed"):
        p.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(d, name))
    p.add_argument("--device", choices=["cpu", "cuda"], default=d.device)
    p.add_argument("--backend", default=d.backend)
    p.add_argument("--out", default=d.out)
    p.add_argument("--quick", action="store_true")
    args = Args(**vars(p.parse_args(argv)))
    if args.quick:
        args.steps, args.warmup, args.batch_size, args.image_size, args.latent_dim = 4, 2, 4, 16, 6
    if not 0 <= args.warmup < args.steps - 1:  # at least one timed step after the warm-up
        p.error(f"--warmup must be in [0, --steps - 1), got {args.warmup} with --steps {args.steps}")
    return args


def make_world(name: str, a: Args) -> Any:
    extra = {"n_objects": 1, "seed": 0} if name == "sprites" else {}
    return cw.make(name, image_size=a.image_size, device=a.device, **extra)


def run(world: Any, a: Args, threads: int | None = None, **arithmetic: Any) -> tuple[dict[str, float], dict[str, torch.Tensor]]:
    """One training run (at ``threads`` torch threads, if given): its timings and its encoder's weights."""
    enc = VideoEncoder(a.latent_dim, steps=a.steps, batch_size=a.batch_size, width=32 if not a.quick else 8, device=a.device,
                       progress=False, seed=a.seed, **arithmetic)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's compiler warns of its own deprecations
        before = torch.get_num_threads()
        torch.set_num_threads(threads or before)
        try:
            start = time.perf_counter()
            enc.fit(world)
            total = time.perf_counter() - start
        finally:
            torch.set_num_threads(before)
    seconds = enc.history_["seconds"]
    per = (seconds.iloc[-1] - seconds.iloc[a.warmup]) / (a.steps - 1 - a.warmup)
    weights = {k: t.detach().float().cpu() for k, t in enc.nets_.encoder.state_dict().items()}
    return {"ms_per_step": 1000 * per, "first_steps_s": float(seconds.iloc[a.warmup]), "fit_s": total,
            "precision": enc.precision_}, weights


def main(argv: list[str] | None = None) -> dict[str, Any]:
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    train_module.COMPILE_BACKEND = a.backend
    variants = {"eager": {"precision": "fp32"}, "compiled": {"precision": "fp32", "compile": True}}
    if a.device == "cpu":  # the shards against the whole batch on the intra-op threads, and at one thread
        variants |= {"eager, whole batch": {"precision": "fp32", "shards": 0},
                     "eager, 1 thread": {"precision": "fp32", "threads": 1}}
    if a.device == "cuda":
        variants |= {"bf16": {"precision": "bf16"}, "bf16 + compiled": {"precision": "bf16", "compile": True}}
    rows = []
    try:
        for name in a.worlds:
            world = make_world(name, a)
            base, base_w = None, None
            for label, arithmetic in variants.items():
                timing, weights = run(world, a, **arithmetic)
                if base is None:
                    base, base_w = timing, weights
                gap = max(float((weights[k] - base_w[k]).abs().max()) for k in base_w)
                rows.append({"world": name, "arithmetic": label, **timing, "ratio": base["ms_per_step"] / timing["ms_per_step"],
                             "weight_gap": gap})
                print(f"{name:8s} {label:16s} {timing['ms_per_step']:7.1f} ms/step", flush=True)
    finally:
        train_module.COMPILE_BACKEND = "inductor"
    table = pd.DataFrame(rows)
    print(f"\n{a.steps} steps of {a.batch_size} episodes at {a.image_size}x{a.image_size} on {a.device} "
          f"({a.threads} threads); per-step time after step {a.warmup}; ratio = eager's time / this one's")
    print(table.round({"ms_per_step": 1, "first_steps_s": 1, "fit_s": 1, "ratio": 2}).to_string(index=False))
    machine = {"python": sys.version.split()[0], "torch": torch.__version__, "platform": platform.platform(),
               "cpu_threads": a.threads, "device": torch.cuda.get_device_name() if a.device == "cuda" else "cpu"}
    result = {"args": asdict(a), "machine": machine, "rows": rows}
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    main()
