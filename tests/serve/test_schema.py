"""The published OpenAPI schema holds: schemathesis generates requests from ``/v1/openapi.json``
(its coverage phase of boundary and invalid values, then derandomised fuzzing capped at 20
examples per operation) against the app of a model with binary, categorical, Gaussian and MLP
mechanisms, and no answer is a 5xx or strays from the schema (status, content type, body,
headers), and every request the schema forbids is refused with a 4xx."""

from __future__ import annotations

import schemathesis
import torch
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import causalworld as cw
from causalworld.scm.mechanisms import AdditiveNoiseMLP, Binary, Categorical, GaussianRoot
from causalworld.serve import create_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection]


def _model() -> cw.SCM:
    torch.manual_seed(0)
    mechs = {"t": Binary(0, bias=0.3), "c": Categorical(1, 3, weight=[[0.0, 1.0, 2.0]]), "x": GaussianRoot(),
             "y": AdditiveNoiseMLP(2, hidden=(4,), noise_std=0.5)}
    return cw.SCM([("t", "c"), ("x", "y"), ("c", "y")], mechs, labels={"t": [False, True], "c": ["lo", "mid", "hi"]})


# a small row limit, so that generated sizes also meet it
schema = schemathesis.openapi.from_asgi("/v1/openapi.json", create_app(_model(), max_rows=500))


@schema.parametrize()
@settings(max_examples=20, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    case.call_and_validate(checks=CHECKS)
