"""Graph and counterfactual metrics against hand-computed and independently computed truths."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

import causalworld as cw
from causalworld.discovery import MixedGraph
from causalworld.errors import ArgumentError, GraphError, NonFiniteError, ShapeError, UnknownVariableError
from causalworld.metrics import (
    auroc,
    counterfactual_error,
    edge_f1,
    edge_precision,
    edge_recall,
    latent_r2,
    orientation_accuracy,
    shd,
    sid,
)

TRUE = [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")]


def test_shd_counts_each_differing_pair_once():
    assert shd(TRUE, TRUE) == 0
    assert shd(TRUE, [("b", "a"), ("b", "c"), ("a", "c"), ("c", "d")]) == 1  # reversed
    assert shd(TRUE, [("a", "b"), ("b", "c"), ("c", "d")]) == 1  # missing
    assert shd(TRUE, TRUE + [("a", "d")]) == 1  # extra
    assert shd(TRUE, []) == 4


def test_shd_between_a_dag_and_a_cpdag():
    cpdag = MixedGraph("abcd", directed=[("c", "d")], undirected=[("a", "b"), ("b", "c"), ("a", "c")])
    assert shd(TRUE, cpdag) == 3  # three undirected where the DAG is directed
    assert shd(cpdag, cpdag.to_networkx()) == 0
    assert shd(nx.DiGraph(TRUE), cpdag) == shd(cpdag, nx.DiGraph(TRUE))


def test_precision_recall_f1_and_orientation():
    learned = [("a", "b"), ("c", "b"), ("a", "d")]
    assert edge_precision(TRUE, learned) == pytest.approx(1 / 3)
    assert edge_recall(TRUE, learned) == pytest.approx(1 / 4)
    assert edge_f1(TRUE, learned) == pytest.approx(2 * (1 / 3) * (1 / 4) / (1 / 3 + 1 / 4))
    assert edge_precision(TRUE, learned, directed=False) == pytest.approx(2 / 3)
    assert edge_recall(TRUE, learned, directed=False) == pytest.approx(2 / 4)
    assert orientation_accuracy(TRUE, learned) == pytest.approx(1 / 2)
    assert edge_f1([], []) == 1.0 and edge_precision(TRUE, []) == 1.0 and edge_recall([], learned) == 1.0


def _adjustment_oracle(H: nx.DiGraph, G: nx.DiGraph, nodes: list[str], seed: int) -> int:
    """Wrong pairs counted from population regressions of a linear-Gaussian model on ``H``: the
    coefficient of x_i when regressing x_j on x_i and pa_G(i), against the total effect."""
    rng = np.random.default_rng(seed)
    d = len(nodes)
    idx = {v: k for k, v in enumerate(nodes)}
    W = np.zeros((d, d))
    for u, v in H.edges:
        W[idx[u], idx[v]] = rng.uniform(0.5, 2.0) * rng.choice([-1, 1])
    M = np.linalg.inv(np.eye(d) - W)  # x = u M
    cov = M.T @ np.diag(rng.uniform(0.5, 1.5, d)) @ M
    wrong = 0
    for i in nodes:
        pa = [idx[p] for p in G.predecessors(i)]
        for j in nodes:
            if i == j:
                continue
            effect = M[idx[i], idx[j]]
            if idx[j] in pa:
                estimate = 0.0
            else:
                S = [idx[i]] + pa
                estimate = np.linalg.solve(cov[np.ix_(S, S)], cov[S, idx[j]])[0]
            wrong += abs(estimate - effect) > 1e-8
    return wrong


@pytest.mark.parametrize("seed", range(12))
def test_sid_agrees_with_adjustment_in_a_linear_gaussian_model(seed):
    H = cw.random_dag(6, edges_per_node=1.2, seed=seed)
    G = cw.random_dag(6, edges_per_node=1.2, seed=100 + seed)
    nodes = list(H.nodes)
    assert sid(H, G) == _adjustment_oracle(H, G, nodes, seed)
    assert sid(H, H) == 0


def test_sid_of_known_small_cases():
    chain = [("a", "b"), ("b", "c")]
    assert sid(chain, []) == 3  # p(a | b), p(a | c), p(b | c) are read as interventional
    # reversed: every pair is wrong (e.g. G adjusts p(c | do(a)) for the mediator b)
    assert sid(chain, [("b", "a"), ("c", "b")]) == 6
    with pytest.raises(GraphError, match="DAG"):
        sid(chain, [("a", "b"), ("b", "a")])


def test_auroc_matches_scikit_learn():
    rng = np.random.default_rng(0)
    names = list("abcdef")
    P = pd.DataFrame(rng.random((6, 6)).round(1), index=names, columns=names)  # rounding makes ties
    truth = cw.random_dag(6, seed=3)
    truth = nx.relabel_nodes(truth, dict(zip(sorted(truth.nodes), names)))
    y = np.array([[truth.has_edge(u, v) for v in names] for u in names])
    off = ~np.eye(6, dtype=bool)
    assert auroc(truth, P) == pytest.approx(roc_auc_score(y[off], P.to_numpy()[off]))
    assert auroc(truth, P.to_numpy(), variables=names) == pytest.approx(auroc(truth, P))
    assert np.isnan(auroc(nx.empty_graph(names, create_using=nx.DiGraph), P))
    with pytest.raises(ShapeError):
        auroc(truth, P.iloc[:3])


def test_counterfactual_error_is_zero_for_the_true_model_and_grows_with_the_weight_error():
    truth = cw.SCM.linear([("a", "b"), ("b", "c")], {("a", "b"): 2.0, ("b", "c"): 1.0}, 1.0)
    assert counterfactual_error(truth, truth) == pytest.approx(0.0, abs=1e-6)
    off_by = {w: cw.SCM.linear([("a", "b"), ("b", "c")], {("a", "b"): w, ("b", "c"): 1.0}, 1.0) for w in (1.0, 1.5)}
    e1, e2 = (counterfactual_error(truth, off_by[w], by_pair=True) for w in (1.0, 1.5))
    assert list(e1["intervened"]) == ["a", "a", "b"] and list(e1["target"]) == ["b", "c", "c"]
    ratio = e1.set_index(["intervened", "target"])["error"] / e2.set_index(["intervened", "target"])["error"]
    assert ratio[("a", "b")] == pytest.approx(2.0, rel=1e-6)  # |2 - 1| / |2 - 1.5|
    assert ratio[("a", "c")] == pytest.approx(2.0, rel=1e-6)
    assert e1.set_index(["intervened", "target"])["error"][("b", "c")] == pytest.approx(0.0, abs=1e-6)


def test_counterfactual_error_counts_pairs_where_only_the_learned_graph_has_an_effect():
    g = nx.DiGraph([("a", "b")])
    g.add_node("c")
    truth = cw.SCM.linear(g, {("a", "b"): 1.0}, 1.0)
    extra = cw.SCM.linear([("a", "b"), ("c", "b")], {("a", "b"): 1.0, ("c", "b"): 0.5}, 1.0)
    table = counterfactual_error(truth, extra, by_pair=True).set_index(["intervened", "target"])["error"]
    assert sorted(table.index) == [("a", "b"), ("c", "b")]
    assert table[("a", "b")] == pytest.approx(0.0, abs=1e-6) and table[("c", "b")] > 0.1
    fewer = cw.SCM.linear([("a", "b"), ("a", "c")], {("a", "b"): 1.0, ("a", "c"): 0.0}, 1.0)
    with pytest.raises(UnknownVariableError, match="other variables"):
        counterfactual_error(truth, cw.SCM.linear([("a", "b")], {("a", "b"): 1.0}, 1.0))
    assert counterfactual_error(truth, fewer) == pytest.approx(0.0, abs=1e-6)  # a zero-weight edge changes nothing


def test_counterfactual_error_refuses_bad_arguments():
    truth = cw.SCM.linear([("a", "b")], {("a", "b"): 1.0}, 1.0)
    with pytest.raises(ArgumentError):
        counterfactual_error(truth, truth, n_rows=1)
    with pytest.raises(UnknownVariableError):
        counterfactual_error(truth, truth, variables=["z"])
    discrete = cw.random_scm(3, mechanism="discrete", seed=0)
    with pytest.raises(ArgumentError, match="continuous"):
        counterfactual_error(discrete, discrete)


# -- latent_r2 --------------------------------------------------------------------------------------
def test_latent_r2_scores_a_disentangled_permuted_code_as_perfect():
    g = torch.Generator().manual_seed(0)
    a, b, c = torch.randn(500, generator=g), torch.rand(500, generator=g), torch.randn(500, generator=g)
    z = torch.stack([torch.exp(c / 2), a * 3 + 1, b**2], 1)  # monotone maps, shuffled
    s = latent_r2(z, {"a": a, "b": b, "c": c})
    assert s.matching == {"a": "z1", "b": "z2", "c": "z0"}
    assert s.diag > 0.97 and s.sep < 0.05 and s.mcc > 0.9


def test_latent_r2_sees_entanglement_and_missing_variables():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(500, generator=g), torch.randn(500, generator=g)
    mixed = latent_r2(torch.stack([a + b, a - b], 1), {"a": a, "b": b})
    assert mixed.sep > 0.3 and mixed.diag < 0.7  # each latent tells half of each variable
    lost = latent_r2(torch.stack([a, torch.randn(500, generator=g)], 1), {"a": a, "b": b})
    assert lost.r2.loc["z1", "b"] < 0.05 and lost.diag < 0.6


def test_latent_r2_reads_angles_modulo_pi_and_frames():
    g = torch.Generator().manual_seed(2)
    theta = torch.rand(400, 4, generator=g) * torch.pi
    z = torch.stack([torch.cos(2 * theta), torch.sin(2 * theta)], -1)  # [n, T, 2]: the angle drawn modulo pi
    flipped = theta + torch.pi * (torch.rand(400, 4, generator=g) > 0.5)  # the same drawing
    s = latent_r2(z, {"angle": flipped, "level": torch.rand(400, generator=g)}, angles=["angle"])
    assert s.r2["angle"].max() > 0.45 and s.r2["level"].max() < 0.05  # each latent is one of the two coordinates


def test_latent_r2_refuses_bad_input():
    z = torch.zeros(10, 2)
    with pytest.raises(ShapeError):
        latent_r2(torch.zeros(10), {"a": torch.zeros(10)})
    with pytest.raises(ShapeError):
        latent_r2(z, {"a": torch.zeros(9)})
    with pytest.raises(NonFiniteError):
        latent_r2(z, {"a": torch.full((10,), float("nan"))})
    with pytest.raises(UnknownVariableError):
        latent_r2(z, {"a": torch.zeros(10)}, angles=["b"])
