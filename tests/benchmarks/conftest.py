"""The benchmark scripts set torch's thread count (``--threads``); each test here gets the count
it started with back, so the tests after it run as they would have."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def _threads_restored() -> Iterator[None]:
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)
