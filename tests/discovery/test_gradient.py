"""GradientLearner against the truth the simulator knows: the graph of random nonlinear SCMs from
observational + interventional rows, counterfactuals of the fitted scm_, background knowledge in
every output, scale invariance, and typed errors for bad settings."""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pytest
import torch

from causalworld import metrics
from causalworld.discovery import GradientLearner, Knowledge, checks
from causalworld.discovery.search import pair_posterior
from causalworld.discovery.scores import BICScore
from causalworld.errors import ArgumentError, DeviceError, OutOfRangeError, PoorFitWarning


@pytest.fixture(scope="module")
def toy():
    return checks.toy_problem()


def test_rff_order_search_runs_up_to_its_size_limit_only(monkeypatch, nonlinear):
    # "auto" runs the order search with the RFF score up to _RFF_ORDER_MAX_VARIABLES variables
    # (each of its moves costs hundreds of regressions); lowering the limit below d turns it off.
    from causalworld.discovery import gradient

    truth, data, targets = nonlinear(4, d=6, n_obs=300, n_int=100)
    settings = {"mechanisms": "mlp", "progress": False, "seed": 0, "max_steps": 600}
    on = GradientLearner(**settings).fit(data, targets)
    assert on.fit_info_["refine"] == "rff" and on.fit_info_["refine_orders"]
    assert metrics.shd(truth.graph, on.graph_) <= 1
    monkeypatch.setattr(gradient, "_RFF_ORDER_MAX_VARIABLES", 5)
    off = GradientLearner(**settings).fit(data, targets)
    assert off.fit_info_["refine"] == "rff" and not off.fit_info_["refine_orders"]
    assert not GradientLearner(**settings, refine_orders=False).fit(data, targets).fit_info_["refine_orders"]


@pytest.mark.slow
def test_recovers_30_node_scale_free_graphs_past_the_hubs():
    # Scale-free graphs (hubs with many children) trap single-edge moves in wrong orientations;
    # the order search after them recovers the graph (seeds 0-3 here: SHD 0 each; edge moves
    # alone: 2, 0, 3, 0). The first seed, to keep the suite short (each fit takes ~40 s).
    from tests.discovery.test_search import _scale_free

    truth, names, X, mask = _scale_free(0, d=30)
    data = {v: X[:, i] for i, v in enumerate(names)}
    learner = GradientLearner(progress=False).fit(data, mask)
    assert learner.fit_info_["refine_orders"]
    assert metrics.shd(truth.graph, learner.graph_) == 0


def test_recovers_a_linear_graph_with_every_edge_oriented(design):
    truth, data, targets = design(3)
    learner = GradientLearner(progress=False).fit(data, targets)
    assert metrics.shd(truth.graph, learner.graph_) == 0
    assert learner.cpdag_.is_dag  # an intervention on every node orients every edge


def test_background_knowledge_prunes_the_parameters(toy):
    truth, data, targets = toy
    checks.check_knowledge(GradientLearner(progress=False), data, targets, truth)
    # a forbidden true edge never shows up, a required non-edge always does, whatever the data say
    u, v = sorted(truth.graph.edges)[0]
    names = list(data)
    a, b = next((p, q) for p in names for q in names if p != q and not truth.graph.has_edge(p, q)
                and not truth.graph.has_edge(q, p) and nx.has_path(truth.graph, p, q) is False
                and not nx.has_path(truth.graph, q, p))
    with warnings.catch_warnings():  # the required non-edge explains nothing of b: it may warn so
        warnings.simplefilter("ignore", PoorFitWarning)
        fitted = GradientLearner(progress=False, forbidden=[(u, v)], required=[(a, b)]).fit(data, targets)
    assert not fitted.graph_.has_edge(u, v) and fitted.graph_.has_edge(a, b)
    assert fitted.edge_probs_.loc[u, v] == 0 and fitted.edge_probs_.loc[a, b] == 1
    assert fitted.edge_probs_.loc[b, a] == 0
    assert Knowledge([(u, v)], [(a, b)]).violations(fitted.graph_) == []


def test_tiers_fix_the_orientation(design):
    truth, data, targets = design(5, d=6)
    order = list(truth.variables)
    tiers = [order[:3], order[3:]]
    fitted = GradientLearner(progress=False, tiers=tiers).fit(data, None)  # observational only
    assert Knowledge(tiers=tiers).violations(fitted.graph_) == []
    P = fitted.edge_probs_
    assert all(P.loc[late, early] == 0 for late in order[3:] for early in order[:3])


def test_edge_probs_come_from_the_parameters_without_refinement(toy):
    _, data, targets = toy
    fitted = GradientLearner(progress=False, refine=None).fit(data, targets)
    info = fitted.fit_info_
    expected = info["existence"] * info["orientation"]
    np.fill_diagonal(expected, 0.0)
    assert np.allclose(fitted.edge_probs_.to_numpy(), expected, atol=1e-6)
    for g in fitted.sample_graphs(3, seed=0):
        assert nx.is_directed_acyclic_graph(g)


def test_refined_edge_probs_are_the_bic_pair_posterior_of_graph_(toy):
    # Recomputed here from the BIC on the learner's own rows (standardisation does not change
    # BIC differences), not read back from the learner.
    truth, data, targets = toy
    fitted = GradientLearner(progress=False, max_steps=300).fit(data, targets)
    names = list(fitted.variables_)
    X = torch.stack([data[v] for v in names], 1).double()
    mask = torch.tensor([[v in t for v in names] for t in targets])
    A = np.zeros((len(names), len(names)), bool)
    for u, v in fitted.graph_.edges:
        A[names.index(u), names.index(v)] = True
    expected = pair_posterior(BICScore(X, mask, min_explained=fitted.min_explained), A)
    assert fitted.fit_info_["edge_probs"] == "pair_posterior"
    assert np.allclose(fitted.edge_probs_.to_numpy(), expected, atol=1e-9)


def test_sample_graphs_follow_the_edge_probabilities(toy):
    _, data, targets = toy
    fitted = GradientLearner(progress=False, max_steps=150, min_steps=10**6, warmup_steps=50).fit(data, targets)
    draws = fitted.sample_graphs(400, seed=3)
    names = list(fitted.variables_)
    freq = np.zeros((len(names), len(names)))
    for g in draws:
        assert nx.is_directed_acyclic_graph(g)
        for u, v in g.edges:
            freq[names.index(u), names.index(v)] += 1 / len(draws)
    P = fitted.edge_probs_.to_numpy()
    # sampling then breaking (rare) cycles can only remove edges: frequencies track P from below
    assert np.all(freq <= P + 0.08)
    assert np.abs(freq - P).mean() < 0.05


def test_standardisation_makes_the_result_scale_free(toy):
    _, data, targets = toy
    scaled = {v: x * 2.0 ** (3 * i - 4) for i, (v, x) in enumerate(data.items())}  # exact in floating point
    a = GradientLearner(progress=False).fit(data, targets)
    b = GradientLearner(progress=False).fit(scaled, targets)
    assert sorted(a.graph_.edges) == sorted(b.graph_.edges)
    assert np.allclose(a.edge_probs_.to_numpy(), b.edge_probs_.to_numpy())


@pytest.mark.parametrize("setting", [{"hidden": 0}, {"batch_size": -1}, {"lr": 0}, {"threshold": 1.5},
                                     {"holdout": 1.0}, {"lambda_sparse": -1.0}, {"warmup_steps": -2},
                                     {"lr": float("inf")}, {"lr_gamma": float("nan")}, {"lr_theta": float("inf")},
                                     {"lambda_sparse": float("inf")}])
def test_bad_settings_raise_typed_errors(toy, setting):
    _, data, targets = toy
    name = next(iter(setting))
    with pytest.raises(OutOfRangeError, match=name):  # names the setting (lr=inf once trained to NaN silently)
        GradientLearner(progress=False, **setting).fit(data, targets)


def test_bad_conditionals_and_lags_are_refused(toy):
    _, data, targets = toy
    with pytest.raises(ArgumentError, match="conditionals"):
        GradientLearner(progress=False, conditionals="cubic").fit(data, targets)
    with pytest.raises(ArgumentError, match="lag"):
        GradientLearner(progress=False).fit({v: x.reshape(-1, 2) for v, x in data.items()}, lags=1)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised when CUDA is missing")
def test_cuda_without_a_gpu_is_a_device_error(toy):
    _, data, targets = toy
    with pytest.raises(DeviceError, match="CUDA"):
        GradientLearner(progress=False, device="cuda").fit(data, targets)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_fit_finds_the_same_linear_graph(design):
    truth, data, targets = design(3)
    learner = GradientLearner(progress=False, device="cuda").fit(data, targets)
    assert learner.fit_info_["device"].startswith("cuda")
    assert metrics.shd(truth.graph, learner.graph_) == 0


@pytest.mark.slow
def test_bic_refinement_recovers_a_20_node_linear_graph(design):
    truth, data, targets = design(0, d=20, edges_per_node=2.0)
    learner = GradientLearner(progress=False, seed=0).fit(data, targets)
    assert metrics.shd(truth.graph, learner.graph_) <= 1
    with warnings.catch_warnings():  # the raw read-out keeps chance edges whose fit explains nothing
        warnings.simplefilter("ignore", PoorFitWarning)
        raw = GradientLearner(progress=False, seed=0, refine=None).fit(data, targets)
    assert metrics.shd(truth.graph, learner.graph_) <= metrics.shd(truth.graph, raw.graph_)


@pytest.mark.parametrize("cells", [1 << 24, 200])
def test_edge_differences_equal_refitting_each_toggled_graph(monkeypatch, cells):
    # Every edge's paired likelihood difference against a brute-force forward pass of the graph
    # with that one edge switched; 200 cells forces blocks of 2 of the 7 rows.
    from causalworld.discovery import gradient

    monkeypatch.setattr(gradient, "_TOGGLE_CELLS", {"cpu": cells, "cuda": cells})
    d, B = 5, 7
    net = gradient._Conditionals(d, 4, False, torch.Generator().manual_seed(0)).double()
    with torch.no_grad():
        net.log_scale.copy_(torch.linspace(-0.5, 0.5, d))
    x = torch.randn(B, d, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    A = (torch.rand(B, d, d, generator=torch.Generator().manual_seed(2)) < 0.4).double()
    with torch.no_grad():
        u, mean = net(x, A)
        D = net.edge_differences(x, A, u, mean)
        for i in range(d):
            for j in range(d):
                on, off = A.clone(), A.clone()
                on[:, i, j], off[:, i, j] = 1.0, 0.0
                want = net.nll(x, net(x, on)[1])[:, j] - net.nll(x, net(x, off)[1])[:, j]
                assert torch.allclose(D[:, i, j], want, atol=1e-10)


def test_soft_interventions_are_oriented_by_the_soft_score(soft):
    # do(v = 0.3 v) keeps v's parents, so "v helps predict u when v is intervened" no longer says v
    # comes first: with interventions="soft" theta is not trained and the refinement orients the
    # edges with the soft-regime BIC. (Hard mode on these data: SHD 1 on seeds 1-4.)
    for seed in range(5):
        scm, data, targets = soft(seed)
        learner = GradientLearner(interventions="soft", progress=False, seed=0).fit(data, targets)
        assert metrics.shd(scm.graph, learner.graph_) == 0, seed
        off = ~np.eye(len(scm.variables), dtype=bool)
        assert np.all(learner.fit_info_["orientation"][off] == 0.5)  # theta was not trained
        P = learner.edge_probs_
        for u, v in learner.graph_.edges:  # edge_probs_ orient each pair as the refined graph does
            assert P.loc[u, v] > 0.9 > P.loc[v, u]
        drawn = learner.sample_graphs(20, seed=1)
        agree = np.mean([g.has_edge(u, v) for g in drawn for u, v in learner.graph_.edges if g.has_edge(u, v) or g.has_edge(v, u)])
        assert agree >= 0.9
    assert learner.fit_info_["interventions"] == "soft"
    with pytest.raises(ArgumentError, match="refine"):
        GradientLearner(interventions="soft", refine=None, progress=False).fit(data, targets)
    with pytest.raises(ArgumentError, match="interventions"):
        GradientLearner(interventions="perfect", progress=False).fit(data, targets)


# ------------------------------------------------------------------ size limits
def test_a_hidden_layer_past_the_maximum_is_refused_when_fit_starts(toy):
    import time

    from causalworld.discovery.gradient import MAX_HIDDEN

    data, targets = toy[1], toy[2]
    start = time.perf_counter()
    with pytest.raises(OutOfRangeError, match=f"hidden=1000000 is more than MAX_HIDDEN = {MAX_HIDDEN}"):
        GradientLearner(hidden=10**6, conditionals="mlp", progress=False).fit(data, targets)
    assert time.perf_counter() - start < 0.5


def test_a_search_over_the_memory_limit_is_refused_before_allocating(toy, monkeypatch):
    from causalworld.errors import MemoryLimitError
    from causalworld.memory import MAX_BYTES_ENV

    data, targets = toy[1], toy[2]
    monkeypatch.setenv(MAX_BYTES_ENV, "100k")  # 4096 hidden units per node: megabytes of weights
    with pytest.raises(MemoryLimitError, match=f"hidden=4096.*smaller hidden.*raise {MAX_BYTES_ENV}"):
        GradientLearner(hidden=4096, conditionals="mlp", progress=False).fit(data, targets)


@pytest.mark.parametrize("bad", [-0.5, 1.0, float("nan"), "0.01"])
def test_bad_min_explained_is_refused_before_training(toy, bad):
    _, data, targets = toy
    with pytest.raises(OutOfRangeError, match="min_explained"):
        GradientLearner(progress=False, max_steps=10**6, min_explained=bad).fit(data, targets)
