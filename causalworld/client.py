"""``Client``: the served model's routes as Python methods with the library's names and types.

Reasoning code that talks to ``causalworld serve`` calls ``client.counterfactual(observed, do)``
as it would call ``scm.counterfactual``: DataFrames (or dicts of columns) in, DataFrames out
(discrete variables as pandas categoricals, as ``scm.to_frame`` gives them), and a refused
request raises the same :mod:`causalworld.errors` type the library would have raised, with the
server's message.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import httpx
import networkx as nx
import numpy as np
import pandas as pd
from pydantic_core import from_json, to_json

from causalworld.errors import DTypeError, ExtrapolationWarning
from causalworld.serve import schemas as S
from causalworld.serve.statuses import error_class

__all__ = ["Client"]


def _column(name: str, values: Any) -> Any:
    if isinstance(values, pd.Series):  # a categorical goes as its labels, as the library matches it
        return values.tolist() if isinstance(values.dtype, pd.CategoricalDtype) else values.to_numpy().tolist()
    if hasattr(values, "detach"):  # a torch tensor
        return values.detach().cpu().numpy().tolist()
    if isinstance(values, np.ndarray):
        return values.tolist()
    if isinstance(values, (list, tuple)):
        return [v.item() if isinstance(v, np.generic) else v for v in values]
    if isinstance(values, np.generic):
        return values.item()
    return values  # anything else goes as it is, and the server names what is wrong with it


def _table(data: Any, what: str) -> dict[str, Any] | None:
    if data is None:
        return None
    if isinstance(data, pd.DataFrame):
        return {str(c): _column(str(c), data[c]) for c in data.columns}
    if isinstance(data, Mapping):
        return {str(k): _column(str(k), v) for k, v in data.items()}
    raise DTypeError(f"{what} must be a pandas DataFrame or a dict of columns, got {type(data).__name__}")


def _do(do: Any, what: str) -> dict[str, Any]:
    if do is None:
        return {}
    if not isinstance(do, Mapping):
        raise DTypeError(f"{what} must be a dict {{variable: value}}, got {type(do).__name__}")
    out = {}
    for k, v in do.items():
        if callable(v) and not hasattr(v, "detach"):
            raise DTypeError(
                f"{what}[{k!r}] is a callable, which cannot travel over HTTP; give a number, or one value per row"
            )
        out[str(k)] = _column(str(k), v) if not isinstance(v, (int, float)) else v
    return out


class Client:
    """A typed client of a served causalworld model.

    Parameters
    ----------
    url : str
        The server's address, such as ``"http://127.0.0.1:8000"`` (without ``/v1``).
    token : str, default=None
        The bearer token the server was started with.
    timeout : float, default=120.0
        Seconds to wait for an answer.
    http : httpx.Client, default=None
        A ready HTTP session to send requests with (your TLS, proxy or retry settings); by
        default the client opens its own.

    Raises
    ------
    causalworld.errors.CausalWorldError
        Each method raises the :mod:`causalworld.errors` type the server names for a refused
        request (``UnknownVariableError``, ``NonFiniteError``, ``RequestTooLargeError``,
        ``AuthenticationError``, ...); an unexpected answer raises ``httpx.HTTPStatusError``.

    Warns
    -----
    ExtrapolationWarning
        The server found ``do`` values outside the range the model was fitted on.

    Examples
    --------
    A session reads like the library. Here the server runs in a thread of this process (from a
    shell, ``causalworld serve my_model/`` starts one):

    >>> import threading, time, uvicorn
    >>> from causalworld.serve.app import create_app
    >>> from causalworld.serve.process import free_port
    >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5, dtype=torch.float64)
    >>> port = free_port()
    >>> server = uvicorn.Server(uvicorn.Config(create_app(scm), port=port, log_level="warning"))
    >>> thread = threading.Thread(target=server.run, daemon=True)
    >>> thread.start()
    >>> while not server.started:
    ...     time.sleep(0.01)
    >>> client = Client(f"http://127.0.0.1:{port}")
    >>> client.health().status, sorted(client.networkx().edges)
    ('ok', [('x', 'y')])
    >>> client.sample(3, do={"x": 1.0}, seed=0)["x"].tolist()
    [1.0, 1.0, 1.0]
    >>> client.counterfactual(pd.DataFrame({"x": [1.0], "y": [2.5]}), {"x": 0.0})  # y's noise 0.5 is kept
         x    y
    0  0.0  0.5
    >>> observed = pd.DataFrame({"x": [1.0, 2.0], "y": [2.5, 3.5]})
    >>> client.interventional_samples({"x": 0.0}, observed, seed=0)["x"].tolist()
    [0.0, 0.0]
    >>> client.graph().parents["y"]
    ['x']
    >>> client.average_causal_effect("y", {"x": 1.0}, {"x": 0.0}, num_samples_to_draw=100, seed=0)
    2.0
    >>> client.explain("x", "y").total_effect
    2.0
    >>> client.sample(2, do={"q": 1.0})
    Traceback (most recent call last):
    ...
    causalworld.errors.UnknownVariableError: 'q' is not a variable of this SCM; ...
    >>> client.close()
    >>> server.should_exit = True
    >>> thread.join()
    >>> Client("127.0.0.1:8000")
    Traceback (most recent call last):
    ...
    causalworld.errors.DTypeError: url must be an http(s) address such as 'http://127.0.0.1:8000', got '127.0.0.1:8000'
    """

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 120.0,
                 http: httpx.Client | None = None) -> None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise DTypeError(f"url must be an http(s) address such as 'http://127.0.0.1:8000', got {url!r}")
        self.url = url.rstrip("/")
        self._headers = {"Content-Type": "application/json"}
        if token is not None:
            self._headers["Authorization"] = f"Bearer {token}"
        self._own = http is None
        self._http = httpx.Client(timeout=timeout) if http is None else http

    def close(self) -> None:
        """Close the HTTP session (when the client opened it)."""
        if self._own:
            self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -------------------------------------------------------------------- transport
    def _answer(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                body = from_json(response.content)
            except ValueError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("error"), str) and isinstance(body.get("detail"), str):
                raise error_class(body["error"])(body["detail"])
            response.raise_for_status()
        return from_json(response.content)

    def _get(self, route: str) -> Any:
        return self._answer(self._http.get(f"{self.url}/v1/{route}", headers=self._headers))

    def _post(self, route: str, body: dict[str, Any]) -> Any:
        # NaN and infinity go as JSON's NaN/Infinity tokens, so the server names the column that has them
        content = to_json(body, inf_nan_mode="constants", serialize_unknown=True)
        return self._answer(self._http.post(f"{self.url}/v1/{route}", content=content, headers=self._headers))

    @staticmethod
    def _warn(answer: Any) -> None:
        for message in answer.get("warnings", []) if isinstance(answer, dict) else []:
            warnings.warn(str(message), ExtrapolationWarning, stacklevel=4)

    def _frame(self, answer: dict[str, Any]) -> pd.DataFrame:
        # the envelope is checked here; numpy and pandas refuse junk in the columns themselves
        answer = answer if isinstance(answer, dict) else {}
        columns, discrete = answer.get("columns"), answer.get("discrete")
        if not isinstance(columns, dict) or not isinstance(discrete, dict):
            raise DTypeError(f"the server's answer is not a table of rows: {str(answer)[:200]}")
        self._warn(answer)
        cols: dict[str, Any] = {}
        for name, values in columns.items():
            labels = discrete.get(name)
            if labels is None:
                cols[name] = np.asarray(values, dtype=np.float64)
            else:  # as scm.to_frame gives it: a categorical of the labels, in code order
                cols[name] = pd.Categorical(values, categories=labels)
        return pd.DataFrame(cols)

    # -------------------------------------------------------------------- the verbs
    def health(self) -> S.Health:
        """Whether the server is up (no token needed)."""
        return S.Health.model_validate(self._get("health"))

    def graph(self) -> S.GraphInfo:
        """The model's nodes, edges, parents, kinds and categories (:meth:`networkx` gives the graph)."""
        return S.GraphInfo.model_validate(self._get("graph"))

    def networkx(self) -> nx.DiGraph:
        """The model's graph as a ``networkx.DiGraph`` (nodes in topological order)."""
        info = self.graph()
        g = nx.DiGraph()
        g.add_nodes_from(info.nodes)
        g.add_edges_from(info.edges)
        return g

    def sample(self, n: int, do: Mapping[str, Any] | None = None, *, seed: int | None = None) -> pd.DataFrame:
        """``scm.do(do).sample(n, seed=seed)`` on the server, as a DataFrame."""
        return self._frame(self._post("sample", {"n": n, "do": _do(do, "do"), "seed": seed}))

    def interventional_samples(self, interventions: Mapping[str, Any], observed_data: Any = None,
                               num_samples_to_draw: int | None = None, *, seed: int | None = None) -> pd.DataFrame:
        """``causalworld.interventional_samples`` on the server (values, not callables, as interventions)."""
        return self._frame(self._post("interventional_samples", {
            "interventions": _do(interventions, "interventions"),
            "observed_data": _table(observed_data, "observed_data"),
            "num_samples_to_draw": num_samples_to_draw, "seed": seed}))

    def counterfactual(self, observed: Any, do: Mapping[str, Any], *, num_samples: int = 1,
                       seed: int | None = None) -> pd.DataFrame:
        """``scm.counterfactual(observed, do)`` on the server: each observed row under ``do``.

        ``do`` values may be numbers or one value per observed row (a list, array or Series).
        """
        return self._frame(self._post("counterfactual", {
            "observed": _table(observed, "observed"), "do": _do(do, "do"), "num_samples": num_samples, "seed": seed}))

    def average_causal_effect(self, target_node: str, interventions_alternative: Mapping[str, Any],
                              interventions_reference: Mapping[str, Any], observed_data: Any = None,
                              num_samples_to_draw: int | None = None, *, seed: int | None = None) -> float:
        """``causalworld.average_causal_effect`` on the server."""
        answer = self._post("average_causal_effect", {
            "target_node": target_node,
            "interventions_alternative": _do(interventions_alternative, "interventions_alternative"),
            "interventions_reference": _do(interventions_reference, "interventions_reference"),
            "observed_data": _table(observed_data, "observed_data"), "num_samples_to_draw": num_samples_to_draw,
            "seed": seed})
        self._warn(answer)
        return S.Effect.model_validate(answer).average_causal_effect

    def explain(self, cause: str, effect: str) -> S.Explanation:
        """Why ``cause`` moves ``effect``: the effect's parents, the directed paths and (linear models)
        each path's contribution and their total."""
        return S.Explanation.model_validate(self._post("explain", {"cause": cause, "effect": effect}))
