"""Smoke test of benchmarks/discovery.py: a tiny grid runs every method, scores it against the
true graph, appends to the JSON file (a re-run replaces its records) and prints the table."""

import json

import pytest

from tests.benchmarks.scripts import benchmark_script


@pytest.fixture(scope="module")
def bench():
    with benchmark_script("discovery.py") as module:
        yield module


def test_tiny_grid_appends_runs_and_reports(bench, tmp_path, capsys):
    out = tmp_path / "discovery.json"
    tiny = ["--sizes", "4", "--graphs", "er", "--mechanisms", "linear", "--seeds", "1", "--n-obs", "200",
            "--n-int", "40", "--time-limit", "60", "--gradient", '{"max_steps": 200}', "--out", str(out)]
    bench.main(tiny)
    saved = json.loads(out.read_text())
    assert {r["method"] for r in saved["runs"]} == set(bench.METHODS)
    for r in saved["runs"]:
        assert r["nodes"] == 4 and r["shd"] >= 0 and 0 <= r["f1"] <= 1 and r["seconds"] > 0
        assert r["machine"]["cpu_count"] >= 1 and r["machine"]["torch"]
    bench.main(tiny[:-2] + ["--methods", "sortregress", "--first-seed", "1", "--out", str(out)])  # another seed
    bench.main(tiny[:-2] + ["--methods", "sortregress", "--out", str(out)])  # same key: replaced, not duplicated
    saved = json.loads(out.read_text())
    assert len(saved["runs"]) == len(bench.METHODS) + 1
    capsys.readouterr()
    bench.main(["--report", "--out", str(out)])
    table = capsys.readouterr().out
    assert "standardised" in table.lower() and "| 4 | ER-2 | linear | sortregress | 2 |" in table
