"""Size limits of the discrete mechanisms: a documented most categories, and parameters and noise
counted against the memory limit before anything is allocated."""

from __future__ import annotations

import time

import pytest
import torch

import causalworld as cw
from causalworld.errors import MemoryLimitError, OutOfRangeError
from causalworld.memory import MAX_BYTES_ENV
from causalworld.scm.mechanisms import Binary, Categorical
from causalworld.scm.mechanisms.discrete import MAX_CARDINALITY


def test_more_categories_than_the_maximum_is_out_of_range_at_once():
    start = time.perf_counter()
    with pytest.raises(OutOfRangeError, match=f"cardinality 10000000000 is more than MAX_CARDINALITY = {MAX_CARDINALITY}"):
        Categorical(0, 10**10)
    assert time.perf_counter() - start < 0.1
    assert Categorical(0, MAX_CARDINALITY).sample_noise(2).shape == (2, MAX_CARDINALITY)


def test_parameters_too_large_for_memory_are_refused_before_allocating():
    start = time.perf_counter()
    with pytest.raises(MemoryLimitError, match=r"Categorical\(1000000, 60000\) needs about 447 GiB"):
        Categorical(10**6, 60_000)
    assert time.perf_counter() - start < 0.1


def test_the_memory_override_limits_and_allows_a_categorical(monkeypatch):
    monkeypatch.setenv(MAX_BYTES_ENV, "64")  # 3 categories, 2 parents: 72 bytes of parameters
    with pytest.raises(MemoryLimitError, match=f"raise {MAX_BYTES_ENV}"):
        Categorical(2, 3)
    monkeypatch.setenv(MAX_BYTES_ENV, "1k")
    assert Categorical(2, 3).weight.shape == (2, 3)


def test_a_query_counts_one_noise_value_per_category(monkeypatch):
    def scm(k):
        return cw.SCM([("t", "y")], {"t": Binary(0), "y": Categorical(1, k)})

    wide, narrow = scm(1000), scm(3)
    monkeypatch.setenv(MAX_BYTES_ENV, "1M")  # 100 rows of 1000 Gumbel noises are 800 kB, twice over
    with pytest.raises(MemoryLimitError, match=r"sample\(n=100\)"):
        wide.sample(100, seed=0)
    out = narrow.sample(100, seed=0)
    assert out["y"].dtype == torch.int64 and set(out["y"].tolist()) <= {0, 1, 2}
