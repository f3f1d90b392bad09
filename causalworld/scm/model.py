"""``SCM``: a DAG over named variables, one mechanism per variable, and the queries on them.

This is the model every stage of the loop in ``docs/architecture.md`` is measured against: the worlds
simulate from one, the learners produce one, and counterfactual answers are computed on one.
Queries are batched over rows (one tensor op per variable, in topological order), run on any
device and dtype, and take a seed. ``do`` returns a new SCM; ``counterfactual`` reads as three
steps: abduct, act, predict. The fast paths live in modules of their own: a purely linear-Gaussian
model takes the matrix path of :mod:`causalworld.scm.linear_form` (a counterfactual moves only the
set variables' descendants, one pass per column), MLP mechanisms of one shape are evaluated together by
:mod:`causalworld.scm.evaluation_plan`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import torch
from torch import Tensor

from causalworld.errors import (
    ArgumentError,
    NonFiniteError,
    DeviceError,
    DTypeError,
    ExtrapolationWarning,
    GraphError,
    MissingVariableError,
    NotInvertibleError,
    OutOfRangeError,
    ShapeError,
    UnknownVariableError,
)
from causalworld.memory import check_memory
from causalworld.scm import graph as graphs
from causalworld.scm.values import check_count, column_to_tensor, to_frame, to_tensors
from causalworld.scm.evaluation_plan import EvaluationPlan
from causalworld.scm.devices import as_device
from causalworld.scm.intervention import Intervention, apply_callable
from causalworld.scm.labels import check_labels, default_labels, encode, is_default
from causalworld.scm.linear_form import LinearForm
from causalworld.scm.mechanisms import GaussianRoot, LinearGaussian, Mechanism
from causalworld.scm.row_blocks import default_rows, in_row_blocks
from causalworld.scm.seeding import as_generator

__all__ = ["SCM", "as_generator"]

Values = dict[str, Tensor]

# The float dtypes a model computes in (see SCM.__init__ for why half precision is refused).
_DTYPES = (torch.float32, torch.float64)


def _holds_labels(column: Any) -> bool:
    """Whether a noise column holds labels (strings, booleans, a pandas categorical), not numbers."""
    dtype = getattr(column, "dtype", None)
    if isinstance(column, Tensor):
        return False
    if dtype is None:
        column = np.asarray(column)
        dtype = column.dtype
    return isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(dtype) \
        or pd.api.types.is_string_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def _row_frame(row: pd.Series) -> pd.DataFrame:
    """One observed row given as a Series (``df.iloc[0]``) as a one-row DataFrame of its values."""
    frame = pd.DataFrame([row.to_dict()], index=[0 if row.name is None else row.name])
    return frame.infer_objects()


def _aligned(do: Any, index: pd.Index) -> Any:
    """``do`` with each pandas Series value matched to the observed rows by index."""
    if not isinstance(do, Mapping) or not any(isinstance(v, pd.Series) for v in do.values()):
        return do
    out = dict(do)
    for var, v in do.items():
        if not isinstance(v, pd.Series) or v.index.equals(index):
            continue
        if index.is_unique and v.index.is_unique and len(v) == len(index) and set(v.index) == set(index):
            out[var] = v.reindex(index)
        else:
            raise ShapeError(
                f"do({var}=...) is a Series whose index does not match the observed rows' index; give one "
                "value per observed row with the same index (or a plain array, matched by position)"
            )
    return out


def _number(x: Any, what: str) -> float:
    """A finite float from a user's number, or a typed error naming ``what``."""
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)) and not (
            isinstance(x, Tensor) and x.numel() == 1):
        raise DTypeError(f"{what} must be a number, got {x!r}")
    v = float(x)
    if not np.isfinite(v):
        raise NonFiniteError(f"{what} must be finite, got {v}")
    return v


class SCM:
    """A structural causal model: ``x_j := f_j(parents_j, u_j)`` over a DAG.

    Parameters
    ----------
    graph
        A ``networkx.DiGraph`` (or an edge list, ``{child: parents}`` dict, or adjacency matrix).
        A cycle is refused with :class:`~causalworld.errors.CyclicGraphError` naming it.
    mechanisms
        One :class:`~causalworld.scm.mechanisms.Mechanism` per variable, taking the variable's
        parents in the order of :attr:`variables`. The SCM takes ownership: they are moved to a
        common dtype and device and their parameters stop requiring gradients. The model caches
        derived forms of them (the linear matrix form, stacked MLPs): change a model by building a
        new SCM, not by editing its mechanisms' parameters in place.
    dtype, device
        Where the model computes (default: those of the first mechanism): torch.float32 or
        torch.float64 (half precision is refused, :class:`~causalworld.errors.DTypeError`), on a
        device this machine has (:class:`~causalworld.errors.DeviceError` otherwise). Every
        mechanism's parameters are checked once moved there: NaN, infinity (a float64 value past
        float32's range) or a non-positive noise scale raise, naming the variable.
    fitted_ranges
        ``{variable: (min, max)}`` of the data the mechanisms were fitted on: a hard ``do``
        outside it warns (:class:`~causalworld.errors.ExtrapolationWarning`).
    labels
        ``{variable: [label of code 0, label of code 1, ...]}`` for discrete variables whose data
        call their categories by name (strings, booleans, numbers); the default is ``0..K-1``.
        Tables the model answers with carry these labels (as a pandas categorical), and data and
        ``do`` values may give them (see :mod:`causalworld.scm.labels`). ``SCM.fit`` sets them
        from the data.

    Examples
    --------
    >>> from causalworld.scm.mechanisms import GaussianRoot, LinearGaussian
    >>> scm = SCM([("x", "y")], {"x": GaussianRoot(0.0, 1.0), "y": LinearGaussian(1, weight=[2.0], noise_std=0.5)})
    >>> scm.variables
    ('x', 'y')
    >>> print(scm)
    SCM over 2 variables, 1 edge:
      x := u_x,  u_x ~ N(0, 1^2)
      y := 2*x + 0 + u_y,  u_y ~ N(0, 0.5^2)
    >>> cf = scm.counterfactual({"x": [1.0], "y": [2.5]}, {"x": 0.0})
    >>> cf["y"]  # the noise u_y = 0.5 is kept; x is set to 0
    tensor([0.5000])
    """

    def __init__(
        self,
        graph: Any,
        mechanisms: Mapping[str, Mechanism],
        *,
        dtype: torch.dtype | None = None,
        device: str | torch.device | None = None,
        fitted_ranges: Mapping[str, tuple[float, float]] | None = None,
        labels: Mapping[str, Sequence[Any]] | None = None,
    ) -> None:
        g = graphs.as_dag(graph)
        variables = graphs.topological_order(g)
        for name in mechanisms:
            if name not in g:
                raise UnknownVariableError.of(name, variables, where="the graph")
        missing = [v for v in variables if v not in mechanisms]
        if missing:
            raise MissingVariableError(f"no mechanism for {missing}; give one mechanism per variable")
        index = {v: i for i, v in enumerate(variables)}
        parents = {v: tuple(sorted(g.predecessors(v), key=index.__getitem__)) for v in variables}
        for v in variables:
            m = mechanisms[v]
            if not isinstance(m, Mechanism):
                raise DTypeError(f"the mechanism of {v!r} is a {type(m).__name__}, not a causalworld Mechanism")
            if m.n_parents != len(parents[v]):
                raise GraphError(
                    f"the mechanism of {v!r} takes {m.n_parents} parent(s) but the graph gives it "
                    f"{len(parents[v])}: {list(parents[v])}; make the mechanism match the graph"
                )
        if not variables:
            raise GraphError("the graph has no variables; an SCM needs at least one")
        first = mechanisms[variables[0]]
        self._dtype = dtype or first.dtype
        self._device = as_device(device) if device is not None else first.device
        if not isinstance(self._dtype, torch.dtype) or self._dtype not in _DTYPES:
            # float16 and bfloat16 lack the kernels the queries use (triangular solves on CPU)
            # and lose counterfactual noise to rounding; they are refused here, not mid-query.
            raise DTypeError(
                f"an SCM computes in torch.float32 or torch.float64, got {self._dtype!r}; "
                "build it with dtype=torch.float32 (or float64) and cast its outputs if you need less"
            )
        self._graph = nx.freeze(g)
        self._variables = tuple(variables)
        self._index = index
        self._parents = parents
        # Queries never need gradients; a learner trains mechanisms before handing them over.
        self._mechanisms = {
            v: mechanisms[v].to(device=self._device, dtype=self._dtype).requires_grad_(False) for v in variables
        }
        # Checked after the move to the model's dtype: a float64 value beyond float32's range
        # becomes inf there, and a hand-edited model file may hold NaN or a negative scale.
        for v, m in self._mechanisms.items():
            try:
                m.check_parameters()
            except (NonFiniteError, OutOfRangeError) as e:
                raise type(e)(f"the mechanism of {v!r}: {e}") from None
        self._interventions: dict[str, Intervention] = {}
        self._fitted_ranges = dict(fitted_ranges or {})
        self._labels = self._checked_labels(labels or {})
        self._linear: LinearForm | None | bool = False  # False: not computed yet
        self._plans: dict[frozenset[str] | None, EvaluationPlan | None] = {}  # per set of variables evaluated
        self.fit_summary: pd.DataFrame | None = None

    # ------------------------------------------------------------------ structure
    @property
    def graph(self) -> nx.DiGraph:
        """The causal DAG (a frozen ``networkx.DiGraph``).

        Examples
        --------
        >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5)
        >>> sorted(scm.graph.edges), nx.is_frozen(scm.graph)
        ([('x', 'y')], True)
        """
        return self._graph

    @property
    def variables(self) -> tuple[str, ...]:
        """Variable names in topological order (the order of every matrix over variables).

        Examples
        --------
        >>> cw.SCM.linear([("b", "a"), ("c", "a")], {}, 1.0).variables
        ('b', 'c', 'a')
        """
        return self._variables

    @property
    def mechanisms(self) -> dict[str, Mechanism]:
        """``{variable: mechanism}``, a copy (the model itself does not change through it).

        Examples
        --------
        >>> from causalworld.scm.mechanisms import Binary, GaussianRoot
        >>> scm = SCM([("x", "on")], {"x": GaussianRoot(), "on": Binary(1, weight=[2.0])})
        >>> {v: type(m).__name__ for v, m in scm.mechanisms.items()}
        {'x': 'GaussianRoot', 'on': 'Binary'}
        """
        return dict(self._mechanisms)

    @property
    def interventions(self) -> dict[str, Intervention]:
        """The interventions applied by :meth:`do` to reach this model (empty for the original).

        Examples
        --------
        >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5)
        >>> scm.interventions, scm.do({"x": 1.0}).interventions["x"].value
        ({}, 1.0)
        """
        return dict(self._interventions)

    @property
    def dtype(self) -> torch.dtype:
        """The float dtype every query computes in (float32 or float64).

        Examples
        --------
        >>> cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5, dtype=torch.float64).dtype
        torch.float64
        """
        return self._dtype

    @property
    def device(self) -> torch.device:
        """The device the mechanisms and every query's tensors live on.

        Examples
        --------
        >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5)
        >>> scm.device
        device(type='cpu')
        """
        return self._device

    @property
    def fitted_ranges(self) -> dict[str, tuple[float, float]]:
        """``{variable: (min, max)}`` of the data the model was fitted on (empty if not fitted).

        Examples
        --------
        >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5)
        >>> scm.fitted_ranges  # built, not fitted
        {}
        """
        return dict(self._fitted_ranges)

    @property
    def labels(self) -> dict[str, tuple[Any, ...]]:
        """``{variable: labels}`` for every discrete variable, in code order (``0..K-1`` unless
        the model was given or fitted on other labels).

        Examples
        --------
        >>> from causalworld.scm.mechanisms import Binary
        >>> SCM([("smoker", "cancer")], {"smoker": Binary(0), "cancer": Binary(1)},
        ...     labels={"smoker": [False, True]}).labels
        {'smoker': (False, True), 'cancer': (0, 1)}
        """
        return {v: self._labels.get(v) or default_labels(m.cardinality)
                for v, m in self._mechanisms.items() if m.discrete}

    def _checked_labels(self, labels: Mapping[str, Sequence[Any]]) -> dict[str, tuple[Any, ...]]:
        if not isinstance(labels, Mapping):
            raise DTypeError(f"labels must be a {{variable: [labels]}} dict, got {type(labels).__name__}")
        out = {}
        for v, ls in labels.items():
            self._check_name(v)
            k = self._mechanisms[v].cardinality
            if k is None:
                raise ArgumentError(f"{v!r} is continuous; only discrete variables have labels")
            checked = check_labels(v, ls, k)
            if not is_default(checked):
                out[v] = checked
        return out

    def parents(self, variable: str) -> tuple[str, ...]:
        """The parents of ``variable``, in the order its mechanism takes them.

        Examples
        --------
        >>> cw.SCM.linear([("a", "c"), ("b", "c")], {}, 1.0).parents("c")
        ('a', 'b')
        """
        self._check_name(variable)
        return self._parents[variable]

    def cardinality(self, variable: str) -> int | None:
        """Number of categories of a discrete variable; ``None`` for a continuous one.

        Examples
        --------
        >>> from causalworld.scm.mechanisms import Binary, GaussianRoot
        >>> scm = SCM([("x", "on")], {"x": GaussianRoot(), "on": Binary(1, weight=[2.0])})
        >>> scm.cardinality("on"), scm.cardinality("x")
        (2, None)
        """
        self._check_name(variable)
        return self._mechanisms[variable].cardinality

    @property
    def discrete(self) -> dict[str, int]:
        """``{variable: cardinality}`` for the discrete variables.

        Examples
        --------
        >>> from causalworld.scm.mechanisms import Binary, GaussianRoot
        >>> scm = SCM([("x", "on")], {"x": GaussianRoot(), "on": Binary(1, weight=[2.0])})
        >>> scm.discrete
        {'on': 2}
        """
        return {v: m.cardinality for v, m in self._mechanisms.items() if m.discrete}

    def adjacency(self) -> Tensor:
        """``A[i, j] = 1`` iff ``variables[i] -> variables[j]``.

        Examples
        --------
        >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5)
        >>> scm.adjacency().tolist()
        [[0.0, 1.0], [0.0, 0.0]]
        """
        return torch.from_numpy(graphs.to_adjacency(self._graph, self._variables))

    def _check_name(self, name: str) -> None:
        if name not in self._index:
            raise UnknownVariableError.of(name, self._variables)

    def _cardinalities(self) -> dict[str, int | None]:
        return {v: m.cardinality for v, m in self._mechanisms.items()}

    def _copy(self) -> "SCM":
        new = object.__new__(SCM)
        new.__dict__.update(self.__dict__)
        new._interventions = dict(self._interventions)
        new.fit_summary = self.fit_summary
        return new

    def to(self, device: str | torch.device | None = None, dtype: torch.dtype | None = None) -> "SCM":
        """A copy of the model on another device and/or float dtype (the original is untouched).

        Examples
        --------
        >>> from causalworld import random_scm
        >>> random_scm(3, seed=0).to(dtype=torch.float64).dtype
        torch.float64
        """
        import copy

        if device is not None and str(device).split(":")[0] != "cpu":
            for v, m in self._mechanisms.items():
                if getattr(m, "foreign", False):
                    m.to(device=torch.device(str(device)))  # raises the DeviceError that names the fix
        device = as_device(device) if device is not None else self._device
        dtype = dtype or self._dtype
        mechs = {v: copy.deepcopy(m) for v, m in self._mechanisms.items()}
        new = SCM(self._graph, mechs, dtype=dtype, device=device, fitted_ranges=self._fitted_ranges,
                  labels=self._labels)
        for v, iv in self._interventions.items():
            if iv.kind == "tensor":
                iv = Intervention(v, "tensor", iv.value.to(device=device, dtype=iv.value.dtype if not iv.value.dtype.is_floating_point else dtype))
            new._interventions[v] = iv
        new.fit_summary = self.fit_summary
        return new

    # ------------------------------------------------------------------ data in and out
    def as_tensors(self, data: Any, *, require: Sequence[str] | None = None, what: str = "data",
                   extra: str = "raise") -> Values:
        """Check a dict of columns or a DataFrame and return ``{name: Tensor[N]}`` on this model's
        device and dtype (discrete variables as int64 codes, read from their labels).

        ``extra="ignore"`` leaves out columns that are not variables instead of raising
        :class:`~causalworld.errors.UnknownVariableError`.

        Examples
        --------
        >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5)
        >>> scm.as_tensors(pd.DataFrame({"x": [1, 2], "y": [0.5, 1.5]}))
        {'x': tensor([1., 2.]), 'y': tensor([0.5000, 1.5000])}
        >>> scm.as_tensors({"x": [1.0], "note": [0.0]}, extra="ignore")
        {'x': tensor([1.])}
        """
        return to_tensors(data, self._variables, dtype=self._dtype, device=self._device,
                          cardinalities=self._cardinalities(), require=require, what=what,
                          labels=self._labels, extra=extra)

    def to_frame(self, values: Mapping[str, Tensor], *, index: Any = None) -> pd.DataFrame:
        """A DataFrame of ``values`` (discrete variables as pandas categoricals of their labels).

        Examples
        --------
        >>> from causalworld.scm.mechanisms import Binary
        >>> scm = SCM([("t", "y")], {"t": Binary(0), "y": Binary(1)}, labels={"y": ["no", "yes"]})
        >>> scm.to_frame({"t": torch.tensor([1]), "y": torch.tensor([0])})["y"].tolist()
        ['no']
        """
        ordered = {v: values[v] for v in self._variables if v in values} | dict(values)  # variable order first
        return to_frame(ordered, self._cardinalities(), self._labels, index=index)

    # ------------------------------------------------------------------ interventions
    def do(self, interventions: Mapping[str, Any] | None = None, /, **kwargs: Any) -> "SCM":
        """A new SCM under ``interventions``; this one is left untouched.

        ``{var: number}`` or a 0-d tensor sets ``var`` (a hard ``do``); ``{var: Tensor[N]}`` sets
        one value per row; ``{var: callable}`` maps the value ``var`` would have taken to a new one
        (a soft or shift intervention). Hard values outside the range the model was fitted on are
        allowed, with an :class:`~causalworld.errors.ExtrapolationWarning` naming that range.

        Examples
        --------
        >>> from causalworld.scm.mechanisms import GaussianRoot, LinearGaussian
        >>> scm = SCM([("x", "y")], {"x": GaussianRoot(), "y": LinearGaussian(1, weight=[2.0])})
        >>> s = scm.do({"x": 3.0}).sample(4, seed=0)
        >>> s["x"]
        tensor([3., 3., 3., 3.])
        >>> scm.interventions
        {}
        """
        if interventions is not None and not isinstance(interventions, Mapping):
            raise DTypeError(
                f"interventions must be a dict {{variable: value}}, got {type(interventions).__name__} "
                f"{interventions!r:.60}; write scm.do({{'x': 1.0}}) or scm.do(x=1.0)"
            )
        spec = dict(interventions or {})
        overlap = set(spec) & set(kwargs)
        if overlap:
            raise ArgumentError(f"{sorted(overlap)} given both in the dict and as keywords; give each once")
        spec.update(kwargs)
        new = self._copy()
        for var, value in spec.items():
            self._check_name(var)
            iv = Intervention.parse(var, value, cardinality=self._mechanisms[var].cardinality,
                                    dtype=self._dtype, device=self._device, labels=self._labels.get(var))
            self._warn_if_outside(iv)
            new._interventions[var] = iv
        return new

    def _warn_if_outside(self, iv: Intervention, values: Tensor | None = None) -> None:
        """Warn when hard values (or the one value a callable gave every row, DoWhy's hard ``do``)
        lie outside the range the model was fitted on."""
        rng = self._fitted_ranges.get(iv.variable)
        if rng is None or (not iv.hard and values is None):
            return
        lo, hi = rng
        if values is not None:
            vmin, vmax = float(values.min()), float(values.max())
            if vmin != vmax:  # a soft intervention that varies per row: not a set value
                return
        elif iv.kind == "value":
            vmin = vmax = float(iv.value)
        else:
            vmin, vmax = float(iv.value.min()), float(iv.value.max())
        if vmin < lo or vmax > hi:
            warnings.warn(
                f"do({iv.variable}) sets values in [{vmin:.4g}, {vmax:.4g}], outside the range "
                f"[{lo:.4g}, {hi:.4g}] the model was fitted on; the answer extrapolates the fitted mechanisms",
                ExtrapolationWarning,
                stacklevel=3,
            )

    # ------------------------------------------------------------------ the forward pass
    def _parent_matrix(self, values: Values, var: str, n: int) -> Tensor:
        ps = self._parents[var]
        if not ps:
            return torch.empty((n, 0), dtype=self._dtype, device=self._device)
        return torch.stack([values[p].to(self._dtype) for p in ps], dim=1)  # (n, p)

    def _intervene(self, iv: Intervention, would_be: Tensor | None, n: int, repeat: int) -> Tensor:
        m = self._mechanisms[iv.variable]
        if iv.hard:
            out = iv.materialize(n, dtype=torch.long if m.discrete else self._dtype, device=self._device, repeat=repeat)
            return out
        assert would_be is not None
        if m.discrete:  # labels or codes in, codes out
            return apply_callable(iv, would_be, labels=self._labels.get(iv.variable) or default_labels(m.cardinality))
        out = apply_callable(iv, would_be)
        if out.dtype == torch.bool:
            out = out.long()
        if n and iv.variable in self._fitted_ranges:
            self._warn_if_outside(iv, out)
        return out.to(self._dtype)

    def _linear_form(self) -> "LinearForm | None":
        """The matrix form ``x = x @ W + b + u`` when every mechanism is linear-Gaussian, else None."""
        if self._linear is False:
            self._linear = LinearForm.of(self._variables, self._parents, self._mechanisms, dtype=self._dtype,
                                         device=self._device)
        return self._linear

    def _fast_linear(self) -> bool:
        return self._linear_form() is not None and all(iv.hard for iv in self._interventions.values())

    def _propagate_matrix(self, Ut: Tensor, repeat: int) -> Tensor:
        """The linear-Gaussian predict step on a noise matrix ``Ut`` ``[d, N]`` (a fresh tensor of the caller's)."""
        form = self._linear_form()
        assert form is not None
        n = Ut.shape[1]
        return form.predict(Ut, {self._index[v]: iv.materialize(n, dtype=self._dtype, device=self._device, repeat=repeat)
                                 for v, iv in self._interventions.items()})

    def _propagate(self, noise: Values, n: int, *, repeat: int = 1, given: Values | None = None,
                   names: Sequence[str] | None = None) -> Values:
        """Predict: compute every variable (or only ``names``, a topologically ordered subset,
        the others read from ``given``) from its parents and noise, applying interventions."""
        if self._fast_linear() and names is None:
            Ut = torch.stack([noise[v] for v in self._variables], dim=0)  # (d, n)
            return dict(zip(self._variables, self._propagate_matrix(Ut, repeat).unbind(0)))
        values: Values = dict(given or {})
        plan = self._plan(names)
        if plan is None:
            for v in self._variables if names is None else names:
                self._predict_one(v, values, noise, n, repeat)
            return values
        for stacks, singles in plan.levels:  # one batched pass per topological level
            for stack in stacks:
                out = stack.predict(values, n)  # (k, n)
                for i, v in enumerate(stack.names):
                    iv = self._interventions.get(v)
                    if iv is not None and iv.hard:
                        values[v] = self._intervene(iv, None, n, repeat)
                    else:
                        x = out[i] + noise[v]
                        values[v] = self._intervene(iv, x, n, repeat) if iv is not None else x
            for v in singles:
                self._predict_one(v, values, noise, n, repeat)
        return values

    def _predict_one(self, v: str, values: Values, noise: Values, n: int, repeat: int) -> None:
        iv = self._interventions.get(v)
        if iv is not None and iv.hard:
            values[v] = self._intervene(iv, None, n, repeat)
            return
        x = self._mechanisms[v](self._parent_matrix(values, v, n), noise[v])
        values[v] = self._intervene(iv, x, n, repeat) if iv is not None else x

    def _plan(self, names: Sequence[str] | None = None) -> "EvaluationPlan | None":
        """The batched evaluation plan (stacked MLPs per level) over ``names`` (None: every
        variable), or None when nothing stacks. Shared by the models ``do`` makes."""
        key = None if names is None else frozenset(names)
        if key not in self._plans:
            levels = graphs.topological_levels(self._graph, self._variables)
            order: Sequence[str] = self._variables
            if key is not None:
                levels = [kept for kept in ([v for v in level if v in key] for level in levels) if kept]
                order = [v for v in self._variables if v in key]
            plan = EvaluationPlan(levels, self._mechanisms, self._parents, order)
            self._plans[key] = plan if plan.useful else None
        return self._plans[key]

    def _default_chunk(self, num_samples: int) -> int:
        """Rows per block (:func:`causalworld.scm.row_blocks.default_rows`)."""
        return default_rows(self._fast_linear(), len(self._variables), num_samples)

    def _propagate_chunked(self, noise: Values, n: int) -> Values:
        """:meth:`_propagate` over row blocks, so large tables keep a bounded working set."""
        rows = self._default_chunk(1)
        if n <= rows or any(iv.kind == "tensor" for iv in self._interventions.values()):
            return self._propagate(noise, n)
        return in_row_blocks(lambda a, b, _: self._propagate({v: t[a:b] for v, t in noise.items()}, b - a), n, rows)

    # ------------------------------------------------------------------ sampling and likelihood
    def sample_noise(self, n: int, seed: int | torch.Generator | None = None) -> Values:
        """``n`` draws of every variable's noise, in topological order from one generator.

        Noise is drawn for every variable, intervened or not, so the same seed gives the same
        noise to every model over the same variables (common random numbers).

        Examples
        --------
        >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5)
        >>> u = scm.sample_noise(3, seed=0)
        >>> {v: tuple(t.shape) for v, t in u.items()}
        {'x': (3,), 'y': (3,)}
        >>> torch.equal(u["y"], scm.do({"x": 1.0}).sample_noise(3, seed=0)["y"])  # common random numbers
        True
        """
        n = check_count(n, "n")
        self._check_rows(n, f"sample_noise(n={n})", "draw {fit} rows at a time")
        g = as_generator(seed, self._device)
        return {v: self._mechanisms[v].sample_noise(n, g) for v in self._variables}

    def _check_rows(self, rows: int, what: str, fix: str) -> None:
        """Refuse a query of ``rows`` rows whose noise and values would not fit in memory, before
        drawing any: 8 bytes per value (float64 or int64 codes), twice for a working copy."""
        per_row = 16 * (len(self._variables) + sum(math.prod(m.noise_shape) for m in self._mechanisms.values()))
        check_memory(rows * per_row, what=what, fix=fix, per_item=per_row, device=self._device)

    @torch.no_grad()
    def sample(self, n: int, seed: int | torch.Generator | None = None) -> Values:
        """``n`` rows drawn from the model (under its interventions), as ``{name: Tensor[n]}``.

        A value that overflows the model's dtype (``do(x=3e38)`` through a weight of 2 in float32)
        raises :class:`~causalworld.errors.NonFiniteError` naming the variable, instead of
        returning inf.

        Examples
        --------
        >>> from causalworld import random_scm
        >>> scm = random_scm(4, seed=1)
        >>> a, b = scm.sample(3, seed=7), scm.sample(3, seed=7)
        >>> all(torch.equal(a[v], b[v]) for v in scm.variables)
        True
        """
        n = check_count(n, "n")
        self._check_rows(n, f"sample(n={n})", "draw {fit} rows at a time (one call per chunk, each with its own seed)")
        noise = self.sample_noise(n, seed)
        self._check_tensor_interventions(n)
        return self._check_outputs(self._propagate_chunked(noise, n), "sample")

    def from_noise(self, noise: Mapping[str, Any]) -> Values:
        """Compute every variable from given noise values (the predict step on its own).

        Raises
        ------
        MissingVariableError
            ``noise`` lacks a variable.
        DTypeError, ShapeError
            A column that is not real numbers, or not one value per row (a single number).
        NonFiniteError
            NaN or infinity in the noise, or a value that overflows the model's dtype on the way.

        Examples
        --------
        >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5)
        >>> scm.from_noise({"x": [1.0], "y": [0.5]})  # y = 2 x + u_y
        {'x': tensor([1.]), 'y': tensor([2.5000])}
        """
        noise_t = self._noise_tensors(noise)
        n = next(iter(noise_t.values())).shape[0]
        self._check_tensor_interventions(n)
        with torch.no_grad():
            return self._check_outputs(self._propagate_chunked(noise_t, n), "from_noise")

    def _check_outputs(self, values: Values, what: str) -> Values:
        """Raise when a query's values overflowed: finite inputs and parameters can still
        multiply past the dtype's range (``do(x=3e38)`` through a weight of 2 in float32)."""
        floats = [values[v] for v in self._variables if values[v].dtype.is_floating_point]
        if floats and floats[0].numel() * len(floats) <= 4096 and len({t.dtype for t in floats}) == 1:
            if bool(torch.isfinite(torch.stack(floats).sum())):  # a small table: one reduction for all
                return values
        for v in self._variables:
            t = values[v]
            # a sum is finite when every term is (one reduction); an overflowing sum falls through
            if t.dtype.is_floating_point and t.numel() and not bool(torch.isfinite(t.sum())):
                bad = int((~torch.isfinite(t)).sum())
                if bad:
                    raise NonFiniteError(
                        f"{what}: {v!r} came out NaN or infinite in {bad} row(s): its value overflows "
                        f"{self._dtype} (largest {torch.finfo(self._dtype).max:.3g}); use smaller "
                        "intervention or noise values, or scm.to(dtype=torch.float64)"
                    )
        return values

    def _noise_tensors(self, noise: Mapping[str, Any]) -> Values:
        if isinstance(noise, pd.DataFrame):
            noise = {c: noise[c].to_numpy(copy=True) for c in noise.columns}  # pandas 3: read-only views
        if not isinstance(noise, Mapping):
            raise DTypeError(f"noise must be a dict of columns or a DataFrame, got {type(noise).__name__}")
        missing = [v for v in self._variables if v not in noise]
        if missing:
            raise MissingVariableError(f"noise lacks {missing}; give noise for every variable")
        out: Values = {}
        n = None
        for v in self._variables:
            if self._mechanisms[v].discrete and len(self._mechanisms[v].noise_shape) == 1 and _holds_labels(noise[v]):
                out[v] = self._root_label_noise(v, noise[v])
                if n is None:
                    n = out[v].shape[0]
                continue
            # The same column checks as data (types, devices, finiteness): NaN noise would
            # otherwise come back as NaN values with nothing said.
            t = column_to_tensor(f"noise of {v}", noise[v], dtype=self._dtype, device=self._device,
                                 allow_2d=bool(self._mechanisms[v].noise_shape))
            if n is None:
                n = t.shape[0]
            mech = self._mechanisms[v]
            if t.dim() == 1 and len(mech.noise_shape) == 1 and hasattr(mech, "from_uniform") and t.shape[0] == n:
                # a categorical's noise as DoWhy gives it: one uniform value per row
                if bool(((t < 0) | (t > 1)).any()):
                    raise OutOfRangeError(
                        f"noise of {v!r} is one value per row, read as DoWhy's uniform noise of a categorical "
                        f"variable, so it must lie in [0, 1]; or give a [{n}, {mech.noise_shape[0]}] Gumbel vector per row")
                out[v] = t
                continue
            if t.shape[:1] != (n,) or t.shape[1:] != mech.noise_shape:
                raise ShapeError(
                    f"noise of {v!r} has shape {tuple(t.shape)}; expected [{n}, *{mech.noise_shape}]"
                )
            out[v] = t
        for k in noise:
            if k not in self._index:
                raise UnknownVariableError.of(k, self._variables)
        return out

    def _root_label_noise(self, v: str, column: Any) -> Tensor:
        """The noise of a discrete root given as its labels, as DoWhy gives a root's noise (its
        value): a Gumbel vector per row that selects that label's category."""
        if self.parents(v):
            raise DTypeError(
                f"noise of {v!r} holds labels, but only a root's noise is its value; give the noise of a discrete "
                f"variable with parents as one uniform value in [0, 1] per row (DoWhy's form) or a Gumbel vector per row")
        k = self._mechanisms[v].noise_shape[0]
        codes = torch.from_numpy(encode(f"noise of {v}", column, self.labels[v])).to(self._device)
        out = torch.full((codes.shape[0], k), -1e30, dtype=self._dtype, device=self._device)
        out[torch.arange(codes.shape[0], device=self._device), codes] = 0.0
        return out

    def _check_tensor_interventions(self, n: int, repeat: int = 1) -> None:
        for iv in self._interventions.values():
            if iv.kind == "tensor" and iv.value.shape[0] * repeat != n:
                raise ShapeError(
                    f"do({iv.variable}=...) holds {iv.value.shape[0]} values but {n // repeat} rows were asked for; "
                    "give one value per row or a single number"
                )

    @torch.no_grad()
    def log_prob(self, data: Any) -> Tensor:
        """``log p(row)`` under the model, ``[N]``: the sum of each mechanism's ``log_prob``.

        Hard-intervened variables contribute nothing (their value is set, not drawn), as in the
        interventional likelihood the learners score.

        Examples
        --------
        >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 1.0)
        >>> scm.log_prob({"x": [0.0], "y": [0.0]})  # two standard normal densities at 0
        tensor([-1.8379])
        >>> scm.do({"x": 0.0}).log_prob({"x": [0.0], "y": [0.0]})  # x is set, not drawn
        tensor([-0.9189])
        """
        values = self.as_tensors(data, require=self._variables)
        n = next(iter(values.values())).shape[0]
        total = torch.zeros(n, dtype=self._dtype, device=self._device)
        for v in self._variables:
            iv = self._interventions.get(v)
            if iv is not None:
                if iv.hard:
                    continue
                raise NotInvertibleError(
                    f"log_prob under a soft intervention on {v!r} needs the callable's inverse; "
                    "compute it on the model without that intervention"
                )
            total += self._mechanisms[v].log_prob(values[v], self._parent_matrix(values, v, n)).to(self._dtype)
        return total

    # ------------------------------------------------------------------ counterfactuals
    @torch.no_grad()
    def abduct(self, observed: Any, *, num_samples: int = 1, seed: int | torch.Generator | None = None) -> Values:
        """The noise behind observed rows: exact for invertible mechanisms, posterior draws for
        discrete ones. With ``num_samples=k`` the result has ``k*N`` rows, sample-major.

        Variables that this model sets by a hard intervention carry no information about their
        noise, which is then drawn from its prior.

        Examples
        --------
        >>> from causalworld.scm.mechanisms import GaussianRoot, LinearGaussian
        >>> scm = SCM([("x", "y")], {"x": GaussianRoot(), "y": LinearGaussian(1, weight=[2.0])})
        >>> scm.abduct({"x": [1.0], "y": [2.5]})["y"]
        tensor([0.5000])
        """
        values = self.as_tensors(observed, require=self._variables, what="observed")
        num_samples = self._check_num_samples(num_samples)
        g = as_generator(seed, self._device)
        n = next(iter(values.values())).shape[0]
        self._check_rows(n * num_samples, f"abduct of {n} row(s) with num_samples={num_samples}",
                         "ask for fewer num_samples, or abduct fewer rows at a time ({fit} rows and draws fit)")
        return self._abduct(values, n, num_samples, g)

    @staticmethod
    def _check_num_samples(num_samples: int) -> int:
        return check_count(num_samples, "num_samples")

    def _abduct(self, values: Values, n: int, k: int, g: torch.Generator, names: Sequence[str] | None = None) -> Values:
        """The noise of every variable (or only of ``names``) behind the observed ``values``, ``k`` draws a row."""
        noise: Values = {}
        order: Sequence[str] = self._variables if names is None else names
        plan = None if self._interventions else self._plan(names)
        if plan is not None:  # every parent is observed: all stacked MLPs in one pass
            for stack in plan.abduct_stacks:
                out = stack.predict(values, n)  # (k, n)
                for i, v in enumerate(stack.names):
                    noise[v] = Mechanism._repeat(values[v] - out[i], k)
            order = plan.abduct_rest
        for v in order:
            m = self._mechanisms[v]
            iv = self._interventions.get(v)
            if iv is not None:
                if not iv.hard:
                    raise NotInvertibleError(
                        f"cannot abduct the noise of {v!r} through the soft intervention it is under; "
                        "abduct on the model without it"
                    )
                noise[v] = m.sample_noise(n * k, g)
                continue
            try:
                if m.invertible and k > 1:  # exact: one abduction, repeated for the k samples
                    noise[v] = Mechanism._repeat(m.abduct(self._parent_matrix(values, v, n), values[v], num_samples=1,
                                                          generator=g), k)
                else:
                    noise[v] = m.abduct(self._parent_matrix(values, v, n), values[v], num_samples=k, generator=g)
            except NotInvertibleError as e:
                raise NotInvertibleError(f"variable {v!r}: {e}") from None
            except OutOfRangeError as e:
                raise OutOfRangeError(f"variable {v!r}: {e}") from None
        return noise

    @torch.no_grad()
    def counterfactual(
        self,
        observed: Any,
        do: Mapping[str, Any],
        *,
        num_samples: int = 1,
        seed: int | torch.Generator | None = None,
        chunk_size: int | None = None,
    ) -> Values | pd.DataFrame:
        """What each observed row would have been under ``do``: abduct, act, predict.

        Parameters
        ----------
        observed
            Every variable's observed value: ``{name: Tensor[N]}``, a DataFrame, or one row as a
            pandas Series (``df.iloc[0]``). A DataFrame or Series gets a DataFrame back, with the
            observed index (repeated per posterior draw) and discrete variables as their labels;
            columns that are not variables are left out. A dict gets a dict of tensors.
        do
            The intervention, as for :meth:`do`. A tensor, array or Series value has one entry per
            observed row; a Series is matched to a DataFrame's rows by its index.
        num_samples
            Draws from the noise posterior per row (matters for discrete variables, whose noise is
            not identified by one row). The result has ``num_samples * N`` rows, sample-major:
            row ``s * N + i`` is draw ``s`` for observed row ``i``.
        seed
            Seed or generator for the posterior draws; the same seed gives the same numbers.
        chunk_size
            Rows per chunk when no random draws are needed, as for a linear-Gaussian model with
            ``num_samples=1`` (default: no chunks, its only working set is its output). A
            counterfactual that draws random numbers (discrete noise posteriors, the noise of
            variables set in the factual model) goes block by block,
            ``max(256, 16384 // num_samples)`` rows a block, each block with a generator of its
            own, so ``chunk_size`` does not change its answer.

        Examples
        --------
        >>> from causalworld import random_scm
        >>> scm = random_scm(5, mechanism="linear", seed=0)
        >>> obs = scm.sample(100, seed=1)
        >>> same = scm.counterfactual(obs, {})  # no intervention: the factual world comes back
        >>> all(torch.allclose(same[v], obs[v], atol=1e-5) for v in scm.variables)
        True
        >>> row = scm.to_frame(obs).iloc[0]  # one row as a Series: a one-row DataFrame back
        >>> scm.counterfactual(row, {"x0": 1.0}).shape
        (1, 5)
        """
        index = None
        if isinstance(observed, pd.Series):
            observed = _row_frame(observed)
        if isinstance(observed, pd.DataFrame):
            index = observed.index
            do = _aligned(do, index)
        values = self.as_tensors(observed, require=self._variables, what="observed",
                                 extra="raise" if index is None else "ignore")
        num_samples = self._check_num_samples(num_samples)
        n = next(iter(values.values())).shape[0]
        self._check_rows(n * num_samples, f"counterfactual of {n} row(s) with num_samples={num_samples}",
                         "ask for fewer num_samples, or pass fewer observed rows at a time ({fit} rows and draws fit)")
        out = self._counterfactual(values, n, self.do(do), num_samples, seed, chunk_size)
        if index is None:
            return out
        rows = index if num_samples == 1 else index[np.tile(np.arange(n), num_samples)]
        return self.to_frame(out, index=rows)

    def _counterfactual(self, values: Values, n: int, acted: "SCM", num_samples: int,
                        seed: int | torch.Generator | None, chunk_size: int | None) -> Values:
        """Abduct from ``values`` and predict under ``acted`` (this model after the act), in blocks of rows."""
        for iv in acted._interventions.values():
            if iv.kind == "tensor" and iv.value.shape[0] != n:
                raise ShapeError(
                    f"do({iv.variable}=...) holds {iv.value.shape[0]} values but {n} rows were observed; "
                    "give one value per observed row or a single number"
                )
        # Exact abduction in matrix form needs no random draws: skip making a generator.
        exact = num_samples == 1 and not self._interventions and self._fast_linear() and acted._fast_linear()
        g = None if exact else as_generator(seed, self._device)
        if chunk_size is not None and (not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1):
            raise ArgumentError(f"chunk_size must be a positive int or None, got {chunk_size!r}")
        if g is not None:
            # Random draws (discrete noise posteriors, the prior noise of factually set variables)
            # come per block of rows, each block from a generator of its own, so the
            # answer does not depend on chunk_size: the rows are processed block by block.
            chunk_size = default_rows(False, len(self._variables), num_samples)  # the cache-sized blocks
        elif chunk_size is None:
            # exact and linear, a counterfactual's working set is its output: no blocks needed
            chunk_size = n if exact else self._default_chunk(num_samples)
        if n <= chunk_size:
            return self._check_outputs(self._counterfactual_chunk(acted, values, n, num_samples, g), "counterfactual")

        def block(start: int, stop: int, gen: torch.Generator | None) -> Values:
            sub = acted._copy()  # per-row intervention values: this block's rows
            for v, iv in acted._interventions.items():
                if iv.kind == "tensor":
                    sub._interventions[v] = Intervention(v, "tensor", iv.value[start:stop])
            part = {v: t[start:stop] for v, t in values.items()}
            return self._counterfactual_chunk(sub, part, stop - start, num_samples, gen)

        return self._check_outputs(in_row_blocks(block, n, chunk_size, repeat=num_samples, generator=g), "counterfactual")

    def _counterfactual_chunk(self, acted: "SCM", values: Values, n: int, k: int, g: torch.Generator | None) -> Values:
        if k == 1 and self._fast_linear() and acted._fast_linear():
            form = self._linear_form()
            assert form is not None
            if not self._interventions:
                # every noise term held: only the set columns' descendants move, in proportion
                sets = {self._index[v]: float(iv.value) if iv.kind == "value" else
                        iv.materialize(n, dtype=self._dtype, device=self._device) for v, iv in acted._interventions.items()}
                return dict(zip(self._variables, form.counterfactual([values[v] for v in self._variables], sets)))
            Ut = form.abduct(torch.stack([values[v] for v in self._variables], dim=0))  # abduct, (d, n)
            if self._interventions:  # noise of variables set in the factual world: from the prior
                assert g is not None
                for v in self._interventions:
                    Ut[self._index[v]] = self._mechanisms[v].sample_noise(n, g)
            return dict(zip(self._variables, acted._propagate_matrix(Ut, 1).unbind(0)))  # predict
        assert g is not None
        if k == 1 and not self._interventions and all(m.invertible for m in self._mechanisms.values()):
            # exact abduction: what is not downstream of a target keeps its observed value, so
            # only the targets and their descendants are abducted and predicted again
            moved = acted._downstream()
            hard = {v for v, iv in acted._interventions.items() if iv.hard}
            noise = self._abduct(values, n, 1, g, names=[v for v in moved if v not in hard])
            kept = {v: values[v].clone() for v in self._variables if v not in moved}
            out = acted._propagate(noise, n, given=kept, names=moved)
            return {v: out[v] for v in self._variables}
        noise = self._abduct(values, n, k, g)  # abduct
        return acted._propagate(noise, n * k, repeat=k)  # predict under the act

    def _downstream(self) -> tuple[str, ...]:
        """The intervened variables and their descendants, in topological order."""
        moved = set(self._interventions)
        for v in self._interventions:
            moved |= nx.descendants(self._graph, v)
        return tuple(v for v in self._variables if v in moved)

    @torch.no_grad()
    def counterfactual_distribution(
        self,
        observed: Any,
        do: Mapping[str, Any],
        target: str,
        *,
        num_samples: int = 1000,
        seed: int | torch.Generator | None = None,
    ) -> Tensor:
        """``P(target_cf = k | observed row, do)`` for a discrete ``target``, ``[N, cardinality]``,
        averaged over ``num_samples`` draws of the exact noise posterior.

        Examples
        --------
        >>> from causalworld.scm.mechanisms import Binary
        >>> scm = SCM([("t", "y")], {"t": Binary(0), "y": Binary(1, weight=[2.0], bias=-1.0)})
        >>> p = scm.counterfactual_distribution({"t": [1], "y": [1]}, {"t": 0}, "y", seed=0)
        >>> p.shape
        torch.Size([1, 2])
        """
        self._check_name(target)
        k = self._mechanisms[target].cardinality
        if k is None:
            raise ArgumentError(f"{target!r} is continuous; counterfactual_distribution is for discrete targets")
        cf = self.counterfactual(observed, do, num_samples=num_samples, seed=seed)[target]
        n = cf.shape[0] // num_samples
        onehot = torch.nn.functional.one_hot(cf.view(num_samples, n), k).to(self._dtype)
        return onehot.mean(0)

    # ------------------------------------------------------------------ reading the model
    def describe(self) -> str:
        """The structural equations, one line per variable, in topological order.

        Examples
        --------
        >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5)
        >>> print(scm.describe())
        SCM over 2 variables, 1 edge:
          x := u_x,  u_x ~ N(0, 0.5^2)
          y := 2*x + 0 + u_y,  u_y ~ N(0, 0.5^2)
        """
        n_edges = self._graph.number_of_edges()
        lines = [f"SCM over {len(self._variables)} variables, {n_edges} edge{'s' if n_edges != 1 else ''}:"]
        for v in self._variables:
            iv = self._interventions.get(v)
            if iv is None:
                lines.append("  " + self._mechanisms[v].equation(v, list(self._parents[v])))
            elif iv.kind == "value":
                lines.append(f"  {v} := {iv.value}   (do)")
            elif iv.kind == "tensor":
                lines.append(f"  {v} := <{iv.value.shape[0]} given values>   (do)")
            else:
                name = getattr(iv.value, "__name__", "f")
                lines.append(f"  {v} := {name}({self._mechanisms[v].equation(v, list(self._parents[v])).split(':=', 1)[1].split(',  ')[0].strip()})   (soft do)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.describe()

    def __repr__(self) -> str:
        return f"<SCM {len(self._variables)} variables, {self._graph.number_of_edges()} edges, {self._dtype}, {self._device}>"

    # ------------------------------------------------------------------ constructors and interop
    @classmethod
    def linear(
        cls,
        graph: Any,
        weights: Mapping[tuple[str, str], float] | Any,
        noise_std: float | Mapping[str, float] | Sequence[float] = 1.0,
        *,
        intercepts: Mapping[str, float] | None = None,
        dtype: torch.dtype | None = None,
        device: str | torch.device | None = None,
    ) -> "SCM":
        """A linear-Gaussian SCM ``x_j = sum_i W[i, j] x_i + c_j + u_j``, ``u_j ~ N(0, s_j^2)``.

        ``weights`` is a dict ``{(parent, child): w}`` or a matrix ``W[i, j]`` = weight of
        ``nodes[i] -> nodes[j]`` where ``nodes`` is the graph's node order (``list(graph.nodes)``;
        for an adjacency-matrix graph, its row order). Root variables are ``N(c_j, s_j^2)``.

        Examples
        --------
        >>> scm = SCM.linear([("x", "y"), ("y", "z")], {("x", "y"): 2.0, ("y", "z"): -1.0}, 0.5)
        >>> print(scm)
        SCM over 3 variables, 2 edges:
          x := u_x,  u_x ~ N(0, 0.5^2)
          y := 2*x + 0 + u_y,  u_y ~ N(0, 0.5^2)
          z := -1*y + 0 + u_z,  u_z ~ N(0, 0.5^2)
        """
        g = graphs.as_dag(graph)
        nodes = list(g.nodes)
        if weights is None:
            raise ArgumentError("weights are required: a {(parent, child): w} dict or a [d, d] matrix")
        if isinstance(weights, Mapping):
            w = {}
            for key, val in weights.items():
                if not (isinstance(key, tuple) and len(key) == 2):
                    raise ArgumentError(f"weights keys must be (parent, child) pairs, got {key!r}")
                if not g.has_edge(*key):
                    for k in key:
                        if k not in g:
                            raise UnknownVariableError.of(k, nodes, where="the graph")
                    raise GraphError(f"weights name the edge {key[0]} -> {key[1]}, which the graph does not have")
                w[key] = _number(val, f"the weight of {key[0]} -> {key[1]}")
        else:
            try:
                mat = torch.as_tensor(weights.detach().cpu().numpy() if hasattr(weights, "detach") else weights,
                                      dtype=torch.float64)
            except (TypeError, ValueError, RuntimeError) as e:
                raise DTypeError(f"weights must be a {{(parent, child): w}} dict or a numeric matrix ({e})") from None
            if mat.shape != (len(nodes), len(nodes)):
                raise ShapeError(f"weights matrix has shape {tuple(mat.shape)}; expected ({len(nodes)}, {len(nodes)})")
            w = {}
            for i, u in enumerate(nodes):
                for j, v in enumerate(nodes):
                    if mat[i, j] != 0 and not g.has_edge(u, v):
                        raise GraphError(f"W[{i}, {j}] = {float(mat[i, j])} but the graph has no edge {u} -> {v}")
                    if g.has_edge(u, v):
                        w[(u, v)] = float(mat[i, j])
        if isinstance(noise_std, Mapping):
            std = {v: _number(noise_std.get(v, 1.0), f"noise_std of {v}") for v in nodes}
            for k in noise_std:
                if k not in g:
                    raise UnknownVariableError.of(k, nodes, where="the graph")
        elif isinstance(noise_std, (int, float, np.floating, np.integer)):
            std = {v: _number(noise_std, "noise_std") for v in nodes}
        else:
            if not isinstance(noise_std, (Sequence, np.ndarray, Tensor)) or isinstance(noise_std, str):
                raise DTypeError(f"noise_std must be a number, a dict or a sequence, got {type(noise_std).__name__}")
            seq = list(noise_std)
            if len(seq) != len(nodes):
                raise ShapeError(f"{len(seq)} noise_std values for {len(nodes)} variables")
            std = {v: _number(s, f"noise_std of {v}") for v, s in zip(nodes, seq)}
        icpt = {v: 0.0 for v in nodes}
        for k, c in (intercepts or {}).items():
            if k not in g:
                raise UnknownVariableError.of(k, nodes, where="the graph")
            icpt[k] = _number(c, f"the intercept of {k}")
        order = graphs.topological_order(g)
        pos = {v: i for i, v in enumerate(order)}
        mechs: dict[str, Mechanism] = {}
        # Built in the model's dtype: float64 weights stay exact (0.1, not 0.10000000149).
        dt = dtype if isinstance(dtype, torch.dtype) and dtype.is_floating_point else None
        for v in order:
            ps = sorted(g.predecessors(v), key=pos.__getitem__)
            try:
                if not ps:
                    mechs[v] = GaussianRoot(icpt[v], std[v], dtype=dt)
                else:
                    mechs[v] = LinearGaussian(len(ps), weight=[w.get((p, v), 0.0) for p in ps], bias=icpt[v],
                                              noise_std=std[v], dtype=dt)
            except (OutOfRangeError, NonFiniteError, DTypeError) as e:
                raise type(e)(f"variable {v!r}: {e}") from None
        return cls(g, mechs, dtype=dtype, device=device)

    @classmethod
    def fit(cls, graph: Any, data: Any, mechanisms: str | Mapping[str, Any] = "auto", **kwargs: Any) -> "SCM":
        """Fit every mechanism of ``graph`` from data: see :func:`causalworld.scm.fit.fit_scm`.

        Examples
        --------
        >>> truth = cw.SCM.linear([("x", "y")], {("x", "y"): 1.5}, 0.5)
        >>> fitted = SCM.fit(truth.graph, truth.sample(2000, seed=0), "linear", progress=False)
        >>> round(float(fitted.weights().loc["x", "y"]), 1)
        1.5
        """
        from causalworld.scm.fit import fit_scm

        return fit_scm(graph, data, mechanisms, **kwargs)

    def weights(self) -> pd.DataFrame:
        """The edge weights of a linear-Gaussian model as a table: rows are parents, columns are
        children, both in :attr:`variables` order (``W.loc["x", "y"]`` is the weight of
        ``x -> y``; 0 where there is no edge). ``.to_numpy()`` gives the matrix ``W[i, j]``.

        Raises
        ------
        DTypeError
            A mechanism that is not ``LinearGaussian`` or ``GaussianRoot``.

        Examples
        --------
        >>> scm = SCM.linear([("x", "y"), ("y", "z")], {("x", "y"): 2.0, ("y", "z"): -1.0}, 0.5)
        >>> scm.weights()
             x    y    z
        x  0.0  2.0  0.0
        y  0.0  0.0 -1.0
        z  0.0  0.0  0.0
        """
        form = self._linear_form()
        if form is None:
            raise DTypeError("weights() needs every mechanism to be LinearGaussian or GaussianRoot; this model has others")
        names = pd.Index(self._variables)
        table = pd.DataFrame(form.W.detach().cpu().numpy().copy(), index=names, columns=names)
        table.index.name, table.columns.name = None, None
        return table

    def to_dowhy(self):
        """This model as a ``dowhy.gcm.InvertibleStructuralCausalModel`` carrying its parameters.

        Examples
        --------
        >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5)
        >>> model = scm.to_dowhy()
        >>> type(model).__name__, sorted(model.graph.edges)
        ('InvertibleStructuralCausalModel', [('x', 'y')])
        """
        from causalworld.scm.dowhy_interop import to_dowhy

        return to_dowhy(self)

    @classmethod
    def from_dowhy(cls, model: Any, **kwargs: Any) -> "SCM":
        """A causalworld SCM from a fitted ``dowhy.gcm`` model (see :mod:`causalworld.scm.dowhy_interop`).

        Examples
        --------
        >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5)
        >>> SCM.from_dowhy(scm.to_dowhy()).describe() == scm.describe()
        True
        """
        from causalworld.scm.dowhy_interop import from_dowhy

        return from_dowhy(model, **kwargs)

    def to_pyro(self) -> Callable[..., Values]:
        """This model as a Pyro model (see :mod:`causalworld.scm.pyro_interop`).

        Examples
        --------
        >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5)
        >>> model = scm.to_pyro()
        >>> model.variables
        ('x', 'y')
        """
        from causalworld.scm.pyro_interop import to_pyro

        return to_pyro(self)

    def save(self, folder: Any) -> Any:
        """Save to a folder: JSON structure + safetensors tensors (see :mod:`causalworld.scm.io`).

        Examples
        --------
        >>> import os, tempfile
        >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     _ = scm.save(d)
        ...     names = sorted(os.listdir(d))
        >>> "scm.json" in names
        True
        """
        from causalworld.scm.io import save_scm

        return save_scm(self, folder)

    @classmethod
    def load(cls, folder: Any, *, device: str | torch.device | None = None) -> "SCM":
        """Load a model saved by :meth:`save`; only registered mechanism classes are built.

        Examples
        --------
        >>> import tempfile
        >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 0.5)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     _ = scm.save(d)
        ...     back = SCM.load(d)
        >>> back.describe() == scm.describe()
        True
        """
        from causalworld.scm.io import load_scm

        return load_scm(folder, device=device)
