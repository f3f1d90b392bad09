"""Property tests: over random SCMs and random (often bad) inputs, the core answers or raises a
typed CausalWorldError, never anything else; and good inputs keep their invariants."""

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import causalworld as cw
from causalworld.errors import CausalWorldError

MECHS = ["linear", "mlp", "pnl", "discrete"]
SETTINGS = settings(max_examples=int(__import__("os").environ.get("CW_HYPOTHESIS_EXAMPLES", 60)), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def scms(draw):
    return cw.random_scm(
        draw(st.integers(1, 8)),
        edges_per_node=draw(st.floats(0.0, 2.5)),
        mechanism=draw(st.sampled_from(MECHS)),
        cardinality=draw(st.integers(2, 4)),
        seed=draw(st.integers(0, 10_000)),
        dtype=draw(st.sampled_from([torch.float32, torch.float64])),
    )


BAD_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 5),
    st.text(max_size=3),
    st.none(),
    st.lists(st.floats(allow_nan=True), max_size=4),
    st.just(np.array([[1.0, 2.0]])),
    st.just(torch.zeros(3, device="meta")),
    st.just(lambda x: x + 1),
    st.just(lambda x: 1 / 0),
    st.just(lambda x: np.ones((2, 2))),
)


def _typed_only(fn):
    try:
        fn()
    except CausalWorldError:
        pass


@SETTINGS
@given(scm=scms(), data=st.data())
def test_counterfactual_with_random_bad_inputs_raises_only_typed_errors(scm, data):
    n = data.draw(st.integers(1, 6))
    obs = {k: v for k, v in scm.sample(n, seed=0).items()}
    mutation = data.draw(st.sampled_from(["none", "drop", "extra", "value", "nan", "shape", "device", "dtype"]))
    name = data.draw(st.sampled_from(scm.variables))
    if mutation == "drop":
        obs.pop(name)
    elif mutation == "extra":
        obs[name + data.draw(st.text(min_size=1, max_size=2))] = torch.zeros(n)
    elif mutation == "value":
        obs[name] = data.draw(BAD_VALUES)
    elif mutation == "nan":
        obs[name] = obs[name].double().clone()
        obs[name][0] = float("nan")
    elif mutation == "shape":
        obs[name] = torch.zeros(n + 1)
    elif mutation == "device":
        obs[name] = obs[name].to("meta")
    elif mutation == "dtype":
        obs[name] = np.array(["a"] * n)
    do_var = data.draw(st.sampled_from(list(scm.variables) + ["not_a_variable"]))
    do_val = data.draw(st.one_of(BAD_VALUES, st.integers(0, 3)))
    _typed_only(lambda: scm.counterfactual(obs, {do_var: do_val}, num_samples=data.draw(st.integers(-1, 3)),
                                           seed=data.draw(st.one_of(st.integers(0, 5), st.none()))))


@SETTINGS
@given(scm=scms(), data=st.data())
def test_sample_do_and_verbs_with_random_arguments_raise_only_typed_errors(scm, data):
    n = data.draw(st.one_of(st.integers(-2, 5), st.floats(0, 3), st.none()))
    do = {data.draw(st.sampled_from(list(scm.variables) + ["zz"])): data.draw(BAD_VALUES)}
    _typed_only(lambda: scm.do(do).sample(n, seed=1))
    _typed_only(lambda: cw.interventional_samples(scm, do, num_samples_to_draw=n))
    _typed_only(lambda: cw.counterfactual_samples(scm, do))
    _typed_only(lambda: scm.log_prob({v: data.draw(BAD_VALUES) for v in scm.variables[:1]}))


@SETTINGS
@given(scm=scms(), n=st.integers(1, 20), seed=st.integers(0, 100))
def test_good_inputs_keep_invariants(scm, n, seed):
    obs = scm.sample(n, seed=seed)
    same = scm.counterfactual(obs, {}, num_samples=2, seed=seed)
    for v in scm.variables:
        assert same[v].shape[0] == 2 * n
        if scm.cardinality(v) is None:
            assert torch.allclose(same[v][:n], obs[v], atol=1e-3, rtol=1e-3)
        else:
            assert torch.equal(same[v][:n], obs[v])
    assert torch.isfinite(scm.log_prob(obs)).all()
