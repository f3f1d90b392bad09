"""Counterfactual engine: causalworld against dowhy.gcm on the same models, inputs and dtype.

For random linear SCMs of each size (and one MLP SCM) this times, in one process and in float64:
single-query latency (one observed row; median of many calls) of ``scm.counterfactual`` on
tensors and of ``causalworld.counterfactual_samples`` on DataFrames against
``dowhy.gcm.counterfactual_samples`` on ``scm.to_dowhy()``; batch throughput (rows/s) of the same
calls; ``interventional_samples``; and ``SCM.fit(..., "linear")`` against ``gcm.fit`` with an
``AdditiveNoiseModel(LinearRegression)`` on every non-root. Every answer is checked against
DoWhy's before it is timed. The "native" column times the model a DoWhy user has instead of our
export: the same graph fitted with ``gcm.fit`` (sklearn ``LinearRegression`` or ``MLPRegressor``
per non-root, empirical roots), a different model, so its answers are not compared. "of bound" sets
each throughput against the most this machine allows (float64 matrix-product rate and copy
bandwidth, measured at start; see ``bound_rows_per_s``). Prints a table with the ratios and
writes JSON.

    python benchmarks/counterfactual.py                 # the full table
    python benchmarks/counterfactual.py --quick         # a few seconds
    python benchmarks/counterfactual.py --device cuda   # adds the CUDA column when a GPU is there
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
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import torch

import causalworld as cw


@dataclass
class Args:
    sizes: list[int] = field(default_factory=lambda: [10, 50, 200])  # nodes of the random linear models
    rows: list[int] = field(default_factory=lambda: [1_000, 10_000, 100_000, 1_000_000])  # batch sizes
    mlp_nodes: int = 10  # nodes of the one MLP model (0: none)
    edges_per_node: float = 2.0  # expected edges per node (ER graphs)
    repeats: int = 300  # calls per single-query latency median (ours)
    dowhy_repeats: int = 30  # calls per single-query latency median (DoWhy)
    min_seconds: float = 0.3  # a batch timing repeats until it has run this long (3 calls at most)
    max_cells: int = 50_000_000  # skip batches with more rows x nodes than this (memory)
    dowhy_max_rows: int = 1_000_000  # DoWhy is timed up to this many rows (larger: ours only, e.g. CUDA)
    fit_rows: int = 10_000  # rows of data for SCM.fit against gcm.fit
    sample_rows: int = 10_000  # rows drawn by interventional_samples
    device: str = "cpu"  # "cuda" adds a CUDA column (skipped, with a note, when CUDA is unavailable)
    threads: int = 0  # threads for torch and for numpy's BLAS (0: their defaults)
    seed: int = 0  # seed of the models and the data
    out: str = "benchmarks/results/counterfactual.json"  # where the JSON goes ("" for nowhere)


def parse_args(argv: list[str] | None = None) -> Args:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    d = Args()
    p.add_argument("--sizes", type=int, nargs="+", default=None, help=f"default {d.sizes}")
    p.add_argument("--rows", type=int, nargs="+", default=None, help=f"default {d.rows}")
    p.add_argument("--mlp-nodes", type=int, default=None, help=f"default {d.mlp_nodes}")
    p.add_argument("--repeats", type=int, default=d.repeats)
    p.add_argument("--dowhy-repeats", type=int, default=d.dowhy_repeats)
    p.add_argument("--max-cells", type=int, default=d.max_cells)
    p.add_argument("--dowhy-max-rows", type=int, default=d.dowhy_max_rows)
    p.add_argument("--fit-rows", type=int, default=d.fit_rows)
    p.add_argument("--sample-rows", type=int, default=d.sample_rows)
    p.add_argument("--device", choices=["cpu", "cuda"], default=d.device)
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--out", default=d.out)
    p.add_argument("--quick", action="store_true", help="tiny settings: a smoke run in a few seconds")
    ns = vars(p.parse_args(argv))
    quick = ns.pop("quick")
    if quick:  # tiny defaults; explicit flags still win
        ns.update(repeats=20, dowhy_repeats=3, fit_rows=300, sample_rows=300)
        ns["sizes"] = ns["sizes"] or [5]
        ns["rows"] = ns["rows"] or [200]
        ns["mlp_nodes"] = 0 if ns["mlp_nodes"] is None else ns["mlp_nodes"]
    args = Args(**{k: v for k, v in ns.items() if v is not None})
    if quick:
        args.min_seconds = 0.0
    return args


# ------------------------------------------------------------------------------------- timing
def median_time(fn: Callable[[], object], repeats: int, sync: Callable[[], None] = lambda: None) -> float:
    """Median seconds of ``repeats`` calls (after one warm-up call)."""
    fn()
    sync()
    times = []
    for _ in range(max(1, repeats)):
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def batch_time(fn: Callable[[], object], min_seconds: float, sync: Callable[[], None] = lambda: None) -> float:
    """Median seconds of a large call: one warm-up, then up to 3 timed calls or ``min_seconds``."""
    t = time.perf_counter()
    fn()
    sync()
    first = time.perf_counter() - t
    times = []
    while len(times) < 3 and (not times or sum(times) + first < min_seconds):
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def max_rel_diff(ours: pd.DataFrame | dict, theirs: pd.DataFrame, columns) -> float:
    worst = 0.0
    for c in columns:
        a = ours[c].detach().cpu().numpy() if isinstance(ours[c], torch.Tensor) else ours[c].to_numpy()
        b = theirs[c].to_numpy(dtype=np.float64)
        worst = max(worst, float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0))))
    return worst


def machine() -> dict:
    import dowhy

    info = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "dowhy": dowhy.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        if names:
            info["processor"] = names[0]
    except OSError:
        pass
    return info


def peaks() -> dict:
    """This machine's float64 matrix-product rate (FLOP/s), memory-copy bandwidth (bytes/s) and
    float64 tanh rate (values/s), measured here with the threads in use: the bounds each
    throughput row is set against."""
    a = torch.randn(1024, 1024, dtype=torch.float64)
    flops = 2 * 1024 ** 3 / median_time(lambda: a @ a, 5)
    src = torch.ones(32 * 2 ** 20, dtype=torch.float64)  # 256 MiB, copied into memory already touched
    dst = torch.zeros_like(src)
    bandwidth = 2 * src.numel() * 8 / median_time(lambda: dst.copy_(src), 5)  # read + write
    h = torch.randn(16, 16384, dtype=torch.float64)  # one cache-sized block of hidden units
    out = torch.empty_like(h)
    tanh = h.numel() / median_time(lambda: torch.tanh(h, out=out), 20)
    return {"fp64_flops": flops, "copy_bytes_per_s": bandwidth, "tanh_per_s": tanh}


def bound_rows_per_s(scm: cw.SCM, peak: dict, target: str) -> float:
    """The most rows/s a counterfactual under ``do(target)`` can reach here: it reads and writes
    every variable of a row (float64, 16 bytes each). A linear model adds a few flops per moved
    value (no bound of its own); the MLP of each variable the intervention moves (``target``'s
    descendants) adds two forward passes (abduction and prediction): their matrix products and,
    the tighter bound on this CPU, their tanh values."""
    d = len(scm.variables)
    bound = peak["copy_bytes_per_s"] / (16 * d)
    moved = nx.descendants(scm.graph, target)
    mlps = [m for v, m in scm.mechanisms.items() if v in moved and isinstance(m, cw.AdditiveNoiseMLP)]
    if mlps:
        flops = sum(2 * 2 * sum(lin.in_features * lin.out_features for lin in m._linears) for m in mlps)
        activations = sum(2 * sum(lin.out_features for lin in m._linears[:-1]) for m in mlps)
        bound = min(bound, peak["fp64_flops"] / flops, peak["tanh_per_s"] / activations)
    return bound


def native_dowhy(scm: cw.SCM, args: Args):
    """The model a DoWhy user has: the same graph, fitted with ``gcm.fit`` on data drawn from the
    truth (sklearn ``LinearRegression`` or ``MLPRegressor`` per non-root, empirical roots)."""
    from dowhy import gcm
    from dowhy.gcm.ml import SklearnRegressionModel
    from sklearn.linear_model import LinearRegression
    from sklearn.neural_network import MLPRegressor

    data = scm.to_frame(scm.sample(args.fit_rows, seed=args.seed + 3))
    model = gcm.InvertibleStructuralCausalModel(nx.DiGraph(scm.graph))
    mlp = any(isinstance(m, cw.AdditiveNoiseMLP) for m in scm.mechanisms.values())
    for v in scm.graph.nodes:
        if scm.graph.in_degree(v) == 0:
            model.set_causal_mechanism(v, gcm.EmpiricalDistribution())
        else:
            reg = MLPRegressor(hidden_layer_sizes=(16,), max_iter=200, random_state=0) if mlp else LinearRegression()
            model.set_causal_mechanism(v, gcm.AdditiveNoiseModel(SklearnRegressionModel(reg)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gcm.fit(model, data)
    return model


# ------------------------------------------------------------------------------------- the loop
def bench_model(name: str, scm: cw.SCM, args: Args, cuda: bool, peak: dict) -> list[dict]:
    from dowhy import gcm

    model = scm.to_dowhy()
    native = native_dowhy(scm, args)
    target = scm.variables[0]  # a root: every descendant changes
    bound = bound_rows_per_s(scm, peak, target)
    do, ivs = {target: 1.0}, {target: lambda x: 1.0}
    rows: list[dict] = []

    def record(metric: str, unit: str, ours: float | None, dowhy: float | None, *, cuda_value: float | None = None,
               better: str = "lower", check: float | None = None, native: float | None = None) -> None:
        def over(theirs: float | None) -> float | None:
            if ours is None or theirs is None:
                return None
            return theirs / ours if better == "lower" else ours / theirs

        rows.append({"model": name, "metric": metric, "unit": unit, "ours": ours, "dowhy": dowhy, "ratio": over(dowhy),
                     "dowhy_native": native, "ratio_native": over(native), "cuda": cuda_value, "max_rel_diff": check,
                     "of_bound": ours / bound if unit == "rows/s" and ours is not None else None})

    # -- single-query latency (one observed row)
    one = scm.sample(1, seed=args.seed)
    one_df = scm.to_frame(one)
    check = max_rel_diff(scm.counterfactual(one, do), gcm.counterfactual_samples(model, ivs, observed_data=one_df),
                         scm.variables)
    t_tensor = median_time(lambda: scm.counterfactual(one, do), args.repeats)
    t_frame = median_time(lambda: cw.counterfactual_samples(scm, ivs, observed_data=one_df), args.repeats)
    t_dowhy = median_time(lambda: gcm.counterfactual_samples(model, ivs, observed_data=one_df), args.dowhy_repeats)
    t_native = median_time(lambda: gcm.counterfactual_samples(native, ivs, observed_data=one_df), args.dowhy_repeats)
    t_cuda = None
    if cuda:
        gpu = scm.to("cuda")
        one_gpu = {k: v.cuda() for k, v in one.items()}
        t_cuda = median_time(lambda: gpu.counterfactual(one_gpu, do), args.repeats, torch.cuda.synchronize)
    record("latency, 1 row, tensors (us)", "us", t_tensor * 1e6, t_dowhy * 1e6,
           cuda_value=None if t_cuda is None else t_cuda * 1e6, check=check, native=t_native * 1e6)
    record("latency, 1 row, DataFrames (us)", "us", t_frame * 1e6, t_dowhy * 1e6, check=check, native=t_native * 1e6)

    # -- batch throughput
    for n in args.rows:
        if n * len(scm.variables) > args.max_cells:
            print(f"  {name}: skipping {n:,} rows ({n * len(scm.variables):,} cells > --max-cells)", flush=True)
            continue
        obs = scm.sample(n, seed=args.seed + 1)
        df = scm.to_frame(obs)
        head = min(n, 10_000)  # answers are checked against DoWhy's on the first rows
        theirs = gcm.counterfactual_samples(model, ivs, observed_data=df.iloc[:head])
        check = max(max_rel_diff({k: v[:head] for k, v in scm.counterfactual(obs, do).items()}, theirs, scm.variables),
                    max_rel_diff(cw.counterfactual_samples(scm, ivs, observed_data=df).iloc[:head], theirs,
                                 scm.variables))
        del theirs
        t_tensor = batch_time(lambda: scm.counterfactual(obs, do), args.min_seconds)
        t_frame = batch_time(lambda: cw.counterfactual_samples(scm, ivs, observed_data=df), args.min_seconds)
        t_dowhy = t_native = None
        if n <= args.dowhy_max_rows:
            t_dowhy = batch_time(lambda: gcm.counterfactual_samples(model, ivs, observed_data=df), args.min_seconds)
            t_native = batch_time(lambda: gcm.counterfactual_samples(native, ivs, observed_data=df), args.min_seconds)
        t_cuda = None
        if cuda:
            obs_gpu = {k: v.cuda() for k, v in obs.items()}
            t_cuda = batch_time(lambda: gpu.counterfactual(obs_gpu, do), args.min_seconds, torch.cuda.synchronize)
            del obs_gpu
        dowhy_rate = None if t_dowhy is None else n / t_dowhy
        native_rate = None if t_native is None else n / t_native
        record(f"throughput, {n:,} rows, tensors (rows/s)", "rows/s", n / t_tensor, dowhy_rate,
               cuda_value=None if t_cuda is None else n / t_cuda, better="higher", check=check, native=native_rate)
        record(f"throughput, {n:,} rows, DataFrames (rows/s)", "rows/s", n / t_frame, dowhy_rate, better="higher",
               check=check, native=native_rate)
        del obs, df

    # -- interventional samples (drawn from the intervened model)
    n = args.sample_rows
    t_ours = batch_time(lambda: cw.interventional_samples(scm, ivs, num_samples_to_draw=n, seed=1), args.min_seconds)
    t_dowhy = batch_time(lambda: gcm.interventional_samples(model, ivs, num_samples_to_draw=n), args.min_seconds)
    record(f"interventional_samples, {n:,} rows (ms)", "ms", t_ours * 1e3, t_dowhy * 1e3)
    return rows


def bench_fit(name: str, scm: cw.SCM, args: Args) -> dict:
    from dowhy import gcm
    from dowhy.gcm.ml import SklearnRegressionModel
    from sklearn.linear_model import LinearRegression

    data = scm.to_frame(scm.sample(args.fit_rows, seed=args.seed + 2))
    graph = nx.DiGraph(scm.graph)

    def ours() -> cw.SCM:
        return cw.SCM.fit(graph, data, "linear", progress=False)

    def theirs():
        model = gcm.InvertibleStructuralCausalModel(nx.DiGraph(graph))
        for v in graph.nodes:
            if graph.in_degree(v) == 0:
                model.set_causal_mechanism(v, gcm.ScipyDistribution(__import__("scipy").stats.norm))
            else:
                model.set_causal_mechanism(v, gcm.AdditiveNoiseModel(SklearnRegressionModel(LinearRegression())))
        gcm.fit(model, data)
        return model

    fitted, model = ours(), theirs()
    # the same model class on both sides: the fitted weights agree (least squares both ways)
    back = cw.SCM.from_dowhy(model)
    check = float((fitted.weights() - back.weights()).abs().to_numpy().max())
    t_ours = batch_time(ours, args.min_seconds)
    t_dowhy = batch_time(theirs, args.min_seconds)
    return {"model": name, "metric": f"fit linear, {args.fit_rows:,} rows (ms)", "unit": "ms", "ours": t_ours * 1e3,
            "dowhy": t_dowhy * 1e3, "ratio": t_dowhy / t_ours, "dowhy_native": None, "ratio_native": None,
            "cuda": None, "max_rel_diff": check, "of_bound": None}


def fmt(x: float | None, unit: str) -> str:
    if x is None:
        return "-"
    if unit == "rows/s":
        return f"{x / 1e6:,.2f} M" if x >= 1e5 else f"{x:,.0f}"
    return f"{x:,.1f}"


def print_table(rows: list[dict], cuda: bool) -> None:
    head = (["model", "metric", "ours", "dowhy", "ratio", "native", "ratio"] + (["cuda"] if cuda else [])
            + ["of bound", "max rel diff"])
    lines = []
    for r in rows:
        line = [r["model"], r["metric"], fmt(r["ours"], r["unit"]), fmt(r["dowhy"], r["unit"]),
                "-" if r["ratio"] is None else f"{r['ratio']:,.1f}x", fmt(r["dowhy_native"], r["unit"]),
                "-" if r["ratio_native"] is None else f"{r['ratio_native']:,.1f}x"]
        if cuda:
            line.append(fmt(r["cuda"], r["unit"]))
        line.append("-" if r["of_bound"] is None else f"{100 * r['of_bound']:.1f} %")
        line.append("-" if r["max_rel_diff"] is None else f"{r['max_rel_diff']:.1e}")
        lines.append(line)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    for i, line in enumerate([head] + lines):
        print(" | ".join(str(x).ljust(w) if j < 2 else str(x).rjust(w) for j, (x, w) in enumerate(zip(line, widths))))
        if i == 0:
            print("-+-".join("-" * w for w in widths))


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    from dowhy import gcm

    gcm.config.disable_progress_bars()
    warnings.filterwarnings("ignore", category=FutureWarning)
    if args.threads:  # the same limit for torch and for the BLAS under numpy, scipy and sklearn (DoWhy)
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(args.threads)
        threadpool_limits(args.threads)
    cuda = args.device == "cuda" and torch.cuda.is_available()
    if args.device == "cuda" and not cuda:
        print("CUDA is not available: the CUDA column is skipped")
    info = machine()
    peak = peaks()
    info.update(peak)
    print("machine:", ", ".join(f"{k}={v}" for k, v in info.items()))
    models = [(f"linear-{d}", cw.random_scm(d, edges_per_node=args.edges_per_node, mechanism="linear",
                                           seed=args.seed, dtype=torch.float64)) for d in args.sizes]
    if args.mlp_nodes:
        models.append((f"mlp-{args.mlp_nodes}", cw.random_scm(args.mlp_nodes, edges_per_node=args.edges_per_node,
                                                              mechanism="mlp", seed=args.seed, dtype=torch.float64)))
    rows: list[dict] = []
    for name, scm in models:
        print(f"{name}: {len(scm.variables)} nodes, {scm.graph.number_of_edges()} edges", flush=True)
        rows += bench_model(name, scm, args, cuda, peak)
        if name.startswith("linear"):
            rows.append(bench_fit(name, scm, args))
    print()
    print_table(rows, cuda)
    result = {"benchmark": "counterfactual", "args": asdict(args), "machine": info, "rows": rows}
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
        print(f"\nwrote {out}")
    return result


if __name__ == "__main__":
    main()
