"""The JSON the served model reads and writes: one pydantic model per request and per answer.

Field names are the library's argument names (``do``, ``observed``, ``num_samples``,
``interventions_alternative``, ...). A table of values travels by columns, ``{variable: [one
value per row]}``, as the library's ``{name: Tensor[N]}``; a discrete variable's values are its
labels (``"lo"``, ``true``; the codes ``0..K-1`` unless the model was given other labels), as
``scm.to_frame`` shows them. Nothing is parsed: a string where a number belongs is refused by
the library, naming the column. Unknown
fields are refused, so a misspelt argument is named instead of ignored. The client imports this
module too, so it needs pydantic and nothing of the server.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

__all__ = [
    "Label",
    "Table",
    "Do",
    "ErrorBody",
    "Health",
    "GraphInfo",
    "SampleRequest",
    "InterventionalRequest",
    "CounterfactualRequest",
    "AverageCausalEffectRequest",
    "ExplainRequest",
    "Rows",
    "Effect",
    "Path",
    "Explanation",
]

Label = Union[StrictFloat, StrictBool, StrictStr]
"""One value: a number, or a label of a discrete variable (a string, a boolean, a number)."""
Column = list[Label]
Table = dict[str, Column]
"""``{variable: [one value per row]}``: every column as long as the others."""
Do = dict[str, Union[Label, Column]]
"""``{variable: value}`` (a hard ``do`` for every row) or ``{variable: [one value per row]}``."""
Seed = Optional[StrictInt]
Pair = Annotated[list[str], Field(min_length=2, max_length=2)]
Range = Annotated[list[float], Field(min_length=2, max_length=2)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer: the :mod:`causalworld.errors` class name and its message.

    Examples
    --------
    >>> print(ErrorBody(error="UnknownVariableError", detail="'z' is not a variable").model_dump_json())
    {"error":"UnknownVariableError","detail":"'z' is not a variable"}
    """

    error: str = Field(description="the class name in causalworld.errors; the client raises that type")
    detail: str = Field(description="what is wrong and how to fix it")


class Health(BaseModel):
    """The answer of ``GET /v1/health``: the server is up and serves a model of ``variables`` variables.

    Examples
    --------
    >>> Health(variables=3, version="0.1.0").model_dump()
    {'status': 'ok', 'variables': 3, 'version': '0.1.0'}
    """

    status: Literal["ok"] = "ok"
    variables: int = Field(description="number of variables of the served model")
    version: str = Field(description="causalworld's version")


class GraphInfo(BaseModel):
    """The served model's structure: ``scm.variables``, ``scm.graph``, ``scm.parents``, kinds.

    Examples
    --------
    >>> info = GraphInfo(nodes=["x", "y"], edges=[["x", "y"]], parents={"x": [], "y": ["x"]},
    ...                  kinds={"x": "continuous", "y": "discrete"}, categories={"y": ["off", "on"]},
    ...                  mechanisms={"x": "GaussianRoot", "y": "Binary"}, interventions=[],
    ...                  fitted_ranges={"x": [-3.0, 3.0]}, dtype="float32", equations="...")
    >>> info.edges, info.categories["y"]
    ([['x', 'y']], ['off', 'on'])
    """

    nodes: list[str] = Field(description="variables in topological order (scm.variables)")
    edges: list[Pair] = Field(description="[parent, child] pairs")
    parents: dict[str, list[str]] = Field(description="each variable's parents, in the order its mechanism takes them")
    kinds: dict[str, Literal["continuous", "discrete"]]
    categories: dict[str, list[Label]] = Field(description="the labels of each discrete variable, in code order")
    mechanisms: dict[str, str] = Field(description="each variable's mechanism class")
    interventions: list[str] = Field(description="variables the saved model was already intervened on")
    fitted_ranges: dict[str, Range] = Field(description="[min, max] of the data each variable was fitted on")
    dtype: str
    equations: str = Field(description="scm.describe(): the structural equations")


class SampleRequest(_Request):
    """``scm.do(do).sample(n, seed=seed)``.

    Examples
    --------
    >>> SampleRequest(n=2, do={"x": 1.0}, seed=0).model_dump_json()
    '{"n":2,"do":{"x":1.0},"seed":0}'
    >>> SampleRequest.model_validate({"n": 2, "sede": 0})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for SampleRequest
    sede
      Extra inputs are not permitted ...
    """

    n: StrictInt = Field(ge=1, description="rows to draw")
    do: Do = Field(default_factory=dict, description="hard interventions, {variable: value or [one per row]}")
    seed: Seed = None


class InterventionalRequest(_Request):
    """``interventional_samples(scm, interventions, observed_data, num_samples_to_draw, seed=seed)``.

    Examples
    --------
    >>> r = InterventionalRequest.model_validate({"interventions": {"x": 2.0}, "num_samples_to_draw": 5})
    >>> r.interventions, r.observed_data, r.num_samples_to_draw
    ({'x': 2.0}, None, 5)
    """

    interventions: Do
    observed_data: Optional[Table] = Field(default=None, description="rows the interventions act on")
    num_samples_to_draw: Optional[StrictInt] = Field(default=None, ge=1, description="rows to draw instead")
    seed: Seed = None


class CounterfactualRequest(_Request):
    """``scm.counterfactual(observed, do, num_samples=num_samples, seed=seed)``: abduct, act, predict.

    Examples
    --------
    >>> r = CounterfactualRequest(observed={"x": [0.5], "y": [1.2]}, do={"x": 1.0})
    >>> r.num_samples, r.do
    (1, {'x': 1.0})
    """

    observed: Table = Field(description="every variable's observed value per row")
    do: Do = Field(description="the intervention; a list holds one value per observed row")
    num_samples: StrictInt = Field(default=1, ge=1, description="noise posterior draws per row (discrete variables)")
    seed: Seed = None


class AverageCausalEffectRequest(_Request):
    """``average_causal_effect(scm, target_node, interventions_alternative, interventions_reference, ...)``.

    Examples
    --------
    >>> r = AverageCausalEffectRequest(target_node="y", interventions_alternative={"x": 1.0},
    ...                                interventions_reference={"x": 0.0}, num_samples_to_draw=1000)
    >>> r.target_node, r.observed_data is None
    ('y', True)
    """

    target_node: str
    interventions_alternative: Do
    interventions_reference: Do
    observed_data: Optional[Table] = None
    num_samples_to_draw: Optional[StrictInt] = Field(default=None, ge=1)
    seed: Seed = None


class ExplainRequest(_Request):
    """Why ``cause`` moves ``effect``: the effect's parents and the directed paths between them.

    Examples
    --------
    >>> ExplainRequest(cause="x", effect="z").model_dump()
    {'cause': 'x', 'effect': 'z'}
    """

    cause: str
    effect: str


class Rows(BaseModel):
    """A table of answers, by columns, in ``nodes`` order.

    Examples
    --------
    >>> r = Rows(rows=2, columns={"x": [0.5, 1.5], "on": ["off", "on"]}, discrete={"on": ["off", "on"]})
    >>> r.columns["on"], r.warnings
    (['off', 'on'], [])
    """

    rows: int
    columns: dict[str, Column] = Field(description="{variable: [one value per row]}; discrete variables as labels")
    discrete: dict[str, list[Label]] = Field(description="{variable: labels in code order} of the discrete columns")
    warnings: list[str] = Field(default_factory=list, description="do values outside the range the model was fitted "
                                "on (the library's ExtrapolationWarning)")


class Effect(BaseModel):
    """The answer to an average causal effect request.

    Examples
    --------
    >>> Effect(target_node="y", average_causal_effect=2.0).model_dump()
    {'target_node': 'y', 'average_causal_effect': 2.0, 'warnings': []}
    """

    target_node: str
    average_causal_effect: float = Field(description="E[target | do(alternative)] - E[target | do(reference)]")
    warnings: list[str] = Field(default_factory=list, description="do values outside the fitted ranges")


class Path(BaseModel):
    """One directed path from cause to effect, with its edge weights in a linear model.

    Examples
    --------
    >>> p = Path(nodes=["x", "y", "z"], weights=[2.0, 0.5], contribution=1.0)
    >>> p.contribution == p.weights[0] * p.weights[1]
    True
    """

    nodes: list[str] = Field(description="cause, ..., effect")
    weights: Optional[list[float]] = Field(description="the coefficient of each edge on the path (linear models)")
    contribution: Optional[float] = Field(description="the product of the weights (linear models), else null")


class Explanation(BaseModel):
    """The answer to an explain request: parents, paths and (linear models) the total effect.

    Examples
    --------
    >>> e = Explanation(cause="x", effect="z", parents=["y"],
    ...                 paths=[Path(nodes=["x", "y", "z"], weights=[2.0, 0.5], contribution=1.0)],
    ...                 paths_truncated=False, total_effect=1.0, method="linear path products", note="")
    >>> e.total_effect == sum(p.contribution for p in e.paths)
    True
    """

    cause: str
    effect: str
    parents: list[str] = Field(description="the effect's parents (its direct causes)")
    paths: list[Path] = Field(description="the directed paths from cause to effect in the model's graph")
    paths_truncated: bool = Field(description="true when there were more paths than the server lists")
    total_effect: Optional[float] = Field(
        description="d effect / d cause: the sum of the paths' contributions (linear models), else null")
    method: Literal["linear path products", "paths only"]
    note: str = Field(description="what the numbers are, or why there are none")
