"""Discrete variables keep their labels (strings, booleans, a pandas categorical's categories) in
and out of every verb, checked against the codes the same model gives for the same rows."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

import causalworld as cw
from causalworld.errors import ArgumentError, InterventionError, OutOfRangeError
from causalworld.scm.labels import categorical, decode, encode


@pytest.fixture(scope="module")
def smokers():
    """smoker (bool) -> tar (float) -> cancer ('no' / 'yes'), fitted on labelled data."""
    rng = np.random.default_rng(0)
    smoker = rng.random(600) < 0.4
    tar = 2.0 * smoker + rng.normal(size=600)
    cancer = np.where(tar + rng.logistic(size=600) > 1.5, "yes", "no")
    data = pd.DataFrame({"smoker": smoker, "tar": tar, "cancer": cancer})
    return cw.SCM.fit([("smoker", "tar"), ("tar", "cancer")], data, "linear", progress=False), data


def test_a_model_fitted_on_labels_answers_with_them(smokers):
    scm, data = smokers
    assert scm.labels == {"smoker": (False, True), "cancer": ("no", "yes")}
    for frame in (cw.draw_samples(scm, 5, seed=0),
                  cw.interventional_samples(scm, {"smoker": lambda s: True}, num_samples_to_draw=5, seed=0),
                  cw.interventional_samples(scm, {"smoker": True}, observed_data=data.head(5), seed=0),
                  cw.counterfactual_samples(scm, {"smoker": lambda s: False}, observed_data=data.head(5), seed=0),
                  scm.counterfactual(data.head(5), {"smoker": False}, seed=0)):
        assert list(frame["smoker"].cat.categories) == [False, True]
        assert list(frame["cancer"].cat.categories) == ["no", "yes"]
    codes = scm.do({"smoker": 1}).sample(200, seed=1)
    labelled = scm.do({"smoker": True}).sample(200, seed=1)
    assert torch.equal(codes["cancer"], labelled["cancer"])


def test_a_callable_receives_and_returns_labels_in_dowhys_verbs(smokers):
    scm, data = smokers
    seen = []
    flip = cw.counterfactual_samples(scm, {"smoker": lambda s: seen.append(s) or ~s}, observed_data=data.head(8), seed=0)
    assert seen[0].dtype == bool
    assert (flip["smoker"].to_numpy() == ~data["smoker"].head(8).to_numpy()).all()
    yes = cw.interventional_samples(scm, {"cancer": lambda c: "yes"}, num_samples_to_draw=4, seed=0)
    assert yes["cancer"].tolist() == ["yes"] * 4
    with pytest.raises(InterventionError, match="'maybe' is not a category of 'cancer'"):
        cw.interventional_samples(scm, {"cancer": lambda c: "maybe"}, num_samples_to_draw=4, seed=0)


def test_an_observed_categorical_is_matched_by_label_not_by_its_codes():
    scm = cw.SCM([("x", "y")], {"x": cw.Binary(0), "y": cw.LinearGaussian(1, weight=[10.0], noise_std=0.1)},
                 labels={"x": ["hi", "lo"]}, dtype=torch.float64)
    observed = pd.DataFrame({"x": pd.Categorical(["lo"]), "y": [10.5]})  # its own code 0 is "lo", not "hi"
    cf = scm.counterfactual(observed, {}, seed=0)
    assert cf["x"].tolist() == ["lo"] and cf["y"].tolist() == pytest.approx([10.5])
    noise = scm.abduct(observed)
    assert float(noise["y"][0]) == pytest.approx(0.5)  # 10.5 - 10 * code 1
    with pytest.raises(OutOfRangeError, match="'mid' is not a category of 'x'"):
        scm.counterfactual(pd.DataFrame({"x": pd.Categorical(["mid"]), "y": [1.0]}), {})


def test_average_causal_effect_refuses_a_target_of_more_than_two_categories():
    scm = cw.SCM([("t", "y")], {"t": cw.Binary(0), "y": cw.Categorical(1, 3)}, labels={"y": ["a", "b", "c"]})
    with pytest.raises(ArgumentError, match="3 categories"):
        cw.average_causal_effect(scm, "y", {"t": lambda t: 1}, {"t": lambda t: 0}, num_samples_to_draw=10)
    binary = cw.SCM([("t", "y")], {"t": cw.Binary(0), "y": cw.Binary(1, weight=[2.0], bias=-1.0)},
                    labels={"y": ["no", "yes"]}, dtype=torch.float64)
    ace = cw.average_causal_effect(binary, "y", {"t": lambda t: 1}, {"t": lambda t: 0}, num_samples_to_draw=40_000, seed=0)
    assert ace == pytest.approx(1 / (1 + np.exp(-1)) - 1 / (1 + np.exp(1)), abs=0.01)  # P('yes') difference


def test_labels_survive_save_and_load(tmp_path, smokers):
    scm, data = smokers
    again = cw.SCM.load(scm.save(tmp_path / "m"))
    assert again.labels == scm.labels and type(again.labels["smoker"][0]) is bool
    pd.testing.assert_frame_equal(cw.draw_samples(again, 20, seed=3), cw.draw_samples(scm, 20, seed=3))


def test_encode_decode_round_trip_for_each_kind_of_label():
    for labels, values in ((("a", "b", "c"), ["c", "a"]), ((False, True), [True, False]), ((0, 1, 2), [2, 0]),
                           ((1.5, 2.5), [2.5, 1.5])):
        codes = encode("v", np.array(values, dtype=object), labels)
        assert decode(codes, labels).tolist() == values
        assert categorical(codes, labels).tolist() == values


@pytest.mark.parametrize("value", [2.0 ** 63, 1e300, -2.0 ** 70])
def test_a_huge_float_code_is_out_of_range_before_any_cast(value):
    # 2**63 does not fit int64: casting it first would warn and wrap around.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(OutOfRangeError, match="codes 0..1"):
            encode("x", np.array([value]), ["a", "b"])
