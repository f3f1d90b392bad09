"""``Experiment``: the experimenter's loop, propose → rollout → encode → fit → record, round by round.

Round 0 watches the world without touching it; every later round asks the policy for experiments,
runs them in the world in one batch, turns the episodes into the learner's table (the encoder, or
the true values), refits the learner on everything seen so far and records one row of scores
against the world's truth. With ``out`` each round's record goes to disk atomically, and
:meth:`Experiment.resume` continues a killed run to the same result an uninterrupted one gives:
every random draw of round ``r`` comes from ``(seed, r)``, never from a stream that runs across
rounds.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from causalworld.discovery import LEARNERS, ExactLearner, MixedGraph, clone
from causalworld.envs.world import World, unrolled_name
from causalworld.episodes import Episodes
from causalworld.errors import (ArgumentError, DTypeError, ModelFileError, OutOfRangeError, TimeOrderWarning,
                                UnknownVariableError)
from causalworld.metrics import shd
from causalworld.store import load_folder, save_folder
from interventions.intervention import Intervention
from interventions.policies import POLICIES, State, _positive_int
from interventions.scoring import counterfactual_error, summary_graph
from interventions.truevalues import TrueValues, backwards_in_time, column_of, targets_mask

__all__ = ["Experiment", "ExperimentResult", "Counterfactual", "FORMAT", "FORMAT_VERSION"]

FORMAT = "interventions.experiment"
FORMAT_VERSION = 1
MANIFEST = "experiment.json"
PROBE_EPISODES = 200  # held-out episodes the counterfactual error is measured on
_PROBE = 2**31 - 1  # the "round" whose seed draws those episodes


def _table(values: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """The learner's table, laid out the same way whether the run grew it or a resume loaded it
    (least squares on the same numbers in another memory layout can differ in the last bit)."""
    return pd.DataFrame(np.array(values, dtype=np.float64, order="C"), columns=columns)


@dataclass
class ExperimentResult:
    """What a run leaves behind.

    Attributes
    ----------
    scm : causalworld.SCM
        The last round's learned model (``learner.scm_``), over the learner's columns.
    graph : causalworld.discovery.MixedGraph
        The learned graph over the world's variables (:func:`~interventions.scoring.summary_graph`).
    history : pandas.DataFrame
        One row per round: ``round``, ``n_interventions`` and ``n_episodes`` (cumulative),
        ``shd`` (of ``graph`` against ``world.graph``), ``counterfactual_error`` (std units, NaN
        where not computable), ``edges`` (learned, over the world's variables) and ``seconds``
        (that round's wall time).
    interventions : list of list of Intervention
        Each round's interventions (round 0: none).
    learner : causalworld.discovery.Learner
        The last round's fitted learner.
    data : pandas.DataFrame
        Every episode's row of the learner's table, in the order run.
    targets : numpy.ndarray
        ``[n, columns]`` bool: which columns each row intervened on.
    world : causalworld.envs.World
        The world experimented on.
    encoder : object
        The fitted encoder that made the learner's table (:class:`TrueValues` when the run had none).

    Examples
    --------
    >>> import causalworld as cw
    >>> from interventions import Experiment, RoundRobinPolicy
    >>> world = cw.make("lights", image_size=8, frames=1)
    >>> result = Experiment(world, policy=RoundRobinPolicy(), rounds=1, episodes_per_round=40,
    ...                     interventions_per_round=3, seed=0, progress=False).run()
    >>> list(result.history.columns[:4]), len(result.data), result.targets.shape[1] == len(result.data.columns)
    (['round', 'n_interventions', 'n_episodes', 'shd'], 80, True)
    """

    scm: Any
    graph: MixedGraph
    history: pd.DataFrame
    interventions: list[list[Intervention]]
    learner: Any
    data: pd.DataFrame
    targets: np.ndarray
    world: Any = None
    encoder: Any = None

    def counterfactual(self, episodes: Any, do: Any) -> "Counterfactual":
        """What the learned model says each episode would have been under ``do``.

        The episodes go through the run's encoder (the latents the model was learned on), the
        model answers ``do`` (abduct, act, predict), and the answer is mapped back to the world's
        variables. When every depicted variable that ``do`` can affect (its descendants in the
        world's graph) is a variable of the model, the answer is also drawn by the world's renderer,
        with the episodes' own render noise, for display beside ``world.counterfactual_rollout``
        (the truth); depicted variables that ``do`` cannot affect keep the episodes' recorded values.
        Otherwise only values come back, and ``missing`` says which variables the model lacks.

        Parameters
        ----------
        episodes : causalworld.Episodes
            Episodes of the run's world (their frames, or their values for a run without encoder).
        do : dict
            ``{world variable: value}``: a number, or one value per episode.

        Returns
        -------
        Counterfactual

        Raises
        ------
        UnknownVariableError
            A variable the world does not have.
        ArgumentError
            A variable the model does not hold (the encoder did not identify it), or a result made
            without its world.

        Examples
        --------
        >>> import causalworld as cw
        >>> from interventions import Experiment, RoundRobinPolicy
        >>> world = cw.make("lights", image_size=8, frames=1)
        >>> result = Experiment(world, policy=RoundRobinPolicy(), rounds=2, episodes_per_round=60,
        ...                     interventions_per_round=3, seed=0, progress=False).run()
        >>> eps = world.rollout(4, seed=1)
        >>> cf = result.counterfactual(eps, {"switch_red": 1})
        >>> cf.frames.shape, cf.missing
        (torch.Size([4, 1, 3, 8, 8]), ())
        """
        if self.world is None or self.encoder is None:
            raise ArgumentError("this result was made without its world and encoder; use Experiment(...).run() or "
                                "Experiment.resume(out)")
        world, scm = self.world, self.scm
        if not isinstance(do, dict):
            raise DTypeError(f"do must be a dict {{world variable: value}}, got {type(do).__name__}")
        table = as_table(self.encoder.latents(episodes))
        columns = list(scm.variables)
        lacking = [c for c in columns if c not in table.columns]
        if lacking:
            raise ArgumentError(f"the encoder's latents lack the model's columns {lacking}; pass episodes of the run's world")
        observed = {c: torch.tensor(table[c].to_numpy(dtype=np.float64), dtype=scm.dtype, device=scm.device) for c in columns}
        asked: dict[str, Any] = {}
        for x, value in do.items():
            if x not in world.variables:
                raise UnknownVariableError.of(x, world.variables, where=f"the world {world.id}")
            col = column_of(world, columns, x)
            if col is None:
                raise ArgumentError(f"the learned model does not hold {x!r} (the encoder did not identify it), so it "
                                    f"cannot set it; it holds {columns}")
            asked[col] = torch.as_tensor(value, dtype=scm.dtype, device=scm.device) if not callable(value) else value
        answer = scm.counterfactual(observed, asked)
        values: dict[str, torch.Tensor] = {}
        for v in world.variables:
            steps = [unrolled_name(v, t) for t in range(world.frames)] if v in world.time_varying else []
            if steps and all(s in answer for s in steps):
                values[v] = torch.stack([answer[s] for s in steps], dim=1)
            elif v in answer:
                values[v] = answer[v]
        values = {v: t.detach().cpu() for v, t in values.items()}
        affected = set(do)
        for x in do:
            affected |= nx.descendants(world.graph, x)
        recorded = getattr(episodes, "values", None) or {}
        missing = tuple(v for v in world.depicted if v not in values and (v in affected or v not in recorded))
        frames = None
        if not missing and world.depicted:
            drawn = {}
            for v in world.depicted:
                t = values[v] if v in values else recorded[v].detach().cpu()
                if v in world.discrete:
                    t = t.round().clamp(0, world.discrete[v] - 1).to(torch.int64)
                if v in world.time_varying and t.dim() == 1:
                    t = t[:, None].expand(-1, world.frames)
                drawn[v] = t.to(world.device)
            frames = world.render(drawn, getattr(episodes, "noise", None) or None)  # the episodes' render noise
        return Counterfactual(values=values, frames=frames, missing=missing)


@dataclass
class Counterfactual:
    """The learned model's answer to a what-if, from :meth:`ExperimentResult.counterfactual`.

    Attributes
    ----------
    values : dict of str to Tensor
        Each world variable the model holds: ``[n]``, or ``[n, T]`` for a time-varying one.
    frames : Tensor or None
        ``uint8 [n, T, C, H, W]``: the answer drawn by the world's renderer, or ``None`` when a
        depicted variable the intervention affects is missing from the model.
    missing : tuple of str
        Those depicted variables (empty when ``frames`` is drawn).

    Examples
    --------
    >>> import torch
    >>> cf = Counterfactual(values={"x": torch.zeros(2)}, frames=None, missing=("y",))
    >>> cf.frames is None, cf.missing
    (True, ('y',))
    """

    values: dict[str, torch.Tensor]
    frames: torch.Tensor | None
    missing: tuple[str, ...]


def as_table(latents: Any) -> pd.DataFrame:
    """An encoder's latents as the learner's table: a DataFrame as it is; a ``{name: Tensor}`` dict
    with time-varying ``[n, T]`` entries unrolled into one column per frame (``x[0]``, ``x[1]``, ...,
    the names the world's truth uses), static ``[n]`` entries kept.

    Examples
    --------
    >>> import torch
    >>> as_table({"a": torch.zeros(2), "x": torch.ones(2, 2)}).columns.tolist()
    ['a', 'x[0]', 'x[1]']
    """
    if isinstance(latents, pd.DataFrame):
        return latents
    if not isinstance(latents, dict):
        raise DTypeError(f"an encoder's latents must be a DataFrame or a dict of tensors, got {type(latents).__name__}")
    cols: dict[str, np.ndarray] = {}
    for name, t in latents.items():
        a = np.asarray(t.detach().cpu().double() if hasattr(t, "detach") else t, dtype=np.float64)
        if a.ndim == 1:
            cols[name] = a
        elif a.ndim == 2:
            for s in range(a.shape[1]):
                cols[unrolled_name(name, s)] = a[:, s]
        else:
            raise DTypeError(f"latent {name!r} has shape {a.shape}; expected [n] or [n, T]")
    return pd.DataFrame(cols)


@dataclass
class _Progress:
    """The run so far: everything a record holds and a resumed run continues from."""

    data: pd.DataFrame | None = None
    targets: np.ndarray | None = None
    interventions: list[list[Intervention]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rounds_done(self) -> int:
        return len(self.history)


def _round_seed(seed: int, r: int) -> int:
    """The seed of round ``r``'s rollout, from ``(seed, r)`` alone (a resumed run draws the same)."""
    return int(np.random.SeedSequence([seed, r]).generate_state(1)[0])


def _json_or_none(settings: Any) -> Any:
    """``settings`` when they are plain JSON, else None (a callable goal, a custom object: resume
    then needs the part passed again)."""
    try:
        json.dumps(settings, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return settings


class Experiment:
    """Intervene in a world round by round, learn its causal model, and score it against the truth.

    Parameters
    ----------
    world : causalworld.envs.World
        The world experimented on.
    policy : Policy
        Proposes each round's interventions (``propose(state, k, rng)``).
    rounds : int
        Rounds of experiments after the observational round 0 (so the history has ``rounds + 1``
        rows).
    episodes_per_round : int
        Episodes run per round, shared out evenly over its interventions.
    interventions_per_round : int, default=1
        Interventions the policy proposes per round (at most ``episodes_per_round``).
    observational : int, default=None
        Episodes of round 0 (default ``episodes_per_round``).
    encoder : object, default=None
        Turns episodes into the learner's table: ``fit(episodes)`` and ``latents(episodes)``
        returning a DataFrame (or a ``{name: Tensor}`` dict, time-varying ``[n, T]`` entries
        unrolled into ``x[0], x[1], ...`` columns), one row per episode, columns named by the world
        variables it identified (for example a fitted :class:`causalworld.encoders.VideoEncoder`).
        ``None`` reads the true values (:class:`TrueValues`).
    encoder_rounds : int or sequence of int, default=(1,)
        The rounds after which the encoder is fitted on every episode seen so far, and the whole
        table re-encoded with it. The default fits it once, after the first interventional round:
        an encoder lines its latents up with the variables through the interventions it saw, so
        round 0 alone (watching) names nothing. Before the first fit there is no model: those
        rounds' scores are NaN and the policy proposes as :class:`RandomPolicy` does (a
        :class:`GoalPolicy` needs a model: start it after). More rounds refit it as data grows,
        e.g. ``(1, 3, 7)``. ``()``: never fit it here; the encoder comes fitted (for example a
        :class:`~causalworld.encoders.VideoEncoder` that learned to see by playing in the world,
        ``VideoEncoder(...).fit(world)``, setting variables at random), and every round, round 0
        included, is read with it. Unused without an encoder (the true values need no fitting).
    learner : causalworld.discovery.Learner, default=None
        Cloned and refitted on all data every round (default
        ``ExactLearner(score_func="linear-quadratic")`` with this seed: per node, the average of
        two regressions' BIC on the parents, a line and a second-order one (their squares and
        pairwise products), which sees the nonlinear mechanisms of the worlds (Malus's ``cos^2``
        on ``lights``, a switch times a dimmer) and keeps a weak linear parent the second-order
        fit alone would charge for terms it does not need (on 3-object ``sprites`` from pixels,
        mean SHD 1.6 after 10 random interventions against 2.6 with ``"quadratic"``), at close to
        the linear score's cost, a fraction of a second per round on a small world;
        ``ExactLearner()`` alone would pick the RFF score on ``lights`` and ``falling``, where a
        4-round experiment of the goal benchmark took 17-30 times as long). With an encoder its
        ``min_explained`` is 0.05, not 0.01: latents are readings with small errors, and an error
        that moves with another variable (a hue that shifts how big a sprite looks) passes for a
        weak dependence on it; on one-object ``sprites`` read from pixels, 0.01 kept such an edge
        (``hue0 -> size0``) in each of three seeds, 0.05 in none. Edges from a later frame to an
        earlier one (``y[2] -> x[1]``), and from a frame after the first into one of the world's
        static variables (``pen_y[2] -> support_pen``: a static value is drawn from the first frame
        on), are added to its ``forbidden`` setting: time runs forward (a learner without one gets a
        :class:`~causalworld.errors.TimeOrderWarning`).
    final_fit : dict, default=None
        After the last round, refit the model on the last learned graph with
        ``SCM.fit(graph, data, targets=..., **final_fit)``, e.g. ``{"mechanisms": "mlp",
        "mlp_members": 1}`` for nonlinear mechanisms that would be too slow to fit every round;
        the last history row then scores that model. ``None`` keeps the learner's ``scm_``.
    seed : int, default=None
        Seeds every draw of the run (``None``: drawn once, and kept in the record).
    threads : int, default=1
        Torch threads while running (results are reproducible for one thread count).
    out : str or Path, default=None
        A folder for the run's record: after each round, ``experiment.json`` (config, each round's
        interventions and scores) over a safetensors file (the data so far), written atomically
        through :func:`causalworld.store.save_folder`, and the learned model in ``out/scm``.
    progress : bool, default=True
        Show a progress bar over rounds.

    Raises
    ------
    OutOfRangeError
        ``rounds``, ``episodes_per_round``, ``interventions_per_round``, ``observational`` or
        ``threads`` below 1, or more interventions than episodes per round.
    DTypeError
        A world that is not a World, a policy without ``propose``, an encoder without ``fit`` and
        ``latents``, or a seed that is not an int.

    Examples
    --------
    >>> import causalworld as cw
    >>> from interventions import Experiment, RoundRobinPolicy
    >>> world = cw.make("lights", image_size=8, frames=1)
    >>> result = Experiment(world, policy=RoundRobinPolicy(), rounds=2, episodes_per_round=60,
    ...                     interventions_per_round=3, seed=0, progress=False).run()
    >>> list(result.history["n_interventions"])
    [0, 3, 6]
    >>> result.graph.nodes == world.variables
    True
    """

    def __init__(self, world: Any, *, policy: Any, rounds: int, episodes_per_round: int,
                 interventions_per_round: int = 1, observational: int | None = None, encoder: Any = None,
                 encoder_rounds: Any = (1,), learner: Any = None, final_fit: dict[str, Any] | None = None,
                 seed: int | None = None, threads: int = 1, out: str | Path | None = None, progress: bool = True) -> None:
        if not isinstance(world, World):
            raise DTypeError(f"world must be a causalworld World (cw.make(...)), got {type(world).__name__}")
        if not callable(getattr(policy, "propose", None)):
            raise DTypeError(f"policy must have a propose(state, k, rng) method, got {type(policy).__name__}; "
                             f"use one of {sorted(POLICIES)}")
        if encoder is not None and not (callable(getattr(encoder, "fit", None)) and callable(getattr(encoder, "latents", None))):
            raise DTypeError(f"encoder must have fit(episodes) and latents(episodes), got {type(encoder).__name__}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise DTypeError(f"seed must be an int or None, got {seed!r}")
        self.world = world
        self.policy = policy
        self.rounds = _positive_int(rounds, "rounds")
        self.episodes_per_round = _positive_int(episodes_per_round, "episodes_per_round")
        self.interventions_per_round = _positive_int(interventions_per_round, "interventions_per_round")
        if self.interventions_per_round > self.episodes_per_round:
            raise OutOfRangeError(f"interventions_per_round ({interventions_per_round}) exceeds episodes_per_round "
                                  f"({episodes_per_round}); each intervention needs an episode")
        self.observational = self.episodes_per_round if observational is None else _positive_int(observational, "observational")
        self.encoder = encoder
        if isinstance(encoder_rounds, (int, np.integer)) and not isinstance(encoder_rounds, bool):
            encoder_rounds = (encoder_rounds,)
        try:
            rounds_list = sorted({_positive_int(r, "an encoder round", low=0) for r in encoder_rounds})
        except TypeError:
            raise DTypeError(f"encoder_rounds must be an int or a sequence of ints, got {encoder_rounds!r}") from None
        self.encoder_rounds = tuple(rounds_list)
        self.seed = int(np.random.SeedSequence().generate_state(1)[0] >> 1) if seed is None else int(seed)
        # latents are readings with errors: an error that moves with another variable passes for a
        # weak dependence on it, so over an encoder's table a parent must explain 5 % of a node's
        # remaining variance (1 % over the true values)
        self.learner = (ExactLearner(score_func="linear-quadratic", min_explained=0.01 if encoder is None else 0.05,
                                     progress=False, seed=self.seed) if learner is None else learner)
        if final_fit is not None and not isinstance(final_fit, dict):
            raise DTypeError(f"final_fit must be a dict of SCM.fit keywords or None, got {type(final_fit).__name__}")
        self.final_fit = final_fit
        self.threads = _positive_int(threads, "threads")
        self.out = None if out is None else Path(out)
        self.progress = bool(progress)

    # ------------------------------------------------------------------ the loop
    def run(self) -> ExperimentResult:
        """Run every round from the start and return the result.

        Raises
        ------
        ArgumentError
            ``out`` already holds a run's record (resume it, or give another folder).
        """
        if self.out is not None and (self.out / MANIFEST).exists():
            raise ArgumentError(f"{self.out} already holds an experiment's record; continue it with "
                                "Experiment.resume(out) or give another folder, so nothing recorded is lost")
        return self._loop(_Progress())

    def _loop(self, done: _Progress) -> ExperimentResult:
        world, policy, seed = self.world, self.policy, self.seed
        k = self.interventions_per_round
        encoder = TrueValues(world) if self.encoder is None else self.encoder
        schedule = self._encoder_rounds()
        probe = self.probe_episodes()
        threads_before = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        learner = None
        try:
            # the episodes the encoder will be fitted on: every round up to its last scheduled fit
            # (a resumed run regenerates those it needs from the record)
            fitted = [r for r in schedule if r < done.rounds_done]
            refits_ahead = bool(schedule) and schedule[-1] >= done.rounds_done
            upto = done.rounds_done if refits_ahead else (fitted[-1] + 1 if fitted else 0)
            seen = [self._episodes(r, done.interventions[r]) for r in range(upto)]
            if done.rounds_done:  # resumed: the encoder and the learner as the last round left them
                if fitted:
                    encoder.fit(Episodes.concat(seen[: fitted[-1] + 1]))
                if done.data is not None:
                    learner = self._learner(done.data).fit(done.data, done.targets)
            bar = tqdm(range(done.rounds_done, self.rounds + 1), desc="rounds", disable=not self.progress,
                       initial=done.rounds_done, total=self.rounds + 1)
            for r in bar:
                start = time.perf_counter()
                # propose (round 0 watches without intervening)
                if r == 0:
                    ivs: list[Intervention] = []
                else:
                    state = State(world, done.data, done.targets, learner, round=r,
                                  done=tuple(iv for ivs_r in done.interventions for iv in ivs_r),
                                  episodes=self.episodes_per_round // k)
                    ivs = [iv.validate(world) for iv in policy.propose(state, k, np.random.default_rng([seed, r]))]
                # rollout, in one batch
                episodes = self._episodes(r, ivs)
                if schedule and r <= schedule[-1]:
                    seen.append(episodes)
                done.interventions.append(ivs)
                # encode: (re)fit on everything seen on the schedule, and then re-encode it all
                if r in schedule:
                    everything = Episodes.concat(seen)
                    encoder.fit(everything)
                    self._set_table(done, as_table(encoder.latents(everything)), everything)
                elif not schedule and done.data is None:  # an encoder fitted before the run: read round 0 with it
                    self._set_table(done, as_table(encoder.latents(episodes)), episodes)
                elif not schedule or r > schedule[0]:
                    self._grow_table(done, as_table(encoder.latents(episodes)), episodes)
                # fit, and record
                if done.data is not None:
                    learner = self._learner(done.data).fit(done.data, done.targets)
                done.history.append(self._scores(r, learner, probe, done, time.perf_counter() - start))
                self._save(done, None if learner is None else learner.scm_)
                bar.set_postfix(shd=done.history[-1]["shd"])
            if learner is None:
                raise ArgumentError(f"the encoder was never fitted (encoder_rounds={list(schedule)}, rounds={self.rounds}); "
                                    "give an encoder round within the run")
            scm = self._final_model(learner, probe, done)
        finally:
            torch.set_num_threads(threads_before)
        return ExperimentResult(scm=scm, graph=summary_graph(world, learner.graph_.edges),
                                history=pd.DataFrame(done.history), interventions=done.interventions,
                                learner=learner, data=done.data, targets=done.targets, world=world, encoder=encoder)

    def _encoder_rounds(self) -> tuple[int, ...]:
        """The rounds after which the encoder is (re)fitted: round 0 for the true values (nothing to learn)."""
        if self.encoder is None:
            return (0,)
        return self.encoder_rounds

    def _set_table(self, done: _Progress, table: pd.DataFrame, episodes: Any) -> None:
        done.data = _table(table.to_numpy(dtype=np.float64), [str(c) for c in table.columns])
        done.targets = targets_mask(self.world, list(done.data.columns), episodes.targets)

    def _grow_table(self, done: _Progress, table: pd.DataFrame, episodes: Any) -> None:
        assert done.data is not None and done.targets is not None
        grown = pd.concat([done.data, table], ignore_index=True)
        done.data = _table(grown.to_numpy(dtype=np.float64), list(grown.columns))
        done.targets = np.concatenate([done.targets, targets_mask(self.world, list(done.data.columns), episodes.targets)])

    def probe_episodes(self) -> Any:
        """The held-out observational episodes each round's counterfactual error is measured on
        (``PROBE_EPISODES`` of them, drawn from the run's seed; the same on every call).

        Examples
        --------
        >>> import causalworld as cw
        >>> from interventions import RandomPolicy
        >>> exp = Experiment(cw.make("lights", image_size=8, frames=1), policy=RandomPolicy(), rounds=1,
        ...                  episodes_per_round=20, seed=0)
        >>> len(exp.probe_episodes()), bool(exp.probe_episodes().targets.any())
        (200, False)
        """
        return self.world.rollout(PROBE_EPISODES, seed=_round_seed(self.seed, _PROBE))

    def _learner(self, data: pd.DataFrame) -> Any:
        """A fresh copy of the learner, told that time runs forward (no edge from frame t to an earlier
        one, nor from a frame after the first into one of the world's static variables)."""
        learner = clone(self.learner)
        columns = [str(c) for c in data.columns]
        static = [c for c in columns if c in self.world.variables and c not in self.world.time_varying]
        backwards = backwards_in_time(columns, static=static)
        if backwards and "forbidden" in learner.get_params():
            given = learner.get_params()["forbidden"]
            given = list(given.edges) if hasattr(given, "edges") else list(given or [])
            learner.set_params(forbidden=given + backwards)
        elif backwards:
            warnings.warn(f"{type(learner).__name__} takes no forbidden edges, so it is not told that time runs forward "
                          f"({len(backwards)} edges into the past, such as {backwards[0][0]} -> {backwards[0][1]}, stay "
                          "open to it); give it a forbidden setting, or learn over one frame", TimeOrderWarning, stacklevel=3)
        return learner

    def _final_model(self, learner: Any, probe: Any, done: _Progress) -> Any:
        """The returned model: the learner's, or refitted with ``final_fit`` (then scored and saved)."""
        if self.final_fit is None:
            return learner.scm_
        from causalworld import SCM

        scm = SCM.fit(learner.graph_, done.data, targets=done.targets, **{"progress": False, "seed": self.seed, **self.final_fit})
        r = self.rounds
        done.history[-1]["counterfactual_error"] = counterfactual_error(self.world, scm, probe, seed=_round_seed(self.seed, r),
                                                                        observed=self._probe_table(probe, scm))
        self._save(done, scm)
        return scm

    def _episodes(self, r: int, ivs: list[Intervention]) -> Any:
        """Round ``r``'s episodes: observational in round 0, else shared out over ``ivs`` in turn."""
        if r == 0:
            return self.world.rollout(self.observational, seed=_round_seed(self.seed, 0))
        dos = [iv.to_do() for iv in ivs]  # one mapping per intervention: episodes share its callables
        plan = [dos[i % len(dos)] for i in range(self.episodes_per_round)]
        return self.world.rollout(self.episodes_per_round, do=plan, seed=_round_seed(self.seed, r))

    def _probe_table(self, probe: Any, scm: Any) -> pd.DataFrame | None:
        """What the model reads of the probe episodes: the encoder's latents of their frames (None:
        the true values, read by the scoring itself; or a model that lacks a variable of the truth,
        which is not scored, so nothing is encoded)."""
        if self.encoder is None or not set(self.world.truth.variables) <= set(scm.variables):
            return None
        return as_table(self.encoder.latents(probe))

    def _scores(self, r: int, learner: Any, probe: Any, done: _Progress, seconds: float) -> dict[str, Any]:
        """One row of the history: the round's model scored against the world's truth (NaN scores and
        no episodes counted before the encoder's first fit, when there is no model yet)."""
        if learner is None:
            return {"round": r, "n_interventions": sum(len(ivs) for ivs in done.interventions), "n_episodes": 0,
                    "shd": float("nan"), "counterfactual_error": float("nan"), "edges": 0, "seconds": seconds}
        graph = summary_graph(self.world, learner.graph_.edges)
        return {
            "round": r,
            "n_interventions": sum(len(ivs) for ivs in done.interventions),
            "n_episodes": int(len(done.data)),
            "shd": int(shd(self.world.graph, graph)),
            "counterfactual_error": counterfactual_error(self.world, learner.scm_, probe, seed=_round_seed(self.seed, r),
                                                         observed=self._probe_table(probe, learner.scm_)),
            "edges": len(graph.directed) + len(graph.undirected),
            "seconds": seconds,
        }

    # ------------------------------------------------------------------ the record
    def _config(self) -> dict[str, Any]:
        w = self.world
        learner_params = _json_or_none(self.learner.get_params() if hasattr(self.learner, "get_params") else None)
        policy_settings = _json_or_none(dict(vars(self.policy)))
        return {
            "world": {"id": w.id, "name": w.name, "image_size": w.image_size, "frames": w.frames,
                      "device": str(w.device), "seed": w.seed, "config": w.config},
            "policy": {"class": type(self.policy).__name__, "settings": policy_settings},
            "learner": {"class": type(self.learner).__name__, "params": learner_params},
            "encoder": None if self.encoder is None else type(self.encoder).__name__,
            "encoder_rounds": list(self.encoder_rounds),
            "rounds": self.rounds, "episodes_per_round": self.episodes_per_round,
            "interventions_per_round": self.interventions_per_round, "observational": self.observational,
            "final_fit": self.final_fit, "seed": self.seed, "threads": self.threads,
        }

    def _save(self, done: _Progress, scm: Any) -> None:
        if self.out is None:
            return
        if scm is not None:
            scm.save(self.out / "scm")  # first: a kill before the manifest redoes this round
        doc = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "config": self._config(),
            "columns": [] if done.data is None else [str(c) for c in done.data.columns],
            "interventions": [[iv.to_dict() for iv in ivs] for ivs in done.interventions],
            "history": [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}
                        for row in done.history],
        }
        if done.data is None:  # before the encoder's first fit: nothing learned yet
            tensors = {"data": torch.zeros(0, 0, dtype=torch.float64), "targets": torch.zeros(0, 0, dtype=torch.uint8)}
        else:
            tensors = {"data": torch.from_numpy(np.array(done.data.to_numpy(dtype=np.float64), copy=True)),
                       "targets": torch.from_numpy(done.targets.astype(np.uint8))}
        save_folder(self.out, manifest=MANIFEST, doc=doc, tensors=tensors)

    @classmethod
    def resume(cls, out: str | Path, *, world: Any = None, policy: Any = None, learner: Any = None,
               encoder: Any = None, progress: bool = True) -> ExperimentResult:
        """Continue the run recorded in ``out`` (after a kill at any point) and return its result.

        The result equals that of an uninterrupted run with the same settings, seed and thread
        count. A finished run is not rerun: its last learner is refitted on the recorded data.

        Parameters
        ----------
        out : str or Path
            The run's folder.
        world, policy, learner : optional
            Needed only when the recorded ones cannot be rebuilt (a world that is not registered,
            a policy outside :data:`~interventions.policies.POLICIES`, learner settings that are
            not JSON). They must be the same as the run's.
        encoder : optional
            The run's encoder, when it had one (encoders are not saved in the record).
        progress : bool, default=True
            Show a progress bar.

        Raises
        ------
        ModelFileError
            ``out`` holds no record, or a damaged or foreign one.
        ArgumentError
            A part of the run that cannot be rebuilt and was not given.
        """
        out = Path(out)
        doc, tensors = load_folder(out, manifest=MANIFEST, format=FORMAT, max_version=FORMAT_VERSION,
                                   what="experiment record", fix="start the run again with Experiment(...).run()")
        try:
            cfg = doc["config"]
            columns = list(doc["columns"])
            ivs = [[Intervention.from_dict(d) for d in r] for r in doc["interventions"]]
            history = [{k: (float("nan") if v is None else v) for k, v in row.items()} for row in doc["history"]]
            data = tensors["data"].numpy()
            targets = tensors["targets"].numpy().astype(bool)
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"{out / MANIFEST} lacks a field of an experiment record ({e}); start the run again") from None
        if world is None:
            import causalworld as cw

            w = cfg["world"]
            world = cw.make(w["id"], image_size=w["image_size"], frames=w["frames"], device=w["device"],
                            seed=w["seed"], **w["config"])
        if policy is None:
            classes = {c.__name__: c for c in POLICIES.values()}
            if cfg["policy"]["class"] not in classes or cfg["policy"]["settings"] is None:
                raise ArgumentError(f"the run's policy {cfg['policy']['class']} cannot be rebuilt from the record (not "
                                    f"one of {sorted(classes)}, or settings such as a goal that are code); pass it "
                                    "again: Experiment.resume(out, policy=...)")
            settings = dict(cfg["policy"]["settings"])
            if cfg["policy"]["class"] == "InfoGainPolicy":
                settings.setdefault("episodes", 1)  # a record from before it weighed each experiment's episodes
            policy = classes[cfg["policy"]["class"]](**settings)
        if learner is None:
            spec = cfg["learner"]
            if spec["class"] not in LEARNERS or spec["params"] is None:
                raise ArgumentError(f"the run's learner {spec['class']} cannot be rebuilt from the record; "
                                    "pass it again: Experiment.resume(out, learner=...)")
            learner = LEARNERS[spec["class"]](**spec["params"])
        if cfg["encoder"] is not None and encoder is None:
            raise ArgumentError(f"the run used an encoder ({cfg['encoder']}); pass it again: Experiment.resume(out, encoder=...)")
        exp = cls(world, policy=policy, rounds=cfg["rounds"], episodes_per_round=cfg["episodes_per_round"],
                  interventions_per_round=cfg["interventions_per_round"], observational=cfg["observational"],
                  encoder=encoder, encoder_rounds=cfg.get("encoder_rounds", (0,)), learner=learner, final_fit=cfg["final_fit"], seed=cfg["seed"], threads=cfg["threads"], out=out,
                  progress=progress)
        done = _Progress(data=_table(data, columns) if columns else None, targets=targets if columns else None,
                         interventions=ivs, history=history)
        return exp._loop(done)
