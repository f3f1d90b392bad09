"""The Client against real servers (``python -m causalworld serve`` in subprocesses on loopback):
its answers equal the library's on the same saved models, refusals come back as the library's
error types, the token is required where the server was started with one, and limits hold."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pandas as pd
import pytest
import torch

import causalworld as cw
from causalworld.client import Client
from causalworld.errors import (
    AuthenticationError,
    DTypeError,
    ExtrapolationWarning,
    MissingVariableError,
    NonFiniteError,
    OutOfRangeError,
    RequestTooLargeError,
    ShapeError,
    UnknownVariableError,
)
from causalworld.scm.mechanisms import AdditiveNoiseMLP, Binary, Categorical, GaussianRoot
from causalworld.serve.process import ServerProcess

TOKEN = "a-test-token-of-enough-length-0123"
MAX_ROWS = 2000
MAX_BODY = 1_000_000
W = {("x", "m"): 2.0, ("m", "y"): 3.0, ("x", "y"): -1.0, ("z", "y"): 0.5}


def linear_model() -> cw.SCM:
    return cw.SCM.linear([("x", "m"), ("m", "y"), ("x", "y"), ("z", "y")], W, [1.0, 0.5, 0.3, 0.8],
                         intercepts={"y": 1.5}, dtype=torch.float64)


def mixed_model() -> cw.SCM:
    """A binary root, a 3-category child of it (labelled), and an MLP of a continuous root and the category."""
    torch.manual_seed(3)
    g = [("t", "c"), ("x", "y"), ("c", "y")]
    mechs = {"t": Binary(0, bias=0.3), "c": Categorical(1, 3, weight=[[0.0, 1.0, 2.5]], bias=[0.5, 0.0, -1.0]),
             "x": GaussianRoot(0.0, 1.0), "y": AdditiveNoiseMLP(2, hidden=(8,), noise_std=0.4)}
    return cw.SCM(g, mechs, dtype=torch.float64, labels={"c": ["lo", "mid", "hi"]})


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    linear, mixed = linear_model(), mixed_model()
    linear.save(root / "linear")
    mixed.save(root / "mixed")
    one_thread = {"OMP_NUM_THREADS": "1"}  # two servers on a small shared machine
    servers = [ServerProcess(root / "linear", "--max-rows", str(MAX_ROWS), "--max-body-bytes", str(MAX_BODY),
                             env=one_thread),
               ServerProcess(root / "mixed", "--token", TOKEN, env=one_thread)]
    try:
        urls = [s.ready() for s in servers]
        with Client(urls[0]) as a, Client(urls[1], token=TOKEN) as b:
            yield {"linear": (linear, a), "mixed": (mixed, b)}
    finally:
        for s in servers:
            s.stop()


def assert_frame_equals_values(frame: pd.DataFrame, values: dict, scm: cw.SCM, atol: float = 1e-12) -> None:
    assert list(frame.columns) == list(scm.variables)
    for v in scm.variables:
        col = frame[v]
        if v in scm.discrete:
            assert isinstance(col.dtype, pd.CategoricalDtype) and list(col.cat.categories) == list(scm.labels[v])
            np.testing.assert_array_equal(col.cat.codes.to_numpy(), values[v].numpy())
        else:
            np.testing.assert_allclose(col.to_numpy(), values[v].numpy(), rtol=0, atol=atol)


# ------------------------------------------------------------------ answers equal the library's
def test_linear_counterfactual_equals_the_library_and_the_hand_computed_truth(models):
    scm, client = models["linear"]
    obs = scm.sample(300, seed=1)
    cf = client.counterfactual(scm.to_frame(obs), {"x": 0.5})
    assert_frame_equals_values(cf, scm.counterfactual(obs, {"x": 0.5}), scm)
    # the truth by hand: the noise is kept, x moves by dx, m by 2 dx, y by -dx + 3 * 2 dx
    dx = 0.5 - obs["x"].numpy()
    np.testing.assert_allclose(cf["m"], obs["m"].numpy() + 2.0 * dx, atol=1e-12)
    np.testing.assert_allclose(cf["y"], obs["y"].numpy() + 5.0 * dx, atol=1e-12)
    np.testing.assert_allclose(cf["z"], obs["z"].numpy(), atol=1e-12)


def test_per_row_do_equals_the_library(models):
    scm, client = models["linear"]
    obs = scm.sample(50, seed=2)
    per_row = np.linspace(-2.0, 2.0, 50)
    cf = client.counterfactual(obs, {"m": per_row, "z": 1.0})  # a dict of tensors goes too
    assert_frame_equals_values(cf, scm.counterfactual(obs, {"m": torch.from_numpy(per_row), "z": 1.0}), scm)


def test_mixed_counterfactual_with_posterior_draws_equals_the_library(models):
    scm, client = models["mixed"]
    obs = scm.sample(200, seed=4)
    cf = client.counterfactual(scm.to_frame(obs), {"t": 1}, num_samples=3, seed=5)
    assert len(cf) == 600
    assert_frame_equals_values(cf, scm.counterfactual(obs, {"t": 1}, num_samples=3, seed=5), scm, atol=1e-9)
    # the continuous root and the noise of y are kept: rows whose c did not change keep their y
    same = cf["c"].cat.codes.to_numpy()[:200] == obs["c"].numpy()
    np.testing.assert_allclose(cf["y"].to_numpy()[:200][same], obs["y"].numpy()[same], atol=1e-9)


def test_sample_and_interventional_samples_equal_the_library_under_a_seed(models):
    scm, client = models["mixed"]
    assert_frame_equals_values(client.sample(64, do={"c": "hi"}, seed=3), scm.do({"c": "hi"}).sample(64, seed=3), scm)
    assert (client.sample(5, do={"c": "hi"})["c"] == "hi").all()
    obs = scm.to_frame(scm.sample(40, seed=6))
    theirs = cw.interventional_samples(scm, {"t": 0}, observed_data=obs, seed=8)
    ours = client.interventional_samples({"t": 0}, observed_data=obs, seed=8)
    expected = {v: torch.from_numpy((theirs[v].cat.codes if v in scm.discrete else theirs[v]).to_numpy(copy=True))
                for v in scm.variables}
    assert_frame_equals_values(ours, expected, scm, atol=1e-9)


def test_average_causal_effect_equals_the_library_and_the_path_rule(models):
    scm, client = models["linear"]
    ace = client.average_causal_effect("y", {"x": 1.0}, {"x": 0.0}, num_samples_to_draw=500, seed=0)
    assert ace == pytest.approx(cw.average_causal_effect(scm, "y", {"x": 1.0}, {"x": 0.0}, num_samples_to_draw=500,
                                                         seed=0), abs=1e-12)
    assert ace == pytest.approx(W[("x", "y")] + W[("x", "m")] * W[("m", "y")], abs=1e-9)  # -1 + 2 * 3


def test_explain_splits_a_linear_effect_over_its_paths(models):
    scm, client = models["linear"]
    out = client.explain("x", "y")
    assert out.method == "linear path products" and out.parents == ["x", "m", "z"]
    assert [(p.nodes, p.contribution) for p in out.paths] == [(["x", "m", "y"], 6.0), (["x", "y"], -1.0)]
    assert out.total_effect == pytest.approx(5.0) == sum(p.contribution for p in out.paths)


def test_explain_on_a_nonlinear_model_lists_paths_without_numbers(models):
    _, client = models["mixed"]
    out = client.explain("t", "y")
    assert out.method == "paths only" and out.total_effect is None
    assert [p.nodes for p in out.paths] == [["t", "c", "y"]] and out.paths[0].contribution is None
    assert "average_causal_effect" in out.note


def test_graph_names_kinds_and_categories(models):
    scm, client = models["mixed"]
    info = client.graph()
    assert info.nodes == list(scm.variables)
    assert sorted(map(tuple, info.edges)) == sorted(scm.graph.edges)
    assert info.parents == {v: list(scm.parents(v)) for v in scm.variables}
    assert info.kinds == {"t": "discrete", "c": "discrete", "x": "continuous", "y": "continuous"}
    assert info.categories == {"t": [0, 1], "c": ["lo", "mid", "hi"]}
    assert info.mechanisms["y"] == "AdditiveNoiseMLP" and info.dtype == "float64"
    assert set(client.networkx().edges) == set(scm.graph.edges)


# ------------------------------------------------------------------ refusals come back typed
def _obs(scm, n=5):
    return scm.to_frame(scm.sample(n, seed=0))


BAD = {
    "unknown variable in do": ("linear", lambda c, s: c.counterfactual(_obs(s), {"xx": 1.0}), UnknownVariableError,
                               "did you mean 'x'"),
    "missing column": ("linear", lambda c, s: c.counterfactual(_obs(s).drop(columns="m"), {"x": 1.0}),
                       MissingVariableError, "'m'"),
    "NaN in observed": ("linear", lambda c, s: c.counterfactual(_obs(s).assign(m=np.nan), {"x": 1.0}),
                        NonFiniteError, "'m'"),
    "infinite do": ("linear", lambda c, s: c.sample(3, do={"x": float("inf")}), NonFiniteError, "finite"),
    "per-row do of the wrong length": ("linear", lambda c, s: c.counterfactual(_obs(s), {"x": [1.0, 2.0]}),
                                       ShapeError, "5 rows"),
    "columns of unequal length": ("linear", lambda c, s: c.counterfactual({"x": [1.0], "m": [1.0, 2.0], "y": [0.0],
                                                                           "z": [0.0]}, {}), ShapeError, "rows"),
    "code out of range": ("mixed", lambda c, s: c.counterfactual(_obs(s), {"c": 7}), OutOfRangeError, "0..2"),
    "unknown label": ("mixed", lambda c, s: c.counterfactual(_obs(s), {"c": "huge"}), OutOfRangeError, "'huge'"),
    "label of a continuous variable": ("mixed", lambda c, s: c.counterfactual(_obs(s).assign(x="lo"), {}), DTypeError,
                                       "'x'"),
    "a list where a number belongs": ("linear", lambda c, s: c.counterfactual({**_obs(s), "x": [[1.0]] * 5}, {}),
                                      DTypeError, "observed.x.0"),
    "negative seed": ("linear", lambda c, s: c.sample(3, seed=-1), OutOfRangeError, "seed"),
    "n of zero": ("linear", lambda c, s: c.sample(0), OutOfRangeError, "n"),
    "a callable do": ("linear", lambda c, s: c.counterfactual(_obs(s), {"x": lambda x: x + 1}), DTypeError, "HTTP"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_refusals_raise_the_library_error_types(models, case):
    which, call, error, words = BAD[case]
    scm, client = models[which]
    with pytest.raises(error, match=None) as info:
        call(client, scm)
    assert type(info.value) is error and words in str(info.value)


def test_the_same_refusal_raises_the_same_type_in_the_library(models):
    scm, client = models["linear"]
    obs = _obs(scm)
    for call in (lambda: scm.counterfactual(obs, {"xx": 1.0}), lambda: client.counterfactual(obs, {"xx": 1.0})):
        with pytest.raises(UnknownVariableError, match="did you mean 'x'") as info:
            call()
        assert isinstance(info.value, KeyError)  # still the builtin an except clause expects


def test_an_error_answer_is_422_with_the_class_name_and_the_fix(models):
    _, client = models["linear"]
    r = httpx.post(f"{client.url}/v1/sample", json={"n": 2, "do": {"q": 1.0}})
    assert r.status_code == 422
    assert r.json() == {"error": "UnknownVariableError",
                        "detail": "'q' is not a variable of this SCM; Known: x, m, z, y"}


# ------------------------------------------------------------------ the token
def test_a_token_server_refuses_requests_without_its_token(models):
    _, client = models["mixed"]
    with Client(client.url) as anonymous, Client(client.url, token="not-" + TOKEN) as wrong:
        for c in (anonymous, wrong):
            with pytest.raises(AuthenticationError):
                c.graph()
            with pytest.raises(AuthenticationError):
                c.counterfactual({"t": [0]}, {})  # refused before the body is looked at
        assert anonymous.health().variables == 4  # health needs no token
    r = httpx.get(f"{client.url}/v1/graph")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert client.graph().nodes  # the right token


# ------------------------------------------------------------------ limits
def test_rows_past_the_limit_are_refused(models):
    scm, client = models["linear"]
    big = scm.to_frame(scm.sample(MAX_ROWS + 1, seed=0))
    with pytest.raises(RequestTooLargeError, match=f"{MAX_ROWS:,} rows"):
        client.counterfactual(big, {"x": 0.0})
    with pytest.raises(RequestTooLargeError):
        client.sample(MAX_ROWS + 1)
    with pytest.raises(RequestTooLargeError):  # rows times posterior draws
        client.counterfactual(big.iloc[:1000], {"x": 0.0}, num_samples=3)
    assert len(client.counterfactual(big.iloc[:MAX_ROWS], {"x": 0.0})) == MAX_ROWS


def test_a_body_past_the_limit_is_refused_declared_or_streamed(models):
    _, client = models["linear"]
    body = json.dumps({"observed": {"x": [0.123456789012345] * 80_000}, "do": {}}).encode()
    assert len(body) > MAX_BODY
    r = httpx.post(f"{client.url}/v1/counterfactual", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "RequestTooLargeError"
    assert f"{MAX_BODY:,} bytes" in r.json()["detail"]

    def chunks():  # no Content-Length: the server counts while it reads
        for i in range(0, len(body), 65536):
            yield body[i:i + 65536]

    r = httpx.post(f"{client.url}/v1/counterfactual", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "RequestTooLargeError"


def test_the_servers_warnings_are_raised_as_extrapolation_warnings():
    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"rows": 1, "columns": {"x": [9.0]}, "discrete": {},
                                         "warnings": ["do(x) sets values in [9, 9], outside the range [-3, 3]"]})

    with Client("http://cw", http=httpx.Client(transport=httpx.MockTransport(server))) as client:
        with pytest.warns(ExtrapolationWarning, match=r"outside the range \[-3, 3\]"):
            frame = client.sample(1, do={"x": 9.0})
    assert frame["x"].tolist() == [9.0]
