"""Smoke test of benchmarks/voe.py: the quadruplets are what the docstring says (each impossible
video is made of the possible videos' frames or positions), and a quick run scores both encoders."""

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "voe.py"


@pytest.fixture(scope="module")
def voe():
    spec = importlib.util.spec_from_file_location("voe_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_impossible_videos_are_spliced_from_the_possible_ones(voe):
    _, (a, b, c, d) = voe.continuity(4, seed=0)
    h = voe.FRAMES // 2
    assert torch.equal(c[:, :h], a[:, :h]) and torch.equal(c[:, h:], b[:, h:])
    assert torch.equal(d[:, :h], b[:, :h]) and torch.equal(d[:, h:], a[:, h:])
    _, (a, empty, vanish, appear) = voe.permanence(4, seed=0)
    assert torch.equal(vanish[:, :h], a[:, :h]) and torch.equal(vanish[:, h:], empty[:, h:])
    assert torch.equal(appear[:, :h], empty[:, :h]) and torch.equal(appear[:, h:], a[:, h:])
    assert len(torch.unique(empty)) == len(torch.unique(empty[:, :1]))  # nothing moves on an empty table


def test_quick_run_scores_trained_and_random_weights(voe, capsys):
    threads = torch.get_num_threads()
    try:
        rows = voe.main(["--quick", "--n", "8", "--properties", "permanence", "--out", ""])
    finally:
        torch.set_num_threads(threads)
    assert [(r["property"], r["encoder"]) for r in rows] == [("permanence", "trained"), ("permanence", "random weights")]
    assert all(0.0 <= r["pairwise"] <= 1.0 and 0.0 <= r["auroc"] <= 1.0 for r in rows)
    assert "pairwise" in capsys.readouterr().out
