"""Doctest set-up of the experimenter: fixed seeds, common imports, one torch thread."""

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
