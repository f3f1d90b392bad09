"""Smoke test of benchmarks/serve.py: with tiny settings it serves a model, checks
the HTTP answers against the Python API's, times both, and writes the table as JSON."""

import json

import pytest

from tests.benchmarks.scripts import benchmark_script


@pytest.fixture(scope="module")
def bench():
    with benchmark_script("serve.py") as module:
        yield module


def test_quick_run_agrees_with_the_python_api_and_writes_json(bench, tmp_path, capsys):
    out = tmp_path / "serve.json"
    # a server in a thread of this process: the subprocess would spend seconds importing torch again;
    # the subprocess server itself is what tests/test_client.py starts
    result = bench.main(["--quick", "--in-process", "--rows", "1", "20", "--clients", "1", "3", "--seconds", "0.2",
                         "--out", str(out)])
    printed = capsys.readouterr().out
    assert "Python/HTTP" in printed and "machine:" in printed
    saved = json.loads(out.read_text())
    assert saved["machine"]["cpu_count"] >= 1 and saved["args"]["clients"] == [1, 3]
    assert [(r["rows"], r["clients"]) for r in saved["rows"]] == [(1, 1), (1, 3), (20, 1), (20, 3)]
    for row in saved["rows"]:
        assert row["max_abs_diff"] < 1e-12  # the served answer is the library's
        assert row["requests"] >= 1 and row["http_requests_per_s"] > 0 and row["python_requests_per_s"] > 0
        assert row["http_rows_per_s"] == pytest.approx(row["http_requests_per_s"] * row["rows"])
        assert row["ratio"] == pytest.approx(row["python_requests_per_s"] / row["http_requests_per_s"])
    assert result["rows"] == saved["rows"]


def test_arguments(bench):
    args = bench.parse_args(["--rows", "10", "--clients", "2"])
    assert args.rows == [10] and args.clients == [2] and args.seconds == 3.0
    quick = bench.parse_args(["--quick"])
    assert quick.rows == [1, 50] and quick.clients == [1, 4] and quick.seconds == 0.3 and not quick.in_process
