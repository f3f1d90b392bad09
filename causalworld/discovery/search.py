"""Greedy local search over DAGs with a decomposable score: add, delete or reverse one edge at a
time, taking the move that raises the score most, until no move helps.

The continuous learners use it to polish a graph read out of their parameters: with the
interventional BIC of :mod:`causalworld.discovery.scores` a few moves fix the weak edges a
thresholded read-out misses. Background knowledge is a hard constraint: a move that adds a
forbidden edge or removes a required one is never considered.
"""

from __future__ import annotations

import math
import time

import networkx as nx
import numpy as np

from causalworld.discovery.scores import LocalScore
from causalworld.errors import ArgumentError, GraphError, ShapeError

__all__ = ["hill_climb"]


def hill_climb(
    score: LocalScore,
    adjacency: np.ndarray,
    *,
    allowed: np.ndarray | None = None,
    required: np.ndarray | None = None,
    deadline: float | None = None,
    structure_prior: str = "fanin",
    max_moves: int = 10_000,
) -> tuple[np.ndarray, bool]:
    """Improve ``adjacency`` (``A[i, j]`` = ``i -> j``) by greedy single-edge moves under ``score``.

    Parameters
    ----------
    score
        A decomposable local score over the same columns (``score.local_one(j, parents)``).
    adjacency
        The starting DAG, ``[p, p]`` bool.
    allowed, required
        ``[p, p]`` bool masks from the background knowledge: edges outside ``allowed`` are never
        added, edges in ``required`` never removed or reversed.
    deadline
        A ``time.monotonic()`` value: stop there with the best graph so far.
    structure_prior
        ``"fanin"`` (as :class:`~causalworld.discovery.exact.ExactLearner`'s default: uniform over
        a node's number of parents, then over the sets of that size, which keeps chance edges
        out) or ``"uniform"``.

    Returns
    -------
    (adjacency, timed_out)

    Examples
    --------
    >>> import causalworld as cw, torch
    >>> from causalworld.discovery.scores import BICScore
    >>> truth = cw.SCM.linear([("a", "b"), ("b", "c")], {("a", "b"): 1.5, ("b", "c"): -2.0}, 1.0)
    >>> s = truth.sample(2000, seed=0)
    >>> X = torch.stack([s[v] for v in truth.variables], 1).double()
    >>> A, _ = hill_climb(BICScore(X), np.zeros((3, 3), bool))
    >>> int(A.sum()), bool(A[0, 1] or A[1, 0]), bool(A[1, 2] or A[2, 1])
    (2, True, True)
    """
    A = np.asarray(adjacency, dtype=bool).copy()
    p = A.shape[0]
    if A.shape != (p, p):
        raise ShapeError(f"adjacency must be square, got shape {A.shape}")
    allowed = np.ones((p, p), bool) if allowed is None else np.array(allowed, dtype=bool)
    required = np.zeros((p, p), bool) if required is None else np.asarray(required, bool)
    np.fill_diagonal(allowed, False)
    g = nx.DiGraph()
    g.add_nodes_from(range(p))
    g.add_edges_from(zip(*np.nonzero(A)))
    if not nx.is_directed_acyclic_graph(g):
        raise GraphError("hill_climb needs an acyclic starting graph")
    parents = [frozenset(np.flatnonzero(A[:, j]).tolist()) for j in range(p)]
    cache: dict[tuple[int, frozenset[int]], float] = {}

    if structure_prior not in ("fanin", "uniform"):
        raise ArgumentError(f"structure_prior must be 'fanin' or 'uniform', got {structure_prior!r}")
    candidates = allowed.sum(0)  # how many parents each node may have

    def local(j: int, ps: frozenset[int]) -> float:
        key = (j, ps)
        if key not in cache:
            value = score.local_one(j, sorted(ps))
            if structure_prior == "fanin":
                m, k = int(candidates[j]), len(ps)
                value -= math.lgamma(m + 1) - math.lgamma(k + 1) - math.lgamma(max(m - k, 0) + 1)
            cache[key] = value
        return cache[key]

    timed_out = False
    for _ in range(max_moves):
        if deadline is not None and time.monotonic() > deadline:
            timed_out = True
            break
        best, move = 1e-9, None
        for j in range(p):
            base_j = local(j, parents[j])
            for i in range(p):
                if i == j:
                    continue
                if A[i, j]:
                    if required[i, j]:
                        continue
                    gain = local(j, parents[j] - {i}) - base_j
                    if gain > best:
                        best, move = gain, ("delete", i, j)
                    if allowed[j, i]:
                        g.remove_edge(i, j)
                        acyclic = not nx.has_path(g, i, j)
                        g.add_edge(i, j)
                        if acyclic:
                            gain_r = gain + local(i, parents[i] | {j}) - local(i, parents[i])
                            if gain_r > best:
                                best, move = gain_r, ("reverse", i, j)
                elif allowed[i, j] and not A[j, i]:
                    gain = local(j, parents[j] | {i}) - base_j
                    if gain > best and not nx.has_path(g, j, i):
                        best, move = gain, ("add", i, j)
        if move is None:
            break
        op, i, j = move
        if op == "add":
            A[i, j] = True
            g.add_edge(i, j)
            parents[j] = parents[j] | {i}
        else:
            A[i, j] = False
            g.remove_edge(i, j)
            parents[j] = parents[j] - {i}
            if op == "reverse":
                A[j, i] = True
                g.add_edge(j, i)
                parents[i] = parents[i] | {j}
    return A, timed_out
