"""The published OpenAPI schema holds: schemathesis generates requests from ``/v1/openapi.json``
(its coverage phase of boundary and invalid values, then derandomised fuzzing capped at 20
examples per operation) against the app of a model with binary, categorical, Gaussian and MLP
mechanisms, and no answer is a 5xx or strays from the schema (status, content type, body,
headers), and every request the schema forbids is refused with a 4xx."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from causalworld.serve import create_app

# the model and the checks are the ones the longer run in benchmarks/serve_fuzz.py uses
_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "serve_fuzz.py"
_spec = importlib.util.spec_from_file_location("serve_fuzz_benchmark", _SCRIPT)
_fuzz = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _fuzz
_spec.loader.exec_module(_fuzz)
CHECKS = _fuzz.CHECKS


# a small row limit, so that generated sizes also meet it
schema = schemathesis.openapi.from_asgi("/v1/openapi.json", create_app(_fuzz.model(), max_rows=500))


@schema.parametrize()
@settings(max_examples=20, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    case.call_and_validate(checks=CHECKS)
