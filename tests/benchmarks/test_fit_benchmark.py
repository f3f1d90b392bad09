"""Smoke test of benchmarks/fit.py: tiny settings; the stacked fit gives the same mechanisms as
fitting one variable at a time, and the table is written as JSON."""

import json

import pytest

from tests.benchmarks.scripts import benchmark_script


@pytest.fixture(scope="module")
def bench():
    with benchmark_script("fit.py") as module:
        yield module


def test_quick_run_matches_the_loop_and_writes_json(bench, tmp_path, capsys):
    out = tmp_path / "fit.json"
    result = bench.main(["--quick", "--no-dowhy", "--out", str(out)])
    assert "ratio" in capsys.readouterr().out
    saved = json.loads(out.read_text())
    assert saved["machine"]["cpu_count"] >= 1
    assert [r["design"] for r in saved["rows"]] == ["six", "six", "mlp-5"]
    for row in result["rows"]:
        assert row["warm_s"] > 0 and row["loop_s"] > 0
        if row["design"] == "six":  # stacked or one variable at a time: the same mechanisms
            assert row["r2"] == pytest.approx(row["loop_r2"], abs=1e-6) and row["r2"] > 0.5
        else:
            assert row["cf_error"] == pytest.approx(row["loop_cf_error"], abs=1e-6)
