"""Smoke test of benchmarks/worlds.py: it runs with tiny settings, checks the plain drawing
reproduces our frames, counts distinct frames only, and writes the table as JSON."""

import json

import pytest
import torch

from tests.benchmarks.scripts import benchmark_script


@pytest.fixture(scope="module")
def bench():
    with benchmark_script("worlds.py") as module:
        yield module


def test_quick_run_writes_the_table(bench, tmp_path, capsys):
    out = tmp_path / "worlds.json"
    result = bench.main(["--quick", "--batches", "2", "8", "--sizes", "32", "--threads", "1", "--out", str(out)])
    printed = capsys.readouterr().out
    assert "ours frames/s" in printed and "ratio" in printed
    saved = json.loads(out.read_text())
    assert saved["machine"]["cpu_count"] >= 1 and saved["machine"]["torch"]
    assert {(r["world"], r["n"]) for r in saved["rows"]} == {(w, n) for w in ("lights-v0", "sprites-v0") for n in (2, 8)}
    for row in saved["rows"]:
        assert row["ours"] > 0 and row["plain"] > 0 and row["ratio"] == pytest.approx(row["ours"] / row["plain"])
        assert row["plain_agrees"] >= 0.999  # the plain way draws the same frames
        # Continuous random values: every frame of every episode differs, so all are counted.
        assert row["distinct_frames"] == row["n"] * row["frames"]
    assert result["rows"] == saved["rows"]


def test_distinct_frames_ignores_repeats(bench):
    frames = torch.zeros(2, 3, 1, 4, 4, dtype=torch.uint8)
    frames[1, 2] = 9
    assert bench.distinct_frames(frames) == 2
    with pytest.raises(TypeError):
        bench.distinct_frames(frames.float())


def test_arguments(bench):
    args = bench.parse_args(["--worlds", "lights", "--batches", "1", "64"])
    assert args.worlds == ["lights"] and args.batches == [1, 64] and args.sizes == [32, 64]
    quick = bench.parse_args(["--quick"])
    assert quick.sizes == [32] and quick.batches == [1, 16]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_the_cuda_column(bench, capsys):
    result = bench.main(["--quick", "--batches", "2", "--sizes", "32", "--worlds", "lights", "--device", "cuda",
                         "--out", ""])
    assert "cuda" in capsys.readouterr().out.lower() and result["rows"]
