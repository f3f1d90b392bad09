"""Bad input to constructors, queries and interventions raises typed CausalWorldErrors (cases found
in review: each used to escape as a builtin exception)."""

import numpy as np
import pandas as pd
import pytest
import torch

import causalworld as cw
from causalworld.errors import CausalWorldError
from causalworld.scm.mechanisms import AdditiveNoiseMLP, Binary, GaussianRoot, LinearGaussian, PostNonlinear

SCM3 = cw.random_scm(3, seed=0)
Z = SCM3.variables[0]
OBS = SCM3.sample(5, seed=0)

CASES = {
    "complex callable": lambda: SCM3.do({Z: lambda x: 1j}).sample(3),
    "string array callable": lambda: SCM3.do({Z: lambda x: np.array(["a"] * len(x))}).sample(3),
    "chunk_size 0": lambda: SCM3.counterfactual(OBS, {}, chunk_size=0),
    "seed too large": lambda: SCM3.sample(3, seed=2**70),
    "mechanism not a Mechanism": lambda: cw.SCM([("x", "y")], {"x": 3, "y": LinearGaussian(1)}),
    "integer dtype": lambda: cw.SCM([("x", "y")], {"x": GaussianRoot(), "y": LinearGaussian(1)}, dtype=torch.int64),
    "string dtype": lambda: cw.SCM([("x", "y")], {"x": GaussianRoot(), "y": LinearGaussian(1)}, dtype="float64"),
    "unknown device": lambda: cw.SCM([("x", "y")], {"x": GaussianRoot(), "y": LinearGaussian(1)}, device="nope"),
    "weight of the wrong length": lambda: LinearGaussian(2, weight=[1, 2, 3]),
    "negative parents": lambda: AdditiveNoiseMLP(-1),
    "root inside PNL": lambda: PostNonlinear(GaussianRoot()),
    "string weight": lambda: cw.SCM.linear([("x", "y")], {("x", "y"): "a"}),
    "string noise_std": lambda: cw.SCM.linear([("x", "y")], {("x", "y"): 1.0}, noise_std="ab"),
    "no weights": lambda: cw.SCM.linear([("x", "y")], None),
    "string matrix": lambda: cw.SCM.linear([("x", "y")], [["a", "b"], ["c", "d"]]),
    "short weight_range": lambda: cw.random_scm(3, weight_range=(1,)),
    "float seed": lambda: cw.random_scm(3, seed=1.5),
    "empty tensor do": lambda: SCM3.do({Z: torch.tensor([])}),
    "nullable ints with NA": lambda: cw.SCM.fit([("x", "y")], pd.DataFrame(
        {"x": pd.array([1, 2, None] * 10, dtype="Int64"), "y": np.random.rand(30)}), progress=False),
    "labels of mixed kinds": lambda: cw.SCM.fit([("x", "y")], pd.DataFrame(
        {"x": pd.array(["a", 1, "c"] * 10, dtype=object), "y": np.random.rand(30)}), progress=False),
    "a label column with one value": lambda: cw.SCM.fit([("x", "y")], pd.DataFrame(
        {"x": ["a"] * 30, "y": np.random.rand(30)}), progress=False),
    "integer fit dtype": lambda: cw.SCM.fit([("x", "y")], {"x": torch.rand(30), "y": torch.rand(30)},
                                            progress=False, dtype=torch.int64),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_raises_a_typed_error(case):
    with pytest.raises(CausalWorldError):
        CASES[case]()


def test_a_boolean_soft_intervention_on_a_binary_variable_gives_codes():
    scm = cw.SCM([("t", "y")], {"t": Binary(0), "y": LinearGaussian(1, weight=[2.0])})
    out = scm.do({"t": lambda x: x >= 0}).sample(4, seed=0)
    assert out["t"].dtype == torch.int64 and bool((out["t"] == 1).all())


def test_an_unknown_variable_is_a_key_error_and_a_value_error_as_in_dowhy():
    for query in (lambda: SCM3.do({"nope": 1.0}), lambda: cw.interventional_samples(SCM3, {"nope": lambda x: 1.0},
                                                                                      num_samples_to_draw=3)):
        with pytest.raises(KeyError):
            query()
        with pytest.raises(ValueError, match="'nope' is not a variable"):
            query()
