"""SCM.fit against known models: weights, noise scales, mechanism choice, interventional rows."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

import causalworld as cw
from causalworld.errors import (
    ArgumentError,
    DeviceError,
    DTypeError,
    InsufficientDataError,
    IntegerColumnWarning,
    OutOfRangeError,
    PoorFitWarning,
    UnknownVariableError,
)
from causalworld.scm.fit import POOR_FIT_R2, _mean_of, fit_mlp


def test_fit_recovers_linear_weights_within_005():
    truth = cw.random_scm(8, edges_per_node=1.5, mechanism="linear", seed=0, dtype=torch.float64)
    data = truth.to_frame(truth.sample(10_000, seed=1))
    fitted = cw.SCM.fit(truth.graph, data, "linear", progress=False)
    assert fitted.variables == truth.variables
    assert np.abs(fitted.weights().to_numpy() - truth.weights().to_numpy()).max() < 0.05
    summary = fitted.fit_summary.set_index("variable")
    for v in truth.variables:
        m = truth.mechanisms[v]
        true_std = float(m.std) if isinstance(m, cw.GaussianRoot) else float(m.noise_std)
        assert abs(summary.loc[v, "noise_std"] - true_std) < 0.05


def test_fit_skips_rows_where_a_variable_was_intervened():
    truth = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5)
    obs = truth.sample(3000, seed=0)
    # rows where y was set to junk values: fitting y on them would destroy the slope
    junk = truth.do({"y": torch.full((3000,), 50.0)}).sample(3000, seed=1)
    data = {k: torch.cat([obs[k], junk[k]]) for k in ("x", "y")}
    targets = [set()] * 3000 + [{"y"}] * 3000
    fitted = cw.SCM.fit(truth.graph, data, "linear", targets=targets, progress=False)
    assert abs(float(fitted.weights().iloc[0, 1]) - 2.0) < 0.05
    assert fitted.fit_summary.set_index("variable").loc["y", "rows"] == 3000
    with pytest.warns(PoorFitWarning, match="'y'"):  # the junk rows drown the slope: R² ~ 0, and it says so
        naive = cw.SCM.fit(truth.graph, data, "linear", progress=False)
    assert abs(float(naive.weights().iloc[0, 1]) - 2.0) > 0.5


def test_quadratic_mechanisms_recover_a_second_order_law_and_its_counterfactuals(tmp_path):
    # y = 1 + 2 a b - a^2 + u with a binary gate s on b: the closed-form quadratic fit recovers
    # the law, abducts the true noise, answers counterfactuals as the truth does, and keeps them
    # through save/load and DoWhy's own counterfactual engine on the exported model.
    from dowhy import gcm

    rng = np.random.default_rng(0)
    n = 2000
    a, s = rng.uniform(-1, 2, n), rng.integers(0, 2, n).astype(float)
    b = s * rng.uniform(0, 1, n)
    u = 0.1 * rng.normal(size=n)
    y = 1 + 2 * a * b - a**2 + u
    data = pd.DataFrame({"a": a, "s": s, "b": b, "y": y})
    graph = [("a", "y"), ("b", "y"), ("s", "b")]
    scm = cw.SCM.fit(graph, data, "quadratic", discrete={"s": False}, progress=False)
    assert type(scm.mechanisms["y"]).__name__ == "QuadraticGaussian"
    assert scm.fit_summary.set_index("variable").loc["y", "r2"] > 0.99
    assert float(scm.mechanisms["y"].noise_std) == pytest.approx(0.1, rel=0.05)
    obs = {k: torch.tensor(data[k].to_numpy()) for k in data}
    np.testing.assert_allclose(scm.abduct(obs)["y"].reshape(-1).numpy(), u, atol=0.02)  # estimation error of 6 weights on 2,000 rows
    cf = scm.counterfactual(obs, {"a": 1.5})
    np.testing.assert_allclose(cf["y"].numpy(), 1 + 3.0 * b - 2.25 + u, atol=0.03)
    cf = scm.counterfactual(obs, {"s": 0.0, "b": 0.0})  # one column of the square of a binary parent: no error
    np.testing.assert_allclose(cf["y"].numpy(), 1 - a**2 + u, atol=0.03)
    scm.save(tmp_path / "m")
    back = cw.SCM.load(tmp_path / "m")
    assert torch.equal(back.counterfactual(obs, {"a": 1.5})["y"], scm.counterfactual(obs, {"a": 1.5})["y"])
    theirs = gcm.counterfactual_samples(scm.to_dowhy(), {"a": lambda x: 1.5}, observed_data=data.iloc[:50])
    np.testing.assert_allclose(theirs["y"].to_numpy(), scm.counterfactual(obs, {"a": 1.5})["y"][:50].numpy(), rtol=1e-9)
    assert "u(a)*u(b)" in scm.mechanisms["y"].equation("y", ["a", "b"])


def test_auto_picks_mlp_for_nonlinear_and_linear_for_linear():
    g = [("x", "y")]
    x = torch.randn(1500, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    noise = 0.1 * torch.randn(1500, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    kw = dict(progress=False, hidden=(16, 16), mlp_steps=300)
    nonlin = cw.SCM.fit(g, {"x": x, "y": torch.sin(2 * x) + noise}, "auto", **kw)
    lin = cw.SCM.fit(g, {"x": x, "y": 0.5 * x + noise}, "auto", **kw)
    assert type(nonlin.mechanisms["y"]).__name__ == "AdditiveNoiseMLP"
    assert nonlin.fit_summary.set_index("variable").loc["y", "r2"] > 0.95
    assert type(lin.mechanisms["y"]).__name__ == "LinearGaussian"


def test_fitted_mlp_gives_accurate_counterfactuals():
    truth = cw.random_scm(4, edges_per_node=1.0, mechanism="mlp", noise_std=0.3, seed=2, dtype=torch.float64)
    data = truth.sample(2000, seed=0)
    fitted = cw.SCM.fit(truth.graph, data, "mlp", progress=False, mlp_steps=300, hidden=(16, 16))
    obs = truth.sample(500, seed=1)
    root = next(v for v in truth.variables if truth.graph.out_degree(v) > 0)
    value = float(obs[root].mean())
    a, b = truth.counterfactual(obs, {root: value}), fitted.counterfactual(obs, {root: value})
    for v in truth.variables:
        scale = float(obs[v].std())
        assert float((a[v] - b[v]).abs().mean()) / scale < 0.1, v


@pytest.mark.parametrize("refit", [False, True])
def test_mlp_is_close_to_the_true_function(refit):
    # Mini-batches, Polyak averaging and early stopping (refit=False, the default: the averaged
    # weights at the best held-out error; refit=True: trained again on every row for the number of
    # steps held-out error picked): within 0.03 of the true function on four seeds.
    from causalworld.scm.fit import fit_mlp

    grid = torch.linspace(-2, 2, 401, dtype=torch.float64)[:, None]
    for seed in range(4):
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(2000, 1, generator=g, dtype=torch.float64)
        y = torch.sin(2 * x[:, 0]) + 0.3 * torch.randn(2000, generator=g, dtype=torch.float64)
        m, r2 = fit_mlp(x, y, seed=seed, refit=refit)
        assert r2 > 0.8
        with torch.no_grad():
            error = float((m.predict(grid) - torch.sin(2 * grid[:, 0])).abs().mean())
        assert error < 0.03, (seed, error)


def test_mlp_members_are_averaged_into_one_wider_mlp():
    # members=3: the returned MLP computes the mean of the three MLPs fit_mlp trains with seeds s,
    # s + 1009, s + 2018 (to float32 rounding: the members train side by side as one stacked
    # network); it is a plain AdditiveNoiseMLP (saved, batched and exported as any), and fitting it
    # leaves the caller's random stream where it was.
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1500, 2, generator=g, dtype=torch.float64)
    f = lambda z: torch.tanh(2 * z[:, 0]) * z[:, 1]
    y = f(x) + 0.5 * torch.randn(1500, generator=g, dtype=torch.float64)
    state = torch.get_rng_state()
    merged, r2 = fit_mlp(x, y, hidden=(16, 8), seed=4, members=3)
    assert torch.equal(torch.get_rng_state(), state)
    singles = [fit_mlp(x, y, hidden=(16, 8), seed=4 + 1009 * e)[0] for e in range(3)]
    assert type(merged) is cw.AdditiveNoiseMLP and merged.hidden == (48, 24)
    grid = torch.randn(500, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with torch.no_grad():
        mean = torch.stack([m.predict(grid) for m in singles]).mean(0)
        assert torch.allclose(merged.predict(grid), mean, atol=1e-4)
        resid = y - merged.predict(x)
    assert float(merged.noise_std) == pytest.approx(float(resid.pow(2).mean().sqrt()))
    assert r2 == pytest.approx(1 - float(resid.pow(2).sum() / (y - y.mean()).pow(2).sum()))
    with pytest.raises(OutOfRangeError, match="members"):
        fit_mlp(x, y, members=0)
    with pytest.raises(OutOfRangeError, match="mlp_members"):
        cw.SCM.fit([("a", "b")], {"a": x[:, 0], "b": y}, "mlp", mlp_members=0, progress=False)


@pytest.mark.parametrize("hidden", [(), (5,), (4, 6), (3, 5, 2)])
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "silu"])
def test_mean_of_mlps_is_exact_for_every_depth_and_activation(hidden, activation):
    torch.manual_seed(0)
    nets = [cw.AdditiveNoiseMLP(3, hidden=hidden, activation=activation).double() for _ in range(3)]
    for m in nets:  # fit_mlp gives every member the same scalings
        m.in_shift.copy_(torch.tensor([0.5, -1.0, 2.0]))
        m.in_scale.copy_(torch.tensor([2.0, 0.5, 1.5]))
        m.out_shift.fill_(0.3)
        m.out_scale.fill_(1.7)
    X = torch.randn(200, 3, dtype=torch.float64)
    with torch.no_grad():
        y = torch.stack([m.predict(X) for m in nets]).mean(0)
        merged, r2 = _mean_of(nets, X, y)
        assert merged.hidden == tuple(3 * h for h in hidden) and r2 == pytest.approx(1.0)
        assert torch.allclose(merged.predict(X), y, atol=1e-12)


def test_fit_discrete_columns_give_gumbel_max_mechanisms():
    truth = cw.random_scm(4, mechanism="discrete", cardinality=3, weight_range=(1.0, 2.0), seed=0, dtype=torch.float64)
    df = truth.to_frame(truth.sample(20_000, seed=0))
    assert isinstance(df[truth.variables[0]].dtype, pd.CategoricalDtype)
    fitted = cw.SCM.fit(truth.graph, df, progress=False)
    assert fitted.discrete == truth.discrete
    fresh = truth.sample(2000, seed=5)
    gap = (fitted.log_prob(fresh).mean() - truth.log_prob(fresh).mean()).abs()
    assert float(gap) < 0.05


def test_fit_errors():
    g = [("x", "y")]
    with pytest.raises(InsufficientDataError, match="lacks columns"):
        cw.SCM.fit(g, {"x": torch.zeros(10)}, progress=False)
    with pytest.raises(UnknownVariableError):
        cw.SCM.fit(g, {"x": torch.randn(10), "y": torch.randn(10), "z": torch.randn(10)}, progress=False)
    with pytest.raises(InsufficientDataError, match="constant"):
        cw.SCM.fit(g, {"x": torch.randn(10, dtype=torch.float64), "y": torch.ones(10, dtype=torch.float64)}, progress=False)
    with pytest.raises(InsufficientDataError, match="too few"):
        cw.SCM.fit(g, {"x": torch.randn(2), "y": torch.randn(2)}, progress=False)
    with pytest.raises(ArgumentError):
        cw.SCM.fit(g, {"x": torch.randn(10), "y": torch.randn(10)}, "cubic", progress=False)
    with pytest.raises(cw.errors.NonFiniteError):
        cw.SCM.fit(g, {"x": torch.tensor([1.0, float("nan"), 2.0, 3.0]), "y": torch.randn(4)}, progress=False)


def test_a_fit_that_explains_nothing_warns_with_the_variable_its_parents_and_the_fix():
    # y = x² - 1 has no linear trace of x: a linear fit explains ~0 % of y (below POOR_FIT_R2),
    # an MLP explains most of it and stays quiet; roots and discrete variables never warn.
    g = [("x", "y")]
    half = torch.randn(200, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    x = torch.cat([half, -half])  # symmetric: x and x² are exactly uncorrelated
    y = x**2 - 1 + 0.1 * torch.randn(400, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with pytest.warns(PoorFitWarning, match=r"'y'.*\['x'\].*R² = 0\.0.*mechanisms='mlp'") as record:
        linear = cw.SCM.fit(g, {"x": x, "y": y}, "linear", progress=False)
    assert len(record) == 1
    assert linear.fit_summary.set_index("variable").loc["y", "r2"] < POOR_FIT_R2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mlp = cw.SCM.fit(g, {"x": x, "y": y}, "mlp", progress=False, hidden=(8, 8), mlp_steps=200, mlp_members=1)
        cw.SCM.fit(g, {"x": x, "y": 0.5 * x + y}, "linear", progress=False)  # a real linear trace: quiet
    assert mlp.fit_summary.set_index("variable").loc["y", "r2"] > 0.8


def test_a_float64_fit_keeps_a_large_bias_exact():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(400, generator=g, dtype=torch.float64)
    b = 2 * a + 100000.3 + 0.01 * torch.randn(400, generator=g, dtype=torch.float64)
    fitted = cw.SCM.fit([("a", "b")], {"a": a, "b": b}, "linear", progress=False)
    X = torch.stack([a, torch.ones_like(a)], 1)
    exact = torch.linalg.lstsq(X, b[:, None]).solution[1, 0]
    assert float(fitted.mechanisms["b"].bias) == pytest.approx(float(exact), abs=1e-7)


@pytest.mark.parametrize("kwargs, error", [
    ({"mlp_steps": 0}, OutOfRangeError), ({"mlp_steps": 2.5}, OutOfRangeError), ({"hidden": 5}, ArgumentError),
    ({"seed": "x"}, DTypeError), ({"seed": -1}, OutOfRangeError), ({"mechanisms": None}, ArgumentError),
    ({"device": "bogus"}, DeviceError), ({"device": "meta"}, DeviceError),
])
def test_bad_fit_settings_get_typed_errors(kwargs, error):
    data = {"a": torch.randn(50), "b": torch.randn(50)}
    with pytest.raises(error):
        cw.SCM.fit([("a", "b")], data, **({"progress": False, "mechanisms": "mlp"} | kwargs))


def test_fitting_no_rows_is_refused():
    with pytest.raises(InsufficientDataError, match="no rows"):
        cw.SCM.fit([("a", "b")], {"a": torch.zeros(0), "b": torch.zeros(0)}, progress=False)


def test_an_integer_column_is_a_category_only_when_it_has_few_values():
    rng = np.random.default_rng(0)
    n = 200
    year = rng.integers(1950, 2020, n)  # 67 distinct values: a measurement, not a category
    df = pd.DataFrame({"year": year, "y": 0.1 * (year - 1980) + rng.normal(size=n)})
    with pytest.warns(IntegerColumnWarning, match=r"'year'.*67 distinct values.*discrete=\{'year': True\}"):
        fitted = cw.SCM.fit([("year", "y")], df, "linear", progress=False)
    assert not fitted.mechanisms["year"].discrete
    assert float(fitted.weights().loc["year", "y"]) == pytest.approx(0.1, abs=0.02)
    # one huge value among few: two labels, not 100,001 categories
    rare = pd.DataFrame({"t": np.where(np.arange(n) < 3, 10**5, 0), "y": rng.normal(size=n)})
    with pytest.warns(PoorFitWarning):
        fitted = cw.SCM.fit([("t", "y")], rare, "linear", progress=False)
    assert fitted.labels["t"] == (0, 100000) and fitted.cardinality("t") == 2
    assert set(fitted.to_frame(fitted.sample(50, seed=0))["t"].tolist()) <= {0, 100000}
    # the override, both ways; int64 tensors stay codes
    with warnings.catch_warnings():
        warnings.simplefilter("error", IntegerColumnWarning)
        as_category = cw.SCM.fit([("year", "y")], df, "linear", progress=False, discrete={"year": True})
        assert as_category.cardinality("year") == 67 and as_category.labels["year"][0] == int(year.min())
        small = pd.DataFrame({"r": rng.integers(0, 3, n), "y": rng.normal(size=n)})
        with pytest.warns(PoorFitWarning):
            assert not cw.SCM.fit([("r", "y")], small, "linear", progress=False,
                                  discrete={"r": False}).mechanisms["r"].discrete
    r = torch.tensor([0, 1, 2, 1] * 50)
    codes = cw.SCM.fit([("r", "y")], {"r": r, "y": r + torch.randn(200, dtype=torch.float64)}, "linear", progress=False)
    assert codes.cardinality("r") == 3
    with pytest.raises(DTypeError, match="labels"):
        cw.SCM.fit([("s", "y")], {"s": ["a", "b"] * 100, "y": rng.normal(size=n)}, progress=False, discrete={"s": False})
    with pytest.raises(UnknownVariableError):
        cw.SCM.fit([("r", "y")], small, progress=False, discrete={"zz": True})


@pytest.mark.parametrize("scale, words", [(1e300, "overflow"), (1e-300, "underflow")])
def test_values_a_fit_cannot_square_are_refused_naming_the_column(scale, words):
    a = torch.randn(300, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    with pytest.raises(OutOfRangeError, match=rf"'a' has values .*{words}.*rescale the column"):
        cw.SCM.fit([("a", "b")], {"a": a * scale, "b": 2 * a + 0.1}, "linear", progress=False)
