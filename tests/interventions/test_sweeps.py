"""A sweep on a local Ray with 2 workers gives the rows its experiments give one by one; bad
configs fail before any task starts."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from causalworld.errors import ArgumentError, DTypeError
from interventions.sweeps import sweep

GRID = [{"world": "lights", "policy": p, "seed": 3, "rounds": 1, "episodes_per_round": 40, "image_size": 8}
        for p in ("random", "info-gain")]


def test_a_sweep_on_ray_equals_its_experiments_run_one_by_one():
    ray = pytest.importorskip("ray", reason="Ray is the [distributed] extra; make test installs it")
    try:
        on_ray = sweep(GRID, num_cpus=2, progress=False)
    finally:
        ray.shutdown()
    one_by_one = sweep(GRID, ray=False, progress=False)
    # Every column equal; a float metric to 1e-12: its last bit follows the BLAS thread count,
    # which a Ray worker and this process need not share (0.23713585828795178 against ...180).
    pd.testing.assert_frame_equal(on_ray.drop(columns="seconds"), one_by_one.drop(columns="seconds"),
                                  check_exact=False, rtol=1e-12, atol=0)
    assert list(on_ray["policy"]) == ["random", "info-gain"] and (on_ray["shd"] >= 0).all()


def test_bad_configs_fail_before_any_task(monkeypatch):
    with pytest.raises(ArgumentError, match="did you mean 'rounds'"):
        sweep([{"world": "lights", "round": 2}], ray=False)
    with pytest.raises(ArgumentError, match="needs a 'world'"):
        sweep([{"policy": "random"}], ray=False)
    with pytest.raises(DTypeError):
        sweep(["lights"], ray=False)
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    with pytest.raises(ArgumentError, match=r"causalworld\[distributed\]"):
        sweep(GRID, progress=False)
