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
    """Every 4xx/5xx answer: the :mod:`causalworld.errors` class name and its message."""

    error: str = Field(description="the class name in causalworld.errors; the client raises that type")
    detail: str = Field(description="what is wrong and how to fix it")


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    variables: int = Field(description="number of variables of the served model")
    version: str = Field(description="causalworld's version")


class GraphInfo(BaseModel):
    """The served model's structure: ``scm.variables``, ``scm.graph``, ``scm.parents``, kinds."""

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
    """``scm.do(do).sample(n, seed=seed)``."""

    n: StrictInt = Field(ge=1, description="rows to draw")
    do: Do = Field(default_factory=dict, description="hard interventions, {variable: value or [one per row]}")
    seed: Seed = None


class InterventionalRequest(_Request):
    """``interventional_samples(scm, interventions, observed_data, num_samples_to_draw, seed=seed)``."""

    interventions: Do
    observed_data: Optional[Table] = Field(default=None, description="rows the interventions act on")
    num_samples_to_draw: Optional[StrictInt] = Field(default=None, ge=1, description="rows to draw instead")
    seed: Seed = None


class CounterfactualRequest(_Request):
    """``scm.counterfactual(observed, do, num_samples=num_samples, seed=seed)``: abduct, act, predict."""

    observed: Table = Field(description="every variable's observed value per row")
    do: Do = Field(description="the intervention; a list holds one value per observed row")
    num_samples: StrictInt = Field(default=1, ge=1, description="noise posterior draws per row (discrete variables)")
    seed: Seed = None


class AverageCausalEffectRequest(_Request):
    """``average_causal_effect(scm, target_node, interventions_alternative, interventions_reference, ...)``."""

    target_node: str
    interventions_alternative: Do
    interventions_reference: Do
    observed_data: Optional[Table] = None
    num_samples_to_draw: Optional[StrictInt] = Field(default=None, ge=1)
    seed: Seed = None


class ExplainRequest(_Request):
    """Why ``cause`` moves ``effect``: the effect's parents and the directed paths between them."""

    cause: str
    effect: str


class Rows(BaseModel):
    """A table of answers, by columns, in ``nodes`` order."""

    rows: int
    columns: dict[str, Column] = Field(description="{variable: [one value per row]}; discrete variables as labels")
    discrete: dict[str, list[Label]] = Field(description="{variable: labels in code order} of the discrete columns")
    warnings: list[str] = Field(default_factory=list, description="do values outside the range the model was fitted "
                                "on (the library's ExtrapolationWarning)")


class Effect(BaseModel):
    target_node: str
    average_causal_effect: float = Field(description="E[target | do(alternative)] - E[target | do(reference)]")
    warnings: list[str] = Field(default_factory=list, description="do values outside the fitted ranges")


class Path(BaseModel):
    nodes: list[str] = Field(description="cause, ..., effect")
    weights: Optional[list[float]] = Field(description="the coefficient of each edge on the path (linear models)")
    contribution: Optional[float] = Field(description="the product of the weights (linear models), else null")


class Explanation(BaseModel):
    cause: str
    effect: str
    parents: list[str] = Field(description="the effect's parents (its direct causes)")
    paths: list[Path] = Field(description="the directed paths from cause to effect in the model's graph")
    paths_truncated: bool = Field(description="true when there were more paths than the server lists")
    total_effect: Optional[float] = Field(
        description="d effect / d cause: the sum of the paths' contributions (linear models), else null")
    method: Literal["linear path products", "paths only"]
    note: str = Field(description="what the numbers are, or why there are none")
