"""``billiards``: elastic collisions and bounces, the lag-1 summary graph, ``do`` and counterfactuals."""

from __future__ import annotations

import itertools

import pytest
import torch

import causalworld as cw
from causalworld.envs import check_world
from causalworld.errors import ArgumentError, OutOfRangeError, UnknownVariableError


def _state(eps, K):
    return {s: torch.stack([eps.values[f"{s}_{k}"] for k in range(K)], dim=1) for s in ("x", "y", "vx", "vy")}  # [n, K, T]


@pytest.mark.parametrize("kw", [dict(image_size=16, frames=5), dict(image_size=32, frames=3, n_balls=2, noise_std=0.0),
                                dict(image_size=8, frames=4, n_balls=5, masses=[1, 2, 3, 4, 5])])
def test_passes_check_world(kw):
    check_world(cw.make("billiards", **kw), n=6, seed=3)


def test_summary_graph_links_every_ball_to_every_ball_at_lag_one():
    w = cw.make("billiards", image_size=16, frames=4, n_balls=3)
    for a, b in itertools.permutations(w.variables, 2):
        assert w.graph.has_edge(a, b)
    for k, j in itertools.product(range(3), repeat=2):
        for s, r in itertools.product(("x", "y", "vx", "vy"), repeat=2):
            assert w.truth.graph.has_edge(f"{s}_{k}[2]", f"{r}_{j}[3]")
    lags = {int(b.split("[")[1][:-1]) - int(a.split("[")[1][:-1]) for a, b in w.truth.graph.edges}
    assert lags == {1}
    assert w.time_varying == w.variables


def test_collisions_keep_momentum_and_energy_with_zero_noise():
    masses = [1.0, 3.0, 0.5]
    w = cw.make("billiards", image_size=16, frames=8, noise_std=0.0, masses=masses)
    # balls 0 and 1 meet obliquely in the middle; ball 2 drifts slowly at the bottom; no wall is reached
    eps = w.rollout(4, seed=0, do={"x_0": 0.3, "y_0": 0.52, "vx_0": 0.04, "vy_0": 0.0,
                                   "x_1": 0.7, "y_1": 0.48, "vx_1": -0.03, "vy_1": 0.005,
                                   "x_2": 0.5, "y_2": 0.15, "vx_2": 0.01, "vy_2": 0.0})
    st = _state(eps, 3)
    m = torch.tensor(masses)[None, :, None]
    px, py = (m * st["vx"]).sum(1), (m * st["vy"]).sum(1)
    energy = (0.5 * m * (st["vx"] ** 2 + st["vy"] ** 2)).sum(1)
    assert not torch.equal(st["vx"][:, 0, -1], st["vx"][:, 0, 0])  # they did collide
    for q in (px, py, energy):
        torch.testing.assert_close(q, q[:, :1].expand_as(q), rtol=1e-5, atol=1e-7)


def test_a_wall_bounce_reflects_the_velocity():
    w = cw.make("billiards", image_size=16, frames=6, n_balls=1, noise_std=0.0, radius=0.07)
    eps = w.rollout(1, seed=0, do={"x_0": 0.88, "vx_0": 0.02, "y_0": 0.5, "vy_0": 0.0})
    x, vx = eps.values["x_0"][0], eps.values["vx_0"][0]
    expected = [0.88, 0.90, 0.92, 0.93 - 0.01, 0.90, 0.88]  # mirrored at 1 - r = 0.93
    torch.testing.assert_close(x, torch.tensor(expected), rtol=0, atol=1e-6)
    torch.testing.assert_close(vx, torch.tensor([0.02, 0.02, 0.02, -0.02, -0.02, -0.02]), rtol=0, atol=1e-7)


def test_balls_that_never_meet_do_not_influence_each_other():
    w = cw.make("billiards", image_size=16, frames=10, n_balls=2)
    far = {"x_0": 0.2, "y_0": 0.85, "vy_0": 0.0, "x_1": 0.8, "y_1": 0.15, "vx_1": -0.02, "vy_1": 0.0}
    eps = w.rollout(8, seed=1, do={**far, "vx_0": 0.01})
    cf = w.counterfactual_rollout(eps, {"vx_0": 0.04})
    assert not torch.equal(cf.values["x_0"], eps.values["x_0"])
    for v in ("x_1", "y_1", "vx_1", "vy_1"):
        assert torch.equal(cf.values[v], eps.values[v])  # exactly: the noise is shared and no collision happens
    assert w.graph.has_edge("vx_0", "x_1") and w.graph.has_edge("x_0", "vx_1")  # yet the edges exist


def test_do_sets_the_first_frame_and_the_dynamics_follow():
    w = cw.make("billiards", image_size=16, frames=5, n_balls=2, noise_std=0.0)
    eps = w.rollout(3, seed=2, do={"x_0": 0.5, "y_0": 0.5, "vx_0": 0.01, "vy_0": -0.02, "x_1": 0.1, "y_1": 0.9})
    torch.testing.assert_close(eps.values["x_0"][:, 0], torch.full((3,), 0.5))
    t = torch.arange(5, dtype=torch.float32)
    torch.testing.assert_close(eps.values["x_0"], (0.5 + 0.01 * t).expand(3, 5))
    torch.testing.assert_close(eps.values["y_0"], (0.5 - 0.02 * t).expand(3, 5))
    obs = w.rollout(3, seed=2)
    for v in w.variables:  # only the roots set by do differ at frame 0
        if v not in ("x_0", "y_0", "vx_0", "vy_0", "x_1", "y_1"):
            assert torch.equal(eps.values[v][:, 0], obs.values[v][:, 0])


def test_counterfactual_rollout_replays_the_noise_and_matches_the_truths_counterfactual():
    w = cw.make("billiards", image_size=16, frames=6)
    eps = w.rollout(16, seed=3)
    same = w.counterfactual_rollout(eps, {})
    assert torch.equal(same.frames, eps.frames)
    cf = w.counterfactual_rollout(eps, {"vx_0": 0.08})
    redo = w.rollout(16, seed=3, do={"vx_0": 0.08})
    assert torch.equal(cf.frames, redo.frames)
    truth_cf = w.truth.counterfactual(w.unroll(eps.values), {"vx_0[0]": 0.08})
    for v, t in w.unroll(redo.values).items():
        torch.testing.assert_close(truth_cf[v], t, atol=1e-5, rtol=0)
    assert bool(torch.isfinite(w.truth.log_prob(w.unroll(eps.values))).all())


def test_velocities_are_not_drawn_and_every_position_shows():
    g = torch.Generator().manual_seed(4)
    for size, K in ((8, 2), (16, 3), (32, 4)):
        w = cw.make("billiards", image_size=size, frames=2, n_balls=K)
        n = 256
        values = {v: torch.rand((n, 2), generator=g) * 0.1 - 0.05 for v in w.variables}
        for v, (step, low, high) in w.tolerances.items():
            values[v] = low + (high - step - low) * torch.rand((n, 2), generator=g)
        base = w.render(values)
        for v, (step, low, high) in w.tolerances.items():
            same = (w.render({**values, v: values[v] + step}) == base).flatten(2).all(-1)
            assert not bool(same.any()), f"{v} at {size}px"
        assert set(w.tolerances) == {f"{s}_{k}" for k in range(K) for s in "xy"}
        assert torch.equal(w.render({**values, "vx_0": -values["vx_0"]}), base)


def test_bad_input_gives_typed_errors():
    w = cw.make("billiards", image_size=16, frames=3, n_balls=2)
    with pytest.raises(UnknownVariableError):
        w.rollout(2, do={"x_2": 0.5})
    with pytest.raises(OutOfRangeError):
        w.rollout(2, do={"vx_0": 0.5})
    with pytest.raises(OutOfRangeError):
        w.rollout(2, do={"x_0": 0.0})  # the centre cannot be in the wall
    with pytest.raises(UnknownVariableError):
        w.rollout(2, do={"x_0[1]": 0.5})
    for bad, err in ((dict(n_balls=0), OutOfRangeError), (dict(n_balls=2.5), OutOfRangeError),
                     (dict(masses=[1.0]), ArgumentError), (dict(masses=[1.0, -1.0, 1.0]), ArgumentError),
                     (dict(radius=0.4), OutOfRangeError), (dict(speed=0.1), OutOfRangeError),
                     (dict(noise_std=-0.1), OutOfRangeError), (dict(friction=0.1), ArgumentError)):
        with pytest.raises(err):
            cw.make("billiards", **bad)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.gpu
def test_on_cuda_it_passes_check_world_and_draws_as_on_cpu():
    cpu = cw.make("billiards", image_size=32, frames=8)
    gpu = cw.make("billiards", image_size=32, frames=8, device="cuda")
    check_world(gpu, n=6, seed=0)
    eps = cpu.rollout(64, seed=0)
    drawn = gpu.render({k: v.cuda() for k, v in eps.values.items()})
    assert (drawn.cpu().int() - eps.frames.int()).abs().max() <= 1  # float rounding at most
