"""Active learning: SHD against the number of interventions, per policy, at equal sample budgets.

Every policy runs the same ``Experiment`` (true values, the default ``ExactLearner``) on the same
worlds and seeds: an observational round, then ``rounds`` rounds of ``interventions_per_round``
interventions sharing ``episodes_per_round`` episodes. A world is a registered one (with one
frame), ``scmN``: a random linear-Gaussian SCM with N nodes (``random_scm``, one edge per node
on average) wrapped as a world whose every variable is intervenable inside its 5-95 % range, or
``mlpN``: the same with MLP mechanisms.
Prints mean SHD per number of interventions and, per world, how many interventions each policy
needs to reach random's final mean SHD; writes JSON and a plot.

    python benchmarks/active.py            # 10 seeds on lights and scm8 (a few minutes)
    python benchmarks/active.py --quick    # a smoke run (seconds)
    python benchmarks/active.py --worlds scm20 mlp20 --rounds 10 --interventions-per-round 5 --episodes-per-round 50
    python benchmarks/active.py --worlds sprites --n-objects 3 --pixels --encoder-steps 4000 --seeds 20 \
        --encoder-dir DIR --out benchmarks/results/active_pixels3.json --plot benchmarks/results/active_pixels3.png
        # from the frames: one encoder per world, trained by playing (about 20 minutes)
    python benchmarks/active.py --merge A.json B.json --out AB.json --plot AB.png
        # one report of runs split over processes (seeds), or of a policy rerun alone
    python benchmarks/active.py --seeds 20 --rounds 10 --interventions-per-round 1 --episodes-per-round 20
        # one intervention per round (the Experiment's own default): the same budget, every
        # number of interventions on the curve, so "half of random's" is read off exactly

With ``--pixels`` a :class:`~causalworld.encoders.VideoEncoder` learns each world's variables
from its frames first (``sprites`` with ``--n-objects`` objects, 32x32), and every policy and
seed reads its episodes with that one encoder: the policies differ only in what they ask.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

import causalworld as cw
from causalworld.discovery import ExactLearner
from causalworld.discovery.exact import SCORE_FUNCS
from causalworld.envs import World, WorldSpec
from interventions import Experiment, InfoGainPolicy, RandomPolicy, RoundRobinPolicy


@dataclass
class Args:
    worlds: list[str] = field(default_factory=lambda: ["lights", "scm8"])  # registered ids, or scmN
    policies: list[str] = field(default_factory=lambda: ["random", "round-robin", "info-gain"])  # which policies
    seeds: int = 10  # seeds first_seed .. first_seed + seeds - 1 per world and policy
    first_seed: int = 0  # the first seed (split a long grid over processes)
    rounds: int = 5  # interventional rounds after the observational one
    interventions_per_round: int = 2  # interventions per round (they share the round's episodes)
    episodes_per_round: int = 40  # episodes per interventional round
    observational: int = 100  # episodes of the observational round
    threads: int = 1  # torch threads
    score: str = "linear-quadratic"  # ExactLearner's score_func (the experimenter's default learner)
    min_explained: float = -1.0  # ExactLearner's min_explained (below 0: the experiment's own, 0.05 over an encoder, else 0.01)
    encoder_dir: str = ""  # with --pixels: save the encoder here, or load it from here when present (rerun the policies)
    n_graphs: int = 16  # InfoGainPolicy's K, the graphs drawn from the learner's posterior
    info_gain_values: int = 3  # InfoGainPolicy's n_values: candidate values per continuous variable
    info_gain_episodes: int = 0  # InfoGainPolicy's episodes per outcome (0: the episodes each intervention gets, its default)
    info_gain_mechanisms: str = "linear"  # InfoGainPolicy's mechanisms: the model its outcomes are simulated under
    info_gain_temperature: float = 1.0  # InfoGainPolicy's temperature: the posterior its graphs are drawn from
    out: str = "benchmarks/results/active.json"  # where the JSON goes ("" for nowhere)
    plot: str = "benchmarks/results/active.png"  # where the plot goes ("" for none)
    quick: bool = False  # tiny settings for a smoke run
    pixels: bool = False  # learn from the frames: one VideoEncoder per world, trained by playing, read by every run
    encoder_steps: int = 2200  # with pixels: the encoder's steps (batches of 64)
    n_objects: int = 1  # sprites' objects
    merge: list[str] = field(default_factory=list)  # run nothing: merge these JSONs' rows (later ones win), report and plot


class SCMWorld(World):
    """A random SCM (linear-Gaussian or MLP mechanisms) as a world: nothing drawn, every variable
    intervenable in its 5-95 % range."""

    name: ClassVar[str] = "scm"
    default_frames: ClassVar[int] = 1
    channels: ClassVar[int] = 1
    config_defaults: ClassVar[dict[str, Any]] = {"nodes": 8, "graph_seed": 0, "mechanism": "linear"}

    def build(self) -> WorldSpec:
        truth = cw.random_scm(int(self.config["nodes"]), edges_per_node=1.0, mechanism=str(self.config["mechanism"]),
                              seed=int(self.config["graph_seed"]), dtype=torch.float32)
        sample = truth.sample(2000, seed=0)
        ranges = {v: (float(torch.quantile(sample[v], 0.05)), float(torch.quantile(sample[v], 0.95))) for v in truth.variables}
        return WorldSpec(truth=truth, intervenable=ranges, depicted={})

    def draw(self, values, noise, out) -> None:
        out.zero_()


def make_world(name: str, seed: int, *, image_size: int = 8, n_objects: int = 1) -> World:
    if name.startswith(("scm", "mlp")):
        return SCMWorld(image_size=8, nodes=int(name[3:]), graph_seed=seed,
                        mechanism="linear" if name.startswith("scm") else "mlp")
    if name == "sprites":  # its shapes need 16 pixels at least
        return cw.make(name, image_size=max(image_size, 16), frames=1, n_objects=n_objects)
    return cw.make(name, image_size=image_size, frames=1)


def pixel_encoder(world: World, args: Args) -> Any:
    """One encoder per world, trained by playing in it (every variable set at random in fresh
    episodes); every policy and seed then reads with it, so they differ only in what they ask.
    Its latents: one per variable it can name (depicted and intervenable), four spare, at least 8."""
    from causalworld.encoders import VideoEncoder

    saved = Path(args.encoder_dir) / f"{world.name}-{args.n_objects}-{args.encoder_steps}" if args.encoder_dir else None
    if saved is not None and saved.exists():
        enc = VideoEncoder.load(saved)
        print(f"{world.name}: encoder loaded from {saved}, named {enc.variables_}", flush=True)
        return enc
    torch.set_num_threads(max(args.threads, 2))
    start = time.perf_counter()
    settable = [v for v in world.depicted if v in world.intervenable]
    enc = VideoEncoder(max(8, len(settable) + 4), steps=args.encoder_steps, batch_size=64, seed=0, progress=False).fit(world)
    torch.set_num_threads(args.threads)
    print(f"{world.name}: encoder trained in {time.perf_counter() - start:.0f} s, named {enc.variables_}", flush=True)
    if saved is not None:
        enc.save(saved)
    return enc


POLICIES = {"random": RandomPolicy, "round-robin": RoundRobinPolicy, "info-gain": InfoGainPolicy}


def parse_args(argv: list[str] | None = None) -> Args:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    d = Args()
    p.add_argument("--worlds", nargs="+", default=d.worlds)
    p.add_argument("--policies", nargs="+", default=d.policies, choices=sorted(POLICIES))
    for name in ("seeds", "first_seed", "rounds", "interventions_per_round", "episodes_per_round", "observational", "threads",
                 "n_graphs", "info_gain_episodes", "info_gain_values"):
        p.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(d, name))
    p.add_argument("--score", default=d.score,
                   choices=[name for name in SCORE_FUNCS if name != "auto"],
                   help="the ExactLearner score (the experimenter's default: linear-quadratic)")
    p.add_argument("--min-explained", type=float, default=d.min_explained,
                   help="the ExactLearner's sparsity prior (default: the experiment's own, 0.05 over an encoder, else 0.01)")
    p.add_argument("--info-gain-mechanisms", default=d.info_gain_mechanisms, choices=["linear", "quadratic", "mlp"],
                   help="the mechanisms InfoGainPolicy fits to each drawn graph to simulate outcomes")
    p.add_argument("--info-gain-temperature", type=float, default=d.info_gain_temperature,
                   help="InfoGainPolicy's temperature: draw its graphs from the posterior with every score divided by it")
    p.add_argument("--encoder-dir", default=d.encoder_dir)
    p.add_argument("--out", default=None, help=f"the JSON (default {d.out}; \"\" for none; required with --merge)")
    p.add_argument("--plot", default=None, help=f"the plot (default {d.plot}; \"\" for none; required with --merge)")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--pixels", action="store_true", help="learn from the frames (registered worlds only)")
    p.add_argument("--encoder-steps", type=int, default=d.encoder_steps)
    p.add_argument("--n-objects", type=int, default=d.n_objects)
    p.add_argument("--merge", nargs="+", default=d.merge, metavar="JSON",
                   help="run nothing: report on these results' rows together (a row of a later file replaces the same "
                        "world, policy, seed and round of an earlier one), with their settings")
    given = p.parse_args(argv)
    if given.merge and (given.out is None or given.plot is None):
        p.error("--merge writes only where it is told: give --out and --plot (\"\" for none)")
    given.out = d.out if given.out is None else given.out
    given.plot = d.plot if given.plot is None else given.plot
    args = Args(**vars(given))
    if args.quick:
        args.seeds, args.rounds, args.episodes_per_round, args.observational = 1, 2, 20, 40
        args.encoder_steps = min(args.encoder_steps, 30)
    return args


def reach(curve: pd.Series, level: float) -> float:
    """Fewest interventions at which a mean-SHD curve is at or below ``level`` (NaN: never)."""
    hit = curve[curve <= level + 1e-9]
    return float(hit.index[0]) if len(hit) else float("nan")


# settings that make runs comparable: files that record different values are not merged
SAME = ("rounds", "interventions_per_round", "episodes_per_round", "observational", "score", "n_graphs",
        "info_gain_values", "info_gain_episodes", "info_gain_mechanisms", "pixels", "encoder_steps", "n_objects",
        "min_explained")
# settings named in the rows' policy labels (see policy_label), so files that differ in them merge
# into distinct policies; the merged settings list every value the files hold
LABELLED = ("info_gain_temperature",)
# what a file written before a setting existed was run with
BEFORE = {"info_gain_temperature": 1.0, "min_explained": -1.0}


def policy_label(name: str, args: Args) -> str:
    """The policy's name in the rows: info-gain at a temperature other than 1 is ``"info-gain T=10"``,
    so that runs at two temperatures (and random's rows) can be merged and compared seed by seed."""
    if name == "info-gain" and args.info_gain_temperature != 1:
        return f"info-gain T={args.info_gain_temperature:g}"
    return name


def paired(table: pd.DataFrame) -> pd.DataFrame:
    """Each policy's SHD minus random's on the same world, seed and budget: the mean over seeds
    and its standard error (the seeds' spread cancels where both policies find a seed easy or
    hard). Indexed by world, policy and number of interventions; empty without random's rows."""
    keys = ["world", "seed", "n_interventions"]
    base = table[table["policy"] == "random"].set_index(keys)["shd"]
    others = table[table["policy"] != "random"]
    if base.empty or others.empty:
        return pd.DataFrame(columns=["mean", "sem"])
    diff = others.set_index(keys)["shd"] - base.reindex(others.set_index(keys).index).to_numpy()
    frame = others[["world", "policy", "n_interventions"]].assign(diff=diff.to_numpy()).dropna()
    grouped = frame.groupby(["world", "policy", "n_interventions"])["diff"]
    return pd.DataFrame({"mean": grouped.mean(), "sem": grouped.sem()})


def merged(paths: list[str], args: Args) -> tuple[list[dict[str, Any]], dict[str, Any], Args]:
    """The rows of several result files (a later file's row, or encoder, replaces the same world,
    policy, seed and round of an earlier one), their encoders, and the first file's settings with
    the worlds, policies and seeds the rows hold (a setting in ``LABELLED`` as the list of every
    value the files hold, when they differ). Files whose recorded settings in ``SAME`` differ (a
    setting a file does not record is not compared), or rows that leave a policy without some
    world's seeds, raise ``SystemExit`` naming them."""
    keyed: dict[tuple, dict[str, Any]] = {}
    encoders: dict[str, Any] = {}
    first: dict[str, Any] = {}
    labelled: dict[str, set] = {k: set() for k in LABELLED}
    for path in paths:
        report = json.loads(Path(path).read_text())
        report["args"] = {**BEFORE, **report["args"]}
        for k in LABELLED:  # a merged file records the list of the values it merged
            value = report["args"][k]
            labelled[k] |= set(value if isinstance(value, list) else [value])
        for k in SAME:
            if k in first and k in report["args"] and first[k] != report["args"][k]:
                raise SystemExit(f"{path} was run with {k}={report['args'][k]!r}, {paths[0]} with {first[k]!r}: "
                                 "their rows are not comparable")
        first = {**report["args"], **first}
        encoders.update(report.get("encoders", {}))
        for row in report["rows"]:
            keyed[(row["world"], row["policy"], row["seed"], row["round"])] = row
    rows = list(keyed.values())
    worlds = list(dict.fromkeys(r["world"] for r in rows))
    policies = list(dict.fromkeys(r["policy"] for r in rows))
    seeds = sorted({r["seed"] for r in rows})
    for w in worlds:
        for pol in policies:
            have = sorted({r["seed"] for r in rows if r["world"] == w and r["policy"] == pol})
            if have != seeds:
                raise SystemExit(f"{w} {pol} has seeds {have} in {paths}, the others {seeds}: give every policy the same seeds")
    for k, values in labelled.items():  # one value as a run records it, several as a list
        first[k] = sorted(values)[0] if len(values) == 1 else sorted(values)
    kept = {k: v for k, v in first.items() if k in Args.__dataclass_fields__}
    out = Args(**{**kept, "out": args.out, "plot": args.plot, "merge": list(paths)})
    out.worlds, out.policies, out.first_seed, out.seeds = worlds, policies, seeds[0], len(seeds)
    return rows, encoders, out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.merge:
        rows, encoders, args = merged(args.merge, args)
        return report(rows, encoders, args)
    torch.set_num_threads(args.threads)
    rows, encoders = [], {}
    for world_name in args.worlds:
        encoder = pixel_encoder(make_world(world_name, 0, image_size=32, n_objects=args.n_objects), args) if args.pixels else None
        if encoder is not None:
            encoders[world_name] = {"seconds": round(float(encoder.history_["seconds"].iloc[-1]), 1),
                                    "named": list(encoder.variables_), "steps": int(encoder.steps)}
        for policy_name in args.policies:
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                world = make_world(world_name, seed, image_size=32 if args.pixels else 8, n_objects=args.n_objects)
                start = time.perf_counter()
                # over an encoder's readings the learner asks a parent to explain 5 % (the experiment's own default)
                least = args.min_explained if args.min_explained >= 0 else 0.05 if args.pixels else 0.01
                learner = ExactLearner(score_func=args.score, min_explained=least, progress=False,
                                       seed=seed)
                policy = (InfoGainPolicy(n_graphs=args.n_graphs, n_values=args.info_gain_values, mechanisms=args.info_gain_mechanisms,
                                         episodes=args.info_gain_episodes or None, temperature=args.info_gain_temperature)
                          if policy_name == "info-gain"
                          else POLICIES[policy_name]())
                result = Experiment(world, policy=policy, rounds=args.rounds,
                                    episodes_per_round=args.episodes_per_round,
                                    interventions_per_round=args.interventions_per_round,
                                    observational=args.observational, seed=seed, threads=args.threads,
                                    encoder=encoder, encoder_rounds=() if args.pixels else (1,), learner=learner,
                                    progress=False).run()
                for rec in result.history.to_dict("records"):
                    rows.append({"world": world_name, "policy": policy_label(policy_name, args), "seed": seed, **rec})
                print(f"{world_name:8s} {policy_label(policy_name, args):12s} seed {seed}: SHD {result.history['shd'].tolist()} "
                      f"({time.perf_counter() - start:.1f} s)", flush=True)
    args.policies = [policy_label(name, args) for name in args.policies]
    return report(rows, encoders, args)


def report(rows: list[dict[str, Any]], encoders: dict[str, Any], args: Args) -> dict[str, Any]:
    """Print the mean-SHD curves and how many interventions each policy needs to reach random's
    final mean SHD; write the JSON and the plot where ``args`` says."""
    table = pd.DataFrame(rows)
    curves = table.groupby(["world", "policy", "n_interventions"])["shd"].mean()
    print("\nmean SHD by number of interventions")
    print(curves.unstack("n_interventions").round(2).to_string())
    summary = []
    for world_name in args.worlds:
        target = curves[world_name]["random"].iloc[-1] if "random" in args.policies else float("nan")
        for policy_name in args.policies:
            curve = curves[world_name][policy_name]
            summary.append({"world": world_name, "policy": policy_name, "final_shd": float(curve.iloc[-1]),
                            "interventions_to_random_final": reach(curve, target)})
    print("\ninterventions needed to reach random's final mean SHD")
    print(pd.DataFrame(summary).to_string(index=False))
    against = paired(table)
    if len(against):
        print("\nSHD minus random's on the same seed: mean (standard error of the mean)")
        print(against.apply(lambda r: f"{r['mean']:+.2f} ({r['sem']:.2f})", axis=1).unstack("n_interventions").to_string())
    result = {"args": asdict(args), "machine": {"python": sys.version.split()[0], "torch": torch.__version__,
                                                "platform": platform.platform()},
              "rows": rows, "summary": summary, "paired_vs_random": against.reset_index().to_dict("records"),
              **({"encoders": encoders} if encoders else {})}
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=1, default=float))
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(args.worlds), figsize=(4.5 * len(args.worlds), 3.5), squeeze=False)
        for ax, world_name in zip(axes[0], args.worlds):
            for policy_name in args.policies:
                curve = curves[world_name][policy_name]
                ax.plot(curve.index, curve.values, marker="o", label=policy_name)
            title = world_name + (f" ({args.n_objects} objects)" if world_name == "sprites" else "")
            ax.set(title=title + (", from pixels" if args.pixels else ""), xlabel="interventions",
                   ylabel=f"mean SHD ({args.seeds} seeds)")
            ax.legend()
        fig.tight_layout()
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.plot, dpi=100)
        plt.close(fig)
    return result


if __name__ == "__main__":
    main()
