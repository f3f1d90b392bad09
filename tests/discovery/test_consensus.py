"""The median-probability graph: its adjacencies are exactly the pairs of probability >= 0.5, it is
acyclic, and it obeys the knowledge, for any probability matrix."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalworld.discovery.consensus import adjacency_probs, median_graph
from causalworld.errors import ShapeError


@st.composite
def edge_probs(draw):
    """A ``[p, p]`` matrix of edge probabilities with ``P[a, b] + P[b, a] <= 1``, zero diagonal,
    ties at 0.5 included."""
    p = draw(st.integers(1, 7))
    grid = st.sampled_from([0.0, 0.1, 0.25, 0.3, 0.5, 0.7, 1.0])
    P = np.zeros((p, p))
    for a in range(p):
        for b in range(a + 1, p):
            total = draw(grid)
            share = draw(grid)
            P[a, b], P[b, a] = total * share, total * (1 - share)
    return P


@settings(max_examples=60, deadline=None)
@given(edge_probs())
def test_adjacencies_are_the_pairs_of_probability_at_least_one_half(P):
    A = median_graph(P)
    assert nx.is_directed_acyclic_graph(nx.DiGraph([(int(i), int(j)) for i, j in zip(*np.nonzero(A))]))
    off = ~np.eye(len(P), dtype=bool)
    assert np.array_equal((A | A.T)[off], (adjacency_probs(P) >= 0.5)[off])


def test_pairs_take_their_more_probable_orientation_unless_it_closes_a_cycle():
    # a -> b (0.9), b -> c (0.8), c -> a (0.6): the least probable one is turned round
    P = np.array([[0.0, 0.9, 0.4], [0.1, 0.0, 0.8], [0.6, 0.2, 0.0]])
    assert median_graph(P).astype(int).tolist() == [[0, 1, 1], [0, 0, 1], [0, 0, 0]]


def test_knowledge_is_obeyed():
    P = np.array([[0.0, 0.3], [0.6, 0.0]])  # b -> a is more probable, but forbidden
    allowed = np.array([[False, True], [False, False]])
    assert median_graph(P, allowed).astype(int).tolist() == [[0, 1], [0, 0]]
    required = np.array([[False, False], [True, False]])
    assert median_graph(np.zeros((2, 2)), required=required).astype(int).tolist() == [[0, 0], [1, 0]]


def test_a_non_square_matrix_is_refused():
    with pytest.raises(ShapeError, match="square"):
        median_graph(np.zeros((2, 3)))
