"""GradientLearner on the issue's nonlinear design: 20-node ER-2 random MLP SCMs, 500
observational rows and 200 per single-variable hard intervention; the learned graph against the
true one, and the counterfactuals of its fitted ``scm_`` against the true SCM's. (Apart from
test_gradient.py so that the test runner can give these minute-long fits a worker of their own.)"""

from __future__ import annotations

import pytest

from causalworld import metrics
from causalworld.discovery import GradientLearner


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])  # seed 2: test_gradient_nonlinear_seed2.py, for another worker
def test_recovers_20_node_nonlinear_graphs_and_their_counterfactuals(seed, nonlinear):
    check_20_node_design(seed, nonlinear)


def check_20_node_design(seed: int, nonlinear) -> None:
    # What docs/benchmarks.md states for seeds 0-9 (SHD 0, scm_ counterfactual error <= 0.1),
    # asserted as stated on the first three (not picked): 0.075, 0.088 and 0.0985 on seeds 0-2.
    truth, data, targets = nonlinear(seed)
    learner = GradientLearner(mechanisms="mlp", progress=False, seed=0).fit(data, targets)
    assert metrics.shd(truth.graph, learner.graph_) == 0
    assert metrics.auroc(truth.graph, learner.edge_probs_) > 0.95
    assert learner.fit_info_["refine"] == "rff"
    assert learner.fit_info_["refine_orders"]  # "auto": the RFF order search runs up to 50 variables
    # SCM.fit averages three MLPs per mechanism; its fit is the same bit for bit with any thread
    # count (tests/scm/test_stacked_training.py), so only another CPU's float32 rounding could move it.
    assert metrics.counterfactual_error(truth, learner.scm_) <= 0.1
