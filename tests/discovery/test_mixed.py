"""The mixed score: a conditional Gaussian for continuous nodes and a logistic regression for
discrete ones, checked against per-group least squares and the SCM fitter's own logistic fit, and
against the true graph of ``lights``, where a binary switch makes its lamp's two clusters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import causalworld as cw
from causalworld.discovery import ExactLearner, MixedScore
from causalworld.discovery.mixed import discrete_columns, logistic_loglik
from causalworld.discovery.scores import make_score
from causalworld.errors import ArgumentError, OutOfRangeError
from causalworld.metrics import shd
from causalworld.scm.fit import fit_discrete


def _switch_lamp(n: int = 1000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ambient = rng.uniform(0.05, 0.95, n)
    switch = (rng.random(n) < 0.6).astype(float)
    lamp = switch * rng.uniform(0.2, 1.0, n) * (1 - 0.5 * ambient) + 0.02 * rng.normal(size=n)
    return np.c_[ambient, switch, lamp]


def test_a_continuous_node_is_one_gaussian_regression_per_combination_of_its_discrete_parents():
    X = _switch_lamp()
    s = MixedScore(X)
    n = len(X)
    ll = 0.0
    for on in (0.0, 1.0):
        rows = X[:, 1] == on
        A = np.c_[X[rows, 0], np.ones(rows.sum())]
        r = X[rows, 2] - A @ np.linalg.lstsq(A, X[rows, 2], rcond=None)[0]
        ll += -0.5 * rows.sum() * (np.log(2 * np.pi * (r @ r) / rows.sum()) + 1)
    params = 2 * (1 + 2)  # per switch value: a slope, an intercept, a noise variance
    assert s.local_one(2, [0, 1]) == pytest.approx(ll - 0.5 * params * np.log(n), rel=1e-10)
    # a discrete node: the logistic regression the SCM fitter uses, by L-BFGS, to the same likelihood
    Xt = torch.from_numpy(np.c_[(X[:, 2] - X[:, 2].mean()) / X[:, 2].std()])
    mech, _ = fit_discrete(Xt, torch.from_numpy(X[:, 1]).long(), 2, l2=0.0, steps=200)
    with torch.no_grad():
        ref = float(mech.log_prob(torch.from_numpy(X[:, 1]).long(), Xt).sum())
    ours = s.local_one(1, [2]) + 0.5 * 2 * np.log(n)  # an intercept and a slope
    # the lamp separates the switch's values: the likelihood tends to 1, which the fit's small
    # ridge approaches to within a few nats
    assert ours == pytest.approx(ref, abs=3.0)


def test_logistic_loglik_with_three_levels_matches_a_multinomial_fit():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1500, 2))
    logits = np.c_[np.zeros(1500), 1.5 * x[:, 0], -x[:, 0] + 2 * x[:, 1]]
    p = np.exp(logits - logits.max(1, keepdims=True))
    y = np.array([rng.choice(3, p=row / row.sum()) for row in p])
    F = np.c_[np.ones(1500), x][None]
    ours = float(logistic_loglik(F, y, 3, ridge=1e-6)[0])
    mech, _ = fit_discrete(torch.from_numpy(x), torch.from_numpy(y), 3, l2=0.0, steps=300)
    with torch.no_grad():
        ref = float(mech.log_prob(torch.from_numpy(y), torch.from_numpy(x)).sum())
    assert ours == pytest.approx(ref, abs=0.5)


def test_a_binary_cause_and_a_threshold_effect_are_both_oriented():
    X = _switch_lamp()
    s = MixedScore(X)
    assert s.graph_score([[0, 0, 1], [0, 0, 1], [0, 0, 0]]) > s.graph_score([[0, 0, 1], [0, 0, 0], [0, 1, 0]]) + 100
    # the other way round: a continuous cause and a binary effect it thresholds
    rng = np.random.default_rng(2)
    x = rng.normal(size=2000)
    y = (x + 0.3 * rng.normal(size=2000) > 0).astype(float)
    t = MixedScore(np.c_[x, y])
    assert t.graph_score([[0, 1], [0, 0]]) > t.graph_score([[0, 0], [1, 0]]) + 50


def test_exact_learner_with_the_mixed_score_finds_lights_switches_and_lamps_from_observation_alone():
    world = cw.make("lights", image_size=16, seed=0)
    values = world.truth.sample(1000, seed=3)
    variables = ["ambient", "switch_red", "switch_green", "switch_blue", "lamp_red", "lamp_green", "lamp_blue"]
    table = pd.DataFrame({v: values[v].double().numpy() for v in variables})
    learner = ExactLearner(score_func="mixed", progress=False).fit(table)
    assert shd(world.graph.subgraph(variables), learner.graph_) == 0
    assert learner.fit_info_["score_func"] == "mixed"
    # the switches it read as discrete are fitted as such: Bernoulli roots, and do(switch) moves the
    # lamp as in the world
    assert learner.fit_info_["discrete"] == ["switch_red", "switch_green", "switch_blue"]
    assert type(learner.scm_.mechanisms["switch_red"]).__name__ == "Binary"
    assert set(learner.scm_.sample(200, seed=0)["switch_red"].tolist()) == {0, 1}
    for on in (0, 1):
        ours = float(learner.scm_.do({"switch_red": on}).sample(4000, seed=1)["lamp_red"].mean())
        true = float(world.truth.do({"switch_red": on}).sample(4000, seed=1)["lamp_red"].mean())
        assert abs(ours - true) < 0.02


def test_discrete_columns_and_bad_settings():
    X = _switch_lamp(200)
    assert discrete_columns(X).tolist() == [False, True, False]
    assert MixedScore(X, discrete=[1]).discrete.tolist() == [False, True, False]
    assert make_score("mixed", X, basis="quadratic").basis == "quadratic"
    with pytest.raises(ArgumentError, match="basis must be"):
        MixedScore(X, basis="cubic")
    with pytest.raises(ArgumentError, match="column indices in"):
        MixedScore(X, discrete=[5])
    with pytest.raises(ArgumentError, match="at most 32"):
        MixedScore(X, discrete=[0])  # a continuous column given as discrete
    with pytest.raises(OutOfRangeError, match="penalty"):
        MixedScore(X, penalty=-1.0)
    with pytest.raises(ArgumentError, match="'mixed'"):
        ExactLearner(score_func="mixd", progress=False).fit(pd.DataFrame(X, columns=list("abc")))


def test_soft_regimes_are_scored_with_fits_of_their_own():
    X = _switch_lamp(1200)
    mask = np.zeros(X.shape, dtype=bool)
    mask[:300, 2] = True  # a soft intervention on the lamp: twice as bright, same parents
    X[:300, 2] *= 2.0
    hard, soft = MixedScore(X, mask), MixedScore(X, mask, soft=True)
    assert [len(g) for g in soft.soft_groups(2)] == [300] and hard.soft_groups(2) == []
    # the regime adds its own rows, fitted apart: with them the switch still explains the lamp
    gain_hard = hard.local_one(2, [0, 1]) - hard.local_one(2, [0])
    gain_soft = soft.local_one(2, [0, 1]) - soft.local_one(2, [0])
    assert gain_soft > gain_hard > 100
    learner = ExactLearner(score_func="mixed", interventions="soft", progress=False)
    learner.fit(pd.DataFrame(X, columns=["ambient", "switch", "lamp"]), targets=mask)
    assert sorted(learner.graph_.edges) == [("ambient", "lamp"), ("switch", "lamp")]


@pytest.mark.parametrize("score_func", ["mixed", "mixed-quadratic"])
def test_a_fit_with_more_coefficients_than_rows_left_to_judge_it_is_not_scored(score_func):
    """40 rows of 10 independent columns, two of them switches: no edge (without the rule the
    second-order form kept some: its near-interpolating fits looked strong)."""
    import pandas as pd

    from causalworld.discovery import ExactLearner

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 10))).add_prefix("x")
    X["x0"], X["x1"] = (X["x0"] > 0).astype(float), (X["x1"] > 0).astype(float)
    assert ExactLearner(score_func=score_func, progress=False).fit(X).graph_.number_of_edges() == 0
