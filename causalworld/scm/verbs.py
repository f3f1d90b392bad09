"""DoWhy's query verbs with DoWhy's argument names and meanings, on a causalworld ``SCM``.

A DoWhy user switches by changing one import::

    from dowhy import gcm                  ->   import causalworld as gcm
    gcm.counterfactual_samples(model, {"x": lambda x: 2.0}, observed_data=df)

As in DoWhy, ``interventions`` maps a node to a callable of its would-be value (``lambda x: 2.0``
is a hard do) and the callable receives numpy values. We call it once on the whole column: a
scalar result is broadcast and a result of the column's shape is used as is; any other result
falls back to one call per value, as DoWhy makes, and only a non-scalar result per value raises.
So a random or reducing callable (``lambda x: x.mean()``, ``lambda x: np.random.rand()``) is
evaluated on the column and may give other numbers than in DoWhy, which calls it per value.
A plain number is also accepted as a hard intervention. On a linear-Gaussian model the callables
are resolved target by target and the answer keeps the matrix path (same numbers, one extra
matmul per callable). The extra keyword ``seed`` makes the sampling verbs reproducible.

Tables behave as in DoWhy: an answer computed from ``observed_data`` keeps its index and column
order, passes columns that are not variables through untouched, and needs only the columns the
query reads (the targets' parents, and for a counterfactual the affected variables themselves);
a discrete variable's values are its labels, in and out (a pandas categorical of the fitted
categories comes back), and a callable on it receives and may return labels. A hard value
outside the range a fitted model saw warns (:class:`~causalworld.errors.ExtrapolationWarning`),
whether given as a number or as DoWhy's ``lambda x: value``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import torch

from causalworld.errors import ArgumentError, ConversionError, DTypeError, MissingVariableError, UnknownVariableError
from causalworld.scm.values import check_count, missing_hint
from causalworld.scm.intervention import Intervention
from causalworld.scm.model import SCM, Values
from causalworld.scm.seeding import SEED_MAX, as_generator, check_seed

__all__ = ["draw_samples", "interventional_samples", "counterfactual_samples", "average_causal_effect"]

Interventions = Mapping[str, Callable[[Any], Any] | float]


def _check_model(scm: Any, verb: str) -> None:
    """Refuse anything but a causalworld SCM, naming the conversion for a DoWhy model."""
    if isinstance(scm, SCM):
        return
    if (type(scm).__module__ or "").split(".")[0] == "dowhy":
        raise ConversionError(
            f"{verb} got a DoWhy {type(scm).__name__}, not a causalworld SCM; convert it once with "
            f"causalworld.SCM.from_dowhy(model) and pass the result, or call dowhy.gcm.{verb} on it"
        )
    raise DTypeError(f"{verb} expects a causalworld SCM as its first argument, got {type(scm).__name__}")


def _acted(scm: SCM, interventions: Interventions) -> SCM:
    if not isinstance(interventions, Mapping):
        raise ArgumentError(f"interventions must be a dict {{node: callable}}, got {type(interventions).__name__}")
    new = scm.do({})
    labels = scm.labels
    for var, spec in interventions.items():
        if var not in scm.variables:
            raise UnknownVariableError.of(var, scm.variables)
        iv = Intervention.parse(var, spec, cardinality=scm.cardinality(var), dtype=scm.dtype, device=scm.device,
                                numpy_callable=True, labels=labels.get(var))
        scm._warn_if_outside(iv)
        new._interventions[var] = iv
    return new


def _affected(scm: SCM, targets: Any) -> set[str]:
    """The targets and their descendants: the variables an intervention on ``targets`` may change."""
    out = set(targets)
    for t in targets:
        out |= nx.descendants(scm.graph, t)
    return out


def _needed(scm: SCM, acted: SCM, counterfactual: bool) -> set[str]:
    """The observed columns a query reads: the parents of every affected variable that is not
    set outright, and (a counterfactual abducts its noise; a soft-intervened root keeps it) the
    variable itself."""
    need: set[str] = set()
    affected = _affected(scm, acted._interventions)
    for v in affected:
        iv = acted._interventions.get(v)
        if iv is not None and iv.hard:
            continue
        need |= set(scm.parents(v)) if counterfactual else set(scm.parents(v)) - affected
        if counterfactual or not scm.parents(v):
            need.add(v)
    return need


_NUMPY_FLOAT = {torch.float64: np.float64, torch.float32: np.float32}


def _exactly_variables(scm: SCM, data: Any) -> bool:
    return (isinstance(data, pd.DataFrame) and data.shape[1] == len(scm.variables) and data.columns.is_unique
            and all(v in data.columns for v in scm.variables))


def _observed(scm: SCM, data: Any, what: str, needed: set[str] | None = None) -> Values:
    """``data`` as ``{name: Tensor[N]}`` for every variable.

    Columns that are not variables are left out. A variable that is missing but not ``needed``
    gets stand-in values drawn from the model (so that every mechanism sees values in its
    domain); it changes no answer the query gives, which is only read for the affected
    variables. With ``needed=None`` every variable is needed.
    """
    if isinstance(data, pd.DataFrame) and not _exactly_variables(scm, data):
        present = [v for v in scm.variables if v in data.columns]
        absent = [v for v in scm.variables if v not in data.columns]
        lacking = [v for v in absent if needed is None or v in needed]
        if lacking:
            hint = missing_hint(lacking, [c for c in data.columns if c not in scm.variables])
            raise MissingVariableError(f"{what} lacks {lacking}{hint}; this query reads those columns")
        if not present:
            raise MissingVariableError(f"{what} has none of the variables {list(scm.variables)}")
        values = scm.as_tensors(data, what=what, extra="ignore")
        if absent:
            n = next(iter(values.values())).shape[0]
            stand_in = scm.sample(n, seed=0)
            values.update({v: stand_in[v] for v in absent})
        return {v: values[v] for v in scm.variables}
    return _all_observed(scm, data, what)


def _all_observed(scm: SCM, data: Any, what: str) -> Values:
    """``data`` as ``{name: Tensor[N]}``, every variable required.

    A DataFrame of float columns that are exactly the variables of an all-continuous CPU model is
    read in one 2-D conversion with one finiteness check: the column-by-column path costs about
    15 us a column, which dominates a one-row query. Anything else, and any doubt (a NaN, an odd
    dtype or name), goes through ``scm.as_tensors`` and its named errors.
    """
    np_dtype = _NUMPY_FLOAT.get(scm.dtype)
    if (isinstance(data, pd.DataFrame) and np_dtype is not None and not scm.discrete
            and scm.device.type == "cpu" and data.shape[1] == len(scm.variables) and len(data) > 0
            and all(isinstance(d, np.dtype) and d.kind == "f" for d in set(data.dtypes))):
        position = {c: i for i, c in enumerate(data.columns)}
        if len(position) == len(scm.variables) and all(v in position for v in scm.variables):
            table = data.to_numpy(dtype=np_dtype).T  # (d, N): pandas keeps a float frame as one such block
            if len(data) >= SHARED_ROWS and table.flags.c_contiguous:
                # a large table is read where it lies (DLPack carries pandas' read-only view; no
                # query writes to its inputs, and _frame copies any column it would hand back)
                t = torch.from_dlpack(table)
            else:  # one writable copy, a memcpy
                t = torch.from_numpy(np.array(table, order="C", copy=True))
            # NaN and inf survive a sum, so one reduction screens the table without a mask; a finite
            # sum that overflows only sends the frame down the checked path below
            if bool(torch.isfinite(t.sum())):
                return {v: t[position[v]] for v in scm.variables}  # contiguous rows
    return scm.as_tensors(data, require=scm.variables, what=what)


@functools.lru_cache(maxsize=64)
def _columns(variables: tuple[str, ...]) -> pd.Index:
    return pd.Index(variables)  # immutable, so shared by every frame over these variables


SHARED_ROWS = 1 << 16  # from this many rows a continuous table is read and answered without a copy


def _frame(scm: SCM, values: Values, index: Any = None, inputs: Values | None = None) -> pd.DataFrame:
    """``values`` as a DataFrame in variable order: one 2-D block when every variable is continuous.

    From :data:`SHARED_ROWS` rows on, the frame holds the computed columns themselves, one block
    per column (stacking a million-row table into one block costs more than the query), except
    a column that is one of the ``inputs``' tensors, which is copied so that the answer never
    shares memory with the caller's data.
    """
    if scm.discrete:
        return scm.to_frame(values, index=index)
    n = next(iter(values.values())).shape[0] if values else 0
    if n >= SHARED_ROWS and scm.device.type == "cpu":
        taken = {t.untyped_storage().data_ptr() for t in inputs.values()} if inputs else set()
        shared = {v for v in scm.variables if values[v].untyped_storage().data_ptr() in taken}
        columns = {v: (values[v].clone() if v in shared else values[v]).detach().numpy() for v in scm.variables}
        return pd.DataFrame(columns, index=index, copy=False)
    Xt = torch.stack([values[v] for v in scm.variables], dim=0)  # (d, N): pandas' own block layout
    return pd.DataFrame(Xt.detach().cpu().numpy().T, columns=_columns(scm.variables), index=index, copy=False)


def _answer(scm: SCM, values: Values, observed: Any, affected: set[str], inputs: Values) -> pd.DataFrame:
    """The answer to a query on ``observed`` rows, shaped as DoWhy shapes it.

    A DataFrame of exactly the variables gets every computed column, in its own column order and
    with its index. Any other DataFrame is copied, with the ``affected`` variables written in
    (added at the end, in topological order, when it lacked them) and every other column as it
    was. A dict of columns gets a new frame in variable order. ``inputs`` are the tensors the
    query read ``observed`` into (no answer column shares memory with them).
    """
    if not isinstance(observed, pd.DataFrame):
        return _frame(scm, values, inputs=inputs)
    if _exactly_variables(scm, observed):
        frame = _frame(scm, values, index=observed.index, inputs=inputs)
        return frame if list(frame.columns) == list(observed.columns) else frame[list(observed.columns)]
    out = observed.copy()
    written = [v for v in scm.variables if v in affected]
    part = scm.to_frame({v: values[v] for v in written}, index=observed.index)
    for v in written:
        out[v] = part[v]
    return out


def _resolved(scm: SCM, acted: SCM, predict: Callable[[SCM], Values], n: int,
              factual: Values | None = None) -> SCM:
    """``acted`` with each callable replaced by the values it gives, target by target in topological
    order. Exact: a target's would-be value depends only on its ancestors, with the targets before
    it already set; when none of them is an ancestor it is the ``factual`` value (a counterfactual
    keeps the observed row there), otherwise one more pass of ``predict`` gives it. It lets a
    linear-Gaussian model keep its matrix path under callables; other models apply callables in
    their single pass."""
    soft = [v for v in scm.variables if v in acted._interventions and not acted._interventions[v].hard]
    resolved = acted._copy()
    for v in soft:
        del resolved._interventions[v]
    for v in soft:
        iv = acted._interventions[v]
        upstream = nx.ancestors(scm.graph, v) & set(resolved._interventions)
        would_be = factual[v] if factual is not None and not upstream else predict(resolved)[v]
        vals = acted._intervene(iv, would_be, n, 1)
        if bool((vals == vals[0]).all()):  # DoWhy's hard do, `lambda x: 2.0`: one value for every row
            resolved._interventions[v] = Intervention(v, "value", vals[0].item())
        else:
            resolved._interventions[v] = Intervention(v, "tensor", vals)
    return resolved


def _matrix_path(scm: SCM, acted: SCM) -> bool:
    """Whether ``acted`` has callables that :func:`_resolved` can fold into the linear matrix path."""
    return (not scm._interventions and scm._fast_linear()
            and any(not iv.hard for iv in acted._interventions.values()))


def _one_of(a: Any, b: Any, name_a: str, name_b: str) -> None:
    if a is None and b is None:
        raise ArgumentError(f"either {name_a} or {name_b} must be given")
    if a is not None and b is not None:
        raise ArgumentError(f"{name_a} and {name_b} are mutually exclusive; give only one")


def draw_samples(scm: SCM, num_samples: int, *, seed: int | None = None) -> pd.DataFrame:
    """``num_samples`` rows from the model, as a DataFrame (``dowhy.gcm.draw_samples``).

    Examples
    --------
    >>> import causalworld as cw
    >>> df = cw.draw_samples(cw.random_scm(3, seed=0), 5, seed=0)
    >>> df.shape
    (5, 3)
    """
    _check_model(scm, "draw_samples")
    return _frame(scm, scm.sample(check_count(num_samples, "num_samples"), seed=seed))


@torch.no_grad()
def _interventional(scm: SCM, acted: SCM, observed: Values, n: int, g: torch.Generator) -> Values:
    """DoWhy's semantics: non-descendants of the targets keep their observed values; targets and
    their descendants are drawn anew (a root target's would-be value is its observed value)."""
    affected = _affected(scm, acted._interventions)
    values: Values = {}
    for v in scm.variables:
        if v not in affected:
            values[v] = observed[v]
            continue
        m = scm._mechanisms[v]
        iv = acted._interventions.get(v)
        noise = m.sample_noise(n, g)
        if iv is not None and iv.hard:
            values[v] = acted._intervene(iv, None, n, 1)
            continue
        x = observed[v] if not scm.parents(v) else m(scm._parent_matrix(values, v, n), noise)
        values[v] = acted._intervene(iv, x, n, 1) if iv is not None else x
    return values


def interventional_samples(
    scm: SCM,
    interventions: Interventions,
    observed_data: pd.DataFrame | None = None,
    num_samples_to_draw: int | None = None,
    *,
    seed: int | None = None,
) -> pd.DataFrame:
    """Samples under ``interventions`` (``dowhy.gcm.interventional_samples``).

    With ``observed_data``, the interventions act on those rows: variables not downstream of a
    target keep their values, the others are drawn anew. Otherwise ``num_samples_to_draw`` rows
    are drawn from the intervened model.

    Examples
    --------
    >>> import causalworld as cw
    >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 1.0)
    >>> df = cw.interventional_samples(scm, {"x": lambda x: 1.0}, num_samples_to_draw=20000, seed=0)
    >>> round(float(df["y"].mean()), 1)
    2.0
    """
    _check_model(scm, "interventional_samples")
    _one_of(observed_data, num_samples_to_draw, "observed_data", "num_samples_to_draw")
    acted = _acted(scm, interventions)
    if observed_data is None:
        n = check_count(num_samples_to_draw, "num_samples_to_draw")
        if _matrix_path(scm, acted):
            noise = scm.sample_noise(n, seed)  # type: ignore[arg-type]  # the noise acted.sample would draw
            with torch.no_grad():
                return _frame(scm, _resolved(scm, acted, lambda r: r._propagate(noise, n), n)._propagate(noise, n))
        return _frame(scm, acted.sample(n, seed=seed))  # type: ignore[arg-type]
    observed = _observed(scm, observed_data, "observed_data", _needed(scm, acted, counterfactual=False))
    n = next(iter(observed.values())).shape[0]
    values = _interventional(scm, acted, observed, n, as_generator(seed, scm.device))
    return _answer(scm, values, observed_data, _affected(scm, acted._interventions), observed)


def counterfactual_samples(
    scm: SCM,
    interventions: Interventions,
    observed_data: pd.DataFrame | None = None,
    noise_data: pd.DataFrame | None = None,
    *,
    seed: int | None = None,
) -> pd.DataFrame:
    """Counterfactual rows under ``interventions`` (``dowhy.gcm.counterfactual_samples``).

    From ``observed_data`` the noise is abducted (exact for invertible mechanisms, one posterior
    draw for discrete ones, where DoWhy cannot answer); ``noise_data`` gives it directly (for a
    root, its noise is its value, as in DoWhy).

    Examples
    --------
    >>> import causalworld as cw
    >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 1.0)
    >>> obs = pd.DataFrame({"x": [1.0], "y": [2.5]})
    >>> cw.counterfactual_samples(scm, {"x": lambda x: 0.0}, observed_data=obs)
         x    y
    0  0.0  0.5
    """
    _check_model(scm, "counterfactual_samples")
    _one_of(observed_data, noise_data, "observed_data", "noise_data")
    acted = _acted(scm, interventions)
    if noise_data is not None:
        if isinstance(noise_data, pd.DataFrame):
            noise = noise_data[[c for c in noise_data.columns if c in scm.variables]]
            return _frame(scm, acted.from_noise(noise), index=noise_data.index)
        return _frame(scm, acted.from_noise(noise_data))
    observed = _observed(scm, observed_data, "observed_data", _needed(scm, acted, counterfactual=True))
    n = next(iter(observed.values())).shape[0]
    with torch.no_grad():
        if _matrix_path(scm, acted):  # exact abduction, no random draw: every pass sees the same noise
            acted = _resolved(scm, acted, lambda r: scm._counterfactual_chunk(r, observed, n, 1, None), n, observed)
        values = scm._counterfactual(observed, n, acted, 1, seed, None)  # in cache-sized blocks of rows
    return _answer(scm, values, observed_data, _affected(scm, acted._interventions), observed)


def average_causal_effect(
    scm: SCM,
    target_node: str,
    interventions_alternative: Interventions,
    interventions_reference: Interventions,
    observed_data: pd.DataFrame | None = None,
    num_samples_to_draw: int | None = None,
    *,
    seed: int | None = None,
) -> float:
    """``E[target | do(alternative)] - E[target | do(reference)]`` (``dowhy.gcm.average_causal_effect``).

    Both arms use the same rows and the same fresh noise (common random numbers), which lowers
    the variance of the difference.

    Examples
    --------
    >>> import causalworld as cw
    >>> scm = cw.SCM.linear([("t", "y")], {("t", "y"): 3.0}, 1.0)
    >>> ace = cw.average_causal_effect(scm, "y", {"t": lambda t: 1.0}, {"t": lambda t: 0.0},
    ...                                num_samples_to_draw=1000, seed=0)
    >>> round(ace, 6)
    3.0
    """
    _check_model(scm, "average_causal_effect")
    _one_of(observed_data, num_samples_to_draw, "observed_data", "num_samples_to_draw")
    seed = check_seed(seed)
    if target_node not in scm.variables:
        raise UnknownVariableError.of(target_node, scm.variables)
    k = scm.cardinality(target_node)
    if k is not None and k > 2:
        raise ArgumentError(
            f"{target_node!r} has {k} categories {list(scm.labels[target_node])}; an average causal effect "
            "is defined for a continuous or a binary target (as in DoWhy); compare the arms' "
            "interventional_samples category by category instead"
        )
    arms_acted = [_acted(scm, ivs) for ivs in (interventions_alternative, interventions_reference)]
    if observed_data is None:
        # the rows get their own stream, derived from the seed and kept within the seed range
        rows_seed = None if seed is None else (seed + 1) % (SEED_MAX + 1)
        observed = scm.sample(check_count(num_samples_to_draw, "num_samples_to_draw"), seed=rows_seed)
    else:
        needed = _needed(scm, arms_acted[0], False) | _needed(scm, arms_acted[1], False)
        observed = _observed(scm, observed_data, "observed_data", needed)
    n = next(iter(observed.values())).shape[0]
    seed_ = int(torch.randint(0, 2**62, (1,)).item()) if seed is None else seed
    arms = []
    for acted in arms_acted:
        vals = _interventional(scm, acted, observed, n, as_generator(seed_, scm.device))
        arms.append(vals[target_node].to(torch.float64).mean())  # a binary target: P(second label)
    return float(arms[0] - arms[1])
