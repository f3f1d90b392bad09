"""Target masks: rows grouped by their set of targets, against a plain dictionary grouping."""

import numpy as np

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
