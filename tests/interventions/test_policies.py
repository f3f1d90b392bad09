"""Policies: the one contract (k valid interventions, reproducible under one rng, typed errors),
round-robin's cycle across rounds, and info-gain choosing the experiment that tells graphs apart."""

from __future__ import annotations

import numpy as np
import pytest

import causalworld as cw
from causalworld.discovery import ExactLearner
from causalworld.errors import ArgumentError, DTypeError, InterventionError, OutOfRangeError, UnknownVariableError
from interventions import (POLICIES, GoalPolicy, InfoGainPolicy, Intervention, Policy, RandomPolicy, RoundRobinPolicy, State,
                           TrueValues, targets_mask)
from interventions.checks import PolicyCheckError, check_policy
from tests.interventions.worlds import Pair


@pytest.fixture(scope="module")
def lights_learned():
    """``lights`` (one frame) and a state whose learner saw 100 observational episodes and 9
    round-robin experiments of 20 episodes each."""
    world = cw.make("lights", image_size=8, frames=1)
    plan = [{}] * 100
    for iv in RoundRobinPolicy().propose(State(world), 9, np.random.default_rng(0)):
        plan += [iv.to_do()] * 20
    eps = world.rollout(len(plan), do=plan, seed=0)
    data = TrueValues(world).fit(eps).latents(eps)
    targets = targets_mask(world, data.columns, eps.targets)
    return world, State(world, data, targets, ExactLearner(progress=False).fit(data, targets), round=1)


@pytest.fixture(scope="module")
def pair_state():
    world = Pair(image_size=8, seed=0)
    eps = world.rollout(400, seed=0)
    data = TrueValues(world).fit(eps).latents(eps)
    learner = ExactLearner(progress=False).fit(data)
    return State(world, data, np.zeros(data.shape, dtype=bool), learner, round=1)


class _GlobalRandom:
    """A policy that breaks the contract: it draws from numpy's global state."""

    def propose(self, state, k, rng):
        if k < 1:
            raise OutOfRangeError("k must be a positive int")
        return [Intervention("x", float(np.random.uniform(-1, 1))) for _ in range(k)]


SETTINGS = {"info-gain": {"n_graphs": 4, "n_outcomes": 4, "n_values": 2},
            "goal": {"goal": lambda v: v["y"] > 1.0, "n_samples": 16, "n_values": 3}}


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_every_policy_keeps_the_contract(name, pair_state):
    policy = POLICIES[name](**SETTINGS.get(name, {}))
    assert isinstance(policy, Policy)
    check_policy(policy, pair_state)
    if name == "goal":  # it predicts with the learned model, so it needs one
        with pytest.raises(ArgumentError, match="fitted learner"):
            policy.propose(State(pair_state.world), 1, np.random.default_rng(0))
    else:
        check_policy(policy, State(pair_state.world))  # before any learner is fitted


def test_the_checker_names_a_broken_promise(pair_state):
    with pytest.raises(PolicyCheckError, match="global random state"):
        check_policy(_GlobalRandom(), pair_state)


@pytest.mark.parametrize("cls", [RandomPolicy, RoundRobinPolicy, InfoGainPolicy])
def test_policies_refuse_unknown_and_non_intervenable_variables(cls, lights):
    with pytest.raises(UnknownVariableError, match="did you mean 'ambient'"):
        cls(variables=["ambiant"]).propose(State(lights), 1, np.random.default_rng(0))
    with pytest.raises(InterventionError, match="not intervenable"):
        cls(variables=["sensor"]).propose(State(lights), 1, np.random.default_rng(0))
    with pytest.raises(UnknownVariableError, match="did you mean 'ambient'"):
        GoalPolicy(lambda v: v["lamp_red"] > 0.5, variables=["ambiant"]).candidates(lights, ["ambient"])


def test_random_values_cover_the_intervenable_range(lights):
    ivs = RandomPolicy(["dimmer_red", "switch_red"]).propose(State(lights), 400, np.random.default_rng(0))
    dimmer = [iv.values[0] for iv in ivs if iv.targets == ("dimmer_red",)]
    codes = {iv.values[0] for iv in ivs if iv.targets == ("switch_red",)}
    assert 150 < len(dimmer) < 250 and min(dimmer) < 0.05 and max(dimmer) > 0.95
    assert codes == {0, 1}


def test_random_interventions_on_several_targets_set_them_independently(lights):
    # n_targets distinct variables per intervention, every pair equally often, values drawn
    # independently (their correlation is near zero), each inside its range
    names = ["ambient", "dimmer_red", "dimmer_green", "angle"]
    ivs = RandomPolicy(names, n_targets=2).propose(State(lights), 600, np.random.default_rng(0))
    assert all(len(set(iv.targets)) == 2 and set(iv.targets) <= set(names) for iv in ivs)
    pairs = {}
    for iv in ivs:
        pairs.setdefault(iv.targets, []).append(iv.values)
    assert len(pairs) == 6 and all(70 < len(v) < 130 for v in pairs.values())
    a, b = np.array(pairs[("dimmer_red", "dimmer_green")]).T
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.2 and a.min() >= 0 and b.max() <= 1
    for bad in (0, 5, 1.5, True):
        with pytest.raises(OutOfRangeError, match="n_targets"):
            RandomPolicy(names, n_targets=bad).propose(State(lights), 1, np.random.default_rng(0))
    assert repr(RandomPolicy(n_targets=2)) == "RandomPolicy(n_targets=2)"


def test_round_robin_continues_its_cycle_from_the_interventions_done(lights):
    policy = RoundRobinPolicy(["ambient", "spin", "angle"])
    first = policy.propose(State(lights), 2, np.random.default_rng(0))
    second = policy.propose(State(lights, done=tuple(first)), 2, np.random.default_rng(1))
    assert [iv.targets[0] for iv in first + second] == ["ambient", "spin", "angle", "ambient"]


def test_info_gain_picks_the_experiment_that_orients_the_edge(pair_state):
    # x -> y and y -> x fit observational data equally well; z is unrelated. Setting x or y tells
    # the two graphs apart, setting z tells nothing.
    policy = InfoGainPolicy(n_graphs=32, n_outcomes=64, n_values=2)
    graphs = {frozenset(g.edges) for g in pair_state.learner.sample_graphs(16, seed=0)}
    assert {frozenset({("x", "y")}), frozenset({("y", "x")})} <= graphs, "both orientations are plausible"
    cands, L, w = policy.information(pair_state, np.random.default_rng(0))
    from interventions.policies import _mutual_information

    mi = {iv: _mutual_information(L[c], w, np.log(w)) for c, iv in enumerate(cands)}
    on_z = [value for iv, value in mi.items() if iv.targets == ("z",)]
    on_xy = [value for iv, value in mi.items() if iv.targets != ("z",)]
    assert max(on_z) < 0.02 and min(on_xy) > 0.1, mi
    assert max(mi.values()) <= np.log(2) + 1e-9  # at most one bit's worth: two graphs
    chosen = policy.propose(pair_state, 2, np.random.default_rng(0))
    assert all(iv.targets[0] in ("x", "y") for iv in chosen)


def test_a_tempered_posterior_doubts_the_edges_the_learner_is_sure_of(pair_state):
    # At T = 1 every draw holds the x-y edge and nothing on z, so setting z looks useless; at a
    # high temperature draws with z's edges (and without x-y) come back, and setting z can settle them.
    from interventions.policies import _mutual_information

    def mi_on_z(policy):
        cands, L, w = policy.information(pair_state, np.random.default_rng(0))
        return max(_mutual_information(L[c], w, np.log(w)) for c, iv in enumerate(cands) if iv.targets == ("z",)), len(w)

    settings = {"n_graphs": 32, "n_outcomes": 32, "n_values": 2, "episodes": 20}
    sure, n_sure = mi_on_z(InfoGainPolicy(**settings))
    doubting, n_doubting = mi_on_z(InfoGainPolicy(**settings, temperature=1000.0))
    assert sure < 0.02 and n_sure <= 2
    assert doubting > 0.1 and n_doubting > 4
    assert repr(InfoGainPolicy(temperature=10)) == "InfoGainPolicy(n_graphs=16, n_outcomes=32, n_values=3, temperature=10)"
    pc = cw.discovery.PCLearner(progress=False).fit(pair_state.data)
    from dataclasses import replace

    with pytest.raises(ArgumentError, match="temperature=10 has nothing to temper"):
        InfoGainPolicy(temperature=10).propose(replace(pair_state, learner=pc), 1, np.random.default_rng(0))


def test_info_gain_weighs_the_episodes_an_experiment_gets(pair_state):
    # One episode under do(x) tells x -> y from y -> x only partly; the 20 an experiment gets
    # settle it (nearly all the posterior's entropy), and 20 episodes of do(z) still tell nothing.
    from dataclasses import replace

    from interventions.policies import _mutual_information

    def mi(policy, state):
        """Each candidate's MI, and what there is to tell: the posterior's entropy."""
        cands, L, w = policy.information(state, np.random.default_rng(0))
        return {iv: _mutual_information(L[c], w, np.log(w)) for c, iv in enumerate(cands)}, float(-(w * np.log(w)).sum())

    settings = {"n_graphs": 32, "n_outcomes": 64, "n_values": 2}
    one, _ = mi(InfoGainPolicy(**settings), pair_state)  # the state's default: one episode per experiment
    twenty, entropy = mi(InfoGainPolicy(**settings), replace(pair_state, episodes=20))
    given = mi(InfoGainPolicy(**settings, episodes=20), pair_state)[0]
    # the same estimate either way; float sums may differ in the last bits between two calls
    assert given.keys() == twenty.keys() and all(abs(given[iv] - twenty[iv]) < 1e-9 for iv in twenty)
    for iv in one:
        if iv.targets == ("z",):
            assert twenty[iv] < 0.02
        else:
            assert twenty[iv] > max(one[iv] + 0.1, 0.9 * entropy), (iv, one[iv], twenty[iv], entropy)
    with pytest.raises(OutOfRangeError, match="episodes"):
        InfoGainPolicy(episodes=0).propose(pair_state, 1, np.random.default_rng(0))
    with pytest.raises(OutOfRangeError, match="state.episodes"):
        InfoGainPolicy().propose(replace(pair_state, episodes=0), 1, np.random.default_rng(0))


def test_info_gain_without_a_learner_proposes_at_random(lights):
    ivs = InfoGainPolicy().propose(State(lights), 3, np.random.default_rng(0))
    assert ivs == RandomPolicy().propose(State(lights), 3, np.random.default_rng(0))


def test_info_gain_settings_are_checked(pair_state):
    with pytest.raises(OutOfRangeError, match="n_graphs"):
        InfoGainPolicy(n_graphs=0).propose(pair_state, 1, np.random.default_rng(0))


def test_goal_policy_reaches_a_goal_random_interventions_rarely_do(lights_learned):
    # Goal: the red lamp brighter than 0.5. It needs its switch on and its dimmer up together;
    # the model learned from round-robin data (true values) should find that pair.
    world, state = lights_learned
    goal = lambda v: v["lamp_red"] > 0.5  # noqa: E731 - a predicate on the world's values
    policy = GoalPolicy(goal)
    ranked = policy.success(state, np.random.default_rng(0))
    best, predicted = ranked[0]
    assert set(best.targets) == {"switch_red", "dimmer_red"} and predicted >= 0.8, ranked[:3]  # 0.89 (a linear model)
    reached = float(goal(world.rollout(400, do=best.to_do(), seed=5).values).float().mean())
    assert reached >= 0.9
    randoms = RandomPolicy().propose(state, 400, np.random.default_rng(1))
    eps = world.rollout(400, do=[iv.to_do() for iv in randoms], seed=5)
    assert float(goal(eps.values).float().mean()) < 0.5 < reached
    assert abs(predicted - reached) < 0.15  # the model's probability is near the world's frequency


def test_goal_policy_settings_are_checked(lights_learned):
    _, state = lights_learned
    with pytest.raises(DTypeError, match="goal"):
        GoalPolicy("sensor > 0.5").propose(state, 1, np.random.default_rng(0))
    with pytest.raises(OutOfRangeError, match="max_targets"):
        GoalPolicy(lambda v: v["lamp_red"] > 0.5, max_targets=3).propose(state, 1, np.random.default_rng(0))
