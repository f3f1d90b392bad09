"""BIC and BGe local scores: checked against an independent computation (least squares, the
normal-Wishart predictive), score equivalence, and interventional masking."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import torch
from scipy.stats import multivariate_t

import causalworld as cw
from causalworld.discovery.graphs import MixedGraph, consistent_extension, essential_graph, meek_closure
from causalworld.discovery.scores import BGeScore, BICScore, make_score
from causalworld.errors import ArgumentError, InsufficientDataError, OutOfRangeError, ShapeError
from causalworld.scm.graph import to_adjacency


def _data(n: int = 300, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 1.5 * x + rng.normal(size=n)
    z = -0.7 * y + 0.3 * x + rng.normal(size=n)
    return np.stack([x, y, z], 1)


def test_bic_is_the_least_squares_gaussian_likelihood_minus_the_penalty():
    X = _data()
    s = BICScore(X, penalty=1.0)
    A = np.column_stack([X[:, [0, 1]], np.ones(len(X))])
    r = X[:, 2] - A @ np.linalg.lstsq(A, X[:, 2], rcond=None)[0]
    ll = -0.5 * len(X) * (np.log(2 * np.pi * (r @ r) / len(X)) + 1)
    assert s.local_one(2, [0, 1]) == pytest.approx(ll - 0.5 * 4 * np.log(len(X)), rel=1e-10)


def test_bge_equals_the_normal_wishart_marginal_likelihood_computed_row_by_row():
    X = _data(30, seed=1)
    s = BGeScore(torch.from_numpy(X))
    Xs, p = s.X, 3
    am, aw, t = s.alpha_mu, s.alpha_w, s.t
    nu = Xs.mean(0)
    total = 0.0
    for i in range(len(Xs)):  # the chain rule with the multivariate-t posterior predictive
        D = Xs[:i]
        n = i
        xbar = D.mean(0) if n else np.zeros(p)
        S = (D - xbar).T @ (D - xbar) if n else np.zeros((p, p))
        Tn = t * np.eye(p) + S + (am * n / (am + n)) * np.outer(nu - xbar, nu - xbar)
        df = aw + n - p + 1
        total += multivariate_t(loc=(am * nu + n * xbar) / (am + n), shape=Tn * (am + n + 1) / ((am + n) * df), df=df).logpdf(Xs[i])
    complete_dag = sum(s.local_one(j, list(range(j))) for j in range(p))
    assert complete_dag == pytest.approx(total, abs=1e-6)


@pytest.mark.parametrize("name", ["bic", "bge"])
def test_markov_equivalent_dags_score_the_same(name):
    scm = cw.random_scm(6, edges_per_node=1.5, mechanism="linear", seed=3)
    data = scm.sample(400, seed=0)
    names = list(scm.variables)
    X = torch.stack([data[v].double() for v in names], 1)
    s = make_score(name, X)
    cp = essential_graph(nx.DiGraph(scm.graph))
    assert cp.undirected  # the class has several members
    u, v = sorted(cp.undirected)[0]
    flipped = (v, u) if scm.graph.has_edge(u, v) else (u, v)  # against the true orientation
    other = consistent_extension(meek_closure(MixedGraph(cp.nodes, set(cp.directed) | {flipped}, cp.undirected - {(u, v)})))
    assert other is not None and set(other.edges) != set(scm.graph.edges)
    a1, a2 = to_adjacency(nx.DiGraph(scm.graph), names), to_adjacency(other, names)
    assert s.graph_score(a1) == pytest.approx(s.graph_score(a2), abs=1e-6)


def test_a_node_is_scored_only_on_rows_where_it_was_not_intervened():
    X = _data(200)
    mask = np.zeros_like(X, dtype=bool)
    mask[:50, 1] = True
    changed = X.copy()
    changed[:50, 1] = 100.0 + np.arange(50)  # wild values in the intervened rows of y
    a, b = BICScore(X, mask), BICScore(changed, mask)
    assert a.local_one(1, [0]) == pytest.approx(b.local_one(1, [0]), rel=1e-10)
    assert a.rows(1) == 150 and a.rows(0) == 200
    assert BICScore(X[50:]).local_one(1, [0]) == pytest.approx(a.local_one(1, [0]), rel=1e-10)
    assert a.local_one(2, [1]) != pytest.approx(b.local_one(2, [1]))  # z still sees y's set values


def test_batched_scores_match_one_at_a_time():
    X = _data(100)
    s = BGeScore(X)
    sets = np.array([[0, 1], [1, 0]])
    batch = s.local(2, sets)
    assert batch[0] == pytest.approx(batch[1]) == pytest.approx(s.local_one(2, [0, 1]))


def test_collinear_parents_still_score():
    rng = np.random.default_rng(0)
    x = rng.normal(size=100)
    X = np.stack([x, 2 * x, x + rng.normal(size=100)], 1)
    assert math.isfinite(BICScore(X).local_one(2, [0, 1]))


def test_bad_input_raises():
    with pytest.raises(ArgumentError, match="one of"):
        make_score("aic", _data())
    with pytest.raises(ShapeError):
        BICScore(np.zeros(5))
    with pytest.raises(ShapeError, match="mask"):
        BICScore(_data(), np.zeros((3, 3), dtype=bool))
    with pytest.raises(ArgumentError, match="itself"):
        BICScore(_data()).local_one(1, [1])
    with pytest.raises(OutOfRangeError):
        BICScore(_data(), penalty=0)
    with pytest.raises(OutOfRangeError):
        BGeScore(_data(), alpha_mu=-1)
    mask = np.zeros((300, 3), dtype=bool)
    mask[1:, 0] = True
    with pytest.raises(InsufficientDataError, match="not intervened"):
        BICScore(_data(), mask).local_one(0, [])
