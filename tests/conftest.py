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
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
