"""Policies: which experiments to run next. Each holds only its settings and has one method,
``propose(state, k, rng) -> list[Intervention]``, the ``propose`` step of the experimenter's loop.

:class:`RandomPolicy` and :class:`RoundRobinPolicy` ignore what was learned; :class:`InfoGainPolicy`
asks the current learner which graphs are still plausible and picks the experiments whose outcome
is expected to tell them apart best.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import networkx as nx
import numpy as np
import pandas as pd
import torch

from causalworld.errors import (
    ArgumentError,
    DTypeError,
    InterventionError,
    OutOfRangeError,
    UnknownVariableError,
)
from interventions.intervention import Intervention
from interventions.truevalues import column_of

__all__ = ["State", "Policy", "RandomPolicy", "RoundRobinPolicy", "InfoGainPolicy", "GoalPolicy", "POLICIES"]


@dataclass
class State:
    """What a policy may look at: the world, the data so far and the current learner.

    Attributes
    ----------
    world : causalworld.envs.World
        The world experimented on (its ``intervenable`` ranges bound every proposal).
    data : pandas.DataFrame or None
        The learner's table so far, one row per episode (None before the first round).
    targets : numpy.ndarray or None
        ``[n, columns]`` bool: which columns of ``data`` each row intervened on.
    learner : causalworld.discovery.Learner or None
        The learner fitted on ``data`` (None before the first fit).
    round : int
        The round about to run (0 is the observational round).
    done : tuple of Intervention
        Every intervention run so far, in order.
    episodes : int
        Episodes each intervention proposed now will get (at least): an experiment's outcome is
        that many episodes, not one.

    Examples
    --------
    >>> import causalworld as cw
    >>> state = State(cw.make("lights", image_size=8, frames=1), done=(Intervention("ambient", 0.5),))
    >>> state.round, state.learner is None, len(state.done)
    (0, True, 1)
    """

    world: Any
    data: pd.DataFrame | None = None
    targets: np.ndarray | None = None
    learner: Any = None
    round: int = 0
    done: tuple[Intervention, ...] = field(default_factory=tuple)
    episodes: int = 1


@runtime_checkable
class Policy(Protocol):
    """The one method every policy has.

    Any class with that method is a policy (a structural protocol): no base class to inherit.

    Examples
    --------
    >>> class Dark:
    ...     def propose(self, state, k, rng):
    ...         return [Intervention("ambient", 0.0)] * k
    >>> isinstance(Dark(), Policy), isinstance(RandomPolicy(), Policy), isinstance(object(), Policy)
    (True, True, False)
    """

    def propose(self, state: State, k: int, rng: np.random.Generator) -> list[Intervention]:
        """``k`` interventions to run next, each valid in ``state.world``.

        ``rng`` is the only source of randomness, so one seed gives one proposal; ``k < 1``
        raises :class:`~causalworld.errors.OutOfRangeError`.

        Examples
        --------
        >>> import causalworld as cw
        >>> policy: Policy = RoundRobinPolicy(["ambient", "spin"])
        >>> policy.propose(State(cw.make("lights", image_size=8, frames=1)), 3, np.random.default_rng(0))[0].targets
        ('ambient',)
        """
        ...


def _variables(world: Any, variables: Sequence[str] | None) -> list[str]:
    """The intervenable variables a policy may set (all of them, or a checked subset)."""
    allowed = world.intervenable
    if variables is None:
        return list(allowed)
    if isinstance(variables, str) or not isinstance(variables, Sequence) or not variables:
        raise ArgumentError(f"variables must be None or a non-empty list of names, got {variables!r}")
    for v in variables:
        if v not in world.variables:
            raise UnknownVariableError.of(v, world.variables, where=f"the world {world.id}")
        if v not in allowed:
            raise InterventionError(f"{v!r} is not intervenable in {world.id}; an agent may set {sorted(allowed)}")
    return list(variables)


def _positive_int(value: Any, name: str, *, low: int = 1) -> int:
    """``value`` as an int, or an :class:`OutOfRangeError` naming ``name`` if it is not an int >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise OutOfRangeError(f"{name} must be {'a positive int' if low == 1 else f'an int >= {low}'}, got {value!r}")
    return int(value)


def _check_k(k: Any) -> int:
    return _positive_int(k, "k")


def _draw(domain: Any, rng: np.random.Generator) -> int | float:
    """A value drawn uniformly from an intervenable domain: a code of a ``range``, or in ``(low, high)``."""
    if isinstance(domain, range):
        return int(domain[int(rng.integers(len(domain)))])
    lo, hi = domain
    return float(rng.uniform(lo, hi))


class RandomPolicy:
    """Each intervention sets one variable (or ``n_targets`` distinct ones), drawn uniformly, each to
    a value drawn uniformly from its range, independently.

    Parameters
    ----------
    variables : list of str, default=None
        The variables it may set (default: every intervenable one).
    n_targets : int, default=1
        Variables set by each intervention. Several, set independently, keep a variable's set
        value apart from its descendants' values in the same episodes (where one variable is set,
        its children still follow it), which is what an encoder needs to tie a latent to each.

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=2)
    >>> ivs = RandomPolicy().propose(State(world), 3, np.random.default_rng(0))
    >>> len(ivs), all(len(iv.targets) == 1 for iv in ivs)
    (3, True)
    """

    def __init__(self, variables: Sequence[str] | None = None, n_targets: int = 1) -> None:
        self.variables = variables
        self.n_targets = n_targets

    def __repr__(self) -> str:
        args = ([] if self.variables is None else [f"variables={self.variables!r}"]) + \
            ([] if self.n_targets == 1 else [f"n_targets={self.n_targets!r}"])
        return f"RandomPolicy({', '.join(args)})"

    def propose(self, state: State, k: int, rng: np.random.Generator) -> list[Intervention]:
        """``k`` random hard interventions on ``n_targets`` variables each (see the class docstring).

        Examples
        --------
        >>> import causalworld as cw
        >>> state = State(cw.make("lights", image_size=8, frames=1))
        >>> policy = RandomPolicy(["ambient"])
        >>> a = policy.propose(state, 2, np.random.default_rng(5))
        >>> a == policy.propose(state, 2, np.random.default_rng(5)), all(0 <= iv.values[0] <= 1 for iv in a)
        (True, True)
        """
        k = _check_k(k)
        names = _variables(state.world, self.variables)
        m = self.n_targets
        if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or not 1 <= m <= len(names):
            raise OutOfRangeError(f"n_targets must be an int in [1, {len(names)}] (the variables it may set), got {m!r}")
        dom = state.world.intervenable
        out = []
        for _ in range(k):
            if m == 1:  # the single-target draw, as before n_targets existed
                picked = [names[int(rng.integers(len(names)))]]
            else:
                picked = [names[i] for i in sorted(rng.choice(len(names), size=int(m), replace=False))]
            out.append(Intervention(picked, [_draw(dom[v], rng) for v in picked]))
        return out


class RoundRobinPolicy:
    """Sets the variables in turn, one per intervention, continuing where the last round stopped;
    each value is drawn uniformly from the variable's range.

    Which variable comes next is read from ``state.done`` (how many interventions ran), so the
    policy holds no state of its own and a resumed run continues the same cycle.

    Parameters
    ----------
    variables : list of str, default=None
        The cycle (default: every intervenable variable, in the world's order).

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=2)
    >>> ivs = RoundRobinPolicy(["ambient", "spin"]).propose(State(world), 3, np.random.default_rng(0))
    >>> [iv.targets[0] for iv in ivs]
    ['ambient', 'spin', 'ambient']
    """

    def __init__(self, variables: Sequence[str] | None = None) -> None:
        self.variables = variables

    def __repr__(self) -> str:
        return "RoundRobinPolicy()" if self.variables is None else f"RoundRobinPolicy(variables={self.variables!r})"

    def propose(self, state: State, k: int, rng: np.random.Generator) -> list[Intervention]:
        """The next ``k`` variables of the cycle, each with a random value.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=1)
        >>> done = (Intervention("ambient", 0.5),)  # one ran already: the cycle goes on at spin
        >>> ivs = RoundRobinPolicy(["ambient", "spin"]).propose(State(world, done=done), 2, np.random.default_rng(0))
        >>> [iv.targets[0] for iv in ivs]
        ['spin', 'ambient']
        """
        k = _check_k(k)
        names = _variables(state.world, self.variables)
        dom = state.world.intervenable
        start = len(state.done)
        return [Intervention(names[(start + i) % len(names)], _draw(dom[names[(start + i) % len(names)]], rng))
                for i in range(k)]


class InfoGainPolicy:
    """The experiments whose outcome is expected to tell the most about the graph.

    For each candidate experiment ``do(x = v)`` it estimates the mutual information between the
    experiment's outcome ``y`` (every column of the learner's table, in each of the ``episodes``
    episodes the experiment will get) and the graph ``G``, by nested Monte Carlo over the
    learner's posterior:

    1. draw ``n_graphs`` graphs from ``state.learner.sample_graphs`` (exact posterior draws for
       ``ExactLearner``, at ``temperature``; bootstrap refits or copies of ``graph_`` for the
       others); identical draws are merged, each weighted by how often it was drawn;
    2. fit each graph's SCM on the data so far (:meth:`causalworld.SCM.fit` with ``mechanisms``,
       on each variable's non-intervened rows);
    3. simulate ``n_outcomes`` outcomes ``y`` (each of ``episodes`` episodes) under ``do(x = v)``
       from each graph's SCM, and score every outcome under every graph's SCM (the
       interventional likelihood, summed over the episodes: ``x``'s own term is left out);
    4. ``MI = mean over graphs G and outcomes y ~ p(y | G) of [log p(y | G) - log mean_G' p(y | G')]``.

    A batch of ``k`` is chosen greedily: each next candidate maximises the MI of the whole batch's
    joint outcome (the episodes are independent, so their log-likelihoods add). A candidate is
    used at most once per batch until all have been. Ties (for example when every draw is the same
    graph and all MIs are 0) are broken by a random order from ``rng``. Before any learner is
    fitted it proposes as :class:`RandomPolicy` does.

    Candidate values: a discrete variable's every code; a continuous variable's ``n_values``
    evenly spaced points inside its range, ``low + (i + 1/2) / n_values * (high - low)``.

    Parameters
    ----------
    n_graphs : int, default=16
        K, the graphs drawn from the learner's posterior.
    n_outcomes : int, default=32
        M, the outcomes simulated per candidate and graph. The log-likelihoods are heavy-tailed,
        so fewer than ~30 gives noisy estimates (on two Markov-equivalent graphs, M = 16 gave
        0.02 to 0.3 for experiments whose MI is ~0.2; M = 64 gave 0.18 to 0.29).
    n_values : int, default=3
        Values per continuous variable.
    variables : list of str, default=None
        The variables it may set (default: every intervenable one).
    mechanisms : str, default="linear"
        The mechanisms of each graph's SCM (``"linear"`` is fast; see :meth:`causalworld.SCM.fit`).
    episodes : int, default=None
        Episodes in one experiment's outcome (``None``: ``state.episodes``, the episodes each
        intervention gets in the experiment; 1 weighs single episodes). Weighing single episodes
        ranks an experiment that settles one question in an episode above one that settles two
        over ten episodes, though the experiment gets twenty and the second tells more. Over 20
        seeds of ``benchmarks/active.py`` (20 episodes per intervention) it reached SHD 0 on
        ``lights`` and ``scm8`` with 6 interventions instead of 8; on 3-object ``sprites`` from
        pixels the two were level. The simulation grows with it: one proposal on ``lights``'
        true values (15 columns) took 0.3 s weighing 1 episode, 0.8 s weighing 100, 2 s weighing 500.
    temperature : float, default=1.0
        The graphs are drawn from the learner's posterior with every score divided by it (see
        :meth:`causalworld.discovery.Learner.sample_graphs`; a score posterior's learners only):
        above 1 it doubts what a misspecified score is too sure of, so experiments that would
        overturn a confident wrong edge count. Measured over 20 seeds of ``benchmarks/active.py``
        (``docs/experimenter.md`` has the tables), ``temperature=10`` lowered the mean SHD after
        2-4 interventions on ``lights`` and from pixels on 3-object ``sprites`` by less than the
        seeds' noise, and raised it after 6-10 from pixels by 0.5-0.7 (twice to three times the
        noise): the widened posterior keeps spending experiments on graphs the data have ruled
        out. On 20-node MLP SCMs and on ``sprites``' true values it was worse at nearly every budget.

    Examples
    --------
    >>> import causalworld as cw
    >>> from causalworld.discovery import ExactLearner
    >>> world = cw.make("lights", image_size=8, frames=2)
    >>> from interventions.truevalues import TrueValues
    >>> eps = world.rollout(200, seed=0)
    >>> data = TrueValues(world).fit(eps).latents(eps)[["ambient", "switch_red", "dimmer_red", "lamp_red"]]  # the red lamp
    >>> learner = ExactLearner(progress=False).fit(data)
    >>> state = State(world, data, np.zeros(data.shape, bool), learner)
    >>> policy = InfoGainPolicy(n_graphs=4, n_outcomes=4, variables=["ambient", "switch_red", "dimmer_red"])
    >>> ivs = policy.propose(state, 2, np.random.default_rng(0))
    >>> len(ivs), len(set(ivs))
    (2, 2)
    """

    def __init__(self, *, n_graphs: int = 16, n_outcomes: int = 32, n_values: int = 3,
                 variables: Sequence[str] | None = None, mechanisms: str = "linear", episodes: int | None = None,
                 temperature: float = 1.0) -> None:
        self.n_graphs = n_graphs
        self.n_outcomes = n_outcomes
        self.n_values = n_values
        self.variables = variables
        self.mechanisms = mechanisms
        self.episodes = episodes
        self.temperature = temperature

    def __repr__(self) -> str:
        return (f"InfoGainPolicy(n_graphs={self.n_graphs}, n_outcomes={self.n_outcomes}, n_values={self.n_values}"
                + (f", variables={self.variables!r}" if self.variables is not None else "")
                + (f", episodes={self.episodes}" if self.episodes is not None else "")
                + (f", temperature={self.temperature}" if self.temperature != 1 else "") + ")")

    def _check_settings(self) -> None:
        for name in ("n_graphs", "n_outcomes", "n_values"):
            _positive_int(getattr(self, name), name)
        if self.episodes is not None:
            _positive_int(self.episodes, "episodes")

    def _episodes(self, state: State) -> int:
        """Episodes in one experiment's outcome: ``episodes``, or else ``state.episodes``."""
        if self.episodes is not None:
            return int(self.episodes)
        return _positive_int(state.episodes, "state.episodes (episodes each intervention gets)")

    def candidates(self, world: Any) -> list[Intervention]:
        """Every single-variable hard intervention the policy weighs (see the class docstring).

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> InfoGainPolicy(n_values=2, variables=["switch_red", "ambient"]).candidates(world)
        [Intervention(do(switch_red=0)), Intervention(do(switch_red=1)), Intervention(do(ambient=0.25)), Intervention(do(ambient=0.75))]
        """
        self._check_settings()
        out = []
        for v in _variables(world, self.variables):
            dom = world.intervenable[v]
            if isinstance(dom, range):
                out += [Intervention(v, int(c)) for c in dom]
            else:
                lo, hi = dom
                out += [Intervention(v, lo + (i + 0.5) / self.n_values * (hi - lo)) for i in range(self.n_values)]
        return out

    def information(self, state: State, rng: np.random.Generator) -> tuple[list[Intervention], np.ndarray, np.ndarray]:
        """The candidates, their log-likelihood tables and the graphs' weights.

        Returns ``(candidates, L, w)``: ``L[c, i, m, j]`` is ``log p(y | G_j)`` of outcome ``m``
        simulated under graph ``i`` for candidate ``c``; ``w[j]`` the weight of merged graph ``j``.

        Examples
        --------
        >>> import causalworld as cw
        >>> from causalworld.discovery import ExactLearner
        >>> from interventions.truevalues import TrueValues, targets_mask
        >>> world = cw.make("lights", image_size=8, frames=1)
        >>> eps = world.rollout(200, do=[{}] * 100 + [{"switch_red": 1}, {"dimmer_red": 0.9}] * 50, seed=0)
        >>> data = TrueValues(world).fit(eps).latents(eps)[["ambient", "switch_red", "dimmer_red", "lamp_red"]]
        >>> learner = ExactLearner(progress=False).fit(data, targets_mask(world, data.columns, eps.targets))
        >>> policy = InfoGainPolicy(n_graphs=2, n_outcomes=3, n_values=1, variables=["switch_red", "ambient"])
        >>> cands, L, w = policy.information(State(world, data, None, learner), np.random.default_rng(0))
        >>> cands
        [Intervention(do(switch_red=0)), Intervention(do(switch_red=1)), Intervention(do(ambient=0.5))]
        >>> L.shape[0], L.shape[2], L.shape[1] == L.shape[3] == len(w), round(float(w.sum()), 6)
        (3, 3, True, 1.0)
        """
        self._check_settings()
        E = self._episodes(state)
        world, learner, data = state.world, state.learner, state.data
        columns = list(data.columns)
        cands = [iv for iv in self.candidates(world) if column_of(world, columns, iv.targets[0]) is not None]
        if not cands:
            raise InterventionError("no intervenable variable is a column of the learner's data; nothing to weigh")
        graphs, weights = _merged_graphs(learner.sample_graphs(int(self.n_graphs), seed=int(rng.integers(2**31)),
                                                               temperature=self.temperature))
        mask = np.zeros(data.shape, dtype=bool) if state.targets is None else np.asarray(state.targets, dtype=bool)
        seed = int(rng.integers(2**31))
        with warnings.catch_warnings():
            # a drawn graph may hold edges the data hardly support, and a candidate value may lie
            # past the data so far: both are expected inside this simulation, not news for the user
            warnings.simplefilter("ignore")
            from causalworld import SCM

            scms = [SCM.fit(g, data, self.mechanisms, targets=mask, progress=False, seed=seed) for g in graphs]
            G, M = len(scms), int(self.n_outcomes)
            L = np.zeros((len(cands), G, M, G))
            for c, iv in enumerate(cands):
                col = column_of(world, columns, iv.targets[0])
                value = float(iv.values[0])
                outcomes = [scm.do({col: value}).sample(M * E, seed=seed + 7919 * c + i) for i, scm in enumerate(scms)]
                y = {v: torch.cat([o[v] for o in outcomes]) for v in columns}  # (G * M * E) rows, graph-major
                for j, scm in enumerate(scms):
                    L[c, :, :, j] = _loglik(scm, y, skip=col).reshape(G, M, E).sum(2)
        return cands, L, weights

    def propose(self, state: State, k: int, rng: np.random.Generator) -> list[Intervention]:
        """The ``k`` candidates chosen greedily by expected information about the graph."""
        k = _check_k(k)
        if state.learner is None or state.data is None:
            return RandomPolicy(self.variables).propose(state, k, rng)
        cands, L, w = self.information(state, rng)
        logw = np.log(w)
        order = rng.permutation(len(cands))  # ties go to a random candidate
        total = np.zeros(L.shape[1:])  # (G, M, G): the batch so far
        used: set[int] = set()
        chosen: list[Intervention] = []
        for _ in range(k):
            if len(used) == len(cands):
                used.clear()
            best, best_mi = -1, -math.inf
            for c in order:
                if c in used:
                    continue
                mi = _mutual_information(total + L[c], w, logw)
                if mi > best_mi + 1e-12:
                    best, best_mi = int(c), mi
            used.add(best)
            total += L[best]
            chosen.append(cands[best])
        return chosen


def _merged_graphs(graphs: Sequence[nx.DiGraph]) -> tuple[list[nx.DiGraph], np.ndarray]:
    """Identical graphs merged: the distinct graphs and the share of draws each had."""
    keys: dict[frozenset[tuple[str, str]], int] = {}
    distinct: list[nx.DiGraph] = []
    counts: list[int] = []
    for g in graphs:
        key = frozenset(g.edges)
        if key not in keys:
            keys[key] = len(distinct)
            distinct.append(g)
            counts.append(0)
        counts[keys[key]] += 1
    w = np.asarray(counts, dtype=float)
    return distinct, w / w.sum()


def _loglik(scm: Any, values: dict[str, torch.Tensor], skip: str) -> np.ndarray:
    """``log p(row)`` of every row under ``scm`` without the set variable ``skip``'s term."""
    vals = scm.as_tensors(values, require=scm.variables)
    n = next(iter(vals.values())).shape[0]
    total = torch.zeros(n, dtype=scm.dtype)
    for v in scm.variables:
        if v == skip:
            continue
        ps = scm.parents(v)
        pa = torch.stack([vals[p] for p in ps], 1) if ps else torch.empty(n, 0, dtype=scm.dtype)
        total += scm.mechanisms[v].log_prob(vals[v], pa).to(scm.dtype)
    return total.double().cpu().numpy()


def _mutual_information(L: np.ndarray, w: np.ndarray, logw: np.ndarray) -> float:
    """The nested Monte Carlo MI from ``L[i, m, j] = log p(y_im | G_j)`` and graph weights ``w``."""
    own = np.einsum("imi->im", L)  # log p(y | the graph that made it)
    a = L + logw[None, None, :]
    top = a.max(axis=2, keepdims=True)
    mix = (top[..., 0] + np.log(np.exp(a - top).sum(axis=2)))  # log sum_j w_j p(y | G_j)
    return float((w[:, None] * (own - mix)).sum(axis=0).mean())




class GoalPolicy:
    """The interventions the learned model predicts most often reach a goal.

    The goal is a predicate over the world's variables, as the Gymnasium wrapper takes it: a
    callable of ``{variable: Tensor}`` (``[n]``, or ``[n, T]`` for a time-varying variable)
    returning a bool tensor ``[n]``, for example ``lambda v: v["sensor"][:, -1] >= 0.5``. For each
    candidate, ``n_samples`` outcomes are drawn from ``state.learner.scm_`` under it and the share
    that reaches the goal is its predicted probability of success (:meth:`success`); ``propose``
    returns the ``k`` candidates with the highest one (ties broken by a random order from ``rng``).

    Candidates set up to ``max_targets`` variables at once (a goal often needs two knobs: a switch
    on *and* a dimmer up), each to a discrete variable's code or one of ``n_values`` evenly spaced
    points of a continuous variable's range, ends included (``numpy.linspace(low, high,
    n_values)``: goals sit at the extremes more often than inside). Variables the model has no
    column for are left out; a goal that reads such a variable raises ``KeyError``.

    Parameters
    ----------
    goal : callable
        ``goal(values) -> bool Tensor [n]``.
    n_samples : int, default=64
        Outcomes drawn per candidate.
    n_values : int, default=5
        Values per continuous variable.
    max_targets : int, default=2
        Most variables set by one intervention (1 or 2).
    variables : list of str, default=None
        The variables it may set (default: every intervenable one).

    Examples
    --------
    >>> import causalworld as cw
    >>> from causalworld.discovery import ExactLearner
    >>> from interventions.truevalues import TrueValues, targets_mask
    >>> world = cw.make("lights", image_size=8, frames=1)
    >>> plan = [{}] * 100 + [{"switch_red": 1}, {"dimmer_red": 0.9}] * 50
    >>> eps = world.rollout(200, do=plan, seed=0)
    >>> data = TrueValues(world).fit(eps).latents(eps)[["ambient", "switch_red", "dimmer_red", "lamp_red"]]  # the red lamp
    >>> learner = ExactLearner(progress=False).fit(data, targets_mask(world, data.columns, eps.targets))
    >>> sorted(learner.graph_.predecessors("lamp_red"))  # its three true causes
    ['ambient', 'dimmer_red', 'switch_red']
    >>> policy = GoalPolicy(lambda v: v["lamp_red"] > 0.5, variables=["switch_red", "dimmer_red"])
    >>> best = policy.propose(State(world, data, None, learner), 1, np.random.default_rng(0))[0]
    >>> best
    Intervention(do(switch_red=1, dimmer_red=1))
    >>> float((world.rollout(100, do=best.to_do(), seed=1).values["lamp_red"] > 0.5).float().mean())
    1.0
    """

    def __init__(self, goal: Any, *, n_samples: int = 64, n_values: int = 5, max_targets: int = 2,
                 variables: Sequence[str] | None = None) -> None:
        self.goal = goal
        self.n_samples = n_samples
        self.n_values = n_values
        self.max_targets = max_targets
        self.variables = variables

    def __repr__(self) -> str:
        return f"GoalPolicy({getattr(self.goal, '__name__', 'goal')}, max_targets={self.max_targets})"

    def _check_settings(self) -> None:
        if not callable(self.goal):
            raise DTypeError(f"goal must be a callable of the values dict returning a bool tensor [n], got {self.goal!r}")
        for name in ("n_samples", "n_values"):
            _positive_int(getattr(self, name), name)
        if self.max_targets not in (1, 2):
            raise OutOfRangeError(f"max_targets must be 1 or 2, got {self.max_targets!r}")

    def candidates(self, world: Any, columns: Sequence[str]) -> list[Intervention]:
        """Every intervention the policy weighs (see the class docstring).

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=1)
        >>> policy = GoalPolicy(lambda v: v["lamp_red"] > 0.5, n_values=2, variables=["switch_red", "dimmer_red"])
        >>> cands = policy.candidates(world, ["switch_red", "dimmer_red", "lamp_red"])
        >>> len(cands), cands[2], cands[-1]  # 2 codes + 2 values, then the 4 pairs
        (8, Intervention(do(dimmer_red=0)), Intervention(do(switch_red=1, dimmer_red=1)))
        """
        self._check_settings()
        single: list[tuple[str, int | float]] = []
        for v in _variables(world, self.variables):
            if column_of(world, columns, v) is None:
                continue
            dom = world.intervenable[v]
            values = list(dom) if isinstance(dom, range) else [float(x) for x in np.linspace(dom[0], dom[1], self.n_values)]
            single += [(v, x) for x in values]
        out = [Intervention(v, x) for v, x in single]
        if self.max_targets == 2:
            out += [Intervention([a, b], [x, y]) for i, (a, x) in enumerate(single) for b, y in single[i + 1:] if a != b]
        return out

    def success(self, state: State, rng: np.random.Generator) -> list[tuple[Intervention, float]]:
        """Each candidate with the learned model's probability that it reaches the goal, best first.

        Examples
        --------
        >>> import causalworld as cw
        >>> from causalworld.discovery import ExactLearner
        >>> from interventions.truevalues import TrueValues, targets_mask
        >>> world = cw.make("lights", image_size=8, frames=1)
        >>> eps = world.rollout(200, do=[{}] * 100 + [{"switch_red": 1}, {"dimmer_red": 0.9}] * 50, seed=0)
        >>> data = TrueValues(world).fit(eps).latents(eps)[["ambient", "switch_red", "dimmer_red", "lamp_red"]]
        >>> learner = ExactLearner(progress=False).fit(data, targets_mask(world, data.columns, eps.targets))
        >>> policy = GoalPolicy(lambda v: v["lamp_red"] > 0.5, n_values=2, variables=["switch_red", "dimmer_red"])
        >>> best, p = policy.success(State(world, data, None, learner), np.random.default_rng(0))[0]
        >>> best, p > 0.9
        (Intervention(do(switch_red=1, dimmer_red=1)), True)
        """
        self._check_settings()
        if state.learner is None or state.data is None:
            raise ArgumentError("GoalPolicy needs a fitted learner in the state (run an observational round first)")
        world, scm = state.world, state.learner.scm_
        columns = list(scm.variables)
        cands = self.candidates(world, columns)
        seed = int(rng.integers(2**31))
        scores = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a candidate at a range's end may lie past the data: expected here
            for c, iv in enumerate(cands):
                do = {column_of(world, columns, t): float(x) for t, x in zip(iv.targets, iv.values)}
                sample = scm.do(do).sample(int(self.n_samples), seed=seed + c)
                reached = torch.as_tensor(self.goal(_world_values(world, sample)))
                scores.append(float(reached.float().mean()))
        order = rng.permutation(len(cands))
        ranked = sorted(order, key=lambda c: -scores[c])  # stable: ties keep the random order
        return [(cands[c], scores[c]) for c in ranked]

    def propose(self, state: State, k: int, rng: np.random.Generator) -> list[Intervention]:
        """The ``k`` candidates most likely to reach the goal under the learned model."""
        k = _check_k(k)
        ranked = self.success(state, rng)
        return [ranked[i % len(ranked)][0] for i in range(k)]


def _world_values(world: Any, sample: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Model columns as the world's values: ``x[0..T-1]`` stacked into ``[n, T]``, others as they are."""
    out: dict[str, torch.Tensor] = {}
    for v in world.variables:
        steps = world.unrolled(v)
        if all(s in sample for s in steps) and v in world.time_varying:
            out[v] = torch.stack([sample[s] for s in steps], dim=1)
        elif v in sample:
            out[v] = sample[v]
    return out


POLICIES: dict[str, type] = {"random": RandomPolicy, "round-robin": RoundRobinPolicy, "info-gain": InfoGainPolicy,
                             "goal": GoalPolicy}
"""Every policy class by its short name (``"random"``, ``"round-robin"``, ``"info-gain"``, ``"goal"``)."""
