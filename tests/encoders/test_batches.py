"""The encoder's training draws: what an agent that plays in a world sets, and to what."""

import torch

import causalworld as cw
from causalworld.encoders.batches import NARROWEST, WorldBatches, standardised


def _draws(world, narrow, n=20000):
    batches = WorldBatches(world, tuple(world.intervenable), batch_size=1, seed=0, p_set=1.0, counterfactual=False,
                           narrow=narrow)
    _, set_values = batches.draw_do(torch.Generator().manual_seed(0), n)
    return batches, set_values


def test_crowded_episodes_draw_every_continuous_value_near_the_middle_and_stay_calibrated():
    world = cw.make("lights", image_size=8, frames=1)
    batches, sv = _draws(world, narrow=0.5)
    cont = ~batches.discrete
    where = (sv[:, cont] - batches.mean[cont]) / (batches.high[cont] - batches.low[cont])  # in [-0.5, 0.5]
    # an episode's continuous values share one width: the farthest from the middle bounds the others
    reach = where.abs().max(1).values
    # all k values within 0.4 of the middle: 0.8^k for a plain draw; for a crowded one of width
    # s ~ U(a, 1), min(1, 0.8 / s)^k integrated over s
    k, a = int(cont.sum()), NARROWEST
    crowded = ((0.8 - a) + 0.8**k * (0.8 ** (1 - k) - 1) / (k - 1)) / (1 - a)
    expected = 0.5 * 0.8**k + 0.5 * crowded
    assert abs(float((reach < 0.4).float().mean()) - expected) < 0.02
    assert float(where.abs().max()) <= 0.5
    # the switches are drawn as before: 0 or 1 with equal chance
    switches = sv[:, batches.discrete]
    assert set(switches.unique().tolist()) == {0.0, 1.0}
    assert abs(float(switches.mean()) - 0.5) < 0.02
    # what the latents are aligned to stays standardised: mean 0, std 1 over the draws
    _, z = standardised(sv, batches.mean, batches.std)
    assert torch.allclose(z.mean(0), torch.zeros(z.shape[1]), atol=0.03)
    assert torch.allclose(z.std(0), torch.ones(z.shape[1]), atol=0.03)


def test_without_crowding_the_draws_are_uniform_over_each_range():
    world = cw.make("lights", image_size=8, frames=1)
    batches, sv = _draws(world, narrow=0.0)
    cont = ~batches.discrete
    u = (sv[:, cont] - batches.low[cont]) / (batches.high[cont] - batches.low[cont])
    assert torch.allclose(torch.quantile(u, torch.tensor([0.1, 0.5, 0.9]), dim=0).T,
                          torch.tensor([0.1, 0.5, 0.9]).expand(int(cont.sum()), 3), atol=0.02)
