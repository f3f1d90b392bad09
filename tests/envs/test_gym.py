"""The Gymnasium wrappers: check_env, the action mapping, goals, and the vector env."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env

import causalworld as cw
from causalworld.envs.gym import ActionCodec, CausalWorldEnv, CausalWorldVectorEnv
from causalworld.errors import ArgumentError, OutOfRangeError


@pytest.mark.parametrize("world_id", ["lights", "sprites"])
def test_env_passes_gymnasiums_checker(world_id):
    env = CausalWorldEnv(world_id, image_size=16 if world_id == "lights" else 24, frames=2)
    check_env(env, skip_render_check=True)


def test_observation_is_the_rollouts_video_and_step_applies_the_action():
    env = CausalWorldEnv("lights", image_size=16, frames=3, render_mode="rgb_array")
    obs, info = env.reset(seed=3)
    assert obs.shape == (3, 3, 16, 16) and obs.dtype == np.uint8 and env.observation_space.contains(obs)
    j = env.choices.index("dimmer_red") + 1
    obs, reward, terminated, truncated, info = env.step({"variable": j, "value": np.array([-1.0], np.float32)})
    assert info["do"] == {"dimmer_red": 0.0} and float(info["values"]["dimmer_red"]) == 0.0
    assert reward == 0.0 and not terminated and not truncated
    assert env.render().shape == (16, 16, 3)
    # same seed, same actions: same observations
    again = CausalWorldEnv("lights", image_size=16, frames=3)
    o2, _ = again.reset(seed=3)
    o3, *_ = again.step({"variable": j, "value": np.array([-1.0], np.float32)})
    assert np.array_equal(o3, obs)


def test_value_mapping_normalized_and_raw():
    world = cw.make("lights", image_size=16, frames=2)
    norm = ActionCodec(world)
    k = norm.choices.index("spin")
    assert norm.value(k, -1.0) == -0.5 and norm.value(k, 1.0) == 0.5 and norm.value(k, 0.0) == 0.0
    s = norm.choices.index("switch_red")
    assert [norm.value(s, x) for x in (-1.0, -0.1, 0.1, 1.0)] == [0, 0, 1, 1]
    raw = ActionCodec(world, value_mode="raw")
    assert raw.value(k, 3.0) == 0.5  # clipped into spin's range
    assert raw.value(s, 0.7) == 1
    assert raw.action_space["value"].low[0] == -0.5 and raw.action_space["value"].high[0] == pytest.approx(np.pi)
    with pytest.raises(OutOfRangeError):
        norm.decode(np.array([99]), np.zeros((1, 1)))
    with pytest.raises(ArgumentError):
        ActionCodec(world, value_mode="pixels")


def test_goal_gives_reward_and_terminates():
    goal = lambda v: v["lamp_red"] > 0.3  # noqa: E731 - a predicate on true values
    env = CausalWorldEnv("lights", image_size=16, frames=2, goal=goal, max_steps=3)
    env.reset(seed=0)
    on = {"variable": env.choices.index("switch_red") + 1, "value": np.array([1.0], np.float32)}
    dim = {"variable": env.choices.index("dimmer_red") + 1, "value": np.array([-1.0], np.float32)}
    _, r, term, trunc, info = env.step(dim)
    assert r == 0.0 and not term and float(info["values"]["lamp_red"]) < 0.3
    env.step(on)
    _, _, _, trunc, _ = env.step(on)
    assert trunc  # max_steps reached


def test_vector_env_steps_every_copy_in_one_rollout():
    envs = CausalWorldVectorEnv("lights", 4, image_size=16, frames=2, max_steps=2,
                                goal=lambda v: v["dimmer_red"] == 1.0)  # only reached by setting it
    obs, info = envs.reset(seed=0)
    assert obs.shape == (4, 2, 3, 16, 16) and envs.observation_space.contains(obs)
    s = envs.choices.index("dimmer_red") + 1
    act = {"variable": np.array([s, s, 0, 0]), "value": np.array([[1.0], [-1.0], [0.0], [0.0]], np.float32)}
    obs, rew, term, trunc, info = envs.step(act)
    assert info["values"]["dimmer_red"][:2].tolist() == [1.0, 0.0]
    assert rew[0] == 1.0 and term[0] and rew[1] == 0.0 and not term[1]
    obs, rew, term, trunc, info = envs.step(act)  # env 0 autoresets: no intervention this step
    assert not info["targets"][0].any() and not term[0]
    assert trunc[1:].tolist() == [True, True, True]


def test_env_refuses_bad_settings():
    with pytest.raises(ArgumentError):
        CausalWorldEnv(cw.make("lights", image_size=16), image_size=32)
    with pytest.raises(ArgumentError):
        CausalWorldEnv("lights", render_mode="human")
    with pytest.raises(OutOfRangeError):
        CausalWorldVectorEnv("lights", 0)
    env = CausalWorldEnv("lights", image_size=16, frames=2)
    with pytest.raises(ArgumentError, match="reset"):
        env.step({"variable": 0, "value": np.zeros(1, np.float32)})
    torch.manual_seed(0)


def test_every_world_is_registered_with_gymnasium_and_passes_its_checker():
    import gymnasium
    from gymnasium.utils.env_checker import check_env

    import causalworld as cw
    from causalworld.envs.gym import register_gymnasium

    ids = register_gymnasium()
    assert ids == [f"causalworld/{w}" for w in cw.list_worlds()]
    env = gymnasium.make("causalworld/lights-v0", image_size=16, frames=2, disable_env_checker=True)
    check_env(env.unwrapped, skip_render_check=True)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (2, 3, 16, 16) and obs.dtype.name == "uint8"
