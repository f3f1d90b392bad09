"""Structure learning: every learner on the same standardised observational + interventional data.

For ER-2 and scale-free graphs with linear-Gaussian and MLP mechanisms (``causalworld.random_scm``)
this draws 1,000 observational rows plus 100 rows under a hard intervention on each node in turn
(values from N(0, 2^2)), standardises every column (z-scores over all rows, so no method can win
by reading variance growing along the causal order), and runs ExactLearner (up to 20 nodes),
GradientLearner, PC, GES and the sort-and-regress baseline on it, each with a time limit (a run
that hits it is recorded as a timeout). Every run is scored against the true graph (SHD, edge F1,
AUROC of ``edge_probs_``) and timed (``fit`` including a linear ``scm_`` fit).

Runs append to one JSON file (one record per size, graph, mechanism, seed and method; a re-run
replaces its record), so the grid can be filled over several invocations:

    python benchmarks/discovery.py --sizes 10 --seeds 10                 # 10 nodes, all methods
    python benchmarks/discovery.py --sizes 30 --methods gradient pc ges sortregress
    python benchmarks/discovery.py --sizes 100 --seeds 1 --mechanisms linear
    python benchmarks/discovery.py --report                              # the table so far
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch

import causalworld as cw
from causalworld import metrics
from causalworld.atomic import write_atomic
from causalworld.errors import TimeLimitWarning

METHODS = ("exact", "gradient", "pc", "ges", "sortregress")


@dataclass
class Args:
    sizes: list[int] = field(default_factory=lambda: [10, 30, 100])  # numbers of nodes
    graphs: list[str] = field(default_factory=lambda: ["er", "sf"])  # random graph families
    mechanisms: list[str] = field(default_factory=lambda: ["linear", "mlp"])  # mechanisms of the true SCMs
    methods: list[str] = field(default_factory=lambda: list(METHODS))  # learners to run
    seeds: int = 0  # seeds per setting (0: 10 up to 30 nodes, 3 above)
    first_seed: int = 0  # seeds run are first_seed .. first_seed + seeds - 1
    edges_per_node: float = 2.0  # expected edges per node ("ER-2", "SF-2")
    n_obs: int = 1000  # observational rows
    n_int: int = 100  # rows per single-node intervention (on every node)
    time_limit: float = 300.0  # max_time of each fit, in seconds (a run that hits it is a timeout)
    exact_max_nodes: int = 20  # ExactLearner only up to this many nodes
    device: str = "cpu"  # device of GradientLearner
    threads: int = 0  # torch threads (0: torch's default)
    gradient: dict = field(default_factory=dict)  # extra GradientLearner settings (JSON on the command line)
    out: str = "benchmarks/results/discovery.json"  # the JSON file runs append to
    report: bool = False  # print the table from the JSON file and run nothing


def parse_args(argv: list[str] | None = None) -> Args:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    d = Args()
    p.add_argument("--sizes", type=int, nargs="+", default=d.sizes)
    p.add_argument("--graphs", nargs="+", choices=["er", "sf"], default=d.graphs)
    p.add_argument("--mechanisms", nargs="+", choices=["linear", "mlp"], default=d.mechanisms)
    p.add_argument("--methods", nargs="+", choices=METHODS, default=d.methods)
    p.add_argument("--seeds", type=int, default=d.seeds, help="seeds per setting (0: 10 up to 30 nodes, 3 above)")
    p.add_argument("--first-seed", type=int, default=d.first_seed)
    p.add_argument("--edges-per-node", type=float, default=d.edges_per_node)
    p.add_argument("--n-obs", type=int, default=d.n_obs)
    p.add_argument("--n-int", type=int, default=d.n_int)
    p.add_argument("--time-limit", type=float, default=d.time_limit)
    p.add_argument("--exact-max-nodes", type=int, default=d.exact_max_nodes)
    p.add_argument("--device", choices=["cpu", "cuda"], default=d.device)
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--gradient", type=json.loads, default={}, help='extra GradientLearner settings, e.g. \'{"max_steps": 500}\'')
    p.add_argument("--out", default=d.out)
    p.add_argument("--report", action="store_true", help="print the table from --out and run nothing")
    return Args(**{k.replace("-", "_"): v for k, v in vars(p.parse_args(argv)).items()})


def machine() -> dict:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def design(d: int, graph: str, mechanism: str, seed: int, args: Args) -> tuple[cw.SCM, dict, list[set[str]]]:
    """The true SCM and its standardised data: ``n_obs`` observational rows, then ``n_int`` rows
    under ``do(v = N(0, 2^2) values)`` for each node ``v``."""
    truth = cw.random_scm(d, edges_per_node=args.edges_per_node, graph=graph, mechanism=mechanism, seed=seed)
    gen = torch.Generator().manual_seed(10_000 + seed)
    parts = [truth.sample(args.n_obs, seed=seed)]
    targets: list[set[str]] = [set()] * args.n_obs
    for k, v in enumerate(truth.variables):
        values = 2.0 * torch.randn(args.n_int, generator=gen, dtype=truth.dtype)
        parts.append(truth.do({v: values}).sample(args.n_int, seed=1_000_000 + 1_000 * seed + k))
        targets += [{v}] * args.n_int
    names = sorted(truth.variables, key=lambda s: int(s[1:]))
    X = torch.stack([torch.cat([p[v] for p in parts]).double() for v in names], 1)  # (n, d)
    X = (X - X.mean(0)) / X.std(0)  # standardised: scale carries no information about the order
    return truth, {v: X[:, i] for i, v in enumerate(names)}, targets


def learner(method: str, mechanism: str, args: Args) -> cw.discovery.Learner:
    common = {"progress": False, "max_time": args.time_limit, "mechanisms": "linear"}
    if method == "exact":
        return cw.discovery.ExactLearner(**common)
    if method == "gradient":
        return cw.discovery.GradientLearner(conditionals=mechanism, device=args.device, **{**common, **args.gradient})
    if method == "pc":
        return cw.discovery.PCLearner(**common)
    if method == "ges":
        return cw.discovery.GESLearner(**common)
    return cw.discovery.SortRegressLearner(**common)


def run_one(method: str, truth: cw.SCM, data: dict, targets: list[set[str]], mechanism: str, args: Args) -> dict:
    est = learner(method, mechanism, args)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TimeLimitWarning)
        est.fit(data, targets)
    seconds = time.perf_counter() - start
    return {
        "shd": int(metrics.shd(truth.graph, est.graph_)),
        "f1": float(metrics.edge_f1(truth.graph, est.graph_)),
        "auroc": float(metrics.auroc(truth.graph, est.edge_probs_)),
        "seconds": seconds,
        "timed_out": bool(est.timed_out_),
        "n_edges": int(est.graph_.number_of_edges()),
        "true_edges": int(truth.graph.number_of_edges()),
    }


def load(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    return {"benchmark": "discovery", "data": "standardised (z-scored columns)", "runs": []}


def save(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, (json.dumps(doc, indent=1) + "\n").encode())


def _key(r: dict) -> tuple:
    return (r["nodes"], r["graph"], r["mechanism"], r["seed"], r["method"])


def run(args: Args) -> dict:
    if args.threads:
        torch.set_num_threads(args.threads)
    path = Path(args.out)
    doc = load(path)
    where = machine()
    for d in args.sizes:
        n_seeds = args.seeds or (10 if d <= 30 else 3)
        for graph in args.graphs:
            for mechanism in args.mechanisms:
                for seed in range(args.first_seed, args.first_seed + n_seeds):
                    truth, data, targets = design(d, graph, mechanism, seed, args)
                    for method in args.methods:
                        if method == "exact" and d > args.exact_max_nodes:
                            continue
                        result = run_one(method, truth, data, targets, mechanism, args)
                        rec = {"nodes": d, "graph": graph, "mechanism": mechanism, "seed": seed, "method": method,
                               **result, "n_obs": args.n_obs, "n_int": args.n_int, "time_limit": args.time_limit,
                               "settings": args.gradient if method == "gradient" else {}, "machine": where,
                               "when": time.strftime("%Y-%m-%d %H:%M:%S")}
                        doc["runs"] = [r for r in doc["runs"] if _key(r) != _key(rec)] + [rec]
                        save(path, doc)  # after every run, so an interrupted grid keeps what it measured
                        print(f"{d:>4} {graph} {mechanism:<6} seed {seed:<2} {method:<11} SHD {rec['shd']:>3}  "
                              f"F1 {rec['f1']:.2f}  AUROC {rec['auroc']:.2f}  {rec['seconds']:7.1f} s"
                              + ("  TIMEOUT" if rec["timed_out"] else ""), flush=True)
    return doc


def _ms(xs: list[float], fmt: str) -> str:
    xs = [x for x in xs if x == x]  # drop NaN (AUROC of an empty or complete truth)
    if not xs:
        return "-"
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"{format(statistics.mean(xs), fmt)} ± {format(sd, fmt)}"


def report(doc: dict) -> str:
    """The table: one line per setting and method, mean ± sd over seeds, timeouts counted."""
    groups: dict[tuple, list[dict]] = {}
    for r in doc["runs"]:
        groups.setdefault((r["nodes"], r["graph"], r["mechanism"], METHODS.index(r["method"])), []).append(r)
    lines = ["Data standardised (z-scored columns); 1,000 observational rows + 100 rows per single-node "
             "intervention; mean ± sd over seeds; time = fit incl. a linear scm_ fit.",
             "",
             "| nodes | graph | mechanism | method | seeds | SHD | F1 | AUROC | time (s) | timeouts |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for (d, graph, mech, m), rs in sorted(groups.items()):
        lines.append(f"| {d} | {graph.upper()}-2 | {mech} | {METHODS[m]} | {len(rs)} | "
                     f"{_ms([r['shd'] for r in rs], '.1f')} | {_ms([r['f1'] for r in rs], '.2f')} | "
                     f"{_ms([r['auroc'] for r in rs], '.2f')} | {_ms([r['seconds'] for r in rs], '.1f')} | "
                     f"{sum(r['timed_out'] for r in rs)} |")
    machines = {json.dumps({k: v for k, v in r["machine"].items() if k != "load_average"}, sort_keys=True)
                for r in doc["runs"]}
    for m in sorted(machines):
        lines.append(f"\nmachine: {m}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.report:
        doc = load(Path(args.out))
    else:
        doc = run(args)
    print(report(doc))
    return doc


if __name__ == "__main__":
    main(sys.argv[1:])
