"""BIC, BGe and RFF local scores: checked against an independent computation (least squares, the
normal-Wishart predictive, leave-one-out refits), score equivalence, interventional masking, and
the true parents of nonlinear mechanisms."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest
import torch
from scipy.stats import multivariate_t

import causalworld as cw
from causalworld.discovery.graphs import MixedGraph, consistent_extension, essential_graph, meek_closure
from causalworld.discovery.scores import BGeScore, BICScore, LinearQuadraticScore, QuadraticBICScore, RFFScore, make_score
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


def test_quadratic_bic_is_the_bic_of_a_least_squares_fit_on_squares_and_products():
    # The score of each parent set is the Gaussian BIC of the regression of the node on its
    # parents, their squares and their pairwise products, on the rows where the node was not
    # intervened; a binary parent's square is the parent itself and is not counted twice.
    rng = np.random.default_rng(3)
    n = 400
    switch = rng.integers(0, 2, n).astype(float)
    dimmer = rng.uniform(0, 1, n)
    angle = rng.uniform(0, np.pi, n)
    lamp = switch * dimmer + 0.05 * rng.normal(size=n)
    sensor = np.cos(angle) ** 2 * lamp + 0.05 * rng.normal(size=n)
    X = np.stack([switch, dimmer, angle, lamp, sensor], 1)
    mask = np.zeros_like(X, dtype=bool)
    mask[:80, 4] = True
    s = QuadraticBICScore(X, mask)

    def bic(node, parents):
        rows = ~mask[:, node]
        P = X[rows][:, parents]
        cols = [np.ones(rows.sum()), *P.T, *(P[:, [a]] ** 2 for a in range(len(parents)) if parents[a] != 0),
                *(P[:, a] * P[:, b] for a, b in itertools.combinations(range(len(parents)), 2))]
        A = np.column_stack(cols)
        r = X[rows, node] - A @ np.linalg.lstsq(A, X[rows, node], rcond=None)[0]
        m = rows.sum()
        return -0.5 * m * (np.log(2 * np.pi * (r @ r) / m) + 1) - 0.5 * (A.shape[1] + 1) * np.log(m)

    for node, parents in [(3, [0, 1]), (4, [2, 3]), (4, [0, 2, 3]), (4, []), (3, [2])]:
        assert s.local_one(node, parents) == pytest.approx(bic(node, parents), rel=1e-7), (node, parents)  # Cholesky ridge 1e-10
    batch = s.local(4, np.array([[2, 3], [3, 2], [0, 1]]))
    assert batch[0] == pytest.approx(batch[1]) and batch[2] == pytest.approx(s.local_one(4, [0, 1]))
    # what a line misses: cos^2 of the angle, and a switch that gates a dimmer
    linear = BICScore(X, mask)
    assert s.local_one(4, [2, 3]) - s.local_one(4, [3]) > 50 > linear.local_one(4, [2, 3]) - linear.local_one(4, [3])
    assert s.local_one(3, [0, 1]) - linear.local_one(3, [0, 1]) > 50
    assert make_score("quadratic", X, mask).local_one(4, [2, 3]) == s.local_one(4, [2, 3])


def test_linear_quadratic_score_averages_the_two_regressions_bic_per_parent_set():
    # log((exp(linear BIC) + exp(quadratic BIC)) / 2), each regression computed here by least
    # squares on the unintervened rows; with no parents the two are one regression.
    rng = np.random.default_rng(4)
    n = 300
    x = rng.normal(size=(n, 3))
    y = x @ [2.0, -1.5, 0.4] + 0.3 * x[:, 0] * x[:, 1] + rng.normal(size=n)
    X = np.column_stack([x, y])
    mask = np.zeros_like(X, dtype=bool)
    mask[:60, 3] = True
    rows = ~mask[:, 3]

    def bic(columns):
        A = np.column_stack([np.ones(rows.sum()), *columns])
        r = X[rows, 3] - A @ np.linalg.lstsq(A, X[rows, 3], rcond=None)[0]
        m = rows.sum()
        return -0.5 * m * (np.log(2 * np.pi * (r @ r) / m) + 1) - 0.5 * (A.shape[1] + 1) * np.log(m)

    s = LinearQuadraticScore(X, mask)
    for parents in ([0, 1, 2], [0, 2], [1]):
        P = X[rows][:, parents]
        linear = bic(P.T)
        quadratic = bic([*P.T, *(P ** 2).T, *(P[:, a] * P[:, b] for a, b in itertools.combinations(range(len(parents)), 2))])
        expected = np.logaddexp(linear, quadratic) - np.log(2)
        assert s.local_one(3, parents) == pytest.approx(expected, rel=1e-7), parents
    assert s.local_one(3, []) == pytest.approx(BICScore(X, mask).local_one(3, []), rel=1e-10)
    assert make_score("linear-quadratic", X, mask).local_one(3, [0, 1]) == s.local_one(3, [0, 1])


def test_linear_quadratic_score_keeps_a_weak_linear_parent_the_quadratic_score_drops():
    # Two strong parents and a weak one (4 % of the node's remaining variance): the quadratic
    # score charges the weak one for its square and two products and prefers the two strong
    # parents; the average keeps the line's penalty for it. A curve (cos^2) still counts.
    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=(n, 3))
    y = 3 * x[:, 0] + 3 * x[:, 1] + 0.2 * x[:, 2] + rng.normal(size=n)
    X = np.column_stack([x, y])
    avg, quad = LinearQuadraticScore(X), QuadraticBICScore(X)
    assert avg.local_one(3, [0, 1, 2]) > avg.local_one(3, [0, 1])
    assert quad.local_one(3, [0, 1, 2]) < quad.local_one(3, [0, 1])
    angle = rng.uniform(0, np.pi, n)
    Y = np.column_stack([angle, np.cos(angle) ** 2 + 0.1 * rng.normal(size=n)])
    curve, line = LinearQuadraticScore(Y), BICScore(Y)
    assert curve.local_one(1, [0]) - curve.local_one(1, []) > 50 > line.local_one(1, [0]) - line.local_one(1, [])


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


def test_soft_scores_add_one_fit_per_intervention_regime():
    # soft=True: the node's rows where it was intervened are scored too, each regime (rows with
    # the same targets) by its own least-squares fit; a regime with fewer than 20 rows is left out.
    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 3))
    X[:, 2] += 0.8 * X[:, 0]
    mask = np.zeros((400, 3), bool)
    mask[100:200, 2] = True  # regime {2}
    mask[200:260, [1, 2]] = True  # regime {1, 2}
    mask[260:270, 2] = mask[260:270, 0] = True  # regime {0, 2}: 10 rows, too few
    hard, soft = BICScore(X, mask), BICScore(X, mask, soft=True)

    def bic(rows, parents):
        A = np.column_stack([np.ones(len(rows)), X[np.ix_(rows, parents)]])
        r = X[rows, 2] - A @ np.linalg.lstsq(A, X[rows, 2], rcond=None)[0]
        n = len(rows)
        return -0.5 * n * (np.log(2 * np.pi * r @ r / n) + 1) - 0.5 * (len(parents) + 2) * np.log(n)

    for parents in ([], [0], [0, 1]):
        want = hard.local_one(2, parents) + bic(np.arange(100, 200), parents) + bic(np.arange(200, 260), parents)
        assert soft.local_one(2, parents) == pytest.approx(want, rel=1e-9)
    assert soft.local_one(0, [1]) == hard.local_one(0, [1])  # node 0: only 10 intervened rows
    # BGe: each regime is the marginal likelihood of its rows alone (same standardisation, same prior)
    bge, bge_soft = BGeScore(X, mask), BGeScore(X, mask, soft=True)
    Xs = X / X.std(0)
    for parents in ([], [0], [0, 1]):
        alone = sum(BGeScore(Xs[rows], standardize=False, alpha_w=bge.alpha_w).local_one(2, parents)
                    for rows in (np.arange(100, 200), np.arange(200, 260)))
        assert bge_soft.local_one(2, parents) == pytest.approx(bge.local_one(2, parents) + alone, rel=1e-9)
    assert bge_soft.local_one(0, []) == bge.local_one(0, [])
    # RFF: one leave-one-out regression per regime, each capped at max_rows rows like the free rows
    rff_soft = RFFScore(X, mask, soft=True, max_rows=80, seed=2)
    idx = np.array([[0, 1]])
    groups = rff_soft.soft_groups(2)
    assert [len(g) for g in groups] == [100, 60]
    capped = np.sort(np.random.default_rng([2, 2, 1]).choice(100, 80, replace=False))
    want = (rff_soft._loo(2, rff_soft._scored_rows(2), idx) + rff_soft._loo(2, groups[0][capped], idx)
            + rff_soft._loo(2, groups[1], idx))
    assert rff_soft.local(2, idx) == pytest.approx(want, rel=1e-12)
    with pytest.raises(ArgumentError, match="soft"):
        BICScore(X, mask, soft="yes")
    X[100:200, 2] = 1.5  # that regime now holds node 2 constant (a hard do): it is left out, not +inf
    assert BICScore(X, mask, soft=True).local_one(2, [0]) == pytest.approx(
        BICScore(X, mask).local_one(2, [0]) + bic(np.arange(200, 260), [0]), rel=1e-9)


def test_soft_regimes_too_small_for_every_parent_set_are_left_out():
    # 25 noise columns and a 20-row regime on node 0: 19 parents would fit those rows almost
    # exactly (BIC: +131 nats over no parents). A regime needs two rows per possible parameter.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 25))
    mask = np.zeros((300, 25), bool)
    mask[:20, 0] = True
    s = BICScore(X, mask, soft=True)
    assert s.soft_groups(0) == []
    many = list(range(1, 20))
    assert s.local_one(0, many) < s.local_one(0, [])
    mask[:60, 0] = True  # 60 rows >= 2 * (25 + 1): counted
    assert [len(g) for g in BICScore(X, mask, soft=True).soft_groups(0)] == [60]


def test_soft_regimes_are_told_apart_by_the_current_step_only():
    # With lagged copies (the first ``context`` columns), a sustained intervention on x is one
    # regime whether or not x[t-1] was intervened too.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 4))  # x[t-1], y[t-1], x, y
    mask = np.zeros((400, 4), bool)
    mask[100:300, 2] = True
    mask[150:300, 0] = True  # the previous step was intervened too, from row 150 on
    assert [len(g) for g in BICScore(X, mask, soft=True, context=2).soft_groups(2)] == [200]
    assert sorted(len(g) for g in BICScore(X, mask, soft=True).soft_groups(2)) == [50, 150]
    with pytest.raises(OutOfRangeError, match="context"):
        BICScore(X, mask, context=5)


# ---------------------------------------------------------------------------- RFFScore
@pytest.mark.parametrize("lengthscale", ["auto", 1.0])
def test_rff_score_is_the_leave_one_out_likelihood_of_its_ridge_fit_refitted_row_by_row(lengthscale):
    # Independent of the hat-matrix shortcut: refit the ridge regression without each row in turn.
    rng = np.random.default_rng(3)
    n = 60
    x = rng.normal(size=(n, 2)) * [1.0, 3.0]
    y = np.tanh(x[:, 0] * x[:, 1]) + 0.2 * rng.normal(size=n)
    X = np.column_stack([x, y])
    s = RFFScore(X, n_features=12, ridge=(0.5,), penalty=1.0, seed=1, lengthscale=lengthscale)
    Z = (X - X.mean(0)) / X.std(0)
    D, k = 12, 2
    if lengthscale == "auto":  # each parent's median distance between two rows (all 1,770 pairs here)
        i, j = np.triu_indices(n, 1)
        scale = np.array([np.median(np.abs(Z[i, c] - Z[j, c])) for c in range(2)])
    else:
        scale = np.full(2, lengthscale * np.sqrt(k))
    feats = np.column_stack([np.ones(n), Z[:, :2],
                             np.sqrt(2 / D) * np.cos(Z[:, :2] @ (s._w[[0, 1]] / scale[:, None]) + s._b)])
    target = Z[:, 2] - Z[:, 2].mean()
    lam = 0.5 * n / D
    loo = []
    for i in range(n):
        keep = np.arange(n) != i
        F = feats[keep]
        beta = np.linalg.solve(F.T @ F + lam * np.eye(F.shape[1]), F.T @ target[keep])
        loo.append(target[i] - feats[i] @ beta)
    e2 = np.mean(np.square(loo))
    expected = -0.5 * n * (np.log(2 * np.pi * e2) + 1) - 0.5 * 2 * np.log(n)
    assert s.local_one(2, [0, 1]) == pytest.approx(expected, rel=1e-9)
    # no parents: the mean's leave-one-out residuals
    r = target * n / (n - 1)
    assert s.local_one(2, []) == pytest.approx(-0.5 * n * (np.log(2 * np.pi * np.mean(r * r)) + 1), rel=1e-12)


def test_rff_score_ranks_the_true_parents_of_nonlinear_mechanisms_first():
    # Every node of a random MLP SCM: among all parent sets drawn from its predecessors in a
    # causal order (up to size 3: what a search over orders compares), its true parent set scores
    # highest, on rows with single-node interventions.
    truth = cw.random_scm(6, edges_per_node=1.5, mechanism="mlp", seed=4)
    names = list(truth.variables)
    g = torch.Generator().manual_seed(0)
    parts, rows = [truth.sample(500, seed=1)], [set()] * 500
    for i, v in enumerate(names):
        parts.append(truth.do({v: 2.0 * torch.randn(200, generator=g)}).sample(200, seed=10 + i))
        rows += [{v}] * 200
    X = np.column_stack([torch.cat([p[v] for p in parts]).numpy() for v in names])
    mask = np.array([[v in r for v in names] for r in rows])
    s = RFFScore(X, mask)
    for j, v in enumerate(names):
        others = [names.index(u) for u in truth.variables[: truth.variables.index(v)]]
        best = max((s.local_one(j, list(c)), c) for k in range(4) for c in itertools.combinations(others, k))[1]
        assert {names[i] for i in best} == set(truth.parents(v)), v


def test_rff_score_masks_intervened_rows_batches_and_is_deterministic():
    X = _data(200)
    mask = np.zeros_like(X, dtype=bool)
    mask[:50, 1] = True
    changed = X.copy()
    changed[:50, 1] = 100.0 + np.arange(50)
    a, b = RFFScore(X, mask, seed=2), RFFScore(changed, mask, seed=2)
    assert a.local_one(1, [0]) == pytest.approx(b.local_one(1, [0]), rel=1e-10)
    batch = a.local(2, np.array([[0, 1], [1, 0], [0, 1]]))
    assert batch[0] == pytest.approx(batch[2]) == pytest.approx(a.local_one(2, [0, 1]))
    assert RFFScore(X, mask, seed=2).local_one(2, [0, 1]) == a.local_one(2, [0, 1])
    assert make_score("rff", X, mask, seed=2).local_one(2, [1]) == a.local_one(2, [1])


def test_rff_score_sees_a_nonlinear_effect_a_linear_score_misses():
    rng = np.random.default_rng(0)
    x = rng.normal(size=800)
    y = np.cos(2 * x) + 0.3 * rng.normal(size=800)  # uncorrelated with x, fully determined by it
    X = np.column_stack([x, y])
    gain_rff = RFFScore(X).local_one(1, [0]) - RFFScore(X).local_one(1, [])
    gain_bic = BICScore(X).local_one(1, [0]) - BICScore(X).local_one(1, [])
    assert gain_rff > 300 and gain_bic < 0


def test_rff_score_caps_the_rows_it_scores_on_with_a_fixed_subset():
    X = _data(300)
    mask = np.zeros_like(X, dtype=bool)
    mask[:100, 2] = True
    capped = RFFScore(X, mask, max_rows=120, seed=3)
    rows = capped._scored_rows(2)
    assert len(rows) == 120 and not mask[rows, 2].any()  # only rows where the node was free
    assert np.array_equal(rows, RFFScore(X, mask, max_rows=120, seed=3)._scored_rows(2))
    # the score of the capped node is the uncapped score of those rows alone
    sub = RFFScore(X, mask, max_rows=None, seed=3)
    sub._row_index[2] = rows
    assert capped.local_one(2, [0, 1]) == pytest.approx(sub.local_one(2, [0, 1]), rel=1e-12)
    assert RFFScore(X, mask, max_rows=None).local_one(2, [0]) == RFFScore(X, mask, max_rows=1000).local_one(2, [0])


def test_rff_score_picks_the_length_scale_by_leave_one_out_per_parent_set():
    # Several length-scales: each parent set scores as the best of them (same random draws).
    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 2))
    wiggly = np.sin(3 * x[:, 0]) + 0.3 * rng.normal(size=600)
    smooth = 0.5 * x[:, 1] ** 2 + 0.3 * rng.normal(size=600)
    X = np.column_stack([x, wiggly, smooth])
    short, long_ = RFFScore(X, lengthscale=0.5, seed=4), RFFScore(X, lengthscale=2.0, seed=4)
    both = RFFScore(X, lengthscale=(0.5, 2.0), seed=4)
    for node, parents in [(2, [0]), (3, [1]), (2, [0, 1]), (3, [0, 1])]:
        assert both.local_one(node, parents) == pytest.approx(
            max(short.local_one(node, parents), long_.local_one(node, parents)), rel=1e-12)
    assert short.local_one(2, [0]) > long_.local_one(2, [0])  # sin(3x) needs the short scale


def test_rff_length_scale_takes_numbers_arrays_and_tensors():
    X = _data(100)
    want = RFFScore(X, lengthscale=0.5).local_one(2, [0])
    for ls in (np.array(0.5), torch.tensor(0.5), [0.5], np.float32(0.5)):
        assert RFFScore(X, lengthscale=ls).local_one(2, [0]) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("options", [{"n_features": 0}, {"lengthscale": 0.0}, {"lengthscale": ()},
                                     {"lengthscale": (1.0, -1.0)}, {"lengthscale": "1"}, {"lengthscale": [[1.0]]},
                                     {"ridge": ()}, {"ridge": (-1.0,)},
                                     {"penalty": -1.0}, {"max_rows": 5}, {"max_rows": 2.5}])
def test_rff_score_bad_settings_raise(options):
    with pytest.raises(OutOfRangeError):
        RFFScore(_data(), **options)


def test_rff_score_of_a_constant_column_does_not_crash():
    # (learners refuse constant columns before scoring; the score itself stays a number)
    X = _data(50)
    X[:, 2] = 1.0
    s = RFFScore(X)
    assert math.isfinite(s.local_one(2, [])) and math.isfinite(s.local_one(2, [0]))


@pytest.mark.parametrize("cls", [BICScore, BGeScore, QuadraticBICScore, LinearQuadraticScore, RFFScore])
def test_min_explained_charges_each_parent_its_share_of_the_rows(cls):
    # The sparsity prior adds exactly -n_j/2 log(1 - s) nats per parent to any score, with
    # interventions (n_j: the node's unintervened rows) and without.
    g = torch.Generator().manual_seed(0)
    X = torch.randn(300, 3, generator=g, dtype=torch.float64)
    mask = torch.zeros(300, 3, dtype=torch.bool)
    mask[:50, 2] = True
    plain, prior = cls(X, mask), cls(X, mask, min_explained=0.05)
    for node, parents, n_j in [(2, [0, 1], 250), (0, [2], 300), (1, [], 300)]:
        expected = plain.local_one(node, parents) + len(parents) * n_j / 2 * math.log(1 - 0.05)
        assert prior.local_one(node, parents) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("bad", [-0.1, 1.0, float("nan"), True, "0.01"])
def test_min_explained_out_of_range_is_refused(bad):
    with pytest.raises(OutOfRangeError, match="min_explained"):
        BICScore(torch.zeros(10, 2, dtype=torch.float64), min_explained=bad)


def _mlp_design(d: int, seed: int, n_obs: int = 500, n_int: int = 150):
    """A random MLP SCM's rows: ``n_obs`` observational, ``n_int`` per single-node intervention."""
    truth = cw.random_scm(d, edges_per_node=2, mechanism="mlp", seed=seed)
    names = list(truth.variables)
    g = torch.Generator().manual_seed(seed)
    parts, rows = [truth.sample(n_obs, seed=1)], [set()] * n_obs
    for i, v in enumerate(names):
        parts.append(truth.do({v: 2.0 * torch.randn(n_int, generator=g)}).sample(n_int, seed=10 + i))
        rows += [{v}] * n_int
    X = np.column_stack([torch.cat([p[v] for p in parts]).numpy() for v in names])
    return truth, names, X, np.array([[v in r for v in names] for r in rows])


def test_rff_addition_gains_rank_a_missing_true_parent_first_interactions_included():
    # Each node with two or more true parents, one of them left out: among the variables that are
    # not its descendants, the estimate ranks the missing parent first (MLP mechanisms: its effect
    # is partly an interaction with the others), as the exact gains do, and the fit it starts from
    # is the score's own (local_one of the kept parents is unchanged).
    truth, names, X, mask = _mlp_design(8, seed=1)
    s, fresh = RFFScore(X, mask, seed=0), RFFScore(X, mask, seed=0)
    g = truth.graph
    checked = 0
    for j, v in enumerate(names):
        ps = sorted(names.index(u) for u in truth.parents(v))
        if len(ps) < 2:
            continue
        for drop in ps:
            kept = [i for i in ps if i != drop]
            below = {names.index(u) for u in nx.descendants(g, v)}
            cands = [i for i in range(len(names)) if i != j and i not in kept and i not in below]
            est = s.addition_gains(j, kept, cands)
            exact = np.array([s.local_one(j, sorted(kept + [c])) - s.local_one(j, kept) for c in cands])
            assert cands[int(np.argmax(est))] == drop == cands[int(np.argmax(exact))], (v, names[drop])
            assert s.local_one(j, kept) == pytest.approx(fresh.local_one(j, kept), rel=1e-12)
            checked += 1
    assert checked >= 4


def test_addition_gains_are_exact_for_the_linear_scores_and_the_soft_rff_score():
    X = _data(200)
    mask = np.zeros_like(X, dtype=bool)
    mask[:50, 0] = True
    # node 0 has a soft regime (50 rows): the RFF estimate is not made there
    for s in (BICScore(X, mask), BGeScore(X, mask), RFFScore(X, mask, soft=True, n_features=20)):
        exact = [s.local_one(0, [1, c]) - s.local_one(0, [1]) for c in (2,)]
        assert s.addition_gains(0, [1], [2]) == pytest.approx(exact, rel=1e-9)
    assert BICScore(X).addition_gains(2, [0], []).shape == (0,)


def test_the_quadratic_score_refuses_what_its_matrices_would_not_fit_in(monkeypatch):
    # 100 variables: 5,150 columns, one 5,150 x 5,150 scatter matrix per variable (~21 GB);
    # under a limit of 1 GB it names the scores that fit, before anything is allocated
    from causalworld.errors import MemoryLimitError
    from causalworld.memory import MAX_BYTES_ENV

    monkeypatch.setenv(MAX_BYTES_ENV, str(2**30))
    X = torch.randn(50, 100, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    with pytest.raises(MemoryLimitError, match="'bic' or 'rff'"):
        QuadraticBICScore(X)
    BICScore(X)  # the linear score of the same data fits: p x p
    QuadraticBICScore(X[:, :10])  # and so does the quadratic score over 10 of them (65 columns)


@pytest.mark.parametrize("score_func", ["bic", "quadratic", "linear-quadratic"])
def test_a_fit_with_more_coefficients_than_rows_left_to_judge_it_is_not_scored(score_func):
    """Few rows, independent columns: a regression that nearly interpolates would pass for a
    strong family (the second-order scores kept 23 of the 45 pairs on 40 rows); it is not scored."""
    from causalworld.discovery import ExactLearner
    from causalworld.discovery.scores import SCORES

    import pandas as pd

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 10))
    learner = ExactLearner(score_func=score_func, progress=False).fit(pd.DataFrame(X, columns=[f"x{i}" for i in range(10)]))
    assert learner.graph_.number_of_edges() <= 1
    score, line = SCORES[score_func](torch.as_tensor(X)), SCORES["bic"](torch.as_tensor(X))
    nine = score.local_one(0, range(1, 10))  # 9 parents: 9 coefficients of a line, 54 of a second-order fit, on 40 rows
    expected = {"bic": line.local_one(0, range(1, 10)), "quadratic": -math.inf,
                "linear-quadratic": line.local_one(0, range(1, 10)) - math.log(2)}[score_func]  # the line alone
    assert nine == pytest.approx(expected) if math.isfinite(expected) else nine == -math.inf
    assert math.isfinite(score.local_one(0, [1, 2]))
    assert SCORES["quadratic"](torch.as_tensor(X[:20])).local_one(0, [1, 2, 3, 4]) == -math.inf  # 14 coefficients, 20 rows
