"""DoWhy's what-if questions asked of a DoWhy model and of ``SCM.from_dowhy(model)``: the same
answers (exactly where both abduct the same noise, to sampling error where both draw), the same
shapes, and labels for categorical nodes. The cases follow DoWhy's user guide on interventions
and counterfactuals (hard and soft ``do``, counterfactuals from observed rows and from noise,
average causal effects, categorical nodes); the data are small, so DoWhy fits stay quick."""

import warnings

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import torch
from dowhy import gcm
from dowhy.gcm.ml.regression import LinearRegressionWithFixedParameter

import causalworld as cw
from causalworld.errors import ConversionError, DeviceError, ExtrapolationWarning, MissingVariableError, OutOfRangeError

gcm.config.disable_progress_bars()

N = 300


def quietly(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DoWhy's and scikit-learn's own chatter
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def nonlinear():
    """a -> b -> c -> d <- a: a gradient-boosted tree, a polynomial Pipeline and an SVR, the
    models DoWhy's auto assignment picks; a DoWhy model and ours from it."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=N)
    b = np.sin(2 * a) + 0.2 * rng.normal(size=N)
    c = b**2 - b + 0.2 * rng.normal(size=N)
    d = np.tanh(c) + 0.5 * a + 0.2 * rng.normal(size=N)
    data = pd.DataFrame({"a": a, "b": b, "c": c, "d": d})
    model = gcm.InvertibleStructuralCausalModel(nx.DiGraph([("a", "b"), ("b", "c"), ("c", "d"), ("a", "d")]))
    model.set_causal_mechanism("a", gcm.EmpiricalDistribution())
    model.set_causal_mechanism("b", gcm.AdditiveNoiseModel(gcm.ml.create_hist_gradient_boost_regressor(max_iter=30)))
    model.set_causal_mechanism("c", gcm.AdditiveNoiseModel(gcm.ml.create_polynom_regressor(degree=2)))
    model.set_causal_mechanism("d", gcm.AdditiveNoiseModel(gcm.ml.create_support_vector_regressor()))
    quietly(gcm.fit, model, data)
    return model, cw.SCM.from_dowhy(model), data


@pytest.fixture(scope="module")
def smokers():
    """smoker ('no' / 'yes') -> tar -> cancer ('no' / 'yes'), smoker -> cancer: ClassifierFCMs
    over a labelled and a numeric parent, one-hot encoded by DoWhy."""
    rng = np.random.default_rng(1)
    smoker = np.where(rng.random(N) < 0.4, "yes", "no")
    tar = 2.0 * (smoker == "yes") + rng.normal(size=N)
    cancer = np.where(tar + (smoker == "yes") + rng.logistic(size=N) > 2.0, "yes", "no")
    data = pd.DataFrame({"smoker": smoker, "tar": tar, "cancer": cancer})
    model = gcm.StructuralCausalModel(nx.DiGraph([("smoker", "tar"), ("tar", "cancer"), ("smoker", "cancer")]))
    model.set_causal_mechanism("smoker", gcm.EmpiricalDistribution())
    model.set_causal_mechanism("tar", gcm.AdditiveNoiseModel(gcm.ml.create_linear_regressor()))
    model.set_causal_mechanism("cancer", gcm.ClassifierFCM(gcm.ml.create_logistic_regression_classifier()))
    quietly(gcm.fit, model, data)
    return model, cw.SCM.from_dowhy(model), data


# ------------------------------------------------------------------ counterfactuals: exact parity
def test_counterfactuals_from_observed_rows_equal_dowhys_through_wrapped_models(nonlinear):
    model, ours, data = nonlinear
    rows = data.sample(20, random_state=0)
    for interventions in ({"b": lambda x: 0.3}, {"a": lambda x: x + 1.0}, {"b": lambda x: 2 * x, "c": lambda x: x - 1}):
        theirs = gcm.counterfactual_samples(model, interventions, observed_data=rows)
        mine = cw.counterfactual_samples(ours, interventions, observed_data=rows)
        assert list(mine.index) == list(rows.index)  # the observed rows' index is kept
        np.testing.assert_allclose(mine[list(theirs.columns)].to_numpy(), theirs.to_numpy(), rtol=1e-9, atol=1e-9)
    assert "slower" in str(ours) and "HistGradientBoostingRegressor" in str(ours)
    back = gcm.counterfactual_samples(ours.to_dowhy(), interventions, observed_data=rows)  # DoWhy's own, handed back
    pd.testing.assert_frame_equal(back, theirs)


def test_counterfactuals_from_noise_mean_dowhys_noise():
    """DoWhy's X1 = 2 X0 + N with fixed coefficient 2 and intercept 0, fitted on data shifted by
    3: its noise has mean 3, and noise_data={X0: 1, X1: 0.5} answers X1 = 2.5 in both libraries."""
    rng = np.random.default_rng(2)
    x0 = rng.normal(size=200)
    model = gcm.InvertibleStructuralCausalModel(nx.DiGraph([("X0", "X1")]))
    model.set_causal_mechanism("X0", gcm.EmpiricalDistribution())
    model.set_causal_mechanism("X1", gcm.AdditiveNoiseModel(LinearRegressionWithFixedParameter(np.array([2.0]), 0.0)))
    gcm.fit(model, pd.DataFrame({"X0": x0, "X1": 2 * x0 + 3 + rng.normal(size=200)}))
    ours = cw.SCM.from_dowhy(model)
    noise = pd.DataFrame({"X0": [1.0, -1.0], "X1": [0.5, 3.0]})
    for interventions, expected in (({"X0": lambda x: x}, [2.5, 1.0]), ({"X0": lambda x: 2.0}, [4.5, 7.0])):
        theirs = gcm.counterfactual_samples(model, interventions, noise_data=noise)
        mine = cw.counterfactual_samples(ours, interventions, noise_data=noise)
        np.testing.assert_allclose(theirs["X1"], expected)
        np.testing.assert_allclose(mine["X1"], expected)
    assert float(ours.abduct({"X0": [1.0], "X1": [2.5]})["X1"][0]) == pytest.approx(0.5)  # the same noise back


# ------------------------------------------------------------------ sampling: the same laws
def test_hard_and_soft_interventions_draw_the_same_distribution(nonlinear):
    model, ours, _ = nonlinear
    n = 4000
    np.random.seed(0)
    for interventions in ({"b": lambda x: 0.5}, {"a": lambda x: x + 1.0}):
        theirs = gcm.interventional_samples(model, interventions, num_samples_to_draw=n)
        mine = cw.interventional_samples(ours, interventions, num_samples_to_draw=np.int64(n), seed=0)
        for v in ("c", "d"):  # means agree to a few standard errors of the difference
            se = np.sqrt(theirs[v].var() / n + mine[v].var() / n)
            assert abs(theirs[v].mean() - mine[v].mean()) < 4 * se + 0.02, v


def test_average_causal_effects_agree(nonlinear):
    model, ours, data = nonlinear
    alternative, reference = {"b": lambda x: 1.0}, {"b": lambda x: -1.0}
    np.random.seed(1)
    theirs = gcm.average_causal_effect(model, "d", alternative, reference, observed_data=data)
    mine = cw.average_causal_effect(ours, "d", alternative, reference, observed_data=data, seed=0)
    # d's noise is drawn anew in each arm by DoWhy and shared by ours: the difference is its noise
    assert mine == pytest.approx(theirs, abs=4 * float(ours.mechanisms["d"].noise_std) * np.sqrt(2 / N))


# ------------------------------------------------------------------ categorical nodes
def test_categorical_nodes_keep_labels_and_their_law(smokers):
    model, ours, data = smokers
    assert ours.labels == {"smoker": ("no", "yes"), "cancer": ("no", "yes")}
    n = 6000
    np.random.seed(2)
    for interventions in ({"smoker": lambda s: "yes"}, {"smoker": lambda s: "no"}):
        theirs = gcm.interventional_samples(model, interventions, num_samples_to_draw=n)
        mine = cw.interventional_samples(ours, interventions, num_samples_to_draw=n, seed=3)
        assert mine["cancer"].dtype == "category" and set(mine["cancer"]) <= {"no", "yes"}
        p_theirs, p_mine = (theirs["cancer"] == "yes").mean(), (mine["cancer"] == "yes").mean()
        assert abs(p_theirs - p_mine) < 4 * np.sqrt(0.25 * 2 / n)
    np.random.seed(3)
    ace_theirs = gcm.average_causal_effect(model, "cancer", {"smoker": lambda s: "yes"}, {"smoker": lambda s: "no"},
                                           num_samples_to_draw=n)
    ace_mine = cw.average_causal_effect(ours, "cancer", {"smoker": lambda s: "yes"}, {"smoker": lambda s: "no"},
                                        num_samples_to_draw=n, seed=4)
    assert abs(ace_theirs - ace_mine) < 4 * np.sqrt(0.5 / n) + 0.01


def test_a_categorical_counterfactual_that_dowhy_cannot_give(smokers):
    model, ours, data = smokers
    rows = data.head(30)
    with pytest.raises(ValueError):  # a ClassifierFCM is not invertible: DoWhy refuses (py-why/dowhy#1146)
        gcm.counterfactual_samples(model, {"smoker": lambda s: "no"}, observed_data=rows)
    same = cw.counterfactual_samples(ours, {}, observed_data=rows, seed=0)
    pd.testing.assert_series_equal(same["cancer"].astype(str), rows["cancer"].astype(str))  # abduction reproduces
    flipped = cw.counterfactual_samples(ours, {"smoker": lambda s: "no"}, observed_data=rows, seed=0)
    assert set(flipped["smoker"]) == {"no"} and list(flipped["cancer"].cat.categories) == ["no", "yes"]
    # the tar of a smoker loses exactly the fitted effect of smoking, its own noise kept
    effect = float(ours.mechanisms["tar"].predict(torch.tensor([[1.0]], dtype=torch.float64))
                   - ours.mechanisms["tar"].predict(torch.tensor([[0.0]], dtype=torch.float64)))
    smoked = (rows["smoker"] == "yes").to_numpy()
    np.testing.assert_allclose(flipped["tar"].to_numpy()[smoked], rows["tar"].to_numpy()[smoked] - effect, atol=1e-9)


# ------------------------------------------------------------------ shapes and errors
def test_tables_keep_the_index_extra_columns_and_column_order_as_dowhys(nonlinear):
    model, ours, data = nonlinear
    rows = data.head(6)[["d", "b", "a", "c"]].assign(note=list("uvwxyz"))
    rows.index = [10, 20, 30, 40, 50, 60]
    theirs = gcm.interventional_samples(model, {"c": lambda x: 0.0}, observed_data=rows)
    mine = cw.interventional_samples(ours, {"c": lambda x: 0.0}, observed_data=rows, seed=0)
    assert list(mine.columns) == list(theirs.columns) == ["d", "b", "a", "c", "note"]
    assert list(mine.index) == list(theirs.index)
    pd.testing.assert_frame_equal(mine[["b", "a", "c", "note"]], theirs[["b", "a", "c", "note"]])
    # a column nothing reads may be missing: b is upstream of the target d and not its parent
    full = cw.interventional_samples(ours, {"d": lambda x: x + 1}, observed_data=rows, seed=0)
    partial = cw.interventional_samples(ours, {"d": lambda x: x + 1}, observed_data=rows.drop(columns="b"), seed=0)
    pd.testing.assert_frame_equal(partial, full.drop(columns="b"))
    with pytest.raises(MissingVariableError, match="'c'"):  # a parent of the target is read
        cw.interventional_samples(ours, {"d": lambda x: x + 1}, observed_data=rows.drop(columns="c"), seed=0)


def test_a_dowhy_model_given_to_our_verbs_and_unknown_nodes(nonlinear):
    model, ours, data = nonlinear
    with pytest.raises(ConversionError, match=r"SCM\.from_dowhy"):
        cw.counterfactual_samples(model, {"b": lambda x: 0.0}, observed_data=data.head(3))
    with pytest.raises(ConversionError, match=r"SCM\.from_dowhy"):
        cw.draw_samples(model, 3)
    for library, scm in ((gcm, model), (cw, ours)):  # except ValueError catches both
        with pytest.raises(ValueError):
            library.interventional_samples(scm, {"nope": lambda x: 0.0}, num_samples_to_draw=3)


def test_wrapped_models_refuse_save_and_cuda_naming_the_fix(nonlinear, tmp_path):
    _, ours, _ = nonlinear
    with pytest.raises(ConversionError, match=r"SCM\.fit\(model\.graph, data\)"):
        ours.save(tmp_path / "m")
    with pytest.raises(DeviceError, match=r"SCM\.fit\(model\.graph, data\)"):
        ours.to("cuda")
    assert not (tmp_path / "m" / "scm.json").exists()


def test_extrapolation_warns_through_dowhys_verbs():
    truth = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5, dtype=torch.float64)
    fitted = cw.SCM.fit(truth.graph, truth.to_frame(truth.sample(200, seed=0)), "linear", progress=False)
    with pytest.warns(ExtrapolationWarning, match="outside the range"):
        cw.interventional_samples(fitted, {"x": lambda x: 50.0}, num_samples_to_draw=5, seed=0)
    with pytest.warns(ExtrapolationWarning, match="outside the range"):
        cw.counterfactual_samples(fitted, {"x": 50.0}, observed_data=cw.draw_samples(fitted, 3, seed=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a soft shift inside the data is no extrapolation
        cw.interventional_samples(fitted, {"x": lambda x: 0.0}, num_samples_to_draw=5, seed=0)


def test_counterfactuals_from_dowhys_noise_of_categorical_nodes(smokers):
    # DoWhy's noise of a ClassifierFCM is one uniform value per row (the class whose cumulative
    # probability first reaches it) and a root's noise is its value (a label): noise_data written
    # for DoWhy gives DoWhy's answers, categories and all.
    model, ours, data = smokers
    rng = np.random.default_rng(5)
    noise = pd.DataFrame({"smoker": rng.choice(["no", "yes"], 200), "tar": rng.normal(size=200),
                          "cancer": rng.uniform(size=200)})
    for interventions in ({"tar": lambda t: t + 1.5}, {"smoker": lambda s: "yes"}, {}):
        theirs = quietly(gcm.counterfactual_samples, model, interventions, noise_data=noise)
        mine = cw.counterfactual_samples(ours, interventions, noise_data=noise)
        assert list(mine["cancer"].astype(str)) == list(theirs["cancer"].astype(str))
        assert list(mine["smoker"].astype(str)) == list(theirs["smoker"].astype(str))
        np.testing.assert_allclose(mine["tar"].to_numpy(), theirs["tar"].to_numpy(), atol=1e-9)
    flipped = (cw.counterfactual_samples(ours, {"tar": lambda t: t + 1.5}, noise_data=noise)["cancer"].astype(str)
               != cw.counterfactual_samples(ours, {}, noise_data=noise)["cancer"].astype(str))
    assert flipped.any()  # the intervention does move some of them
    with pytest.raises(OutOfRangeError, match=r"\[0, 1\]"):
        cw.counterfactual_samples(ours, {}, noise_data=noise.assign(cancer=noise["cancer"] + 1))
