"""Smoke test of benchmarks/counterfactual.py: it runs with tiny settings, checks our answers
against DoWhy's on the timed inputs, and writes the table as JSON."""

import json

import pytest
import torch

from tests.benchmarks.scripts import benchmark_script


@pytest.fixture(scope="module")
def bench():
    with benchmark_script("counterfactual.py") as module:
        yield module


def test_quick_run_agrees_with_dowhy_and_writes_json(bench, tmp_path, capsys):
    out = tmp_path / "cf.json"
    result = bench.main(["--quick", "--sizes", "4", "--rows", "50", "--mlp-nodes", "3", "--out", str(out)])
    printed = capsys.readouterr().out
    assert "latency, 1 row, tensors" in printed and "ratio" in printed
    saved = json.loads(out.read_text())
    assert saved["machine"]["cpu_count"] >= 1 and saved["machine"]["torch"]
    models = {r["model"] for r in saved["rows"]}
    assert models == {"linear-4", "mlp-3"}
    for row in saved["rows"]:
        assert row["ours"] > 0 and row["dowhy"] > 0
        assert row["ratio"] == pytest.approx(row["dowhy"] / row["ours"] if row["unit"] != "rows/s"
                                             else row["ours"] / row["dowhy"])
        if row["metric"].startswith(("latency", "throughput")):
            assert row["max_rel_diff"] < 1e-9  # the same answers as DoWhy on the timed inputs
            assert row["dowhy_native"] > 0  # and the model a DoWhy user fits, timed beside our export
        if row["metric"].startswith("fit"):
            assert row["max_rel_diff"] < 1e-6  # both least squares: the same weights
        if row["unit"] == "rows/s":  # no row beats what the machine can do
            assert 0 < row["of_bound"] <= 1
    assert result["rows"] == saved["rows"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_the_cuda_column(bench, tmp_path):
    result = bench.main(["--quick", "--sizes", "4", "--rows", "50", "--device", "cuda", "--out", ""])
    tensor_rows = [r for r in result["rows"] if "tensors" in r["metric"]]
    assert tensor_rows and all(r["cuda"] > 0 for r in tensor_rows)


def test_arguments(bench):
    args = bench.parse_args(["--sizes", "10", "50", "--rows", "1000", "--device", "cpu"])
    assert args.sizes == [10, 50] and args.rows == [1000] and args.mlp_nodes == 10
    quick = bench.parse_args(["--quick"])
    assert quick.sizes == [5] and quick.rows == [200] and quick.mlp_nodes == 0
