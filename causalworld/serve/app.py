"""The HTTP API of a saved SCM: a FastAPI app whose routes are the library's query verbs.

The outer layer of the loop in ``docs/architecture.md``: reasoning code in any language asks a
learned (or true) model for samples, interventional and counterfactual rows, effects and their
explanation over JSON. Each route parses its request, calls one library function, and formats
the answer; errors from :mod:`causalworld.errors` become the status of
:mod:`causalworld.serve.statuses` with ``{"error": <class name>, "detail": <message>}``. Queries
run in worker threads under the time limit, so one long query does not stop the others.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import anyio
import numpy as np
import pandas as pd
import torch
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic_core import from_json, to_json
from starlette.exceptions import HTTPException as StarletteHTTPException

import causalworld
from causalworld.errors import (
    ArgumentError,
    AuthenticationError,
    CausalWorldError,
    DTypeError,
    ModelFileError,
    NonFiniteError,
    OutOfRangeError,
    RequestTimeoutError,
    ShapeError,
    suggest,
)
from causalworld.scm.labels import decode
from causalworld.scm.model import SCM
from causalworld.scm.verbs import average_causal_effect, interventional_samples
from causalworld.serve import schemas as S
from causalworld.serve.explain import explain
from causalworld.serve.limits import BodySizeLimit, Limits
from causalworld.serve.statuses import status_of

__all__ = ["create_app", "load_model", "PREFIX"]

PREFIX = "/v1"
T = TypeVar("T")


def load_model(folder: str | os.PathLike, *, device: str | torch.device | None = None) -> SCM:
    """The SCM saved in ``folder``: a folder written by ``scm.save`` or an experiment's run folder
    (``Experiment(out=...)`` keeps its learned model in ``out/scm``).

    Raises
    ------
    ModelFileError
        ``folder`` holds neither, or the model in it is damaged.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}).save(folder)
    ...     load_model(folder).variables
    ('x', 'y')
    """
    if not isinstance(folder, (str, os.PathLike)) or isinstance(folder, str) and not folder:
        raise DTypeError(f"the model folder must be a path, got {type(folder).__name__} {folder!r}")
    path = Path(folder)
    if (path / "scm.json").exists():
        return SCM.load(path, device=device)
    if (path / "experiment.json").exists() and (path / "scm" / "scm.json").exists():
        return SCM.load(path / "scm", device=device)
    raise ModelFileError(
        f"{path} holds neither a saved SCM (scm.json) nor an experiment run (experiment.json and scm/); "
        "give the folder scm.save(folder) wrote, or the out folder of interventions.Experiment"
    )


# ------------------------------------------------------------------------------ errors
_FIELD_FIXES = {
    "DTypeError": "give JSON numbers (or a discrete variable's labels), one list of them per column",
    "OutOfRangeError": "give a value inside the range the field allows",
    "ShapeError": "give the number of values the field expects",
    "ArgumentError": "see the request schema at /v1/openapi.json",
}


def _where(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc[1:]] if loc and loc[0] == "body" else [str(p) for p in loc]
    return ".".join(parts) or "the body"


def _validation_error(errors: list[dict[str, Any]], model: type | None = None) -> CausalWorldError:
    """The :mod:`causalworld.errors` error a pydantic validation failure stands for, naming the field."""
    # a misspelt field also shows as the missing one: name the misspelling first
    errors = sorted(errors, key=lambda e: e.get("type") != "extra_forbidden")
    e = errors[0] if errors else {"type": "", "loc": (), "msg": "invalid request"}
    kind, where, msg = e.get("type", ""), _where(tuple(e.get("loc", ()))), e.get("msg", "")
    got = e.get("input")
    shown = f"; got {got!r:.60}" if kind not in ("missing", "json_invalid") else ""
    if kind == "missing":
        err: CausalWorldError = ArgumentError(f"the request lacks {where}; see the request schema at /v1/openapi.json")
    elif kind == "extra_forbidden":
        field = where.rsplit(".", 1)[-1]
        known = list(getattr(model, "model_fields", {})) if model is not None else []
        err = ArgumentError(f"{where} is not a field of this request; {suggest(field, known)}")
    elif kind in ("json_invalid", "model_attributes_type") or kind.endswith(("_type", "_parsing")):
        err = DTypeError(f"{where}: {msg}{shown}; {_FIELD_FIXES['DTypeError']}")
    elif kind.startswith(("greater_than", "less_than")):
        err = OutOfRangeError(f"{where}: {msg}{shown}; {_FIELD_FIXES['OutOfRangeError']}")
    elif kind in ("too_short", "too_long"):
        err = ShapeError(f"{where}: {msg}; {_FIELD_FIXES['ShapeError']}")
    else:
        err = ArgumentError(f"{where}: {msg}{shown}; {_FIELD_FIXES['ArgumentError']}")
    more = len(errors) - 1
    if more > 0:
        err = type(err)(f"{err} (and {more} more problem{'s' if more > 1 else ''} in the request)")
    return err


def _error_response(err: BaseException) -> JSONResponse:
    status = status_of(err).http
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": type(err).__name__, "detail": str(err)}, status_code=status, headers=headers)


_REQUESTS = {"sample": S.SampleRequest, "interventional_samples": S.InterventionalRequest,
             "counterfactual": S.CounterfactualRequest, "average_causal_effect": S.AverageCausalEffectRequest,
             "explain": S.ExplainRequest}  # route -> its body, to suggest a field for a misspelt one

_ERRORS = {code: {"model": S.ErrorBody, "description": text} for code, text in [
    (413, "the request is past the server's size limits (RequestTooLargeError)"),
    (422, "the request is invalid: the body names the causalworld.errors class and the fix"),
    (503, "the query ran past the server's time limit (RequestTimeoutError)"),
]}


# ------------------------------------------------------------------------------ values in and out
def _rows(table: Mapping[str, list] | None) -> int:
    return max((len(c) for c in table.values()), default=0) if table else 0


def _do_rows(do: Mapping[str, Any]) -> int:
    return max((len(v) for v in do.values() if isinstance(v, list)), default=0)


class _JSONRequest(Request):
    """A request whose JSON body is parsed by pydantic's Rust parser (several times ``json``'s
    speed on a large table; JSON's ``NaN`` and ``Infinity`` still come through, so the library
    names the column that holds them)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = from_json(await self.body(), allow_inf_nan=True)
        return self._json


class _Route(APIRoute):
    """The routes of the API, reading their bodies as :class:`_JSONRequest`."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            return await handler(_JSONRequest(request.scope, request.receive))

        return route


def _json(model: Any) -> Response:
    """Serialise an answer in pydantic's Rust encoder (a large table costs a fraction of ``json``'s time)."""
    return Response(to_json(model), media_type="application/json")


def _outside(scm: SCM, *interventions: Mapping[str, Any]) -> list[str]:
    """The library's ExtrapolationWarning, as text for the answer: hard ``do`` values outside the
    range the model was fitted on. The library warns in the server's log; warnings raised in
    worker threads cannot be caught per request (``warnings.catch_warnings`` is process-wide), so
    the same public check on ``scm.fitted_ranges`` is made here."""
    ranges, out = scm.fitted_ranges, []
    for do in interventions:
        for v, value in do.items():
            values = value if isinstance(value, list) else [value]
            numbers = [float(x) for x in values if isinstance(x, (int, float)) and not isinstance(x, bool)]
            if v not in ranges or v in scm.discrete or not numbers:
                continue
            (lo, hi), vmin, vmax = ranges[v], min(numbers), max(numbers)
            if vmin < lo or vmax > hi:
                out.append(f"do({v}) sets values in [{vmin:.4g}, {vmax:.4g}], outside the range [{lo:.4g}, {hi:.4g}] "
                           "the model was fitted on; the answer extrapolates the fitted mechanisms")
    return out


def _discrete(scm: SCM) -> dict[str, list[Any]]:
    return {v: list(labels) for v, labels in scm.labels.items()}


def _values_answer(scm: SCM, values: Mapping[str, torch.Tensor], warned: list[str]) -> Response:
    """Tensors (codes for discrete variables) as columns (labels for discrete variables)."""
    labels = scm.labels
    columns = {}
    for v in scm.variables:
        arr = values[v].detach().cpu().numpy()
        columns[v] = (decode(arr, labels[v]) if v in labels else arr).tolist()
    n = len(columns[scm.variables[0]]) if scm.variables else 0
    return _json({"rows": n, "columns": columns, "discrete": _discrete(scm), "warnings": warned})


def _frame_answer(scm: SCM, frame: pd.DataFrame, warned: list[str]) -> Response:
    """A verb's DataFrame (categoricals of labels for discrete variables) as columns."""
    columns = {v: frame[v].tolist() for v in scm.variables}
    return _json({"rows": len(frame), "columns": columns, "discrete": _discrete(scm), "warnings": warned})


# ------------------------------------------------------------------------------ the app
def create_app(
    model: SCM | str | os.PathLike,
    *,
    token: str | None = None,
    max_rows: int = Limits.max_rows,
    max_body_bytes: int = Limits.max_body_bytes,
    timeout_s: float = Limits.timeout_s,
    device: str | torch.device | None = None,
) -> FastAPI:
    """A FastAPI app answering queries on ``model`` under ``/v1``, its OpenAPI schema at ``/v1/openapi.json``.

    Parameters
    ----------
    model : SCM or path
        An SCM, or a folder holding one (see :func:`load_model`: a saved SCM or an experiment run).
    token : str, default=None
        When given, every query needs the header ``Authorization: Bearer <token>`` (401 without it).
    max_rows, max_body_bytes, timeout_s
        The limits of one request (see :class:`~causalworld.serve.limits.Limits`).
    device : str, default=None
        Where a model loaded from a folder computes (default: where it was saved).

    Raises
    ------
    ModelFileError
        The folder holds no model, or a damaged one.
    DTypeError, OutOfRangeError
        A limit of the wrong type or out of range.

    Examples
    --------
    >>> import anyio, httpx
    >>> app = create_app(cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}))
    >>> async def ask(body):
    ...     async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://cw") as http:
    ...         return (await http.post("/v1/counterfactual", json=body)).json()
    >>> anyio.run(ask, {"observed": {"x": [1.0], "y": [2.5]}, "do": {"x": 0.0}})
    {'rows': 1, 'columns': {'x': [0.0], 'y': [0.5]}, 'discrete': {}, 'warnings': []}
    >>> anyio.run(ask, {"observed": {"x": [1.0], "y": [2.5]}, "do": {"z": 0.0}})["error"]
    'UnknownVariableError'
    """
    limits = Limits(max_rows=max_rows, max_body_bytes=max_body_bytes, timeout_s=timeout_s)
    if token is not None and (not isinstance(token, str) or not token):
        raise DTypeError("token must be a non-empty string, or None for no authentication")
    scm = model if isinstance(model, SCM) else load_model(model, device=device)

    app = FastAPI(
        title="causalworld",
        version=causalworld.__version__,
        summary="Queries on a structural causal model: sample, interventional, counterfactual, effects.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    app.state.scm = scm
    app.state.limits = limits
    app.add_middleware(BodySizeLimit, max_bytes=limits.max_body_bytes)

    _handle_errors(app)

    responses = dict(_ERRORS)
    dependencies = []
    if token is not None:
        dependencies.append(Depends(_token_check(token)))
        responses[401] = {"model": S.ErrorBody, "description": "no bearer token, or another one (AuthenticationError)"}

    @app.get(f"{PREFIX}/health", response_model=S.Health, tags=["server"])
    async def health() -> S.Health:
        """Whether the server is up, and how many variables its model has."""
        return S.Health(variables=len(scm.variables), version=causalworld.__version__)

    app.include_router(_router(scm, limits, dependencies, responses))
    return app


def _handle_errors(app: FastAPI) -> None:
    """Answer every refusal with its status of the error table and ``{"error", "detail"}``."""

    @app.exception_handler(CausalWorldError)
    async def _library_error(request: Request, exc: CausalWorldError) -> JSONResponse:
        return _error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        body_model = _REQUESTS.get(request.url.path.rsplit("/", 1)[-1])
        return _error_response(_validation_error(list(exc.errors()), body_model))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's answer to a body it cannot decode
            return _error_response(DTypeError(
                "the request body is not readable JSON; send one JSON object (UTF-8, Content-Type: application/json) "
                "as the schema at /v1/openapi.json describes"))
        return JSONResponse({"error": "HTTPError", "detail": str(exc.detail)}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))


def _token_check(token: str) -> Callable[..., None]:
    """A dependency that refuses a request without ``Authorization: Bearer <token>`` (compared in
    constant time); declared as HTTP bearer security in the schema."""
    bearer = HTTPBearer(auto_error=False, description="the token the server was started with")

    def check_token(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if credentials is None:
            raise AuthenticationError("this server needs a bearer token: send 'Authorization: Bearer <token>' "
                                      "(Client(url, token=...))")
        if not secrets.compare_digest(credentials.credentials.encode(), token.encode()):
            raise AuthenticationError("the bearer token is not this server's; give the token it was started with")

    return check_token


async def _run(limits: Limits, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn`` in a worker thread; past the time limit the request is answered 503 (the thread
    finishes its work and its result is dropped: torch ops cannot be interrupted)."""
    with anyio.move_on_after(limits.timeout_s) as scope:
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), abandon_on_cancel=True)
    if scope.cancelled_caught:
        raise RequestTimeoutError(
            f"the query ran past this server's limit of {limits.timeout_s:g} s per request; ask for fewer "
            "rows per request (or start the server with a larger --timeout)"
        )
    raise RuntimeError("unreachable")  # pragma: no cover


def _router(scm: SCM, limits: Limits, dependencies: list[Any], responses: dict[int, Any]) -> APIRouter:
    """The query routes: each checks its rows, calls one library function, formats the answer."""
    api = APIRouter(prefix=PREFIX, dependencies=dependencies, responses=responses, tags=["queries"],
                    route_class=_Route)

    @api.get("/graph", response_model=S.GraphInfo)
    async def graph() -> S.GraphInfo:
        """The model's variables, edges, parents, kinds and categories."""
        discrete = scm.discrete
        return S.GraphInfo(
            nodes=list(scm.variables),
            edges=[[a, b] for a, b in scm.graph.edges],
            parents={v: list(scm.parents(v)) for v in scm.variables},
            kinds={v: "discrete" if v in discrete else "continuous" for v in scm.variables},
            categories=_discrete(scm),
            mechanisms={v: type(m).__name__ for v, m in scm.mechanisms.items()},
            interventions=list(scm.interventions),
            fitted_ranges={v: [float(lo), float(hi)] for v, (lo, hi) in scm.fitted_ranges.items()},
            dtype=str(scm.dtype).replace("torch.", ""),
            equations=scm.describe(),
        )

    @api.post("/sample", response_model=S.Rows)
    async def sample(request: S.SampleRequest) -> Response:
        """``scm.do(do).sample(n, seed=seed)``: n rows drawn from the model under ``do``."""
        limits.check_rows(max(request.n, _do_rows(request.do)), "n")
        values = await _run(limits, lambda: scm.do(request.do).sample(request.n, seed=request.seed))
        return _values_answer(scm, values, _outside(scm, request.do))

    @api.post("/interventional_samples", response_model=S.Rows)
    async def interventional(request: S.InterventionalRequest) -> Response:
        """``interventional_samples``: rows under the interventions, drawn anew or acting on ``observed_data``."""
        limits.check_rows(max(_rows(request.observed_data), request.num_samples_to_draw or 0,
                              _do_rows(request.interventions)), "the interventional query")
        frame = await _run(limits, interventional_samples, scm, request.interventions,
                           observed_data=request.observed_data, num_samples_to_draw=request.num_samples_to_draw,
                           seed=request.seed)
        return _frame_answer(scm, frame, _outside(scm, request.interventions))

    @api.post("/counterfactual", response_model=S.Rows)
    async def counterfactual(request: S.CounterfactualRequest) -> Response:
        """``scm.counterfactual(observed, do)``: each observed row as it would have been under ``do``
        (abduct, act, predict). Rows are ``num_samples`` draws per observed row, sample-major."""
        limits.check_rows(max(_rows(request.observed), _do_rows(request.do)) * request.num_samples,
                          "observed rows times num_samples")
        values = await _run(limits, scm.counterfactual, request.observed, request.do,
                            num_samples=request.num_samples, seed=request.seed)
        return _values_answer(scm, values, _outside(scm, request.do))

    @api.post("/average_causal_effect", response_model=S.Effect)
    async def ace(request: S.AverageCausalEffectRequest) -> S.Effect:
        """``average_causal_effect``: E[target | do(alternative)] - E[target | do(reference)]."""
        limits.check_rows(max(_rows(request.observed_data), request.num_samples_to_draw or 0,
                              _do_rows(request.interventions_alternative), _do_rows(request.interventions_reference)),
                          "the effect's rows")
        value = await _run(limits, average_causal_effect, scm, request.target_node,
                           request.interventions_alternative, request.interventions_reference,
                           observed_data=request.observed_data, num_samples_to_draw=request.num_samples_to_draw,
                           seed=request.seed)
        if not np.isfinite(value):
            raise NonFiniteError(f"the average causal effect on {request.target_node!r} came out {value}: the values "
                                 "overflow the model's dtype; use smaller intervention values")
        return S.Effect(target_node=request.target_node, average_causal_effect=value,
                        warnings=_outside(scm, request.interventions_alternative, request.interventions_reference))

    @api.post("/explain", response_model=S.Explanation)
    async def explain_effect(request: S.ExplainRequest) -> S.Explanation:
        """Why ``cause`` moves ``effect``: its parents, the directed paths, each path's part (linear models)."""
        return S.Explanation(**await _run(limits, explain, scm, request.cause, request.effect))

    return api
