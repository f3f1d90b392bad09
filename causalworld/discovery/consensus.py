"""The graph that a learner's edge probabilities describe: the median-probability graph.

Every learner's ``graph_`` and ``edge_probs_`` must tell one story: a pair ``a, b`` is adjacent in
``graph_`` exactly when its adjacency probability ``p(a->b) + p(b->a)`` is at least 1/2. The graph
with those adjacencies is the median-probability model (Barbieri & Berger 2004): it minimises the
expected number of wrong adjacencies under the probabilities. Learners whose graph is a
resampling consensus (the bootstrap of the baselines) read it out here; the others build their
probabilities so that their graph already is one (see each learner's docstring).
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from causalworld.errors import ShapeError

__all__ = ["adjacency_probs", "median_graph"]


def adjacency_probs(probs: np.ndarray) -> np.ndarray:
    """``P + P.T``: the probability that each pair is adjacent, either way round.

    Examples
    --------
    >>> adjacency_probs(np.array([[0.0, 0.3], [0.4, 0.0]]))
    array([[0. , 0.7],
           [0.7, 0. ]])
    """
    P = np.asarray(probs, dtype=float)
    return P + P.T


def median_graph(probs: np.ndarray, allowed: np.ndarray | None = None, required: np.ndarray | None = None) -> np.ndarray:
    """The DAG whose adjacencies are the pairs with ``p(a->b) + p(b->a) >= 0.5``.

    Each pair is oriented its more probable way, the most probable edges first, unless that
    closes a cycle with the edges placed before it; then it takes the other way (which never
    closes one). Required edges are placed first and an orientation ``allowed`` forbids is
    never taken; a pair whose only allowed way closes a cycle (contradictory knowledge) is left
    out.

    Parameters
    ----------
    probs : numpy.ndarray
        ``[p, p]`` edge probabilities ``P[a, b] = p(a -> b)``.
    allowed, required : numpy.ndarray, optional
        ``[p, p]`` bool masks from the background knowledge.

    Returns
    -------
    numpy.ndarray
        ``[p, p]`` bool adjacency of a DAG.

    Raises
    ------
    ShapeError
        ``probs`` is not square.

    Examples
    --------
    >>> P = np.array([[0.0, 0.4, 0.9], [0.3, 0.0, 0.1], [0.0, 0.2, 0.0]])
    >>> median_graph(P).astype(int).tolist()  # a-b: 0.7, a-c: 0.9, b-c: 0.3
    [[0, 1, 1], [0, 0, 0], [0, 0, 0]]
    """
    P = np.asarray(probs, dtype=float)
    p = P.shape[0]
    if P.shape != (p, p):
        raise ShapeError(f"edge probabilities must be a square [p, p] array, got shape {P.shape}")
    allowed = np.ones((p, p), bool) if allowed is None else np.asarray(allowed, bool)
    required = np.zeros((p, p), bool) if required is None else np.asarray(required, bool)
    adjacent = (adjacency_probs(P) >= 0.5) & ~np.eye(p, dtype=bool)
    g = nx.DiGraph()
    g.add_nodes_from(range(p))
    for a, b in zip(*np.nonzero(required)):
        g.add_edge(int(a), int(b))
    pairs = [(a, b) for a, b in zip(*np.nonzero(np.triu(adjacent, 1))) if not (required[a, b] or required[b, a])]
    pairs.sort(key=lambda e: -max(P[e[0], e[1]], P[e[1], e[0]]))
    for a, b in pairs:
        first, second = ((a, b), (b, a)) if P[a, b] >= P[b, a] else ((b, a), (a, b))
        for u, v in (first, second):
            if allowed[u, v] and not nx.has_path(g, v, u):
                g.add_edge(int(u), int(v))
                break
    A = np.zeros((p, p), bool)
    for u, v in g.edges:
        A[u, v] = True
    return A
