"""``SCM.fit`` with nonlinear mechanisms: the stacked fit against a loop and against DoWhy.

Two designs, in one process, 2-core CPU by default:

- ``six``: the 6-variable SCM ``A -> B, A -> C, B -> D, C -> D, D -> F, E -> F`` with tanh, square,
  sine and product mechanisms, 2,000 rows. ``SCM.fit(graph, data)`` ("auto", the default, and
  "mlp") against a plain loop over the variables (the same MLP fit, one variable at a time) and
  against ``dowhy.gcm.fit`` after ``gcm.auto.assign_causal_mechanisms`` (what a DoWhy user runs).
  Quality: the mean R² of the fitted mechanisms on 5,000 fresh rows of the true SCM.
- ``mlp-20``: 20-node ER-2 random MLP SCMs, 500 observational rows and 200 per single-variable
  hard intervention (the discovery tests' design), ``SCM.fit`` on the true graph with the
  intervened rows marked; time and counterfactual error against the true SCM
  (``causalworld.metrics.counterfactual_error``), stacked and in a loop.

Times are wall-clock seconds; "first" is the first fit of the process, the others the median of
``--repeats`` warm fits.

    python benchmarks/fit.py                 # both designs, seeds 0-4 for mlp-20
    python benchmarks/fit.py --quick         # a few seconds
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
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import causalworld as cw
from causalworld.metrics import counterfactual_error
from causalworld.scm.fit import fit_mlps


@dataclass
class Args:
    rows: int = 2_000  # rows of the six-variable design
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])  # seeds of the 20-node design
    nodes: int = 20  # nodes of the MLP design
    n_obs: int = 500  # its observational rows
    n_int: int = 200  # its rows per single-variable intervention
    repeats: int = 3  # warm fits per timing (median)
    steps: int = 1200  # most optimiser steps per MLP (SCM.fit's default)
    dowhy: bool = True  # time dowhy.gcm on the six-variable design
    threads: int = 0  # torch threads (0: torch's default)
    out: str = "benchmarks/results/fit.json"  # where the JSON goes ("" for nowhere)


def parse_args(argv: list[str] | None = None) -> Args:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    d = Args()
    p.add_argument("--rows", type=int, default=d.rows)
    p.add_argument("--seeds", type=int, nargs="*", default=None, help=f"default {d.seeds}")
    p.add_argument("--nodes", type=int, default=d.nodes)
    p.add_argument("--repeats", type=int, default=d.repeats)
    p.add_argument("--steps", type=int, default=d.steps)
    p.add_argument("--no-dowhy", action="store_true", help="skip dowhy.gcm")
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--quick", action="store_true", help="tiny settings, a few seconds")
    p.add_argument("--out", default=d.out)
    a = p.parse_args(argv)
    args = Args(rows=a.rows, seeds=d.seeds if a.seeds is None else a.seeds, nodes=a.nodes, repeats=a.repeats,
                steps=a.steps, dowhy=not a.no_dowhy, threads=a.threads, out=a.out)
    if a.quick:
        args.rows, args.seeds, args.nodes, args.n_obs, args.n_int = 300, [0], 5, 200, 60
        args.repeats, args.steps = 1, 60
    return args


def machine() -> dict:
    import dowhy

    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(), "python": sys.version.split()[0],
            "torch": torch.__version__, "dowhy": dowhy.__version__}


SIX = [("A", "B"), ("A", "C"), ("B", "D"), ("C", "D"), ("D", "F"), ("E", "F")]


def six_data(n: int, seed: int) -> pd.DataFrame:
    """Rows of the six-variable SCM (noise std 0.2 on every non-root)."""
    rng = np.random.default_rng(seed)
    a, e = rng.normal(size=n), rng.normal(size=n)
    b = np.tanh(2 * a) + 0.2 * rng.normal(size=n)
    c = a ** 2 + 0.2 * rng.normal(size=n)
    d = np.sin(b + c) + 0.2 * rng.normal(size=n)
    f = d * e + 0.2 * rng.normal(size=n)
    return pd.DataFrame({"A": a, "B": b, "C": c, "D": d, "E": e, "F": f})


def _r2(predict, test: pd.DataFrame) -> float:
    """Mean held-out R² of the non-roots' mechanisms; ``predict(v, parents)`` -> prediction."""
    scores = []
    for v in ["B", "C", "D", "F"]:
        ps = sorted(u for u, w in SIX if w == v)
        y = test[v].to_numpy()
        resid = y - predict(v, ps, test[ps].to_numpy())
        scores.append(1 - resid.var() / y.var())
    return float(np.mean(scores))


def _ours_r2(scm: cw.SCM, test: pd.DataFrame) -> float:
    with torch.no_grad():
        return _r2(lambda v, ps, X: scm.mechanisms[v].predict(torch.tensor(X)).numpy(), test)


def _timed(fn, repeats: int) -> tuple[float, float, object]:
    t = time.perf_counter()
    result = fn()
    first = time.perf_counter() - t
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return first, statistics.median(times) if times else first, result


def loop_fit(graph, data, targets, mechanism: str, steps: int) -> cw.SCM:
    """The same mechanisms, one variable at a time (no stacking across variables)."""
    g = cw.scm.graph.as_dag(graph)
    order = cw.scm.graph.topological_order(g)
    from causalworld.scm.targets import targets_mask

    cols = list(data)
    mask = targets_mask(targets, cols, len(next(iter(data.values()))))
    mechs = {}
    tensors = {v: data[v].double() if isinstance(data[v], torch.Tensor) else torch.tensor(np.asarray(data[v]), dtype=torch.float64)
               for v in order}
    for i, v in enumerate(order):
        keep = torch.from_numpy(~mask[:, cols.index(v)])
        ps = sorted(g.predecessors(v), key=order.index)
        y = tensors[v][keep]
        if not ps:
            mechs[v] = cw.GaussianRoot(float(y.mean()), float(y.std(unbiased=False)), dtype=torch.float64)
            continue
        X = torch.stack([tensors[p] for p in ps], 1)[keep]
        (mechs[v], _), = fit_mlps([(X, y)], [i], auto=mechanism == "auto", members=3, steps=steps)
    return cw.SCM(g, mechs, dtype=torch.float64)


def dowhy_six(train: pd.DataFrame):
    import networkx as nx
    from dowhy import gcm

    model = gcm.InvertibleStructuralCausalModel(nx.DiGraph(SIX))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gcm.auto.assign_causal_mechanisms(model, train)
        gcm.config.disable_progress_bars()
        gcm.fit(model, train)
    return model


def run_six(args: Args) -> list[dict]:
    train, test = six_data(args.rows, 0), six_data(5_000, 1)
    rows = []
    for mech in ["auto", "mlp"]:
        first, warm, scm = _timed(lambda: cw.SCM.fit(SIX, train, mech, progress=False, mlp_steps=args.steps),
                                  args.repeats)
        _, loop, looped = _timed(lambda: loop_fit(SIX, dict(train.items()), None, mech, args.steps), 0)
        rows.append({"design": "six", "what": f'SCM.fit "{mech}"', "first_s": first, "warm_s": warm,
                     "loop_s": loop, "r2": _ours_r2(scm, test), "loop_r2": _ours_r2(looped, test)})
    if args.dowhy:
        first, warm, model = _timed(lambda: dowhy_six(train), 0)
        r2 = _r2(lambda v, ps, X: model.causal_mechanism(v).prediction_model.predict(X).ravel(), test)
        rows.append({"design": "six", "what": "gcm.auto + gcm.fit", "first_s": first, "warm_s": warm,
                     "loop_s": float("nan"), "r2": r2, "loop_r2": float("nan")})
    return rows


def mlp_design(args: Args, seed: int):
    truth = cw.random_scm(args.nodes, edges_per_node=2, mechanism="mlp", seed=seed)
    gen = torch.Generator().manual_seed(seed)
    parts, targets = [truth.sample(args.n_obs, seed=1000 + seed)], [set()] * args.n_obs
    for i, v in enumerate(truth.variables):
        parts.append(truth.do({v: 2.0 * torch.randn(args.n_int, generator=gen)}).sample(args.n_int, seed=2000 + 37 * seed + i))
        targets += [{v}] * args.n_int
    return truth, {v: torch.cat([p[v] for p in parts]).double() for v in truth.variables}, targets


def run_mlp(args: Args) -> list[dict]:
    rows = []
    for seed in args.seeds:
        truth, data, targets = mlp_design(args, seed)
        t = time.perf_counter()
        scm = cw.SCM.fit(truth.graph, data, "mlp", targets=targets, progress=False, mlp_steps=args.steps)
        ours = time.perf_counter() - t
        t = time.perf_counter()
        looped = loop_fit(truth.graph, data, targets, "mlp", args.steps)
        loop = time.perf_counter() - t
        rows.append({"design": f"mlp-{args.nodes}", "what": f"seed {seed}", "first_s": ours, "warm_s": ours,
                     "loop_s": loop, "cf_error": counterfactual_error(truth, scm),
                     "loop_cf_error": counterfactual_error(truth, looped)})
    return rows


def report(rows: list[dict]) -> str:
    lines = [f"{'design':8} | {'fit':22} | {'first s':>8} | {'warm s':>7} | {'loop s':>7} | {'ratio':>6} | quality (ours / loop)",
             "-" * 95]
    for r in rows:
        q = (f"R² {r['r2']:.3f} / {r['loop_r2']:.3f}" if "r2" in r
             else f"cf error {r['cf_error']:.4f} / {r['loop_cf_error']:.4f}")
        ratio = r["loop_s"] / r["warm_s"] if r["loop_s"] == r["loop_s"] else float("nan")
        lines.append(f"{r['design']:8} | {r['what']:22} | {r['first_s']:8.2f} | {r['warm_s']:7.2f} | "
                     f"{r['loop_s']:7.2f} | {ratio:5.1f}x | {q}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = run_six(args) + run_mlp(args)
    result = {"machine": machine(), "args": asdict(args), "rows": rows}
    print(report(rows))
    print(f"\nmachine: {result['machine']}")
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
