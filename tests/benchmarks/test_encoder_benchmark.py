"""Smoke test of benchmarks/encoder.py: every method trains within its budget on the same world,
is scored on held-out episodes, and the table is written as JSON with the machine."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "encoder.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("encoder_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_quick_run_writes_the_table(bench, tmp_path, capsys):
    out = tmp_path / "encoder.json"
    result = bench.main(["--quick", "--seconds", "2", "--methods", "ours", "autoencoder", "supervised",
                         "--test-episodes", "100", "--out", str(out)])
    assert "diag" in capsys.readouterr().out
    saved = json.loads(out.read_text())
    assert saved["machine"]["cpu_count"] >= 1 and [r["method"] for r in saved["rows"]] == ["ours", "autoencoder", "supervised"]
    for row in saved["rows"]:
        assert 0.0 <= row["mcc"] <= 1.0 and row["diag"] <= 1.0 and row["frames_per_s"] > 0
    assert result["rows"] == saved["rows"]
