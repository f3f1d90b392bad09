"""random_scm / random_dag: edge density, weight ranges, reproducibility."""

import networkx as nx
import numpy as np
import pytest
import torch

import causalworld as cw
from causalworld.errors import ArgumentError


@pytest.mark.parametrize("kind", ["er", "sf"])
def test_expected_edges_is_k_times_n(kind):
    counts = [cw.random_dag(40, edges_per_node=2.0, graph=kind, seed=s).number_of_edges() for s in range(20)]
    assert abs(np.mean(counts) - 80) < 8


def test_dags_and_weights_in_range_with_random_sign():
    scm = cw.random_scm(30, edges_per_node=2.0, mechanism="linear", weight_range=(0.5, 2.0), seed=0)
    assert nx.is_directed_acyclic_graph(scm.graph)
    W = scm.weights().to_numpy()
    w = W[W != 0]
    assert np.all((np.abs(w) >= 0.5) & (np.abs(w) <= 2.0))
    assert (w > 0).any() and (w < 0).any()


def test_causal_order_is_not_the_name_order():
    orders = {cw.random_scm(6, seed=s).variables for s in range(10)}
    assert len(orders) > 1


def test_same_seed_same_model():
    a, b = cw.random_scm(10, mechanism="mlp", seed=3), cw.random_scm(10, mechanism="mlp", seed=3)
    assert a.variables == b.variables and set(a.graph.edges) == set(b.graph.edges)
    sa, sb = a.sample(10, seed=0), b.sample(10, seed=0)
    assert all(torch.equal(sa[v], sb[v]) for v in a.variables)


def test_bad_arguments():
    with pytest.raises(ArgumentError):
        cw.random_scm(5, mechanism="quadratic")
    with pytest.raises(ArgumentError):
        cw.random_dag(5, graph="tree")
    with pytest.raises(cw.errors.OutOfRangeError):
        cw.random_dag(0)
