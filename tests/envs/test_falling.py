"""``falling``: free fall, supports, the knock, ``do`` and counterfactuals against the closed forms."""

from __future__ import annotations

import pytest
import torch

import causalworld as cw
from causalworld.envs import check_world
from causalworld.envs.falling import BALL_RADIUS
from causalworld.envs.newtonian import knock_distance
from causalworld.errors import ArgumentError, DeviceError, InterventionError, OutOfRangeError, UnknownVariableError

G, DT = 9.81, 0.05


@pytest.fixture(scope="module")
def exact():
    """No noise: the physics is exactly the closed form."""
    return cw.make("falling", image_size=16, frames=20, noise_std=0.0)


@pytest.fixture(scope="module")
def world():
    return cw.make("falling", image_size=16, frames=8)


def _fall(h0: torch.Tensor, floor: float, T: int) -> torch.Tensor:
    t = torch.arange(T, dtype=h0.dtype) * DT
    return (h0[:, None] - 0.5 * G * t**2).clamp(min=floor)


@pytest.mark.parametrize("kw", [dict(image_size=16, frames=6), dict(image_size=32, frames=3, noise_std=0.0),
                                dict(image_size=8, frames=4, p_support=0.1)])
def test_passes_check_world(kw):
    check_world(cw.make("falling", **kw), n=6, seed=3)


def test_unsupported_pen_and_released_ball_fall_by_the_closed_form(exact):
    eps = exact.rollout(16, seed=0, do={"support_pen": 0, "release": 1, "pen_x": 0.1, "block_x": 0.55})
    torch.testing.assert_close(eps.values["pen_y"], _fall(eps.values["pen_y"][:, 0], 0.0, exact.frames))
    torch.testing.assert_close(eps.values["ball_y"], _fall(eps.values["ball_y"][:, 0], BALL_RADIUS, exact.frames))
    assert bool((eps.values["pen_y"][:, -1] == 0).all())  # all landed on the floor by frame 19
    assert bool((eps.values["block_shift"] == 0).all())  # it missed the block: nothing knocked


def test_supported_pen_and_held_ball_stay(exact, world):
    eps = exact.rollout(16, seed=1, do={"support_pen": 1, "release": 0})
    for v in ("pen_y", "ball_y"):
        assert bool((eps.values[v] == eps.values[v][:, :1]).all())
    assert bool((eps.values["block_shift"] == 0).all())
    noisy = world.rollout(64, seed=1, do={"support_pen": 1})
    drift = noisy.values["pen_y"] - noisy.values["pen_y"][:, :1]
    assert drift.abs().max() < 5 * world.config["noise_std"]  # only the observation noise


def test_pen_landing_on_the_block_knocks_it_by_the_mass_ratio(exact):
    n = 12
    pen_mass = torch.linspace(0.3, 2.5, n, dtype=torch.float64)
    eps = exact.rollout(n, seed=2, do={"support_pen": 0, "block_x": 0.4, "pen_x": 0.35, "pen_y": 0.6,
                                       "pen_mass": pen_mass, "block_mass": 1.5})
    top = exact.config["block_height"]
    assert bool((eps.values["pen_y"][:, -1] == top).all())  # it rests on the block
    t_hit = (2 * (0.6 - top) / G) ** 0.5
    before = torch.arange(exact.frames) * DT < t_hit
    assert bool((eps.values["block_shift"][:, before] == 0).all())  # untouched until the pen arrives
    want = knock_distance(torch.tensor(0.6 - top), pen_mass.float(), torch.tensor(1.5), restitution=1.0,
                          friction=exact.config["friction"])
    want = want.clamp(max=0.62 - 0.4)  # the wall stops it
    torch.testing.assert_close(eps.values["block_shift"][:, -1], want, rtol=1e-5, atol=1e-6)
    assert bool((eps.values["block_shift"][:, -1].diff() >= 0).all())  # a heavier pen knocks it farther


def test_knock_happens_only_when_the_pen_lands_on_the_block(exact):
    n = 400
    eps = exact.rollout(n, seed=4, do={"support_pen": 0})
    over = (eps.values["pen_x"] - eps.values["block_x"]).abs() < 0.18
    knocked = eps.values["block_shift"][:, -1] != 0
    assert bool(over.any()) and bool((~over).any())
    assert torch.equal(knocked, over)
    top = exact.config["block_height"]
    torch.testing.assert_close(eps.values["pen_y"][:, -1], torch.where(over, torch.tensor(top), torch.tensor(0.0)))


def test_do_sets_the_first_frame_and_the_fall_follows(exact):
    eps = exact.rollout(5, seed=5, do={"pen_y": 0.7, "support_pen": 0, "pen_x": 0.12, "block_x": 0.5})
    torch.testing.assert_close(eps.values["pen_y"], _fall(torch.full((5,), 0.7), 0.0, exact.frames))
    obs = exact.rollout(5, seed=5)
    for v in ("release", "ball_x", "ball_y", "pen_mass"):  # not descendants: untouched
        assert torch.equal(eps.values[v], obs.values[v])


def test_counterfactual_rollout_replays_the_noise_and_matches_the_truths_counterfactual(world):
    eps = world.rollout(32, seed=6, do=[{"support_pen": 1} if i % 2 else {} for i in range(32)])
    same = world.counterfactual_rollout(eps, {})
    assert torch.equal(same.frames, eps.frames) and all(torch.equal(same.values[v], eps.values[v]) for v in eps.values)
    cf = world.counterfactual_rollout(eps, {"support_pen": 0})
    redo = world.rollout(32, seed=6, do={"support_pen": 0})  # an independent re-simulation, same noise
    assert torch.equal(cf.frames, redo.frames)
    assert all(torch.equal(cf.values[v], redo.values[v]) for v in eps.values)
    # the truth's own abduct-act-predict gives the same answer from the observed values alone
    observed = world.unroll(world.rollout(32, seed=6).values)
    truth_cf = world.truth.counterfactual(observed, {"support_pen": 0})
    for v, t in world.unroll(redo.values).items():
        torch.testing.assert_close(truth_cf[v].to(t.dtype), t, atol=1e-5, rtol=0)


def test_masses_are_not_drawn_but_act_through_the_knock(exact):
    eps = exact.rollout(8, seed=7, do={"support_pen": 0, "pen_x": 0.4, "block_x": 0.42, "pen_mass": 0.3})
    heavy = exact.counterfactual_rollout(eps, {"pen_mass": 2.5})
    assert bool((heavy.values["block_shift"][:, -1] > eps.values["block_shift"][:, -1]).all())
    assert not torch.equal(heavy.frames, eps.frames)  # seen through the block's slide
    values = dict(eps.values)
    values["pen_mass"], values["block_mass"] = heavy.values["pen_mass"], eps.values["block_mass"] * 2
    assert torch.equal(exact.render(values), eps.frames)  # the masses themselves are not drawn


def test_every_depicted_variable_shows_over_its_whole_range():
    g = torch.Generator().manual_seed(8)
    for size in (8, 16, 32):
        w = cw.make("falling", image_size=size, frames=2)
        n = 256
        values = {}
        for v, (step, low, high) in w.tolerances.items():
            shape = (n, w.frames) if v in w.time_varying else (n,)
            if v in w.discrete:
                values[v] = torch.randint(0, 2, shape, generator=g)
            else:
                values[v] = low + (high - step - low) * torch.rand(shape, generator=g)
        base = w.render(values)
        for v, (step, low, high) in w.tolerances.items():
            moved = dict(values)
            moved[v] = 1 - values[v] if v in w.discrete else values[v] + step
            same = (w.render(moved) == base).flatten(2).all(-1)
            assert not bool(same.any()), f"{v} at {size}px"


def test_bad_input_gives_typed_errors(world):
    with pytest.raises(UnknownVariableError):
        world.rollout(2, do={"suport_pen": 0})
    with pytest.raises(InterventionError):
        world.rollout(2, do={"block_shift": 0.1})  # a consequence, not something an agent sets
    with pytest.raises(OutOfRangeError):
        world.rollout(2, do={"pen_y": 0.1})  # below the block's top
    with pytest.raises(OutOfRangeError):
        world.rollout(2, do={"support_pen": 2})
    with pytest.raises(DeviceError):
        world.rollout(2, do={"pen_x": torch.full((2,), 0.3, device="meta")})
    with pytest.raises(OutOfRangeError):
        cw.make("falling", gravity=-9.81)
    with pytest.raises(OutOfRangeError):
        cw.make("falling", block_height=0.9)
    with pytest.raises(ArgumentError):
        cw.make("falling", noise_std="small")
    with pytest.raises(ArgumentError):
        cw.make("falling", gravty=9.81)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.gpu
def test_on_cuda_it_passes_check_world_and_draws_as_on_cpu():
    cpu = cw.make("falling", image_size=32, frames=8)
    gpu = cw.make("falling", image_size=32, frames=8, device="cuda")
    check_world(gpu, n=6, seed=0)
    eps = cpu.rollout(64, seed=0)
    drawn = gpu.render({k: v.cuda() for k, v in eps.values.items()})
    assert drawn.device.type == "cuda"
    assert (drawn.cpu().int() - eps.frames.int()).abs().max() <= 1  # float rounding at most


@pytest.mark.parametrize("frames, dt", [(3, 0.2), (12, 0.05)])
def test_every_edge_of_the_truth_can_act_and_none_is_missing(frames, dt):
    """The truth is minimal: setting a parent to its extremes (the agent's own range, the rest of the
    episode fixed) moves its child, edge by edge; and where the pen cannot have reached the block's
    top, neither where it stands nor the knock's causes are parents."""
    world = cw.make("falling", image_size=16, frames=frames, dt=dt)
    truth = world.truth
    noise = truth.sample_noise(2000, seed=1)
    for u, v in truth.graph.edges:
        name = u.split("[")[0]
        spec = world.intervenable[name]
        values = list(spec) if isinstance(spec, range) else [spec[0], spec[1]]
        outs = [truth.do({u: value}).from_noise(noise)[v] for value in values]
        assert any(not torch.equal(outs[0], o) for o in outs[1:]), f"{u} -> {v} has no effect"
    drop = [0.5 * G * (t * dt) ** 2 for t in range(frames)]  # the fall by each frame, against the 0.25 of the lowest start
    for t in range(frames):
        assert truth.graph.has_edge("pen_x", f"pen_y[{t}]") == (t > 0 and drop[t] > 0.25)
        assert truth.graph.in_degree(f"block_shift[{t}]") == (6 if drop[t] > 0.25 else 0)
    assert not cw.make("falling", image_size=16, frames=1).graph.edges  # one frame: nothing has happened yet
