"""Stacked per-level evaluation of MLP mechanisms gives the per-variable answers."""

import pytest
import torch

import causalworld as cw
from causalworld.scm.evaluation_plan import EvaluationPlan
from causalworld.scm.mechanisms import AdditiveNoiseMLP, Binary, GaussianRoot


def per_variable(scm: cw.SCM) -> cw.SCM:
    plain = scm.do({})
    plain._evaluation = None  # the unstacked path, one mechanism at a time
    return plain


@pytest.mark.parametrize("seed", range(4))
def test_stacked_equals_per_variable(seed):
    scm = cw.random_scm(15, mechanism="mlp", seed=seed, dtype=torch.float64)
    assert isinstance(scm._plan(), EvaluationPlan)
    obs = scm.sample(200, seed=1)
    do = {scm.variables[3]: 0.7, scm.variables[5]: (lambda x: x + 1.0)}
    a, b = scm.counterfactual(obs, do), per_variable(scm).counterfactual(obs, do)
    noise = scm.sample_noise(50, seed=2)
    c, e = scm.from_noise(noise), per_variable(scm).from_noise(noise)
    for v in scm.variables:
        assert torch.allclose(a[v], b[v], atol=1e-12) and torch.allclose(c[v], e[v], atol=1e-12)


def test_mixed_architectures_and_discrete_parents():
    g = [("t", "a"), ("t", "b"), ("z", "a"), ("z", "b"), ("a", "c"), ("b", "c")]
    mechs = {
        "t": Binary(0, bias=0.2),
        "z": GaussianRoot(),
        "a": AdditiveNoiseMLP(2, hidden=(8,), noise_std=0.3),
        "b": AdditiveNoiseMLP(2, hidden=(8,), noise_std=0.3),
        "c": AdditiveNoiseMLP(2, hidden=(4, 4), noise_std=0.3),
    }
    scm = cw.SCM(g, mechs, dtype=torch.float64)
    obs = scm.sample(100, seed=0)
    a = scm.counterfactual(obs, {"t": 1}, num_samples=3, seed=4)
    b = per_variable(scm).counterfactual(obs, {"t": 1}, num_samples=3, seed=4)
    for v in scm.variables:
        assert torch.allclose(a[v].double(), b[v].double(), atol=1e-12)
