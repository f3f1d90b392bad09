"""The policy contract as a flat list of promises, one ``check_*`` function each, and
:func:`check_policy`, which runs them all. The tests run it on every policy in ``POLICIES``; run
it on your own policy before handing it to an :class:`~interventions.Experiment`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from causalworld.errors import CausalWorldError, OutOfRangeError, PolicyCheckError
from interventions.intervention import Intervention
from interventions.policies import State

__all__ = ["PolicyCheckError", "check_policy", "check_returns_k_interventions", "check_proposals_are_valid",
           "check_same_rng_same_proposals", "check_refuses_k_below_one"]


def check_returns_k_interventions(policy: Any, state: State) -> None:
    """``propose(state, k, rng)`` returns a list of exactly ``k`` :class:`Intervention` objects.

    Examples
    --------
    >>> import causalworld as cw
    >>> from interventions import RoundRobinPolicy, State
    >>> state = State(cw.make("lights", image_size=8, frames=1))
    >>> check_returns_k_interventions(RoundRobinPolicy(), state)  # passes silently
    >>> class Two:
    ...     def propose(self, state, k, rng):
    ...         return [Intervention("ambient", 0.0)] * 2
    >>> check_returns_k_interventions(Two(), state)
    Traceback (most recent call last):
    ...
    causalworld.errors.PolicyCheckError: Two.propose(state, 1, rng) returned [...]; it must return a list of 1 Intervention objects ...
    """
    for k in (1, 3):
        got = policy.propose(state, k, np.random.default_rng(0))
        if not isinstance(got, list) or len(got) != k or not all(isinstance(iv, Intervention) for iv in got):
            raise PolicyCheckError(
                f"{type(policy).__name__}.propose(state, {k}, rng) returned {got!r}; it must return a list of "
                f"{k} Intervention objects (build them with Intervention(target, value))"
            )


def check_proposals_are_valid(policy: Any, state: State) -> None:
    """Every proposal passes ``Intervention.validate(state.world)`` (targets and values the world allows).

    Examples
    --------
    >>> import causalworld as cw
    >>> from interventions import RoundRobinPolicy, State
    >>> state = State(cw.make("lights", image_size=8, frames=1))
    >>> check_proposals_are_valid(RoundRobinPolicy(), state)
    >>> class TooBright:
    ...     def propose(self, state, k, rng):
    ...         return [Intervention("ambient", 2.0)] * k
    >>> check_proposals_are_valid(TooBright(), state)
    Traceback (most recent call last):
    ...
    causalworld.errors.PolicyCheckError: TooBright.propose proposed Intervention(do(ambient=2)), which lights-v0 refuses ...
    """
    for iv in policy.propose(state, 4, np.random.default_rng(1)):
        try:
            iv.validate(state.world)
        except CausalWorldError as e:
            raise PolicyCheckError(
                f"{type(policy).__name__}.propose proposed {iv!r}, which {state.world.id} refuses ({e}); "
                "draw targets from world.intervenable and values inside their ranges"
            ) from None


def check_same_rng_same_proposals(policy: Any, state: State) -> None:
    """Two calls with generators of one seed propose the same: all randomness comes from ``rng``.

    Examples
    --------
    >>> import causalworld as cw
    >>> from interventions import RoundRobinPolicy, State
    >>> state = State(cw.make("lights", image_size=8, frames=1))
    >>> check_same_rng_same_proposals(RoundRobinPolicy(), state)
    >>> class Global:  # draws from numpy's global state, not from rng
    ...     def propose(self, state, k, rng):
    ...         return [Intervention("ambient", float(np.random.uniform())) for _ in range(k)]
    >>> check_same_rng_same_proposals(Global(), state)
    Traceback (most recent call last):
    ...
    causalworld.errors.PolicyCheckError: Global.propose gave [...] under one seed: it probably uses global random state ...
    """
    a = policy.propose(state, 3, np.random.default_rng(2))
    b = policy.propose(state, 3, np.random.default_rng(2))
    if a != b:
        raise PolicyCheckError(
            f"{type(policy).__name__}.propose gave {a!r} and then {b!r} under one seed: it probably uses "
            "global random state (np.random, torch, random); draw only from the rng it is given"
        )


def check_refuses_k_below_one(policy: Any, state: State) -> None:
    """``k = 0`` raises :class:`~causalworld.errors.OutOfRangeError`.

    Examples
    --------
    >>> import causalworld as cw
    >>> from interventions import RoundRobinPolicy, State
    >>> state = State(cw.make("lights", image_size=8, frames=1))
    >>> check_refuses_k_below_one(RoundRobinPolicy(), state)
    """
    try:
        policy.propose(state, 0, np.random.default_rng(0))
    except OutOfRangeError:
        return
    raise PolicyCheckError(f"{type(policy).__name__}.propose(state, 0, rng) did not raise OutOfRangeError; check k >= 1")


def check_policy(policy: Any, state: State) -> None:
    """Run every check of the policy contract on ``policy`` in ``state`` (a fitted learner makes
    it exercise what a learner-driven policy does).

    Raises
    ------
    PolicyCheckError
        The first promise the policy breaks, naming the call and the likely cause.

    Examples
    --------
    >>> import causalworld as cw
    >>> from interventions import RoundRobinPolicy, State
    >>> check_policy(RoundRobinPolicy(), State(cw.make("lights", image_size=8, frames=1)))
    """
    check_returns_k_interventions(policy, state)   # the shape of the answer
    check_proposals_are_valid(policy, state)       # what the world allows
    check_same_rng_same_proposals(policy, state)   # reproducible from its rng alone
    check_refuses_k_below_one(policy, state)       # bad input gets a typed error
