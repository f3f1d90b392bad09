"""The learners on real measurements no one here generated, beside the methods they replace.

Two data sets, read from the files the ``cdt`` package ships (``causalworld.datasets``; install
with ``pip install "causalworld[datasets]"``), nothing downloaded:

- ``tuebingen``: the 99 two-variable Tübingen cause-effect pairs. Each pair's column order is
  shuffled (a seeded coin per pair: in the shipped files the cause always comes first). The
  orientation accuracy counts a correct direction 1, an undirected or missing edge 0.5, a wrong
  one 0 (unweighted: the shipped files carry no pair weights). Our learners beside the
  pairwise methods of ``causalworld.discovery.pairwise`` (ANM-HSIC, RECI, IGCI, written from
  their papers) and causal-learn's PC and GES.
- ``sachs``: 7,466 flow-cytometry cells, 11 proteins, pooled over nine conditions without their
  targets, against the accepted 18-edge network: edges, SHD (a reversed edge counts 1), true
  adjacencies and correctly oriented edges, for every learner's defaults (``exact`` is
  ``ExactLearner()``, whose ``score_func="auto"`` picks its score from the data), the BIC
  chosen by hand, the same learners without the non-vanishing sparsity prior
  (``min_explained=0``: ``-plain``), PC, GES and the empty graph.

Each learner's orientation is what it claims: for PC and GES an undirected edge of ``cpdag_``
counts 0.5; for ours the larger of ``edge_probs_[a, b]`` and ``edge_probs_[b, a]`` (within 1e-6, as
the score-equivalent BIC's exact posterior gives on two observed variables: 0.5).

    python benchmarks/real.py                       # both, every method (about 15 min on 2 cores)
    python benchmarks/real.py --data sachs
    python benchmarks/real.py --quick               # 12 pairs, fast methods only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import networkx as nx
import numpy as np
import pandas as pd
import torch

import causalworld as cw
from causalworld.atomic import write_atomic
from causalworld.datasets import sachs, tuebingen_pairs
from causalworld.discovery import pairwise
from causalworld.metrics import shd

PAIR_METHODS = ("exact", "exact-bic", "exact-rff", "gradient", "pc", "ges", "anm", "reci", "igci")
SACHS_METHODS = ("empty", "exact", "exact-plain", "exact-bic", "exact-bic-plain", "gradient", "gradient-plain",
                 "gradient-mlp", "pc", "ges")


@dataclass
class Args:
    data: list[str] = field(default_factory=lambda: ["tuebingen", "sachs"])
    pair_methods: list[str] = field(default_factory=lambda: list(PAIR_METHODS))
    sachs_methods: list[str] = field(default_factory=lambda: list(SACHS_METHODS))
    pairs: int = 99  # the first N pairs
    seed: int = 0  # the column-order coins and every learner's seed
    threads: int = 1  # torch threads
    out: str = "benchmarks/results/real.json"


def parse_args(argv: list[str] | None = None) -> Args:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    d = Args()
    p.add_argument("--data", nargs="*", choices=["tuebingen", "sachs"], default=d.data)
    p.add_argument("--pair-methods", nargs="*", choices=PAIR_METHODS, default=d.pair_methods)
    p.add_argument("--sachs-methods", nargs="*", choices=SACHS_METHODS, default=d.sachs_methods)
    p.add_argument("--pairs", type=int, default=None, help=f"the first N pairs (default {d.pairs}; 12 with --quick)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--quick", action="store_true", help="12 pairs and the fast methods, under a minute")
    p.add_argument("--out", default=d.out)
    a = p.parse_args(argv)
    args = Args(data=a.data, pair_methods=a.pair_methods, sachs_methods=a.sachs_methods,
                pairs=a.pairs or (12 if a.quick else d.pairs), seed=a.seed, threads=a.threads, out=a.out)
    if a.quick:
        args.pair_methods = [m for m in args.pair_methods if m != "gradient"]
        args.sachs_methods = [m for m in args.sachs_methods if m in ("empty", "exact-bic", "exact-bic-plain", "pc")]
        args.pair_methods = [m for m in args.pair_methods if m != "exact-rff"]
    return args


def machine() -> dict:
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(), "python": sys.version.split()[0],
            "torch": torch.__version__, "numpy": np.__version__}


def learner(name: str, seed: int) -> Any:
    """The learner a method name stands for, with its defaults (``-plain``: ``min_explained=0``)."""
    d = cw.discovery
    plain = {"min_explained": 0.0} if name.endswith("-plain") else {}
    base = name.removesuffix("-plain")
    if base == "exact":
        return d.ExactLearner(progress=False, seed=seed, **plain)
    if base == "exact-bic":
        return d.ExactLearner(score_func="bic", progress=False, seed=seed, **plain)
        return d.ExactLearner(progress=False, seed=seed, **plain)
    if base == "exact-rff":
        return d.ExactLearner(score_func="rff", progress=False, seed=seed, **plain)
    if base == "gradient":
        return d.GradientLearner(progress=False, seed=seed, **plain)
    if base == "gradient-mlp":
        return d.GradientLearner(conditionals="mlp", progress=False, seed=seed, **plain)
    if base == "pc":
        return d.PCLearner(progress=False)
    if base == "ges":
        return d.GESLearner(progress=False)
    raise ValueError(f"unknown learner {name!r}")


def orientation(fitted: Any, a: str, b: str) -> float:
    """1 when ``fitted`` claims ``a -> b``, 0 for ``b -> a``, 0.5 for an undirected or missing edge.

    PC and GES (without bootstrap) claim their ``cpdag_``; ``graph_`` is one arbitrary
    extension of it. Our learners claim their ``edge_probs_``: with a score that is not
    score-equivalent (RFF) the two directions of a pair score differently, which ``cpdag_`` (the
    equivalence class of the linear-Gaussian model) does not show.
    """
    if isinstance(fitted, (cw.discovery.PCLearner, cw.discovery.GESLearner)):
        if frozenset((a, b)) in {frozenset(e) for e in fitted.cpdag_.undirected}:
            return 0.5
    p = fitted.edge_probs_
    ab, ba = float(p.loc[a, b]), float(p.loc[b, a])
    if ab + ba < 0.5 or abs(ab - ba) < 1e-6:  # missing, or no preferred direction
        return 0.5
    return 1.0 if ab > ba else 0.0


PAIRWISE: dict[str, Callable[..., float]] = {"anm": pairwise.anm_direction, "reci": pairwise.reci_direction,
                                             "igci": pairwise.igci_direction}


def run_pairs(args: Args) -> list[dict]:
    pairs = tuebingen_pairs()[: args.pairs]
    coins = np.random.default_rng(args.seed).random(len(pairs)) < 0.5
    rows = []
    for method in args.pair_methods:
        scores, errors, t0 = [], 0, time.perf_counter()
        for pair, swap in zip(pairs, coins):
            data = pair.data[["B", "A"]] if swap else pair.data
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if method in PAIRWISE:
                        first, second = data.columns
                        e = PAIRWISE[method](data[first].to_numpy(), data[second].to_numpy())
                        claim = {first: 1.0, second: 0.0} if e > 0 else {first: 0.0, second: 1.0}
                        score = 0.5 if e == 0 else claim[pair.cause]
                    else:
                        score = orientation(learner(method, args.seed).fit(data), pair.cause, pair.effect)
            except cw.errors.CausalWorldError:
                score, errors = 0.5, errors + 1
            scores.append(score)
        s = np.array(scores)
        rows.append({"data": "tuebingen", "method": method, "pairs": len(s), "accuracy": float(s.mean()),
                     "right": int((s == 1).sum()), "undecided": int((s == 0.5).sum()), "wrong": int((s == 0).sum()),
                     "errors": errors, "seconds": time.perf_counter() - t0})
        print(f"tuebingen {method:10} accuracy {s.mean():.3f}  ({rows[-1]['seconds']:.0f} s)", flush=True)
    return rows


def compare(truth: nx.DiGraph, graph: nx.DiGraph) -> dict:
    true_pairs = {frozenset(e) for e in truth.edges}
    found = {frozenset(e) for e in graph.edges}
    return {"edges": graph.number_of_edges(), "shd": int(shd(truth, graph)),
            "true_adjacencies": len(true_pairs & found),
            "oriented_right": sum(truth.has_edge(u, v) for u, v in graph.edges)}


def run_sachs(args: Args) -> list[dict]:
    data, truth = sachs()
    rows = []
    for method in args.sachs_methods:
        t0 = time.perf_counter()
        if method == "empty":
            graph = nx.DiGraph()
            graph.add_nodes_from(data.columns)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                graph = learner(method, args.seed).fit(data).graph_
        rows.append({"data": "sachs", "method": method, **compare(truth, graph), "seconds": time.perf_counter() - t0})
        r = rows[-1]
        print(f"sachs {method:16} edges {r['edges']:2d}  SHD {r['shd']:2d}  adjacencies {r['true_adjacencies']:2d}  "
              f"oriented {r['oriented_right']:2d}  ({r['seconds']:.0f} s)", flush=True)
    return rows


def report(rows: list[dict]) -> str:
    lines = []
    pairs = [r for r in rows if r["data"] == "tuebingen"]
    if pairs:
        lines += ["Tübingen pairs (orientation accuracy; undecided counts 0.5)",
                  "method     | pairs | accuracy | right | undecided | wrong | seconds",
                  "-----------|-------|----------|-------|-----------|-------|--------"]
        lines += [f"{r['method']:10} | {r['pairs']:5d} | {r['accuracy']:8.3f} | {r['right']:5d} | {r['undecided']:9d} | "
                  f"{r['wrong']:5d} | {r['seconds']:7.1f}" for r in pairs]
    cells = [r for r in rows if r["data"] == "sachs"]
    if cells:
        empty = next((r["shd"] for r in cells if r["method"] == "empty"), None)
        lines += ["", "Sachs (18 accepted edges; SHD counts a reversed edge 1)",
                  "method           | edges | SHD | vs empty | true adjacencies | oriented right | seconds",
                  "-----------------|-------|-----|----------|------------------|----------------|--------"]
        for r in cells:
            versus = "" if empty is None else f"{r['shd'] - empty:+d}"
            lines.append(f"{r['method']:16} | {r['edges']:5d} | {r['shd']:3d} | {versus:>8} | "
                         f"{r['true_adjacencies']:16d} | {r['oriented_right']:14d} | {r['seconds']:7.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = (run_pairs(args) if "tuebingen" in args.data else []) + (run_sachs(args) if "sachs" in args.data else [])
    result = {"machine": machine(), "args": asdict(args), "rows": rows}
    print(report(rows) + f"\n\nmachine: {result['machine']}")
    if args.out:  # atomically: a killed run leaves the previous table whole
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(args.out, (json.dumps(result, indent=2) + "\n").encode())
    return result


if __name__ == "__main__":
    main()
