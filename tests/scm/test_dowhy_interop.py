"""``to_dowhy`` / ``from_dowhy``: our counterfactuals equal DoWhy's on the same model, the closed
form of linear SCMs and the forward pass with the true noise; conversions refuse what they cannot
carry with a ConversionError naming the node."""

import tempfile
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import torch
from dowhy import gcm
from dowhy.gcm.causal_models import PARENTS_DURING_FIT
from dowhy.gcm.ml import SklearnRegressionModel
from dowhy.gcm.ml.regression import (
    InvertibleExponentialFunction,
    InvertibleLogarithmicFunction,
    LinearRegressionWithFixedParameter,
)
from scipy import stats
from sklearn.linear_model import LinearRegression, RidgeCV
from sklearn.neural_network import MLPRegressor

import causalworld as cw
from causalworld.errors import ConversionError
from causalworld.scm.dowhy_interop import CausalWorldPrediction
from causalworld.scm.mechanisms import (
    AdditiveNoiseMLP,
    Binary,
    Categorical,
    GaussianRoot,
    LinearGaussian,
    PostNonlinear,
    UniformRoot,
    register_mechanism,
)
from causalworld.scm.mechanisms.continuous import LINKS

gcm.config.disable_progress_bars()

RTOL, ATOL = 1e-6, 1e-9
SIZES = [2, 3, 5, 8, 12, 17, 23, 30]  # one seed per size and mechanism family


def assert_same(ours, theirs, variables):
    """``ours`` ({name: Tensor} or DataFrame) equals ``theirs`` (DataFrame) column by column."""
    for v in variables:
        a = ours[v].numpy() if isinstance(ours[v], torch.Tensor) else ours[v].to_numpy()
        np.testing.assert_allclose(a, theirs[v].to_numpy(dtype=np.float64), rtol=RTOL, atol=ATOL, err_msg=v)


def a_query(scm: cw.SCM, seed: int) -> dict[str, float]:
    """A hard intervention on one or two random variables, values in [-2, 2]."""
    rng = np.random.default_rng(seed)
    k = min(len(scm.variables), 1 + seed % 2)
    targets = rng.choice(scm.variables, size=k, replace=False)
    return {str(v): float(rng.uniform(-2, 2)) for v in targets}


def sample_obs(scm: cw.SCM, n: int, seed: int):
    obs = scm.sample(n, seed=seed)
    return obs, scm.to_frame(obs)


# ----------------------------------------------------------------------------- to_dowhy: truth
@pytest.mark.parametrize("mechanism", ["linear", "mlp", "pnl"])
@pytest.mark.parametrize("n_nodes", SIZES)
def test_counterfactual_equals_dowhy_on_the_exported_model(mechanism, n_nodes):
    seed = 100 * n_nodes + len(mechanism)
    scm = cw.random_scm(n_nodes, mechanism=mechanism, seed=seed, dtype=torch.float64)
    obs, df = sample_obs(scm, 40, seed)
    do = a_query(scm, seed)
    ours = scm.counterfactual(obs, do)
    theirs = gcm.counterfactual_samples(scm.to_dowhy(), {v: (lambda c: lambda x: c)(c) for v, c in do.items()},
                                        observed_data=df)
    assert_same(ours, theirs, scm.variables)
    # a soft (shift) intervention too: a tensor callable for us, a numpy one for DoWhy
    v = scm.variables[seed % n_nodes]
    shifted = scm.counterfactual(obs, {v: lambda x: 0.5 * x + 1.0})
    theirs = gcm.counterfactual_samples(scm.to_dowhy(), {v: lambda x: 0.5 * x + 1.0}, observed_data=df)
    assert_same(shifted, theirs, scm.variables)


@pytest.mark.parametrize("mechanism", ["linear", "mlp", "pnl"])
@pytest.mark.parametrize("n_nodes", SIZES)
def test_counterfactual_equals_the_forward_pass_with_the_true_noise(mechanism, n_nodes):
    seed = 7 * n_nodes + len(mechanism)
    scm = cw.random_scm(n_nodes, mechanism=mechanism, seed=seed, dtype=torch.float64)
    noise = scm.sample_noise(64, seed=seed)
    obs = scm.from_noise(noise)
    do = a_query(scm, seed)
    truth = scm.do(do).from_noise(noise)  # the same units, the same noise, another world
    cf = scm.counterfactual(obs, do)
    abducted = scm.abduct(obs)
    for v in scm.variables:
        torch.testing.assert_close(abducted[v], noise[v], rtol=RTOL, atol=ATOL)
        torch.testing.assert_close(cf[v], truth[v], rtol=RTOL, atol=ATOL)


def linear_closed_form(scm: cw.SCM, X: np.ndarray, do: dict[str, float]) -> np.ndarray:
    """X_cf = (U + b')(I - W')^{-1}, from each mechanism's own parameters, in numpy."""
    names = list(scm.variables)
    d = len(names)
    W, b = np.zeros((d, d)), np.zeros(d)
    for j, v in enumerate(names):
        m = scm.mechanisms[v]
        if isinstance(m, LinearGaussian):
            for p, w in zip(scm.parents(v), m.weight.detach().numpy()):
                W[names.index(p), j] = w
            b[j] = float(m.bias)
    U = X @ (np.eye(d) - W) - b  # abduct: X = X W + b + U
    W2, b2, U2 = W.copy(), b.copy(), U.copy()
    for v, c in do.items():
        j = names.index(v)
        W2[:, j], b2[j], U2[:, j] = 0.0, c, 0.0
    return (U2 + b2) @ np.linalg.inv(np.eye(d) - W2)


@pytest.mark.parametrize("n_nodes", SIZES)
def test_linear_counterfactual_equals_the_closed_form(n_nodes):
    seed = 11 * n_nodes
    scm = cw.random_scm(n_nodes, mechanism="linear", seed=seed, dtype=torch.float64)
    obs, df = sample_obs(scm, 50, seed)
    do = a_query(scm, seed)
    expected = linear_closed_form(scm, df[list(scm.variables)].to_numpy(), do)
    cf = scm.counterfactual(obs, do)
    for j, v in enumerate(scm.variables):
        np.testing.assert_allclose(cf[v].numpy(), expected[:, j], rtol=RTOL, atol=ATOL, err_msg=v)


def test_export_sets_dowhy_parent_order_and_carries_parameters():
    # names chosen so that DoWhy's sorted() parent order differs from ours (topological)
    scm = cw.SCM.linear([("zeta", "y"), ("alpha", "y"), ("zeta", "alpha")],
                        {("zeta", "y"): 2.0, ("alpha", "y"): -3.0, ("zeta", "alpha"): 0.5},
                        {"zeta": 1.5, "alpha": 0.2, "y": 0.7}, intercepts={"zeta": 1.0, "y": -1.0},
                        dtype=torch.float64)
    assert scm.parents("y") == ("zeta", "alpha")
    model = scm.to_dowhy()
    assert isinstance(model, gcm.InvertibleStructuralCausalModel)
    for v in scm.variables:
        assert model.graph.nodes[v][PARENTS_DURING_FIT] == sorted(scm.graph.predecessors(v))
    root = model.causal_mechanism("zeta")
    assert root.scipy_distribution is stats.norm and root.parameters == {"loc": 1.0, "scale": 1.5}
    y = model.causal_mechanism("y")
    assert isinstance(y, gcm.AdditiveNoiseModel)
    assert y.noise_model.parameters == {"loc": 0.0, "scale": pytest.approx(0.7)}
    # DoWhy hands (alpha, zeta): y = -3 alpha + 2 zeta - 1
    np.testing.assert_allclose(y.prediction_model.predict(np.array([[1.0, 10.0]])), [[16.0]])


def test_export_runs_in_float64_for_a_float32_model():
    scm = cw.random_scm(6, mechanism="mlp", seed=3)  # float32
    assert scm.dtype == torch.float32
    model = scm.to_dowhy()
    df = scm.to_frame(scm.to(dtype=torch.float64).sample(5, seed=0))
    v = scm.variables[-1]
    pred = model.causal_mechanism(v).prediction_model.predict(df[sorted(scm.parents(v))].to_numpy())
    assert pred.dtype == np.float64


def test_uniform_root_round_trips():
    scm = cw.SCM([("u", "y")], {"u": UniformRoot(-1.0, 3.0), "y": LinearGaussian(1, weight=[2.0], noise_std=0.5)},
                 dtype=torch.float64)
    model = scm.to_dowhy()
    root = model.causal_mechanism("u")
    assert root.scipy_distribution is stats.uniform and root.parameters == {"loc": -1.0, "scale": 4.0}
    back = cw.SCM.from_dowhy(model)
    assert isinstance(back.mechanisms["u"], UniformRoot)
    assert (float(back.mechanisms["u"].low), float(back.mechanisms["u"].high)) == (-1.0, 3.0)


def test_gcm_fit_keeps_the_exported_parameters_and_clone_works():
    scm = cw.random_scm(7, mechanism="pnl", seed=5, dtype=torch.float64)
    obs, df = sample_obs(scm, 30, 1)
    do = {scm.variables[1]: 0.3}
    model = scm.to_dowhy()
    noisy = df + np.random.default_rng(0).normal(0, 5, size=df.shape)
    gcm.fit(model, noisy)  # fixed parameters: nothing moves
    ours = scm.counterfactual(obs, do)
    assert_same(ours, gcm.counterfactual_samples(model, {k: lambda x: 0.3 for k in do}, observed_data=df),
                scm.variables)
    clone = model.clone()
    assert_same(ours, gcm.counterfactual_samples(clone, {k: lambda x: 0.3 for k in do}, observed_data=df),
                scm.variables)


def test_exported_prediction_refuses_other_parents():
    scm = cw.SCM.linear([("a", "c"), ("b", "c")], {("a", "c"): 1.0, ("b", "c"): 1.0}, 1.0)
    f = scm.to_dowhy().causal_mechanism("c").prediction_model
    assert isinstance(f, CausalWorldPrediction)
    with pytest.raises(ConversionError, match="'c' takes 2 parent"):
        f.predict(np.zeros((4, 3)))
    with pytest.raises(ConversionError, match="cannot be used with others"):
        f.fit(np.zeros((4, 1)), np.zeros(4))


# ----------------------------------------------------------------------------- to_dowhy: refusals
@pytest.mark.parametrize("mech", [Binary(1, weight=[1.0]), Categorical(1, 3)])
def test_discrete_mechanisms_are_refused_naming_the_node(mech):
    scm = cw.SCM([("x", "t")], {"x": GaussianRoot(), "t": mech})
    with pytest.raises(ConversionError, match=r"'t'.*1146"):
        scm.to_dowhy()


def test_custom_mechanism_is_refused():
    @register_mechanism
    class TwiceLinear(LinearGaussian):
        """x = 2 (w . pa + b) + u: forward differs from predict, so it must not be exported as additive."""

        def forward(self, parents, noise):
            return 2 * (parents @ self.weight + self.bias) + noise

    scm = cw.SCM([("x", "y")], {"x": GaussianRoot(), "y": TwiceLinear(1, weight=[1.0])})
    with pytest.raises(ConversionError, match=r"'y' \(TwiceLinear\)"):
        scm.to_dowhy()


def test_an_intervened_scm_is_refused():
    scm = cw.random_scm(4, seed=0)
    with pytest.raises(ConversionError, match="under interventions on \\['x1'\\]"):
        scm.do({"x1": 1.0}).to_dowhy()


# ----------------------------------------------------------------------------- from_dowhy
@pytest.mark.parametrize("mechanism", ["linear", "mlp", "pnl"])
def test_round_trip_keeps_mechanisms_and_counterfactuals(mechanism):
    scm = cw.random_scm(12, mechanism=mechanism, seed=21, dtype=torch.float64)
    back = cw.SCM.from_dowhy(scm.to_dowhy())
    assert set(back.graph.edges) == set(scm.graph.edges)
    for v in scm.variables:
        assert type(back.mechanisms[v]) is type(scm.mechanisms[v])
        assert back.parents(v) == scm.parents(v)
    obs, _ = sample_obs(scm, 30, 2)
    do = a_query(scm, 3)
    a, b = scm.counterfactual(obs, do), back.counterfactual(obs, do)
    for v in scm.variables:
        torch.testing.assert_close(a[v], b[v], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(scm.log_prob(obs), back.log_prob(obs))


def fitted_dowhy(graph: nx.DiGraph, data: pd.DataFrame, prediction, *, link=None, root=None, noise=None):
    """A DoWhy model with ``prediction()`` on every non-root, fitted by ``gcm.fit``."""
    model = gcm.InvertibleStructuralCausalModel(graph)
    for v in graph.nodes:
        if graph.in_degree(v) == 0:
            model.set_causal_mechanism(v, root() if root else gcm.ScipyDistribution(stats.norm))
        elif link is None:
            model.set_causal_mechanism(v, gcm.AdditiveNoiseModel(prediction(), noise() if noise else None))
        else:
            model.set_causal_mechanism(v, gcm.PostNonlinearModel(prediction(), gcm.ScipyDistribution(stats.norm), link))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's MLP convergence warnings on purpose-short fits
        gcm.fit(model, data)
    return model


def assert_matches_dowhy(model, data: pd.DataFrame, do: dict[str, float]):
    ours = cw.SCM.from_dowhy(model)
    obs = data.iloc[:25].reset_index(drop=True)
    theirs = gcm.counterfactual_samples(model, {k: (lambda c: lambda x: c)(c) for k, c in do.items()},
                                        observed_data=obs)
    assert_same(ours.counterfactual(obs.rename(columns=str), {str(k): c for k, c in do.items()}),
                theirs.rename(columns=str), ours.variables)
    return ours


@pytest.fixture(scope="module")
def mlp_data():
    scm = cw.random_scm(8, mechanism="mlp", seed=4, dtype=torch.float64)
    return scm, scm.to_frame(scm.sample(400, seed=0))


def test_from_gcm_fit_with_linear_regression(mlp_data):
    scm, df = mlp_data
    model = fitted_dowhy(nx.DiGraph(scm.graph), df, lambda: SklearnRegressionModel(LinearRegression()))
    ours = assert_matches_dowhy(model, df, {scm.variables[2]: 0.5})
    v = next(v for v in scm.variables if len(scm.parents(v)) >= 2)
    sk = model.causal_mechanism(v).prediction_model.sklearn_model
    m = ours.mechanisms[v]
    assert isinstance(m, LinearGaussian)
    coef = dict(zip(sorted(scm.parents(v)), sk.coef_))
    np.testing.assert_allclose(m.weight.numpy(), [coef[p] for p in ours.parents(v)], rtol=1e-12)
    residuals = model.causal_mechanism(v).noise_model.data.ravel()  # default ANM noise: empirical
    assert float(m.noise_std) == pytest.approx(residuals.std(), rel=1e-12)
    assert float(m.bias) == pytest.approx(sk.intercept_, rel=1e-12, abs=1e-12)
    assert float(m.noise_mean) == pytest.approx(residuals.mean(), rel=1e-9, abs=1e-15)  # DoWhy's noise, as is


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_from_gcm_fit_with_mlp_regressor(mlp_data, activation):
    scm, df = mlp_data
    mlp = lambda: SklearnRegressionModel(MLPRegressor(hidden_layer_sizes=(6, 5), activation=activation, max_iter=30, random_state=0))
    model = fitted_dowhy(nx.DiGraph(scm.graph), df, mlp, noise=lambda: gcm.ScipyDistribution(stats.norm))
    ours = assert_matches_dowhy(model, df, {scm.variables[1]: -1.0, scm.variables[3]: 0.7})
    kinds = {type(m) for v, m in ours.mechanisms.items() if scm.parents(v)}
    assert kinds == ({LinearGaussian} if activation == "identity" else {AdditiveNoiseMLP})
    if activation != "identity":
        m = next(m for m in ours.mechanisms.values() if isinstance(m, AdditiveNoiseMLP))
        assert m.hidden == (6, 5) and m.activation == {"logistic": "sigmoid"}.get(activation, activation)


def test_from_gcm_fit_with_exp_link_and_ridge():
    rng = np.random.default_rng(0)
    a = rng.normal(size=500)
    b = rng.normal(size=500)
    y = np.exp(0.3 * a - 0.2 * b + 0.1 + 0.2 * rng.normal(size=500))
    df = pd.DataFrame({"a": a, "b": b, "y": y})
    g = nx.DiGraph([("b", "y"), ("a", "y")])
    model = fitted_dowhy(g, df, lambda: SklearnRegressionModel(RidgeCV()), link=InvertibleExponentialFunction())
    ours = assert_matches_dowhy(model, df, {"a": 1.5})
    assert isinstance(ours.mechanisms["y"], PostNonlinear) and ours.mechanisms["y"].link_name == "exp"


def test_fixed_parameter_regressor_and_integer_node_names():
    # DoWhy sorts integer parents numerically (2 < 10); the str names would sort the other way
    g = nx.DiGraph([(10, 0), (2, 0)])
    model = gcm.InvertibleStructuralCausalModel(g)
    model.set_causal_mechanism(10, gcm.ScipyDistribution(stats.norm, loc=1.0, scale=2.0))
    model.set_causal_mechanism(2, gcm.ScipyDistribution(stats.norm, loc=0.0, scale=1.0))
    model.set_causal_mechanism(0, gcm.AdditiveNoiseModel(LinearRegressionWithFixedParameter(np.array([3.0, -1.0]), 0.5),
                                                         gcm.ScipyDistribution(stats.norm, loc=0.0, scale=0.1)))
    gcm.fit(model, pd.DataFrame({10: [0.0, 1.0], 2: [1.0, 0.0], 0: [0.0, 0.0]}))
    ours = cw.SCM.from_dowhy(model)
    assert set(ours.variables) == {"0", "2", "10"}
    coef = dict(zip(ours.parents("0"), ours.mechanisms["0"].weight.tolist()))
    assert coef == {"2": 3.0, "10": -1.0}
    obs = pd.DataFrame({10: [0.5, -1.0], 2: [2.0, 0.3], 0: [5.4, 1.0]})
    theirs = gcm.counterfactual_samples(model, {2: lambda x: 0.0}, observed_data=obs)
    cf = ours.counterfactual(obs.rename(columns=str), {"2": 0.0})
    np.testing.assert_allclose(cf["0"].to_numpy(), theirs[0].to_numpy(), rtol=RTOL)


def test_empirical_root_becomes_a_gaussian_with_its_moments(mlp_data):
    scm, df = mlp_data
    model = fitted_dowhy(nx.DiGraph(scm.graph), df, lambda: SklearnRegressionModel(LinearRegression()),
                         root=gcm.EmpiricalDistribution)
    ours = assert_matches_dowhy(model, df, {scm.variables[0]: 2.0})  # counterfactuals unchanged
    r = next(v for v in scm.variables if not scm.parents(v))
    assert isinstance(ours.mechanisms[r], GaussianRoot)
    assert float(ours.mechanisms[r].mean) == pytest.approx(df[r].mean(), rel=1e-12)
    assert float(ours.mechanisms[r].std) == pytest.approx(df[r].std(ddof=0), rel=1e-12)
    assert ours.mechanisms[r].empirical  # and keeps the data, which sampling resamples


def test_skewed_empirical_noise_samples_as_dowhy_samples():
    # exponential root and noise: DoWhy resamples the data and residuals; a normal of the same
    # moments would have no skew and negative values the data never have
    rng = np.random.default_rng(0)
    x = rng.exponential(1.0, 3_000)
    y = 2.0 * x + rng.exponential(0.5, 3_000)
    df = pd.DataFrame({"x": x, "y": y})
    model = gcm.InvertibleStructuralCausalModel(nx.DiGraph([("x", "y")]))
    model.set_causal_mechanism("x", gcm.EmpiricalDistribution())
    model.set_causal_mechanism("y", gcm.AdditiveNoiseModel(SklearnRegressionModel(LinearRegression())))
    gcm.fit(model, df)
    ours = cw.SCM.from_dowhy(model)
    assert ours.mechanisms["x"].empirical and ours.mechanisms["y"].empirical
    mine = cw.draw_samples(ours, 20_000, seed=0)
    theirs = gcm.draw_samples(model, 20_000)
    for v in ("x", "y"):
        assert stats.ks_2samp(mine[v], theirs[v]).pvalue > 1e-3, v
        assert stats.skew(mine[v]) == pytest.approx(stats.skew(df[v]), abs=0.3)
    assert set(mine["x"]) <= set(df["x"])  # a root's draws are its data, resampled
    # an intervention resamples the child's residuals too
    do_theirs = gcm.interventional_samples(model, {"x": lambda v: 1.0}, num_samples_to_draw=20_000)
    do_mine = cw.interventional_samples(ours, {"x": lambda v: 1.0}, num_samples_to_draw=20_000, seed=1)
    assert stats.ks_2samp(do_mine["y"], do_theirs["y"]).pvalue > 1e-3
    # counterfactuals stay exact
    obs = df.iloc[:50]
    cf = cw.counterfactual_samples(ours, {"x": lambda v: v + 1.0}, observed_data=obs)
    np.testing.assert_allclose(cf["y"].to_numpy(), gcm.counterfactual_samples(
        model, {"x": lambda v: v + 1.0}, observed_data=obs)["y"].to_numpy(), rtol=1e-10)
    ours_back = cw.SCM.load(ours.save(Path(tempfile.mkdtemp()) / "m"))  # the values travel with the model
    assert torch.equal(ours_back.mechanisms["y"].noise_values, ours.mechanisms["y"].noise_values)
    assert torch.equal(ours_back.sample(100, seed=3)["y"], ours.sample(100, seed=3)["y"])


# ----------------------------------------------------------------------------- from_dowhy: refusals
def two_node_model(root, child) -> gcm.InvertibleStructuralCausalModel:
    model = gcm.InvertibleStructuralCausalModel(nx.DiGraph([("x", "y")]))
    model.set_causal_mechanism("x", root)
    model.set_causal_mechanism("y", child)
    return model


def fit_quietly(model, n=200):
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": x, "y": np.exp(0.5 * x + 0.1 * rng.normal(size=n))})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gcm.fit(model, df)
    return model


def linear_anm():
    return gcm.AdditiveNoiseModel(SklearnRegressionModel(LinearRegression()))


@pytest.mark.parametrize(
    "root, child, match",
    [
        (gcm.BayesianGaussianMixtureDistribution(), linear_anm(), r"root 'x'.*BayesianGaussianMixtureDistribution"),
        (gcm.ScipyDistribution(stats.laplace), linear_anm(), r"root 'x'.*ScipyDistribution\(laplace\)"),
        (gcm.ScipyDistribution(stats.norm), gcm.AdditiveNoiseModel(SklearnRegressionModel(LinearRegression()),
                                                                     gcm.ScipyDistribution(stats.laplace)),
         r"noise of 'y'.*laplace"),
        (gcm.ScipyDistribution(stats.norm, loc=0.0, scale=1.0), gcm.ClassifierFCM(),
         r"'y'.*HistGradientBoostingClassifier is not fitted"),
    ],
)
def test_unsupported_dowhy_mechanisms_are_named(root, child, match):
    model = two_node_model(root, child)
    if not isinstance(child, gcm.ClassifierFCM):
        fit_quietly(model)
    else:
        model.graph.nodes["x"][PARENTS_DURING_FIT] = []
        model.graph.nodes["y"][PARENTS_DURING_FIT] = ["x"]
    with pytest.raises(ConversionError, match=match) as caught:
        cw.SCM.from_dowhy(model)
    assert str(caught.value).endswith("causalworld.SCM.fit(model.graph, data)")  # the fix, last


def test_log_link_needs_a_causalworld_log_link():
    model = fit_quietly(two_node_model(gcm.ScipyDistribution(stats.norm), gcm.PostNonlinearModel(
        SklearnRegressionModel(LinearRegression()), gcm.ScipyDistribution(stats.norm), InvertibleLogarithmicFunction())))
    if "log" in LINKS:
        assert cw.SCM.from_dowhy(model).mechanisms["y"].link_name == "log"
    else:
        with pytest.raises(ConversionError, match="InvertibleLogarithmicFunction has no causalworld link"):
            cw.SCM.from_dowhy(model)


def test_an_unfitted_model_is_refused():
    model = two_node_model(gcm.ScipyDistribution(stats.norm), linear_anm())
    with pytest.raises(ConversionError, match="not fitted to the graph.*gcm.fit"):
        cw.SCM.from_dowhy(model)
    with pytest.raises(ConversionError, match="expects a dowhy.gcm causal model"):
        cw.SCM.from_dowhy(object())
