"""The physical laws of ``falling`` and ``billiards`` against closed forms, and their drawing primitives."""

import math

import pytest
import torch

import causalworld as cw
from causalworld.envs.newtonian import (
    BilliardStep,
    FreeFall,
    Knock,
    billiard_step,
    box_coverage,
    disc_rows,
    knock_distance,
    stamp_discs,
)
from causalworld.errors import ConversionError, OutOfRangeError


def test_free_fall_follows_the_closed_form_and_stops_on_what_is_below():
    h0 = torch.linspace(0.3, 0.9, 7)
    for step in range(12):
        m = FreeFall(4, hold=0, x=1, platform_x=2, height=3, step=step, dt=0.05, gravity=9.81,
                     reach=0.18, platform_top=0.2)
        over = torch.stack([torch.zeros(7), torch.full((7,), 0.4), torch.full((7,), 0.45), h0], 1)
        beside = over.clone()
        beside[:, 1] = 0.1
        fall = h0 - 0.5 * 9.81 * (step * 0.05) ** 2
        torch.testing.assert_close(m.law(over), fall.clamp(min=0.2))
        torch.testing.assert_close(m.law(beside), fall.clamp(min=0.0))
        held = over.clone()
        held[:, 0] = 1.0
        torch.testing.assert_close(m.law(held), h0)


def test_knock_slides_the_platform_by_the_mass_ratio_law():
    drop, mu = 0.5, 0.8
    for m_pen, m_block in [(1.0, 1.0), (2.0, 0.5), (0.3, 2.0)]:
        m = Knock(6, hold=0, x=1, height=2, mass=3, platform_x=4, platform_mass=5, step=40, dt=0.05, gravity=9.81,
                  reach=0.18, platform_top=0.2, friction=mu, restitution=1.0, room=(-10.0, 10.0))
        left = torch.tensor([[0.0, 0.40, 0.2 + drop, m_pen, 0.45, m_block]])
        right = torch.tensor([[0.0, 0.50, 0.2 + drop, m_pen, 0.45, m_block]])
        want = (m_pen / (m_pen + m_block)) ** 2 * drop / mu
        assert m.law(left).item() == pytest.approx(want, rel=1e-5)
        assert m.law(right).item() == pytest.approx(-want, rel=1e-5)  # pushed away from the pen's centre
        assert knock_distance(torch.tensor(drop), torch.tensor(m_pen), torch.tensor(m_block), restitution=1.0,
                              friction=mu).item() == pytest.approx(want, rel=1e-6)


def test_knock_is_zero_before_impact_and_stops_at_the_wall():
    kw = dict(hold=0, x=1, height=2, mass=3, platform_x=4, platform_mass=5, dt=0.05, gravity=9.81, reach=0.18,
              platform_top=0.2, friction=0.8, restitution=1.0)
    pa = torch.tensor([[0.0, 0.40, 0.7, 2.0, 0.45, 0.5]])
    t_hit = math.sqrt(2 * 0.5 / 9.81)
    before = int(t_hit / 0.05)
    assert Knock(6, step=before, room=(0.0, 10.0), **kw).law(pa).item() == 0.0
    assert Knock(6, step=before + 1, room=(0.0, 10.0), **kw).law(pa).item() > 0.0
    assert Knock(6, step=40, room=(0.0, 0.5), **kw).law(pa).item() == pytest.approx(0.05)


def _energy_momentum(vx, vy, masses):
    m = torch.tensor(masses, dtype=vx.dtype)[:, None]
    return (0.5 * m * (vx**2 + vy**2)).sum(0), (m * vx).sum(0), (m * vy).sum(0)


def test_billiard_collisions_keep_momentum_and_energy():
    g = torch.Generator().manual_seed(0)
    K, N, r = 3, 2000, 0.08
    masses = [1.0, 2.5, 0.7]
    # crowd the balls in the middle so that many pairs collide, far from the walls
    x = 0.5 + 0.12 * (torch.rand(K, N, generator=g) - 0.5)
    y = 0.5 + 0.12 * (torch.rand(K, N, generator=g) - 0.5)
    vx, vy = 0.04 * (torch.rand(K, N, generator=g) - 0.5), 0.04 * (torch.rand(K, N, generator=g) - 0.5)
    x, y, vx, vy = (t.double() for t in (x, y, vx, vy))
    e0, px0, py0 = _energy_momentum(vx, vy, masses)
    nx_, ny_, nvx, nvy = billiard_step(x, y, vx, vy, radius=r, masses=masses)
    e1, px1, py1 = _energy_momentum(nvx, nvy, masses)
    changed = (nvx != vx).any(0)
    assert changed.float().mean() > 0.5  # most episodes had a collision
    torch.testing.assert_close(e1, e0, rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(px1, px0, rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(py1, py0, rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(nx_, x + nvx)  # no wall within reach: plain motion


def test_billiard_wall_bounce_mirrors_position_and_reverses_velocity():
    x, y = torch.tensor([[0.9], [0.1]]), torch.tensor([[0.5], [0.09]])
    vx, vy = torch.tensor([[0.05], [0.0]]), torch.tensor([[0.01], [-0.03]])
    nx_, ny_, nvx, nvy = billiard_step(x, y, vx, vy, radius=0.07, masses=[1.0, 1.0])
    assert nx_[0].item() == pytest.approx(2 * 0.93 - 0.95) and nvx[0].item() == pytest.approx(-0.05)
    assert ny_[0].item() == pytest.approx(0.51) and nvy[0].item() == pytest.approx(0.01)
    assert ny_[1].item() == pytest.approx(2 * 0.07 - 0.06) and nvy[1].item() == pytest.approx(0.03)


def test_billiard_step_mechanism_is_exactly_invertible_and_scores_its_noise():
    cols = [[0, 1, 2, 3], [4, 5, 6, 7]]
    m = BilliardStep(8, columns=cols, ball=0, component="vy", radius=0.1, masses=[1.0, 1.0], noise_std=0.01)
    pa = torch.rand(16, 8, generator=torch.Generator().manual_seed(1))
    u = m.sample_noise(16, torch.Generator().manual_seed(2))
    x = m(pa, u)
    torch.testing.assert_close(m.abduct(pa, x), u)
    torch.testing.assert_close(m.log_prob(x, pa), torch.distributions.Normal(0.0, 0.01).log_prob(u))
    zero = BilliardStep(8, columns=cols, ball=0, component="vy", radius=0.1, masses=[1.0, 1.0])
    x0 = zero(pa, zero.sample_noise(16))
    assert bool((zero.log_prob(x0, pa) == 0).all()) and bool(torch.isinf(zero.log_prob(x0 + 1e-3, pa)).all())
    with pytest.raises(ConversionError):
        zero.noise_distribution()
    with pytest.raises(OutOfRangeError):
        BilliardStep(8, columns=cols, ball=0, component="speed", radius=0.1, masses=[1.0, 1.0])
    with pytest.raises(OutOfRangeError):
        FreeFall(1, hold=0, height=0, step=1, dt=0.1, gravity=9.81, noise_std=-1.0)


def test_box_and_disc_coverage_add_up_to_their_area():
    cov = box_coverage(torch.tensor([1.3]), torch.tensor([5.8]), 8)
    assert cov.sum().item() == pytest.approx(4.5)
    index, cover = disc_rows(torch.tensor([16.3]), torch.tensor([15.7]), 6.0, 32, 32)
    assert cover.sum().item() == pytest.approx(math.pi * 36, rel=0.02)
    out = torch.zeros(1, 1, 32, 32, dtype=torch.uint8)
    stamp_discs(out, torch.tensor([[16.3]]), torch.tensor([[15.7]]), 6.0, torch.tensor([[200.0]]))
    dense = torch.zeros(32, 32)
    dense[index[0]] = cover[0]
    torch.testing.assert_close(out[0, 0].float(), (200.0 * dense + 0.5).floor())


def test_mechanisms_are_registered_so_a_truth_reloads(tmp_path):
    world = cw.make("billiards", image_size=16, frames=3, n_balls=2)
    world.truth.save(tmp_path / "truth")
    back = cw.SCM.load(tmp_path / "truth")
    a, b = world.truth.sample(5, seed=3), back.sample(5, seed=3)
    assert all(torch.equal(a[v], b[v]) for v in world.truth.variables)
