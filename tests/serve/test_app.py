"""The app in this process (httpx over ASGI): the folders it serves, the schema it publishes, how
it words a request pydantic refuses, and the time and body limits."""

from __future__ import annotations

import time

import anyio
import httpx
import pytest
import torch

import causalworld as cw
from causalworld.errors import DTypeError, ExtrapolationWarning, ModelFileError, OutOfRangeError
from causalworld.serve import create_app, load_model


def ask(app, method: str, path: str, **kw) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://cw") as http:
            return await http.request(method, path, **kw)

    return anyio.run(go)


@pytest.fixture(scope="module")
def scm():
    return cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5, dtype=torch.float64)


@pytest.fixture(scope="module")
def app(scm):
    return create_app(scm, max_rows=100, max_body_bytes=20_000)


def test_an_experiment_run_folder_is_served_with_its_learned_model(tmp_path):
    from interventions import Experiment, RandomPolicy
    from tests.interventions.worlds import Pair

    result = Experiment(Pair(image_size=8), policy=RandomPolicy(), rounds=1, episodes_per_round=30, seed=0,
                        out=tmp_path / "run", progress=False).run()
    app = create_app(tmp_path / "run")
    info = ask(app, "GET", "/v1/graph").json()
    assert info["nodes"] == list(result.scm.variables)
    assert sorted(map(tuple, info["edges"])) == sorted(result.scm.graph.edges)
    obs = result.scm.sample(4, seed=0)
    v = result.scm.variables[0]
    value = sum(result.scm.fitted_ranges[v]) / 2  # inside the data: no extrapolation warning
    body = {"observed": {k: t.tolist() for k, t in obs.items()}, "do": {v: value}}
    got = ask(app, "POST", "/v1/counterfactual", json=body).json()["columns"]
    want = result.scm.counterfactual(obs, {v: value})
    for k in result.scm.variables:
        assert got[k] == pytest.approx(want[k].tolist(), abs=1e-6)


def test_a_folder_without_a_model_is_a_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match="neither a saved SCM"):
        load_model(tmp_path)
    (tmp_path / "experiment.json").write_text("{}")
    with pytest.raises(ModelFileError, match="experiment run"):
        create_app(tmp_path)


def test_the_schema_is_published_under_v1_with_every_route(app):
    doc = ask(app, "GET", "/v1/openapi.json").json()
    assert set(doc["paths"]) == {"/v1/health", "/v1/graph", "/v1/sample", "/v1/interventional_samples",
                                 "/v1/counterfactual", "/v1/average_causal_effect", "/v1/explain"}
    refused = doc["paths"]["/v1/counterfactual"]["post"]["responses"]
    assert {"200", "413", "422", "503"} <= set(refused)
    assert refused["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


@pytest.mark.parametrize(("body", "error", "words"), [
    ({"observed": {"x": ["a"], "y": [1.0]}, "do": {}}, "DTypeError", "'x'"),
    ({"observed": {"x": [[1.0]], "y": [1.0]}, "do": {}}, "DTypeError", "observed.x.0"),
    ({"observed": {"x": [None], "y": [1.0]}, "do": {}}, "DTypeError", "observed.x.0"),
    ({"observed": {"x": [1.0], "y": [1.0]}}, "ArgumentError", "lacks do"),
    ({"obsrved": {"x": [1.0], "y": [1.0]}, "do": {}}, "ArgumentError", "did you mean 'observed'"),
    ({"observed": {"x": [1.0], "y": [1.0]}, "do": {}, "num_samples": 0}, "OutOfRangeError", "num_samples"),
    ({"observed": {"x": 1.0, "y": [1.0]}, "do": {}}, "DTypeError", "observed.x"),
    ([1, 2], "DTypeError", "the body"),
])
def test_a_request_pydantic_refuses_is_named_as_a_library_error(app, body, error, words):
    r = ask(app, "POST", "/v1/counterfactual", json=body)
    assert r.status_code == 422 and r.json()["error"] == error and words in r.json()["detail"]


def test_a_body_that_is_not_json_is_a_dtype_error(app):
    r = ask(app, "POST", "/v1/counterfactual", content=b"\xff{", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "DTypeError" and "JSON" in r.json()["detail"]


def test_nan_in_json_is_refused_by_name(app):
    r = ask(app, "POST", "/v1/counterfactual", content=b'{"observed": {"x": [NaN], "y": [1.0]}, "do": {}}',
            headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "NonFiniteError" and "'x'" in r.json()["detail"]


def test_a_streamed_body_under_the_limit_reaches_the_route(app, scm):
    body = b'{"observed": {"x": [1.0], "y": [2.5]}, "do": {"x": 0.0}}'

    async def chunks():
        for i in range(0, len(body), 7):
            yield body[i:i + 7]

    r = ask(app, "POST", "/v1/counterfactual", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["columns"] == {"x": [0.0], "y": [0.5]}


def test_a_query_past_the_time_limit_is_answered_503(scm, monkeypatch):
    def slow(self, *args, **kwargs):
        time.sleep(1.0)
        return {}

    app = create_app(scm, timeout_s=0.05)
    monkeypatch.setattr(cw.SCM, "counterfactual", slow)
    start = time.perf_counter()
    r = ask(app, "POST", "/v1/counterfactual", json={"observed": {"x": [1.0], "y": [2.5]}, "do": {}})
    assert time.perf_counter() - start < 0.9  # answered at the limit, not when the work ends
    assert r.status_code == 503 and r.json()["error"] == "RequestTimeoutError"
    assert "0.05 s" in r.json()["detail"]


def test_limits_and_token_are_checked_when_the_app_is_made(scm):
    with pytest.raises(OutOfRangeError):
        create_app(scm, max_rows=0)
    with pytest.raises(DTypeError):
        create_app(scm, timeout_s="60")
    with pytest.raises(DTypeError):
        create_app(scm, token="")


def test_do_values_outside_the_fitted_range_come_back_as_warnings(scm):
    fitted = cw.SCM.fit(scm.graph, scm.to_frame(scm.sample(500, seed=0)), "linear", progress=False)
    lo, hi = fitted.fitted_ranges["x"]
    app = create_app(fitted)
    body = {"observed": {"x": [0.0], "y": [0.0]}, "do": {"x": hi + 10.0}}
    with pytest.warns(ExtrapolationWarning):  # the library's own warning, in the server's log
        answer = ask(app, "POST", "/v1/counterfactual", json=body).json()
    (message,) = answer["warnings"]
    assert message.startswith("do(x) sets values in") and f"{hi:.4g}" in message
    inside = ask(app, "POST", "/v1/counterfactual", json={**body, "do": {"x": (lo + hi) / 2}}).json()
    assert inside["warnings"] == []
    with pytest.warns(ExtrapolationWarning):
        effect = ask(app, "POST", "/v1/average_causal_effect", json={
            "target_node": "y", "interventions_alternative": {"x": [lo - 1.0]}, "interventions_reference": {"x": 0.0},
            "observed_data": {"x": [0.0], "y": [0.0]}}).json()
    assert len(effect["warnings"]) == 1


def test_a_query_over_the_memory_limit_is_answered_413_with_its_class(app, monkeypatch):
    from causalworld.memory import MAX_BYTES_ENV

    monkeypatch.setenv(MAX_BYTES_ENV, "1k")  # 50 rows of 2 values and 2 noises, twice over: 3.2 kB
    r = ask(app, "POST", "/v1/sample", json={"n": 50, "seed": 0})
    assert r.status_code == 413 and r.json()["error"] == "MemoryLimitError"
    assert "sample(n=50)" in r.json()["detail"] and f"raise {MAX_BYTES_ENV}" in r.json()["detail"]
    monkeypatch.setenv(MAX_BYTES_ENV, "1M")
    assert ask(app, "POST", "/v1/sample", json={"n": 50, "seed": 0}).status_code == 200
