"""DoWhy's verbs on our SCM keep DoWhy's argument names and meanings: checked against
``dowhy.gcm``'s own verbs on ``scm.to_dowhy()`` (exactly for counterfactuals, statistically for
sampling) and against the analytic moments and effects of linear-Gaussian SCMs."""

import inspect
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import torch
from dowhy import gcm

import causalworld as cw
from causalworld.errors import (
    ArgumentError,
    DTypeError,
    InterventionError,
    MissingVariableError,
    NonFiniteError,
    UnknownVariableError,
)
from causalworld.scm.mechanisms import GaussianRoot

gcm.config.disable_progress_bars()


def diamond() -> cw.SCM:
    """z -> t -> y, z -> y, t -> m -> y, plus an unrelated root r; float64."""
    edges = {("z", "t"): 0.8, ("z", "y"): -1.0, ("t", "y"): 2.0, ("t", "m"): 1.5, ("m", "y"): 0.5, ("r", "m"): 1.0}
    return cw.SCM.linear(list(edges), edges, {"z": 1.0, "t": 0.5, "y": 0.3, "m": 0.4, "r": 2.0},
                         intercepts={"z": 1.0, "y": -2.0}, dtype=torch.float64)


def moments(scm: cw.SCM, do: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of a linear-Gaussian SCM under hard interventions, from its mechanisms."""
    names = list(scm.variables)
    d = len(names)
    W, b, s2 = np.zeros((d, d)), np.zeros(d), np.zeros(d)
    for j, v in enumerate(names):
        m = scm.mechanisms[v]
        if isinstance(m, GaussianRoot):
            b[j], s2[j] = float(m.mean), float(m.std) ** 2
        else:
            for p, w in zip(scm.parents(v), m.weight.detach().numpy()):
                W[names.index(p), j] = w
            b[j], s2[j] = float(m.bias), float(m.noise_std) ** 2
    for v, c in do.items():
        j = names.index(v)
        W[:, j], b[j], s2[j] = 0.0, c, 0.0
    M = np.linalg.inv(np.eye(d) - W)
    return b @ M, M.T @ np.diag(s2) @ M


def total_effect(scm: cw.SCM, source: str, target: str) -> float:
    """d E[target | do(source = s)] / ds of a linear SCM: the sum over directed paths."""
    mean1, _ = moments(scm, {source: 1.0})
    mean0, _ = moments(scm, {source: 0.0})
    return float(mean1[scm.variables.index(target)] - mean0[scm.variables.index(target)])


def frame_of(scm: cw.SCM, n: int, seed: int) -> pd.DataFrame:
    return scm.to_frame(scm.sample(n, seed=seed))


# ---------------------------------------------------------------------------- names and meanings
@pytest.mark.parametrize("verb", ["draw_samples", "interventional_samples", "counterfactual_samples",
                                  "average_causal_effect"])
def test_argument_names_are_dowhys(verb):
    ours = list(inspect.signature(getattr(cw, verb)).parameters.values())
    theirs = list(inspect.signature(getattr(gcm, verb)).parameters.values())
    # the model comes first in both (DoWhy calls it causal_model); then the same names and defaults
    assert [(p.name, p.default) for p in ours[1:len(theirs)]] == [(p.name, p.default) for p in theirs[1:]]
    assert all(p.kind is p.KEYWORD_ONLY for p in ours[len(theirs):])  # our extras (seed) are keyword-only


@pytest.mark.parametrize("mechanism", ["linear", "mlp", "pnl"])
def test_counterfactual_samples_equal_dowhys(mechanism):
    scm = cw.random_scm(9, mechanism=mechanism, seed=3, dtype=torch.float64)
    model = scm.to_dowhy()
    df = frame_of(scm, 60, 0)
    a, b = scm.variables[1], scm.variables[4]
    for ivs in ({a: lambda x: 1.25}, {a: lambda x: x - 1.0, b: lambda x: 2 * x}):
        ours = cw.counterfactual_samples(scm, ivs, observed_data=df)
        theirs = gcm.counterfactual_samples(model, ivs, observed_data=df)
        assert list(ours.columns) == list(df.columns) == list(scm.variables)
        pd.testing.assert_frame_equal(ours, theirs[list(ours.columns)], rtol=1e-9, atol=1e-12)
    # from noise given directly: the same noise table in both libraries (a root's noise is its value)
    noise = pd.DataFrame({v: t.numpy() for v, t in scm.sample_noise(30, seed=1).items()})
    ours = cw.counterfactual_samples(scm, {a: lambda x: 0.0}, noise_data=noise)
    theirs = gcm.counterfactual_samples(model, {a: lambda x: 0.0}, noise_data=noise)
    pd.testing.assert_frame_equal(ours, theirs[list(ours.columns)], rtol=1e-9, atol=1e-12)


def test_interventional_samples_match_the_analytic_moments_and_dowhy():
    scm = diamond()
    n = 40_000
    mean, cov = moments(scm, {"t": 1.5})
    ours = cw.interventional_samples(scm, {"t": lambda x: 1.5}, num_samples_to_draw=n, seed=0)
    theirs = gcm.interventional_samples(scm.to_dowhy(), {"t": lambda x: 1.5}, num_samples_to_draw=n)
    sd = np.sqrt(np.diag(cov))
    for df in (ours, theirs):
        x = df[list(scm.variables)].to_numpy()
        assert (x[:, scm.variables.index("t")] == 1.5).all()
        # 5 standard errors on the mean; the covariance to 0.05 of the scales
        np.testing.assert_allclose(x.mean(0), mean, atol=5 * sd.max() / math.sqrt(n))
        np.testing.assert_allclose(np.cov(x.T), cov, atol=0.05 * np.outer(sd, sd).max() + 1e-12)


def test_interventional_samples_on_observed_data_keep_the_non_descendants():
    scm = diamond()
    df = frame_of(scm, 20_000, 1)
    ivs = {"m": lambda x: x + 1.0}  # a shift on m: only y is downstream
    ours = cw.interventional_samples(scm, ivs, observed_data=df, seed=2)
    theirs = gcm.interventional_samples(scm.to_dowhy(), ivs, observed_data=df)
    for out in (ours, theirs):
        for v in ("z", "t", "r"):  # not downstream of m: kept as observed
            np.testing.assert_array_equal(out[v].to_numpy(), df[v].to_numpy())
        # m's would-be value is drawn anew from its mechanism, then shifted; y follows the new m
        m_new = out["m"].to_numpy()
        resid_m = m_new - 1.0 - (1.5 * df["t"].to_numpy() + 1.0 * df["r"].to_numpy())
        assert abs(resid_m.mean()) < 5 * 0.4 / math.sqrt(len(df)) and abs(resid_m.std() - 0.4) < 0.02
        resid_y = out["y"].to_numpy() - (-2.0 - df["z"].to_numpy() + 2.0 * df["t"].to_numpy() + 0.5 * m_new)
        assert abs(resid_y.mean()) < 5 * 0.3 / math.sqrt(len(df)) and abs(resid_y.std() - 0.3) < 0.02


def test_a_root_target_on_observed_data_shifts_its_observed_value():
    scm = diamond()
    df = frame_of(scm, 50, 3)
    ours = cw.interventional_samples(scm, {"r": lambda x: 2 * x}, observed_data=df, seed=0)
    theirs = gcm.interventional_samples(scm.to_dowhy(), {"r": lambda x: 2 * x}, observed_data=df)
    np.testing.assert_allclose(ours["r"].to_numpy(), 2 * df["r"].to_numpy())
    np.testing.assert_allclose(theirs["r"].to_numpy(), 2 * df["r"].to_numpy())


def test_average_causal_effect_equals_the_total_effect():
    scm = diamond()
    truth = total_effect(scm, "t", "y")  # 2 + 1.5 * 0.5
    assert truth == pytest.approx(2.75)
    alt, ref = {"t": lambda x: 1.0}, {"t": lambda x: 0.0}
    # common random numbers in both arms: the noise cancels in a linear model
    assert cw.average_causal_effect(scm, "y", alt, ref, num_samples_to_draw=500, seed=0) == pytest.approx(truth, abs=1e-9)
    df = frame_of(scm, 500, 4)
    assert cw.average_causal_effect(scm, "y", alt, ref, observed_data=df, seed=0) == pytest.approx(truth, abs=1e-9)
    theirs = gcm.average_causal_effect(scm.to_dowhy(), "y", alt, ref, num_samples_to_draw=20_000)
    assert theirs == pytest.approx(truth, abs=5 * math.sqrt(2) * 0.35 / math.sqrt(20_000))
    # a shift: E[y | do(t := t + 1)] - E[y] is the same total effect
    shift = cw.average_causal_effect(scm, "y", {"t": lambda x: x + 1.0}, {"t": lambda x: x},
                                     num_samples_to_draw=500, seed=1)
    assert shift == pytest.approx(truth, abs=1e-9)


def test_draw_samples_is_seeded_and_has_the_model_moments():
    scm = diamond()
    a, b = cw.draw_samples(scm, 30_000, seed=5), cw.draw_samples(scm, 30_000, seed=5)
    pd.testing.assert_frame_equal(a, b)
    mean, cov = moments(scm, {})
    x = a[list(scm.variables)].to_numpy()
    np.testing.assert_allclose(x.mean(0), mean, atol=5 * np.sqrt(np.diag(cov)).max() / math.sqrt(len(x)))


# ---------------------------------------------------------------------------- argument errors
def test_mutually_exclusive_and_missing_arguments_raise_argument_error():
    scm = diamond()
    df = frame_of(scm, 5, 0)
    iv = {"t": lambda x: 1.0}
    calls = [
        lambda: cw.interventional_samples(scm, iv),
        lambda: cw.interventional_samples(scm, iv, observed_data=df, num_samples_to_draw=5),
        lambda: cw.counterfactual_samples(scm, iv),
        lambda: cw.counterfactual_samples(scm, iv, observed_data=df, noise_data=df),
        lambda: cw.average_causal_effect(scm, "y", iv, iv),
        lambda: cw.average_causal_effect(scm, "y", iv, iv, observed_data=df, num_samples_to_draw=5),
    ]
    for call in calls:
        with pytest.raises(ArgumentError, match="mutually exclusive|must be given"):
            call()
        with pytest.raises(ValueError):  # what a DoWhy user's except clause catches
            call()
    with pytest.raises(UnknownVariableError, match="did you mean 't'"):
        cw.interventional_samples(scm, {"tt": lambda x: 1.0}, num_samples_to_draw=5)
    with pytest.raises(UnknownVariableError):
        cw.average_causal_effect(scm, "yy", iv, iv, num_samples_to_draw=5)
    with pytest.raises(ArgumentError, match="must be a dict"):
        cw.counterfactual_samples(scm, [("t", 1.0)], observed_data=df)


# ---------------------------------------------------------------------------- callable semantics
def test_scalar_result_is_broadcast_and_column_result_used_as_is():
    scm = diamond()
    df = frame_of(scm, 40, 2)
    hard = cw.counterfactual_samples(scm, {"t": lambda x: 3.0}, observed_data=df)
    assert (hard["t"] == 3.0).all()
    calls = []

    def shift(x):
        calls.append(np.shape(x))
        return x + 1.0

    soft = cw.counterfactual_samples(scm, {"t": shift}, observed_data=df)
    assert calls == [(40,)]  # one call on the whole column
    np.testing.assert_allclose(soft["t"].to_numpy(), df["t"].to_numpy() + 1.0)
    np.testing.assert_allclose(soft["y"].to_numpy() - df["y"].to_numpy(), 2.75, rtol=1e-9)


def test_callables_of_one_value_fall_back_to_per_value_calls_like_dowhy():
    scm = diamond()
    df = frame_of(scm, 25, 6)
    ivs = {"t": lambda x: float(math.floor(x))}  # math.floor refuses an array: per value, as DoWhy calls it
    ours = cw.counterfactual_samples(scm, ivs, observed_data=df)
    theirs = gcm.counterfactual_samples(scm.to_dowhy(), ivs, observed_data=df)
    np.testing.assert_array_equal(ours["t"].to_numpy(), np.floor(df["t"].to_numpy()))
    pd.testing.assert_frame_equal(ours, theirs[list(ours.columns)], rtol=1e-9, atol=1e-12)
    # a result of the wrong shape on the column: retried per value
    stacked = cw.counterfactual_samples(scm, {"t": lambda x: np.stack([x, x]) if np.ndim(x) else x}, observed_data=df)
    np.testing.assert_allclose(stacked["t"].to_numpy(), df["t"].to_numpy())


def test_bad_callables_raise_intervention_error():
    scm = diamond()
    df = frame_of(scm, 8, 0)
    with pytest.raises(InterventionError, match="'t' returned shape \\(2,\\) for one value"):
        cw.counterfactual_samples(scm, {"t": lambda x: np.array([x, x])}, observed_data=df)
    with pytest.raises(InterventionError, match="'t' raised ZeroDivisionError"):
        cw.counterfactual_samples(scm, {"t": lambda x: 1 / 0}, observed_data=df)
    with pytest.raises(InterventionError, match="NaN or infinite"):
        cw.interventional_samples(scm, {"t": lambda x: np.full_like(x, np.nan)}, observed_data=df, seed=0)


def test_reducing_callables_see_the_whole_column_documented_difference():
    scm = diamond()
    df = frame_of(scm, 30, 9)
    ours = cw.counterfactual_samples(scm, {"t": lambda x: x.mean()}, observed_data=df)
    np.testing.assert_allclose(ours["t"].to_numpy(), df["t"].mean())  # DoWhy would keep each value (mean of one)
    theirs = gcm.counterfactual_samples(scm.to_dowhy(), {"t": lambda x: x.mean()}, observed_data=df)
    np.testing.assert_allclose(theirs["t"].to_numpy(), df["t"].to_numpy())


def test_verbs_take_plain_numbers_and_discrete_models():
    scm = cw.random_scm(5, mechanism="discrete", seed=0, dtype=torch.float64)
    df = frame_of(scm, 200, 0)
    v = scm.variables[0]
    cf = cw.counterfactual_samples(scm, {v: 1}, observed_data=df, seed=0)
    assert isinstance(cf[v].dtype, pd.CategoricalDtype) and (cf[v] == 1).all()
    for w in scm.variables:  # no intervention on w's ancestors: its value is unchanged
        if v not in nx.ancestors(scm.graph, w) and w != v:
            assert (cf[w] == df[w]).all()
    toggled = cw.counterfactual_samples(scm, {v: lambda x: 1 - x}, observed_data=df, seed=0)
    assert (toggled[v].astype(int) == 1 - df[v].astype(int)).all()



# ---------------------------------------------------------------------------- fast paths are exact
def test_chained_callables_on_a_linear_model_equal_dowhy_and_the_general_path():
    scm = diamond()
    df = frame_of(scm, 50, 11)
    ivs = {"t": lambda x: x + 1.0, "m": lambda x: 0.5 * x, "y": lambda x: x - 2.0}  # t -> m -> y: a chain
    ours = cw.counterfactual_samples(scm, ivs, observed_data=df)
    theirs = gcm.counterfactual_samples(scm.to_dowhy(), ivs, observed_data=df)
    pd.testing.assert_frame_equal(ours, theirs[list(ours.columns)], rtol=1e-9, atol=1e-12)
    general = scm.counterfactual(df, {k: (lambda f: lambda x: torch.as_tensor(f(x.numpy())))(f) for k, f in ivs.items()})
    for v in scm.variables:
        np.testing.assert_allclose(ours[v].to_numpy(), general[v].to_numpy(), rtol=1e-12, atol=1e-12)


def test_interventional_samples_with_callables_equal_sampling_the_intervened_model():
    scm = diamond()
    ivs = {"t": lambda x: 2 * x, "y": lambda x: x + 1.0}
    ours = cw.interventional_samples(scm, ivs, num_samples_to_draw=100, seed=3)
    same = scm.do({"t": lambda x: 2 * x, "y": lambda x: x + 1.0}).sample(100, seed=3)  # the per-variable path
    for v in scm.variables:
        np.testing.assert_allclose(ours[v].to_numpy(), same[v].numpy(), rtol=1e-12, atol=1e-12)


def test_dataframe_input_keeps_every_check():
    scm = diamond()
    df = frame_of(scm, 6, 0)
    iv = {"t": lambda x: 0.0}
    bad = df.copy()
    bad.loc[2, "m"] = np.nan
    with pytest.raises(NonFiniteError, match="'m' has 1 NaN"):
        cw.counterfactual_samples(scm, iv, observed_data=bad)
    # a column that is not a variable passes through untouched, as in DoWhy
    passed = cw.counterfactual_samples(scm, iv, observed_data=df.assign(extra=1.0))
    assert list(passed.columns) == [*df.columns, "extra"] and bool((passed["extra"] == 1.0).all())
    with pytest.raises(MissingVariableError, match="'y'"):
        cw.counterfactual_samples(scm, iv, observed_data=df.drop(columns="y"))
    with pytest.raises(DTypeError, match="'z'"):
        cw.counterfactual_samples(scm, iv, observed_data=df.assign(z=["a"] * 6))
    # other float widths and integer columns are read as the model's dtype, in any column order
    mixed = df[list(reversed(df.columns))].astype({"z": np.float32}).assign(r=np.arange(6))
    expected = cw.counterfactual_samples(scm, iv, observed_data=df.assign(z=df["z"].astype(np.float32).astype(float),
                                                                          r=np.arange(6.0)))
    pd.testing.assert_frame_equal(cw.counterfactual_samples(scm, iv, observed_data=mixed), expected[list(mixed.columns)])


def test_counterfactual_samples_refuses_nan_noise_by_variable():
    scm = cw.SCM.linear([("a", "b")], {("a", "b"): 2.0})
    noise = pd.DataFrame({"a": [float("nan")], "b": [0.0]})
    with pytest.raises(cw.errors.NonFiniteError, match="noise of a"):
        cw.counterfactual_samples(scm, {"b": lambda b: b}, noise_data=noise)


def test_counts_may_be_numpy_integers():
    scm = diamond()
    for count in (np.int64(4), np.int32(4)):
        assert cw.draw_samples(scm, count, seed=0).shape == (4, 5)
        assert cw.interventional_samples(scm, {"t": 1.0}, num_samples_to_draw=count, seed=0).shape == (4, 5)
        assert scm.sample(count, seed=0)["y"].shape == (4,)
        assert scm.counterfactual(scm.sample(2, seed=1), {"t": 0.0}, num_samples=count)["y"].shape == (8,)
    with pytest.raises(ValueError, match="positive int"):
        cw.draw_samples(scm, np.float64(4.0))
