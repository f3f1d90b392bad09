"""Why a cause moves an effect: the effect's parents, the directed paths, and each path's part.

For a linear-Gaussian model the effect of ``do(cause = c + 1)`` against ``do(cause = c)`` on
``effect`` is the same for every ``c`` and every row, and splits exactly over the directed paths:
each path contributes the product of its edge weights (Wright's path rule), and the parts sum to
the total, ``(I - W)^-1[cause, effect]``. For any other model the effect depends on the values
and the paths interact, so no split is exact: the paths are listed without numbers and the note
says to ask ``average_causal_effect`` between two values of interest. Edges into a variable the
model is already intervened on are cut first, as ``do`` cuts them.
"""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from causalworld.errors import ArgumentError, DTypeError
from causalworld.scm.model import SCM

__all__ = ["explain", "MAX_PATHS"]

MAX_PATHS = 1000
"""Paths listed at most (a dense graph has exponentially many); the total never depends on it."""

_LINEAR_NOTE = (
    "linear-Gaussian model: each path's contribution is the product of its edge weights, and the "
    "contributions sum to the total effect, the change in {effect} per unit of do({cause}) (the same "
    "for every value and row)"
)
_OTHER_NOTE = (
    "the model has nonlinear or discrete mechanisms, so the effect of {cause} on {effect} depends on "
    "the values and does not split into per-path parts; the paths are listed without contributions. "
    "Ask average_causal_effect for the effect between two values of {cause}"
)


def _weights(scm: SCM) -> np.ndarray:
    """``W[i, j]``, the weight of ``variables[i] -> variables[j]``, as float64 (a table or a tensor)."""
    w = scm.weights()
    if isinstance(w, pd.DataFrame):
        return np.array(w.loc[list(scm.variables), list(scm.variables)], dtype=np.float64)
    return np.array(w.detach().cpu().numpy(), dtype=np.float64)


def explain(scm: SCM, cause: str, effect: str, *, max_paths: int = MAX_PATHS) -> dict[str, Any]:
    """The parents of ``effect``, the directed paths ``cause -> ... -> effect``, and (for a linear
    model) each path's contribution and their sum.

    Returns
    -------
    dict
        The fields of :class:`causalworld.serve.schemas.Explanation`.

    Raises
    ------
    UnknownVariableError
        ``cause`` or ``effect`` is not a variable of the model.
    ArgumentError
        ``cause`` and ``effect`` are the same variable.

    Examples
    --------
    >>> scm = cw.SCM.linear([("x", "m"), ("m", "y"), ("x", "y")],
    ...                     {("x", "m"): 2.0, ("m", "y"): 3.0, ("x", "y"): 1.0})
    >>> out = explain(scm, "x", "y")
    >>> [(p["nodes"], p["contribution"]) for p in out["paths"]]
    [(['x', 'm', 'y'], 6.0), (['x', 'y'], 1.0)]
    >>> out["total_effect"]
    7.0
    """
    parents = list(scm.parents(effect))  # checks the name
    scm.parents(cause)
    if cause == effect:
        raise ArgumentError(f"cause and effect are both {cause!r}; name two different variables")
    graph = nx.DiGraph(scm.graph)
    for v in scm.interventions:  # do(v) cuts the edges into v
        graph.remove_edges_from(list(graph.in_edges(v)))
    # only nodes between cause and effect: every branch of the search then reaches the effect, so
    # listing max_paths paths takes time in proportion to them, not to the whole graph's paths
    between = (nx.descendants(graph, cause) & nx.ancestors(graph, effect)) | {cause, effect}
    found = itertools.islice(nx.all_simple_paths(graph.subgraph(between), cause, effect), max_paths + 1)
    paths = sorted(found)
    truncated = len(paths) > max_paths
    paths = paths[:max_paths]
    try:
        W = _weights(scm)
    except DTypeError:
        W = None
    fmt = {"cause": cause, "effect": effect}
    if W is None:
        return {"cause": cause, "effect": effect, "parents": parents, "paths_truncated": truncated,
                "paths": [{"nodes": p, "weights": None, "contribution": None} for p in paths],
                "total_effect": None, "method": "paths only", "note": _OTHER_NOTE.format(**fmt)}
    index = {v: i for i, v in enumerate(scm.variables)}
    for v in scm.interventions:
        W[:, index[v]] = 0.0
    listed = []
    for p in paths:
        weights = [float(W[index[a], index[b]]) for a, b in zip(p, p[1:])]
        contribution = 1.0
        for w in weights:
            contribution *= w
        listed.append({"nodes": p, "weights": weights, "contribution": contribution})
    total = float(np.linalg.inv(np.eye(len(index)) - W)[index[cause], index[effect]])
    return {"cause": cause, "effect": effect, "parents": parents, "paths": listed, "paths_truncated": truncated,
            "total_effect": total, "method": "linear path products", "note": _LINEAR_NOTE.format(**fmt)}
