"""The README's demo: ``python -m interventions.demo`` (``make demo``).

Part 0 is the mission's loop from pixels on a small default world (``sprites`` with one object:
hue -> x -> y -> size, all drawn): a video encoder learns to see by playing (it sets the
variables at random, learns latents from the frames and names those it can tie to what it set),
then the experimenter watches, intervenes at random, reads every episode with the encoder, finds
the graph over the latents, and the run is scored against the world's truth; about four minutes
on a 2-core CPU. Part 1 is the same loop on the true variables of a larger
world (the ceiling the encoder aims for): learn its graph and mechanisms from the rollouts' values
and targets, answer a counterfactual with the learned model, and score both against the world's
own truth (SHD against its graph, the counterfactual against ``counterfactual_rollout``: the same
episodes, the same exogenous noise, another intervention). Part 2 walks through the SCM core on a
model a person can check by hand. Parts 1 and 2 take well under a minute.
"""

from __future__ import annotations

import argparse
import time

import networkx as nx
import torch

import causalworld as cw
from causalworld.scm.mechanisms import Binary


def scm_walkthrough(seed: int = 0) -> None:
    print("== 2. A structural causal model, by hand ===========================")
    scm = cw.SCM.linear(
        [("sun", "temperature"), ("temperature", "ice_cream"), ("sun", "ice_cream")],
        {("sun", "temperature"): 3.0, ("temperature", "ice_cream"): 2.0, ("sun", "ice_cream"): 1.0},
        noise_std={"sun": 1.0, "temperature": 0.5, "ice_cream": 0.5},
        dtype=torch.float64,
    )
    print(scm)

    print("\n== 2a. Seeing vs doing ===============================================")
    obs = scm.sample(100_000, seed=seed)
    hot = obs["temperature"] > 2.0
    seen = float(obs["ice_cream"][hot].mean())
    done = float(scm.do({"temperature": float(obs["temperature"][hot].mean())}).sample(100_000, seed=seed)["ice_cream"].mean())
    print(f"E[ice_cream | temperature > 2]            = {seen:6.2f}  (sun also pushes ice cream up)")
    print(f"E[ice_cream | do(temperature = same mean)] = {done:6.2f}  (only the causal path)")

    print("\n== 2b. A counterfactual: abduct, act, predict ========================")
    row = {"sun": [1.0], "temperature": [3.5], "ice_cream": [8.5]}
    noise = scm.abduct(row)
    print("observed      :", {k: v[0] for k, v in row.items()})
    print("abducted noise:", {k: round(float(v[0]), 3) for k, v in noise.items()})
    cf = scm.counterfactual(row, {"temperature": 0.0})
    print("had temperature been 0:", {k: round(float(v[0]), 3) for k, v in cf.items()})
    u = float(noise["ice_cream"][0])
    print(f"  (by hand: ice_cream' = 1*sun + 2*0 + u_ice_cream = 1 + 0 + {u:.1f} = {1 + u:.1f}: the unit's own noise is kept)")

    print("\n== 2c. A discrete counterfactual (Gumbel-max, exact noise posterior) ==")
    treat = cw.SCM([("treated", "recovered")], {"treated": Binary(0), "recovered": Binary(1, weight=[2.0], bias=-1.0)},
                   dtype=torch.float64)
    p = treat.counterfactual_distribution({"treated": [1], "recovered": [1]}, {"treated": 0}, "recovered",
                                          num_samples=20_000, seed=seed)
    print(f"P(would have recovered without treatment | treated and recovered) = {float(p[0, 1]):.3f}")
    exact = float(torch.sigmoid(torch.tensor(-1.0)) / torch.sigmoid(torch.tensor(1.0)))
    print(f"  (closed form sigmoid(-1)/sigmoid(1) = {exact:.3f}; DoWhy cannot abduct classifier noise, dowhy#1146)")

    print("\n== 2d. Bring your graph and your data: SCM.fit ========================")
    t0 = time.perf_counter()
    fitted = cw.SCM.fit(scm.graph, scm.to_frame(obs), "linear", progress=False)
    print(fitted.fit_summary.round(3).to_string(index=False))
    print(f"fitted in {time.perf_counter() - t0:.2f} s; true weights 3, 2, 1 ->")
    print(fitted.weights().round(3))
    cf_fit = fitted.counterfactual(row, {"temperature": 0.0})
    print(f"fitted model's counterfactual ice_cream: {float(cf_fit['ice_cream'][0]):.3f} "
          f"(truth {float(cf['ice_cream'][0]):.3f})")


def world_loop(seed: int = 0, *, n_objects: int = 3, observational: int = 500, per_target: int = 100,
               out: str | None = None) -> dict[str, float]:
    """Intervene, learn, answer a counterfactual, and score against the world's truth."""
    import numpy as np

    from causalworld.discovery import ExactLearner
    from causalworld.metrics import shd

    print("== 1. The loop on a world: intervene, learn, ask what-if ============")
    t_start = time.perf_counter()
    world = cw.make("sprites", image_size=32, n_objects=n_objects, seed=seed)
    print(f"world sprites-v0: {len(world.variables)} variables, {world.graph.number_of_edges()} true edges, "
          f"frames {tuple(world.rollout(1, seed=seed).frames.shape[1:])}")

    # Experiments: observational episodes, then `per_target` episodes for each variable, set to
    # values drawn uniformly from its allowed range (round-robin over the intervenable variables).
    rng = np.random.default_rng(seed)
    plan: list[dict[str, float]] = [{} for _ in range(observational)]
    for var, (low, high) in world.intervenable.items():
        plan += [{var: float(v)} for v in rng.uniform(low, high, size=per_target)]
    episodes = world.rollout(len(plan), do=plan, seed=seed)
    data = {v: episodes.values[v] for v in world.variables}
    print(f"ran {len(plan)} episodes ({observational} observational, {per_target} per intervened variable): "
          f"{episodes.frames.numel() / 1e6:.1f} M pixels of video with their true values and targets")

    learner = ExactLearner(progress=False, seed=seed).fit(data, targets=episodes.targets)
    n_shd = shd(world.graph, learner.graph_)
    print(f"learned the graph with ExactLearner: SHD {n_shd} against the true graph "
          f"({learner.graph_.number_of_edges()} edges learned) in {learner.fit_time_:.2f} s")

    # A counterfactual question about new episodes: had `cause` been set to a value, what would
    # its effects have been? The truth is the world's own counterfactual rollout.
    fresh = world.rollout(500, seed=seed + 1)
    cause = max(world.variables, key=lambda v: len(nx.descendants(world.graph, v)))
    effects = sorted(nx.descendants(world.graph, cause))
    low, high = world.intervenable[cause]
    value = float(low + 0.75 * (high - low))
    truth = world.counterfactual_rollout(fresh, {cause: value})
    answer = learner.scm_.counterfactual({v: fresh.values[v].to(learner.scm_.dtype) for v in world.variables},
                                        {cause: value})
    errors = {v: float((answer[v].float() - truth.values[v].float()).abs().mean() / fresh.values[v].float().std())
              for v in effects}
    cf_error = float(np.mean(list(errors.values()))) if errors else 0.0
    print(f"asked: had {cause} been {value:.2f}, what would {', '.join(effects)} have been? (500 new episodes)")
    print(f"counterfactual error of the learned model vs the world's counterfactual rollout: {cf_error:.3f} "
          "(mean |learned - true| / observational std, over the effects)")
    frames = world.render(answer, noise=fresh.noise)
    same = float((frames.int() - truth.frames.int()).abs().le(8).float().mean())
    print(f"the learned answer, drawn by the world's renderer, matches the true counterfactual video on "
          f"{100 * same:.1f}% of pixels (within 8 grey levels)")
    if out:
        from causalworld.viz import frame_strip

        import matplotlib.pyplot as plt

        fig = frame_strip({"factual": fresh.frames[0], "true counterfactual": truth.frames[0],
                           "learned counterfactual": frames[0]}, title=f"do({cause} = {value:.2f})", path=out)
        plt.close(fig)
        print(f"wrote {out}")
    print(f"loop done in {time.perf_counter() - t_start:.1f} s")
    return {"shd": float(n_shd), "counterfactual_error": cf_error}


def pixel_loop(seed: int = 0, *, steps: int = 2200, rounds: int = 4, episodes: int = 500,
               progress: bool = True) -> dict[str, object]:
    """The experimenter from pixels on 1-object sprites; prints and returns its report.

    First the encoder learns to see, by playing: ``steps`` batches of 64 fresh episodes in which
    it sets every variable at random (so it never sees a mechanism at work) and names the latents
    it can tie to what it set. Then the experimenter watches one round, intervenes on one variable
    per episode for ``rounds`` more, reads every episode with the encoder, and learns the graph and
    mechanisms over what it reads.
    """
    import tempfile
    from pathlib import Path

    from causalworld.encoders import VideoEncoder
    from interventions.cli import _print_report, write_report
    from interventions.experiment import Experiment
    from interventions.policies import RandomPolicy

    print("== 0. The loop from pixels: intervene, encode, learn ================")
    t_start = time.perf_counter()
    world = cw.make("sprites", image_size=32, n_objects=1, seed=seed)
    print(f"world sprites-v0 with one object: {', '.join(world.variables)}; true edges "
          f"{', '.join(f'{a}->{b}' for a, b in world.graph.edges)}; the learner sees only frames {world.frame_shape}")
    encoder = VideoEncoder(8, steps=steps, batch_size=64, seed=seed, progress=progress).fit(world)
    print(f"the encoder learned to see in {time.perf_counter() - t_start:.0f} s ({steps * 64:,} episodes of play): "
          + ", ".join(f"{v} (R2 {encoder.calibration_r2_[v]:.3f})" for v in encoder.variables_)
          + (f"; spare latents that only repeat them, left out: {', '.join(encoder.redundant_)}" if encoder.redundant_ else ""))
    result = Experiment(world, policy=RandomPolicy(), rounds=rounds, episodes_per_round=episodes,
                        interventions_per_round=episodes, encoder=encoder, encoder_rounds=(), seed=seed,
                        threads=torch.get_num_threads(), progress=progress).run()
    with tempfile.TemporaryDirectory() as tmp:
        report = write_report(result, Path(tmp), seconds=time.perf_counter() - t_start)
    _print_report(report)
    print("(SHD over the world's 4 variables: a variable the encoder could not name counts its edges as missed)")
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0, help="seed for every random draw")
    parser.add_argument("--out", default=None, help="write a PNG of factual vs counterfactual frames here")
    parser.add_argument("--part", choices=["all", "pixels", "world", "scm"], default="all", help="which part to run")
    parser.add_argument("--steps", type=int, default=2200, help="training steps of the video encoder (part 0)")
    args = parser.parse_args(argv)
    if args.part in ("all", "pixels"):
        pixel_loop(args.seed, steps=args.steps)
        print()
    if args.part in ("all", "world"):
        world_loop(args.seed, out=args.out)
        print()
    if args.part in ("all", "scm"):
        scm_walkthrough(args.seed)


if __name__ == "__main__":
    main()
