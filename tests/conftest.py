"""Shared fixtures: fixed seeds, and the doctest namespace (torch, numpy, pandas, causalworld)."""

import numpy as np
import pandas as pd
import pytest
import torch

import causalworld


@pytest.fixture(autouse=True)
def _fixed_seeds():
    torch.manual_seed(0)
    np.random.seed(0)
    yield


def pytest_configure(config):
    # The suite is many small tensor ops: one intra-op thread per test process avoids
    # oversubscription (two BLAS threads on a 2-core machine that is also busy are many times
    # slower), and pytest-xdist spreads test files over the cores instead.
    torch.set_num_threads(1)
