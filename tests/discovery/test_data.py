"""Turning data and targets into a Problem: every accepted targets form, and a typed error for
every kind of bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from causalworld.discovery.data import prepare, read_columns
from causalworld.discovery.knowledge import Knowledge
from causalworld.errors import (
    ArgumentError,
    DTypeError,
    InsufficientDataError,
    NonFiniteError,
    ShapeError,
    UnknownVariableError,
)


def _data(n: int = 20) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {v: torch.randn(n, generator=g, dtype=torch.float64) for v in "xyz"}


def test_targets_as_sets_mask_or_frame_give_the_same_problem():
    data = _data()
    sets = [set()] * 10 + [{"y"}] * 5 + [{"x", "z"}] * 5
    mask = np.zeros((20, 3), dtype=bool)
    mask[10:15, 1] = True
    mask[15:, [0, 2]] = True
    a = prepare(data, sets)
    b = prepare(pd.DataFrame({k: v.numpy() for k, v in data.items()}), torch.from_numpy(mask))
    c = prepare(data, pd.DataFrame(mask, columns=list("xyz")))
    assert torch.equal(a.mask, b.mask) and torch.equal(a.mask, c.mask)
    assert sorted(map(sorted, a.regimes)) == [[], ["x", "z"], ["y"]]
    assert a.observational().sum() == 10
    assert torch.equal(a.X, b.X)


def test_lagged_data_are_stacked_as_consecutive_time_pairs():
    x = torch.arange(12, dtype=torch.float64).reshape(3, 4)
    p = prepare({"x": x, "y": -x}, None, lags=1)
    assert p.context == ("x[t-1]", "y[t-1]") and p.names == ("x", "y")
    assert p.X.shape == (9, 4)
    assert p.X[0].tolist() == [0.0, -0.0, 1.0, -1.0] and p.X[3].tolist() == [4.0, -4.0, 5.0, -5.0]
    assert not p.allowed()[:, :2].any()  # nothing points back in time
    assert list(p.frame.columns)[:3] == ["x[0]", "y[0]", "x[1]"]
    per_step = np.zeros((3, 4, 2), dtype=bool)
    per_step[0, 2, 1] = True
    q = prepare({"x": x, "y": -x}, per_step, lags=1)
    assert q.mask[1].tolist() == [False, False, False, True]  # episode 0, step 2, y intervened


@pytest.mark.parametrize(
    "data, targets, kwargs, error, match",
    [
        ({}, None, {}, InsufficientDataError, "no columns"),
        ({"x": torch.zeros(0), "y": torch.zeros(0)}, None, {}, InsufficientDataError, "no rows"),
        ({"x": [1.0, float("nan"), 2.0, 3.0], "y": [1.0, 2.0, 3.0, 5.0]}, None, {}, NonFiniteError, "NaN"),
        ({"x": [1.0, 1.0, 1.0, 1.0, 1.0], "y": [1.0, 2.0, 3.0, 5.0, 0.0]}, None, {}, InsufficientDataError, "constant"),
        ({"x": [1.0, 2.0, 4.0], "y": [1.0, 2.0, 3.0]}, None, {"min_rows": 5}, InsufficientDataError, "at least 5"),
        ({"x": [1, 2, 3, 4], "y": [1.0, 2.0, 3.0, 5.0]}, None, {}, DTypeError, "astype\\(float\\)"),
        ({"x": pd.Series(["a", "b", "a", "b"], dtype="category"), "y": [1.0, 2.0, 3.0, 5.0]}, None, {}, DTypeError, "categorical"),
        ({"x": [1.0, 2.0, 4.0, 3.0], "y": [1.0, 2.0, 3.0]}, None, {}, ShapeError, "rows"),
        ({"x": [1.0, 2.0, 4.0, 3.0], "y": [1.0, 2.0, 3.0, 0.0]}, [{"q"}, set(), set(), set()], {}, UnknownVariableError, "'q'"),
        ({"x": [1.0, 2.0, 4.0, 3.0], "y": [1.0, 2.0, 3.0, 0.0]}, None, {"lags": 2}, ArgumentError, "lags"),
        ({"x": [1.0, 2.0, 4.0, 3.0], "y": [1.0, 2.0, 3.0, 0.0]}, None, {"lags": 1}, ShapeError, "T"),
        ({"x": torch.ones(4, 3), "y": torch.ones(4, 3)}, None, {}, ShapeError, "lags=1"),
        ({"x": [1.0, 2.0, 4.0, 3.0], "y": [1.0, 2.0, 3.0, 0.0]}, None, {"knowledge": Knowledge(forbidden=[("x", "w")])},
         UnknownVariableError, "'w'"),
        ("not a table", None, {}, DTypeError, "DataFrame"),
    ],
)
def test_bad_input_gets_a_typed_error(data, targets, kwargs, error, match):
    with pytest.raises(error, match=match):
        prepare(data, targets, **kwargs)


def test_a_variable_intervened_in_almost_every_row_is_refused():
    data = _data(10)
    with pytest.raises(InsufficientDataError, match="'y' has 2 row"):
        prepare(data, [{"y"}] * 8 + [set()] * 2, min_rows=5)


def test_read_columns_keeps_order_and_float64():
    cols = read_columns(pd.DataFrame({"b": [1.5, 2.0], "a": [0.0, 1.0]}), allow_2d=False)
    assert list(cols) == ["b", "a"] and cols["a"].dtype == torch.float64


@pytest.mark.parametrize("scale, words", [(1e300, "overflow"), (1e160, "overflow"), (1e-300, "underflow")])
def test_every_learner_refuses_values_it_cannot_square(scale, words):
    # Values near 1e300 (or 1e160, whose Gram matrix overflows) used to give NaN scores: an empty
    # graph with infinite noise, or a search that never ended; near 1e-300 "constant". Now the
    # column is named with the fix, before any search.
    import causalworld as cw
    from causalworld.discovery import LEARNERS
    from causalworld.errors import OutOfRangeError

    truth = cw.random_scm(3, seed=0, dtype=torch.float64)
    data = truth.sample(200, seed=0)
    data["x0"] = data["x0"] * scale
    assert len(LEARNERS) >= 5
    for name, cls in LEARNERS.items():
        learner = cls(progress=False) if "progress" in cls().get_params() else cls()
        with pytest.raises(OutOfRangeError, match=rf"'x0' has values .*{words}.*rescale"):
            learner.fit(data)
