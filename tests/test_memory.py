"""Memory estimates are checked against the device's free memory, or the CAUSALWORLD_MAX_BYTES
override, before anything is allocated; a request over the limit is a MemoryLimitError naming
the size, the estimate, the limit and the way under it."""

from __future__ import annotations

import sys

import psutil
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from causalworld.errors import ArgumentError, MemoryLimitError
from causalworld.memory import MAX_BYTES_ENV, check_memory, format_bytes, free_bytes, memory_limit
from causalworld.serve.statuses import status_of


def _meminfo_available() -> int:
    with open("/proc/meminfo") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))


def test_free_bytes_is_the_available_ram_with_or_without_psutil(monkeypatch):
    truth = _meminfo_available()
    assert abs(free_bytes("cpu") - psutil.virtual_memory().available) < 0.05 * truth
    monkeypatch.setitem(sys.modules, "psutil", None)  # "import psutil" now fails: /proc/meminfo is read
    assert abs(free_bytes("cpu") - truth) < 0.05 * truth


def test_a_request_over_the_limit_names_size_estimate_limit_and_fix():
    with pytest.raises(MemoryLimitError) as info:
        check_memory(3 * 2**40, what="sample(n=2**40)", fix="draw {fit} rows at a time", per_item=3,
                     max_bytes=2**30)
    msg = str(info.value)
    assert "sample(n=2**40)" in msg and "3 TiB" in msg and "1 GiB" in msg
    assert "draw 10**8 rows at a time" in msg  # 10**8 rows of 3 bytes stay under half of 1 GiB; 10**9 do not
    assert isinstance(info.value, MemoryError) and status_of(info.value).http == 413


def test_under_the_limit_the_estimate_comes_back(monkeypatch):
    monkeypatch.delenv(MAX_BYTES_ENV, raising=False)
    assert check_memory(1000, what="x", fix="y") == 1000
    assert check_memory(2**30, what="x", fix="y", max_bytes=2**31) == 2**30
    assert memory_limit("cpu", max_bytes=5) == (5, "max_bytes=5")


def test_the_environment_variable_lowers_and_raises_the_limit(monkeypatch):
    free = free_bytes("cpu")
    monkeypatch.setenv(MAX_BYTES_ENV, "1k")
    with pytest.raises(MemoryLimitError, match=f"raise {MAX_BYTES_ENV}"):
        check_memory(2048, what="a small request", fix="ask for less")
    assert memory_limit("cpu") == (1024, f"{MAX_BYTES_ENV}=1k")
    monkeypatch.setenv(MAX_BYTES_ENV, str(4 * free))  # more than is free: allowed when asked for
    assert check_memory(2 * free, what="x", fix="y") == 2 * free
    monkeypatch.delenv(MAX_BYTES_ENV)
    with pytest.raises(MemoryLimitError, match=f"set {MAX_BYTES_ENV}"):
        check_memory(2 * free, what="x", fix="y")


@pytest.mark.parametrize("text, expected", [("8e9", 8 * 10**9), ("512M", 512 * 2**20), ("16GiB", 16 * 2**30),
                                            ("2048", 2048), ("1.5k", 1536)])
def test_the_override_reads_plain_and_suffixed_sizes(monkeypatch, text, expected):
    monkeypatch.setenv(MAX_BYTES_ENV, text)
    assert memory_limit("cpu")[0] == expected


def test_an_override_that_is_not_a_size_is_an_argument_error(monkeypatch):
    monkeypatch.setenv(MAX_BYTES_ENV, "lots")
    with pytest.raises(ArgumentError, match="not a number of bytes"):
        check_memory(10, what="x", fix="y")


def test_format_bytes_uses_binary_units():
    assert [format_bytes(b) for b in (0, 1023, 1024, 1536 * 2**20)] == ["0 B", "1023 B", "1 KiB", "1.5 GiB"]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 2**62), suffix=st.sampled_from(["", "k", "M", "GiB", "T"]))
def test_any_whole_number_of_bytes_is_read_exactly(n, suffix):
    power = {"": 0, "k": 1, "M": 2, "GiB": 3, "T": 4}[suffix]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(MAX_BYTES_ENV, f"{n}{suffix}")
        assert memory_limit("cpu")[0] == n * 1024**power


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_on_a_gpu_the_limit_is_its_free_memory():
    import causalworld as cw

    free, _ = torch.cuda.mem_get_info()
    assert abs(free_bytes("cuda") - free) < 2**28
    scm = cw.random_scm(4, seed=0).to("cuda")
    with pytest.raises(MemoryLimitError, match="free memory of cuda"):
        scm.sample(2**40)
    assert scm.sample(1000, seed=0)[scm.variables[0]].device.type == "cuda"
