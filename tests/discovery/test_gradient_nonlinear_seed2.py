"""Seed 2 of the 20-node nonlinear design, in a file of its own: each fit takes minutes, and the
test runner gives a file to one worker, so the three seeds no longer queue on one."""

from __future__ import annotations

import pytest

from .test_gradient_nonlinear import check_20_node_design


@pytest.mark.slow
def test_recovers_a_20_node_nonlinear_graph_seed_2(nonlinear):
    check_20_node_design(2, nonlinear)
