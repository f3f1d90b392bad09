"""Smoke test of benchmarks/real.py: a few pairs and the fast methods; the accuracies and the Sachs
table follow from the rows, the empty graph's SHD is the accepted network's 18 edges, and the
table is written as JSON."""

import json

import pytest

from tests.benchmarks.scripts import benchmark_script


@pytest.fixture(scope="module")
def bench():
    with benchmark_script("real.py") as module:
        yield module


def test_quick_run_scores_pairs_and_sachs_and_writes_json(bench, tmp_path, capsys):
    out = tmp_path / "real.json"
    bench.main(["--quick", "--pairs", "6", "--pair-methods", "exact-bic", "pc", "anm", "reci", "igci",
                "--out", str(out)])
    assert "Tübingen" in capsys.readouterr().out
    saved = json.loads(out.read_text())
    assert saved["machine"]["cpu_count"] >= 1
    pairs = {r["method"]: r for r in saved["rows"] if r["data"] == "tuebingen"}
    assert set(pairs) == {"exact-bic", "pc", "anm", "reci", "igci"}
    for r in pairs.values():
        assert r["right"] + r["undecided"] + r["wrong"] == r["pairs"] == 6
        assert r["accuracy"] == pytest.approx((r["right"] + 0.5 * r["undecided"]) / 6)
    # Two observed variables: the score-equivalent BIC and PC cannot orient, so every pair is 0.5.
    assert pairs["exact-bic"]["undecided"] == pairs["pc"]["undecided"] == 6
    sachs = {r["method"]: r for r in saved["rows"] if r["data"] == "sachs"}
    assert sachs["empty"]["shd"] == 18 and sachs["empty"]["edges"] == 0
    # The default's sparsity prior keeps fewer edges than the same learner without it.
    assert sachs["exact-bic"]["edges"] < sachs["exact-bic-plain"]["edges"]
