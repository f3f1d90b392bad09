"""PC, GES and sort-and-regress: right answers on graphs whose class is known, background
knowledge passed on or refused, bootstrap probabilities, time limits."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch

import causalworld as cw
from causalworld.discovery import GESLearner, Knowledge, MixedGraph, PCLearner, SortRegressLearner
from causalworld.discovery.baselines import orient_with_knowledge
from causalworld.errors import ArgumentError, InsufficientDataError, OutOfRangeError, TimeLimitWarning
from causalworld.metrics import shd


def _collider_chain(n: int = 2000, seed: int = 0):
    """a -> c <- b, c -> d: a v-structure that orients every edge."""
    scm = cw.SCM.linear([("a", "c"), ("b", "c"), ("c", "d")], {("a", "c"): 1.0, ("b", "c"): -1.0, ("c", "d"): 0.8}, 1.0)
    return scm, {v: t.double() for v, t in scm.sample(n, seed=seed).items()}


@pytest.mark.parametrize("cls", [PCLearner, GESLearner])
def test_causal_learn_baselines_find_the_equivalence_class(cls):
    scm, data = _collider_chain()
    learner = cls(progress=False).fit(data)
    assert learner.cpdag_ == MixedGraph(scm.variables, directed=scm.graph.edges)
    assert shd(scm.graph, learner.graph_) == 0
    assert learner.edge_probs_.to_numpy().sum() == 3  # no bootstrap: the 0/1 matrix of graph_


def test_pc_graph_is_a_consistent_extension_of_its_class():
    scm = cw.random_scm(7, edges_per_node=1.0, mechanism="linear", seed=5)
    learner = PCLearner(progress=False).fit(scm.sample(3000, seed=0))
    cp = learner.cpdag_
    assert cp.directed <= set(learner.graph_.edges)
    for u, v in cp.undirected:
        assert learner.graph_.has_edge(u, v) != learner.graph_.has_edge(v, u)
    assert shd(cw.discovery.essential_graph(nx.DiGraph(scm.graph)), cp) <= 2


def test_pc_obeys_knowledge_even_against_the_data():
    scm, data = _collider_chain()
    learner = PCLearner(progress=False, forbidden=[("a", "c")], required=[("a", "d")], tiers=[["a", "b"], ["c", "d"]]).fit(data)
    assert not learner.graph_.has_edge("a", "c") and learner.graph_.has_edge("a", "d")
    assert Knowledge([("a", "c")], [("a", "d")], [["a", "b"], ["c", "d"]]).violations(learner.graph_) == []


def test_ges_refuses_knowledge_it_cannot_use():
    scm, data = _collider_chain(200)
    with pytest.raises(ArgumentError, match="background knowledge"):
        GESLearner(progress=False, tiers=[["a"], ["b", "c", "d"]]).fit(data)


def test_bootstrap_frequencies_and_graph_samples():
    scm, data = _collider_chain(300)
    learner = PCLearner(progress=False, n_bootstrap=8, seed=3).fit(data)
    P = learner.edge_probs_.to_numpy()
    assert ((P >= 0) & (P <= 1)).all() and (np.diag(P) == 0).all()
    assert P[0, 2] > 0.7  # a -> c is found in most resamples
    assert np.allclose((P * 8 * 2) % 1, 0)  # counts of 1 and 1/2 over 8 runs
    assert learner.fit_info_["bootstrap_runs"] == 8
    draws = learner.sample_graphs(6, seed=0)
    assert all(nx.is_directed_acyclic_graph(g) for g in draws)
    with pytest.raises(ArgumentError, match="no score posterior \\(its graphs are drawn from bootstrap refits.*pass temperature=1, or use ExactLearner"):
        learner.sample_graphs(6, seed=0, temperature=3)  # bootstrap refits have no score to temper
    again = PCLearner(progress=False, n_bootstrap=8, seed=3).fit(data)
    assert np.array_equal(again.edge_probs_.to_numpy(), P)


def test_observational_rows_only_by_default():
    scm, data = _collider_chain(200)
    targets = [{"a"}] * 100 + [{"b"}] * 100
    with pytest.raises(InsufficientDataError, match="rows='all'"):
        PCLearner(progress=False).fit(data, targets)
    learner = PCLearner(progress=False, rows="all").fit(data, targets)
    assert learner.fit_info_["rows_used"] == 200
    mixed = [set()] * 150 + [{"a"}] * 50
    assert PCLearner(progress=False).fit(data, mixed).fit_info_["rows_used"] == 150


def test_max_time_stops_the_causal_learn_call():
    scm, data = _collider_chain(300)
    with pytest.warns(TimeLimitWarning):
        learner = PCLearner(progress=False, max_time=1e-9, required=[("a", "c")]).fit(data)
    assert learner.timed_out_ and sorted(learner.graph_.edges) == [("a", "c")]
    within = GESLearner(progress=False, max_time=60).fit(data)
    assert not within.timed_out_ and shd(scm.graph, within.graph_) == 0


def test_variance_sorting_recovers_a_chain_whose_variance_grows_along_the_order():
    scm = cw.SCM.linear([("a", "b"), ("b", "c"), ("c", "d")], {("a", "b"): 1.5, ("b", "c"): 1.5, ("c", "d"): 1.5}, 1.0)
    learner = SortRegressLearner(sort_by="var", alpha=1e-3, progress=False).fit(scm.sample(1000, seed=0))
    assert shd(scm.graph, learner.graph_) == 0


def test_variance_sorting_reverses_the_graph_when_variance_falls_along_the_order():
    weights = {("a", "b"): 0.5, ("b", "c"): 0.5, ("c", "d"): 0.5}
    scm = cw.SCM.linear([("a", "b"), ("b", "c"), ("c", "d")], weights, {"a": 3.0, "b": 1.0, "c": 0.5, "d": 0.25})
    learner = SortRegressLearner(sort_by="var", alpha=1e-3, progress=False).fit(scm.sample(2000, seed=0))
    assert sorted(learner.graph_.edges) == [("b", "a"), ("c", "b"), ("d", "c")]


def test_r2_sorting_does_not_depend_on_the_scale_of_the_data():
    scm = cw.random_scm(6, edges_per_node=1.5, mechanism="linear", seed=2)
    raw = {v: t.double() for v, t in scm.sample(1000, seed=0).items()}
    scaled = {v: t * (i + 1) ** 2 for i, (v, t) in enumerate(raw.items())}
    a = SortRegressLearner(sort_by="r2", progress=False).fit(raw)
    b = SortRegressLearner(sort_by="r2", progress=False).fit(scaled)
    assert set(a.graph_.edges) == set(b.graph_.edges)


def test_orient_with_knowledge_resolves_conflicts():
    k = Knowledge(forbidden=[("c", "b")], required=[("a", "d")], tiers=[["a"], ["b", "c", "d"]])
    pdag, dag = orient_with_knowledge(["a", "b", "c", "d"], {("b", "a"), ("c", "b")}, {("b", "d")}, k)
    assert ("a", "b") in pdag.directed  # reversed: b -> a goes back a tier
    assert ("b", "c") in pdag.directed  # reversed: c -> b is forbidden
    assert ("a", "d") in pdag.directed
    assert k.violations(dag) == []
    assert nx.is_directed_acyclic_graph(dag)


def test_bad_settings():
    scm, data = _collider_chain(100)
    with pytest.raises(OutOfRangeError):
        PCLearner(progress=False, alpha=2.0).fit(data)
    with pytest.raises(OutOfRangeError):
        SortRegressLearner(progress=False, n_bootstrap=-1).fit(data)
    with pytest.raises(ArgumentError, match="sort_by"):
        SortRegressLearner(progress=False, sort_by="mean").fit(data)
    with pytest.raises(ArgumentError, match="rows"):
        GESLearner(progress=False, rows="some").fit(data)
    with pytest.raises(ArgumentError, match="lags"):
        PCLearner(progress=False).fit({v: torch.stack([t, t], 1) for v, t in data.items()}, lags=1)


def test_settings_causal_learn_would_fail_on_raise_typed_errors_first():
    scm, data = _collider_chain(100)
    with pytest.raises(ArgumentError, match="indep_test.*'fisherz'"):
        PCLearner(progress=False, indep_test="bogus").fit(data)
    with pytest.raises(ArgumentError, match="score_func"):
        GESLearner(progress=False, score_func="local_score_AIC").fit(data)
    with pytest.raises(OutOfRangeError, match="lambda_value"):
        GESLearner(progress=False, lambda_value="1").fit(data)
    with pytest.raises(OutOfRangeError, match="alpha"):
        PCLearner(progress=False, alpha="0.05").fit(data)


def test_duplicated_or_collinear_columns_and_a_single_column_are_refused_by_name():
    scm, data = _collider_chain(100)
    with pytest.raises(InsufficientDataError, match="'a' and 'dup' are identical"):
        PCLearner(progress=False).fit({**data, "dup": data["a"].clone()})
    with pytest.raises(InsufficientDataError, match="collinear"):
        GESLearner(progress=False).fit({**data, "sum": data["a"] + data["b"]})
    with pytest.raises(InsufficientDataError, match="two or more variables"):
        GESLearner(progress=False).fit({"a": data["a"]})
    # a kernel test has no correlation matrix to invert: a duplicate is left to it
    assert PCLearner._gaussian(PCLearner(indep_test="kci")) is False


def test_causal_learn_is_imported_before_its_runs_are_forked(tmp_path):
    # under max_time each run goes to a forked child; one that had to import causal-learn itself
    # spent about 0.5 s on it, every run (a PC bootstrap of 300 rows takes 25 ms)
    import subprocess
    import sys

    script = (
        "import sys, torch\n"
        "from causalworld.discovery import PCLearner\n"
        "g = torch.Generator().manual_seed(0)\n"
        "a = torch.randn(300, generator=g); b = a + torch.randn(300, generator=g)\n"
        "PCLearner(progress=False, max_time=60.0).fit({'a': a, 'b': b})\n"
        "print('causallearn.search.ConstraintBased.PC' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "True"


def test_max_time_covers_the_whole_fit_and_none_means_no_limit():
    scm, data = _collider_chain(300)
    free = GESLearner(progress=False, max_time=None).fit(data)
    assert not free.timed_out_ and shd(scm.graph, free.graph_) == 0
    # 10,000 resamples do not fit in 1.5 s: the fit stops at the deadline and leaves the rest out
    late = PCLearner(progress=False, max_time=1.5, n_bootstrap=10_000).fit(data)
    assert not late.timed_out_ and late.fit_time_ < 1.5 + 2.0 and late.fit_info_["bootstrap_timed_out"] > 5_000
    assert late.fit_info_["bootstrap_runs"] + late.fit_info_["bootstrap_timed_out"] == 10_000
