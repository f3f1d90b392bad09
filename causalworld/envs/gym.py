"""Gymnasium wrappers of a World: one step is one rollout under the intervention the agent picks.

For agents written against Gymnasium (the experimenter in ``docs/architecture.md`` uses the World's own
``rollout``; these wrappers open the worlds to RL code). The observation is the video of the
current rollout, ``uint8 [T, C, H, W]``. The action is a ``Dict``: ``"variable"``, a
``Discrete(k + 1)`` choice where 0 means "no intervention" and ``i >= 1`` the ``i``-th variable of
``env.choices`` (the world's intervenable variables in ``world.variables`` order), and
``"value"``, a ``Box`` of shape ``(1,)``:

* ``value_mode="normalized"`` (default): ``Box(-1, 1)``; ``-1`` is the low end of the chosen
  variable's range and ``+1`` the high end; for a discrete variable the interval is cut into
  equal parts, one per allowed code.
* ``value_mode="raw"``: the Box spans the union of the ranges, and the value is clipped into the
  chosen variable's range (rounded to the nearest allowed code for a discrete one).

``reset`` draws an observational rollout. The reward is 0 unless a ``goal`` is given: a
predicate on the episode's true values (``goal(values) -> bool Tensor [n]``, batched); then the
reward is 1 and the episode terminates when the goal holds. Episodes are truncated after
``max_steps`` steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import gymnasium
import numpy as np
import torch
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from torch import Tensor

from causalworld.envs.registry import list_worlds, make
from causalworld.envs.world import World
from causalworld.errors import ArgumentError, DTypeError, OutOfRangeError

__all__ = ["CausalWorldEnv", "CausalWorldVectorEnv", "ActionCodec", "register_gymnasium"]

Goal = Callable[[Mapping[str, Tensor]], Tensor]


class ActionCodec:
    """Turns Gymnasium actions into the World's interventions (shared by both wrappers).

    Examples
    --------
    >>> import causalworld as cw
    >>> codec = ActionCodec(cw.make("lights", image_size=16, frames=2))
    >>> codec.choices[:2]
    ('ambient', 'switch_red')
    >>> codec.decode(np.array([1, 2, 0]), np.array([[1.0], [1.0], [0.3]]))
    [{'ambient': 1.0}, {'switch_red': 1}, {}]
    """

    def __init__(self, world: World, value_mode: str = "normalized") -> None:
        if value_mode not in ("normalized", "raw"):
            raise ArgumentError(f"value_mode must be 'normalized' or 'raw', got {value_mode!r}")
        self.world = world
        self.value_mode = value_mode
        dom = world.intervenable
        self.choices: tuple[str, ...] = tuple(v for v in world.variables if v in dom)
        self.domains = [dom[v] for v in self.choices]
        if value_mode == "normalized":
            low, high = -1.0, 1.0
        else:
            ends = [(float(d[0]), float(d[-1])) if isinstance(d, range) else d for d in self.domains] or [(0.0, 1.0)]
            low, high = min(e[0] for e in ends), max(e[1] for e in ends)
        self.action_space = spaces.Dict({
            "variable": spaces.Discrete(len(self.choices) + 1),
            "value": spaces.Box(low=np.float32(low), high=np.float32(high), shape=(1,), dtype=np.float32),
        })

    def value(self, j: int, x: float) -> float | int:
        """The world value for choice ``j`` (0-based in ``choices``) and action value ``x``.

        ``"normalized"`` maps [-1, 1] onto the variable's range (codes in equal bins); ``"raw"``
        clips to the range (the nearest code for a discrete variable).

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=16, frames=2)
        >>> codec = ActionCodec(world)  # choice 0 is ambient in [0, 1], choice 1 the switch_red codes 0, 1
        >>> codec.value(0, -1.0), codec.value(0, 0.0), codec.value(1, -0.9), codec.value(1, 0.9)
        (0.0, 0.5, 0, 1)
        >>> raw = ActionCodec(world, value_mode="raw")
        >>> raw.value(0, 0.25), raw.value(0, 5.0), raw.value(1, 0.7)
        (0.25, 1.0, 1)
        """
        dom = self.domains[j]
        if self.value_mode == "normalized":
            u = (min(max(float(x), -1.0), 1.0) + 1.0) / 2.0  # in [0, 1]
            if isinstance(dom, range):
                return dom[min(int(u * len(dom)), len(dom) - 1)]
            return dom[0] + u * (dom[1] - dom[0])
        if isinstance(dom, range):
            codes = np.array(list(dom))
            return int(codes[np.abs(codes - float(x)).argmin()])
        return min(max(float(x), dom[0]), dom[1])

    def decode(self, variable: Any, value: Any) -> list[dict[str, Any]]:
        """One intervention dict per row of a batch of actions (``variable [n]``, ``value [n, 1]``).

        ``variable`` 0 means no intervention; ``j`` sets ``choices[j - 1]`` to :meth:`value` of it.

        Examples
        --------
        >>> import causalworld as cw
        >>> codec = ActionCodec(cw.make("lights", image_size=16, frames=2))
        >>> codec.decode(np.array([0, 1]), np.array([[0.0], [0.0]]))
        [{}, {'ambient': 0.5}]
        >>> codec.decode(np.array([99]), np.zeros((1, 1)))
        Traceback (most recent call last):
        ...
        causalworld.errors.OutOfRangeError: action 'variable' = 99 is outside 0..9 (0 = no intervention)
        """
        var = np.asarray(variable).reshape(-1)
        val = np.asarray(value, dtype=np.float64).reshape(var.shape[0], -1)
        if var.dtype.kind not in "iu":
            raise DTypeError(f"action 'variable' must be an integer, got {var.dtype}")
        out: list[dict[str, Any]] = []
        for i, j in enumerate(var.tolist()):
            if not 0 <= j <= len(self.choices):
                raise OutOfRangeError(f"action 'variable' = {j} is outside 0..{len(self.choices)} (0 = no intervention)")
            out.append({} if j == 0 else {self.choices[j - 1]: self.value(j - 1, val[i, 0])})
        return out


def _numpy_values(values: Mapping[str, Tensor]) -> dict[str, np.ndarray]:
    return {v: t.detach().cpu().numpy() for v, t in values.items()}


def _as_world(world: World | str, make_kwargs: dict[str, Any]) -> World:
    if isinstance(world, World):
        if make_kwargs:
            raise ArgumentError(f"settings {sorted(make_kwargs)} are for make(); pass a world id, or set them when making the world")
        return world
    if isinstance(world, str):
        return make(world, **make_kwargs)
    raise DTypeError(f"world must be a World or a world id, got {type(world).__name__}")


class CausalWorldEnv(gymnasium.Env):
    """A World as a ``gymnasium.Env``: each step is one rollout under the chosen intervention.

    Parameters
    ----------
    world
        A :class:`~causalworld.envs.World`, or a world id made with ``**make_kwargs``.
    goal
        A batched predicate on true values; reward 1 and termination when it holds.
    value_mode
        ``"normalized"`` (actions in [-1, 1]) or ``"raw"`` (the variables' own units), see the module doc.
    max_steps
        Steps before the episode is truncated.
    render_mode
        ``None`` or ``"rgb_array"`` (the last frame of the current rollout, ``[H, W, C]``).

    Examples
    --------
    >>> import causalworld as cw
    >>> from causalworld.envs.gym import CausalWorldEnv
    >>> env = CausalWorldEnv("lights", image_size=16, frames=2,
    ...                      goal=lambda v: v["sensor"][:, -1] > 0.6)
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape, obs.dtype
    ((2, 3, 16, 16), dtype('uint8'))
    >>> obs, reward, terminated, truncated, info = env.step({"variable": 2, "value": np.array([1.0], np.float32)})
    >>> info["do"]
    {'switch_red': 1}
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 8}

    def __init__(
        self,
        world: World | str,
        *,
        goal: Goal | None = None,
        value_mode: str = "normalized",
        max_steps: int = 100,
        render_mode: str | None = None,
        **make_kwargs: Any,
    ) -> None:
        self.world = _as_world(world, make_kwargs)
        if goal is not None and not callable(goal):
            raise DTypeError("goal must be a callable of the values dict returning a bool tensor [n]")
        if not isinstance(max_steps, int) or max_steps < 1:
            raise OutOfRangeError(f"max_steps must be a positive int, got {max_steps!r}")
        if render_mode not in (None, "rgb_array"):
            raise ArgumentError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.goal = goal
        self.max_steps = max_steps
        self.render_mode = render_mode
        self.codec = ActionCodec(self.world, value_mode)
        self.choices = self.codec.choices
        self.action_space = self.codec.action_space
        self.observation_space = spaces.Box(0, 255, shape=self.world.frame_shape, dtype=np.uint8)
        self._gen: torch.Generator | None = None
        self._frames: np.ndarray | None = None
        self._steps = 0

    def _rollout(self, do: list[dict[str, Any]]) -> tuple[np.ndarray, dict[str, Any], bool]:
        assert self._gen is not None
        eps = self.world.rollout(1, do=do, seed=self._gen)
        self._frames = eps.frames[0].cpu().numpy()
        reached = bool(self.goal(eps.values)[0]) if self.goal is not None else False
        info = {"values": {v: a[0] for v, a in _numpy_values(eps.values).items()}, "do": do[0]}
        return self._frames, info, reached

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode: an observational rollout, ``(frames [T, C, H, W], info)``; a seed
        fixes this and every later rollout of the episode.

        Examples
        --------
        >>> env = CausalWorldEnv("lights", image_size=16, frames=2)
        >>> a, info = env.reset(seed=3)
        >>> b, _ = env.reset(seed=3)
        >>> bool((a == b).all()), sorted(info)
        (True, ['do', 'values'])
        """
        super().reset(seed=seed)
        if seed is not None or self._gen is None:
            self._gen = torch.Generator(device=self.world.device).manual_seed(int(self.np_random.integers(0, 2**62)))
        self._steps = 0
        obs, info, _ = self._rollout([{}])
        return obs, info

    def step(self, action: Mapping[str, Any]) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """One rollout under the action's intervention: ``(frames, reward, terminated, truncated, info)``.

        Examples
        --------
        >>> env = CausalWorldEnv("lights", image_size=16, frames=2, max_steps=2)
        >>> _ = env.reset(seed=0)
        >>> env.step({"variable": 0, "value": np.zeros(1, np.float32)})[1:4]  # no intervention, no goal
        (0.0, False, False)
        >>> obs, reward, terminated, truncated, info = env.step({"variable": 1, "value": np.ones(1, np.float32)})
        >>> info["do"], truncated  # ambient set to the top of its range; max_steps reached
        ({'ambient': 1.0}, True)
        """
        if self._gen is None:
            raise ArgumentError("call reset() before step()")
        if not isinstance(action, Mapping) or set(action) != {"variable", "value"}:
            raise DTypeError("an action is a dict {'variable': int, 'value': array of shape (1,)}")
        do = self.codec.decode(action["variable"], action["value"])
        self._steps += 1
        obs, info, reached = self._rollout(do)
        reward = 1.0 if reached else 0.0
        return obs, reward, reached, self._steps >= self.max_steps, info

    def render(self) -> np.ndarray | None:
        """The last frame of the current rollout, ``uint8 [H, W, C]`` (None unless ``render_mode="rgb_array"``).

        Examples
        --------
        >>> env = CausalWorldEnv("lights", image_size=16, frames=2, render_mode="rgb_array")
        >>> obs, info = env.reset(seed=0)
        >>> image = env.render()
        >>> image.shape, image.dtype, bool((image == obs[-1].transpose(1, 2, 0)).all())
        ((16, 16, 3), dtype('uint8'), True)
        """
        if self.render_mode != "rgb_array" or self._frames is None:
            return None
        return np.ascontiguousarray(self._frames[-1].transpose(1, 2, 0))


class CausalWorldVectorEnv(VectorEnv):
    """``num_envs`` copies of a world stepped together: one batched rollout per step, each copy
    under its own intervention (next-step autoreset when a goal is reached or time runs out).

    Examples
    --------
    >>> import causalworld as cw
    >>> from causalworld.envs.gym import CausalWorldVectorEnv
    >>> envs = CausalWorldVectorEnv("lights", num_envs=3, image_size=16, frames=2)
    >>> obs, info = envs.reset(seed=0)
    >>> obs.shape
    (3, 2, 3, 16, 16)
    >>> obs, reward, term, trunc, info = envs.step({"variable": np.array([0, 1, 2]), "value": np.zeros((3, 1), np.float32)})
    >>> info["targets"].sum(1).tolist()
    [0, 1, 1]
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(
        self,
        world: World | str,
        num_envs: int,
        *,
        goal: Goal | None = None,
        value_mode: str = "normalized",
        max_steps: int = 100,
        **make_kwargs: Any,
    ) -> None:
        if not isinstance(num_envs, int) or num_envs < 1:
            raise OutOfRangeError(f"num_envs must be a positive int, got {num_envs!r}")
        if not isinstance(max_steps, int) or max_steps < 1:
            raise OutOfRangeError(f"max_steps must be a positive int, got {max_steps!r}")
        self.world = _as_world(world, make_kwargs)
        self.num_envs = num_envs
        self.goal = goal
        self.max_steps = max_steps
        self.codec = ActionCodec(self.world, value_mode)
        self.choices = self.codec.choices
        self.single_action_space = self.codec.action_space
        self.single_observation_space = spaces.Box(0, 255, shape=self.world.frame_shape, dtype=np.uint8)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self._gen: torch.Generator | None = None
        self._steps = np.zeros(num_envs, dtype=np.int64)
        self._done = np.zeros(num_envs, dtype=bool)

    def _rollout(self, do: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        assert self._gen is not None
        eps = self.world.rollout(self.num_envs, do=do, seed=self._gen)
        reached = (self.goal(eps.values).detach().cpu().numpy().astype(bool) if self.goal is not None
                   else np.zeros(self.num_envs, dtype=bool))
        info = {"values": _numpy_values(eps.values), "targets": eps.targets.cpu().numpy()}
        return eps.frames.cpu().numpy(), reached, info

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        if seed is not None or self._gen is None:
            self._gen = torch.Generator(device=self.world.device).manual_seed(int(self.np_random.integers(0, 2**62)))
        self._steps[:] = 0
        self._done[:] = False
        obs, _, info = self._rollout([{}] * self.num_envs)
        return obs, info

    def step(self, actions: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if self._gen is None:
            raise ArgumentError("call reset() before step()")
        do = self.codec.decode(actions["variable"], actions["value"])
        restarting = self._done.copy()
        for i in np.nonzero(restarting)[0]:
            do[i] = {}  # next-step autoreset: this step only draws the new episode's first rollout
        self._steps = np.where(restarting, 0, self._steps + 1)
        obs, reached, info = self._rollout(do)
        terminated = reached & ~restarting
        truncated = (self._steps >= self.max_steps) & ~terminated & ~restarting
        rewards = terminated.astype(np.float64)
        self._done = terminated | truncated
        return obs, rewards, terminated, truncated, info


def register_gymnasium() -> list[str]:
    """Register every causalworld world with Gymnasium as ``causalworld/<id>`` (idempotent).

    Called when this module is imported, so ``gymnasium.make("causalworld/lights-v0",
    image_size=32)`` works after ``import causalworld.envs.gym``; settings go to
    :class:`CausalWorldEnv` and on to :func:`causalworld.make`. Returns the registered ids.

    Examples
    --------
    >>> import gymnasium
    >>> "causalworld/lights-v0" in register_gymnasium()
    True
    >>> env = gymnasium.make("causalworld/lights-v0", image_size=16, frames=2, disable_env_checker=True)
    >>> env.reset(seed=0)[0].shape
    (2, 3, 16, 16)
    """
    ids = []
    for world_id in list_worlds():
        gym_id = f"causalworld/{world_id}"
        if gym_id not in gymnasium.registry:
            gymnasium.register(id=gym_id, entry_point="causalworld.envs.gym:CausalWorldEnv",
                               kwargs={"world": world_id})
        ids.append(gym_id)
    return ids


register_gymnasium()
