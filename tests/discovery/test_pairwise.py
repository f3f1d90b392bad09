"""The pairwise orientation baselines on pairs whose direction the generator knows: each method
orients the kind of pair its paper assumes, swapping the arguments flips the sign, and bad input
raises typed errors."""

from __future__ import annotations

import numpy as np
import pytest

from causalworld.discovery.pairwise import anm_direction, igci_direction, reci_direction
from causalworld.errors import InsufficientDataError, NonFiniteError, ShapeError


def _additive(seed: int):  # a nonlinear function plus independent non-Gaussian noise
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, 400)
    return x, np.tanh(1.5 * x) + 0.5 * x + 0.15 * rng.uniform(-1, 1, 400)


def _monotone(seed: int):  # RECI's case: a monotone function of the cause with additive noise
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, 1000)
    return x, x ** (0.3, 0.5, 2.0, 3.0)[seed] + 0.05 * rng.normal(size=1000)


def _deterministic(seed: int):  # IGCI's case: an invertible function, barely any noise
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, 1000)
    return x, x ** (0.3, 0.5, 2.0, 3.0)[seed] + 1e-6 * rng.normal(size=1000)


@pytest.mark.parametrize("method, design", [(anm_direction, _additive), (reci_direction, _monotone),
                                            (igci_direction, _deterministic)])
def test_each_method_finds_the_cause_on_its_own_kind_of_pair(method, design):
    for seed in range(4):
        x, y = design(seed)
        forward, backward = method(x, y), method(y, x)
        assert forward > 0, (seed, forward)
        assert backward == pytest.approx(-forward, rel=1e-9, abs=1e-12)


def test_a_symmetric_pair_is_undecided_by_igci():
    x = np.linspace(0.0, 1.0, 200)
    assert igci_direction(x, x) == 0.0


@pytest.mark.parametrize("method", [anm_direction, reci_direction, igci_direction])
def test_bad_pairs_are_refused(method):
    with pytest.raises(ShapeError):
        method(np.zeros(20), np.zeros(21))
    with pytest.raises(NonFiniteError):
        method(np.r_[np.zeros(19), np.nan], np.zeros(20))
    with pytest.raises(InsufficientDataError):
        method(np.zeros(5), np.zeros(5))
