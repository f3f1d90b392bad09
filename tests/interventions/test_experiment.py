"""The experimenter's loop against the world's truth: it recovers the graph of ``lights`` and
answers its counterfactuals near the simulator's own; its records resume a killed run to the same
result; bad settings get typed errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import causalworld as cw
from causalworld.errors import ArgumentError, DTypeError, ModelFileError, OutOfRangeError, UnknownVariableError
from interventions import Experiment, InfoGainPolicy, Intervention, RandomPolicy, RoundRobinPolicy, TrueValues
from interventions.scoring import counterfactual_error
from tests.interventions.worlds import Pair


@pytest.fixture(scope="module")
def lights1():
    """``lights`` with one frame: the summary graph is the truth's graph (14 edges, 13 variables)."""
    return cw.make("lights", image_size=8, frames=1)


@pytest.fixture(scope="module")
def lights_run(lights1):
    exp = Experiment(lights1, policy=RoundRobinPolicy(), rounds=3, episodes_per_round=100, interventions_per_round=9,
                     final_fit={"mechanisms": "mlp", "mlp_members": 1, "mlp_steps": 200}, seed=0, progress=False)
    return exp.run()


def test_loop_recovers_the_lights_graph(lights_run, lights1):
    # The sensor follows cos^2(angle) (Malus's law), uncorrelated with the angle over [0, pi], and
    # a lamp is its switch times its dimmer: the default learner's quadratic score sees both, and
    # every edge is found and oriented from the first round of interventions on.
    graph = lights_run.graph
    assert set(graph.directed) == set(lights1.graph.edges) and not graph.undirected
    assert list(lights_run.history["shd"]) == [0, 0, 0, 0]


def test_loop_answers_counterfactuals_near_the_simulators(lights_run, lights1):
    history = lights_run.history
    assert list(history["round"]) == [0, 1, 2, 3] and list(history["n_interventions"]) == [0, 9, 18, 27]
    assert history["counterfactual_error"].iloc[-1] <= 0.1  # measured 0.037 (mean over 18 pairs)
    assert (history["counterfactual_error"].iloc[:-1] <= 0.12).all()  # quadratic mechanisms: 0.098-0.101
    probe = Experiment(lights1, policy=RoundRobinPolicy(), rounds=1, episodes_per_round=1, seed=0).probe_episodes()
    pairs = counterfactual_error(lights1, lights_run.scm, probe, seed=1, by_pair=True)
    # every intervened variable and each of its descendants, the polarizer's cos^2 included
    assert len(pairs) == 17 and pairs["error"].max() <= 0.1, pairs  # max 0.074 (angle -> sensor)


def _same(a, b):
    pd.testing.assert_frame_equal(a.history.drop(columns="seconds"), b.history.drop(columns="seconds"))
    pd.testing.assert_frame_equal(a.data, b.data)
    assert np.array_equal(a.targets, b.targets)
    assert a.interventions == b.interventions
    assert a.graph == b.graph
    x, y = a.scm.sample(50, seed=3), b.scm.sample(50, seed=3)
    # LAPACK's least squares can differ in the last bit with the memory alignment of its input,
    # so float64 models fitted on equal data agree to rounding, not always bitwise
    assert all(torch.allclose(x[v], y[v], rtol=0, atol=1e-12) for v in a.scm.variables)


class _Killed(Exception):
    pass


def _killed_after(monkeypatch, rounds, run):
    """``run()``, stopped by an exception right after the record of round ``rounds - 1`` is saved."""
    real_save = Experiment._save

    def save_then_die(self, done, scm):
        real_save(self, done, scm)
        if done.rounds_done == rounds:
            raise _Killed

    monkeypatch.setattr(Experiment, "_save", save_then_die)
    with pytest.raises(_Killed):
        run()
    monkeypatch.setattr(Experiment, "_save", real_save)


def _small(world, out, policy, **kw):
    return Experiment(world, policy=policy, rounds=3, episodes_per_round=60, interventions_per_round=3,
                      seed=7, out=out, progress=False, **kw)


@pytest.mark.parametrize(("policy", "kill_after"), [(RandomPolicy(), 1), (RandomPolicy(), 3),
                                                    (InfoGainPolicy(n_graphs=4, n_outcomes=8, n_values=2, variables=["ambient", "switch_red", "angle"]), 2)],
                         ids=["random-1", "random-3", "info-gain-2"])
def test_resume_after_an_interruption_equals_an_uninterrupted_run(tmp_path, lights1, monkeypatch, policy, kill_after):
    whole = _small(lights1, tmp_path / "whole", policy).run()
    _killed_after(monkeypatch, kill_after, _small(lights1, tmp_path / "cut", policy).run)
    doc = json.loads((tmp_path / "cut" / "experiment.json").read_text())
    assert len(doc["history"]) == kill_after
    resumed = Experiment.resume(tmp_path / "cut", progress=False)
    _same(whole, resumed)
    again = Experiment.resume(tmp_path / "cut", progress=False)  # a finished run is not rerun
    _same(whole, again)
    assert cw.SCM.load(tmp_path / "cut" / "scm").variables == whole.scm.variables


class _Counts:
    """A policy that records how many episodes the experiment says each intervention gets."""

    def __init__(self):
        self.seen = []

    def propose(self, state, k, rng):
        self.seen.append(state.episodes)
        return RandomPolicy().propose(state, k, rng)


def test_a_policy_is_told_the_episodes_each_intervention_gets(lights1):
    for episodes, expected in ((60, 20), (61, 20), (3, 1)):
        policy = _Counts()
        Experiment(lights1, policy=policy, rounds=2, episodes_per_round=episodes, interventions_per_round=3,
                   observational=40, seed=0, progress=False).run()
        assert policy.seen == [expected, expected]


def test_a_record_from_before_info_gain_weighed_its_episodes_resumes_as_it_ran(tmp_path, lights1, monkeypatch):
    # records written before InfoGainPolicy had `episodes` weighed one episode per experiment
    from causalworld.store import checksum

    policy = dict(n_graphs=4, n_outcomes=8, n_values=2, variables=["ambient", "switch_red", "angle"])
    whole = _small(lights1, tmp_path / "whole", InfoGainPolicy(**policy, episodes=1)).run()
    _killed_after(monkeypatch, 2, _small(lights1, tmp_path / "cut", InfoGainPolicy(**policy, episodes=1)).run)
    manifest = tmp_path / "cut" / "experiment.json"
    doc = json.loads(manifest.read_text())
    del doc["config"]["policy"]["settings"]["episodes"]
    doc["checksum"]["value"] = checksum(doc, (tmp_path / "cut" / doc["tensors_file"]).read_bytes())
    manifest.write_text(json.dumps(doc))
    _same(whole, Experiment.resume(tmp_path / "cut", progress=False))


def test_the_record_reads_back(tmp_path, lights1):
    result = _small(lights1, tmp_path / "run", RoundRobinPolicy()).run()
    doc = json.loads((tmp_path / "run" / "experiment.json").read_text())
    assert doc["format"] == "interventions.experiment" and doc["config"]["seed"] == 7
    assert [Intervention.from_dict(d) for d in doc["interventions"][1]] == result.interventions[1]
    assert [row["shd"] for row in doc["history"]] == list(result.history["shd"])
    with pytest.raises(ArgumentError, match="already holds"):
        _small(lights1, tmp_path / "run", RoundRobinPolicy()).run()


def test_a_damaged_or_foreign_record_is_refused(tmp_path, lights1):
    with pytest.raises(ModelFileError):
        Experiment.resume(tmp_path / "nothing-here", progress=False)
    _small(lights1, tmp_path / "run", RoundRobinPolicy()).run()
    manifest = tmp_path / "run" / "experiment.json"
    doc = json.loads(manifest.read_text())
    doc["history"][0]["shd"] = 99
    manifest.write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="checksum"):
        Experiment.resume(tmp_path / "run", progress=False)
    (tmp_path / "scm-only").mkdir()
    cw.random_scm(3, seed=0).save(tmp_path / "scm-only")
    with pytest.raises(ModelFileError):
        Experiment.resume(tmp_path / "scm-only", progress=False)


def test_bad_settings_get_typed_errors(lights1):
    ok = dict(policy=RandomPolicy(), rounds=1, episodes_per_round=40)
    for bad in ({"rounds": 0}, {"rounds": -2}, {"episodes_per_round": 0}, {"interventions_per_round": 41},
                {"threads": 0}, {"observational": 0}):
        with pytest.raises(OutOfRangeError):
            Experiment(lights1, **{**ok, **bad})
    with pytest.raises(DTypeError, match="propose"):
        Experiment(lights1, **{**ok, "policy": "random"})
    with pytest.raises(DTypeError, match="World"):
        Experiment("lights", **ok)
    with pytest.raises(DTypeError, match="latents"):
        Experiment(lights1, **ok, encoder=object())
    with pytest.raises(DTypeError, match="seed"):
        Experiment(lights1, **ok, seed="zero")
    with pytest.raises(UnknownVariableError, match="did you mean 'ambient'"):
        Experiment(lights1, **{**ok, "policy": RandomPolicy(["ambiant"])}, progress=False).run()


class _Outside:
    """A policy that proposes a value the world does not allow."""

    def propose(self, state, k, rng):
        return [Intervention("dimmer_red", 1.5)] * k


def test_a_proposal_outside_intervenable_is_refused(lights1):
    with pytest.raises(OutOfRangeError, match=r"\[0, 1\]"):
        Experiment(lights1, policy=_Outside(), rounds=1, episodes_per_round=20, seed=0, progress=False).run()


class _Columns:
    """An encoder stand-in: the true values of two variables only, named by them."""

    def fit(self, episodes):
        return self

    def latents(self, episodes):
        return pd.DataFrame({v: episodes.values[v].double().numpy() for v in ("x", "y")})


def test_an_encoders_table_is_learned_from_and_unscored_counterfactuals_are_nan():
    world = Pair(image_size=8)
    result = Experiment(world, policy=RoundRobinPolicy(["x"]), rounds=1, episodes_per_round=200, encoder=_Columns(),
                        seed=0, progress=False).run()
    assert list(result.data.columns) == ["x", "y"]
    assert result.graph.directed == {("x", "y")}
    assert result.history["shd"].tolist()[-1] == 0
    assert result.history["counterfactual_error"].isna().all()  # z is not a column: not computable


class _Noisy:
    """An encoder stand-in that names every variable, reads each with a little noise, and adds an
    unnamed column ``z0`` (a depicted factor it could not tie to a variable)."""

    def fit(self, episodes):
        return self

    def latents(self, episodes):
        g = torch.Generator().manual_seed(len(episodes))
        read = {v: episodes.values[v].double() + 0.05 * torch.randn(len(episodes), generator=g, dtype=torch.float64)
                for v in ("x", "y", "z")}
        return pd.DataFrame({**{v: t.numpy() for v, t in read.items()},
                             "z0": torch.randn(len(episodes), generator=g, dtype=torch.float64).numpy()})


def test_counterfactuals_are_scored_on_what_the_encoder_reads_of_the_probe():
    # Every variable named, plus an unnamed latent: the model abducts what the encoder reads of the
    # probe's frames (not the true values, which lack z0), and its error is that reading's error.
    world = Pair(image_size=8)
    result = Experiment(world, policy=RoundRobinPolicy(["x", "y", "z"]), rounds=2, episodes_per_round=300,
                        encoder=_Noisy(), seed=0, progress=False).run()
    assert "z0" in result.scm.variables and result.history["shd"].iloc[-1] == 0
    error = result.history["counterfactual_error"].iloc[-1]
    probe = Experiment(world, policy=RandomPolicy(), rounds=1, episodes_per_round=1, seed=0).probe_episodes()
    exact = counterfactual_error(world, result.scm, probe, seed=2, observed=_Noisy().latents(probe).assign(z0=0.0))
    assert 0.0 < error < 0.15 and 0.0 < exact < 0.15  # y's reading is off by 0.05 of a std of about 1
    with pytest.raises(cw.errors.MissingVariableError, match="z0"):
        counterfactual_error(world, result.scm, probe)  # the true values alone lack the unnamed column


class _Fitted(_Noisy):
    """The noisy reader, fitted before the run: ``fit`` must never be called."""

    def fit(self, episodes):
        raise AssertionError("an encoder fitted before the run is not refitted")


class _SeesAlready(TrueValues):
    """The true values, as an encoder that learned to see before the run: never refitted."""

    def fit(self, episodes):
        raise AssertionError("an encoder fitted before the run is not refitted")


def test_an_encoder_fitted_before_the_run_reads_every_round_and_is_never_refitted(tmp_path, lights1, monkeypatch):
    world = Pair(image_size=8)
    result = Experiment(world, policy=RoundRobinPolicy(["x", "y", "z"]), rounds=2, episodes_per_round=300,
                        encoder=_Fitted(), encoder_rounds=(), seed=0, progress=False).run()
    # round 0 (watching) already has a model: the encoder needed none of the run's interventions to read
    assert result.history["n_episodes"].tolist() == [300, 600, 900]
    assert not result.history["shd"].isna().any() and result.history["shd"].iloc[-1] == 0
    assert 0.0 < result.history["counterfactual_error"].iloc[-1] < 0.15
    # killed after round 1 and resumed with the same encoder: the uninterrupted run's result
    whole = _small(lights1, tmp_path / "whole", RandomPolicy(), encoder=_SeesAlready(lights1), encoder_rounds=()).run()
    _killed_after(monkeypatch, 2, _small(lights1, tmp_path / "cut", RandomPolicy(), encoder=_SeesAlready(lights1),
                                         encoder_rounds=()).run)
    _same(whole, Experiment.resume(tmp_path / "cut", encoder=_SeesAlready(lights1), progress=False))


_CHILD = """
import sys, torch
torch.set_num_threads(1)
import causalworld as cw
from interventions import Experiment, RandomPolicy
out = sys.argv[1]
Experiment(cw.make("lights", image_size=8, frames=1), policy=RandomPolicy(), rounds=8, episodes_per_round=60,
           interventions_per_round=3, seed=11, out=out, progress=False).run()
"""


def _rounds_recorded(out: Path) -> int:
    try:
        return len(json.loads((out / "experiment.json").read_text())["history"])
    except (FileNotFoundError, ValueError, KeyError):
        return 0


def test_resume_after_a_real_kill_at_a_seeded_point_equals_an_uninterrupted_run(tmp_path, lights1):
    # One real SIGKILL of a child process (importing the library takes it seconds, so one kill
    # keeps the suite fast); the simulated interruptions above cover other rounds.
    out = tmp_path / "killed"
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    rng = np.random.default_rng(2024)
    target, delay = int(rng.integers(1, 5)), float(rng.uniform(0.0, 0.25))  # after that record: mid-round or mid-save
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(out), "run"], env=env, cwd=root,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while child.poll() is None and _rounds_recorded(out) < target and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(delay)
    killed = child.poll() is None
    if killed:
        child.send_signal(signal.SIGKILL)
    _, err = child.communicate(timeout=60)
    assert child.returncode in (0, -signal.SIGKILL), err.decode()[-2000:]
    assert killed and _rounds_recorded(out) < 9, "the run ended before the kill; give it more rounds"
    resumed = Experiment.resume(out, progress=False)
    whole = Experiment(lights1, policy=RandomPolicy(), rounds=8, episodes_per_round=60, interventions_per_round=3,
                       seed=11, progress=False).run()
    _same(whole, resumed)


def test_time_runs_forward_for_the_learner_and_its_own_knowledge_is_kept():
    from causalworld.discovery import ExactLearner
    from causalworld.envs.world import split_unrolled

    world = cw.make("lights", image_size=8, frames=2)
    learner = ExactLearner(progress=False, forbidden=[("ambient", "lamp_red")])
    result = Experiment(world, policy=RoundRobinPolicy(), rounds=1, episodes_per_round=60, interventions_per_round=4,
                        learner=learner, seed=0, progress=False).run()
    edges = list(result.learner.graph_.edges)
    steps = [(split_unrolled(u)[1], split_unrolled(v)[1]) for u, v in edges]
    assert all(a is None or b is None or a <= b for a, b in steps), edges
    assert not [(u, v) for (u, v), (a, b) in zip(edges, steps) if b is None and a], edges  # a static value holds from frame 0
    told = result.learner.get_params()["forbidden"]
    assert ("sensor[1]", "spin") in told and ("angle[1]", "lamp_red") in told and ("angle[0]", "spin") not in told
    assert ("ambient", "lamp_red") not in edges and ("ambient", "lamp_green") in edges
    assert learner.get_params()["forbidden"] == [("ambient", "lamp_red")]  # the caller's learner is untouched


def test_a_learner_that_cannot_be_told_the_time_order_is_warned_about():
    from causalworld.discovery import SortRegressLearner
    from causalworld.errors import TimeOrderWarning

    class NoKnowledge(SortRegressLearner):
        """A learner that takes no background knowledge."""

        def __init__(self, *, alpha: float = 0.01) -> None:
            super().__init__(alpha=alpha)

    world = cw.make("lights", image_size=8, frames=2)
    with pytest.warns(TimeOrderWarning, match=r"NoKnowledge takes no forbidden edges.*\[1\] -> "):
        Experiment(world, policy=RoundRobinPolicy(), rounds=1, episodes_per_round=40, learner=NoKnowledge(),
                   seed=0, progress=False).run()


def test_a_runs_counterfactual_is_drawn_beside_the_simulators(lights_run, lights1):
    eps = lights1.rollout(64, seed=5)
    do = {"switch_red": 1 - eps.values["switch_red"]}  # flip each episode's switch
    cf = lights_run.counterfactual(eps, do)
    truth = lights1.counterfactual_rollout(eps, do)
    assert cf.missing == () and cf.frames.shape == truth.frames.shape and cf.frames.dtype == torch.uint8
    moved = (truth.frames.float() - eps.frames.float()).abs().mean()
    off = (cf.frames.float() - truth.frames.float()).abs().mean()
    assert moved > 5 and off < 0.15 * moved, (float(moved), float(off))  # the flip shows; the model draws it
    lamp = truth.values["lamp_red"].double()
    assert (cf.values["lamp_red"].double() - lamp).abs().mean() < 0.1 * lamp.std()


class _NoRedLamp:
    """An encoder that did not identify ``lamp_red``: the true values of every other variable."""

    def __init__(self, world):
        self.true = TrueValues(world)

    def fit(self, episodes):
        self.true.fit(episodes)
        return self

    def latents(self, episodes):
        return self.true.latents(episodes).drop(columns="lamp_red")


def test_a_counterfactual_the_model_cannot_draw_says_what_is_missing(lights1):
    result = Experiment(lights1, policy=RoundRobinPolicy(), rounds=1, episodes_per_round=60, interventions_per_round=3,
                        encoder=_NoRedLamp(lights1), seed=0, progress=False).run()
    eps = lights1.rollout(4, seed=2)
    cf = result.counterfactual(eps, {"switch_red": 1})
    assert cf.frames is None and cf.missing == ("lamp_red",) and "lamp_red" not in cf.values
    assert torch.equal(cf.values["switch_red"], torch.ones(4, dtype=cf.values["switch_red"].dtype))
    with pytest.raises(UnknownVariableError):
        result.counterfactual(eps, {"switch_rde": 1})
    with pytest.raises(ArgumentError, match="does not hold 'lamp_red'"):
        result.counterfactual(eps, {"lamp_red": 0.5})
