"""Greedy hill climbing under the interventional BIC: finds the true graph, obeys the knowledge."""

import numpy as np
import torch

from causalworld import metrics
from causalworld.discovery.scores import BICScore
from causalworld.discovery.search import hill_climb


def _matrix(design, seed):
    truth, data, targets = design(seed)
    names = list(truth.variables)
    X = torch.stack([data[v] for v in names], 1)
    mask = np.array([[v in t for v in names] for t in targets])
    return truth, names, X, mask


def test_from_the_empty_graph_it_finds_the_true_dag(design):
    import networkx as nx

    for seed in range(3):
        truth, names, X, mask = _matrix(design, seed)
        A, timed_out = hill_climb(BICScore(X, mask), np.zeros((len(names),) * 2, bool))
        g = nx.relabel_nodes(nx.DiGraph(A), dict(enumerate(names)))
        assert not timed_out and nx.is_directed_acyclic_graph(g)
        assert metrics.shd(truth.graph, g) <= 1


def test_knowledge_is_never_contradicted(design):
    truth, names, X, mask = _matrix(design, 0)
    d = len(names)
    true = truth.adjacency().numpy().astype(bool)
    i, j = map(int, np.argwhere(true)[0])
    allowed = np.ones((d, d), bool)
    allowed[i, j] = False  # forbid a true edge
    required = np.zeros((d, d), bool)
    a, b = next((a, b) for a in range(d) for b in range(d) if a != b and not true[a, b] and not true[b, a]
                and truth.variables.index(truth.variables[a]) < truth.variables.index(truth.variables[b]))
    required[a, b] = True  # require an edge that is not there (forward in the causal order)
    start = required.copy()
    A, _ = hill_climb(BICScore(X, mask), start, allowed=allowed, required=required)
    assert not A[i, j] and A[a, b]
