"""Serving: counterfactual queries over loopback HTTP against the same queries through the Python API.

A random linear SCM (float64) is saved and served by ``python -m causalworld serve`` in a
subprocess on a free loopback port (``--in-process``: by uvicorn in a thread of this process,
which starts at once but shares the clients' GIL; the smoke test uses it). For each batch size, ``clients`` threads each send
``Client.counterfactual(observed, do)`` requests back to back for ``seconds``; the same process
then times ``scm.counterfactual(observed, do)`` on the same DataFrame in one thread. The HTTP
answer is checked against the Python one before anything is timed. Prints requests/s and rows/s
with the ratio (Python over HTTP: how many times the Python API is faster) and writes JSON.

    python benchmarks/serve.py            # the full table (about a minute)
    python benchmarks/serve.py --quick    # a few seconds
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import causalworld as cw
from causalworld.client import Client
from causalworld.serve import create_app
from causalworld.serve.process import ServerProcess, free_port


@dataclass
class Args:
    nodes: int = 10  # variables of the random linear model served
    edges_per_node: float = 2.0  # expected edges per node (ER graph)
    rows: list[int] = field(default_factory=lambda: [1, 1_000])  # observed rows per request
    clients: list[int] = field(default_factory=lambda: [1, 8, 32])  # concurrent clients, each its own connection
    seconds: float = 3.0  # how long each (rows, clients) cell sends requests
    threads: int = 1  # torch threads of the server and of the Python API (0: torch's default)
    in_process: bool = False  # serve from a thread of this process (starts at once; shares this process's GIL)
    seed: int = 0  # seed of the model and the data
    out: str = "benchmarks/results/serve.json"  # where the JSON goes ("" for nowhere)


def parse_args(argv: list[str] | None = None) -> Args:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    d = Args()
    p.add_argument("--nodes", type=int, default=d.nodes)
    p.add_argument("--rows", type=int, nargs="+", default=None, help=f"default {d.rows}")
    p.add_argument("--clients", type=int, nargs="+", default=None, help=f"default {d.clients}")
    p.add_argument("--seconds", type=float, default=None, help=f"default {d.seconds}")
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--in-process", action="store_true", help="serve from a thread of this process, not a subprocess")
    p.add_argument("--out", default=d.out)
    p.add_argument("--quick", action="store_true", help="tiny settings: a smoke run in a few seconds")
    ns = vars(p.parse_args(argv))
    if ns.pop("quick"):  # tiny defaults; explicit flags still win
        ns["rows"] = ns["rows"] or [1, 50]
        ns["clients"] = ns["clients"] or [1, 4]
        ns["seconds"] = ns["seconds"] or 0.3
        ns["nodes"] = min(ns["nodes"], 5)
    return Args(**{k: v for k, v in ns.items() if v is not None})


def machine() -> dict:
    import fastapi
    import httpx
    import uvicorn

    info = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "fastapi": fastapi.__version__,
        "uvicorn": uvicorn.__version__,
        "httpx": httpx.__version__,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        if names:
            info["processor"] = names[0]
    except OSError:
        pass
    return info


# ------------------------------------------------------------------------------------- timing
def http_rate(url: str, observed: pd.DataFrame, do: dict, clients: int, seconds: float) -> tuple[float, int]:
    """Requests per second of ``clients`` threads sending the query back to back for ``seconds``."""
    done = [0] * clients
    errors: list[BaseException] = []
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def work(i: int) -> None:
        with Client(url) as client:
            client.counterfactual(observed, do)  # warm the connection
            start.wait()
            try:
                while time.perf_counter() < stop_at[0]:
                    client.counterfactual(observed, do)
                    done[i] += 1
            except BaseException as e:  # noqa: BLE001 - reported after the threads end
                errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + 3600  # until every client is ready
    start.wait()
    t0 = time.perf_counter()
    stop_at[0] = t0 + seconds
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return sum(done) / elapsed, sum(done)


class ThreadServer:
    """uvicorn serving ``create_app(folder)`` from a thread of this process (``--in-process``)."""

    def __init__(self, folder: str, max_rows: int) -> None:
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(create_app(folder, max_rows=max_rows), host="127.0.0.1", port=self.port,
                                log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def ready(self, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the in-process server did not start")
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def python_rate(scm: cw.SCM, observed: pd.DataFrame, do: dict, seconds: float) -> float:
    """Calls per second of ``scm.counterfactual(observed, do)`` in one thread for ``seconds``."""
    scm.counterfactual(observed, do)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        scm.counterfactual(observed, do)
        n += 1
    return n / (time.perf_counter() - t0)


def check(client: Client, scm: cw.SCM, observed: pd.DataFrame, do: dict) -> float:
    ours = client.counterfactual(observed, do)
    theirs = scm.to_frame(scm.counterfactual(scm.as_tensors(observed), do))
    return max(float(np.max(np.abs(ours[v].to_numpy() - theirs[v].to_numpy()))) for v in scm.variables)


# ------------------------------------------------------------------------------------- the loop
def print_table(rows: list[dict]) -> None:
    head = ["rows/request", "clients", "HTTP req/s", "HTTP rows/s", "Python req/s", "Python rows/s", "Python/HTTP",
            "max abs diff"]
    lines = [[f"{r['rows']:,}", str(r["clients"]), f"{r['http_requests_per_s']:,.0f}", f"{r['http_rows_per_s']:,.0f}",
              f"{r['python_requests_per_s']:,.0f}", f"{r['python_rows_per_s']:,.0f}", f"{r['ratio']:,.1f}x",
              f"{r['max_abs_diff']:.1e}"] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *lines)]
    for i, line in enumerate([head] + lines):
        print(" | ".join(x.rjust(w) for x, w in zip(line, widths)))
        if i == 0:
            print("-+-".join("-" * w for w in widths))


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    info = machine()
    print("machine:", ", ".join(f"{k}={v}" for k, v in info.items()))
    scm = cw.random_scm(args.nodes, edges_per_node=args.edges_per_node, mechanism="linear", seed=args.seed,
                        dtype=torch.float64)
    do = {scm.variables[0]: 1.0}  # a root: every descendant changes
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as folder:
        scm.save(folder)
        env = {"OMP_NUM_THREADS": str(args.threads)} if args.threads else None
        server = (ThreadServer(folder, max(args.rows)) if args.in_process
                  else ServerProcess(folder, "--max-rows", str(max(args.rows)), env=env))
        try:
            url = server.ready()
            with Client(url) as client:
                for n in args.rows:
                    observed = scm.to_frame(scm.sample(n, seed=args.seed + 1))
                    diff = check(client, scm, observed, do)
                    py = python_rate(scm, observed, do, args.seconds)
                    for c in args.clients:
                        rate, count = http_rate(url, observed, do, c, args.seconds)
                        print(f"  {n:,} rows, {c} clients: {count} requests, {rate:,.0f}/s", flush=True)
                        rows.append({"rows": n, "clients": c, "requests": count, "http_requests_per_s": rate,
                                     "http_rows_per_s": rate * n, "python_requests_per_s": py,
                                     "python_rows_per_s": py * n, "ratio": py / rate, "max_abs_diff": diff})
        finally:
            server.stop()
    print()
    print_table(rows)
    result = {"benchmark": "serve", "args": asdict(args), "machine": info, "rows": rows}
    result["machine"]["load_average_after"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
        print(f"\nwrote {out}")
    return result


if __name__ == "__main__":
    main()
