"""The estimator contract of the base class: settings, NotFittedError, held-out score with
per-row targets, sampling, refitting."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import torch

import causalworld

from causalworld.discovery import ExactLearner, LEARNERS, SortRegressLearner, clone
from causalworld.errors import MissingVariableError, NotFittedError, OutOfRangeError, UnknownVariableError


def test_settings_round_trip_and_repr():
    learner = ExactLearner(max_parents=2, progress=False)
    assert learner.get_params()["max_parents"] == 2
    assert learner.set_params(max_parents=3) is learner and learner.max_parents == 3
    assert repr(learner) == "ExactLearner(max_parents=3, progress=False)"
    with pytest.raises(UnknownVariableError, match="max_parents"):
        learner.set_params(max_parent=1)
    assert clone(learner).get_params() == learner.get_params()
    assert {"ExactLearner", "PCLearner", "GESLearner", "SortRegressLearner"} <= set(LEARNERS)


def test_learned_attributes_raise_not_fitted_until_fit(design):
    learner = ExactLearner(progress=False)
    with pytest.raises(NotFittedError, match="fit"):
        learner.graph_
    assert not hasattr(learner, "edge_probs_")  # NotFittedError is an AttributeError
    scm, data, targets = design(0, d=4, n_obs=200, n_int=50)
    learner.fit(data, targets)
    assert isinstance(learner.graph_, nx.DiGraph)
    with pytest.raises(AttributeError, match="no attribute 'grpah_'"):
        learner.grpah_


def test_held_out_score_is_the_interventional_log_likelihood(design):
    scm, data, targets = design(0, d=4, n_obs=300, n_int=100)
    learner = ExactLearner(progress=False).fit(data, targets)
    held = {v: t.double() for v, t in scm.sample(60, seed=9).items()}
    rows = [set()] * 30 + [{scm.variables[0]}] * 30
    got = learner.score(held, rows)
    # by hand: the sum over nodes not intervened in each row of log p(x_v | parents)
    fitted = learner.scm_
    total = torch.zeros(60, dtype=torch.float64)
    for v in fitted.variables:
        ps = fitted.parents(v)
        pa = torch.stack([held[p] for p in ps], 1) if ps else torch.empty(60, 0, dtype=torch.float64)
        lp = fitted.mechanisms[v].log_prob(held[v], pa)
        keep = torch.tensor([v not in r for r in rows])
        total += torch.where(keep, lp, torch.zeros_like(lp))
    assert got == pytest.approx(float(total.mean()))
    assert got != pytest.approx(learner.score(held))  # the intervened node's term is left out


def test_true_graph_scores_better_held_out_than_a_wrong_one(design):
    scm, data, targets = design(2, d=5, n_obs=400, n_int=100)
    good = ExactLearner(progress=False).fit(data, targets)
    wrong = ExactLearner(progress=False, max_parents=0).fit(data, targets)  # the empty graph
    held = {v: t.double() for v, t in scm.sample(500, seed=77).items()}
    assert good.score(held) > wrong.score(held) + 0.1


def test_score_checks_its_input(design):
    scm, data, targets = design(0, d=4, n_obs=200, n_int=50)
    learner = SortRegressLearner(progress=False).fit(data, targets)
    with pytest.raises(MissingVariableError):
        learner.score({v: data[v] for v in list(data)[:2]})
    with pytest.raises(UnknownVariableError):
        learner.score({**data, "extra": data[scm.variables[0]]})
    with pytest.raises(OutOfRangeError):
        learner.sample_graphs(0)


def test_refit_replaces_every_learned_attribute(design):
    scm, data, targets = design(3, d=4, n_obs=200, n_int=50)
    learner = ExactLearner(progress=False).fit(data, targets)
    first = learner.scm_
    other = {f"w{i}": v for i, v in enumerate(data.values())}
    learner.fit(other)
    assert learner.variables_ == ("w0", "w1", "w2", "w3") and learner.scm_ is not first
    assert math.isfinite(learner.score(other))
    assert learner.lagged_graph_ is None
    assert np.isclose(learner.edge_probs_.to_numpy().diagonal(), 0).all()


def test_progress_bar_shows_and_can_be_turned_off(design, capsys):
    scm, data, targets = design(0, d=4, n_obs=200, n_int=50)
    ExactLearner(progress=True).fit(data, targets)
    assert "scoring parent sets" in capsys.readouterr().err
    ExactLearner(progress=False).fit(data, targets)
    assert capsys.readouterr().err == ""


def test_max_time_covers_fitting_scm_and_falls_back_to_linear_mechanisms(design, monkeypatch):
    # An MLP scm_ of 6 variables with 512-unit hidden layers takes about 17 s here (1.1 s with the
    # default layers, close enough to the budget that a faster machine fits it in time; the MLPs
    # stop early, so more optimiser steps would not slow them). With 1 s for the whole fit the
    # search (0.1 s) ends in time, the MLP fit is stopped at the deadline and scm_ gets linear
    # mechanisms, with a warning. (The patched default reaches the fit's child process because it
    # is forked, as on Python 3.11; a fork server, used from 3.12, would start it from a fresh import.)
    from causalworld.errors import TimeLimitWarning
    from causalworld.scm import fit as fit_module

    monkeypatch.setitem(fit_module.fit_scm.__kwdefaults__, "hidden", (512, 512))
    scm, data, targets = design(0, d=6)
    with pytest.warns(TimeLimitWarning, match="scm_ has linear mechanisms"):
        learner = ExactLearner(progress=False, max_time=1.0, mechanisms="mlp").fit(data, targets)
    assert learner.fit_time_ < 1.0 + 1.5  # the linear fallback and the child's start-up
    assert learner.timed_out_ and learner.fit_info_["mechanisms"].startswith("linear")
    assert set(learner.scm_.fit_summary["mechanism"]) == {"GaussianRoot", "LinearGaussian"}
    assert sorted(learner.scm_.graph.edges) == sorted(learner.graph_.edges)
    with pytest.raises(OutOfRangeError, match="None for no limit"):
        ExactLearner(progress=False, max_time=math.inf).fit(data, targets)
    unlimited = ExactLearner(progress=False, max_time=None).fit(data, targets)
    assert not unlimited.timed_out_ and sorted(unlimited.graph_.edges) == sorted(learner.graph_.edges)


def test_a_nonlinear_scm_under_max_time_is_fitted_after_the_thread_pool_has_run(design):
    # The fit runs in a forked child, which inherits this process's OpenMP pool without its
    # threads: with two threads its first parallel region used to wait forever, so a fit that
    # takes a second here always ran out of max_time and fell back to linear mechanisms.
    import time

    scm, data, targets = design(0, d=6)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        torch.ones(2**22).sum()  # a parallel region: the pool has its threads now
        start = time.perf_counter()
        learner = ExactLearner(progress=False, max_time=60.0, mechanisms="mlp").fit(data, targets)
        seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(before)
    assert not learner.timed_out_ and learner.fit_info_["mechanisms"] == "mlp" and seconds < 30
    assert {type(m).__name__ for m in learner.scm_.mechanisms.values()} != {"GaussianRoot", "LinearGaussian"}


def test_an_scm_fitted_within_max_time_is_the_one_fitted_without_it(design, monkeypatch):
    # With time to spare the non-linear fit runs in a child process and comes back whole: the
    # same mechanisms and the same samples as an unlimited fit (small MLPs keep this fast).
    from causalworld.scm import fit as fit_module

    for name, value in (("mlp_members", 1), ("mlp_steps", 20), ("hidden", (4,))):
        monkeypatch.setitem(fit_module.fit_scm.__kwdefaults__, name, value)
    scm, data, targets = design(0, d=3, n_obs=200, n_int=50)
    limited = ExactLearner(progress=False, max_time=600, mechanisms="mlp").fit(data, targets)
    free = ExactLearner(progress=False, mechanisms="mlp").fit(data, targets)
    assert not limited.timed_out_ and limited.fit_info_["mechanisms"] == "mlp"
    a, b = limited.scm_.sample(100, seed=0), free.scm_.sample(100, seed=0)
    assert all(torch.equal(a[v], b[v]) for v in scm.variables)


# ------------------------------------------------------------------ size limits
def _fitted_chain():
    import causalworld as cw

    truth = cw.SCM.linear([("a", "b")], {("a", "b"): 2.0}, 1.0)
    return SortRegressLearner(sort_by="var", progress=False).fit(truth.sample(300, seed=0))


def test_more_graphs_than_the_maximum_are_refused_at_once():
    import time

    from causalworld.discovery.base import MAX_GRAPH_SAMPLES

    learner = _fitted_chain()
    start = time.perf_counter()
    with pytest.raises(OutOfRangeError, match=f"sample_graphs\\(k=10000000\\).*MAX_GRAPH_SAMPLES = {MAX_GRAPH_SAMPLES}"):
        learner.sample_graphs(10**7)
    assert time.perf_counter() - start < 0.1


def test_the_memory_override_limits_and_allows_graph_samples(monkeypatch):
    from causalworld.errors import MemoryLimitError
    from causalworld.memory import MAX_BYTES_ENV

    learner = _fitted_chain()
    monkeypatch.setenv(MAX_BYTES_ENV, "10k")  # 100 DiGraphs of 2 nodes and an edge: about 140 kB
    with pytest.raises(MemoryLimitError, match=f"sample_graphs\\(k=100\\).*graphs at a time.*raise {MAX_BYTES_ENV}"):
        learner.sample_graphs(100)
    monkeypatch.setenv(MAX_BYTES_ENV, "1M")
    assert [sorted(g.edges) for g in learner.sample_graphs(100)] == [[("a", "b")]] * 100


def test_seeds_run_from_0_to_2_64_minus_1_and_negative_ones_are_refused():
    # A negative seed would alias a large one (torch reads seeds modulo 2**64): refused by every
    # learner at fit; the largest seed works, derived seeds wrapping instead of overflowing.
    from causalworld.discovery import ExactLearner, GESLearner, GradientLearner, PCLearner
    from causalworld.errors import OutOfRangeError

    truth = causalworld.random_scm(3, mechanism="mlp", seed=0)
    data = truth.sample(200, seed=0)
    for learner in (PCLearner(seed=-1), GESLearner(seed=-1), ExactLearner(seed=-1, progress=False),
                    GradientLearner(seed=-1, progress=False)):
        with pytest.raises(OutOfRangeError, match="non-negative"):
            learner.fit(data)
    fitted = GradientLearner(seed=2**64 - 1, progress=False, max_steps=40, min_steps=10, warmup_steps=5,
                             mechanisms="linear").fit(data)
    assert set(fitted.scm_.variables) == set(truth.variables)
