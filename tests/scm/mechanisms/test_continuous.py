"""Empirical noise on continuous mechanisms: draws are the stored values, resampled."""

import pytest
import torch

from causalworld.errors import NonFiniteError, OutOfRangeError
from causalworld.scm.mechanisms import AdditiveNoiseMLP, GaussianRoot, LinearGaussian, PostNonlinear, QuadraticGaussian


@pytest.mark.parametrize("make", [GaussianRoot, lambda: LinearGaussian(1, weight=[2.0]),
                                  lambda: AdditiveNoiseMLP(1, hidden=(4,)), lambda: QuadraticGaussian(1, weight=[1.0, 0.5]),
                                  lambda: PostNonlinear(LinearGaussian(1, weight=[1.0]), link="cube")])
def test_empirical_noise_resamples_its_values_and_travels_in_the_config(make):
    values = torch.tensor([-1.0, 0.5, 4.0])
    m = make().set_empirical_noise(values)
    draws = m.sample_noise(3_000, torch.Generator().manual_seed(0))
    assert set(draws.tolist()) == set(values.tolist())  # every value, and only them
    counts = torch.stack([(draws == v).float().mean() for v in values])
    assert torch.allclose(counts, torch.full((3,), 1 / 3), atol=0.03)  # uniformly, with replacement
    config = m.get_config()
    assert config["empirical_noise"] == 3
    copy = type(m).from_config(config)
    copy.load_state_dict(m.state_dict(), strict=True)
    assert torch.equal(copy.noise_values, m.noise_values)
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    assert torch.equal(copy.sample_noise(10, g1), m.sample_noise(10, g2))
    mean = float(m.mean if isinstance(m, GaussianRoot) else m.noise_mean)
    assert mean == pytest.approx(float(values.mean()))
    assert "empirical: 3 values" in m.equation("y", [] if isinstance(m, GaussianRoot) else ["x"])


def test_empirical_noise_refuses_values_it_cannot_use():
    with pytest.raises(NonFiniteError, match="NaN or infinity"):
        GaussianRoot().set_empirical_noise([1.0, float("nan")])
    with pytest.raises(OutOfRangeError, match="values that vary"):
        LinearGaussian(1).set_empirical_noise([2.0, 2.0])
    with pytest.raises(OutOfRangeError, match="values that vary"):
        GaussianRoot().set_empirical_noise([])
