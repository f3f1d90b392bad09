"""Greedy hill climbing under the interventional BIC: finds the true graph, obeys the knowledge."""

import numpy as np
import pytest
import torch

from causalworld import metrics
from causalworld.discovery.scores import BICScore, RFFScore
from causalworld.discovery.search import hill_climb, order_search, pair_posterior
from causalworld.errors import ArgumentError


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


# ---------------------------------------------------------------------------- order_search
def _scale_free(seed: int, d: int = 20):
    """A scale-free linear SCM (hubs), 500 observational rows + 100 per single-node intervention."""
    import causalworld as cw

    truth = cw.random_scm(d, edges_per_node=2, graph="sf", mechanism="linear", seed=seed)
    g = torch.Generator().manual_seed(seed)
    parts, rows = [truth.sample(500, seed=seed)], [set()] * 500
    for k, v in enumerate(truth.variables):
        parts.append(truth.do({v: 2.0 * torch.randn(100, generator=g)}).sample(100, seed=100 + k))
        rows += [{v}] * 100
    names = list(truth.variables)
    X = torch.stack([torch.cat([p[v] for p in parts]) for v in names], 1).double()
    return truth, names, X, np.array([[v in r for v in names] for r in rows])


def _graph(A, names):
    import networkx as nx

    g = nx.DiGraph([(names[i], names[j]) for i, j in zip(*np.nonzero(A))])
    g.add_nodes_from(names)
    return g


def test_order_search_undoes_chains_of_reversed_edges_that_block_edge_moves():
    # Start from the true graph with every edge reversed (a DAG: the reverse order): single-edge
    # moves stay stuck far from the truth; moving variables in the order reaches it (and its
    # score), on the first three seeds.
    for seed in range(3):
        truth, names, X, mask = _scale_free(seed)
        score = BICScore(X, mask)
        reversed_truth = truth.adjacency().numpy().astype(bool).T
        stuck, _ = hill_climb(score, reversed_truth)
        found, timed_out = order_search(score, reversed_truth)
        found, _ = hill_climb(score, found)
        assert not timed_out
        assert metrics.shd(truth.graph, _graph(found, names)) <= 1
        assert metrics.shd(truth.graph, _graph(stuck, names)) > metrics.shd(truth.graph, _graph(found, names)) + 5
        assert score.graph_score(found) >= score.graph_score(truth.adjacency().numpy()) - 1.0  # the truth's score


def test_order_search_obeys_the_knowledge_and_the_deadline():
    truth, names, X, mask = _scale_free(0, d=10)
    d = len(names)
    true = truth.adjacency().numpy().astype(bool)
    i, j = map(int, np.argwhere(true)[0])
    allowed = np.ones((d, d), bool)
    allowed[i, j] = False
    required = np.zeros((d, d), bool)
    a, b = next((a, b) for a in range(d) for b in range(a + 1, d) if not true[a, b] and not true[b, a])
    required[a, b] = True
    A, _ = order_search(BICScore(X, mask), required.copy(), allowed=allowed, required=required)
    assert not A[i, j] and A[a, b]
    A, timed_out = order_search(BICScore(X, mask), true.T.copy(), deadline=0.0)  # already past: no move
    assert timed_out
    assert metrics.shd(truth.graph, _graph(A, names)) >= metrics.shd(truth.graph, _graph(true.T, names)) - 2


def test_a_start_that_breaks_the_knowledge_is_refused():
    import pytest

    from causalworld.errors import ArgumentError

    X = torch.randn(100, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    start = np.zeros((3, 3), bool)
    start[0, 1] = True
    allowed = np.ones((3, 3), bool)
    allowed[0, 1] = False
    required = np.zeros((3, 3), bool)
    required[1, 2] = True
    for search in (hill_climb, order_search):
        with pytest.raises(ArgumentError, match="knowledge"):
            search(BICScore(X), start, allowed=allowed)
        with pytest.raises(ArgumentError, match="knowledge"):
            search(BICScore(X), np.zeros((3, 3), bool), required=required)


def test_the_search_objective_is_what_the_searches_raise(design):
    from causalworld.discovery.search import search_objective

    truth, names, X, mask = _matrix(design, 1)
    score = BICScore(X, mask)
    start = np.zeros((len(names),) * 2, bool)
    A, _ = hill_climb(score, start)
    B, _ = order_search(score, A)
    assert search_objective(score, A) > search_objective(score, start)
    assert search_objective(score, B) >= search_objective(score, A) - 1e-9


def test_hill_climb_stops_within_a_round_at_the_deadline(monkeypatch):
    # One round scores every candidate move (p^2 regressions); the deadline is checked per node,
    # so a slow score cannot overshoot max_time by a whole round. The clock is the number of
    # local scores computed so far.
    from causalworld.discovery import search

    X = torch.randn(300, 12, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    score = BICScore(X)
    calls = []
    real = score.local

    def counted(node, parents):
        calls.append(node)
        return real(node, parents)

    monkeypatch.setattr(score, "local", counted)
    monkeypatch.setattr(search.time, "monotonic", lambda: float(len(calls)))
    A, timed_out = hill_climb(score, np.zeros((12, 12), bool), deadline=5.0)
    assert timed_out and not A.any()
    assert len(calls) <= 5 + 2 * 12  # at most one node's candidates past the deadline (a round: 12 * 11)


def test_shortlisted_edge_moves_reach_the_graph_of_exact_ones_with_fewer_regressions(nonlinear):
    # A 10-node MLP design under the RFF score, from the true graph with its edges into three
    # nodes removed: moves that score only 2 shortlisted additions per node exactly (the rest by
    # RFFScore.addition_gains) end where the exact moves do, at the true graph, with fewer
    # regressions; and pair_posterior with the same shortlist describes that graph.
    truth, names, X, mask = _matrix(lambda seed: nonlinear(seed, d=10, n_int=150), 2)
    true = truth.adjacency().numpy().astype(bool)
    start = true.copy()
    start[:, np.argsort(-true.sum(0))[:3]] = False  # the three nodes with the most parents lose them all
    found = {}
    for shortlist in (None, 2):
        score, memo = RFFScore(X, mask, seed=0, n_features=100), {}
        A, timed_out = hill_climb(score, start, cache=memo, shortlist=shortlist)
        regressions = sum(1 for key in memo if len(key) == 2)
        found[shortlist] = (A, regressions)
        assert not timed_out
        P = pair_posterior(score, A, cache=memo, shortlist=shortlist)
        adj = P + P.T
        assert (adj[A | A.T] >= 0.5).all() and (adj[~(A | A.T) & ~np.eye(10, dtype=bool)] < 0.5).all()
    assert metrics.shd(truth.graph, _graph(found[2][0], names)) == metrics.shd(truth.graph, _graph(found[None][0], names)) == 0
    assert found[2][1] < 0.65 * found[None][1]  # (at 100 variables ~1,500 regressions against over 10,000)


def test_a_shortlist_must_be_a_positive_int():
    X = torch.randn(100, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ArgumentError, match="shortlist"):
            hill_climb(BICScore(X), np.zeros((3, 3), bool), shortlist=bad)
