"""Target masks: rows grouped by their set of targets, against a plain dictionary grouping."""

import numpy as np
import torch

from causalworld.scm.targets import row_patterns


def test_row_patterns_group_rows_with_the_same_targets():
    mask = np.random.default_rng(0).random((500, 11)) < 0.15  # more than 8 columns: several packed bytes
    labels, first = row_patterns(mask)
    by_pattern: dict[tuple, list[int]] = {}
    for r, row in enumerate(mask):
        by_pattern.setdefault(tuple(row), []).append(r)
    assert len(first) == len(by_pattern)
    for rows in by_pattern.values():
        assert len(set(labels[rows])) == 1
        assert first[labels[rows[0]]] == rows[0]
    assert row_patterns(np.zeros((0, 3), bool))[0].shape == (0,)


def test_a_csv_targets_column_reads_names_separators_and_blanks():
    import pandas as pd
    import pytest

    from causalworld.errors import DTypeError, UnknownVariableError
    from causalworld.scm.targets import SEPARATOR, targets_mask

    column = pd.Series(["x", "", None, np.nan, f"x{SEPARATOR}y", " y "], name="intervened")
    expected = np.array([[1, 0], [0, 0], [0, 0], [0, 0], [1, 1], [0, 1]], bool)
    np.testing.assert_array_equal(targets_mask(column, ["x", "y"], 6), expected)
    # the same entries as a plain list, and '' in a list is an observational row, not a name
    np.testing.assert_array_equal(targets_mask(column.tolist(), ["x", "y"], 6), expected)
    with pytest.raises(UnknownVariableError, match="'z'"):
        targets_mask(pd.Series(["z"]), ["x", "y"], 1)
    with pytest.raises(DTypeError, match="targets entry"):
        targets_mask(pd.Series([3.5]), ["x", "y"], 1)


def test_fit_with_a_targets_column_skips_the_intervened_rows_as_a_mask_does():
    import pandas as pd

    import causalworld as cw

    truth = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5, dtype=torch.float64)
    data = truth.to_frame(truth.sample(600, seed=0))
    data.loc[:199, "y"] = 7.0  # set by an experiment: not the mechanism's doing
    data["intervened"] = ["y"] * 200 + [None] * 400
    by_column = cw.SCM.fit(truth.graph, data, "linear", targets=data["intervened"], progress=False)
    mask = np.zeros((600, 2), bool)
    mask[:200, 1] = True
    by_mask = cw.SCM.fit(truth.graph, data.drop(columns="intervened"), "linear", targets=mask, progress=False)
    pd.testing.assert_frame_equal(by_column.weights(), by_mask.weights())
    assert abs(by_column.weights().loc["x", "y"] - 2.0) < 0.1
