"""Doctest set-up: every docstring example runs with fixed seeds and common imports."""

import numpy as np
import pandas as pd
import pytest
import torch

import causalworld


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    torch.manual_seed(0)
    np.random.seed(0)
    doctest_namespace.update({"torch": torch, "np": np, "pd": pd, "cw": causalworld})
    yield
