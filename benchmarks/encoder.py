"""Encoder: does prediction in representation space, named by interventions, recover a world's variables?

Side by side on the same world, the same fresh episodes and the same wall-clock budget:

- ours: ``VideoEncoder`` (JEPA objective, collapse guard, latents tied to the values the agent
  set; it never sees the values of variables it did not set), with and without the
  counterfactual view (the same episodes replayed under another intervention);
- autoencoder: the same conv backbone trained to reconstruct the pixels through a small
  transposed-conv decoder (the baseline it must beat);
- supervised: the same backbone with its first latents regressed on every true value, one latent
  per variable (the ceiling; it sees what no agent sees).

Each is scored with ``latent_r2`` (held-out R² of small MLP probes, Hungarian matching: ``diag``,
``sep``, ``mcc``) on held-out episodes in which every intervenable variable is set independently,
so correlation in the world is not counted as entanglement: over the identifiable variables
(intervenable and depicted, the ones an agent can name), and over every depicted variable
(``*_all``). Also training frames/s. Prints the
table and writes JSON with the machine.

    python benchmarks/encoder.py                  # sprites (3 objects) and lights, 4 minutes each
    python benchmarks/encoder.py --quick          # a smoke run in about a minute
    python benchmarks/encoder.py --steps 2000     # the same data for every method (a busy machine's figures)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

import causalworld as cw
from causalworld.discovery.exact import SCORE_FUNCS
from causalworld.encoders import VideoEncoder
from causalworld.encoders.backbone import BackboneConfig, ConvEncoder
from causalworld.encoders.batches import WorldBatches
from causalworld.encoders.train import frames_to_float
from causalworld.metrics import latent_r2


@dataclass
class Args:
    worlds: list[str] = field(default_factory=lambda: ["sprites", "lights"])  # world names
    n_objects: int = 3  # sprites' objects (12 variables at 3)
    image_size: int = 32  # frames are rendered at this size
    seconds: float = 240.0  # wall-clock training budget of each encoder
    steps: int = 0  # a step budget instead (each method sees steps x batch_size episodes; 0: use seconds)
    batch_size: int = 64  # episodes per step
    latent_dim: int = 16  # latents of every encoder
    test_episodes: int = 1000  # held-out episodes, every intervenable variable set independently
    methods: list[str] = field(default_factory=lambda: ["ours", "ours+cf", "autoencoder", "supervised"])
    device: str = "cpu"  # "cuda" when a GPU is at hand
    threads: int = 0  # torch threads (0: its default)
    seed: int = 0
    out: str = "benchmarks/results/encoder.json"  # where the JSON goes ("" for nowhere)
    pipeline: bool = True  # after our encoder: learners on its latents (SHD) and counterfactual error
    score: str = "auto"  # the score of the ExactLearner that learns on the latents
    p_set: float = 1.0  # the probability that a training episode sets each intervenable variable (every method)
    narrow: float = 0.5  # the fraction of training episodes whose set values crowd near the middle of their ranges (every method)
    pipeline_episodes: int = 1000  # the learner's data: this many observational and as many single-target episodes
    min_explained: float = 0.01  # the learner's least partial R² per parent
    encoder_dir: str = ""  # save ours' encoders here, or load them from here when present (to rerun the pipeline)


def parse_args(argv: list[str] | None = None) -> Args:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    d = Args()
    p.add_argument("--worlds", nargs="+", default=None)
    p.add_argument("--n-objects", type=int, default=d.n_objects)
    p.add_argument("--image-size", type=int, default=d.image_size)
    p.add_argument("--seconds", type=float, default=d.seconds)
    p.add_argument("--steps", type=int, default=d.steps, help="same data for every method instead of same time")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--latent-dim", type=int, default=d.latent_dim)
    p.add_argument("--test-episodes", type=int, default=d.test_episodes)
    p.add_argument("--methods", nargs="+", default=None)
    p.add_argument("--device", choices=["cpu", "cuda"], default=d.device)
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--score", default=d.score, choices=list(SCORE_FUNCS))
    p.add_argument("--p-set", type=float, default=d.p_set, help="probability that a training episode sets each variable")
    p.add_argument("--narrow", type=float, default=d.narrow, help="fraction of crowded training episodes")
    p.add_argument("--pipeline-episodes", type=int, default=d.pipeline_episodes)
    p.add_argument("--min-explained", type=float, default=d.min_explained)
    p.add_argument("--encoder-dir", default=d.encoder_dir)
    p.add_argument("--out", default=d.out)
    p.add_argument("--no-pipeline", dest="pipeline", action="store_false", default=None)
    p.add_argument("--quick", action="store_true", help="tiny settings: a smoke run")
    ns = vars(p.parse_args(argv))
    if ns.pop("quick"):
        ns["worlds"] = ns["worlds"] or ["sprites"]
        ns["n_objects"], ns["seconds"], ns["test_episodes"], ns["pipeline_episodes"] = 1, 5.0, 200, 300
    return Args(**{k: v for k, v in ns.items() if v is not None})


def make_world(name: str, a: Args):
    cfg = {"n_objects": a.n_objects} if name == "sprites" else {}
    return cw.make(name, image_size=a.image_size, seed=a.seed, device=a.device, **cfg)


def held_out(world, a: Args):
    draw = WorldBatches(world, tuple(world.intervenable), batch_size=1, seed=a.seed + 99, p_set=1.0, counterfactual=False)
    do, _ = draw.draw_do(torch.Generator().manual_seed(a.seed + 99), a.test_episodes)
    return world.rollout(a.test_episodes, do=do, seed=a.seed + 99)


# -- the two peers: same backbone, other objectives ----------------------------------------------
class Decoder(nn.Module):
    """Latents back to a frame, for the autoencoder baseline."""

    def __init__(self, cfg: BackboneConfig) -> None:
        super().__init__()
        self.side = cfg.image_size // 8
        self.fc = nn.Linear(cfg.latent_dim, 4 * cfg.width * self.side * self.side)
        w = cfg.width
        self.net = nn.Sequential(
            nn.ConvTranspose2d(4 * w, 2 * w, 4, stride=2, padding=1), nn.ReLU(),  # (N, 2w, S/4, S/4)
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1), nn.ReLU(),  # (N, w, S/2, S/2)
            nn.ConvTranspose2d(w, cfg.channels, 4, stride=2, padding=1),  # (N, C, S, S)
        )

    def forward(self, z):
        return self.net(self.fc(z).view(z.shape[0], -1, self.side, self.side))


def train_peer(kind: str, world, a: Args) -> tuple[ConvEncoder, int, float]:
    """Train the autoencoder or the supervised encoder for ``a.seconds``; returns it, the frames
    seen and the seconds spent training."""
    dev = torch.device(a.device)
    names = list(world.depicted)
    cfg = BackboneConfig(channels=world.frame_shape[1], image_size=a.image_size, latent_dim=a.latent_dim, actions=0)
    torch.manual_seed(a.seed)
    enc = ConvEncoder(cfg)
    batches = WorldBatches(world, tuple(world.intervenable), batch_size=a.batch_size, seed=a.seed, p_set=a.p_set, counterfactual=False,
                           narrow=a.narrow)
    enc.set_pixel_stats(frames_to_float(batches(0).frames[:, 0], a.image_size, torch.device("cpu")))
    enc = enc.to(dev)
    # the supervised ceiling regresses its first latents on the true values directly, one latent per
    # variable, as ours ties one latent to each variable it names
    head = Decoder(cfg).to(dev) if kind == "autoencoder" else nn.Identity()
    opt = torch.optim.Adam([*enc.parameters(), *head.parameters()], lr=1e-3)
    calib = held_out(world, Args(**(asdict(a) | {"test_episodes": 2000, "seed": a.seed + 1})))
    mean = torch.stack([calib.values[v].float().reshape(len(calib), -1)[:, 0].mean() for v in names]).to(dev)
    std = torch.stack([calib.values[v].float().reshape(len(calib), -1)[:, 0].std() for v in names]).clamp_min(1e-6).to(dev)
    start, step, frames = time.perf_counter(), 0, 0
    while (step < a.steps) if a.steps else (time.perf_counter() - start < a.seconds):
        eps = world.rollout(a.batch_size, seed=a.seed * 1_000_003 + step, do=batches.draw_do(
            torch.Generator().manual_seed(a.seed * 7919 + step), a.batch_size)[0])
        x = frames_to_float(eps.frames[:, 0], a.image_size, dev)
        z = enc(x)
        if kind == "autoencoder":
            loss = F.mse_loss(head(z), (x - enc.pixel_mean[:, None, None]) / enc.pixel_std[:, None, None])
        else:
            y = torch.stack([eps.values[v].float().reshape(a.batch_size, -1)[:, 0] for v in names], 1).to(dev)
            loss = F.mse_loss(z[:, : len(names)], (y - mean) / std)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        frames += a.batch_size
    return enc, frames, time.perf_counter() - start


def identifiable(world) -> list[str]:
    """The variables an agent can identify from this world's video: set apart by interventions and
    depicted (``lights``' lamps and sensor are depicted but never set; its dimmers and spin are set
    but not drawn)."""
    return [v for v in world.intervenable if v in world.depicted]


def score(z, test, world) -> dict[str, float]:
    """``diag``, ``sep`` and ``mcc`` over the identifiable variables (the targets' terms), and the
    same over every depicted variable (``*_all``: also the variables no intervention names)."""
    out = {}
    for suffix, names in (("", identifiable(world)), ("_all", list(world.depicted))):
        if suffix and set(names) == set(identifiable(world)):  # every depicted variable is identifiable: the same scores
            out |= {f"{k}_all": out[k] for k in ("diag", "sep", "mcc")}
            continue
        values = {v: (test.values[v][:, 0] if test.values[v].dim() == 2 else test.values[v]) for v in names}
        s = latent_r2(z, values, angles=[v for v in names if v == "angle"])
        out |= {f"diag{suffix}": s.diag, f"sep{suffix}": s.sep, f"mcc{suffix}": s.mcc}
    return out


def single_targets(world, variables: list[str], n: int, seed: int):
    """``n`` episodes, each setting one of ``variables`` (in turn) to a value uniform in its range:
    the experiments that show each mechanism at work (an episode that sets every variable shows none)."""
    g = torch.Generator().manual_seed(seed)
    do = []
    for i in range(n):
        v = variables[i % len(variables)]
        r = world.intervenable[v]
        u = float(torch.rand(1, generator=g))
        do.append({v: int(r.start + min(int(u * len(r)), len(r) - 1))} if isinstance(r, range) else {v: r[0] + u * (r[1] - r[0])})
    return world.rollout(n, do=do, seed=seed)


def pipeline_episodes(world, named: list[str], a: Args):
    """The pipeline's observational episodes, and those concatenated with single-target experiments on ``named``."""
    obs = world.rollout(a.pipeline_episodes, seed=a.seed + 201)
    exp = single_targets(world, [v for v in named if v in world.intervenable], a.pipeline_episodes, seed=a.seed + 202)
    return obs, cw.Episodes.concat([obs, exp])


def latent_table(enc: VideoEncoder, eps, columns: list[str]) -> pd.DataFrame:
    """``enc.latents(eps)`` restricted to ``columns``, time-varying ones pooled over frames, as floats
    (a discrete variable's integer codes read as numbers, as the experimenter does)."""
    data = enc.latents(eps)
    if isinstance(data, pd.DataFrame):
        return data[columns].astype(float)
    return pd.DataFrame({c: _pooled(data[c]) for c in columns})


def effects_to_graph(enc: VideoEncoder, world, a: Args, test, z, episodes) -> dict:
    """The learner over the named latents and the effect latents (``enc.effects_``: ``lights``'
    dimmers' own latents), each effect latent matched by ``latent_r2`` on the held-out episodes to
    a drawn, static variable that nobody sets (the lamps): SHD against the world's graph over
    those variables, and each matched variable's R² from its latent. ``z``: the latents of
    ``test``'s first frames; ``episodes``: :func:`pipeline_episodes`' pair."""
    from causalworld.discovery import ExactLearner
    from causalworld.metrics import shd

    cols = [c for c in enc.effects_ if c not in enc.redundant_]
    unset = [v for v in world.depicted if v not in world.intervenable and v not in world.time_varying]
    if not cols or not unset:
        return {}
    s = latent_r2(z[:, [enc.columns_.index(c) for c in cols]], {v: test.values[v] for v in unset}, latent_names=cols)
    rename = {c: v for v, c in s.matching.items()}
    # a latent that reads a moving variable nobody sets (lights' sensor) is tied to it by the encoder
    moving = {c: v for c, v in getattr(enc, "moving_", {}).items() if c not in enc.redundant_}
    named = list(enc.variables_)
    eps = episodes[1]
    latents = latent_table(enc, eps, named + list(rename) + list(moving))
    out = {"effects_r2": {v: round(float(s.r2.loc[c, v]), 3) for c, v in rename.items()},
           "moving_r2": {v: round(float(latent_r2(z[:, [enc.columns_.index(c)]], {v: test.values[v][:, 0]},
                                                  latent_names=[c]).diag), 3) for c, v in moving.items()}}
    out["unset_reading"] = unset_reading(enc, world, test, z)
    # the observational episodes are the first rows of the pair's second (already read) set
    out["effects_reading"] = effects_reading(latents.iloc[:len(episodes[0])], world, episodes[0], rename | moving)
    # over the named and effect variables ("effects"), then with the moving ones too ("moving")
    for part, tied in (("effects", rename), ("moving", rename | moving)):
        if part == "moving" and not moving:
            break
        data = latents[named + list(tied)].rename(columns=tied)
        variables = list(data.columns)
        targets = eps.targets[:, [eps.names.index(v) for v in variables]]
        truth = world.graph.subgraph(variables)
        read = graph_read(truth, {v: r for v, r in out["effects_reading"].items() if v in variables})
        out |= {f"true_edges_{part}": truth.number_of_edges(), f"true_edges_{part}_read": read.number_of_edges()}
        # and, as the control, the same learner on the true values of the same variables and episodes
        true = pd.DataFrame({v: _pooled(eps.values[v]) for v in variables})
        for key, table in ((part, data), (f"{part}_true_values", true)):
            learner = ExactLearner(score_func=a.score, min_explained=a.min_explained, progress=False, seed=a.seed).fit(table, targets=targets)
            out |= {f"shd_{key}": int(shd(truth, learner.graph_)), f"{key}_edges": sorted(map(list, learner.graph_.edges))}
            if key == part:
                out[f"shd_{part}_read"] = int(shd(read, learner.graph_))
    return out


def unset_reading(enc: VideoEncoder, world, test, z) -> dict[str, dict[str, float]]:
    """For each drawn variable that nobody sets and no effect latent stands for (``lights``'
    sensor): held-out R² of its value at the first frame from blocks of the latents ``z`` of
    ``test``'s first frames (a small MLP on each block,
    :func:`~causalworld.encoders.identify.explained_by`): all of them, the named and effect
    latents, and the spare ones; beside it, from its parents' true values (the probe's ceiling).
    Spare latents that add nothing to the others say nothing of it of their own."""
    from causalworld.encoders.identify import explained_by

    def first_frame(v):
        x = test.values[v]
        return (x[:, 0] if x.dim() == 2 else x).float()

    cols = enc.columns_
    tied = [i for i, c in enumerate(cols) if c in enc.variables_ or c in enc.effects_]
    spare = [i for i, c in enumerate(cols) if i not in tied]
    stood_for = {w for v in enc.effects_.values() for w in world.graph.successors(v)}  # the effect latents' variables
    out = {}
    for v in world.depicted:
        if v in world.intervenable or v in stood_for:
            continue
        y = first_frame(v)[:, None]
        blocks = {"all": z, "named_and_effects": z[:, tied], "spare": z[:, spare],
                  "true_parents": torch.stack([first_frame(p) for p in world.graph.predecessors(v)], 1)}
        out[v] = {name: round(float(explained_by(x, y, seed=0)[0]), 3) for name, x in blocks.items()}
    return out


def graph_read(truth, reading: dict[str, dict], tol: float = 0.02):
    """``truth`` without the edges into each effect variable from parents its latent does not read
    (``reading``: :func:`effects_reading`; leaving the parent out costs less than ``tol`` of R²):
    the graph over what the latents stand for, beside the world's own."""
    read = truth.copy()
    for var, r in reading.items():
        for parent, without in r["from_parents_without"].items():
            if read.has_edge(parent, var) and without >= r["from_parents"] - tol:
                read.remove_edge(parent, var)
    return read


def _held_out_r2(y: np.ndarray, columns: list[np.ndarray]) -> float:
    """Held-out R² (first half fitted, second scored) of least squares on each column, its square
    and cube, and every product of two columns."""
    feats = [np.ones_like(y)] + [c**k for c in columns for k in (1, 2, 3)]
    feats += [a * b for i, a in enumerate(columns) for b in columns[i + 1:]]
    X, h = np.stack(feats, 1), len(y) // 2
    coef = np.linalg.lstsq(X[:h], y[:h], rcond=None)[0]
    return float(1.0 - ((y[h:] - X[h:] @ coef) ** 2).mean() / y[h:].var())


def _pooled(x) -> np.ndarray:
    """A variable's values, one float per episode (a time-varying one averaged over frames)."""
    return (x.float().mean(1) if x.dim() == 2 else x.float()).numpy().astype(float)


def effects_reading(z: pd.DataFrame, world, eps, rename: dict[str, str]) -> dict[str, dict]:
    """What each effect latent reads, on observational episodes ``eps`` (``z``: their latents, a
    column per latent): its held-out R² from the variable it was matched to (``rename``: latent
    -> variable), from all of that variable's parents (true values, cubic terms and pairwise
    products; time-varying ones pooled over frames), and from its parents without each one. On
    ``lights`` this tells a latent that reads its lamp as drawn from one that reads only what the
    switch and the dimmer set (the ambient light's dimming taken out)."""
    value = {v: _pooled(x) for v, x in eps.values.items()}
    out = {}
    for col, var in rename.items():
        y, parents = z[col].to_numpy(), sorted(world.graph.predecessors(var))
        out[var] = {"latent": col, "from_variable": round(_held_out_r2(y, [value[var]]), 3),
                    "from_parents": round(_held_out_r2(y, [value[p] for p in parents]), 3),
                    "from_parents_without": {p: round(_held_out_r2(y, [value[q] for q in parents if q != p]), 3) for p in parents}}
    return out


def pixels_to_graph(enc: VideoEncoder, world, a: Args, episodes) -> dict[str, float]:
    """The learners on the encoder's latents: SHD against the world's graph over the named
    variables, and the counterfactual error of the learned SCM against the world's own
    counterfactual rollouts, in units of each descendant's observational std. ``episodes``:
    :func:`pipeline_episodes`' pair."""
    import networkx as nx

    from causalworld.discovery import ExactLearner
    from causalworld.metrics import shd

    named = list(enc.variables_)
    obs, eps = episodes
    data = latent_table(enc, eps, named)
    learner = ExactLearner(score_func=a.score, min_explained=a.min_explained, progress=False, seed=a.seed).fit(data, targets=eps.targets[:, [eps.names.index(v) for v in named]])
    truth = world.graph.subgraph(named)
    fresh = world.rollout(500, seed=a.seed + 203)
    observed = enc.latents(fresh)
    observed = observed[named] if isinstance(observed, pd.DataFrame) else observed
    g = torch.Generator().manual_seed(a.seed + 204)
    errors = []
    for x in named:
        if x not in world.intervenable or isinstance(world.intervenable[x], range):
            continue
        ys = [y for y in nx.descendants(truth, x)]
        if not ys:
            continue
        col = obs.values[x].float()
        lo, hi = float(torch.quantile(col, 0.05)), float(torch.quantile(col, 0.95))
        if x in learner.scm_.fitted_ranges:  # within what the model was fitted on (an encoder's readings may span less)
            f_lo, f_hi = learner.scm_.fitted_ranges[x]
            lo, hi = max(lo, float(f_lo)), min(hi, float(f_hi))
            if hi <= lo:
                continue
        v = lo + (hi - lo) * torch.rand(500, generator=g)
        answer = learner.scm_.counterfactual({c: torch.tensor(observed[c].to_numpy(copy=True), dtype=learner.scm_.dtype) for c in named},
                                             {x: v.to(learner.scm_.dtype)})
        true_cf = world.counterfactual_rollout(fresh, {x: v}).values
        for y in ys:
            scale = float(obs.values[y].float().std())
            errors.append(float((answer[y].float() - true_cf[y].float()).abs().mean()) / scale)
    return {"shd": int(shd(truth, learner.graph_)), "true_edges": truth.number_of_edges(),
            "cf_error": float(np.mean(errors)) if errors else float("nan")}


def main(argv: list[str] | None = None) -> dict:
    a = parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    rows = []
    for name in a.worlds:
        world = make_world(name, a)
        test = held_out(world, a)
        for method in a.methods:
            if method.startswith("ours"):
                # steps for the budget: measure a few, then train afresh for as many as fit
                probe = VideoEncoder(a.latent_dim, steps=20, batch_size=a.batch_size, counterfactual=method == "ours+cf", p_set=a.p_set, narrow=a.narrow,
                                     device=a.device, seed=a.seed, progress=False).fit(world)
                per_step = float(probe.history_["seconds"].iloc[-1] - probe.history_["seconds"].iloc[4]) / 15
                steps = a.steps or max(5, int(a.seconds / per_step))
                saved = Path(a.encoder_dir) / f"{world.name}-{method}" if a.encoder_dir else None
                if saved is not None and (saved / "encoder.json").is_file():
                    enc = VideoEncoder.load(saved)
                    steps = len(enc.history_)
                else:
                    enc = VideoEncoder(a.latent_dim, steps=steps, batch_size=a.batch_size, counterfactual=method == "ours+cf",
                                       p_set=a.p_set, narrow=a.narrow, device=a.device, seed=a.seed, progress=False)
                    enc.fit(world)
                    if saved is not None:
                        enc.save(saved)
                train_s = float(enc.history_["seconds"].iloc[-1])  # the training loop, without set-up and checks
                frames = steps * a.batch_size
                z = enc.encode(test.frames[:, :1])[:, 0]
                extra = {"named": len(enc.variables_), "steps": steps}
                if a.pipeline and enc.variables_:
                    episodes = pipeline_episodes(world, list(enc.variables_), a)
                    extra |= pixels_to_graph(enc, world, a, episodes)
                    extra |= effects_to_graph(enc, world, a, test, z, episodes)
            else:
                net, frames, train_s = train_peer(method, world, a)
                with torch.no_grad():
                    z = net(frames_to_float(test.frames[:, 0], a.image_size, torch.device(a.device))).cpu()
                extra = {"named": None, "steps": frames // a.batch_size}
            row = {"world": world.id, "method": method, **score(z, test, world), "seconds": round(train_s, 1),
                   "frames_per_s": round(frames / max(train_s, 1e-9)), **extra}
            rows.append(row)
            print(f"{row['world']:<12} {method:<12} diag {row['diag']:.3f}  sep {row['sep']:.3f}  mcc {row['mcc']:.3f}  "
                  f"(all depicted: diag {row['diag_all']:.3f} sep {row['sep_all']:.3f})  {row['frames_per_s']:>6} frames/s  {row['seconds']:>6.1f} s  named {row['named']}"
                  + (f"  SHD {row['shd']} ({row['true_edges']} true edges)  cf error {row['cf_error']:.3f}" if "shd" in row else "")
                  + (f"  with the effect latents {row['effects_r2']}"
                     + (f" (moving: {row['moving_r2']})" if row.get("moving_r2") else "")
                     + f": SHD {row['shd_effects']} ({row['true_edges_effects']} true edges;"
                     f" {row['shd_effects_true_values']} on the true values; {row['shd_effects_read']} against the"
                     f" {row['true_edges_effects_read']} edges of the graph over what the latents read)"
                     if "shd_effects" in row else "")
                  + (f"; with the sensor: SHD {row['shd_moving']} ({row['true_edges_moving']} true edges;"
                     f" {row['shd_moving_true_values']} on the true values)" if "shd_moving" in row else ""),
                  flush=True)
    machine = {"platform": platform.platform(), "python": sys.version.split()[0], "torch": torch.__version__,
               "cpu_count": os.cpu_count(), "threads": torch.get_num_threads(),
               "cuda": torch.cuda.get_device_name(0) if a.device == "cuda" and torch.cuda.is_available() else None}
    result = {"args": asdict(a), "machine": machine, "rows": rows}
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
