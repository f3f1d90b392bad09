"""The shared conformance checks (like scikit-learn's ``check_estimator``) on every registered
learner. A new learner registered with ``register_learner`` and imported by
``causalworld.discovery`` is checked here; give it fast settings in ``FAST``."""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pytest

import causalworld.discovery as discovery
from causalworld.discovery import checks
from causalworld.errors import PoorFitWarning

# Settings that keep each learner quick on the 600-row toy problem of the checks.
FAST: dict[str, dict] = {
    "ExactLearner": {},
    "PCLearner": {},
    "GESLearner": {},
    "SortRegressLearner": {},
    "GradientLearner": {"max_steps": 300},
}


def _learner(name: str):
    cls = discovery.LEARNERS[name]
    settings = {"progress": False}
    valid = cls._param_names()
    settings.update({k: v for k, v in FAST.get(name, {}).items() if k in valid})
    return cls(**settings)


@pytest.mark.parametrize("name", sorted(discovery.LEARNERS))
@pytest.mark.parametrize(
    "check",
    [checks.check_settings_stored, checks.check_not_fitted],
    ids=lambda f: f.__name__,
)
def test_contract_without_data(name, check):
    check(_learner(name))


@pytest.mark.parametrize("name", sorted(discovery.LEARNERS))
@pytest.mark.parametrize(
    "check",
    [checks.check_fit_returns_self, checks.check_outputs, checks.check_edge_probs_describe_graph,
     checks.check_deterministic, checks.check_bad_input, checks.check_max_time],
    ids=lambda f: f.__name__,
)
def test_contract_on_the_toy_problem(name, check, toy):
    truth, data, targets = toy
    check(_learner(name), data, targets)


@pytest.mark.parametrize("name", sorted(name for name in discovery.LEARNERS
                                         if "n_bootstrap" in discovery.LEARNERS[name]._param_names()))
def test_bootstrap_edge_probs_describe_the_graph(name, toy):
    # With resamples the frequencies are no longer the 0/1 matrix of graph_: the graph must follow
    # them. Resamples repeat rows, so a search on them keeps chance edges (GES here: x4 gets two
    # parents that explain 0.7 % of it) and the bagged graph's fit may warn so: allowed here.
    truth, data, targets = toy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PoorFitWarning)
        checks.check_edge_probs_describe_graph(_learner(name).set_params(n_bootstrap=6), data, targets)


@pytest.mark.parametrize("name", sorted(discovery.LEARNERS))
def test_background_knowledge_is_obeyed_or_refused(name, toy):
    truth, data, targets = toy
    checks.check_knowledge(_learner(name), data, targets, truth)


@pytest.fixture(scope="module")
def toy():
    return checks.toy_problem()


def expected_calibration_error(probs: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    """Over equal-width bins of the predicted probability: ``|mean predicted - share true|``,
    weighted by the share of pairs in the bin."""
    which = np.minimum((probs * bins).astype(int), bins - 1)
    return float(sum(abs(probs[which == b].mean() - truth[which == b].mean()) * (which == b).mean()
                     for b in range(bins) if (which == b).any()))


# Learners whose edge_probs_ are probabilities by default (the baselines' are 0/1 without
# n_bootstrap), their fast settings, the design (random linear SCMs with interventions on every
# variable) and seeds. Measured pooled ECE: ExactLearner 0.026 (fewer rows than the benchmark, so
# that the posterior is uncertain), GradientLearner 0.010.
CALIBRATION = {
    "ExactLearner": ({}, {"d": 6, "n_obs": 100, "n_int": 30}, range(8)),
    "GradientLearner": ({"max_steps": 300}, {"d": 5, "n_obs": 200, "n_int": 60}, range(3)),
}


@pytest.mark.parametrize("name", sorted(CALIBRATION))
def test_edge_probs_are_calibrated_against_the_true_graph(name, design):
    settings, shape, seeds = CALIBRATION[name]
    probs, truth = [], []
    for seed in seeds:
        scm, data, targets = design(seed, **shape)
        learner = _learner(name).set_params(**settings).fit(data, targets)
        names = list(learner.variables_)
        off = ~np.eye(len(names), dtype=bool)
        probs.append(learner.edge_probs_.loc[names, names].to_numpy()[off])
        truth.append((nx.to_numpy_array(scm.graph, nodelist=names) > 0)[off])
    assert expected_calibration_error(np.concatenate(probs), np.concatenate(truth).astype(float)) <= 0.1


def test_expected_calibration_error_of_known_cases():
    truth = np.array([1, 1, 0, 0], float)
    assert expected_calibration_error(truth, truth) == 0.0
    assert expected_calibration_error(1 - truth, truth) == 1.0
    assert expected_calibration_error(np.full(4, 0.5), truth) == 0.0  # right on average
    assert expected_calibration_error(np.full(4, 0.9), truth) == pytest.approx(0.4)
