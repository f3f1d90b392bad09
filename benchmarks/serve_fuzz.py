"""A longer schemathesis run against the HTTP API than the test suite's capped one.

The suite's ``tests/serve/test_schema.py`` draws 20 derandomised examples per operation; this
script draws ``--examples`` per operation (randomised unless ``--seed`` is given) against the
same kind of model (binary, labelled categorical, Gaussian and MLP mechanisms) and the same
checks: no 5xx, status codes, content types, answer bodies and headers as the schema says, and
every request the schema forbids refused with a 4xx. Prints one row per operation and the
failures, and records the machine.

    python benchmarks/serve_fuzz.py                 # 500 examples per operation (a few minutes)
    python benchmarks/serve_fuzz.py --examples 20   # about what the suite runs
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import schemathesis
import torch
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import causalworld as cw
from causalworld.scm.mechanisms import AdditiveNoiseMLP, Binary, Categorical, GaussianRoot
from causalworld.serve import create_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection]


def model() -> cw.SCM:
    torch.manual_seed(0)
    mechs = {"t": Binary(0, bias=0.3), "c": Categorical(1, 3, weight=[[0.0, 1.0, 2.0]]), "x": GaussianRoot(),
             "y": AdditiveNoiseMLP(2, hidden=(4,), noise_std=0.5)}
    return cw.SCM([("t", "c"), ("x", "y"), ("c", "y")], mechs, labels={"t": [False, True], "c": ["lo", "mid", "hi"]})


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=500, help="examples per operation")
    p.add_argument("--seed", type=int, default=None, help="derandomise with this seed")
    p.add_argument("--out", default="benchmarks/results/serve_fuzz.json")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    schema = schemathesis.openapi.from_asgi("/v1/openapi.json", create_app(model(), max_rows=500))
    rows = []
    for result in schema.get_all_operations():
        op = result.ok()
        failures: list[str] = []
        calls = 0

        @given(op.as_strategy())
        @settings(max_examples=a.examples, derandomize=a.seed is not None, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):  # noqa: ANN001 - a schemathesis Case
            nonlocal calls
            calls += 1
            try:
                case.call_and_validate(checks=CHECKS)
            except Exception as e:  # every failure is recorded, the run goes on
                failures.append(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")

        start = time.perf_counter()
        fuzz()
        rows.append({"operation": f"{op.method.upper()} {op.path}", "examples": calls, "failures": len(failures),
                     "first_failure": failures[0] if failures else "", "seconds": time.perf_counter() - start})
    print(f"machine: {platform.processor() or platform.machine()}, torch {torch.__version__}")
    print(f"{'operation':<40} {'examples':>8} {'failures':>8} {'seconds':>8}")
    for r in rows:
        print(f"{r['operation']:<40} {r['examples']:>8} {r['failures']:>8} {r['seconds']:>8.1f}  {r['first_failure']}")
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps({"settings": vars(a), "machine": platform.platform(), "rows": rows}, indent=1) + "\n")
    return rows


if __name__ == "__main__":
    main()
