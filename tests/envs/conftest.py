"""Fixtures of the world tests: small worlds, one torch thread (the CI machine has 2 shared cores,
where two OpenMP threads make the many small ops of these tests far slower), and a clean registry."""

from __future__ import annotations

import pytest
import torch

import causalworld as cw
from causalworld.envs import registry


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def clean_registry():
    """Registrations a test makes are removed afterwards."""
    saved = {name: dict(v) for name, v in registry._WORLDS.items()}
    yield
    registry._WORLDS.clear()
    registry._WORLDS.update(saved)


@pytest.fixture(scope="module")
def lights():
    return cw.make("lights", image_size=16, frames=4)


@pytest.fixture(scope="module")
def sprites():
    return cw.make("sprites", image_size=32, n_objects=3, frames=2)
