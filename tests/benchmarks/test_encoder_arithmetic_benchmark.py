"""Smoke test of benchmarks/encoder_arithmetic.py: eager and compiled runs of one encoder, side by side."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "encoder_arithmetic.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("encoder_arithmetic_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the script loads
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_quick_run_times_eager_and_compiled_steps_of_the_same_run(bench, tmp_path, capsys):
    import causalworld.encoders.train as train

    out = tmp_path / "arithmetic.json"
    threads = torch.get_num_threads()
    try:
        # traced by dynamo and AOTAutograd without inductor's code generation (minutes on this CPU)
        report = bench.main(["--quick", "--worlds", "sprites", "--backend", "aot_eager", "--threads", "1", "--out", str(out)])
    finally:
        torch.set_num_threads(threads)
        torch._dynamo.reset()  # the compiled graphs stay out of the tests that follow
    assert train.COMPILE_BACKEND == "inductor"  # the benchmark puts the backend back
    rows = report["rows"]
    assert [r["arithmetic"] for r in rows] == ["eager", "compiled"] and rows[0]["ratio"] == 1.0
    assert all(r["ms_per_step"] > 0 and r["precision"] == "fp32" for r in rows)
    assert rows[1]["weight_gap"] < 1e-4  # four steps: the compiled run takes the eager run's steps
    assert "ratio = eager's time / this one's" in capsys.readouterr().out
    assert json.loads(out.read_text())["machine"]["device"] == "cpu"
    with pytest.raises(SystemExit):
        bench.parse_args(["--steps", "10", "--warmup", "10"])
