"""Smoke test of benchmarks/encoder_arithmetic.py: eager (sharded, whole-batch, one-thread) and compiled runs of one
encoder, side by side."""

import json

import pytest
import torch

from tests.benchmarks.scripts import benchmark_script


@pytest.fixture(scope="module")
def bench():
    with benchmark_script("encoder_arithmetic.py") as module:
        yield module


def test_quick_run_times_eager_and_compiled_steps_of_the_same_run(bench, tmp_path, capsys):
    import causalworld.encoders.train as train

    out = tmp_path / "arithmetic.json"
    try:
        # traced by dynamo and AOTAutograd without inductor's code generation (minutes on this CPU)
        report = bench.main(["--quick", "--worlds", "sprites", "--backend", "aot_eager", "--threads", "1", "--out", str(out)])
    finally:
        torch._dynamo.reset()  # the compiled graphs stay out of the tests that follow
    assert train.COMPILE_BACKEND == "inductor"  # the benchmark puts the backend back
    rows = report["rows"]
    assert [r["arithmetic"] for r in rows] == ["eager", "compiled", "eager, whole batch", "eager, 1 thread"]
    assert rows[0]["ratio"] == 1.0
    assert all(r["ms_per_step"] > 0 and r["precision"] == "fp32" for r in rows)
    assert rows[1]["weight_gap"] < 1e-4  # four steps: the compiled run takes the eager run's steps
    assert rows[2]["weight_gap"] < 1e-4  # the whole batch sums in another order
    assert rows[3]["weight_gap"] == 0.0  # the shards at one thread: the same bits
    assert "ratio = eager's time / this one's" in capsys.readouterr().out
    assert json.loads(out.read_text())["machine"]["device"] == "cpu"
    with pytest.raises(SystemExit):
        bench.parse_args(["--steps", "10", "--warmup", "9"])  # no step left to time
