"""The seed rule in ``causalworld/scm/seeding.py``: one seed, one stream, and no two seeds alike."""

import numpy as np
import pytest
import torch

import causalworld as cw
from causalworld.errors import DTypeError, OutOfRangeError
from causalworld.scm.seeding import SEED_MAX, as_generator, check_seed


def test_negative_seeds_are_refused_instead_of_aliasing_large_ones():
    # torch reads -1 as 2**64 - 1: the two gave one stream before negatives were refused
    with pytest.raises(OutOfRangeError, match="non-negative"):
        as_generator(-1, "cpu")
    big = torch.rand(3, generator=as_generator(SEED_MAX, "cpu"))
    assert not torch.equal(big, torch.rand(3, generator=as_generator(0, "cpu")))


@pytest.mark.parametrize("seed, error", [(-1, OutOfRangeError), (2**64, OutOfRangeError), ("a", DTypeError),
                                         (1.5, DTypeError), (True, DTypeError)])
def test_every_seeded_entry_point_refuses_a_bad_seed(seed, error):
    scm = cw.SCM.linear([("t", "y")], {("t", "y"): 1.0})
    with pytest.raises(error, match="seed"):
        scm.sample(2, seed=seed)
    with pytest.raises(error, match="seed"):
        cw.average_causal_effect(scm, "y", {"t": lambda t: 1.0}, {"t": lambda t: 0.0}, num_samples_to_draw=4, seed=seed)
    with pytest.raises(error, match="seed"):
        cw.make("lights", image_size=8, seed=seed)


def test_the_largest_seed_works_everywhere():
    scm = cw.SCM.linear([("t", "y")], {("t", "y"): 3.0})
    ace = cw.average_causal_effect(scm, "y", {"t": lambda t: 1.0}, {"t": lambda t: 0.0},
                                   num_samples_to_draw=8, seed=SEED_MAX)
    assert ace == pytest.approx(3.0)
    assert check_seed(np.uint64(SEED_MAX)) == SEED_MAX
