"""The default score's choice against designs whose mechanisms are known: linear ones keep the BIC,
clearly nonlinear ones get the RFF score, and neither few rows nor a binary cause fools it."""

from __future__ import annotations

import numpy as np

import causalworld as cw
from causalworld.discovery.score_choice import choose_score, nonlinear_gain


def test_linear_gaussian_scms_keep_the_bic():
    for seed in range(3):
        scm = cw.random_scm(8, edges_per_node=1.5, mechanism="linear", seed=seed)
        rows = scm.sample(500, seed=seed)
        assert choose_score(np.stack([rows[v].numpy() for v in scm.variables], 1))[0] == "bic"


def test_a_clearly_nonlinear_relation_gets_the_rff_score():
    rng = np.random.default_rng(0)
    a = rng.normal(size=800)
    c = a ** 2 - 1 + 0.2 * rng.normal(size=800)  # no linear trace of a at all
    name, why = choose_score(np.c_[a, c, rng.normal(size=800)])
    assert name == "rff" and "columns 0 -> 1" in why


def test_few_rows_do_not_count_as_nonlinearity():
    # 40 rows of 20 independent columns: the best held-out gain is pure noise (~0.14 per row).
    X = np.random.default_rng(1).normal(size=(40, 20))
    assert nonlinear_gain(X).max() > 0.05  # the noise the raised bar is there for
    assert choose_score(X)[0] == "bic"


def test_a_binary_cause_its_effect_separates_is_not_a_nonlinear_mechanism():
    # x in {0, 1}, y = 0.5 x + small noise: predicting x from y is an almost noise-free step (a
    # huge Gaussian gain the wrong way round); the relation y <- x is linear.
    rng = np.random.default_rng(2)
    x = rng.integers(0, 2, 600).astype(float)
    y = 0.5 * x + 0.02 * rng.normal(size=600)
    assert nonlinear_gain(np.c_[x, y])[1, 0] > 1.0
    assert choose_score(np.c_[x, y])[0] == "bic"
