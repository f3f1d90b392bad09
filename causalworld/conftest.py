"""Doctest set-up: every docstring example runs with fixed seeds, common imports and one torch thread
(as the test suite does; also when only the doctests are run)."""

import numpy as np
import pandas as pd
import pytest
import torch

import causalworld


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    np.random.seed(0)
    doctest_namespace.update({"torch": torch, "np": np, "pd": pd, "cw": causalworld})
    yield
