"""Smoke test of benchmarks/voe.py: the quadruplets are what the docstring says (each impossible
video is made of the possible videos' frames or positions), and a quick run scores both encoders."""


import pytest
import torch

from tests.benchmarks.scripts import benchmark_script


@pytest.fixture(scope="module")
def voe():
    with benchmark_script("voe.py") as module:
        yield module


def test_impossible_videos_are_spliced_from_the_possible_ones_behind_the_occluder(voe):
    # C = A then B, D = B then A, and the two possible videos are the same frame at the splice
    # (the ball behind the occluder, or absent): every pair of consecutive frames of C and D is
    # one of A or B, so only a model that remembers what went behind the occluder can tell.
    h = voe.FRAMES // 2
    for build in (voe.continuity, voe.permanence):
        _, (a, b, c, d) = build(16, seed=0)
        assert torch.equal(c[:, :h], a[:, :h]) and torch.equal(c[:, h:], b[:, h:])
        assert torch.equal(d[:, :h], b[:, :h]) and torch.equal(d[:, h:], a[:, h:])
        assert torch.equal(a[:, h - 1], b[:, h - 1])
        assert bool((a[:, 0] != b[:, 0]).flatten(1).any(1).all())  # the videos differ where the ball shows
        assert bool((a[:, -1] != b[:, -1]).flatten(1).any(1).all())
    _, (_, empty, _, _) = voe.permanence(4, seed=0)
    assert len(torch.unique(empty)) == len(torch.unique(empty[:, :1]))  # nothing moves on an empty table


def test_quick_run_scores_trained_and_random_weights(voe, capsys):
    rows = voe.main(["--quick", "--n", "8", "--properties", "permanence", "--out", ""])
    assert [(r["property"], r["encoder"]) for r in rows] == [("permanence", "trained"), ("permanence", "random weights (2 draws)")]
    assert all(0.0 <= r["pairwise"] <= 1.0 and 0.0 <= r["auroc"] <= 1.0 for r in rows)
    assert "pairwise" in capsys.readouterr().out
