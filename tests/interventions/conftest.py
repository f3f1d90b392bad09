"""Fixtures of the experimenter tests: one torch thread (2 shared CPU cores) and small worlds."""

from __future__ import annotations

import pytest
import torch

import causalworld as cw


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def lights():
    return cw.make("lights", image_size=8, frames=2)
