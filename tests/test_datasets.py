"""The real data sets: read from the installed cdt package's files, in the shapes documented, and a
typed error naming the extra when the package is missing."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from causalworld import datasets
from causalworld.errors import MissingDependencyError


def test_tuebingen_pairs_are_the_99_bivariate_pairs_with_their_direction():
    pairs = datasets.tuebingen_pairs()
    assert len(pairs) == 99 and len({p.name for p in pairs}) == 99
    for p in pairs:
        assert list(p.data.columns) == ["A", "B"] and {p.cause, p.effect} == {"A", "B"}
        assert len(p.data) >= 94 and p.data.dtypes.eq(np.float64).all()
        assert np.isfinite(p.data.to_numpy()).all()
    assert max(len(p.data) for p in pairs) == 16_382


def test_sachs_is_the_pooled_cytometry_table_and_the_accepted_network():
    data, graph = datasets.sachs()
    assert data.shape == (7466, 11) and set(graph.nodes) == set(data.columns)
    assert graph.number_of_edges() == 18 and graph.has_edge("praf", "pmek") and graph.has_edge("PKA", "praf")
    assert (data.to_numpy() > 0).all()


def test_missing_package_names_the_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "cdt" else real(name, *a))
    with pytest.raises(MissingDependencyError, match=r"causalworld\[datasets\]"):
        datasets.sachs()
    with pytest.raises(ImportError):  # what code written for a missing package already catches
        datasets.tuebingen_pairs()
