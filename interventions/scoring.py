"""Scores of a learned model against the world's own truth, one row of the experiment's history.

The ``record`` step of the loop asks two questions of each round's model: how far is its graph
from the world's (:func:`summary_graph` then :func:`causalworld.metrics.shd`), and how far are its
counterfactual answers from the world's counterfactual rollout (:func:`counterfactual_error`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import networkx as nx
import pandas as pd
import torch

from causalworld.discovery import MixedGraph
from causalworld.envs.world import split_unrolled
from causalworld.errors import ExtrapolationWarning
from interventions.truevalues import column_of

__all__ = ["summary_graph", "counterfactual_error"]


def summary_graph(world: Any, edges: Iterable[tuple[str, str]]) -> MixedGraph:
    """The learned edges over the world's variables: ``a -> b`` when any column of ``a`` causes
    one of ``b`` (``x[0]``, ``x[1]`` are columns of ``x``), as ``world.graph`` is drawn from the
    truth. Edges within one variable (its dynamics) and columns that name no world variable are
    left out.

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=2)
    >>> g = summary_graph(world, [("angle[0]", "angle[1]"), ("spin", "angle[1]"), ("angle[1]", "sensor[1]")])
    >>> sorted(g.directed)
    [('angle', 'sensor'), ('spin', 'angle')]
    """
    names = set(world.variables)
    g = nx.DiGraph()
    g.add_nodes_from(world.variables)
    for u, v in edges:
        a, b = split_unrolled(u)[0], split_unrolled(v)[0]
        if a != b and a in names and b in names:
            g.add_edge(a, b)
    directed = [e for e in g.edges if not g.has_edge(e[1], e[0])]
    undirected = {tuple(sorted(e)) for e in g.edges if g.has_edge(e[1], e[0])}
    return MixedGraph(world.variables, directed, undirected)


def counterfactual_error(world: Any, scm: Any, probe: Any, *, seed: int = 0, by_pair: bool = False,
                         observed: Any = None) -> float | pd.DataFrame:
    """Mean absolute error of ``scm``'s counterfactual answers against the world's, in std units.

    Protocol: for each intervenable variable ``x`` that is a column of ``scm``, every probe
    episode gets its own value of ``x``, drawn uniformly (``seed``) from its intervenable range
    narrowed to the range ``scm`` was fitted on (a discrete ``x``: a code drawn uniformly). The
    truth is ``world.counterfactual_rollout(probe, {x: values})`` (the same exogenous noise);
    the answer is ``scm.counterfactual(probe's values, {x: values})`` (abduct, act, predict), or
    from ``observed``, what the model reads of the probe (an encoder's latents of its frames).
    For each continuous variable ``y`` of the truth that descends from ``x`` in the truth's graph
    or in ``scm``'s, the error is ``mean |answer - truth| / std(y over the probe)``. The result is
    the mean over those ``(x, y)`` pairs; NaN where it cannot be computed: ``scm`` lacks a column
    of the truth (an encoder that did not identify every variable), or no pair exists.

    Parameters
    ----------
    world : causalworld.envs.World
    scm : causalworld.SCM
        Over the truth's variables (``world.truth.variables``), as learned from :class:`TrueValues`.
    probe : causalworld.Episodes
        Episodes of ``world`` with their noise (observational ones, for the experiment's history).
    seed : int, default=0
        Seed of the intervention values.
    by_pair : bool, default=False
        Return a DataFrame with one row per ``(intervened, target)`` pair and its ``error``
        instead of the mean.
    observed : DataFrame or dict of str to Tensor, default=None
        The model's columns for the probe episodes, row for row (``encoder.latents(probe)``:
        named latents in the world's units, unnamed ones ``z0, z1, ...``), abducted instead of the
        probe's true values; needed when ``scm`` holds columns that are not the truth's.

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=2)
    >>> probe = world.rollout(50, seed=1)
    >>> counterfactual_error(world, world.truth, probe) < 1e-5  # the truth answers exactly
    True
    """
    truth = world.truth
    if not set(truth.variables) <= set(scm.variables):
        return pd.DataFrame(columns=["intervened", "target", "error"]) if by_pair else float("nan")
    probe_values = world.unroll(probe.values)
    if observed is None:
        observed = {v: t.to(device=scm.device, dtype=scm.dtype) for v, t in probe_values.items()}
    elif isinstance(observed, pd.DataFrame):
        observed = {str(c): torch.from_numpy(observed[c].to_numpy(dtype="float64", copy=True)).to(scm.device, scm.dtype)
                    for c in observed}
    gen = torch.Generator().manual_seed(int(seed))
    ranges = scm.fitted_ranges
    n = len(probe)
    errors = []
    for x, dom in world.intervenable.items():
        col = column_of(world, scm.variables, x)
        if col is None:
            continue
        if isinstance(dom, range):
            codes = torch.tensor(list(dom))
            values = codes[torch.randint(len(codes), (n,), generator=gen)]
            asked = values
        else:
            lo, hi = dom
            if col in ranges:
                lo, hi = max(lo, ranges[col][0]), min(hi, ranges[col][1])
            values = lo + (max(hi, lo) - lo) * torch.rand(n, generator=gen, dtype=torch.float64)
            asked = values.to(truth.dtype)
        true_cf = world.unroll(world.counterfactual_rollout(probe, {x: asked.to(world.device)}).values)
        with warnings.catch_warnings():
            # a code set on a variable the model holds as continuous is inside its fitted range;
            # rounding at the range's ends is not extrapolation worth a warning here
            warnings.simplefilter("ignore", ExtrapolationWarning)
            answer = scm.counterfactual(observed, {col: values.to(scm.dtype).to(scm.device)})
        first = world.first(x)
        affected = nx.descendants(truth.graph, first) | nx.descendants(scm.graph, col)
        for y in truth.variables:
            if y == first or y not in affected or truth.cardinality(y) is not None:
                continue
            scale = float(probe_values[y].double().std())
            err = float((answer[y].double().cpu() - true_cf[y].double().cpu()).abs().mean())
            errors.append({"intervened": x, "target": y, "error": err / scale if scale > 0 else float("inf")})
    table = pd.DataFrame(errors, columns=["intervened", "target", "error"])
    if by_pair:
        return table
    return float(table["error"].mean()) if len(table) else float("nan")
